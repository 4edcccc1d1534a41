import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Learning weeks: who may run which, their life from draft to closed, and what each counts.
enum Campaigns {
    enum ItemKind: String { case course, event, competency }

    /// What a campaign counts, read once per transaction that may count for it.
    struct Counting: Sendable {
        var id: UUID
        var stateCode: Int?
        var goal: CampaignGoal
        var eligibility: Campaign.Eligibility
        var courses: Set<UUID> = []
        var events: Set<UUID> = []
        var competencies: Set<UUID> = []

        /// Whether learning in this course (claiming these competencies) or at this event counts.
        func counts(course: UUID?, event: UUID?, competencies claimed: [UUID]) -> Bool {
            switch eligibility {
            case .all: return true
            case .chosen: return course.map(courses.contains) ?? event.map(events.contains) ?? false
            case .competencies: return claimed.contains(where: competencies.contains)
            }
        }

        func reaches(_ place: LearnerPlace) -> Bool { stateCode == nil || place.stateCode == stateCode }

        init(id: UUID, stateCode: Int?, goal: CampaignGoal, eligibility: Campaign.Eligibility) {
            self.id = id
            self.stateCode = stateCode
            self.goal = goal
            self.eligibility = eligibility
        }

        /// With what the campaign chose; a chosen event's recording (a published course) counts like the event.
        init(of campaign: Counting, chosen: [ItemKind: Set<UUID>], on database: any Database) async throws {
            self = campaign
            courses = chosen[.course] ?? []
            events = chosen[.event] ?? []
            competencies = chosen[.competency] ?? []
            courses.formUnion(try await Events.recordings(of: Array(events), on: database))
        }
    }

    /// The campaigns that count learning done on `day`: published, the day within their dates and not after the day
    /// they were closed on.
    static func counting(on day: Int, database: any Database) async throws -> [Counting] {
        let sql = database as! any SQLDatabase
        struct Row: Decodable { var id: UUID; var state_code: Int?; var goal_kind: String; var goal_value: Double; var eligible: String }
        let rows = try await sql.select().columns("id", "state_code", "goal_kind", "goal_value", "eligible").from(Campaign.schema)
            .where("start_day", .lessThanOrEqual, SQLBind(day)).where("end_day", .greaterThanOrEqual, SQLBind(day))
            .where("published_at", .isNot, SQLLiteral.null)
            .where(SQLGroupExpression(SQLBinaryExpression(SQLBinaryExpression(SQLColumn("closed_day"), .is, SQLLiteral.null), .or,
                                                          SQLBinaryExpression(SQLColumn("closed_day"), .greaterThanOrEqual, SQLBind(day)))))
            .all(decoding: Row.self)
        guard !rows.isEmpty else { return [] }
        var counting = rows.compactMap { row -> Counting? in
            guard let kind = CampaignGoal.Kind(rawValue: row.goal_kind), let eligibility = Campaign.Eligibility(rawValue: row.eligible) else { return nil }
            return Counting(id: row.id, stateCode: row.state_code, goal: CampaignGoal(kind: kind, value: row.goal_value), eligibility: eligibility)
        }
        let choosing = counting.filter { $0.eligibility != .all }.map(\.id)
        if !choosing.isEmpty {
            let items = try await self.items(of: choosing, on: sql)
            for index in counting.indices where counting[index].eligibility != .all {
                counting[index] = try await Counting(of: counting[index], chosen: items[counting[index].id] ?? [:], on: database)
            }
        }
        return counting
    }

    static func items(of campaigns: [UUID], on sql: any SQLDatabase) async throws -> [UUID: [ItemKind: Set<UUID>]] {
        guard !campaigns.isEmpty else { return [:] }
        struct Row: Decodable { var campaign_id: UUID; var kind: String; var item_id: UUID }
        var items: [UUID: [ItemKind: Set<UUID>]] = [:]
        for row in try await sql.select().columns("campaign_id", "kind", "item_id").from("campaign_items")
            .where("campaign_id", .in, SQLBind.group(campaigns)).all(decoding: Row.self) {
            if let kind = ItemKind(rawValue: row.kind) { items[row.campaign_id, default: [:]][kind, default: []].insert(row.item_id) }
        }
        return items
    }

