import Fluent
import Foundation
import KarmayogiCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Recomputes the rollups from their sources, a calendar month at a time (so memory stays bounded at national scale;
/// course counters are kept by month, so a month is the smallest span that holds whole rows),
/// compares them with the stored counters and reports every difference; `repair` replaces the stored counters of
/// the days that differ with the recomputed ones. Run it while writes are quiet: a count made during a repair of the
/// same days may be lost.
enum RollupCheck {
    struct Difference: Sendable, CustomStringConvertible {
        var scope: String
        var day: Int
        var course: UUID
        var counter: String
        var stored: Int
        var expected: Int

        var description: String {
            let course = course == RollupTally.allCourses ? "all courses" : "course \(course.uuidString.lowercased())"
            return "\(IndiaDay.string(day)) \(scope) \(course): \(counter) stored \(stored), recomputed \(expected)"
        }
    }

    struct Report: Sendable {
        var firstDay: Int?
        var lastDay: Int?
        var rows = 0
        var differenceCount = 0
        /// The first differences found (at most 1,000).
        var differences: [Difference] = []
        var repairedDays = 0
    }

    static func run(repair: Bool, on database: any Database, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Report {
        var report = Report()
        guard let (first, last) = try await span(on: database) else { return report }
        report.firstDay = IndiaDay.monthStart(first)
        report.lastDay = last
        let organisations = try await places(on: database)
        var chunks: [(Int, Int)] = []
        var month = IndiaDay.monthStart(first)
        while month <= last {
            let next = IndiaDay.monthStart(month + 31)
            chunks.append((month, next - 1))
            month = next
        }
        // The all-time registration rows gather over every month, and are compared last.
        var allTime = RollupTally()
        for (index, (start, end)) in chunks.enumerated() {
            let recomputed = try await recompute(start...end, organisations: organisations, on: database)
            allTime.merge(recomputed.filter(days: RollupTally.allTime...RollupTally.allTime))
            let expected = recomputed.filter(days: start...end)
            try await compare(expected: expected, days: start...end, repair: repair, into: &report, on: database)
            progress(index + 1, chunks.count)
        }
        try await compare(expected: allTime, days: RollupTally.allTime...RollupTally.allTime, repair: repair, into: &report, on: database)
        return report
    }

    /// Compares the recomputed counters of some days with those stored, notes each difference, and (repairing)
    /// replaces the stored rows of those days when any differ.
    private static func compare(expected: RollupTally, days: ClosedRange<Int>, repair: Bool, into report: inout Report, on database: any Database) async throws {
        let stored = try await self.stored(days, on: database)
        var keys = Set(expected.rows.keys)
        keys.formUnion(stored.keys)
        report.rows += keys.count
        var differs = false
        for key in keys {
            let want = expected.rows[key] ?? RollupCounters(), have = stored[key] ?? RollupCounters()
            guard want != have else { continue }
            differs = true
            for (name, (mine, theirs)) in zip(RollupCounters.names, zip(have.values, want.values)) where mine != theirs {
                report.differenceCount += 1
                if report.differences.count < 1_000 {
                    report.differences.append(Difference(scope: key.scope, day: key.day, course: key.course, counter: name, stored: mine, expected: theirs))
                }
            }
        }
        report.differences.sort { ($0.day, $0.scope, $0.counter) < ($1.day, $1.scope, $1.counter) }
        if repair, differs {
            try await database.transaction { database in
                try await (database as! any SQLDatabase).delete(from: Rollups.table)
                    .where("day", .greaterThanOrEqual, SQLBind(days.lowerBound)).where("day", .lessThanOrEqual, SQLBind(days.upperBound)).run()
                try await Rollups.write(expected, on: database)
            }
            report.repairedDays += days.count
        }
    }

    /// The days anything was counted or should be: from the earliest source row to the last day an active window reaches.
    private static func span(on database: any Database) async throws -> (Int, Int)? {
        let sql = database as! any SQLDatabase
        struct Times: Decodable { var low: Date?; var high: Date? }
        struct Days: Decodable { var low: Int?; var high: Int? }
        var low: [Int] = [], high: [Int] = []
        for (table, column) in [(User.schema, "created_at"), (Enrolment.schema, "enrolled_at"), (Enrolment.schema, "completed_at"), (Certificate.schema, "issued_at")] {
            let row = try await sql.select().column(SQLFunction("MIN", args: SQLColumn(column)), as: "low").column(SQLFunction("MAX", args: SQLColumn(column)), as: "high")
                .from(table).first(decoding: Times.self)
            if let value = row?.low { low.append(IndiaDay.of(value)) }
            if let value = row?.high { high.append(IndiaDay.of(value)) }
        }
        for (table, reach) in [("active_days", ActiveWindows.lengths.max()! - 1), ("learning_days", 0), (Rollups.table, 0)] {
            let row = try await sql.select().column(SQLFunction("MIN", args: SQLColumn("day")), as: "low").column(SQLFunction("MAX", args: SQLColumn("day")), as: "high")
                .from(table).where("day", .greaterThanOrEqual, SQLBind(0)).first(decoding: Days.self)
            if let value = row?.low { low.append(value) }
            if let value = row?.high { high.append(value + reach) }
        }
        guard let first = low.min(), let last = high.max() else { return nil }
        return (first, last)
    }

    private struct OrganisationPlace: Sendable { var path: String; var state: Int?; var district: Int? }

    private static func places(on database: any Database) async throws -> [UUID: OrganisationPlace] {
        struct Row: Decodable { var id: UUID; var path: String; var state_code: Int?; var district_code: Int? }
        let rows = try await (database as! any SQLDatabase).select().columns("id", "path", "state_code", "district_code").from(Organisation.schema)
            .all(decoding: Row.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, OrganisationPlace(path: $0.path, state: $0.state_code, district: $0.district_code)) })
    }

    /// The counts of a month as they are read: places numbered once (a person's place is their organisation, State and
    /// district), counts added under those numbers.
    private struct Recount: Sendable {
        struct Place: Hashable { var organisation: UUID; var state: Int?; var district: Int? }
        let organisations: [UUID: OrganisationPlace]
        var builder = RollupTally.Builder()
        var numbers: [Place: Int] = [:]
        /// The first row that could not be read (the counts are then incomplete, and the check fails).
        var failure: (any Error)?
        /// The person whose active days are being read (they come person by person): their place and days so far.
        var person: (user: UUID, place: Int?, days: [Int])?

        /// Counts the person read so far in the active-learner windows that end on these days.
        mutating func countActive(endingIn days: ClosedRange<Int>) {
            guard let person, let place = person.place else { return }
            for (length, counters) in zip(ActiveWindows.lengths, [RollupCounters(active1: 1), RollupCounters(active7: 1), RollupCounters(active30: 1)]) {
                for end in ActiveWindows.windowEnds(of: person.days, length: length) where days.contains(end) { builder.add(counters, place: place, day: end) }
            }
        }

        /// The number of a person's place, or nil when their organisation is unknown.
        mutating func place(_ row: any SQLRow) throws -> Int? {
            let place = Place(organisation: try row.decode(column: "organisation_id", as: UUID.self),
                              state: try row.decode(column: "state_code", as: Int?.self), district: try row.decode(column: "district_code", as: Int?.self))
            if let number = numbers[place] { return number }
            guard let organisation = organisations[place.organisation] else { return nil }
            let number = builder.number(LearnerPlace(organisationPath: organisation.path, userState: place.state, userDistrict: place.district,
                                                     organisationState: organisation.state, organisationDistrict: organisation.district))
            numbers[place] = number
            return number
        }
    }

    /// What the sources say the counters of these days are.
    private static func recompute(_ days: ClosedRange<Int>, organisations: [UUID: OrganisationPlace], on database: any Database) async throws -> RollupTally {
        let sql = database as! any SQLDatabase
        let recount = NIOLockedValueBox(Recount(organisations: organisations))
        let from = IndiaDay.start(days.lowerBound), to = IndiaDay.start(days.upperBound + 1)
        let postgres = sql.dialect.name == "postgresql"
        /// Rows of a source counted per day, course and place: `time` is a timestamp column (else the table has `day`).
        func count(_ table: String, time: String?, course: Bool, value: String = "COUNT(*)", as counters: @escaping @Sendable (Int) -> RollupCounters) async throws {
            let day: SQLQueryString
            if let time {
                day = postgres ? "CAST(FLOOR((EXTRACT(EPOCH FROM \(ident: "x").\(ident: time)) + \(unsafeRaw: String(Int(IndiaDay.offset)))) / 86400) AS INTEGER)"
                    : "CAST((\(ident: "x").\(ident: time) + \(unsafeRaw: String(Int(IndiaDay.offset)))) / 86400 AS INTEGER)"
            } else {
                day = "\(ident: "x").\(ident: "day")"
            }
            let courseColumn: SQLQueryString = course ? "\(ident: "x").\(ident: "course_id")" : "NULL"
            let join: SQLQueryString = table == User.schema ? "" : " JOIN \(ident: User.schema) \(ident: "u") ON \(ident: "u").\(ident: "id") = \(ident: "x").\(ident: "user_id")"
            let person = table == User.schema ? "x" : "u"
            let range: SQLQueryString = time.map { "\(ident: "x").\(ident: $0) >= \(bind: from) AND \(ident: "x").\(ident: $0) < \(bind: to)" }
                ?? "\(ident: "x").\(ident: "day") >= \(bind: days.lowerBound) AND \(ident: "x").\(ident: "day") <= \(bind: days.upperBound)"
            let query: SQLQueryString = """
                SELECT \(day) AS \(ident: "day"), \(courseColumn) AS \(ident: "course_id"), \(ident: person).\(ident: "organisation_id") AS \(ident: "organisation_id"),
                \(ident: person).\(ident: "state_code") AS \(ident: "state_code"), \(ident: person).\(ident: "district_code") AS \(ident: "district_code"),
                CAST(\(unsafeRaw: value) AS BIGINT) AS \(ident: "value")
                FROM \(ident: table) \(ident: "x")\(join) WHERE \(range)
                GROUP BY 1, 2, 3, 4, 5
                """
            try await sql.raw(query).run { row in
                recount.withLockedValue { recount in
                    do {
                        guard let place = try recount.place(row) else { return }
                        recount.builder.add(counters(try row.decode(column: "value", as: Int.self)), place: place, day: try row.decode(column: "day", as: Int.self),
                                            course: try row.decode(column: "course_id", as: UUID?.self))
                    } catch {
                        recount.failure = recount.failure ?? error
                    }
                }
            }
            if let failure = recount.withLockedValue({ $0.failure }) { throw failure }
        }
        try await count(User.schema, time: "created_at", course: false) { RollupCounters(registrations: $0) }
        try await count(Enrolment.schema, time: "enrolled_at", course: true) { RollupCounters(enrolments: $0) }
        try await count(Enrolment.schema, time: "completed_at", course: true) { RollupCounters(completions: $0) }
        try await count(Certificate.schema, time: "issued_at", course: true) { RollupCounters(certificates: $0) }
        try await count("learning_days", time: nil, course: true, value: "SUM(\"seconds\")") { RollupCounters(learningSeconds: $0) }

        // Active learners: each person's active days from a window's length before these days, person by person.
        let reach = ActiveWindows.lengths.max()! - 1
        try await sql.select()
            .column(SQLColumn("user_id", table: "a")).column(SQLColumn("day", table: "a")).column(SQLColumn("organisation_id", table: "u"))
            .column(SQLColumn("state_code", table: "u")).column(SQLColumn("district_code", table: "u"))
            .from(SQLAlias(SQLIdentifier("active_days"), as: SQLIdentifier("a")))
            .join(SQLAlias(SQLIdentifier(User.schema), as: SQLIdentifier("u")), on: SQLColumn("id", table: "u"), .equal, SQLColumn("user_id", table: "a"))
            .where(SQLColumn("day", table: "a"), .greaterThanOrEqual, SQLBind(days.lowerBound - reach))
            .where(SQLColumn("day", table: "a"), .lessThanOrEqual, SQLBind(days.upperBound))
            .orderBy(SQLColumn("user_id", table: "a"))
            .run { row in
                recount.withLockedValue { recount in
                    do {
                        let user = try row.decode(column: "user_id", as: UUID.self), day = try row.decode(column: "day", as: Int.self)
                        if recount.person?.user != user {
                            recount.countActive(endingIn: days)
                            recount.person = (user, try recount.place(row), [])
                        }
                        recount.person?.days.append(day)
                    } catch {
                        recount.failure = recount.failure ?? error
                    }
                }
            }
        return try recount.withLockedValue { recount in
            recount.countActive(endingIn: days)
            if let failure = recount.failure { throw failure }
            return recount.builder.tally
        }
    }

    private static func stored(_ days: ClosedRange<Int>, on database: any Database) async throws -> [RollupTally.Key: RollupCounters] {
        let sql = database as! any SQLDatabase
        var stored: [RollupTally.Key: RollupCounters] = [:]
        let rows = try await sql.select().columns(["scope", "day", "course_id"] + RollupCounters.names).from(Rollups.table)
            .where("day", .greaterThanOrEqual, SQLBind(days.lowerBound)).where("day", .lessThanOrEqual, SQLBind(days.upperBound)).all()
        for row in rows {
            let key = RollupTally.Key(scope: try row.decode(column: "scope", as: String.self), day: try row.decode(column: "day", as: Int.self),
                                      course: try row.decode(column: "course_id", as: UUID.self))
            stored[key] = RollupCounters(values: try RollupCounters.names.map { try row.decode(column: $0, as: Int.self) })
        }
        return stored
    }
}

