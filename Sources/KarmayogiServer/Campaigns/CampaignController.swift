import Fluent
import Foundation
import KarmayogiCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

extension Campaigns {
    /// A campaign's counters in a scope: one row read for the counters and one for the staff, so it costs the same at
    /// any number of participants. Published campaigns' numbers are public to everyone signed in.
    static func summary(of campaign: Campaign, scope text: String?, app: Application, on database: any Database) async throws -> CampaignSummaryDTO {
        let scope: InsightScope
        switch InsightScope.parse(text ?? "nation") {
        case .success(let parsed): scope = parsed
        case .failure(let problem): throw Problem.invalid([problem])
        }
        let sql = database as! any SQLDatabase
        let now = app.clock.now(), today = IndiaDay.of(now)
        // The scope's name and staff move slowly and are kept by this node for a minute; the counters are read every time.
        let (name, staff) = try await app.campaignScopes.value(for: scope.key, at: now) {
            (try await Insights.name(of: scope, on: database), try await Insights.registrations(of: [scope.key], upTo: today, on: sql)[scope.key] ?? 0)
        }
        let counters = try await CampaignCounts.counters(of: campaign.id!, scopes: [scope.key], on: sql)[scope.key] ?? .init()
        let share = Standings.share(counters.goalReached, of: staff)
        let isOrganisation: Bool = if case .organisation = scope { true } else { false }
        return CampaignSummaryDTO(campaignId: campaign.id!, scope: scope.text, name: name, stage: campaign.stage(today: today),
                                  enrolments: counters.enrolments, completions: counters.completions,
                                  learningHours: (Double(counters.seconds) / 360).rounded() / 10, participants: counters.participants,
                                  goalReached: counters.goalReached, staff: staff, goalShare: (share * 1000).rounded() / 1000,
                                  organisationGoalPercent: campaign.organisationGoalPercent,
                                  organisationGoalMet: isOrganisation ? share * 100 >= Double(campaign.organisationGoalPercent) : nil, asOf: now)
    }