    // MARK: Who may run which

    /// Whether the principal may make and change a campaign of this reach: national ones are national admins', a
    /// State's are its State admins' (and national admins').
    static func mayManage(stateCode: Int?, _ principal: Principal) -> Bool {
        if principal.access.isNationalAdmin { return true }
        guard let stateCode else { return false }
        return principal.access.grants.contains { $0.role == .stateAdmin && $0.target == .state(code: stateCode) }
    }

    /// A campaign the principal may see: published ones are everyone's; a draft is its managers' only.
    static func visible(_ id: UUID, to principal: Principal, on database: any Database) async throws -> Campaign {
        guard let campaign = try await Campaign.find(id, on: database),
              campaign.publishedAt != nil || mayManage(stateCode: campaign.stateCode, principal)
        else { throw Problem.notFound("campaign") }
        return campaign
    }

    static func manageable(_ id: UUID, by principal: Principal, on database: any Database) async throws -> Campaign {
        let campaign = try await visible(id, to: principal, on: database)
        guard mayManage(stateCode: campaign.stateCode, principal) else {
            throw Problem(.forbidden, "Only national admins, and the State's own State admins for a State's campaign, may change a campaign.")
        }
        return campaign
    }

    // MARK: Changes

    static func create(_ input: CampaignInput, by principal: Principal, now: Date, on database: any Database) async throws -> Campaign {
        if let state = input.stateCode, Geography.reference.state(code: state) == nil {
            throw Problem.invalid("stateCode", "no State or UT has LGD code \(state)")
        }
        guard mayManage(stateCode: input.stateCode, principal) else {
            throw input.stateCode == nil
                ? Problem(.forbidden, "National campaigns are made by national admins; a State admin makes one for their own State (give stateCode).")
                : Problem(.forbidden, "Your roles do not reach that State: a State's campaign is made by its own State admins.")
        }
        let campaign = Campaign()
        campaign.id = UUID()
        campaign.stateCode = input.stateCode
        campaign.createdBy = principal.userID
        campaign.createdAt = now
        campaign.storedStage = .draft
        let eligible = input.eligible ?? CampaignInput.Eligible(kind: .all)
        try await apply(name: input.name, nameHi: input.nameHi, startDate: input.startDate, endDate: input.endDate, eligible: eligible,
                        goal: input.goal, organisationGoalPercent: input.organisationGoalPercent ?? 50, banner: input.banner, bannerHi: input.bannerHi,
                        to: campaign, now: now, on: database)
        try await database.transaction { database in
            try await campaign.create(on: database)
            try await writeItems(eligible, of: campaign.id!, on: database)
        }
        return campaign
    }

    static func update(_ id: UUID, with patch: CampaignPatch, by principal: Principal, now: Date, on database: any Database) async throws -> Campaign {
        let campaign = try await manageable(id, by: principal, on: database)
        let today = IndiaDay.of(now)
        let stage = campaign.stage(today: today)
        guard stage != .closed else { throw Problem(.conflict, "This campaign is closed; a closed campaign does not change.") }
        if stage != .draft {
            // What it counts and how is fixed once people can see it: the counters were kept by it.
            var fixed: [FieldError] = []
            if patch.eligible != nil { fixed.append(FieldError("eligible", "cannot change once the campaign is published")) }
            if patch.goal != nil { fixed.append(FieldError("goal", "cannot change once the campaign is published")) }
            if let start = patch.startDate, let day = IndiaDay.parse(start), day != campaign.startDay, stage == .live || day <= today {
                fixed.append(FieldError("startDate", stage == .live ? "cannot change once the campaign is live" : "a published campaign starts after today"))
            }
            if let end = patch.endDate, let day = IndiaDay.parse(end), day < today, stage == .live {
                fixed.append(FieldError("endDate", "a live campaign cannot end before today"))
            }
            if !fixed.isEmpty { throw Problem.invalid(fixed) }
        }
        let items = try await Campaigns.items(of: [id], on: database as! any SQLDatabase)[id] ?? [:]
        let eligible = patch.eligible ?? CampaignInput.Eligible(kind: campaign.eligible, courseIds: Array(items[.course] ?? []),
                                                                  eventIds: Array(items[.event] ?? []), competencyIds: Array(items[.competency] ?? []))
        try await apply(name: patch.name ?? campaign.name, nameHi: patch.nameHi ?? campaign.nameHi,
                        startDate: patch.startDate ?? IndiaDay.string(campaign.startDay), endDate: patch.endDate ?? IndiaDay.string(campaign.endDay),
                        eligible: eligible, goal: patch.goal ?? CampaignInput.Goal(kind: campaign.goalKind, value: campaign.goalValue),
                        organisationGoalPercent: patch.organisationGoalPercent ?? campaign.organisationGoalPercent,
                        banner: patch.banner ?? campaign.banner, bannerHi: patch.bannerHi ?? campaign.bannerHi, to: campaign, now: now, on: database)
        try await database.transaction { database in
            try await campaign.update(on: database)
            if patch.eligible != nil { try await writeItems(eligible, of: id, on: database) }
        }
        return campaign
    }

