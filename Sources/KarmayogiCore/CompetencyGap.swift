import Foundation

/// The gap between what a role needs and what a person has shown: for each competency the role requires, the level
/// required against the highest level verified in the person's passbook. Courses that close gaps are recommended,
/// each saying which gap it closes.
public struct CompetencyGap: Equatable, Sendable {
    public var competencyId: UUID
    public var required: Int
    /// The highest verified level, 0 when none.
    public var held: Int

    public var size: Int { required - held }

    public init(competencyId: UUID, required: Int, held: Int) {
        self.competencyId = competencyId
        self.required = required
        self.held = held
    }

    /// The gaps, largest first (then by competency id, so the order is stable); competencies already met are left out.
    public static func gaps(required: [RoleRequirement], verified: [RoleRequirement]) -> [CompetencyGap] {
        var held: [UUID: Int] = [:]
        for entry in verified { held[entry.competencyId] = max(held[entry.competencyId] ?? 0, entry.level) }
        var needed: [UUID: Int] = [:]
        for requirement in required { needed[requirement.competencyId] = max(needed[requirement.competencyId] ?? 0, requirement.level) }
        return needed.map { CompetencyGap(competencyId: $0.key, required: $0.value, held: held[$0.key] ?? 0) }
            .filter { $0.size > 0 }
            .sorted { ($1.size, $0.competencyId.uuidString) < ($0.size, $1.competencyId.uuidString) }
    }

    /// A course that could be recommended: what it teaches, at which levels, in which language, how long it takes.
    public struct Candidate: Sendable {
        public var courseId: UUID
        public var competencies: [RoleRequirement]
        public var language: String
        public var durationMinutes: Int

        public init(courseId: UUID, competencies: [RoleRequirement], language: String, durationMinutes: Int) {
            self.courseId = courseId
            self.competencies = competencies
            self.language = language
            self.durationMinutes = durationMinutes
        }
    }

    public struct Recommendation: Equatable, Sendable {
        public var courseId: UUID
        /// The gap this course closes (or narrows, when it teaches below the required level).
        public var gap: CompetencyGap
        /// The level the course teaches the competency at.
        public var level: Int
        public var closes: Bool { level >= gap.required }
    }

    /// Courses for the gaps: for each gap, largest first, the best course teaching that competency above the level held —
    /// one that reaches the required level before one that does not, then one in the person's language, then the
    /// shorter. A course is recommended once, for the largest gap it serves; courses in `excluding` (enrolled) are not.
    public static func recommend(for gaps: [CompetencyGap], from candidates: [Candidate], language: String,
                                 excluding: Set<UUID> = [], limit: Int = 5) -> [Recommendation] {
        var chosen: [Recommendation] = []
        var used = excluding
        for gap in gaps where chosen.count < limit {
            let options = candidates.compactMap { candidate -> (Candidate, Int)? in
                guard !used.contains(candidate.courseId),
                      let level = candidate.competencies.filter({ $0.competencyId == gap.competencyId }).map(\.level).max(),
                      level > gap.held
                else { return nil }
                return (candidate, level)
            }
            let best = options.min { a, b in
                let keyA = (a.1 >= gap.required ? 0 : 1, a.0.language == language ? 0 : 1, a.0.durationMinutes, a.0.courseId.uuidString)
                let keyB = (b.1 >= gap.required ? 0 : 1, b.0.language == language ? 0 : 1, b.0.durationMinutes, b.0.courseId.uuidString)
                return keyA < keyB
            }
            if let (candidate, level) = best {
                chosen.append(Recommendation(courseId: candidate.courseId, gap: gap, level: level))
                used.insert(candidate.courseId)
            }
        }
        return chosen
    }
}
