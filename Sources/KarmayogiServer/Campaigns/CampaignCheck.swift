import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Recomputes every campaign's counters and participants from the learning's own records — enrolments made and
/// completed in its days, seconds learnt in its days, event attendance certified in them — and compares them with what
/// was counted (`karmayogi rollups verify` runs it; `rebuild` puts the recomputed values in place).
enum CampaignCheck {
    struct Difference: CustomStringConvertible, Sendable {
        var campaign: String
        var key: String
        var stored: String
        var recomputed: String

        var description: String { "campaign \(campaign) \(key): counted \(stored), recomputed \(recomputed)" }
    }

    struct Report: Sendable {
        var campaigns = 0
        var rows = 0
        var differences: [Difference] = []
    }

    static func run(repair: Bool, now: Date, on database: any Database) async throws -> Report {
        var report = Report()
        let today = IndiaDay.of(now)
        for campaign in try await Campaign.query(on: database).filter(\.$publishedAt != nil).sort(\.$startDay).all() {
            report.campaigns += 1
            let (people, scopes) = try await recompute(campaign, today: today, on: database)
            let sql = database as! any SQLDatabase
            let storedScopes = try await CampaignCounts.counters(of: campaign.id!, on: sql)
            let storedPeople = try await self.storedPeople(of: campaign.id!, on: sql)
            report.rows += storedScopes.count + storedPeople.count
            var differences: [Difference] = []
            for key in Set(storedScopes.keys).union(scopes.keys).sorted() {
                let stored = storedScopes[key] ?? .init(), expected = scopes[key] ?? .init()
                if stored != expected { differences.append(Difference(campaign: campaign.name, key: "scope \(key)", stored: describe(stored), recomputed: describe(expected))) }
            }
            for user in Set(storedPeople.keys).union(people.keys).sorted(by: { $0.uuidString < $1.uuidString }) {
                let stored = storedPeople[user], expected = people[user]
                if stored?.counters != expected?.counters || (stored?.reached ?? false) != (expected?.reached ?? false) {
                    differences.append(Difference(campaign: campaign.name, key: "person \(user.uuidString.lowercased())",
                                                  stored: stored.map { describe($0.counters) + ($0.reached ? ", goal reached" : "") } ?? "nothing",
                                                  recomputed: expected.map { describe($0.counters) + ($0.reached ? ", goal reached" : "") } ?? "nothing"))
                }
            }
            report.differences += differences
            if repair, !differences.isEmpty { try await replace(campaign.id!, people: people, scopes: scopes, now: now, on: database) }
        }
        return report
    }

    private static func describe(_ c: CampaignCounts.Counters) -> String {
        "enrolments \(c.enrolments), completions \(c.completions), seconds \(c.seconds), participants \(c.participants), goal reached \(c.goalReached)"
    }

    struct PersonTotal: Sendable {
        var place: LearnerPlace
        var counters: CampaignCounts.Counters
        var reached: Bool
    }

