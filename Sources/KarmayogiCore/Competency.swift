import Foundation

/// The Karmayogi Competency Model: competencies in three areas, each assessed at proficiency levels 1–5.
/// Behavioural and functional competencies come from the national framework; domain competencies are
/// added per domain by the national admin or by an MDO for its own work.
public enum CompetencyArea: String, Codable, CaseIterable, Sendable {
    case behavioural, functional, domain

    public init?(label: String) {
        self.init(rawValue: label.trimmed.lowercased())
    }
}

public enum ProficiencyLevel {
    public static let range = 1...5

    /// What each level means wherever a competency has no descriptions of its own.
    public static let generic: [Int: String] = [
        1: "Foundational: knows the concepts and applies them with guidance in routine situations.",
        2: "Working: applies them independently in routine work and recognises when to seek help.",
        3: "Proficient: applies them in complex or unfamiliar situations and guides colleagues.",
        4: "Advanced: shapes practice in the organisation, solves non-routine problems and mentors others.",
        5: "Expert: recognised authority who sets standards and drives change across government.",
    ]

    public static func isValid(_ level: Int) -> Bool { range.contains(level) }
}

/// A competency as the framework file states it.
public struct CompetencyEntry: Hashable, Sendable {
    public var area: CompetencyArea
    public var theme: String
    public var subTheme: String?
    public var description: String

    public init(area: CompetencyArea, theme: String, subTheme: String?, description: String) {
        self.area = area
        self.theme = theme
        self.subTheme = subTheme
        self.description = description
    }

    /// A stable name across framework versions: "functional/project management/project kpis monitoring".
    public var key: String {
        ([area.rawValue, theme] + (subTheme.map { [$0] } ?? [])).map { $0.trimmed.lowercased() }.joined(separator: "/")
    }

    /// A domain competency's key names its domain too ("domain/public health/public health programme management"):
    /// two ministries may each have a theme of the same name. Other areas keep `key`.
    public func key(inDomain domain: String?) -> String {
        guard area == .domain, let domain else { return key }
        return "domain/\(domain.trimmed.lowercased())/" + key.dropFirst("domain/".count)
    }

    /// Reads the KCM file (`area,theme,subtheme,description`); a row with an empty sub-theme is the theme itself.
    public static func framework(csv: String) throws(CSVError) -> [CompetencyEntry] {
        var entries: [CompetencyEntry] = []
        var keys = Set<String>()
        for row in try CSVReader(text: csv).rows().dropFirst() {
            guard row.fields.count == 4, let area = CompetencyArea(label: row.fields[0]), !row.fields[1].trimmed.isEmpty else {
                throw CSVError(line: row.line, reason: "expected area (behavioural, functional, domain),theme,subtheme,description")
            }
            let entry = CompetencyEntry(area: area, theme: row.fields[1].trimmed, subTheme: row.fields[2].trimmed.isEmpty ? nil : row.fields[2].trimmed,
                                        description: row.fields[3].trimmed)
            guard keys.insert(entry.key).inserted else { throw CSVError(line: row.line, reason: "\(entry.key) appears twice") }
            entries.append(entry)
        }
        return entries
    }
}

/// What a designation needs: competencies at minimum levels.
public struct RoleRequirement: Hashable, Sendable, Codable {
    public var competencyId: UUID
    public var level: Int

    public init(competencyId: UUID, level: Int) {
        self.competencyId = competencyId
        self.level = level
    }

    /// Field errors of a whole mapping: every competency must be known and current, each at most once, levels 1–5.
    public static func problems(_ requirements: [RoleRequirement], current: Set<UUID>, retired: Set<UUID>) -> [FieldError] {
        var errors: [FieldError] = []
        var seen = Set<UUID>()
        for (index, requirement) in requirements.enumerated() {
            let id = requirement.competencyId
            if retired.contains(id) {
                errors.append(.init("competencies[\(index)].competencyId", "is retired from the framework; map its successor instead"))
            } else if !current.contains(id) {
                errors.append(.init("competencies[\(index)].competencyId", "is not a competency of the framework"))
            } else if !seen.insert(id).inserted {
                errors.append(.init("competencies[\(index)].competencyId", "appears more than once"))
            }
            if !ProficiencyLevel.isValid(requirement.level) {
                errors.append(.init("competencies[\(index)].level", "must be a proficiency level from 1 to 5"))
            }
        }
        return errors
    }
}

/// Designations are matched as people write them in spreadsheets: case and spacing do not make a new one.
public enum Designation {
    public static func normalised(_ text: String) -> String {
        text.trimmed.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    public static func key(_ text: String) -> String { normalised(text).lowercased() }
}