/// `karmayogi rollups verify` recomputes every counter from the source rows and lists each difference (exit status 1
/// when there is one); `karmayogi rollups rebuild` also replaces the counters of the days that differ.
struct RollupsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "verify or rebuild") var action: String
    }

    var help: String { "Checks the insight counters against their sources (verify) and repairs them (rebuild)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "verify" || signature.action == "rebuild" else { throw Problem(.badRequest, "say verify or rebuild") }
        let repair = signature.action == "rebuild"
        let started = Date()
        let console = context.console
        let report = try await RollupCheck.run(repair: repair, on: context.application.db) { done, total in
            console.output("\r\(GenerateCommand.bar(done, of: total)) \(done)/\(total) months".consoleText(), newLine: false)
        }
        console.print("")
        guard let first = report.firstDay, let last = report.lastDay else {
            console.print("Nothing to check: no source rows and no counters.")
            return
        }
        for difference in report.differences.prefix(repair ? 20 : 1_000) { console.print(difference.description) }
        if report.differenceCount > report.differences.count { console.print("… and \(report.differenceCount - report.differences.count) more") }
        let elapsed = String(format: "%.1f", Date().timeIntervalSince(started))
        console.print("Checked \(last - first + 1) days (\(IndiaDay.string(first)) to \(IndiaDay.string(last))), \(report.rows) counter rows, in \(elapsed) s: "
            + (report.differenceCount == 0 ? "all exact." : "\(report.differenceCount) differences" + (repair ? "; repaired \(report.repairedDays) days." : ".")))
        let campaigns = try await CampaignCheck.run(repair: repair, now: Date(), on: context.application.db)
        for difference in campaigns.differences.prefix(repair ? 20 : 1_000) { console.print(difference.description) }
        console.print("Checked \(campaigns.campaigns) campaigns, \(campaigns.rows) counter and participant rows: "
            + (campaigns.differences.isEmpty ? "all exact." : "\(campaigns.differences.count) differences" + (repair ? "; rebuilt." : ".")))
        if !repair, report.differenceCount > 0 || !campaigns.differences.isEmpty {
            throw Problem(.conflict, "the counters differ from their sources; run `karmayogi rollups rebuild`")
        }
    }
}
