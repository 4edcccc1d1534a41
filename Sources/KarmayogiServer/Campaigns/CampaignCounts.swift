import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// One person's learning that a live campaign may count: an enrolment, a completion, seconds learnt (in a course or at
/// an event). Learning and Events hand these over inside the transaction that records the learning.
struct CampaignFact: Sendable {
    var userID: UUID
    var place: LearnerPlace
    var course: UUID? = nil
    /// The enrolled version of the course, whose competencies a campaign by competency reads when they are not given.
    var version: Int? = nil
    var event: UUID? = nil
    /// The competencies the course (its enrolled version) or event claims, for campaigns that count by competency.
    var competencies: [UUID]? = nil
    var enrolments = 0
    var completions = 0
    var seconds = 0
}

/// The live counters: written in the transaction of the learning they count, per campaign for every scope a person
/// counts in (the nation, their State and district, each organisation up their tree), with each participant's own
/// totals; `karmayogi rollups verify` recomputes them from the learning's own records.
enum CampaignCounts {
    struct Counters: Equatable, Sendable {
        var enrolments = 0, completions = 0, seconds = 0, participants = 0, goalReached = 0

        static func += (a: inout Counters, b: Counters) {
            a.enrolments += b.enrolments
            a.completions += b.completions
            a.seconds += b.seconds
            a.participants += b.participants
            a.goalReached += b.goalReached
        }
    }

    /// Counts facts for every campaign live on the day they happen in, in the caller's transaction. Costs one small
    /// read when no campaign is live.
    static func record(_ given: [CampaignFact], at now: Date, on database: any Database) async throws {
        var facts = given.filter { $0.enrolments > 0 || $0.completions > 0 || $0.seconds > 0 }
        guard !facts.isEmpty else { return }
        let campaigns = try await Campaigns.counting(on: IndiaDay.of(now), database: database)
        guard !campaigns.isEmpty else { return }
        if campaigns.contains(where: { $0.eligibility == .competencies }) {
            for index in facts.indices where facts[index].competencies == nil {
                guard let course = facts[index].course, let version = facts[index].version else { continue }
                facts[index].competencies = try await Courses.version(version, of: course, on: database)?.content.competencies.map(\.competencyId) ?? []
            }
        }
        for campaign in campaigns {
            var people: [UUID: (place: LearnerPlace, counters: Counters)] = [:]
            for fact in facts where campaign.reaches(fact.place) && campaign.counts(course: fact.course, event: fact.event, competencies: fact.competencies ?? []) {
                people[fact.userID, default: (fact.place, Counters())].counters += Counters(enrolments: fact.enrolments, completions: fact.completions, seconds: fact.seconds)
            }
            guard !people.isEmpty else { continue }
            try await add(people, to: campaign, at: now, on: database)
        }
    }

    /// Adds to each person's totals (a new row makes them a participant), marks those who reached the goal now, and adds
    /// it all to their scopes' counters, in key order.
    private static func add(_ people: [UUID: (place: LearnerPlace, counters: Counters)], to campaign: Campaigns.Counting, at now: Date,
                            on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        struct Row: Decodable { var user_id: UUID; var seconds: Int; var completed: Int; var reached_at: Date?; var batch: UUID }
        let batch = UUID()
        var returned: [Row] = []
        let ordered = people.keys.sorted()
        for start in stride(from: 0, to: ordered.count, by: 500) {
            var insert = sql.insert(into: "campaign_people")
                .columns("campaign_id", "user_id", "organisation_path", "state_code", "district_code", "enrolled", "completed", "seconds", "first_at", "batch")
            for user in ordered[start..<min(start + 500, ordered.count)] {
                let (place, counters) = people[user]!
                insert = insert.values(SQLBind(campaign.id), SQLBind(user), SQLBind(place.organisationPath), SQLBind(place.stateCode), SQLBind(place.districtCode),
                                       SQLBind(counters.enrolments), SQLBind(counters.completions), SQLBind(counters.seconds), SQLBind(now), SQLBind(batch))
            }
            returned += try await insert.onConflict(with: ["campaign_id", "user_id"]) { update in
                var update = update
                for name in ["enrolled", "completed", "seconds"] {
                    update = update.set(name, to: SQLBinaryExpression(SQLColumn(name, table: "campaign_people"), .add, SQLExcludedColumn(name)))
                }
                return update
            }.returning("user_id", "seconds", "completed", "reached_at", "batch").all(decoding: Row.self)
        }
        // The row is locked by the upsert until this transaction ends, so only one transaction sees a person reach the goal.
        let reaching = returned.filter { $0.reached_at == nil && campaign.goal.isReached(seconds: $0.seconds, completions: $0.completed) }.map(\.user_id)
        var reached = Set<UUID>()
        for start in stride(from: 0, to: reaching.count, by: 500) {
            struct Marked: Decodable { var user_id: UUID }
            reached.formUnion(try await sql.update("campaign_people").set("reached_at", to: SQLBind(now))
                .where("campaign_id", .equal, SQLBind(campaign.id)).where("user_id", .in, SQLBind.group(Array(reaching[start..<min(start + 500, reaching.count)])))
                .where("reached_at", .is, SQLLiteral.null).returning("user_id").all(decoding: Marked.self).map(\.user_id))
        }
        let joined = Set(returned.filter { $0.batch == batch }.map(\.user_id))
        var scopes: [String: Counters] = [:]
        for (user, entry) in people {
            var counters = entry.counters
            counters.participants = joined.contains(user) ? 1 : 0
            counters.goalReached = reached.contains(user) ? 1 : 0
            for key in entry.place.scopeKeys { scopes[key, default: Counters()] += counters }
        }
        try await write(scopes, campaign: campaign.id, on: sql)
    }

