import Foundation

/// An Annual Capacity Building Plan's rules: its life (draft → live → retired), who it is assigned to (resolved
/// when read, never written per person), what a live plan may still change, and how a person stands against it.
public enum PlanState: String, Codable, CaseIterable, Sendable {
    case draft, live, retired

    /// The state an action leads to, or nil when it is not allowed from here.
    public func after(_ action: PlanAction) -> PlanState? {
        switch (self, action) {
        case (.draft, .publish): .live
        case (.live, .retire), (.draft, .retire): .retired
        default: nil
        }
    }
}

public enum PlanAction: String, Codable, CaseIterable, Sendable {
    case publish, retire
}

/// To whom a plan is assigned: all staff of the organisation (optionally its whole subtree), some designations, or named people.
/// Written `{"allStaff": true, "includeSubtree": bool}`, `{"designations": [..]}` or `{"userIds": [..]}`.
public enum PlanAssignment: Codable, Equatable, Sendable {
    case allStaff(includeSubtree: Bool)
    case designations([String])
    case users([UUID])

    private enum Keys: String, CodingKey { case allStaff, includeSubtree, designations, userIds }

    /// Reads the written form's fields, each optional, into one assignment, or says which field is wrong.
    public static func read(allStaff: Bool?, includeSubtree: Bool?, designations: [String]?, userIds: [UUID]?, field: String) -> Result<PlanAssignment, FieldError> {
        let named = [allStaff == true, designations != nil, userIds != nil].filter { $0 }.count
        guard named == 1 else {
            return .failure(.init(field, "must be one of {\"allStaff\": true, \"includeSubtree\": bool}, {\"designations\": [..]} or {\"userIds\": [..]}"))
        }
        if includeSubtree != nil, allStaff != true { return .failure(.init("\(field).includeSubtree", "goes only with allStaff")) }
        let assignment: PlanAssignment = if let designations { .designations(designations.map(Designation.normalised)) }
            else if let userIds { .users(userIds) } else { .allStaff(includeSubtree: includeSubtree ?? false) }
        if let problem = assignment.problems(field: field).first { return .failure(problem) }
        return .success(assignment)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let read = Self.read(allStaff: try container.decodeIfPresent(Bool.self, forKey: .allStaff),
                             includeSubtree: try container.decodeIfPresent(Bool.self, forKey: .includeSubtree),
                             designations: try container.decodeIfPresent([String].self, forKey: .designations),
                             userIds: try container.decodeIfPresent([UUID].self, forKey: .userIds), field: "assignment")
        switch read {
        case .success(let assignment): self = assignment
        case .failure(let problem):
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: problem.reason))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .allStaff(let subtree):
            try container.encode(true, forKey: .allStaff)
            try container.encode(subtree, forKey: .includeSubtree)
        case .designations(let names): try container.encode(names, forKey: .designations)
        case .users(let ids): try container.encode(ids, forKey: .userIds)
        }
    }

    /// Whether a person (their organisation's path, the plan's organisation path, their designation and id) is assigned.
    public func includes(userID: UUID, designation: String?, organisationPath: String, planOrganisationPath: String) -> Bool {
        switch self {
        case .allStaff(let subtree):
            subtree ? organisationPath.hasPrefix(planOrganisationPath) : organisationPath == planOrganisationPath
        case .designations(let names):
            organisationPath.hasPrefix(planOrganisationPath)
                && designation.map { mine in names.contains { Designation.key($0) == Designation.key(mine) } } == true
        case .users(let ids):
            ids.contains(userID)
        }
    }

    public func problems(field: String) -> [FieldError] {
        switch self {
        case .allStaff: return []
        case .designations(let names):
            if names.isEmpty || names.count > 200 { return [.init("\(field).designations", "name 1 to 200 designations")] }
            return names.enumerated().compactMap { index, name in
                name.trimmed.isEmpty || name.count > 200 ? .init("\(field).designations[\(index)]", "must be 1–200 characters") : nil
            }
        case .users(let ids):
            if ids.isEmpty || ids.count > 10_000 { return [.init("\(field).userIds", "name 1 to 10,000 people")] }
            return Set(ids).count == ids.count ? [] : [.init("\(field).userIds", "names a person twice")]
        }
    }
}

