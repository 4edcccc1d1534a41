import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Completing a batch: after its last day, each participant holding a seat is read against the programme's rule (at
/// least the share of sessions attended, every online course complete); those who meet it get, together, their
/// certificate, passbook entries for the programme's competencies, karma, and their count in the insights. A scheduled
/// job (one node at a time) looks every minute at batches that ended in the last 30 days and were not looked at since
/// their attendance changed, or for a day (courses are finished late).
enum ProgrammeCompletions {
    static let kind = "programmes.complete"
    static let interval: TimeInterval = 60
    /// How long after its last day a batch is still looked at for late course completions and sheets.
    static let windowDays = 30

    static func register(on app: Application) {
        app.jobs.register(kind) { _, _, app in _ = try await completeDue(app: app) }
        app.jobs.every(interval, kind: kind)
    }

    /// Looks at the batches due; answers how many people completed.
    static func completeDue(app: Application) async throws -> Int {
        let now = app.clock.now(), today = IndiaDay.of(now)
        let due = try await ProgrammeBatch.query(on: app.db).filter(\.$endDay < today).filter(\.$endDay >= today - windowDays)
            .group(.or) { $0.filter(\.$completionCheckedAt == nil).filter(\.$completionCheckedAt < now.addingTimeInterval(-86_400)) }
            .sort(\.$endDay).limit(100).all()
        var completed = 0
        for batch in due {
            completed += try await complete(batch, app: app, now: now)
        }
        return completed
    }

    /// Asks for a look at a batch again (its attendance changed after its end).
    static func recheck(_ batchID: UUID, on database: any Database) async throws {
        try await (database as! any SQLDatabase).update(ProgrammeBatch.schema).set("completion_checked_at", to: SQLLiteral.null)
            .where("id", .equal, SQLBind(batchID)).run()
    }

    static func complete(_ batch: ProgrammeBatch, app: Application, now: Date) async throws -> Int {
        let sql = app.db as! any SQLDatabase
        guard let programme = try await Programme.find(batch.programmeID, on: app.db) else { return 0 }
        let sessions = try await ProgrammeSession.query(on: app.db).filter(\.$batchID == batch.id!).all()
        let seated = try await Nomination.query(on: app.db).filter(\.$batchID == batch.id!).filter(\.$status == .enrolled).all()
        var attended: [UUID: Int] = [:]
        if !sessions.isEmpty, !seated.isEmpty {
            let query = sql.select().column("user_id").column(SQLFunction("COUNT", args: SQLLiteral.all)).from("programme_attendance")
                .where("session_id", .in, SQLBind.group(sessions.map { $0.id! })).groupBy("user_id").query
            for (user, n) in try await sql.rows(query, { cells in (try cells.id(0), try cells.int(1) ?? 0) }) { attended[user] = n }
        }
        let states = try await Enrolments.states(of: seated.map(\.userID), on: sql)
        let courses = programme.courseIDs
        let finishing = seated.filter { nomination in
            let done = courses.filter { states["\(nomination.userID)/\($0)"]?.status == .completed }.count
            return programme.completion.isMet(attended: attended[nomination.userID] ?? 0, sessions: sessions.count, coursesComplete: done, courses: courses.count)
        }
        let minutes = sessions.reduce(0) { $0 + Int($1.endsAt.timeIntervalSince($1.startsAt) / 60) }
        let endedAt = sessions.map(\.endsAt).max() ?? IndiaDay.start(batch.endDay + 1)
        let providerName = try await Organisations.names([programme.providerID], on: app.db)[programme.providerID] ?? ""
        let award = Certificates.Award(subject: .batch(batch.id!, programme: programme.id!), title: programme.title,
                                       summary: "Completed \"\(programme.title)\", batch \(batch.name) (\(IndiaDay.string(batch.startDay)) to \(IndiaDay.string(batch.endDay)))",
                                       organiserID: programme.providerID, organiserName: providerName, minutes: minutes, competencies: programme.claims,
                                       endedAt: endedAt, rule: "attended at least \(programme.minimumAttendance)% of \(sessions.count) sessions"
                                           + (courses.isEmpty ? "" : " and completed its \(courses.count) online course\(courses.count == 1 ? "" : "s")"))
        var done = 0
        for start in stride(from: 0, to: finishing.count, by: 500) {
            let chunk = Array(finishing[start..<min(start + 500, finishing.count)])
            done += try await app.db.transaction { database in
                try await certify(chunk, award: award, app: app, now: now, on: database)
            }
        }
        try await sql.update(ProgrammeBatch.schema).set("completion_checked_at", to: SQLBind(now)).where("id", .equal, SQLBind(batch.id!)).run()
        return done
    }

    private static func certify(_ nominations: [Nomination], award: Certificates.Award, app: Application, now: Date, on database: any Database) async throws -> Int {
        let sql = database as! any SQLDatabase
        // Only those still enrolled when the transaction runs (a second node, or a withdrawal, may have moved them).
        let ids = nominations.map { $0.id! }
        let still = try await Nomination.query(on: database).filter(\.$id ~~ ids).filter(\.$status == .enrolled).all()
        guard !still.isEmpty else { return 0 }
        let users = still.map(\.userID)
        let names = try await Users.named(users, on: database)
        let places = try await Rollups.places(of: users, on: sql)
        let organisations = try await Users.organisations(of: users, on: database)
        let certificates = try await Certificates.issue(for: award, attendees: still.compactMap { n in names[n.userID].map { (n.userID, $0.name) } },
                                                        at: now, keys: app.credentialKeys, on: database)
        for nomination in still where certificates[nomination.userID] != nil {
            try await sql.update(Nomination.schema).set("status", to: SQLBind(NominationStatus.completed.rawValue)).set("updated_at", to: SQLBind(now))
                .where("id", .equal, SQLBind(nomination.id!)).run()
            try await sql.insert(into: "programme_nomination_steps")
                .columns("id", "nomination_id", "from_status", "to_status", "action", "actor", "by_user", "reason", "at")
                .values(SQLBind(UUID()), SQLBind(nomination.id!), SQLBind(NominationStatus.enrolled.rawValue), SQLBind(NominationStatus.completed.rawValue),
                        SQLBind("complete"), SQLBind("platform"), SQLBind(nomination.userID), SQLBind(award.rule), SQLBind(now))
                .run()
        }
        let credited = certificates.compactMap { user, certificate in organisations[user].map { (userID: user, organisationID: $0, certificateID: certificate) } }
        try await Completion.creditAttendance(credited, source: .programme, competencies: award.competencies, at: now, on: database)
        var tally = RollupTally()
        for user in certificates.keys {
            guard let place = places[user] else { continue }
            tally.add(RollupCounters(certificates: 1), place: place, day: IndiaDay.of(now))
        }
        try await Rollups.write(tally, on: database)
        return certificates.count
    }
}

/// A programme's competencies, and when each batch was last looked at for completions.
struct TrackProgrammeCompletion: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE programmes ADD COLUMN claims TEXT NOT NULL DEFAULT '[]'").run()
        try await sql.raw("ALTER TABLE programme_batches ADD COLUMN completion_checked_at \(unsafeRaw: sql.dialect.name == "postgresql" ? "TIMESTAMPTZ" : "REAL")").run()
        try await database.index("programme_batches_completion", on: "programme_batches", columns: ["end_day"])
    }

    func revert(on database: any Database) async throws {}
}
