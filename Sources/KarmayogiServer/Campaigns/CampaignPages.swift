import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Learning weeks on the portal: the banner on home and the catalogue while one is live, the campaign's page with its
/// live counters (refreshing themselves, with or without a script), the person's own progress and the leaderboards;
/// and for national and State admins, making, publishing and closing campaigns.
struct CampaignPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("campaigns", use: Self.list)
        routes.get("campaigns", "new", use: Self.newForm)
        routes.post("campaigns", "new", use: Self.create)
        routes.get("campaigns", ":id", use: Self.show)
        routes.get("campaigns", ":id", "edit", use: Self.editForm)
        routes.post("campaigns", ":id", "edit", use: Self.edit)
        routes.post("campaigns", ":id", "publish") { try await Self.transition($0, publish: true) }
        routes.post("campaigns", ":id", "close") { try await Self.transition($0, publish: false) }
    }

    /// The name and banner in the reader's language (Hindi when there is one), else English.
    static func name(_ campaign: CampaignDTO, _ t: Catalogue) -> String { t.language == "hi" && !campaign.nameHi.isEmpty ? campaign.nameHi : campaign.name }
    static func banner(_ campaign: CampaignDTO, _ t: Catalogue) -> String { t.language == "hi" && !campaign.bannerHi.isEmpty ? campaign.bannerHi : campaign.banner }

    static func goal(_ goal: CampaignGoal, _ t: Catalogue) -> String {
        t(goal.kind == .hours ? "campaign.goal.hours" : "campaign.goal.completions", ["value": Formats.number(goal.value)])
    }

    /// The banner of each live campaign that reaches the person, with their own progress: on home and the catalogue.
    static func banners(_ request: Request) async throws -> HTML {
        guard let principal = request.auth.get(Principal.self) else { return "" }
        let t = request.catalogue
        let mine = try await Campaigns.mine(principal, app: request.application, on: request.db).filter { $0.campaign.stage == .live }
        let banners: [HTML] = mine.map { entry in
            let campaign = entry.campaign
            let done = t(campaign.goal.kind == .hours ? "campaign.doneHours" : "campaign.doneCompletions",
                         ["done": Formats.number(entry.done), "goal": Formats.number(campaign.goal.value)])
            return """
                <aside class="campaign-banner" aria-label="\(name(campaign, t))">\
                <p><strong>\(name(campaign, t))</strong> · \(t("campaign.until", ["date": Formats.date(IndiaDay.start(IndiaDay.parse(campaign.endDate) ?? 0), t)]))</p>\
                \(banner(campaign, t).isEmpty ? "" : "<p>\(banner(campaign, t))</p>" as HTML)\
                \(UI.meter(min(100, entry.done / max(campaign.goal.value, 0.0001) * 100), text: done, label: t("campaign.myProgress")))\
                <p><a href="/campaigns/\(campaign.id.uuidString.lowercased())">\(t("campaign.open"))</a></p></aside>
                """
        }
        return "\(banners)"
    }

    @Sendable static func list(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let page = try await Campaigns.list(stage: nil, page: PageRequest(limit: 100), for: principal, today: IndiaDay.of(request.application.clock.now()), on: request.db)
        let order: [CampaignStage] = [.live, .scheduled, .draft, .closed]
        let campaigns = page.items.sorted { (order.firstIndex(of: $0.stage)!, $1.startDate) < (order.firstIndex(of: $1.stage)!, $0.startDate) }
        let rows: [HTML] = campaigns.map { campaign in
            let place = campaign.stateCode.flatMap { Geography.reference.state(code: $0)?.name } ?? t("campaign.national")
            return "<tr><td><a href=\"/campaigns/\(campaign.id.uuidString.lowercased())\">\(name(campaign, t))</a></td><td>\(place)</td>"
                + "<td>\(campaign.startDate) – \(campaign.endDate)</td><td>\(stageBadge(campaign.stage, t))</td><td>\(goal(campaign.goal, t))</td></tr>"
        }
        let mayMake = principal.access.isNationalAdmin || principal.access.grants.contains { $0.role == .stateAdmin }
        return Layout.page(t("campaigns.title"), for: request, """
            <p class="muted">\(t("campaigns.intro"))</p>
            \(mayMake ? "<p><a class=\"button\" href=\"/campaigns/new\">\(t("campaigns.new"))</a></p>" as HTML : "")
            \(UI.table(t("campaigns.title"), head: [t("campaign.name"), t("campaign.reach"), t("campaign.dates"), t("campaign.stage"), t("campaign.goal")],
                       rows: rows, empty: t("campaigns.none")))
            """)
    }

    static func stageBadge(_ stage: CampaignStage, _ t: Catalogue) -> HTML {
        UI.badge(t("campaign.stage.\(stage.rawValue)"), stage == .live ? .success : stage == .scheduled ? .info : .neutral)
    }

    // MARK: The campaign

    @Sendable static func show(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        return try await page(request, principal: principal, notice: nil, problem: nil)
    }

    static func page(_ request: Request, principal: Principal, notice: String?, problem: Problem?) async throws -> HTML {
        let t = request.catalogue
        let id = try request.id(of: "campaign")
        let database = request.reads
        let campaign = try await Campaigns.visible(id, to: principal, on: database)
        let today = IndiaDay.of(request.application.clock.now())
        let dto = try await Campaigns.dtos([campaign], today: today, on: database)[0]
        let manage = Campaigns.mayManage(stateCode: campaign.stateCode, principal)
        // The scopes shown: the campaign's own (the nation or its State), and the reader's State, district and organisation.
        var scopes: [String] = [campaign.stateCode.map { "state:\($0)" } ?? "nation"]
        if campaign.stateCode == nil, let state = principal.place.stateCode { scopes.append("state:\(state)") }
        if let district = principal.place.districtCode { scopes.append("district:\(district)") }
        scopes.append("org:\(principal.organisationID.uuidString.lowercased())")
        var summaries: [CampaignSummaryDTO] = []
        for scope in scopes { summaries.append(try await Campaigns.summary(of: campaign, scope: scope, app: request.application, on: database)) }
        let mine = try await Campaigns.mine(principal, app: request.application, on: database).first { $0.campaign.id == id }

        func figure(_ key: String, _ value: String, hint: String? = nil) -> HTML { UI.figure(t(key), "\(value)", hint: hint) }
        let counters: [HTML] = summaries.map { summary in
            let share = Formats.number(summary.goalShare * 100) + "%"
            return """
                <section class="card" aria-labelledby="h-\(summary.scope.replacingOccurrences(of: ":", with: "-"))">\
                <h3 id="h-\(summary.scope.replacingOccurrences(of: ":", with: "-"))">\(summary.name)</h3>\
                <div class="figures">\
                \(figure("campaign.participants", Formats.number(summary.participants)))\
                \(figure("campaign.enrolments", Formats.number(summary.enrolments)))\
                \(figure("campaign.completions", Formats.number(summary.completions)))\
                \(figure("campaign.hours", Formats.number(summary.learningHours)))\
                \(figure("campaign.reached", Formats.number(summary.goalReached), hint: summary.staff > 0 ? t("campaign.ofStaff", ["share": share, "staff": Formats.number(summary.staff)]) : nil))\
                </div>\
                \(summary.organisationGoalMet.map { met in "<p>\(UI.badge(t(met ? "campaign.orgGoalMet" : "campaign.orgGoalNotYet", ["percent": String(summary.organisationGoalPercent)]), met ? .success : .warning))</p>" as HTML } ?? "")\
                </section>
                """
        }
        let progress: HTML = mine.map { entry in
            let text = t(campaign.goalKind == .hours ? "campaign.doneHours" : "campaign.doneCompletions",
                         ["done": Formats.number(entry.done), "goal": Formats.number(campaign.goalValue)])
            return """
                <section class="card" aria-labelledby="h-mine"><h2 id="h-mine">\(t("campaign.myProgress"))</h2>\
                \(UI.meter(min(100, entry.done / max(campaign.goalValue, 0.0001) * 100), text: text, label: t("campaign.myProgress")))\
                \(entry.reached ? "<p>\(UI.badge(t("campaign.youReached"), .success))</p>" as HTML : "<p><a class=\"button\" href=\"/courses\">\(t("campaign.learnNow"))</a></p>" as HTML)\
                </section>
                """
        } ?? ""

        // Leaderboards: the one asked for (`board=`), with links to the others.
        typealias Board = Campaigns.LeaderboardKind
        let boards: [Board] = campaign.stateCode == nil ? [.organisations, .states, .people] : [.organisations, .districts, .people]
        let board = request.query[String.self, at: "board"].flatMap(Board.init(rawValue:)).flatMap { boards.contains($0) ? $0 : nil } ?? boards[0]
        let scope: String? = board == .people ? nil : campaign.stateCode.map { "state:\($0)" }
        let leaderboard = try await Campaigns.leaderboard(of: campaign, kind: board.rawValue, scope: scope, bucket: nil, limit: 20, by: principal,
                                                          app: request.application, on: request.db)
        let tabs: [HTML] = boards.map { kind in
            kind == board ? "<li aria-current=\"page\"><strong>\(t("campaign.board.\(kind.rawValue)"))</strong></li>"
                : "<li><a href=\"/campaigns/\(id.uuidString.lowercased())?board=\(kind.rawValue)#boards\">\(t("campaign.board.\(kind.rawValue)"))</a></li>"
        }
        let rows: [HTML] = leaderboard.items.map { row in
            let share = row.goalShare.map { Formats.number($0 * 100) + "%" } ?? (row.reached == true ? "✓" : "")
            return "<tr><td class=\"number\">\(row.rank)</td><td>\(row.name)\(row.bucket.map { " " + UI.badge($0.rawValue) } ?? "")</td>"
                + "<td class=\"number\">\(Formats.number(row.learningHours))</td><td class=\"number\">\(Formats.number(row.completions))</td><td class=\"number\">\(share)</td></tr>"
        }
        let actions: HTML = manage ? """
            <div class="actions">\
            \(dto.stage != .closed ? "<a class=\"button secondary\" href=\"/campaigns/\(id.uuidString.lowercased())/edit\">\(t("campaign.edit"))</a>" as HTML : "")\
            \(dto.stage == .draft ? "<form method=\"post\" action=\"/campaigns/\(id.uuidString.lowercased())/publish\" class=\"inline\">\(request.csrfField)<button>\(t("campaign.publish"))</button></form>" as HTML : "")\
            \(dto.stage != .closed ? "<form method=\"post\" action=\"/campaigns/\(id.uuidString.lowercased())/close\" class=\"inline\">\(request.csrfField)<button class=\"danger\">\(t("campaign.close"))</button></form>" as HTML : "")\
            </div>
            """ : ""
        let live = dto.stage == .live
        return Layout.page(name(dto, t), for: request, crumbs: [UI.Crumb(t("campaigns.title"), "/campaigns"), UI.Crumb(name(dto, t))], """
            \(notice.map { "<p class=\"notice\" role=\"status\">\($0)</p>" as HTML } ?? "")\(Layout.problem(problem, t))
            <p>\(stageBadge(dto.stage, t)) \(t("campaign.between", ["from": Formats.date(IndiaDay.start(campaign.startDay), t), "to": Formats.date(IndiaDay.start(campaign.endDay), t)])) · \(goal(campaign.goal, t))</p>
            \(banner(dto, t).isEmpty ? "" : "<p class=\"lead\">\(banner(dto, t))</p>" as HTML)
            \(actions)
            \(progress)
            \(live ? "<noscript><meta http-equiv=\"refresh\" content=\"60\"></noscript>" as HTML : "")
            <div\(live ? " data-live=\"30\"" as HTML : "") aria-live="off">
            <h2>\(t("campaign.counters"))</h2>
            <p class="muted">\(t("campaign.asOf", ["time": Formats.time(request.application.clock.now(), t)]))\(live ? " " + t("campaign.refreshes") : "")</p>
            \(counters)
            </div>
            <h2 id="boards">\(t("campaign.leaderboards"))</h2>
            <nav aria-label="\(t("campaign.leaderboards"))"><ul class="tabs">\(tabs)</ul></nav>
            <p class="muted">\(t("campaign.board.\(board.rawValue).about"))</p>
            \(UI.table(t("campaign.board.\(board.rawValue)"), head: [t("campaign.rank"), t("campaign.who"), t("campaign.hours"), t("campaign.completions"), t(board == .people ? "campaign.reachedShort" : "campaign.share")],
                       rows: rows, empty: t("campaign.boardEmpty"), numeric: [0, 2, 3, 4]))
            <script src="\(Assets.url("admin.js"))" defer></script>
            """)
    }

    @Sendable static func transition(_ request: Request, publish: Bool) async throws -> Response {
        let principal = try request.pagePrincipal()
        let id = try request.id(of: "campaign")
        let now = request.application.clock.now()
        return try await Layout.answer(request, {
            if publish { _ = try await Campaigns.publish(id, by: principal, now: now, on: request.db) } else {
                _ = try await Campaigns.close(id, by: principal, now: now, on: request.db)
            }
            return request.catalogue(publish ? "campaign.published" : "campaign.closed")
        }, page: { notice, problem in try await page(request, principal: principal, notice: notice, problem: problem) })
    }

    // MARK: Making and changing

    struct CampaignForm: Content {
        var csrf: String?
        var name: String?
        var nameHi: String?
        var stateCode: String?
        var startDate: String?
        var endDate: String?
        var goalKind: String?
        var goalValue: String?
        var organisationGoalPercent: String?
        var eligible: String?
        var courseIds: String?
        var competencyIds: [String]?
        var banner: String?
        var bannerHi: String?
    }

    static func form(_ request: Request, principal: Principal, action: String, campaign: CampaignDTO?, sent: CampaignForm?, problem: Problem?) async throws -> HTML {
        let t = request.catalogue
        let published = campaign.map { $0.stage != .draft } ?? false
        func value(_ sent: String?, _ stored: String?) -> String { sent ?? stored ?? "" }
        let states: [(value: String, label: String)] = principal.access.isNationalAdmin
            ? [("", t("campaign.national"))] + Geography.reference.states.map { (String($0.code), $0.name) }
            : principal.access.grants.compactMap { grant -> (String, String)? in
                guard grant.role == .stateAdmin, case .state(let code) = grant.target, let state = Geography.reference.state(code: code) else { return nil }
                return (String(code), state.name)
            }
        let eligible = sent?.eligible ?? campaign?.eligible.kind.rawValue ?? "all"
        let competencies = try await Competencies.list(.init(), page: PageRequest(limit: 200), on: request.db).items.filter { $0.subTheme == nil }
        let chosenCompetencies = Set(sent?.competencyIds ?? campaign?.eligible.competencyIds.map { $0.uuidString.lowercased() } ?? [])
        let competencyChoices: [HTML] = competencies.map { competency in
            let id = competency.id.uuidString.lowercased()
            return "<li><input type=\"checkbox\" name=\"competencyIds[]\" value=\"\(id)\" id=\"k-\(id)\"\(chosenCompetencies.contains(id) ? " checked" : "" as HTML)\(published ? " disabled" : "" as HTML)> <label class=\"inline\" for=\"k-\(id)\">\(competency.theme)</label></li>"
        }
        func radio(_ kind: Campaign.Eligibility) -> HTML {
            let value = kind.rawValue
            return "<input type=\"radio\" name=\"eligible\" value=\"\(value)\" id=\"e-\(value)\"\(eligible == value ? " checked" : "" as HTML)\(published ? " disabled" : "" as HTML)> <label class=\"inline\" for=\"e-\(value)\">\(t("campaign.eligible.\(value)"))</label>"
        }
        let fixed: HTML = published ? " disabled" : ""
        let goalKind = sent?.goalKind ?? campaign?.goal.kind.rawValue ?? "hours"
        return """
            \(Layout.problem(problem, t))
            <form method="post" action="\(action)" class="card">\(request.csrfField)
            <label for="name">\(t("campaign.name"))</label><input type="text" id="name" name="name" required maxlength="200" value="\(value(sent?.name, campaign?.name))">
            <label for="nameHi">\(t("campaign.nameHi"))</label><input type="text" id="nameHi" name="nameHi" maxlength="200" lang="hi" value="\(value(sent?.nameHi, campaign?.nameHi))">
            \(campaign == nil ? "<label for=\"stateCode\">\(t("campaign.reach"))</label><select id=\"stateCode\" name=\"stateCode\">\(UI.options(states, chosen: sent?.stateCode))</select>" as HTML : "")
            <div class="pair"><div><label for="startDate">\(t("campaign.startDate"))</label><input type="date" id="startDate" name="startDate" required value="\(value(sent?.startDate, campaign?.startDate))"\(campaign?.stage == .live ? " disabled" : "" as HTML)></div>
            <div><label for="endDate">\(t("campaign.endDate"))</label><input type="date" id="endDate" name="endDate" required value="\(value(sent?.endDate, campaign?.endDate))"></div></div>
            <fieldset><legend>\(t("campaign.goal"))</legend>
            <div class="pair"><div><label for="goalKind">\(t("campaign.goalKind"))</label><select id="goalKind" name="goalKind"\(fixed)>\(UI.options([("hours", t("campaign.goalKind.hours")), ("completions", t("campaign.goalKind.completions"))], chosen: goalKind))</select></div>
            <div><label for="goalValue">\(t("campaign.goalValue"))</label><input type="number" id="goalValue" name="goalValue" min="0.5" step="0.5" required value="\(value(sent?.goalValue, campaign.map { Formats.number($0.goal.value) } ?? "4"))"\(fixed)></div></div>
            <label for="organisationGoalPercent">\(t("campaign.orgGoal"))</label><span class="hint">\(t("campaign.orgGoalHint"))</span>
            <input type="number" id="organisationGoalPercent" name="organisationGoalPercent" min="1" max="100" value="\(value(sent?.organisationGoalPercent, campaign.map { String($0.organisationGoalPercent) } ?? "50"))">
            </fieldset>
            <fieldset><legend>\(t("campaign.eligible"))</legend>
            <p>\(radio(.all))</p>
            <p>\(radio(.chosen))</p>
            <label for="courseIds">\(t("campaign.courseIds"))</label><span class="hint">\(t("campaign.courseIdsHint"))</span>
            <textarea id="courseIds" name="courseIds" rows="3"\(fixed)>\(value(sent?.courseIds, campaign.map { ($0.eligible.courseIds + $0.eligible.eventIds).map { $0.uuidString.lowercased() }.joined(separator: "\n") }))</textarea>
            <p>\(radio(.competencies))</p>
            <details><summary>\(t("campaign.chooseCompetencies"))</summary><ul class="choices">\(competencyChoices)</ul></details>
            </fieldset>
            <label for="banner">\(t("campaign.banner"))</label><input type="text" id="banner" name="banner" maxlength="500" value="\(value(sent?.banner, campaign?.banner))">
            <label for="bannerHi">\(t("campaign.bannerHi"))</label><input type="text" id="bannerHi" name="bannerHi" maxlength="500" lang="hi" value="\(value(sent?.bannerHi, campaign?.bannerHi))">
            \(published ? "<p class=\"muted\">\(t("campaign.fixedNote"))</p>" as HTML : "")
            <p><button>\(t(campaign == nil ? "campaign.create" : "campaign.save"))</button></p>
            </form>
            """
    }

    /// The form as the API's input; ids in the course box may be courses or events.
    static func input(_ form: CampaignForm, on database: any Database) async throws -> CampaignInput {
        let ids = (form.courseIds ?? "").split(whereSeparator: { $0.isWhitespace || $0 == "," }).map(String.init)
        var parsed: [UUID] = []
        for (index, text) in ids.enumerated() {
            guard let id = UUIDText.parse(text) else { throw Problem.invalid("eligible.courseIds[\(index)]", "'\(text)' is not a course or event id") }
            parsed.append(id)
        }
        let events = try await Events.existing(parsed, on: database)
        let kind = Campaign.Eligibility(rawValue: form.eligible ?? "all") ?? .all
        let goalValue = Double((form.goalValue ?? "").trimmed) ?? 0
        return CampaignInput(
            name: form.name ?? "", nameHi: form.nameHi, stateCode: form.stateCode.flatMap { Int($0) }, startDate: form.startDate ?? "", endDate: form.endDate ?? "",
            eligible: .init(kind: kind, courseIds: kind == .chosen ? parsed.filter { !events.contains($0) } : nil, eventIds: kind == .chosen ? parsed.filter(events.contains) : nil,
                            competencyIds: kind == .competencies ? (form.competencyIds ?? []).compactMap { UUIDText.parse($0) } : nil),
            goal: .init(kind: CampaignGoal.Kind(rawValue: form.goalKind ?? "hours") ?? .hours, value: goalValue),
            organisationGoalPercent: Int(form.organisationGoalPercent ?? "") ?? 0, banner: form.banner, bannerHi: form.bannerHi)
    }

    @Sendable static func newForm(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        return Layout.page(request.catalogue("campaigns.new"), for: request, crumbs: [UI.Crumb(request.catalogue("campaigns.title"), "/campaigns"), UI.Crumb(request.catalogue("campaigns.new"))],
                           try await form(request, principal: principal, action: "/campaigns/new", campaign: nil, sent: nil, problem: nil))
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let sent = try request.content.decode(CampaignForm.self)
        do {
            let campaign = try await Campaigns.create(try await input(sent, on: request.db), by: principal, now: request.application.clock.now(), on: request.db)
            return request.redirect(to: "/campaigns/\(campaign.id!.uuidString.lowercased())")
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) {
                Layout.page(request.catalogue("campaigns.new"), for: request, try await form(request, principal: principal, action: "/campaigns/new", campaign: nil, sent: sent, problem: problem))
            }
        }
    }

    @Sendable static func editForm(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let campaign = try await Campaigns.manageable(try request.id(of: "campaign"), by: principal, on: request.db)
        let dto = try await Campaigns.dtos([campaign], today: IndiaDay.of(request.application.clock.now()), on: request.db)[0]
        let t = request.catalogue
        return Layout.page(t("campaign.edit"), for: request, crumbs: [UI.Crumb(t("campaigns.title"), "/campaigns"), UI.Crumb(name(dto, t), "/campaigns/\(dto.id.uuidString.lowercased())"), UI.Crumb(t("campaign.edit"))],
                           try await form(request, principal: principal, action: "/campaigns/\(dto.id.uuidString.lowercased())/edit", campaign: dto, sent: nil, problem: nil))
    }

    @Sendable static func edit(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let campaign = try await Campaigns.manageable(try request.id(of: "campaign"), by: principal, on: request.db)
        let now = request.application.clock.now()
        let dto = try await Campaigns.dtos([campaign], today: IndiaDay.of(now), on: request.db)[0]
        let sent = try request.content.decode(CampaignForm.self)
        do {
            let input = try await input(sent, on: request.db)
            var patch = CampaignPatch(name: input.name, nameHi: input.nameHi, endDate: input.endDate, organisationGoalPercent: input.organisationGoalPercent,
                                      banner: input.banner, bannerHi: input.bannerHi)
            if dto.stage == .draft {
                patch.eligible = input.eligible
                patch.goal = input.goal
            }
            if dto.stage != .live { patch.startDate = input.startDate }
            _ = try await Campaigns.update(campaign.id!, with: patch, by: principal, now: now, on: request.db)
            return request.redirect(to: "/campaigns/\(campaign.id!.uuidString.lowercased())")
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) {
                Layout.page(request.catalogue("campaign.edit"), for: request,
                            try await form(request, principal: principal, action: "/campaigns/\(dto.id.uuidString.lowercased())/edit", campaign: dto, sent: sent, problem: problem))
            }
        }
    }
}