/// How one assigned person stands against a plan's course.
public enum PlanStanding: String, Codable, CaseIterable, Sendable {
    /// Assigned, not enrolled, and the due date has not passed.
    case assigned
    case enrolled
    case completedOnTime = "completed_on_time"
    case completedLate = "completed_late"
    /// Not completed, and the due date has passed.
    case overdue

    public static func of(enrolledAt: Date?, completedAt: Date?, due: Date, now: Date) -> PlanStanding {
        if let completedAt { return completedAt <= due ? .completedOnTime : .completedLate }
        if now > due { return .overdue }
        return enrolledAt == nil ? .assigned : .enrolled
    }
}

public enum PlanRule {
    /// The fields a live plan may still change; everything else is fixed once it is published.
    public static let changeableWhenLive: Set<String> = ["name", "assignment", "dueDate"]

    /// Karma for completing a course from one's plan: 5, less 1 for each month (or part of one) past the due date, never below 0.
    public static func planBonus(completedAt: Date, due: Date, calendar: Calendar = Calendar(identifier: .gregorian)) -> Int {
        guard completedAt > due else { return 5 }
        let months = calendar.dateComponents([.month, .day, .second], from: due, to: completedAt)
        let late = (months.month ?? 0) + ((months.day ?? 0) > 0 || (months.second ?? 0) > 0 ? 1 : 0)
        return max(0, 5 - max(late, 1))
    }

    /// Problems with the plan's own fields that were sent (nil: not sent): name, year, courses (1 to 500, none twice),
    /// due date ("YYYY-MM-DD", not before today). Answers the due date's day when it reads.
    public static func problems(name: String?, year: Int?, courseIDs: [UUID]?, dueDate: String?, today: Int) -> (dueDay: Int?, errors: [FieldError]) {
        var errors: [FieldError] = []
        if let name, name.trimmed.isEmpty || name.count > 200 { errors.append(.init("name", "must be 1–200 characters")) }
        if let year, !(2020...2100).contains(year) { errors.append(.init("year", "must be a year from 2020 to 2100")) }
        if let courseIDs {
            if !(1...500).contains(courseIDs.count) { errors.append(.init("courseIds", "name 1 to 500 courses")) }
            else if Set(courseIDs).count != courseIDs.count { errors.append(.init("courseIds", "names a course twice")) }
        }
        var dueDay: Int?
        if let dueDate {
            dueDay = IndiaDay.parse(dueDate)
            if let day = dueDay { if day < today { errors.append(.init("dueDate", "is in the past")) } }
            else { errors.append(.init("dueDate", "must be a date, YYYY-MM-DD")) }
        }
        return (dueDay, errors)
    }
}

/// A suggested plan for a designation: the fewest courses that together cover what the designation requires,
/// each competency at least at its required level (greedy set cover; ties go to the more completed course).
public enum PlanSuggestion {
    public struct Candidate: Sendable {
        public var id: UUID
        /// Competency → the level the course gives.
        public var gives: [UUID: Int]
        public var completions: Int

        public init(id: UUID, gives: [UUID: Int], completions: Int) {
            self.id = id
            self.gives = gives
            self.completions = completions
        }
    }

    /// The courses chosen, in the order chosen, and the required competencies no course covers.
    public static func cover(requirements: [UUID: Int], candidates: [Candidate]) -> (courses: [UUID], uncovered: Set<UUID>) {
        var open = Set(requirements.keys)
        var chosen: [UUID] = []
        var left = candidates.sorted { ($0.completions, $1.id.uuidString) > ($1.completions, $0.id.uuidString) }
        while !open.isEmpty {
            // The first (most completed) of the courses covering the most of what is still open.
            var best: (index: Int, covers: Int)?
            for (index, candidate) in left.enumerated() {
                let covers = open.filter { (candidate.gives[$0] ?? 0) >= requirements[$0]! }.count
                if covers > (best?.covers ?? 0) { best = (index, covers) }
            }
            guard let best else { break }
            let course = left.remove(at: best.index)
            open = open.filter { (course.gives[$0] ?? 0) < requirements[$0]! }
            chosen.append(course.id)
        }
        return (chosen, open)
    }
}
