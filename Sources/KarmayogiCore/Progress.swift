import Foundation

/// Where a learner is with one content item: 0 not started, 1 in progress, 2 completed.
public enum ItemStatus: Int, Codable, Comparable, Sendable, CaseIterable {
    case notStarted = 0, inProgress = 1, completed = 2

    public static func < (a: ItemStatus, b: ItemStatus) -> Bool { a.rawValue < b.rawValue }
}

/// One content-state update as a player sends it. `key` makes it idempotent: the same key counts once.
public struct ProgressUpdate: Equatable, Sendable {
    public var courseId: UUID
    public var itemId: UUID
    public var status: ItemStatus
    public var percent: Double
    public var secondsSpent: Int
    public var clientTime: Date?
    public var key: String

    public init(courseId: UUID, itemId: UUID, status: ItemStatus, percent: Double, secondsSpent: Int, clientTime: Date? = nil, key: String) {
        self.courseId = courseId
        self.itemId = itemId
        self.status = status
        self.percent = percent
        self.secondsSpent = secondsSpent
        self.clientTime = clientTime
        self.key = key
    }

    /// The most seconds one update may claim: a day. A player reports far more often than that.
    public static let maximumSeconds = 86_400

    /// Checks the parts of an update that need nothing but the update (`field` prefixes the names, e.g. `updates[3]`).
    public static func problems(status: Int?, percent: Double?, secondsSpent: Int?, key: String?, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        if let status, ItemStatus(rawValue: status) == nil { errors.append(.init("\(field).status", "must be 0 (not started), 1 (in progress) or 2 (completed)")) }
        if status == nil { errors.append(.init("\(field).status", "is required")) }
        if let percent, !(0...100).contains(percent) || percent.isNaN { errors.append(.init("\(field).percent", "must be from 0 to 100")) }
        if let secondsSpent, !(0...maximumSeconds).contains(secondsSpent) {
            errors.append(.init("\(field).secondsSpent", "must be from 0 to \(maximumSeconds) seconds"))
        }
        if let key, key.isEmpty || key.utf8.count > 100 { errors.append(.init("\(field).key", "must be 1–100 characters")) }
        if key == nil { errors.append(.init("\(field).key", "is required: one per update, so that a resend counts once")) }
        return errors
    }
}

/// The merged state of one item for one learner. Merging is a join: status and percentage only go up,
/// seconds are added once per key, so replaying or reordering the same updates gives the same state.
public struct ItemProgress: Equatable, Sendable {
    public var status: ItemStatus
    public var percent: Double
    public var secondsSpent: Int
    public var lastClientTime: Date?

    public init(status: ItemStatus = .notStarted, percent: Double = 0, secondsSpent: Int = 0, lastClientTime: Date? = nil) {
        self.status = status
        self.percent = percent
        self.secondsSpent = secondsSpent
        self.lastClientTime = lastClientTime
    }

    /// Applies an update. `firstTimeForKey` is false when an update with the same key was applied before:
    /// then its seconds are not counted again (status and percentage merge the same either way).
    public mutating func merge(_ update: ProgressUpdate, firstTimeForKey: Bool) {
        status = max(status, update.status)
        percent = max(percent, update.percent, status == .completed ? 100 : 0)
        if firstTimeForKey { secondsSpent += update.secondsSpent }
        if let time = update.clientTime { lastClientTime = max(lastClientTime ?? time, time) }
    }
}

/// A learner's progress over items, with the keys already applied: the model the database keeps.
public struct ProgressLedger: Equatable, Sendable {
    public var items: [UUID: ItemProgress] = [:]
    public var keys: Set<String> = []

    public init() {}

    public mutating func apply(_ update: ProgressUpdate) {
        let first = keys.insert(update.key).inserted
        items[update.itemId, default: ItemProgress()].merge(update, firstTimeForKey: first)
    }
}

/// When an enrolment is complete: every required item completed (an assessment item counts once passed).
public enum CompletionRule {
    public static func isComplete(_ content: CourseContent, completed: Set<UUID>) -> Bool {
        let required = content.modules.flatMap(\.items).filter(\.required).compactMap(\.id)
        return !required.isEmpty && required.allSatisfy(completed.contains)
    }

    /// The course's progress as a learner sees it: the share of its required items completed, in percent.
    public static func percent(_ content: CourseContent, completed: Set<UUID>) -> Double {
        let required = content.modules.flatMap(\.items).filter(\.required).compactMap(\.id)
        guard !required.isEmpty else { return 0 }
        return (Double(required.filter(completed.contains).count) / Double(required.count) * 1000).rounded() / 10
    }
}