    /// Leaderboards: people within an organisation (default: the reader's own); organisations within their size bucket
    /// by the share of staff who reached the goal (optionally within a State); States; districts within a State.
    static func leaderboard(of campaign: Campaign, kind: String?, scope text: String?, bucket: String?, limit: Int, by principal: Principal,
                            app: Application, on database: any Database) async throws -> CampaignLeaderboardDTO {
        let sql = database as! any SQLDatabase
        let today = IndiaDay.of(app.clock.now())
        guard let kind = kind.map(LeaderboardKind.init(rawValue:)) ?? .organisations else {
            throw Problem.invalid("kind", "must be people, organisations, states or districts")
        }
        func hours(_ seconds: Int) -> Double { (Double(seconds) / 360).rounded() / 10 }
        func ranked(_ rows: [CampaignStandingDTO], by key: (CampaignStandingDTO) -> [Double]) -> [CampaignStandingDTO] {
            let sorted = rows.sorted { a, b in
                let (x, y) = (key(a), key(b))
                return x != y ? x.lexicographicallyPrecedes(y, by: >) : a.name < b.name
            }
            let ranks = Standings.ranks(sorted.map(key))
            return zip(sorted, ranks).prefix(limit).map { row, rank in
                var row = row
                row.rank = rank
                return row
            }
        }
        switch kind {
        case .people:
            let organisationID: UUID
            if let text {
                guard case .success(.organisation(let id)) = InsightScope.parse(text) else { throw Problem.invalid("scope", "people are ranked within an organisation: org:{id}") }
                organisationID = id
            } else {
                organisationID = principal.organisationID
            }
            guard let organisation = try? await Organisations.visible(organisationID, to: principal, on: database),
                  organisation.id == principal.organisationID || principal.access.allows(.viewUsers, on: organisation.placement)
            else { throw Problem.invalid("scope", "no organisation whose people you may see has this id") }
            let people = try await CampaignCounts.topPeople(of: campaign.id!, within: organisation.path, limit: limit, on: sql)
            let names = try await Users.named(people.map(\.user_id), on: database)
            let rows = people.map { person in
                CampaignStandingDTO(rank: 0, id: person.user_id.uuidString.lowercased(), name: names[person.user_id]?.name ?? "", learningHours: hours(person.seconds),
                                    completions: person.completed, reached: person.reached_at != nil)
            }
            return CampaignLeaderboardDTO(campaignId: campaign.id!, kind: kind.rawValue, scope: InsightScope.organisation(organisationID).text,
                                          items: ranked(rows) { [$0.learningHours, Double($0.completions)] })
        case .states, .districts, .organisations:
            var stateFilter: Int?
            if let text {
                guard case .success(.state(let code)) = InsightScope.parse(text), Geography.reference.state(code: code) != nil else {
                    throw Problem.invalid("scope", "give state:{LGD code} of a State or UT, or leave it out")
                }
                stateFilter = code
            }
            if kind == .districts, stateFilter == nil { throw Problem.invalid("scope", "districts are ranked within a State: state:{LGD code}") }
            let prefix = kind == .states ? "s:" : kind == .districts ? "d:" : "o:"
            var counters = try await CampaignCounts.counters(of: campaign.id!, prefix: prefix, on: sql)
            let geography = Geography.reference
            var names: [String: String] = [:]
            var organisationStates: [String: Int?] = [:]
            switch kind {
            case .states:
                for key in counters.keys { names[key] = Int(key.dropFirst(2)).flatMap { geography.state(code: $0)?.name } }
            case .districts:
                counters = counters.filter { key, _ in Int(key.dropFirst(2)).flatMap { geography.district(code: $0)?.stateCode } == stateFilter }
                for key in counters.keys { names[key] = Int(key.dropFirst(2)).flatMap { geography.district(code: $0)?.name } }
            default:
                let ids = counters.keys.compactMap { UUIDText.parse(String($0.dropFirst(2))) }
                let entries = try await Organisations.directory(on: sql).filter { ids.contains($0.id) }
                for entry in entries {
                    let key = InsightScope.organisation(entry.id).key
                    names[key] = entry.name
                    organisationStates[key] = entry.stateCode
                }
                if let stateFilter { counters = counters.filter { organisationStates[$0.key] == stateFilter } }
            }
            var staff: [String: Int] = [:]
            let keys = Array(counters.keys)
            for start in stride(from: 0, to: keys.count, by: 1_000) {
                staff.merge(try await Insights.registrations(of: Array(keys[start..<min(start + 1_000, keys.count)]), upTo: today, on: sql)) { a, _ in a }
            }
            let rows = counters.map { key, c in
                let people = staff[key] ?? 0
                return CampaignStandingDTO(rank: 0, id: String(key.dropFirst(2)), name: names[key] ?? String(key.dropFirst(2)), learningHours: hours(c.seconds),
                                           completions: c.completions, participants: c.participants, goalReached: c.goalReached, staff: people,
                                           goalShare: (Standings.share(c.goalReached, of: people) * 1000).rounded() / 1000,
                                           bucket: kind == .organisations ? SizeBucket.of(staff: people) : nil)
            }
            if kind == .organisations {
                var wanted: SizeBucket?
                if let bucket {
                    guard let parsed = SizeBucket(rawValue: bucket.uppercased()) else { throw Problem.invalid("bucket", "must be XS, S, M, L or XL") }
                    wanted = parsed
                }
                // Each bucket ranked within itself, the buckets largest first.
                let items = Dictionary(grouping: rows, by: { $0.bucket! }).sorted { $0.key > $1.key }
                    .filter { wanted == nil || $0.key == wanted }
                    .flatMap { _, rows in ranked(rows) { [$0.goalShare ?? 0, $0.learningHours] } }
                return CampaignLeaderboardDTO(campaignId: campaign.id!, kind: kind.rawValue, scope: stateFilter.map { "state:\($0)" }, items: items)
            }
            return CampaignLeaderboardDTO(campaignId: campaign.id!, kind: kind.rawValue, scope: stateFilter.map { "state:\($0)" },
                                          items: ranked(rows) { [$0.goalShare ?? 0, $0.learningHours] })
        }
    }

    /// (The names are the API's words; written as cases, not strings, as three are also other rooms' table names.)
    enum LeaderboardKind: String { case people, organisations, states, districts }

    /// The campaigns live or coming that reach the person, with their own standing in each.
    static func mine(_ principal: Principal, app: Application, on database: any Database) async throws -> [MyCampaignDTO] {
        let today = IndiaDay.of(app.clock.now())
        let campaigns = try await Campaign.query(on: database).filter(\.$publishedAt != nil).filter(\.$closedAt == nil)
            .filter(\.$endDay >= today).sort(\.$startDay).limit(20).all()
            .filter { $0.stateCode == nil || $0.stateCode == principal.place.stateCode }
        let dtos = try await self.dtos(campaigns, today: today, on: database)
        var mine: [MyCampaignDTO] = []
        for (campaign, dto) in zip(campaigns, dtos) {
            let person = try await CampaignCounts.person(principal.userID, in: campaign.id!, on: database as! any SQLDatabase)
            let seconds = person?.seconds ?? 0, completions = person?.completed ?? 0
            let done = campaign.goalKind == .hours ? (Double(seconds) / 360).rounded() / 10 : Double(completions)
            mine.append(MyCampaignDTO(campaign: dto, learningHours: (Double(seconds) / 360).rounded() / 10, completions: completions, goal: campaign.goal,
                                      reached: person?.reached_at != nil, done: done))
        }
        return mine
    }
}

