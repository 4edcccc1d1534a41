import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The admin's people: a list to search, filter and page both ways, with actions on chosen people; adding a person
/// (a State first, then its districts); and each person's page — profile, posting, roles, status and learning.
struct PeoplePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("admin", "users", use: Self.list)
        routes.post("admin", "users", use: Self.create)
        routes.get("admin", "users", "new", use: Self.newForm)
        routes.post("admin", "users", "bulk", use: Self.bulk)
        routes.get("admin", "districts", use: Self.districts)
        routes.get("admin", "users", ":id", use: Self.show)
        routes.post("admin", "users", ":id", use: Self.update)
        routes.post("admin", "users", ":id", "roles", use: Self.changeRoles)
        routes.get("admin", "users", ":id", "status", use: Self.confirmStatus)
        routes.post("admin", "users", ":id", "status", use: Self.changeStatus)
        routes.post("admin", "users", ":id", "activation", use: Self.resendActivation)
    }

    /// The roles an admin's page offers to grant, in the order people think of them.
    static let grantable: [Role] = [.mdoAdmin, .cbpAdmin, .contentCreator, .contentReviewer, .contentPublisher, .programmeCoordinator, .faculty, .caseEditor, .stateAdmin]

    // MARK: - The list

    /// The organisation an admin's people page is about: the one asked for, else their own, else the first within reach.
    static func organisation(_ request: Request, principal: Principal) async throws -> Organisation {
        if let text = request.query[String.self, at: "org"] {
            guard let id = UUIDText.parse(text) else { throw Problem.notFound("organisation") }
            return try await Organisations.visible(id, to: principal, on: request.db)
        }
        let own = try await Organisations.visible(principal.organisationID, to: principal, on: request.db)
        if principal.access.allows(.viewUsers, on: own.placement) { return own }
        guard let first = try await Organisations.list(.init(), page: .init(limit: 1), for: principal, on: request.db).items.first else { return own }
        return try await Organisations.visible(first.id, to: principal, on: request.db)
    }

    @Sendable static func list(_ request: Request) async throws -> HTML {
        try await listPage(request, created: nil)
    }

    static func listPage(_ request: Request, created: UserDTO?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let organisation = try await organisation(request, principal: principal)
        let orgID = organisation.id!.uuidString.lowercased()
        var filter = Users.ListFilter()
        filter.query = request.query[String.self, at: "q"].map { String($0.prefix(200)) }
        var problem: Problem?
        do { try filter.read(request.query) } catch let refused as Problem { problem = refused; filter = .init(query: filter.query) }
        filter.includeSubtree = request.query[String.self, at: "subtree"] == "1"
        let page = try await Users.list(in: organisation.id!, filter: filter, page: try PageRequest(request, defaultLimit: 25, bothWays: true),
                                        for: principal, on: request.db)
        let canManage = principal.access.allows(.manageUsers, on: organisation.placement)
        let filtered = filter.designation != nil || filter.status != nil || filter.stateCode != nil || filter.role != nil || filter.includeSubtree
        let others = try await Organisations.list(.init(), page: .init(limit: 200), for: principal, on: request.db).items
        let geography = request.geography
        // Each filter starts with "any".
        let any: HTML = "<option value=\"\">\(t("people.any"))</option>"
        func options(_ pairs: [(value: String, label: String)], chosen: String?) -> HTML { "\(any)\(UI.options(pairs, chosen: chosen))" }
        let organisationOptions: [HTML] = others.map {
            "<option value=\"\($0.id.uuidString.lowercased())\"\($0.id == organisation.id ? " selected" : "" as HTML)>\($0.name)</option>"
        }
        let statuses = options([User.Status.pending, .active, .disabled].map { ($0.rawValue, t("status.\($0.rawValue)")) }, chosen: filter.status?.rawValue)
        let states: HTML = "\(any)\(UI.stateOptions(chosen: filter.stateCode))"
        let districts: HTML = "\(any)\(UI.districtOptions(inState: filter.stateCode, chosen: filter.districtCode))"
        let roles = options(([Role.learner] + grantable + [.nationalAdmin]).map { ($0.rawValue, t("role.\($0.rawValue)")) }, chosen: filter.role?.rawValue)

        let rows: [HTML] = page.items.map { user in
            let id = user.id.uuidString.lowercased()
            let place = [user.districtCode.flatMap { geography.district(code: $0)?.name }, user.stateCode.flatMap { geography.state(code: $0)?.name }]
                .compactMap { $0 }.joined(separator: ", ")
            let held = user.roles.filter { $0.role != .learner }.map { t("role.\($0.role.rawValue)") }.joined(separator: ", ")
            let tick: HTML = canManage ? "<td><input type=\"checkbox\" name=\"ids[]\" value=\"\(id)\" id=\"p-\(id)\" aria-label=\"\(t("people.choose", ["name": user.name]))\"></td>" : ""
            return """
                <tr>\(tick)<td><a href="/admin/users/\(id)">\(user.name)</a><br><span class="muted">\(user.email)</span></td>\
                <td>\(user.designation ?? "")</td><td>\(place)</td><td>\(held)</td><td>\(statusBadge(user.status, t))</td></tr>
                """
        }
        var head = [t("field.name"), t("field.designation"), t("people.posting"), t("field.roles"), t("field.status")]
        if canManage { head.insert(t("people.chosen"), at: 0) }
        let table = UI.table(t("people.title"), head: head, rows: rows, empty: t("users.none"))

        var query = URLComponents()
        query.queryItems = [("org", orgID), ("q", filter.query), ("designation", filter.designation), ("status", filter.status?.rawValue),
                            ("state", filter.stateCode.map(String.init)), ("district", filter.districtCode.map(String.init)),
                            ("role", filter.role?.rawValue), ("subtree", filter.includeSubtree ? "1" : nil)]
            .compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        let base = "/admin/users?\(query.percentEncodedQuery ?? "")"
        var paging: [HTML] = []
        if let previous = page.previousCursor { paging.append("<a class=\"button secondary\" href=\"\(base)&before=\(previous)\" rel=\"prev\">\(t("list.previous"))</a>") }
        if let next = page.nextCursor.value { paging.append("<a class=\"button secondary\" href=\"\(base)&cursor=\(next)\" rel=\"next\">\(t("list.next"))</a>") }

        var sections: [HTML] = []
        if let created { sections.append("<p class=\"notice success\" role=\"status\">\(t("users.created", ["name": created.name]))</p>") }
        sections.append(Layout.problem(problem, t))
        let listing: HTML
        if canManage {
            sections.append("<p class=\"actions\"><a class=\"button\" href=\"/admin/users/new?org=\(orgID)\">\(t("users.add"))</a></p>")
            listing = """
                <form method="post" action="/admin/users/bulk?org=\(orgID)">\(request.csrfField)
                \(table)
                \(try await bulkControls(request, organisation: organisation, principal: principal))
                </form>
                """
        } else {
            listing = table
        }
        if canManage { sections.append(try await OnboardingPages.uploadSection(request, organisation: organisation, principal: principal)) }
        return Layout.page(t("people.title"), for: request, crumbs: [.init(t("nav.home"), "/"), .init(t("people.title"))], """
            <form method="get" action="/admin/users" class="card">
            <div class="grid">
            <div><label for="org">\(t("field.organisation"))</label><select id="org" name="org">\(organisationOptions)</select></div>
            <div><label for="q">\(t("users.search"))</label><input id="q" type="search" name="q" value="\(filter.query ?? "")" maxlength="200"></div>
            </div>
            <details class="filters"\(filtered ? " open" : "" as HTML)><summary>\(t("people.moreFilters"))</summary>
            <div class="grid">
            <div><label for="f-designation">\(t("field.designation"))</label><input id="f-designation" type="text" name="designation" value="\(filter.designation ?? "")" maxlength="200"></div>
            <div><label for="f-status">\(t("field.status"))</label><select id="f-status" name="status">\(statuses)</select></div>
            <div><label for="f-state">\(t("field.state"))</label><select id="f-state" name="state" data-districts="f-district">\(states)</select></div>
            <div><label for="f-district">\(t("field.district"))</label><select id="f-district" name="district">\(districts)</select>\
            <span class="hint">\(t("people.districtHint"))</span></div>
            <div><label for="f-role">\(t("people.role"))</label><select id="f-role" name="role">\(roles)</select></div>
            </div>
            <label class="inline"><input type="checkbox" name="subtree" value="1"\(filter.includeSubtree ? " checked" : "" as HTML)> \(t("people.subtree"))</label>
            </details>
            <div class="actions"><button>\(t("users.searchButton"))</button><a href="/admin/users?org=\(orgID)">\(t("people.clear"))</a></div>
            </form>
            \(sections)
            <h2>\(organisation.name)</h2>
            \(listing)
            <nav class="actions" aria-label="\(t("people.pages"))">\(paging)</nav>
            <script src="\(Assets.url("admin.js"))" defer></script>
            """)
    }

    static func statusBadge(_ status: User.Status, _ t: Catalogue) -> HTML {
        UI.badge(t("status.\(status.rawValue)"), status == .active ? .success : status == .disabled ? .danger : .warning)
    }

    /// What can be done to the chosen people at once: put them in a plan of the organisation, enrol them in a course,
    /// or deactivate them with a reason.
    static func bulkControls(_ request: Request, organisation: Organisation, principal: Principal) async throws -> HTML {
        let t = request.catalogue
        // Only an admin who makes the organisation's plans puts people in them.
        let plans = principal.access.allows(.managePlans, on: organisation.placement)
            ? try await Plans.list(in: organisation.id!, state: nil, page: .init(limit: 200), for: principal, on: request.db).items
                .filter { $0.state != .retired && { if case .users = $0.assignment { true } else { false } }($0) }
            : []
        let planOptions: [HTML] = plans.map { "<option value=\"\($0.id.uuidString.lowercased())\">\($0.name) (\($0.year))</option>" }
        return """
            <fieldset class="card"><legend>\(t("people.bulk"))</legend>
            <p class="hint">\(t("people.bulkHint"))</p>
            <div class="grid">
            <div><label for="b-action">\(t("people.bulkAction"))</label><select id="b-action" name="action">
            \(plans.isEmpty ? "" : "<option value=\"plan\">\(t("people.bulk.plan"))</option>" as HTML)<option value="enrol">\(t("people.bulk.enrol"))</option>\
            <option value="deactivate">\(t("people.bulk.deactivate"))</option></select></div>
            \(plans.isEmpty ? "" : "<div><label for=\"b-plan\">\(t("people.bulkPlan"))</label><select id=\"b-plan\" name=\"planId\"><option value=\"\">—</option>\(planOptions)</select></div>" as HTML)
            <div><label for="b-course">\(t("people.bulkCourse"))</label><input id="b-course" type="text" name="course" maxlength="200">\
            <span class="hint">\(t("people.bulkCourseHint"))</span></div>
            <div><label for="b-reason">\(t("people.reason"))</label><input id="b-reason" type="text" name="reason" maxlength="500"></div>
            </div>
            <div class="actions"><button>\(t("people.bulkApply"))</button></div>
            </fieldset>
            """
    }

    /// Districts of a State, for the script that fills a district list when its State changes.
    @Sendable static func districts(_ request: Request) async throws -> Response {
        _ = try request.pagePrincipal()
        guard let code = request.query[Int.self, at: "state"], request.geography.state(code: code) != nil else {
            throw Problem.invalid("state", "no State/UT has that LGD code")
        }
        struct Option: Content { var code: Int; var name: String }
        let response = try await request.geography.districts(inState: code).map { Option(code: $0.code, name: $0.name) }.encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=86400")
        return response
    }

    // MARK: - Adding a person

    struct NewUserForm: Content {
        var name: String?
        var email: String?
        var phone: String?
        var employeeId: String?
        var designation: String?
        var stateCode: String?
        var districtCode: String?
        var language: String?
        var roles: [String]?
    }

    @Sendable static func newForm(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let organisation = try await organisation(request, principal: principal)
        guard principal.access.allows(.manageUsers, on: organisation.placement) else { throw Problem.notFound("organisation") }
        var form = NewUserForm()
        form.stateCode = request.query[String.self, at: "state"]
        return newPage(request, organisation: organisation, form: form, problem: nil)
    }

    /// Two steps without a script: the State of posting (a GET form), then the person with that State's districts.
    /// With the script, changing the State fills the district list at once.
    static func newPage(_ request: Request, organisation: Organisation, form: NewUserForm, problem: Problem?) -> HTML {
        let t = request.catalogue
        let geography = request.geography
        let orgID = organisation.id!.uuidString.lowercased()
        let chosenState = form.stateCode.flatMap(Int.init).flatMap { geography.state(code: $0)?.code } ?? organisation.stateCode
        let states = UI.stateOptions(chosen: chosenState)
        let districts = UI.districtOptions(inState: chosenState, chosen: form.districtCode.flatMap(Int.init))
        let languages: [HTML] = Language.all.map { "<option value=\"\($0.code)\"\($0.code == (form.language ?? "en") ? " selected" : "" as HTML)>\($0.nativeName)</option>" }
        let roles: [HTML] = grantable.map { role in
            "<label class=\"option\"><input type=\"checkbox\" name=\"roles[]\" value=\"\(role.rawValue)\"\((form.roles ?? []).contains(role.rawValue) ? " checked" : "" as HTML)> <span>\(t("role.\(role.rawValue)"))</span></label>"
        }
        let errors = Dictionary(problem?.errors.map { ($0.field, $0.reason) } ?? [], uniquingKeysWith: { first, _ in first })
        return Layout.page(t("users.add"), for: request,
                           crumbs: [.init(t("nav.home"), "/"), .init(t("people.title"), "/admin/users?org=\(orgID)"), .init(t("users.add"))], """
            <p class="muted">\(organisation.name)</p>
            \(Layout.problem(problem, t))
            <form method="get" action="/admin/users/new" class="card" data-state-step>
            <input type="hidden" name="org" value="\(orgID)">
            <label for="s">\(t("people.step1"))</label>
            <select id="s" name="state" data-districts="field-districtCode" data-mirror="field-stateCode"><option value="">—</option>\(states)</select>
            <div class="actions"><button class="secondary" data-no-script>\(t("people.showDistricts"))</button></div>
            </form>
            <form method="post" action="/admin/users?org=\(orgID)" class="card">\(request.csrfField)
            <input type="hidden" id="field-stateCode" name="stateCode" value="\(chosenState.map(String.init) ?? "")">
            <div class="grid">
            \(UI.field("name", label: t("field.name"), value: form.name ?? "", error: errors["name"], required: true))
            \(UI.field("email", label: t("field.email"), type: "email", value: form.email ?? "", error: errors["email"], required: true))
            \(UI.field("phone", label: t("field.phone"), type: "tel", value: form.phone ?? "", error: errors["phone"]))
            \(UI.field("employeeId", label: t("field.employeeId"), value: form.employeeId ?? "", error: errors["employeeId"]))
            \(UI.field("designation", label: t("field.designation"), value: form.designation ?? "", error: errors["designation"]))
            <div><label for="field-districtCode">\(t("people.step2"))</label>\
            \(errors["districtCode"].map { "<span class=\"field-error\">\($0)</span>" as HTML } ?? "")\
            <select id="field-districtCode" name="districtCode"><option value="">—</option>\(districts)</select></div>
            <div><label for="l">\(t("field.language"))</label><select id="l" name="language">\(languages)</select></div>
            </div>
            <fieldset><legend>\(t("field.roles"))</legend>\(roles)</fieldset>
            <p class="muted">\(t("users.activationNote"))</p>
            <div class="actions"><button>\(t("users.addButton"))</button></div>
            </form>
            <script src="\(Assets.url("admin.js"))" defer></script>
            """)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(NewUserForm.self)
        let organisation = try await organisation(request, principal: principal)
        do {
            var roles: [Role] = []
            for text in form.roles ?? [] {
                guard let role = Role(rawValue: text) else { throw Problem.invalid("roles", "unknown role \(text)") }
                roles.append(role)
            }
            let input = NewUserInput(name: form.name ?? "", email: form.email ?? "", phone: form.phone?.nilIfEmpty, employeeId: form.employeeId?.nilIfEmpty,
                                     designation: form.designation?.nilIfEmpty, stateCode: form.stateCode.flatMap(Int.init),
                                     districtCode: form.districtCode.flatMap(Int.init), language: form.language, roles: roles, password: nil)
            let user = try await Users.create(input, in: organisation.id!, by: principal, request: request)
            let response = try await listPage(request, created: try await Users.dto(user, on: request.db)).encodeResponse(for: request)
            response.status = .created
            return response
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { newPage(request, organisation: organisation, form: form, problem: problem) }
        }
    }

    // MARK: - One person

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await personPage(request, notice: nil, problem: nil)
    }

    static func personPage(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let (user, organisation) = try await Users.visible(try request.id(of: "user"), to: principal, on: request.db)
        let dto = try await Users.dto(user, on: request.db)
        let id = user.id!.uuidString.lowercased()
        let canManage = principal.access.allows(.manageUsers, on: Users.placement(of: user, in: organisation))
        let geography = request.geography
        let errors = Dictionary(problem?.errors.map { ($0.field, $0.reason) } ?? [], uniquingKeysWith: { first, _ in first })

        let facts: [(String, String)] = [
            (t("field.email"), user.email), (t("field.phone"), user.phone ?? "—"), (t("field.employeeId"), user.employeeId ?? "—"),
            (t("field.designation"), user.designation ?? "—"), (t("field.organisation"), organisation.name),
            (t("field.state"), user.stateCode.flatMap { geography.state(code: $0)?.name } ?? "—"),
            (t("field.district"), user.districtCode.flatMap { geography.district(code: $0)?.name } ?? "—"),
            (t("field.language"), Language.named(user.language)?.nativeName ?? user.language),
            (t("people.since"), user.createdAt.map { Formats.date($0, t) } ?? "—"),
        ]
        let profile: HTML = "<dl class=\"facts-list\">\(facts.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" as HTML })</dl>"

        var sections: [HTML] = []
        if let notice { sections.append("<p class=\"notice success\" role=\"status\">\(notice)</p>") }
        sections.append(Layout.problem(problem, t))
        sections.append("<section class=\"card\"><h2>\(t("people.profile"))</h2>\(profile)</section>")
        if canManage {
            let states = UI.stateOptions(chosen: user.stateCode)
            let districts = UI.districtOptions(inState: user.stateCode, chosen: user.districtCode)
            let languages: [HTML] = Language.all.map { "<option value=\"\($0.code)\"\($0.code == user.language ? " selected" : "" as HTML)>\($0.nativeName)</option>" }
            sections.append("""
                <details class="card"\(problem?.errors.contains { $0.field != "roles" && $0.field != "status" && $0.field != "reason" } == true ? " open" : "" as HTML)>
                <summary>\(t("people.edit"))</summary>
                <form method="post" action="/admin/users/\(id)">\(request.csrfField)
                <div class="grid">
                \(UI.field("name", label: t("field.name"), value: user.name, error: errors["name"], required: true))
                \(UI.field("phone", label: t("field.phone"), type: "tel", value: user.phone ?? "", error: errors["phone"]))
                \(UI.field("employeeId", label: t("field.employeeId"), value: user.employeeId ?? "", error: errors["employeeId"]))
                \(UI.field("designation", label: t("field.designation"), value: user.designation ?? "", error: errors["designation"]))
                <div><label for="e-state">\(t("field.state"))</label><select id="e-state" name="stateCode" data-districts="e-district"><option value="">—</option>\(states)</select></div>
                <div><label for="e-district">\(t("field.district"))</label>\
                \(errors["districtCode"].map { "<span class=\"field-error\">\($0)</span>" as HTML } ?? "")\
                <select id="e-district" name="districtCode"><option value="">—</option>\(districts)</select>\
                <span class="hint">\(t("people.districtHint"))</span></div>
                <div><label for="e-language">\(t("field.language"))</label><select id="e-language" name="language">\(languages)</select></div>
                </div>
                <div class="actions"><button>\(t("people.save"))</button></div>
                </form></details>
                """)
        }

        // Roles: each grantable one as a tick; a role held beyond the admin's reach is shown, not offered.
        let held = Set(dto.roles.map(\.role))
        if canManage {
            let ticks: [HTML] = grantable.map { role in
                "<label class=\"option\"><input type=\"checkbox\" name=\"roles[]\" value=\"\(role.rawValue)\"\(held.contains(role) ? " checked" : "" as HTML)> <span>\(t("role.\(role.rawValue)"))</span></label>"
            }
            sections.append("""
                <section class="card"><h2>\(t("field.roles"))</h2>
                \(errors["roles"].map { "<p class=\"field-error\">\($0)</p>" as HTML } ?? "")
                <form method="post" action="/admin/users/\(id)/roles">\(request.csrfField)
                <fieldset><legend>\(t("people.rolesLegend"))</legend>\(ticks)</fieldset>
                <div class="actions"><button>\(t("people.saveRoles"))</button></div>
                </form></section>
                """)
        } else {
            let names = dto.roles.map { t("role.\($0.role.rawValue)") }.joined(separator: ", ")
            sections.append("<section class=\"card\"><h2>\(t("field.roles"))</h2><p>\(names)</p></section>")
        }

        // Status, with its history and the actions that change it.
        var actions: [HTML] = []
        if canManage {
            if user.status == .disabled {
                actions.append("<a class=\"button secondary\" href=\"/admin/users/\(id)/status?to=active\">\(t("people.reactivate"))</a>")
            } else if user.id != principal.userID {
                actions.append("<a class=\"button danger\" href=\"/admin/users/\(id)/status?to=disabled\">\(t("people.deactivate"))</a>")
            }
            if user.status == .pending {
                actions.append("<form method=\"post\" action=\"/admin/users/\(id)/activation\" class=\"inline\">\(request.csrfField)<button class=\"secondary\">\(t("people.resend"))</button></form>")
            }
        }
        let history = canManage ? try await Users.statusHistory(of: user.id!, on: request.db) : []
        let historyRows: [HTML] = history.map {
            "<tr><td>\($0.changedAt.map { Formats.moment($0, t) } ?? "")</td><td>\(statusBadge($0.status, t))</td><td>\($0.reason)</td><td>\($0.changedBy)</td></tr>"
        }
        sections.append("""
            <section class="card"><h2>\(t("field.status"))</h2>
            <p>\(statusBadge(user.status, t))\(user.status == .pending ? " " + t("people.pendingNote") : "")</p>
            \(actions.isEmpty ? "" : "<div class=\"actions\">\(actions)</div>" as HTML)
            \(history.isEmpty ? "" : UI.table(t("people.history"), head: [t("people.when"), t("field.status"), t("people.reason"), t("people.by")], rows: historyRows, empty: ""))
            </section>
            """)
        if canManage || principal.access.allows(.viewInsights, on: Users.placement(of: user, in: organisation)) {
            sections.append(try await learning(of: user, request: request))
        }
        return Layout.page(user.name, for: request, crumbs: [.init(t("nav.home"), "/"),
                                                              .init(t("people.title"), "/admin/users?org=\(organisation.id!.uuidString.lowercased())"), .init(user.name)],
                           "\(sections)<script src=\"\(Assets.url("admin.js"))\" defer></script>")
    }

    /// A person's learning as their admin sees it: enrolments with progress, certificates, passbook and plans.
    static func learning(of user: User, request: Request) async throws -> HTML {
        let t = request.catalogue
        let enrolments = try await Enrolments.all(of: user.id!, limit: 100, on: request.db)
        let cards = try await request.application.catalogueSearch.cards(on: request.db)
        let enrolmentRows: [HTML] = enrolments.map { enrolment in
            let title = cards[enrolment.courseID]?.title ?? "—"
            let done = enrolment.completedAt.map { Formats.date($0, t) } ?? "—"
            return """
                <tr><td><a href="/courses/\(enrolment.courseID.uuidString.lowercased())">\(title)</a></td>\
                <td>\(UI.badge(t("people.enrolment.\(enrolment.status.rawValue)"), enrolment.status == .completed ? .success : .neutral))</td>\
                <td class="number">\(Formats.decimal(enrolment.percent))%</td><td>\(done)</td></tr>
                """
        }
        let passbook = try await Passbook.of(user.id!, on: request.db)
        let competencyNames = try await Competencies.names(passbook.items.map(\.competencyId), on: request.db)
        let passbookRows: [HTML] = passbook.items.map { item in
            let verified = item.level != nil
            return "<tr><td>\(competencyNames[item.competencyId] ?? item.theme)</td><td class=\"number\">\(item.level.map(String.init) ?? "—")</td>"
                + "<td>\(UI.badge(t(verified ? "passbook.verified" : "passbook.unverified"), verified ? .success : .warning))</td></tr>"
        }
        let person = try await PlanPerson.load(user.id!, on: request.db)
        var plans: [(plan: Plan, organisation: Organisation)] = []
        if let person { plans = try await Plans.assigned(to: person, on: request.db) }
        let planRows: [HTML] = plans.map { "<tr><td>\($0.plan.name)</td><td>\($0.organisation.name)</td><td>\(Formats.date(IndiaDay.start($0.plan.dueDay), t))</td></tr>" }
        return """
            <section class="card"><h2>\(t("people.learning"))</h2>
            <h3>\(t("people.enrolments"))</h3>
            \(UI.table(t("people.enrolments"), head: [t("people.course"), t("field.status"), t("people.progress"), t("people.completedOn")], rows: enrolmentRows,
                       empty: t("people.noEnrolments"), numeric: [2]))
            <h3>\(t("people.passbook"))</h3>
            \(UI.table(t("people.passbook"), head: [t("people.competency"), t("people.level"), t("field.status")], rows: passbookRows,
                       empty: t("people.noPassbook"), numeric: [1]))
            <h3>\(t("people.plans"))</h3>
            \(UI.table(t("people.plans"), head: [t("plan.name"), t("field.organisation"), t("plan.dueDate")], rows: planRows, empty: t("people.noPlans")))
            </section>
            """
    }

    @Sendable static func update(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(NewUserForm.self)
        let id = try request.id(of: "user")
        _ = try await Users.manageable(id, by: principal, on: request.db)
        let patch = UserPatch(name: form.name, phone: form.phone, employeeId: form.employeeId, designation: form.designation,
                              stateCode: form.stateCode.flatMap(Int.init), districtCode: form.districtCode.flatMap(Int.init), language: form.language)
        // A State sent with no district clears the district (`Users.update`): a person moved to another State.
        return try await answer(request) {
            _ = try await Users.update(id, with: patch, by: principal, on: request.db)
            return request.catalogue("people.saved")
        }
    }

    struct RolesForm: Content { var roles: [String]? }

    @Sendable static func changeRoles(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(RolesForm.self)
        let id = try request.id(of: "user")
        _ = try await Users.manageable(id, by: principal, on: request.db)
        return try await answer(request) {
            var roles: [Role] = []
            for text in form.roles ?? [] {
                guard let role = Role(rawValue: text) else { throw Problem.invalid("roles", "unknown role \(text)") }
                roles.append(role)
            }
            let (_, change) = try await Users.update(id, with: UserPatch(roles: roles), by: principal, on: request.db)
            let t = request.catalogue
            let kept = (change?.kept ?? []).map { t("people.roleKept", ["role": t("role.\($0.grant.role.rawValue)"), "reason": $0.reason]) }
            return ([t("people.rolesSaved")] + kept).joined(separator: " ")
        }
    }

    /// The confirmation page of a deactivation or reactivation: what will happen, and the reason to record.
    @Sendable static func confirmStatus(_ request: Request) async throws -> HTML {
        try await statusPage(request, to: request.query[String.self, at: "to"] == "active" ? .active : .disabled, reason: "", problem: nil)
    }

    static func statusPage(_ request: Request, to status: User.Status, reason: String, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let (user, organisation) = try await Users.manageable(try request.id(of: "user"), by: principal, on: request.db)
        let id = user.id!.uuidString.lowercased()
        let deactivating = status == .disabled
        let title = t(deactivating ? "people.deactivateTitle" : "people.reactivateTitle", ["name": user.name])
        return Layout.page(title, for: request, crumbs: [.init(t("nav.home"), "/"), .init(t("people.title"), "/admin/users?org=\(organisation.id!.uuidString.lowercased())"),
                                                          .init(user.name, "/admin/users/\(id)"), .init(t(deactivating ? "people.deactivate" : "people.reactivate"))], """
            \(Layout.problem(problem, t))
            <form method="post" action="/admin/users/\(id)/status" class="card">\(request.csrfField)
            <input type="hidden" name="status" value="\(status.rawValue)">
            <p>\(t(deactivating ? "people.deactivateWhat" : "people.reactivateWhat"))</p>
            <label for="reason">\(t("people.reason"))</label>
            \(problem?.errors.first { $0.field == "reason" }.map { "<span class=\"field-error\">\($0.reason)</span>" as HTML } ?? "")
            <textarea id="reason" name="reason" required maxlength="500">\(reason)</textarea>
            <div class="actions"><button class="\(deactivating ? "danger" : "")">\(t(deactivating ? "people.deactivate" : "people.reactivate"))</button>\
            <a href="/admin/users/\(id)">\(t("people.cancel"))</a></div>
            </form>
            """)
    }

    struct StatusForm: Content {
        var status: String?
        var reason: String?
    }

    @Sendable static func changeStatus(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(StatusForm.self)
        let status: User.Status = form.status == "active" ? .active : .disabled
        do {
            let user = try await Users.changeStatus(try request.id(of: "user"), to: status, reason: form.reason ?? "", by: principal, on: request.db)
            let t = request.catalogue
            return try await personPage(request, notice: t(status == .disabled ? "people.deactivated" : "people.reactivated", ["name": user.name]), problem: nil)
                .encodeResponse(for: request)
        } catch let problem as Problem where problem.status == .unprocessableEntity {
            return try await Layout.failed(problem, request) { try await statusPage(request, to: status, reason: form.reason ?? "", problem: problem) }
        }
    }

    @Sendable static func resendActivation(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let id = try request.id(of: "user")
        return try await answer(request) {
            let user = try await Users.resendActivation(id, by: principal, request: request)
            return request.catalogue("people.resent", ["email": user.email])
        }
    }

    /// Runs a change and shows the person's page with what happened: its notice, or the refusal and its reasons.
    static func answer(_ request: Request, _ change: () async throws -> String) async throws -> Response {
        try await Layout.answer(request, change) { try await personPage(request, notice: $0, problem: $1) }
    }

    // MARK: - Actions on chosen people

    struct BulkForm: Content {
        var ids: [String]?
        var action: String?
        var planId: String?
        var course: String?
        var reason: String?
    }

    /// Applies one action to each chosen person and answers person by person: done, already so, or why not.
    @Sendable static func bulk(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let organisation = try await organisation(request, principal: principal)
        let form = try request.content.decode(BulkForm.self)
        let ids = (form.ids ?? []).prefix(500).compactMap(UUIDText.parse)
        var problem: Problem?
        if ids.isEmpty { problem = .invalid("ids", t("people.bulkNone")) }
        let action = form.action ?? ""
        var outcomes: [(name: String, id: UUID, text: String, tone: UI.Tone)] = []
        if problem == nil {
            do {
                outcomes = try await PeopleActions.apply(action, to: ids, planID: form.planId, course: form.course, reason: form.reason,
                                                         in: organisation, by: principal, request: request)
            } catch let refused as Problem {
                problem = refused
            }
        }
        if let problem {
            return try await Layout.failed(problem, request) {
                Layout.page(t("people.bulk"), for: request, crumbs: [.init(t("nav.home"), "/"), .init(t("people.title"), "/admin/users?org=\(organisation.id!.uuidString.lowercased())"), .init(t("people.bulk"))], """
                    \(Layout.problem(problem, t))
                    <p><a class="button secondary" href="/admin/users?org=\(organisation.id!.uuidString.lowercased())">\(t("people.back"))</a></p>
                    """)
            }
        }
        let rows: [HTML] = outcomes.map { "<tr><td><a href=\"/admin/users/\($0.id.uuidString.lowercased())\">\($0.name)</a></td><td>\(UI.badge($0.text, $0.tone))</td></tr>" }
        return try await Layout.page(t("people.bulkResult"), for: request,
                                     crumbs: [.init(t("nav.home"), "/"), .init(t("people.title"), "/admin/users?org=\(organisation.id!.uuidString.lowercased())"), .init(t("people.bulkResult"))], """
            <p>\(t("people.bulkSummary", ["done": Formats.number(outcomes.filter { $0.tone == .success }.count), "count": Formats.number(outcomes.count)]))</p>
            \(UI.table(t("people.bulkResult"), head: [t("field.name"), t("people.outcome")], rows: rows, empty: ""))
            <p><a class="button secondary" href="/admin/users?org=\(organisation.id!.uuidString.lowercased())">\(t("people.back"))</a></p>
            """).encodeResponse(for: request)
    }
}
