import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A learner's checked batch of progress updates, as values, waiting for its transaction. Writes that arrive together
/// are applied together (`apply(_:)`): one statement per table for the whole group, not per request, and each answer
/// is made from what the group wrote.
struct ProgressWrite: GroupedWrite {
    static let name = "progress"

    struct Accepted: Sendable {
        var index: Int
        var update: ProgressUpdate
        var enrolmentID: UUID
    }

    var userID: UUID
    /// The learner's name as signed in: their certificate carries it.
    var learnerName: String
    var place: LearnerPlace
    /// The batch's results as checked (rejected updates already say why); applied ones may turn out duplicates.
    var results: [ProgressAnswer.Result]
    var accepted: [Accepted]
    /// The enrolled version's content of each of the learner's enrolments the batch names.
    var contents: [UUID: CourseContent]

    /// This write alone, in a transaction of its own (or the caller's), with its counters.
    func applied(app: Application, on database: any Database) async throws -> ProgressAnswer {
        try await database.transaction { database in try await Self.apply(group: [self], app: app, on: database)[0] }
    }

    /// The group, with what it adds to the counters written once, last (so a group takes the counters' row locks in one
    /// sweep, in key order).
    static func apply(group: [ProgressWrite], app: Application, on database: any Database) async throws -> [ProgressAnswer] {
        let (answers, counts) = try await apply(group, app: app, on: database)
        try await counts.write(on: database)
        return answers
    }

    private struct PersonKey: Hashable { var userID: UUID; var key: String }

    /// What a group of writes adds to the counters: the rollups, and the live campaigns' counters.
    struct Counts: Sendable {
        var tally: RollupTally
        var campaignFacts: [CampaignFact]
        var at: Date

        /// The transaction's last writes, always in this order (rollups, then campaigns, each in key order), so that
        /// concurrent transactions lock counter rows in one order and never wait on each other in a circle.
        func write(on database: any Database) async throws {
            try await Rollups.write(tally, on: database)
            try await CampaignCounts.record(campaignFacts, at: at, on: database)
        }
    }

