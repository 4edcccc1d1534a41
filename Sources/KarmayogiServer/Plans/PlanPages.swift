import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// The plan editor (CBP admins), plan compliance (CBP, MDO and State admins), and a learner's own plans.
struct PlanPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("plans", use: Self.list)
        routes.get("plans", "new", use: Self.newForm)
        routes.post("plans", "new", use: Self.create)
        routes.get("plans", ":id", use: Self.show)
        routes.post("plans", ":id", use: Self.update)
        routes.post("plans", ":id", "publish") { try await Self.transition($0, .publish) }
        routes.post("plans", ":id", "retire") { try await Self.transition($0, .retire) }
        routes.get("plans", ":id", "compliance", use: Self.compliance)
        routes.get("my", "plans", use: Self.mine)
    }

    struct PlanForm: Content {
        var csrf: String?
        var name: String?
        var year: String?
        var dueDate: String?
        var courseIds: [String]?
        var assignment: String?
        var includeSubtree: String?
        var designations: String?
        var people: String?
        /// Finding courses to add: the words, and the button that asks (the form comes back, nothing is saved).
        var courseSearch: String?
        var find: String?
    }

    /// The organisation whose plans a page is about: `org=`, else the first one the person plans or watches for.
    static func organisation(_ request: Request, _ principal: Principal) async throws -> Organisation {
        if let text = request.query[String.self, at: "org"], let id = UUIDText.parse(text) {
            return try await Organisations.visible(id, to: principal, on: request.db)
        }
        let paths = principal.access.reach(of: .managePlans).organisationPaths.union(principal.access.reach(of: .viewInsights).organisationPaths)
        guard let path = paths.sorted(by: { $0.count < $1.count }).first,
              let organisation = try await Organisation.query(on: request.db).filter(\.$path == path).first()
        else { throw Problem(.forbidden, request.catalogue("plans.noOrganisation")) }
        return organisation
    }

    @Sendable static func list(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let reach = principal.access.reach(of: .viewInsights)
        if request.query[String.self, at: "org"] == nil, reach.organisationPaths.isEmpty, reach.everything || !reach.stateCodes.isEmpty {
            // National and State admins watch many organisations: they choose one (those at the top of their trees).
            let query = Organisation.query(on: request.db).filter(\.$parent.$id == nil).sort(\.$name)
            if !reach.everything { query.filter(\.$stateCode ~~ Array(reach.stateCodes)) }
            let links: [HTML] = try await query.limit(500).all().map { "<li><a href=\"/plans?org=\($0.id!.uuidString.lowercased())\">\($0.name)</a></li>" }
            return Layout.page(t("plans.choose"), for: request, "<ul>\(links)</ul>")
        }
        let organisation = try await organisation(request, principal)
        let plans = try await Plans.list(in: organisation.id!, state: nil, page: PageRequest(limit: 200), for: principal, on: request.db).items
        let rows: [HTML] = plans.map { plan in
            "<tr><td><a href=\"/plans/\(plan.id.uuidString.lowercased())\">\(plan.name)</a></td><td>\(plan.year)</td><td>\(t("plan.state.\(plan.state.rawValue)"))</td>"
                + "<td>\(plan.dueDate)</td><td>\(plan.courseIds.count)</td></tr>"
        }
        let manage = principal.access.allows(.managePlans, on: organisation.placement)
        return Layout.page(t("plans.title", ["organisation": organisation.name]), for: request, """
            \(manage ? HTML("<p><a class=\"button\" href=\"/plans/new?org=\(organisation.id!.uuidString.lowercased())\">\(t("plans.new"))</a></p>") : "")
            \(plans.isEmpty ? HTML("<p class=\"muted\">\(t("plans.none"))</p>") : """
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("plan.name"))</th><th>\(t("plan.year"))</th><th>\(t("plan.state"))</th><th>\(t("plan.dueDate"))</th><th>\(t("plan.courses"))</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """)
            """)
    }

    // MARK: - Making and changing a plan

    /// The plan form: the chosen courses, and (while they may change) a search of the published catalogue — its
    /// most popular courses before anything is searched — to tick more from; the assignment's three kinds.
    static func form(_ request: Request, action: String, plan: PlanDTO?, sent: PlanForm?, problem: Problem?, live: Bool) async throws -> HTML {
        let t = request.catalogue
        let chosen = sent?.courseIds ?? plan?.courseIds.map { $0.uuidString.lowercased() } ?? []
        let searched = String((sent?.courseSearch ?? "").trimmed.prefix(200))
        var query = CatalogueQuery()
        query.text = searched
        query.sort = searched.isEmpty ? .popularity : .relevance
        query.limit = 20 + chosen.count
        var (found, foundCards): (Int, [CourseCard]) = (0, [])
        if !live {
            let answer = try await request.application.catalogueSearch.search(query, on: request.db)
            (found, foundCards) = (answer.result.total, answer.cards)
        }
        let cards = try await request.application.catalogueSearch.cards(on: request.db)
        func choice(_ id: String, checked: Bool) -> HTML {
            let title = UUIDText.parse(id).flatMap { cards[$0] }.map { "\($0.title) (\($0.language))" } ?? id
            return "<li><input type=\"checkbox\" name=\"courseIds[]\" value=\"\(id)\" id=\"c-\(id)\"\(checked ? HTML(" checked") : "")\(live ? HTML(" disabled") : "")> <label class=\"inline\" for=\"c-\(id)\">\(title)</label></li>"
        }
        let more = foundCards.map { $0.id.uuidString.lowercased() }.filter { !chosen.contains($0) }.prefix(20)
        let choices: [HTML] = chosen.map { choice($0, checked: true) } + more.map { choice($0, checked: false) }
        let finder: HTML = live ? "" : """
            <label for="courseSearch">\(t("plan.findCourses"))</label>
            <input type="search" id="courseSearch" name="courseSearch" maxlength="200" value="\(searched)"> <button name="find" value="1" formnovalidate>\(t("plan.find"))</button>
            <p class="muted">\(t(searched.isEmpty ? "plan.popularCourses" : "plan.foundCourses", ["count": String(found)]))</p>
            """
        var kind = sent?.assignment ?? "allStaff", subtree = sent.map { $0.includeSubtree != nil } ?? true
        var designations = sent?.designations ?? "", people = sent?.people ?? ""
        if sent == nil, let assignment = plan?.assignment {
            switch assignment {
            case .allStaff(let includeSubtree): (kind, subtree) = ("allStaff", includeSubtree)
            case .designations(let names): (kind, designations) = ("designations", names.joined(separator: "\n"))
            case .users(let ids):
                kind = "people"
                people = try await User.query(on: request.db).filter(\.$id ~~ ids).all().map(\.email).joined(separator: "\n")
            }
        }
        func radio(_ value: String) -> HTML { "<input type=\"radio\" name=\"assignment\" value=\"\(value)\" id=\"a-\(value)\"\(kind == value ? HTML(" checked") : "")>" }
        let fixed: HTML = live ? " disabled" : ""
        return """
            \(Layout.problem(problem, t))
            <form method="post" action="\(action)" class="card">\(request.csrfField)
            <label for="name">\(t("plan.name"))</label><input type="text" id="name" name="name" required maxlength="200" value="\(sent?.name ?? plan?.name ?? "")">
            <label for="year">\(t("plan.year"))</label><input type="number" id="year" name="year" min="2020" max="2100" value="\(sent?.year ?? plan.map { String($0.year) } ?? String(IndiaDay.civil(IndiaDay.of(Date())).year))"\(fixed)>
            <label for="dueDate">\(t("plan.dueDate"))</label><input type="date" id="dueDate" name="dueDate" required value="\(sent?.dueDate ?? plan?.dueDate ?? "")">
            <fieldset><legend>\(t("plan.courses"))</legend>\(finder)
            <ul class="choices">\(choices)</ul></fieldset>
            <fieldset><legend>\(t("plan.assignment"))</legend>
            <p>\(radio("allStaff")) <label class="inline" for="a-allStaff">\(t("plan.allStaff"))</label>
            <input type="checkbox" id="includeSubtree" name="includeSubtree" value="on"\(subtree ? HTML(" checked") : "")> <label class="inline" for="includeSubtree">\(t("plan.includeSubtree"))</label></p>
            <p>\(radio("designations")) <label class="inline" for="a-designations">\(t("plan.designations"))</label></p>
            <textarea name="designations" rows="3" aria-label="\(t("plan.designations"))">\(designations)</textarea>
            <p>\(radio("people")) <label class="inline" for="a-people">\(t("plan.people"))</label></p>
            <textarea name="people" rows="3" aria-label="\(t("plan.people"))">\(people)</textarea>
            </fieldset>
            \(live ? HTML("<p class=\"muted\">\(t("plan.liveNote"))</p>") : "")
            <p><button>\(t(plan == nil ? "plan.create" : "plan.save"))</button></p>
            </form>
            """
    }

    /// The form as the API's input; people are named by e-mail address and found here.
    static func input(_ form: PlanForm, live: Bool, on database: any Database) async throws -> PlanInput {
        var input = PlanInput(name: form.name, dueDate: form.dueDate?.trimmed)
        if !live {
            input.year = form.year.flatMap { Int($0) } ?? 0
            input.courseIds = try (form.courseIds ?? []).map { text in
                guard let id = UUIDText.parse(text) else { throw Problem.invalid("courseIds", "choose courses from the list") }
                return id
            }
        }
        func lines(_ text: String?) -> [String] { (text ?? "").split(whereSeparator: \.isNewline).map { String($0).trimmed }.filter { !$0.isEmpty } }
        switch form.assignment {
        case "designations": input.assignment = .init(designations: lines(form.designations))
        case "people":
            let emails = lines(form.people).map { $0.lowercased() }
            let found = Dictionary(try await User.query(on: database).filter(\.$email ~~ emails).all().map { ($0.email, $0.id!) }, uniquingKeysWith: { a, _ in a })
            let unknown = emails.filter { found[$0] == nil }
            if !unknown.isEmpty { throw Problem.invalid("assignment.userIds", "no one is registered as \(unknown.prefix(5).joined(separator: ", "))") }
            input.assignment = .init(userIds: emails.compactMap { found[$0] })
        default: input.assignment = .init(allStaff: true, includeSubtree: form.includeSubtree != nil)
        }
        return input
    }

    @Sendable static func newForm(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let organisation = try await Plans.manageable(try await organisation(request, principal).id!, by: principal, on: request.db)
        return Layout.page(request.catalogue("plans.new"), for: request,
                           try await form(request, action: "/plans/new?org=\(organisation.id!.uuidString.lowercased())", plan: nil, sent: nil, problem: nil, live: false))
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let organisation = try await organisation(request, principal)
        let sent = try request.content.decode(PlanForm.self)
        if sent.find != nil {
            return try await Layout.page(request.catalogue("plans.new"), for: request,
                                         try await form(request, action: "/plans/new?org=\(organisation.id!.uuidString.lowercased())", plan: nil, sent: sent, problem: nil, live: false))
                .encodeResponse(for: request)
        }
        do {
            let plan = try await Plans.create(try await input(sent, live: false, on: request.db), in: organisation.id!, by: principal, on: request.db)
            return request.redirect(to: "/plans/\(plan.id!.uuidString.lowercased())")
        } catch let problem as Problem where problem.status == .unprocessableEntity {
            return try await Layout.failed(problem, request) {
                Layout.page(request.catalogue("plans.new"), for: request,
                            try await form(request, action: "/plans/new?org=\(organisation.id!.uuidString.lowercased())", plan: nil, sent: sent, problem: problem, live: false))
            }
        }
    }

    /// A value of the plan's history as its reader says it: a state by its name, a day as a date; others as recorded.
    static func historyValue(_ field: String, _ value: String?, _ t: Catalogue) -> String {
        guard let value else { return "" }
        switch field {
        case "state": return t("plan.state.\(value)")
        case "dueDate": return IndiaDay.parse(value).map { Formats.date(IndiaDay.start($0), t) } ?? value
        default: return value
        }
    }

    static func page(_ request: Request, plan: Plan, organisation: Organisation, sent: PlanForm? = nil, problem: Problem? = nil) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let dto = try await Plans.dtos([plan], withChanges: true, on: request.db)[0]
        let manage = principal.access.allows(.managePlans, on: organisation.placement)
        let id = plan.id!.uuidString.lowercased()
        let courses: [HTML] = dto.courses.map { "<li><a href=\"/courses/\($0.id.uuidString.lowercased())\">\($0.title ?? $0.id.uuidString)</a></li>" }
        let history: [HTML] = (dto.changes ?? []).map { change in
            "<tr><td>\(Formats.moment(change.at, t))</td><td>\(change.byName ?? "")</td><td>\(t.translated("plan.field.\(change.field)", else: change.field))</td>"
                + "<td>\(historyValue(change.field, change.before, t))</td><td>\(historyValue(change.field, change.after, t))</td><td>\(change.comment ?? "")</td></tr>"
        }
        var actions: [HTML] = []
        if manage, plan.state.after(.publish) != nil {
            actions.append("<form method=\"post\" action=\"/plans/\(id)/publish\" class=\"inline\">\(request.csrfField)<button>\(t("plan.publish"))</button></form>")
        }
        if manage, plan.state.after(.retire) != nil {
            actions.append(" <form method=\"post\" action=\"/plans/\(id)/retire\" class=\"inline\">\(request.csrfField)<button>\(t("plan.retire"))</button></form>")
        }
        return Layout.page(plan.name, for: request, """
            <p><a href="/plans?org=\(organisation.id!.uuidString.lowercased())">\(t("plans.title", ["organisation": organisation.name]))</a> ·
            <a href="/plans/\(id)/compliance">\(t("compliance.title"))</a></p>
            <div class="card"><p>\(t("plan.state")): <strong>\(t("plan.state.\(plan.state.rawValue)"))</strong> · \(t("plan.year")) \(plan.year) · \(t("plan.dueDate")) \(historyValue("dueDate", dto.dueDate, t))</p>
            <ol>\(courses)</ol>\(actions)</div>
            \(manage && plan.state != .retired ? try await form(request, action: "/plans/\(id)", plan: dto, sent: sent, problem: problem, live: plan.state == .live) : HTML(""))
            <h2>\(t("plan.history"))</h2>
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("plan.when"))</th><th>\(t("plan.who"))</th><th>\(t("plan.field"))</th><th>\(t("plan.before"))</th><th>\(t("plan.after"))</th><th>\(t("plan.comment"))</th></tr></thead>
            <tbody>\(history)</tbody></table></div>
            """)
    }

    @Sendable static func show(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let (plan, organisation) = try await Plans.visible(try request.id(of: "plan"), to: principal, on: request.db)
        return try await page(request, plan: plan, organisation: organisation)
    }

    @Sendable static func update(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let (plan, organisation) = try await Plans.visible(try request.id(of: "plan"), to: principal, on: request.db)
        let sent = try request.content.decode(PlanForm.self)
        if sent.find != nil { return try await page(request, plan: plan, organisation: organisation, sent: sent).encodeResponse(for: request) }
        do {
            _ = try await Plans.update(plan.id!, with: try await input(sent, live: plan.state == .live, on: request.db), by: principal, on: request.db)
            return request.redirect(to: "/plans/\(plan.id!.uuidString.lowercased())")
        } catch let problem as Problem where problem.status == .unprocessableEntity || problem.status == .conflict {
            return try await Layout.failed(problem, request) { try await page(request, plan: plan, organisation: organisation, sent: sent, problem: problem) }
        }
    }

    static func transition(_ request: Request, _ action: PlanAction) async throws -> Response {
        let principal = try request.pagePrincipal()
        let id = try request.id(of: "plan")
        do {
            _ = try await Plans.transition(id, action, comment: nil, by: principal, on: request.db)
            return request.redirect(to: "/plans/\(id.uuidString.lowercased())")
        } catch let problem as Problem where problem.status == .conflict {
            let (plan, organisation) = try await Plans.visible(id, to: principal, on: request.db)
            return try await Layout.failed(problem, request) { try await page(request, plan: plan, organisation: organisation, problem: problem) }
        }
    }

    // MARK: - Compliance and one's own plans

    static func counts(_ counts: StandingCounts, _ t: Catalogue) -> HTML {
        "<td>\(counts.assigned)</td><td>\(counts.notStarted)</td><td>\(counts.enrolled)</td><td>\(counts.completedOnTime)</td><td>\(counts.completedLate)</td><td>\(counts.overdue)</td>"
    }

    @Sendable static func compliance(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let (plan, organisation) = try await Plans.visible(try request.id(of: "plan"), to: principal, on: request.db)
        let designation = request.query[String.self, at: "designation"].flatMap { $0.trimmed.isEmpty ? nil : $0 }
        let report = try await Plans.compliance(plan, of: organisation, designation: designation, page: try PageRequest(request, defaultLimit: 50, maximum: 500), on: request.db)
        let id = plan.id!.uuidString.lowercased()
        let head: HTML = "<th>\(t("compliance.assigned"))</th><th>\(t("compliance.notStarted"))</th><th>\(t("compliance.enrolled"))</th><th>\(t("compliance.onTime"))</th><th>\(t("compliance.late"))</th><th>\(t("compliance.overdue"))</th>"
        let groups: [HTML] = report.byDesignation.map { group in
            let query = (group.designation ?? "").addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? ""
            return "<tr><td><a href=\"/plans/\(id)/compliance?designation=\(query)\">\(group.designation ?? t("compliance.noDesignation"))</a></td><td>\(group.people)</td>\(counts(group.counts, t))</tr>"
        }
        let persons: [HTML] = report.persons.items.map { "<tr><td>\($0.name)</td><td>\($0.designation ?? "")</td>\(counts($0.counts, t))</tr>" }
        let total = report.total
        let bars = Charts.bars([(t("compliance.onTime"), Double(total.completedOnTime)), (t("compliance.late"), Double(total.completedLate)),
                                (t("compliance.enrolled"), Double(total.enrolled)), (t("compliance.notStarted"), Double(total.notStarted)),
                                (t("compliance.overdue"), Double(total.overdue))], title: t("compliance.title"))
        let next = report.persons.nextCursor.value.map { cursor in
            HTML("<p><a href=\"/plans/\(id)/compliance?cursor=\(cursor)\(designation.map { "&designation=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" } ?? "")\">\(t("compliance.more"))</a></p>")
        } ?? ""
        return Layout.page(t("compliance.heading", ["plan": plan.name]), for: request, """
            <p><a href="/plans/\(id)">\(plan.name)</a> · \(t("plan.dueDate")) \(IndiaDay.string(plan.dueDay)) ·
            <a href="/insights/reports/plan-compliance.csv?plan=\(id)">\(t("compliance.download"))</a></p>
            <div class="card"><p>\(t("compliance.people", ["people": Formats.number(Double(report.people)), "courses": String(report.courses)]))</p>\(bars)</div>
            <h2>\(t("compliance.byDesignation"))</h2>
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("compliance.designation"))</th><th>\(t("compliance.peopleHeading"))</th>\(head)</tr></thead><tbody>\(groups)</tbody></table></div>
            <h2>\(t("compliance.persons"))\(designation.map { HTML(" · \($0)") } ?? "")</h2>
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("insights.name"))</th><th>\(t("compliance.designation"))</th>\(head)</tr></thead><tbody>\(persons)</tbody></table></div>
            \(next)
            """)
    }

    @Sendable static func mine(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let plans = try await Plans.mine(principal, on: request.db)
        let cards: [HTML] = plans.map { plan in
            let courses: [HTML] = plan.courses.map { course in
                "<li><a href=\"/courses/\(course.courseId.uuidString.lowercased())\">\(course.title ?? "")</a> · <span class=\"status \(course.standing.rawValue)\">\(t("standing.\(course.standing.rawValue)"))</span></li>"
            }
            return "<div class=\"card\"><h2>\(plan.name)</h2><p>\(plan.organisationName) · \(t("plan.dueDate")) \(plan.dueDate) · <span class=\"status \(plan.standing.rawValue)\">\(t("standing.\(plan.standing.rawValue)"))</span></p><ul>\(courses)</ul></div>"
        }
        return Layout.page(t("myPlans.title"), for: request, plans.isEmpty ? "<p class=\"muted\">\(t("myPlans.none"))</p>" : "\(cards)")
    }
}
