import Fluent
import Foundation
import KarmayogiCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Counters kept as events happen, in the event's own transaction: for every scope a person counts in (the nation,
/// their State, their district, each organisation up their tree), by day, for each course and for all courses together.
/// A dashboard for any scope reads only its own rows, so it costs the same at a hundred enrolments as at a hundred million.
///
/// The sources the counters are recomputed from (`karmayogi rollups verify`): enrolments (enrolled and completed),
/// certificates, users (registrations), `learning_days` (seconds learnt per person, course and day) and `active_days`
/// (the days each person was active).
enum Rollups {
    static let table = "rollups"

    /// Where a person counts, read from their account and organisation.
    static func place(of userID: UUID, on database: any Database) async throws -> LearnerPlace? {
        struct Row: Decodable { var path: String; var state_code: Int?; var district_code: Int?; var organisation_state: Int?; var organisation_district: Int? }
        return try await (database as! any SQLDatabase).select()
            .column(SQLColumn("path", table: "o")).column(SQLColumn("state_code", table: "u")).column(SQLColumn("district_code", table: "u"))
            .column(SQLColumn("state_code", table: "o"), as: "organisation_state").column(SQLColumn("district_code", table: "o"), as: "organisation_district")
            .fromPeople()
            .where(SQLColumn("id", table: "u"), .equal, SQLBind(userID))
            .first(decoding: Row.self)
            .map { LearnerPlace(organisationPath: $0.path, userState: $0.state_code, userDistrict: $0.district_code,
                                organisationState: $0.organisation_state, organisationDistrict: $0.organisation_district) }
    }

    /// Where each of these people counts now.
    static func places(of userIDs: [UUID], on sql: any SQLDatabase) async throws -> [UUID: LearnerPlace] {
        var places: [UUID: LearnerPlace] = [:]
        for start in stride(from: 0, to: userIDs.count, by: 1_000) {
            let query = sql.select()
                .column(SQLColumn("id", table: "u")).column(SQLColumn("path", table: "o")).column(SQLColumn("state_code", table: "u"))
                .column(SQLColumn("district_code", table: "u")).column(SQLColumn("state_code", table: "o")).column(SQLColumn("district_code", table: "o"))
                .fromPeople()
                .where(SQLColumn("id", table: "u"), .in, SQLBind.group(Array(userIDs[start..<min(start + 1_000, userIDs.count)]))).query
            for (id, place) in try await sql.rows(query, { cells in
                (try cells.id(0), LearnerPlace(organisationPath: try cells.string(1) ?? "/", userState: try cells.int(2), userDistrict: try cells.int(3),
                                               organisationState: try cells.int(4), organisationDistrict: try cells.int(5)))
            }) { places[id] = place }
        }
        return places
    }

    /// Seconds learnt per person and course over some days (the source of the learning counters).
    static func learnt(days: ClosedRange<Int>, on sql: any SQLDatabase) async throws -> [(user: UUID, course: UUID, seconds: Int)] {
        let query = sql.select().column("user_id").column("course_id").column(SQLQueryString("CAST(SUM(\(ident: "seconds")) AS BIGINT)"), as: "seconds")
            .from("learning_days").where("day", .greaterThanOrEqual, SQLBind(days.lowerBound)).where("day", .lessThanOrEqual, SQLBind(days.upperBound))
            .groupBy("user_id").groupBy("course_id").query
        return try await sql.rows(query) { cells in (try cells.id(0), try cells.id(1), try cells.int(2) ?? 0) }
    }

    static func place(of user: User, in organisation: Organisation) -> LearnerPlace {
        LearnerPlace(organisationPath: organisation.path, userState: user.stateCode, userDistrict: user.districtCode,
                     organisationState: organisation.stateCode, organisationDistrict: organisation.districtCode)
    }

    /// Adds a transaction's tally to the counters: upserts in key order, the transaction's last writes.
    static func write(_ tally: RollupTally, on database: any Database) async throws {
        guard !tally.isEmpty else { return }
        let sql = database as! any SQLDatabase
        let rows = tally.sorted
        for start in stride(from: 0, to: rows.count, by: 400) {
            var insert = sql.insert(into: table).columns(["scope", "day", "course_id"] + RollupCounters.names)
            for (key, counters) in rows[start..<min(start + 400, rows.count)] {
                insert = insert.values([SQLBind(key.scope), SQLBind(key.day), SQLBind(key.course)] + counters.values.map { SQLBind($0) })
            }
            try await insert.onConflict(with: ["scope", "day", "course_id"]) { update in
                var update = update
                for name in RollupCounters.names {
                    update = update.set(name, to: SQLBinaryExpression(SQLColumn(name, table: table), .add, SQLExcludedColumn(name)))
                }
                return update
            }.run()
        }
    }

