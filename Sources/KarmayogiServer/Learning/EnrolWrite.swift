import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// An enrolment of one person in a course's published version, waiting for its transaction. Self-enrolments that arrive
/// together (a learning week's first morning) are written together: one insert for the enrolments, one for the karma,
/// the counters once; every other enrolment is a group of one (`Enrolments.enrol`).
struct EnrolWrite: GroupedWrite {
    static let name = "enrolments"

    struct Answer: Sendable {
        var enrolment: EnrolmentDTO
        /// False when the person was enrolled already (an enrolment they had left is taken up again).
        var created: Bool
    }

    var userID: UUID
    var courseID: UUID
    var organisationID: UUID
    var version: Int
    /// Who enrols them.
    var by: UUID
    /// Where the person counts in the rollups (nil: nowhere, as for a person without a place).
    var place: LearnerPlace?

    private struct Pair: Hashable { var user: UUID; var course: UUID }

    static func apply(group: [EnrolWrite], app: Application, on database: any Database) async throws -> [Answer] {
        try await apply(group, at: app.clock.now(), known: app.activeDays, on: database)
    }

    /// Inserted unless it exists: two enrolments sent at once make one, and the second is answered like a repeat.
    static func apply(_ group: [EnrolWrite], at now: Date, known: KnownActiveDays?, on database: any Database) async throws -> [Answer] {
        let sql = database as! any SQLDatabase
        let ids = group.map { _ in UUID() }
        var inserted = Set<UUID>()
        for start in stride(from: 0, to: group.count, by: 500) {
            var insert = sql.insert(into: Enrolment.schema)
                .columns("id", "user_id", "course_id", "organisation_id", "version", "status", "percent", "seconds_spent", "enrolled_at", "enrolled_by", "updated_at")
            for index in start..<min(start + 500, group.count) {
                let write = group[index]
                insert = insert.values(SQLBind(ids[index]), SQLBind(write.userID), SQLBind(write.courseID), SQLBind(write.organisationID), SQLBind(write.version),
                                       SQLBind(Enrolment.Status.active.rawValue), SQLBind(0.0), SQLBind(0), SQLBind(now), SQLBind(write.by), SQLBind(now))
            }
            struct Row: Decodable { var id: UUID }
            inserted.formUnion(try await insert.ignoringConflicts(with: ["user_id", "course_id"]).returning("id").all(decoding: Row.self).map(\.id))
        }
        var answers: [Answer?] = Array(repeating: nil, count: group.count)
        var firsts: [Karma.Gift] = []
        var tally = RollupTally()
        var activities: [Rollups.Activity] = []
        var facts: [CampaignFact] = []
        let day = IndiaDay.of(now)
        for (index, write) in group.enumerated() where inserted.contains(ids[index]) {
            let enrolment = Enrolment()
            enrolment.id = ids[index]
            enrolment.userID = write.userID
            enrolment.courseID = write.courseID
            enrolment.organisationID = write.organisationID
            enrolment.version = write.version
            enrolment.status = .active
            enrolment.percent = 0
            enrolment.secondsSpent = 0
            enrolment.enrolledAt = now
            enrolment.enrolledBy = write.by
            answers[index] = Answer(enrolment: EnrolmentDTO(enrolment), created: true)
            firsts.append(.init(reason: .firstEnrolment, userID: write.userID, organisationID: write.organisationID, course: write.courseID))
            if let place = write.place {
                tally.add(RollupCounters(enrolments: 1), place: place, day: day, course: write.courseID)
                activities.append(.init(userID: write.userID, place: place))
                facts.append(CampaignFact(userID: write.userID, place: place, course: write.courseID, version: write.version, enrolments: 1))
            }
        }
        try await Karma.give(firsts, at: now, on: database)
        if !activities.isEmpty {
            try await Rollups.record(activities, day: day, known: known, into: &tally, on: database)
            // Rollups, then campaigns: the order every counting transaction writes them in.
            try await Rollups.write(tally, on: database)
            try await CampaignCounts.record(facts, at: now, on: database)
        }

        // The rest were enrolled already (or twice in this group): answered with what is stored, an enrolment left taken up again.
        let repeats = group.indices.filter { answers[$0] == nil }
        if !repeats.isEmpty {
            let pairs = Set(repeats.map { Pair(user: group[$0].userID, course: group[$0].courseID) })
            let existing = try await Enrolments.of(pairs: pairs.map { ($0.user, $0.course) }, on: database)
            var byPair = Dictionary(existing.map { (Pair(user: $0.userID, course: $0.courseID), $0) }, uniquingKeysWith: { first, _ in first })
            let left = existing.filter { $0.status == .left }.map { $0.id! }
            if !left.isEmpty {
                try await sql.update(Enrolment.schema).set("status", to: SQLBind(Enrolment.Status.active.rawValue)).set("updated_at", to: SQLBind(now))
                    .where("id", .in, SQLBind.group(left)).run()
                for (pair, enrolment) in byPair where enrolment.status == .left {
                    enrolment.status = .active
                    byPair[pair] = enrolment
                }
            }
            for index in repeats {
                guard let enrolment = byPair[Pair(user: group[index].userID, course: group[index].courseID)] else { throw Problem.notFound("enrolment") }
                answers[index] = Answer(enrolment: EnrolmentDTO(enrolment), created: false)
            }
        }
        return answers.map { $0! }
    }
}

extension Application {
    private struct EnrolCommitsKey: StorageKey { typealias Value = GroupCommit<EnrolWrite> }

    /// Made once by `configure`.
    var enrolCommits: GroupCommit<EnrolWrite> {
        get { storage[EnrolCommitsKey.self]! }
        set { storage[EnrolCommitsKey.self] = newValue }
    }
}