    static func publish(_ id: UUID, by principal: Principal, now: Date, on database: any Database) async throws -> Campaign {
        let campaign = try await manageable(id, by: principal, on: database)
        guard campaign.publishedAt == nil else { throw Problem(.conflict, "This campaign is already published.") }
        // It counts whole days: published before its first day, it counts all of each of them.
        guard campaign.startDay > IndiaDay.of(now) else {
            throw Problem.invalid("startDate", "a campaign is published before its first day (it counts whole days); move its start to tomorrow or later")
        }
        try await checkOverlap(campaign, on: database)
        campaign.publishedAt = now
        campaign.updatedAt = now
        campaign.storedStage = campaign.stage(today: IndiaDay.of(now))
        try await campaign.update(on: database)
        return campaign
    }

    static func close(_ id: UUID, by principal: Principal, now: Date, on database: any Database) async throws -> Campaign {
        let campaign = try await manageable(id, by: principal, on: database)
        guard campaign.stage(today: IndiaDay.of(now)) != .closed else { throw Problem(.conflict, "This campaign is already closed.") }
        campaign.closedAt = now
        campaign.closedDay = IndiaDay.of(now)
        campaign.updatedAt = now
        campaign.storedStage = .closed
        try await campaign.update(on: database)
        return campaign
    }

    /// Checks and sets a campaign's fields; every problem is named at once.
    private static func apply(name: String, nameHi: String?, startDate: String, endDate: String, eligible: CampaignInput.Eligible,
                              goal: CampaignInput.Goal, organisationGoalPercent: Int, banner: String?, bannerHi: String?,
                              to campaign: Campaign, now: Date, on database: any Database) async throws {
        var problems: [FieldError] = []
        let name = name.trimmed
        if name.isEmpty || name.unicodeScalars.count > 200 { problems.append(FieldError("name", "is required, at most 200 characters")) }
        if let nameHi, nameHi.trimmed.unicodeScalars.count > 200 { problems.append(FieldError("nameHi", "must be at most 200 characters")) }
        for (field, text) in [("banner", banner), ("bannerHi", bannerHi)] where (text?.unicodeScalars.count ?? 0) > 500 {
            problems.append(FieldError(field, "must be at most 500 characters"))
        }
        let start = IndiaDay.parse(startDate), end = IndiaDay.parse(endDate)
        if start == nil { problems.append(FieldError("startDate", "must be a date, YYYY-MM-DD")) }
        if end == nil { problems.append(FieldError("endDate", "must be a date, YYYY-MM-DD")) }
        if let start, let end { problems += CampaignDates.problems(startDay: start, endDay: end) }
        let checkedGoal = CampaignGoal(kind: goal.kind, value: goal.value)
        if let problem = checkedGoal.problem { problems.append(problem) }
        if !(1...100).contains(organisationGoalPercent) { problems.append(FieldError("organisationGoalPercent", "must be from 1 to 100")) }
        problems += try await eligibilityProblems(eligible, on: database)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        campaign.name = name
        campaign.nameHi = nameHi?.trimmed ?? ""
        campaign.startDay = start!
        campaign.endDay = end!
        campaign.eligible = eligible.kind
        campaign.goalKind = checkedGoal.kind
        campaign.goalValue = checkedGoal.value
        campaign.organisationGoalPercent = organisationGoalPercent
        campaign.banner = banner?.trimmed ?? ""
        campaign.bannerHi = bannerHi?.trimmed ?? ""
        campaign.updatedAt = now
        if campaign.publishedAt != nil { try await checkOverlap(campaign, on: database) }
    }

