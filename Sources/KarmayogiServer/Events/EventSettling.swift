import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Deciding attendance after an event ends: presence still open is closed at the end, each person's minutes (overlaps
/// once) and check-in are read against the event's rule, and those who attended get, together, their certificate,
/// passbook entries for the event's competencies, karma, and their place in the campaigns and counters. A scheduled job
/// (one node of the cluster at a time) looks every few seconds, so certificates follow the end within a minute.
enum EventSettling {
    static let kind = "events.settle"
    static let interval: TimeInterval = 10

    static func register(on app: Application) {
        app.jobs.register(kind) { _, _, app in _ = try await settleDue(app: app) }
        app.jobs.every(interval, kind: kind)
    }

    /// Asks for a pass now (a sheet arrived after the end).
    static func soon(app: Application) async throws {
        try await app.jobs.schedule(kind, at: app.clock.now(), on: app.db)
    }

    /// Settles every event that ended and waits: answers how many certificates were issued.
    static func settleDue(app: Application) async throws -> Int {
        let now = app.clock.now()
        let sql = app.db as! any SQLDatabase
        // Those that ended and were never settled, and those a late sheet asked to settle again.
        let due = try await Event.query(on: app.db).filter(\.$status == .scheduled).filter(\.$endsAt <= now)
            .group(.or) { $0.filter(\.$settledAt == nil).filter(\.$needsSettling == true) }.sort(\.$endsAt).limit(100).all()
        var issued = 0
        for event in due {
            issued += try await settle(event, app: app, now: now)
            try await sql.update(Event.schema).set("settled_at", to: SQLBind(now)).set("needs_settling", to: SQLBind(false))
                .where("id", .equal, SQLBind(event.id!)).run()
        }
        return issued
    }

    /// Each person's standing at `moment`: minutes present and check-in, and whether that meets the rule.
    static func standing(of event: Event, at moment: Date, on sql: any SQLDatabase) async throws -> [AttendanceDTO] {
        let id = event.id!
        var intervals: [UUID: [(from: Date, to: Date?)]] = [:]
        for (user, from, to) in try await sql.rows(sql.select().columns("user_id", "from_at", "to_at").from("event_presence")
            .where("event_id", .equal, SQLBind(id)).query, { (try $0.id(0), try $0.date(1) ?? Date.distantPast, try $0.date(2)) }) {
            intervals[user, default: []].append((from, to))
        }
        let checkedIn = Set(try await sql.rows(sql.select().column("user_id").from("event_checkins").where("event_id", .equal, SQLBind(id)).query) { try $0.id(0) })
        let registered = try await sql.rows(sql.select().column("user_id").from("event_registrations").where("event_id", .equal, SQLBind(id)).query) { try $0.id(0) }
        let people = Set(registered).union(intervals.keys).union(checkedIn)
        return people.map { user in
            let minutes = AttendanceRule.minutesPresent(intervals[user] ?? [], start: event.startsAt, end: min(moment, event.endsAt))
            let checked = checkedIn.contains(user)
            return AttendanceDTO(userId: user, name: nil, minutes: minutes, checkedIn: checked,
                                 attended: event.rule.attended(minutes: minutes, checkedIn: checked), certificateId: nil, certifiedAt: nil)
        }
    }

    /// Decides attendance at one ended event and certifies those who attended and have no certificate yet.
    static func settle(_ event: Event, app: Application, now: Date) async throws -> Int {
        let id = event.id!
        let sql = app.db as! any SQLDatabase
        try await sql.update("event_presence").set("to_at", to: SQLBind(event.endsAt))
            .where("event_id", .equal, SQLBind(id)).where("to_at", .is, SQLLiteral.null).run()
        let standing = try await standing(of: event, at: event.endsAt, on: sql)
        let certified = Set(try await sql.rows(sql.select().column("user_id").from("event_attendance").where("event_id", .equal, SQLBind(id))
            .where("certificate_id", .isNot, SQLLiteral.null).query) { try $0.id(0) })
        let open = standing.filter { !certified.contains($0.userId) }.sorted { $0.userId.uuidString < $1.userId.uuidString }
        guard !open.isEmpty else { return 0 }
        let organiserName = try await Organisations.names([event.organiserID], on: app.db)[event.organiserID] ?? ""
        let award = Certificates.Award(subject: .event(id), title: event.title,
                                            summary: "Attended \(event.kind.rawValue) \"\(event.title)\" (\(event.minutes) minutes)",
                                            organiserID: event.organiserID, organiserName: organiserName, minutes: event.minutes,
                                            competencies: event.claims, endedAt: event.endsAt,
                                            rule: event.ruleKind == .minutes ? "present for at least \(event.ruleMinutes) minutes" : "checked in with the code shown during the event")
        var issued = 0
        for start in stride(from: 0, to: open.count, by: 500) {
            let chunk = Array(open[start..<min(start + 500, open.count)])
            issued += try await app.db.transaction { database in
                try await certify(chunk, event: event, award: award, app: app, now: now, on: database)
            }
        }
        return issued
    }

    private static func certify(_ people: [AttendanceDTO], event: Event, award: Certificates.Award, app: Application, now: Date,
                                on database: any Database) async throws -> Int {
        let sql = database as! any SQLDatabase
        let id = event.id!
        let attending = people.filter(\.attended)
        let names = try await Users.named(attending.map(\.userId), on: database)
        let places = try await Rollups.places(of: attending.map(\.userId), on: sql)
        let organisations = try await Users.organisations(of: attending.map(\.userId), on: database)
        let certificates = try await Certificates.issue(for: award, attendees: attending.compactMap { person in
            names[person.userId].map { (person.userId, $0.name) }
        }, at: now, keys: app.credentialKeys, on: database)
        // Decided rows, replacing what an earlier pass decided for people it did not certify.
        try await sql.delete(from: "event_attendance").where("event_id", .equal, SQLBind(id)).where("user_id", .in, SQLBind.group(people.map(\.userId))).run()
        var insert = sql.insert(into: "event_attendance").columns("event_id", "user_id", "minutes", "checked_in", "attended", "certificate_id", "certified_at", "ends_at")
        for person in people {
            let certificate = certificates[person.userId]
            insert = insert.values(SQLBind(id), SQLBind(person.userId), SQLBind(person.minutes), SQLBind(person.checkedIn), SQLBind(person.attended),
                                   SQLBind(certificate), SQLBind(certificate == nil ? nil : now), SQLBind(event.endsAt))
        }
        try await insert.run()
        let credited = certificates.compactMap { user, certificate in organisations[user].map { (userID: user, organisationID: $0, certificateID: certificate) } }
        try await Completion.creditAttendance(credited, source: .event, competencies: event.claims, at: now, on: database)
        var tally = RollupTally()
        var facts: [CampaignFact] = []
        for person in attending where certificates[person.userId] != nil {
            guard let place = places[person.userId] else { continue }
            tally.add(RollupCounters(certificates: 1), place: place, day: IndiaDay.of(now))
            facts.append(CampaignFact(userID: person.userId, place: place, event: id, competencies: event.claims.map(\.competencyId), completions: 1,
                                      seconds: min(person.minutes, event.minutes) * 60))
        }
        // Rollups, then campaigns: the order every counting transaction writes them in.
        try await Rollups.write(tally, on: database)
        // Counted on the day the event ended: a talk on a learning week's last evening counts for that week.
        try await CampaignCounts.record(facts, at: event.endsAt, on: database)
        return certificates.count
    }
}