    /// What the sources say: each participant's totals, and each scope's counters.
    static func recompute(_ campaign: Campaign, today: Int, on database: any Database) async throws -> ([UUID: PersonTotal], [String: CampaignCounts.Counters]) {
        guard let days = campaign.countedDays(today: today) else { return ([:], [:]) }
        let sql = database as! any SQLDatabase
        let items = try await Campaigns.items(of: [campaign.id!], on: sql)[campaign.id!] ?? [:]
        let counting = try await Campaigns.Counting(of: .init(id: campaign.id!, stateCode: campaign.stateCode, goal: campaign.goal, eligibility: campaign.eligible),
                                                    chosen: items, on: database)
        let from = IndiaDay.start(days.lowerBound), to = IndiaDay.start(days.upperBound + 1)
        let moments = try await Enrolments.moments(from: from, to: to, on: sql)
        let learnt = try await Rollups.learnt(days: days, on: sql)
        let attended = try await Events.attendance(from: from, to: to, on: sql)
        // Competencies per course version, read once each, for a campaign that counts by competency.
        var claims: [String: [UUID]] = [:]
        var versions: [String: Int] = [:]
        if campaign.eligible == .competencies {
            versions = try await Enrolments.versions(of: learnt.map { ($0.user, $0.course) }, on: sql)
            for moment in moments { versions["\(moment.userID)/\(moment.courseID)"] = moment.version }
            for (key, version) in versions where claims["\(key.split(separator: "/")[1])/\(version)"] == nil {
                let course = UUIDText.parse(String(key.split(separator: "/")[1]))!
                claims["\(course)/\(version)"] = try await Courses.version(version, of: course, on: database)?.content.competencies.map(\.competencyId) ?? []
            }
        }
        func competencies(_ user: UUID, _ course: UUID) -> [UUID] {
            guard let version = versions["\(user)/\(course)"] else { return [] }
            return claims["\(course)/\(version)"] ?? []
        }
        var totals: [UUID: CampaignCounts.Counters] = [:]
        for moment in moments where counting.counts(course: moment.courseID, event: nil, competencies: competencies(moment.userID, moment.courseID)) {
            totals[moment.userID, default: .init()] += .init(enrolments: moment.enrolled ? 1 : 0, completions: moment.completed ? 1 : 0)
        }
        for row in learnt where row.seconds > 0 && counting.counts(course: row.course, event: nil, competencies: competencies(row.user, row.course)) {
            totals[row.user, default: .init()] += .init(seconds: row.seconds)
        }
        for row in attended where counting.counts(course: nil, event: row.event, competencies: row.competencies) {
            totals[row.user, default: .init()] += .init(completions: 1, seconds: row.seconds)
        }
        let places = try await Rollups.places(of: Array(totals.keys), on: sql)
        var people: [UUID: PersonTotal] = [:]
        var scopes: [String: CampaignCounts.Counters] = [:]
        for (user, total) in totals {
            guard let place = places[user], counting.reaches(place), total != .init() else { continue }
            let reached = campaign.goal.isReached(seconds: total.seconds, completions: total.completions)
            var counters = total
            counters.participants = 1
            counters.goalReached = reached ? 1 : 0
            people[user] = PersonTotal(place: place, counters: total, reached: reached)
            for key in place.scopeKeys { scopes[key, default: .init()] += counters }
        }
        return (people, scopes)
    }

    private static func storedPeople(of campaign: UUID, on sql: any SQLDatabase) async throws -> [UUID: (counters: CampaignCounts.Counters, reached: Bool)] {
        let query = sql.select().columns("user_id", "enrolled", "completed", "seconds", "reached_at").from("campaign_people")
            .where("campaign_id", .equal, SQLBind(campaign)).query
        let rows = try await sql.rows(query) { cells in
            (try cells.id(0), CampaignCounts.Counters(enrolments: try cells.int(1) ?? 0, completions: try cells.int(2) ?? 0, seconds: try cells.int(3) ?? 0),
             try cells.date(4) != nil)
        }
        return Dictionary(rows.map { ($0.0, ($0.1, $0.2)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Puts the recomputed values in place of a campaign's counters and participants.
    private static func replace(_ campaign: UUID, people: [UUID: PersonTotal], scopes: [String: CampaignCounts.Counters], now: Date,
                                on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            let reachedAt = Dictionary(try await sql.rows(sql.select().columns("user_id", "reached_at").from("campaign_people")
                .where("campaign_id", .equal, SQLBind(campaign)).query) { cells in (try cells.id(0), try cells.date(1)) }, uniquingKeysWith: { a, _ in a })
            try await sql.delete(from: "campaign_counters").where("campaign_id", .equal, SQLBind(campaign)).run()
            try await sql.delete(from: "campaign_people").where("campaign_id", .equal, SQLBind(campaign)).run()
            try await CampaignCounts.write(scopes, campaign: campaign, on: sql)
            let batch = UUID()
            let users = people.keys.sorted()
            for start in stride(from: 0, to: users.count, by: 500) {
                var insert = sql.insert(into: "campaign_people")
                    .columns("campaign_id", "user_id", "organisation_path", "state_code", "district_code", "enrolled", "completed", "seconds", "reached_at", "first_at", "batch")
                for user in users[start..<min(start + 500, users.count)] {
                    let person = people[user]!
                    let reached: Date? = person.reached ? ((reachedAt[user] ?? nil) ?? now) : nil
                    insert = insert.values(SQLBind(campaign), SQLBind(user), SQLBind(person.place.organisationPath), SQLBind(person.place.stateCode),
                                           SQLBind(person.place.districtCode), SQLBind(person.counters.enrolments), SQLBind(person.counters.completions),
                                           SQLBind(person.counters.seconds), SQLBind(reached), SQLBind(now), SQLBind(batch))
                }
                try await insert.run()
            }
        }
    }
}