    /// One person's activity in a group of writes: the seconds learnt per course (none for a visit that only counts the day).
    struct Activity: Sendable {
        var userID: UUID
        var place: LearnerPlace
        var seconds: [UUID: Int] = [:]
    }

    /// Records that a person was active on `day` (and learnt `seconds` per course): the source rows, and in the tally
    /// the seconds, and the active-learner windows this activity is the person's first in.
    static func activity(of userID: UUID, place: LearnerPlace, day: Int, seconds: [UUID: Int], into tally: inout RollupTally, on database: any Database) async throws {
        try await record([Activity(userID: userID, place: place, seconds: seconds)], day: day, known: nil, into: &tally, on: database)
    }

    /// Records a group's activities on `day`: one upsert of the learning days, one insert of the active days (skipping
    /// people `known` to be counted already), and one read of the other active days of those it counts for the first time.
    static func record(_ activities: [Activity], day: Int, known: KnownActiveDays?, into tally: inout RollupTally, on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        var seconds: [UUID: [UUID: Int]] = [:]
        for activity in activities {
            for (course, spent) in activity.seconds {
                seconds[activity.userID, default: [:]][course, default: 0] += spent
                tally.add(RollupCounters(learningSeconds: spent), place: activity.place, day: day, course: course)
            }
        }
        let learnt = seconds.flatMap { user, courses in courses.map { (user, $0.key, $0.value) } }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        for start in stride(from: 0, to: learnt.count, by: 1000) {
            var insert = sql.insert(into: "learning_days").columns("user_id", "course_id", "day", "seconds")
            for (user, course, spent) in learnt[start..<min(start + 1000, learnt.count)] {
                insert = insert.values(SQLBind(user), SQLBind(course), SQLBind(day), SQLBind(spent))
            }
            try await insert.onConflict(with: ["user_id", "course_id", "day"]) {
                $0.set("seconds", to: SQLBinaryExpression(SQLColumn("seconds", table: "learning_days"), .add, SQLExcludedColumn("seconds")))
            }.run()
        }

        // The first activity of a person's day: only the transaction that inserts the row counts it.
        var places: [UUID: LearnerPlace] = [:]
        for activity in activities where known?.contains(activity.userID, day: day) != true { places[activity.userID] = activity.place }
        guard !places.isEmpty else { return }
        struct Row: Decodable { var user_id: UUID; var day: Int }
        var firsts = Set<UUID>()
        let people = places.keys.sorted()
        for start in stride(from: 0, to: people.count, by: 1000) {
            var insert = sql.insert(into: "active_days").columns("user_id", "day")
            for user in people[start..<min(start + 1000, people.count)] { insert = insert.values(SQLBind(user), SQLBind(day)) }
            firsts.formUnion(try await insert.ignoringConflicts(with: ["user_id", "day"]).returning("user_id", "day").all(decoding: Row.self).map(\.user_id))
        }
        // Those found counted already were counted by a transaction that committed (an insert waits for one that has not):
        // this node need not try again today.
        known?.remember(people.filter { !firsts.contains($0) }, day: day)
        guard !firsts.isEmpty else { return }
        let longest = ActiveWindows.lengths.max()!
        let others = Dictionary(grouping: try await sql.select().column("user_id").column("day").from("active_days")
            .where("user_id", .in, SQLBind.group(Array(firsts)))
            .where("day", .greaterThan, SQLBind(day - longest)).where("day", .lessThan, SQLBind(day + longest))
            .where("day", .notEqual, SQLBind(day)).all(decoding: Row.self), by: \.user_id).mapValues { $0.map(\.day) }
        for user in firsts {
            for (length, counters) in zip(ActiveWindows.lengths, [RollupCounters(active1: 1), RollupCounters(active7: 1), RollupCounters(active30: 1)]) {
                for end in ActiveWindows.newWindowEnds(day: day, length: length, otherActiveDays: others[user] ?? []) {
                    tally.add(counters, place: places[user]!, day: end)
                }
            }
        }
    }
}

/// The people this node has seen counted as active today (their row in `active_days` committed), so their next
/// updates today skip that insert. Only ever a shortcut: without it the insert finds the row and counts nothing.
final class KnownActiveDays: Sendable {
    private let state = NIOLockedValueBox((day: Int.min, people: Set<UUID>()))

    func contains(_ userID: UUID, day: Int) -> Bool {
        state.withLockedValue { $0.day == day && $0.people.contains(userID) }
    }

    func remember(_ people: [UUID], day: Int) {
        guard !people.isEmpty else { return }
        state.withLockedValue { state in
            if state.day != day || state.people.count > 2_000_000 { state = (day, []) }
            state.people.formUnion(people)
        }
    }
}