    /// Applies a group of writes in the caller's transaction and answers each, with what they add to the counters.
    ///
    /// Statements for the group: the keys (which updates are new), the merged item states, the touched enrolments
    /// and their completed items read back, the enrolments' new progress, the learning and active days; then, per
    /// course completed, the completion's own writes. A write retried alone starts again from the database.
    static func apply(_ writes: [ProgressWrite], app: Application, on database: any Database) async throws -> ([ProgressAnswer], Counts) {
        let sql = database as! any SQLDatabase
        let now = app.clock.now()
        var tally = RollupTally()
        // Keys first: those new to the database count their seconds; a key seen before (or twice in this group) does not.
        let fresh = try await newKeys(Set(writes.flatMap { write in write.accepted.map { PersonKey(userID: write.userID, key: $0.update.key) } }), at: now, on: sql)
        var results = writes.map(\.results)
        var counted = Set<PersonKey>()
        var deltas: [UUID: [UUID: ItemProgress]] = [:]
        var added: [UUID: Int] = [:]
        var lastItem: [UUID: UUID] = [:]
        // Which writes touched each enrolment (one learner may have sent two in a group); the last one owns it.
        var touchedBy: [UUID: [Int]] = [:]
        for (position, write) in writes.enumerated() {
            for accepted in write.accepted {
                let key = PersonKey(userID: write.userID, key: accepted.update.key)
                let first = fresh.contains(key) && counted.insert(key).inserted
                if !first { results[position][accepted.index].outcome = "duplicate" }
                deltas[accepted.enrolmentID, default: [:]][accepted.update.itemId, default: ItemProgress()].merge(accepted.update, firstTimeForKey: first)
                if first { added[accepted.enrolmentID, default: 0] += accepted.update.secondsSpent }
                lastItem[accepted.enrolmentID] = accepted.update.itemId
                if touchedBy[accepted.enrolmentID]?.last != position { touchedBy[accepted.enrolmentID, default: []].append(position) }
            }
        }
        try await LearningProgress.merge(deltas, at: now, on: sql)

        // Each touched enrolment: its progress from the completed items, and completion when they are all done. Read here,
        // inside the transaction, never taken from before: a retried write must start from the database.
        let touched = try await Enrolments.with(ids: Array(deltas.keys), on: database)
        let completedItems = try await LearningProgress.completed(in: touched.map { $0.id! }, on: sql)
        var changes: [Enrolments.ProgressChange] = []
        for enrolment in touched {
            let id = enrolment.id!
            if enrolment.status == .active, let content = writes[touchedBy[id]!.last!].contents[id] {
                enrolment.percent = CompletionRule.percent(content, completed: completedItems[id] ?? [])
            }
            changes.append(.init(id: id, percent: enrolment.percent, addedSeconds: added[id] ?? 0, lastItemID: lastItem[id]!))
        }
        try await Enrolments.recordProgress(changes, at: now, on: sql)

        var courses = Array(repeating: [ProgressAnswer.CourseState](), count: writes.count)
        var activities: [Rollups.Activity] = writes.map { .init(userID: $0.userID, place: $0.place) }
        var facts: [CampaignFact] = []
        for enrolment in touched {
            let id = enrolment.id!, positions = touchedBy[id]!, position = positions.last!
            let content = writes[position].contents[id]
            var completedNow = false
            if enrolment.status == .active, let content, CompletionRule.isComplete(content, completed: completedItems[id] ?? []) {
                completedNow = try await Completion.complete(enrolment, learnerName: writes[position].learnerName, content: content, at: now, keys: app.credentialKeys, place: writes[position].place,
                                                             tally: &tally, on: database)
            }
            if let spent = added[id], spent > 0 { activities[position].seconds[enrolment.courseID, default: 0] += spent }
            if completedNow || (added[id] ?? 0) > 0 {
                facts.append(CampaignFact(userID: enrolment.userID, place: writes[position].place, course: enrolment.courseID, version: enrolment.version,
                                          competencies: content?.competencies.map(\.competencyId), completions: completedNow ? 1 : 0, seconds: added[id] ?? 0))
            }
            // Each write that touched the course is told where it stands; the one that completed it, that it did.
            for other in positions {
                courses[other].append(.init(courseId: enrolment.courseID, percent: enrolment.percent, status: enrolment.status,
                                            completedNow: completedNow && other == position))
            }
        }
        try await Rollups.record(activities, day: IndiaDay.of(now), known: app.activeDays, into: &tally, on: database)
        let answers = zip(results, courses).map { ProgressAnswer(results: $0, courses: $1) }
        return (answers, Counts(tally: tally, campaignFacts: facts, at: now))
    }

    /// Records the keys and answers those that were not recorded before.
    private static func newKeys(_ keys: Set<PersonKey>, at now: Date, on sql: any SQLDatabase) async throws -> Set<PersonKey> {
        struct Row: Decodable { var user_id: UUID; var key: String }
        let keys = Array(keys)
        var fresh = Set<PersonKey>()
        for start in stride(from: 0, to: keys.count, by: 1000) {
            var insert = sql.insert(into: "progress_keys").columns("user_id", "key", "created_at")
            for key in keys[start..<min(start + 1000, keys.count)] { insert = insert.values(SQLBind(key.userID), SQLBind(key.key), SQLBind(now)) }
            let rows = try await insert.ignoringConflicts(with: ["user_id", "key"]).returning("user_id", "key").all(decoding: Row.self)
            fresh.formUnion(rows.map { PersonKey(userID: $0.user_id, key: $0.key) })
        }
        return fresh
    }
}

extension Application {
    private struct ProgressCommitsKey: StorageKey { typealias Value = GroupCommit<ProgressWrite> }

    /// Made once by `configure`.
    var progressCommits: GroupCommit<ProgressWrite> {
        get { storage[ProgressCommitsKey.self]! }
        set { storage[ProgressCommitsKey.self] = newValue }
    }
}
