import Foundation

/// The kinds of activity a cohort journey's phase holds (the DAKSH shape), and who records each as done.
public enum JourneyActivityKind: String, Codable, Sendable, CaseIterable {
    /// An online course: done when the member completes it.
    case course
    /// A programme session: done when the member's attendance is recorded.
    case session
    /// A coaching conversation, logged by the member's mentor.
    case coaching
    /// An action-learning project milestone: the member submits it, their mentor accepts it (or returns it).
    case milestone
    /// An exposure visit, recorded by the journey's coordinator.
    case visit
}

/// A member's part in a journey.
public enum JourneyRole: String, Codable, Sendable, CaseIterable {
    case participant, mentor
}

/// Where a member's milestone stands.
public enum MilestoneStatus: String, Codable, Sendable, CaseIterable {
    case submitted, accepted, returned
}

/// The rules of a journey's milestones: the member submits (again, after it is returned); only their mentor reviews a
/// submitted one.
public enum MilestoneFlow {
    public enum Refusal: Error, Equatable {
        case notYours(FieldError)
        case conflict(FieldError)
    }

    public static func submit(from status: MilestoneStatus?) throws(Refusal) -> MilestoneStatus {
        switch status {
        case nil, .returned: return .submitted
        case .submitted: throw .conflict(FieldError("milestone", "is submitted already and waits for the mentor's review"))
        case .accepted: throw .conflict(FieldError("milestone", "is accepted already"))
        }
    }

    public static func review(from status: MilestoneStatus?, accept: Bool, isMentor: Bool) throws(Refusal) -> MilestoneStatus {
        guard isMentor else { throw .notYours(FieldError("userId", "only the member's mentor reviews their milestones")) }
        guard status == .submitted else { throw .conflict(FieldError("milestone", "has nothing submitted to review")) }
        return accept ? .accepted : .returned
    }
}

/// Which phases of a journey are open to a member, decided on the server from what they have done: the first phase
/// is open; each later one opens when every required activity of the phases before it is done.
public struct PhaseGate: Sendable {
    /// The required activities of each phase, in order.
    public var required: [[UUID]]

    public init(required: [[UUID]]) { self.required = required }

    /// How many phases are complete, from the first, without a gap.
    public func completed(done: Set<UUID>) -> Int {
        required.prefix { $0.allSatisfy(done.contains) }.count
    }

    /// How many phases are open: the complete ones and the one after them.
    public func open(done: Set<UUID>) -> Int { min(required.count, completed(done: done) + 1) }

    public func isOpen(phase index: Int, done: Set<UUID>) -> Bool { index < open(done: done) }
}

/// A journey's shape, checked: phases in order, each with activities; months of each phase add up to the journey.
public struct JourneyShape: Sendable {
    public struct Phase: Sendable {
        public var title: String
        public var months: Int
        public init(title: String, months: Int) {
            self.title = title
            self.months = months
        }
    }

    public struct Activity: Sendable {
        public var phase: Int
        public var kind: JourneyActivityKind
        public var title: String
        public var required: Bool
        public var hasCourse: Bool
        public var hasSession: Bool
        public init(phase: Int, kind: JourneyActivityKind, title: String, required: Bool, hasCourse: Bool, hasSession: Bool) {
            self.phase = phase
            self.kind = kind
            self.title = title
            self.required = required
            self.hasCourse = hasCourse
            self.hasSession = hasSession
        }
    }

    public static func problems(phases: [Phase], activities: [Activity]) -> [FieldError] {
        var problems: [FieldError] = []
        guard (1...12).contains(phases.count) else { return [FieldError("phases", "give from 1 to 12 phases")] }
        for (index, phase) in phases.enumerated() {
            let title = phase.title.trimmingCharacters(in: .whitespacesAndNewlines)
            if title.isEmpty || title.unicodeScalars.count > 200 { problems.append(FieldError("phases[\(index)].title", "is required, at most 200 characters")) }
            if !(1...24).contains(phase.months) { problems.append(FieldError("phases[\(index)].months", "must be from 1 to 24")) }
        }
        if phases.map(\.months).reduce(0, +) > 36 { problems.append(FieldError("phases", "a journey lasts at most 36 months")) }
        guard (1...200).contains(activities.count) else { return problems + [FieldError("activities", "give from 1 to 200 activities")] }
        for (index, activity) in activities.enumerated() {
            let field = "activities[\(index)]"
            if !phases.indices.contains(activity.phase) { problems.append(FieldError("\(field).phase", "must be the position of a phase, from 0 to \(phases.count - 1)")) }
            let title = activity.title.trimmingCharacters(in: .whitespacesAndNewlines)
            if title.isEmpty || title.unicodeScalars.count > 200 { problems.append(FieldError("\(field).title", "is required, at most 200 characters")) }
            if (activity.kind == .course) != activity.hasCourse {
                problems.append(FieldError("\(field).courseId", activity.kind == .course ? "is required for a course" : "is only for a course"))
            }
            if (activity.kind == .session) != activity.hasSession {
                problems.append(FieldError("\(field).sessionId", activity.kind == .session ? "is required for a session" : "is only for a session"))
            }
        }
        for index in phases.indices where !activities.contains(where: { $0.phase == index && $0.required }) {
            problems.append(FieldError("phases[\(index)]", "has no required activity: give it at least one"))
        }
        return problems
    }
}