    private static func eligibilityProblems(_ eligible: CampaignInput.Eligible, on database: any Database) async throws -> [FieldError] {
        let courses = eligible.courseIds ?? [], events = eligible.eventIds ?? [], competencies = eligible.competencyIds ?? []
        var problems: [FieldError] = []
        switch eligible.kind {
        case .all:
            if !(courses.isEmpty && events.isEmpty && competencies.isEmpty) {
                problems.append(FieldError("eligible.kind", "\"all\" counts everything; choose \"chosen\" or \"competencies\" to name what counts"))
            }
        case .chosen:
            if courses.isEmpty && events.isEmpty { problems.append(FieldError("eligible.courseIds", "name at least one course or event")) }
            if courses.count + events.count > 2_000 { problems.append(FieldError("eligible.courseIds", "at most 2000 courses and events")) }
            let known = try await Courses.providerIDs(of: courses, on: database)
            for (index, id) in courses.enumerated() where known[id] == nil {
                problems.append(FieldError("eligible.courseIds[\(index)]", "no course has this id"))
            }
            let knownEvents = try await Events.existing(events, on: database)
            for (index, id) in events.enumerated() where !knownEvents.contains(id) {
                problems.append(FieldError("eligible.eventIds[\(index)]", "no event has this id"))
            }
        case .competencies:
            if competencies.isEmpty { problems.append(FieldError("eligible.competencyIds", "name at least one competency")) }
            let known = try await Competencies.labels(competencies, on: database)
            for (index, id) in competencies.enumerated() where known[id] == nil {
                problems.append(FieldError("eligible.competencyIds[\(index)]", "is not a competency of the framework"))
            }
        }
        return problems
    }

    private static func writeItems(_ eligible: CampaignInput.Eligible, of id: UUID, on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.delete(from: "campaign_items").where("campaign_id", .equal, SQLBind(id)).run()
        var rows: [(ItemKind, UUID)] = []
        switch eligible.kind {
        case .all: break
        case .chosen: rows = Set(eligible.courseIds ?? []).map { (.course, $0) } + Set(eligible.eventIds ?? []).map { (.event, $0) }
        case .competencies: rows = Set(eligible.competencyIds ?? []).map { (.competency, $0) }
        }
        for start in stride(from: 0, to: rows.count, by: 500) {
            var insert = sql.insert(into: "campaign_items").columns("campaign_id", "kind", "item_id")
            for (kind, item) in rows[start..<min(start + 500, rows.count)] { insert = insert.values(SQLBind(id), SQLBind(kind.rawValue), SQLBind(item)) }
            try await insert.run()
        }
    }

    /// Two national campaigns may not overlap (a State's may overlap anything: its people take part in both).
    private static func checkOverlap(_ campaign: Campaign, on database: any Database) async throws {
        guard campaign.stateCode == nil else { return }
        let others = try await Campaign.query(on: database).filter(\.$stateCode == nil).filter(\.$publishedAt != nil).filter(\.$closedAt == nil)
            .filter(\.$id != campaign.id!).filter(\.$startDay <= campaign.endDay).filter(\.$endDay >= campaign.startDay).first()
        if let other = others {
            throw Problem(.conflict, "The dates overlap the national campaign \"\(other.name)\" (\(IndiaDay.string(other.startDay)) to \(IndiaDay.string(other.endDay))); two national campaigns may not overlap.",
                          errors: [FieldError("startDate", "overlaps \"\(other.name)\"")])
        }
    }

    // MARK: Reading

