import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A learner in a course: the version they enrolled in (kept until they complete it), where they are, and
/// what completing it credited.
final class Enrolment: Model, @unchecked Sendable {
    static let schema = "enrolments"

    enum Status: String, Codable, Sendable {
        case active, left, completed
    }

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "course_id") var courseID: UUID
    @Field(key: "organisation_id") var organisationID: UUID
    @Field(key: "version") var version: Int
    @Field(key: "status") var status: Status
    @Field(key: "percent") var percent: Double
    @Field(key: "seconds_spent") var secondsSpent: Int
    @OptionalField(key: "last_item_id") var lastItemID: UUID?
    @OptionalField(key: "last_accessed_at") var lastAccessedAt: Date?
    @Field(key: "enrolled_at") var enrolledAt: Date
    @Field(key: "enrolled_by") var enrolledBy: UUID
    @OptionalField(key: "completed_at") var completedAt: Date?
    /// The course's duration, credited as learning time when it completed.
    @OptionalField(key: "credited_minutes") var creditedMinutes: Int?

    init() {}
}

/// Competencies a learner holds, with their evidence: a completed course (and its certificate), or a
/// self-declaration that stays unverified until the learner's MDO admin approves it.
final class PassbookEntry: Model, @unchecked Sendable {
    static let schema = "passbook_entries"

    enum Source: String, Codable, Sendable { case course, declared, event, programme }
    enum Status: String, Codable, Sendable { case verified, unverified, rejected }

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "competency_id") var competencyID: UUID
    @Field(key: "level") var level: Int
    @Field(key: "source") var source: Source
    @Field(key: "status") var status: Status
    @OptionalField(key: "course_id") var courseID: UUID?
    @OptionalField(key: "enrolment_id") var enrolmentID: UUID?
    @OptionalField(key: "certificate_id") var certificateID: UUID?
    @OptionalField(key: "note") var note: String?
    @OptionalField(key: "decided_by") var decidedBy: UUID?
    @OptionalField(key: "decided_at") var decidedAt: Date?

    init() {}

    init(user: UUID, competency: UUID, level: Int, source: Source, status: Status) {
        userID = user
        competencyID = competency
        self.level = level
        self.source = source
        self.status = status
    }
}

/// Every karma point given, with its reason: totals and leaderboards are sums over this ledger.
final class KarmaEntry: Model, @unchecked Sendable {
    static let schema = "karma_ledger"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "organisation_id") var organisationID: UUID
    @Field(key: "reason") var reason: KarmaReason
    @Field(key: "points") var points: Int
    @OptionalField(key: "course_id") var courseID: UUID?
    /// The calendar month (UTC) it was given in, "2026-11": leaderboards and the monthly cap read it.
    @Field(key: "month") var month: String
    @Field(key: "given_at") var givenAt: Date

    init() {}
}

struct CreateLearning: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Enrolment.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("course_id", .uuid, .required, .references(Course.schema, "id"))
            .field("organisation_id", .uuid, .required)
            .field("version", .int, .required)
            .field("status", .string, .required)
            .field("percent", .double, .required)
            .field("seconds_spent", .int64, .required)
            .field("last_item_id", .uuid)
            .field("last_accessed_at", .datetime)
            .field("enrolled_at", .datetime, .required)
            .field("enrolled_by", .uuid, .required)
            .field("completed_at", .datetime)
            .field("credited_minutes", .int)
            .field("updated_at", .datetime)
            .unique(on: "user_id", "course_id")
            .create()
        try await database.index("enrolments_course", on: Enrolment.schema, columns: ["course_id", "status"])
        // Per item, the merged state; the key is the pair, written by upserts that merge in SQL.
        try await database.schema("item_progress")
            .field("enrolment_id", .uuid, .required, .references(Enrolment.schema, "id"))
            .field("item_id", .uuid, .required)
            .field("status", .int, .required)
            .field("percent", .double, .required)
            .field("seconds_spent", .int64, .required)
            .field("client_time", .datetime)
            .field("updated_at", .datetime, .required)
            .compositeIdentifier(over: "enrolment_id", "item_id")
            .create()
        // The keys of applied updates: a resent update finds its key here and its seconds are not counted again.
        try await database.schema("progress_keys")
            .field("user_id", .uuid, .required)
            .field("key", .string, .required)
            .field("created_at", .datetime, .required)
            .compositeIdentifier(over: "user_id", "key")
            .create()
        try await database.schema(PassbookEntry.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("competency_id", .uuid, .required, .references(Competency.schema, "id"))
            .field("level", .int, .required)
            .field("source", .string, .required)
            .field("status", .string, .required)
            .field("course_id", .uuid)
            .field("enrolment_id", .uuid)
            .field("certificate_id", .uuid)
            .field("note", .string)
            .field("decided_by", .uuid)
            .field("decided_at", .datetime)
            .field("created_at", .datetime)
            .create()
        try await database.index("passbook_user", on: PassbookEntry.schema, columns: ["user_id", "competency_id"])
        try await database.schema(KarmaEntry.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("organisation_id", .uuid, .required)
            .field("reason", .string, .required)
            .field("points", .int, .required)
            .field("course_id", .uuid)
            .field("month", .string, .required)
            .field("given_at", .datetime, .required)
            // Set for once-only reasons (first sign-in, first enrolment): unique with the user, so they are given once.
            .field("once_key", .string)
            .unique(on: "user_id", "once_key")
            .create()
        try await database.index("karma_user", on: KarmaEntry.schema, columns: ["user_id", "reason"])
        try await database.index("karma_board", on: KarmaEntry.schema, columns: ["organisation_id", "month"])
    }

    func revert(on database: any Database) async throws {
        for table in [KarmaEntry.schema, PassbookEntry.schema, "progress_keys", "item_progress", Enrolment.schema] {
            try await database.schema(table).delete()
        }
    }
}

/// The passbook as other rooms read it in bulk.
enum PassbookEntries {
    /// The highest verified level of each competency, person by person, for `people` (a thousand at a time).
    static func verifiedLevels(of people: [UUID], on database: any Database) async throws -> [UUID: [UUID: Int]] {
        struct Row: Decodable { var user_id: UUID; var competency_id: UUID; var level: Int }
        var levels: [UUID: [UUID: Int]] = [:]
        for start in stride(from: 0, to: people.count, by: 1000) {
            let group = Array(people[start..<min(start + 1000, people.count)])
            let rows = try await (database as! any SQLDatabase).select().column("user_id").column("competency_id")
                .column(SQLFunction("MAX", args: SQLIdentifier("level")), as: "level").from(PassbookEntry.schema)
                .where("user_id", .in, SQLBind.group(group)).where("status", .equal, SQLBind(PassbookEntry.Status.verified.rawValue))
                .groupBy("user_id").groupBy("competency_id").all(decoding: Row.self)
            for row in rows { levels[row.user_id, default: [:]][row.competency_id] = row.level }
        }
        return levels
    }
}