/// What a summary shows beside a campaign's counters, by scope: its name and how many people are registered in it. They
/// change slowly (a person onboarded, an organisation renamed) and are kept by each node for a minute.
final class CampaignScopeCache: Sendable {
    private let entries = NIOLockedValueBox([String: (name: String, staff: Int, until: Date)]())
    static let lifetime: TimeInterval = 60

    func value(for key: String, at now: Date, read: () async throws -> (String, Int)) async throws -> (name: String, staff: Int) {
        if let entry = entries.withLockedValue({ $0[key] }), entry.until > now { return (entry.name, entry.staff) }
        let (name, staff) = try await read()
        entries.withLockedValue { entries in
            if entries.count > 50_000 { entries.removeAll() }
            entries[key] = (name, staff, now.addingTimeInterval(Self.lifetime))
        }
        return (name, staff)
    }
}

extension Application {
    private struct CampaignScopeCacheKey: StorageKey { typealias Value = CampaignScopeCache }

    /// Made once by `configure`.
    var campaignScopes: CampaignScopeCache {
        get { storage[CampaignScopeCacheKey.self]! }
        set { storage[CampaignScopeCacheKey.self] = newValue }
    }
}

struct CampaignController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("campaigns", use: Self.create)
        routes.get("campaigns", use: Self.list)
        routes.get("campaigns", ":id", use: Self.read)
        routes.patch("campaigns", ":id", use: Self.update)
        routes.post("campaigns", ":id", "publish") { request in
            try await Self.respond(request, try await Campaigns.publish(try request.id(of: "campaign"), by: try request.principal(), now: request.application.clock.now(), on: request.db))
        }
        routes.post("campaigns", ":id", "close") { request in
            try await Self.respond(request, try await Campaigns.close(try request.id(of: "campaign"), by: try request.principal(), now: request.application.clock.now(), on: request.db))
        }
        routes.get("campaigns", ":id", "summary", use: Self.summary)
        routes.get("campaigns", ":id", "leaderboard", use: Self.leaderboard)
        routes.get("me", "campaigns", use: Self.mine)
    }

    static func respond(_ request: Request, _ campaign: Campaign, status: HTTPStatus = .ok) async throws -> Response {
        let dto = try await Campaigns.dtos([campaign], today: IndiaDay.of(request.application.clock.now()), on: request.db)[0]
        return try await dto.encodeResponse(status: status, for: request)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let campaign = try await Campaigns.create(try request.decodeStrict(CampaignInput.self), by: try request.principal(),
                                                  now: request.application.clock.now(), on: request.db)
        let response = try await respond(request, campaign, status: .created)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/campaigns/\(campaign.id!)")
        return response
    }

    @Sendable static func list(_ request: Request) async throws -> Page<CampaignDTO> {
        var stage: CampaignStage?
        if let text = request.query[String.self, at: "stage"] {
            guard let parsed = CampaignStage(rawValue: text) else { throw Problem.invalid("stage", "must be draft, scheduled, live or closed") }
            stage = parsed
        }
        return try await Campaigns.list(stage: stage, page: try PageRequest(request), for: try request.principal(),
                                        today: IndiaDay.of(request.application.clock.now()), on: request.db)
    }

    @Sendable static func read(_ request: Request) async throws -> Response {
        try await respond(request, try await Campaigns.visible(try request.id(of: "campaign"), to: try request.principal(), on: request.db))
    }

    @Sendable static func update(_ request: Request) async throws -> Response {
        let patch = try request.decodeStrict(CampaignPatch.self)
        return try await respond(request, try await Campaigns.update(try request.id(of: "campaign"), with: patch, by: try request.principal(),
                                                                     now: request.application.clock.now(), on: request.db))
    }

    @Sendable static func summary(_ request: Request) async throws -> CampaignSummaryDTO {
        let campaign = try await Campaigns.visible(try request.id(of: "campaign"), to: try request.principal(), on: request.reads)
        return try await Campaigns.summary(of: campaign, scope: request.query[String.self, at: "scope"], app: request.application, on: request.reads)
    }

    @Sendable static func leaderboard(_ request: Request) async throws -> CampaignLeaderboardDTO {
        let principal = try request.principal()
        let campaign = try await Campaigns.visible(try request.id(of: "campaign"), to: principal, on: request.reads)
        let limit = try PageRequest(request, defaultLimit: 20, maximum: 200).limit
        return try await Campaigns.leaderboard(of: campaign, kind: request.query[String.self, at: "kind"], scope: request.query[String.self, at: "scope"],
                                               bucket: request.query[String.self, at: "bucket"], limit: limit, by: principal,
                                               app: request.application, on: request.reads)
    }

    @Sendable static func mine(_ request: Request) async throws -> Page<MyCampaignDTO> {
        Page(items: try await Campaigns.mine(try request.principal(), app: request.application, on: request.db), nextCursor: nil)
    }
}