    static func dtos(_ campaigns: [Campaign], today: Int, on database: any Database) async throws -> [CampaignDTO] {
        let items = try await self.items(of: campaigns.compactMap(\.id), on: database as! any SQLDatabase)
        return campaigns.map { campaign in
            let chosen = items[campaign.id!] ?? [:]
            func sorted(_ kind: ItemKind) -> [UUID] { (chosen[kind] ?? []).sorted { $0.uuidString < $1.uuidString } }
            return CampaignDTO(id: campaign.id!, name: campaign.name, nameHi: campaign.nameHi, stateCode: campaign.stateCode,
                               startDate: IndiaDay.string(campaign.startDay), endDate: IndiaDay.string(campaign.endDay), stage: campaign.stage(today: today),
                               eligible: .init(kind: campaign.eligible, courseIds: sorted(.course), eventIds: sorted(.event), competencyIds: sorted(.competency)),
                               goal: campaign.goal, organisationGoalPercent: campaign.organisationGoalPercent, banner: campaign.banner, bannerHi: campaign.bannerHi,
                               publishedAt: campaign.publishedAt, closedAt: campaign.closedAt, createdAt: campaign.createdAt, updatedAt: campaign.updatedAt)
        }
    }

    /// Campaigns the principal may see, latest first; `stage=` filters.
    static func list(stage: CampaignStage?, page: PageRequest, for principal: Principal, today: Int, on database: any Database) async throws -> Page<CampaignDTO> {
        var query = Campaign.query(on: database)
        if !principal.access.isNationalAdmin {
            let states = principal.access.grants.compactMap { grant -> Int? in
                if grant.role == .stateAdmin, case .state(let code) = grant.target { return code }
                return nil
            }
            query = query.group(.or) { group in
                group.filter(\.$publishedAt != nil)
                if !states.isEmpty { group.filter(\.$stateCode ~~ states) }
            }
        }
        switch stage {
        case .draft?: query = query.filter(\.$publishedAt == nil)
        case .scheduled?: query = query.filter(\.$publishedAt != nil).filter(\.$closedAt == nil).filter(\.$startDay > today)
        case .live?: query = query.filter(\.$publishedAt != nil).filter(\.$closedAt == nil).filter(\.$startDay <= today).filter(\.$endDay >= today)
        case .closed?: query = query.filter(\.$publishedAt != nil).group(.or) { $0.filter(\.$closedAt != nil).filter(\.$endDay < today) }
        case nil: break
        }
        if let cursor = page.cursor, let day = Int(cursor.key) {
            query = query.group(.or) { group in
                group.filter(\.$startDay < day)
                group.group(.and) { $0.filter(\.$startDay == day).filter(\.$id > cursor.id) }
            }
        }
        let rows = try await query.sort(\.$startDay, .descending).sort(\.$id).limit(page.limit + 1).all()
        let (shown, next) = page.slice(rows, key: { String($0.startDay) }, id: { $0.id! })
        return Page(items: try await dtos(shown, today: today, on: database), nextCursor: next)
    }

    /// For `generate --scale … --learning-weeks`: a national learning week that ended (its counters are then recounted
    /// from the generated learning), and one live from `liveFrom` for a week, published the day before.
    static func addGenerated(pastWeek: ClosedRange<Int>, liveFrom: Int, by author: UUID, now: Date, on database: any Database) async throws {
        for (name, days, published) in [("Karmayogi Saptah (generated)", pastWeek, IndiaDay.start(pastWeek.lowerBound - 7)),
                                         ("National learning week (generated, live)", liveFrom...(liveFrom + 6), IndiaDay.start(liveFrom - 1))] {
            let campaign = Campaign()
            campaign.id = UUID()
            campaign.name = name
            campaign.nameHi = "कर्मयोगी सप्ताह"
            campaign.startDay = days.lowerBound
            campaign.endDay = days.upperBound
            campaign.eligible = .all
            campaign.goalKind = .hours
            campaign.goalValue = 4
            campaign.organisationGoalPercent = 50
            campaign.banner = "Four hours of learning this week."
            campaign.bannerHi = "इस सप्ताह चार घंटे का शिक्षण।"
            campaign.publishedAt = published
            campaign.storedStage = campaign.stage(today: IndiaDay.of(now))
            campaign.createdBy = author
            campaign.createdAt = published
            campaign.updatedAt = published
            try await campaign.create(on: database)
        }
    }
}