    static let counterColumns = ["enrolled", "completed", "learning_seconds", "participants", "goal_reached"]

    static func write(_ scopes: [String: Counters], campaign: UUID, on sql: any SQLDatabase) async throws {
        let keys = scopes.keys.sorted()
        for start in stride(from: 0, to: keys.count, by: 400) {
            var insert = sql.insert(into: "campaign_counters").columns(["campaign_id", "scope"] + counterColumns)
            for key in keys[start..<min(start + 400, keys.count)] {
                let c = scopes[key]!
                insert = insert.values(SQLBind(campaign), SQLBind(key), SQLBind(c.enrolments), SQLBind(c.completions), SQLBind(c.seconds),
                                       SQLBind(c.participants), SQLBind(c.goalReached))
            }
            try await insert.onConflict(with: ["campaign_id", "scope"]) { update in
                var update = update
                for name in counterColumns {
                    update = update.set(name, to: SQLBinaryExpression(SQLColumn(name, table: "campaign_counters"), .add, SQLExcludedColumn(name)))
                }
                return update
            }.run()
        }
    }

    /// The counters of a campaign in some scopes (by scope key).
    static func counters(of campaign: UUID, scopes: [String]? = nil, prefix: String? = nil, on sql: any SQLDatabase) async throws -> [String: Counters] {
        var query = sql.select().columns(["scope"] + counterColumns).from("campaign_counters").where("campaign_id", .equal, SQLBind(campaign))
        if let scopes { query = query.where("scope", .in, SQLBind.group(scopes)) }
        if let prefix { query = query.where("scope", .greaterThanOrEqual, SQLBind(prefix)).where("scope", .lessThan, SQLBind(prefix + "~")) }
        var result: [String: Counters] = [:]
        for row in try await query.all() {
            result[try row.decode(column: "scope", as: String.self)] = Counters(
                enrolments: try row.decode(column: "enrolled", as: Int.self), completions: try row.decode(column: "completed", as: Int.self),
                seconds: try row.decode(column: "learning_seconds", as: Int.self), participants: try row.decode(column: "participants", as: Int.self),
                goalReached: try row.decode(column: "goal_reached", as: Int.self))
        }
        return result
    }

    struct Person: Decodable, Sendable {
        var user_id: UUID
        var seconds: Int
        var completed: Int
        var reached_at: Date?
    }

    /// A person's own totals in a campaign.
    static func person(_ userID: UUID, in campaign: UUID, on sql: any SQLDatabase) async throws -> Person? {
        try await sql.select().columns("user_id", "seconds", "completed", "reached_at").from("campaign_people")
            .where("campaign_id", .equal, SQLBind(campaign)).where("user_id", .equal, SQLBind(userID)).first(decoding: Person.self)
    }

    /// The people of an organisation's subtree with the most learning in a campaign.
    static func topPeople(of campaign: UUID, within path: String, limit: Int, on sql: any SQLDatabase) async throws -> [Person] {
        try await sql.select().columns("user_id", "seconds", "completed", "reached_at").from("campaign_people")
            .where("campaign_id", .equal, SQLBind(campaign))
            .where("organisation_path", .greaterThanOrEqual, SQLBind(path)).where("organisation_path", .lessThan, SQLBind(path + "~"))
            .orderBy("seconds", .descending).orderBy("completed", .descending).orderBy("user_id").limit(limit).all(decoding: Person.self)
    }
}