extension Application {
    private struct KnownActiveDaysKey: StorageKey { typealias Value = KnownActiveDays }

    /// Made once by `configure`.
    var activeDays: KnownActiveDays {
        get { storage[KnownActiveDaysKey.self]! }
        set { storage[KnownActiveDaysKey.self] = newValue }
    }
}

/// The counters' table as the migrations below made it, frozen here: a row for each key, a column for each counter of
/// 2026-11 (a counter added later comes with a migration of its own that adds its column).
private enum RollupsAsMigrated {
    /// (Column names, written as one string: two of them are also other rooms' table names.)
    static let counters = "enrolments completions certificates learning_seconds registrations active1 active7 active30".split(separator: " ").map(String.init)

    static func createTable(_ name: String, key: [FieldKey], on database: any Database) async throws {
        var schema = database.schema(name)
            .field("scope", .string, .required)
            .field("day", .int, .required)
            .field("course_id", .uuid, .required)
        for counter in counters { schema = schema.field(.definition(name: .key(.string(counter)), dataType: .int64, constraints: [.required])) }
        try await schema.constraint(.constraint(.compositeIdentifier(key.map { .key($0) }), name: "")).create()
    }
}

struct CreateRollups: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await RollupsAsMigrated.createTable("rollups", key: ["scope", "day", "course_id"], on: database)
        try await database.index("rollups_day", on: "rollups", columns: ["day"])
        try await database.schema("active_days")
            .field("user_id", .uuid, .required)
            .field("day", .int, .required)
            .compositeIdentifier(over: "user_id", "day")
            .create()
        try await database.index("active_days_day", on: "active_days", columns: ["day"])
        try await database.schema("learning_days")
            .field("user_id", .uuid, .required)
            .field("course_id", .uuid, .required)
            .field("day", .int, .required)
            .field("seconds", .int64, .required)
            .compositeIdentifier(over: "user_id", "course_id", "day")
            .create()
        try await database.index("learning_days_day", on: "learning_days", columns: ["day"])
        // What `rollups verify` reads day by day.
        try await database.index("enrolments_enrolled_at", on: Enrolment.schema, columns: ["enrolled_at"])
        try await database.index("enrolments_completed_at", on: Enrolment.schema, columns: ["completed_at"])
        try await database.index("users_created_at", on: User.schema, columns: ["created_at"])
        try await database.index("certificates_issued_at", on: Certificate.schema, columns: ["issued_at"])
    }

    func revert(on database: any Database) async throws {
        for table in ["learning_days", "active_days", "rollups"] { try await database.schema(table).delete() }
    }
}

/// Keys the counters by scope, course and day, so that a scope's totals (the all-courses rows of a period) are one range
/// of the key, however many courses a month has rows for; and ranks each scope's month by completions, so that the top
/// courses are read from the top rather than by adding up the whole catalogue.
struct RekeyRollups: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await rekey(["scope", "course_id", "day"], on: database)
        try await database.index("rollups_ranked", on: "rollups", columns: ["scope", "day", "completions", "course_id"])
    }

    func revert(on database: any Database) async throws {
        try await rekey(["scope", "day", "course_id"], on: database)
    }

    /// Copies the counters into a table with the new key, in its order, and puts it in the old one's place.
    private func rekey(_ key: [FieldKey], on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let table = "rollups", copy = "rollups_rekeyed"
        try await RollupsAsMigrated.createTable(copy, key: key, on: database)
        let columns = (["scope", "day", "course_id"] + RollupsAsMigrated.counters).map { SQLIdentifier($0) }
        try await sql.raw("""
            INSERT INTO \(ident: copy) (\(SQLList(columns))) SELECT \(SQLList(columns)) FROM \(ident: table) \
            ORDER BY \(SQLList(key.map { SQLIdentifier($0.description) }))
            """).run()
        try await database.schema(table).delete()
        try await sql.raw("ALTER TABLE \(ident: copy) RENAME TO \(ident: table)").run()
        if sql.dialect.name == "postgresql" {   // the key keeps the copy's name otherwise, and the next copy's would clash
            try await sql.raw("ALTER TABLE \(ident: table) RENAME CONSTRAINT \(ident: copy + "_pkey") TO \(ident: table + "_pkey")").run()
        }
        try await database.index("rollups_day", on: table, columns: ["day"])
    }
}

extension SQLSelectBuilder {
    /// People (`u`) with their organisations (`o`): what plans, suggestions and reports select from.
    func fromPeople() -> Self {
        from(SQLAlias(SQLIdentifier(User.schema), as: SQLIdentifier("u")))
            .join(SQLAlias(SQLIdentifier(Organisation.schema), as: SQLIdentifier("o")), on: SQLColumn("id", table: "o"), .equal, SQLColumn("organisation_id", table: "u"))
    }
}
