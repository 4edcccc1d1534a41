import Foundation

/// Who a person is in a gram panchayat: its elected representatives and its functionaries.
public enum PanchayatRole: String, Codable, CaseIterable, Sendable {
    case sarpanch
    case upSarpanch = "up_sarpanch"
    case wardMember = "ward_member"
    case secretary
    case accountant
    case technicalAssistant = "technical_assistant"

    /// The names States give the role, lower case; the deputy's before the head's, since "up-sarpanch" holds "sarpanch".
    static let names: [(PanchayatRole, [String])] = [
        (.upSarpanch, ["up-sarpanch", "up sarpanch", "upsarpanch", "deputy sarpanch", "up-pradhan", "up pradhan", "upa-sarpanch", "naib sarpanch", "vice president"]),
        (.sarpanch, ["sarpanch", "pradhan", "mukhiya", "gram panchayat president", "president", "सरपंच", "प्रधान", "मुखिया"]),
        (.wardMember, ["ward member", "panch", "gram panchayat member", "वार्ड सदस्य", "पंच"]),
        (.secretary, ["panchayat secretary", "gram panchayat secretary", "secretary", "gram sevak", "village development officer", "panchayat development officer",
                      "panchayat executive officer", "सचिव", "ग्राम सेवक"]),
        (.accountant, ["accountant", "data entry operator", "lekhpal"]),
        (.technicalAssistant, ["junior engineer", "technical assistant", "gram rozgar sahayak"]),
    ]

    /// The role a designation names, if it is a panchayat one.
    public static func of(designation: String?) -> PanchayatRole? {
        guard let text = designation?.trimmed.lowercased(), !text.isEmpty else { return nil }
        return names.first { _, aliases in aliases.contains { text == $0 || text.hasPrefix($0 + " ") || text.hasPrefix($0 + ",") } }?.0
    }
}

/// The panchayat competency framework: the domain competencies of panchayat work, and which each role needs.
public struct PanchayatFramework: Sendable {
    public struct Competency: Sendable, Codable, Equatable {
        public var key: String
        public var title: String
    }

    public var version: String
    public var competencies: [Competency]
    public var byRole: [PanchayatRole: [String]]

    public func competencies(of role: PanchayatRole) -> [Competency] {
        (byRole[role] ?? []).compactMap { key in competencies.first { $0.key == key } }
    }

    /// The framework the Viksit Panchayat pilot started with.
    public static let viksitPanchayat = PanchayatFramework(
        version: "VP-1",
        competencies: [
            .init(key: "gpdp", title: "Preparing the Gram Panchayat Development Plan"),
            .init(key: "gram_sabha", title: "Convening and conducting the Gram Sabha"),
            .init(key: "lsdg", title: "Localising the SDGs: the nine themes"),
            .init(key: "finance", title: "Panchayat finances and own source revenue"),
            .init(key: "egramswaraj", title: "Accounts and payments on eGramSwaraj"),
            .init(key: "schemes", title: "Bringing schemes together: MGNREGA, PMAY-G, SBM-G, Jal Jeevan Mission"),
            .init(key: "social_audit", title: "Social audit and transparency"),
            .init(key: "leadership", title: "Leading the village and resolving disputes"),
            .init(key: "works", title: "Works, procurement and the panchayat's assets"),
            .init(key: "records", title: "Registers, records and right to information"),
        ],
        byRole: [
            .sarpanch: ["gpdp", "gram_sabha", "lsdg", "finance", "schemes", "social_audit", "leadership"],
            .upSarpanch: ["gpdp", "gram_sabha", "lsdg", "schemes", "leadership"],
            .wardMember: ["gram_sabha", "lsdg", "schemes", "social_audit"],
            .secretary: ["gpdp", "gram_sabha", "finance", "egramswaraj", "works", "records", "social_audit"],
            .accountant: ["finance", "egramswaraj", "records"],
            .technicalAssistant: ["works", "schemes", "egramswaraj"],
        ])
}

/// A survey's round: the self-assessment before the pilot's training, and the one after.
public enum SurveyRound: String, Codable, CaseIterable, Sendable {
    case baseline, endline
}

/// Self-assessment levels: 1 (new to it) to 5 (could teach it).
public enum SelfAssessment {
    public static let levels = 1...5

    /// Field errors of one person's answers: every competency of their role, each at a level, nothing else.
    public static func problems(_ answers: [String: Int], role: PanchayatRole, framework: PanchayatFramework) -> [FieldError] {
        let asked = framework.competencies(of: role).map(\.key)
        var errors: [FieldError] = []
        for key in asked {
            guard let level = answers[key] else { errors.append(FieldError("answers.\(key)", "is required: a level from 1 to 5")); continue }
            if !levels.contains(level) { errors.append(FieldError("answers.\(key)", "\(level) is not a level: they are 1 to 5")) }
        }
        for key in answers.keys.sorted() where !asked.contains(key) {
            errors.append(FieldError("answers.\(key)", "is not asked of a \(role.rawValue.replacingOccurrences(of: "_", with: " "))"))
        }
        return errors
    }
}

/// The change between a baseline and an endline, over the people who answered both, by group (a panchayat, a district,
/// a State): the mean level before and after, overall and per competency.
public struct SurveyDelta: Equatable, Sendable {
    public struct Means: Equatable, Sendable {
        public var baseline: Double
        public var endline: Double
        public var delta: Double { ((endline - baseline) * 100).rounded() / 100 }

        public init(baseline: Double, endline: Double) { (self.baseline, self.endline) = (baseline, endline) }
    }

    public struct Group: Equatable, Sendable {
        public var key: String
        /// People who answered both rounds.
        public var people: Int
        public var overall: Means
        public var byCompetency: [String: Means]
    }

    /// `baseline` and `endline` are each person's answers; `group` places a person. People who answered one round only
    /// are left out: a change is measured on the same people.
    public static func compute(baseline: [UUID: [String: Int]], endline: [UUID: [String: Int]], group: (UUID) -> String?) -> [Group] {
        var sums: [String: (people: Int, before: Double, after: Double, count: Int, competencies: [String: (Double, Double, Int)])] = [:]
        for (person, after) in endline {
            guard let before = baseline[person], let key = group(person) else { continue }
            var entry = sums[key] ?? (0, 0, 0, 0, [:])
            entry.people += 1
            for (competency, level) in after {
                guard let earlier = before[competency] else { continue }
                entry.before += Double(earlier)
                entry.after += Double(level)
                entry.count += 1
                let running = entry.competencies[competency] ?? (0, 0, 0)
                entry.competencies[competency] = (running.0 + Double(earlier), running.1 + Double(level), running.2 + 1)
            }
            sums[key] = entry
        }
        func mean(_ total: Double, _ count: Int) -> Double { count == 0 ? 0 : (total / Double(count) * 100).rounded() / 100 }
        return sums.map { key, entry in
            Group(key: key, people: entry.people, overall: Means(baseline: mean(entry.before, entry.count), endline: mean(entry.after, entry.count)),
                  byCompetency: entry.competencies.mapValues { Means(baseline: mean($0.0, $0.2), endline: mean($0.1, $0.2)) })
        }.sorted { $0.key < $1.key }
    }
}
