import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The pages of identity: sign in and out, activation, home, and the admin's users page.
struct IdentityPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("login", use: Self.signInForm)
        routes.post("login", use: Self.signIn)
        routes.post("logout", use: Self.signOut)
        routes.get("forgot-password", use: Self.forgotForm)
        routes.post("forgot-password", use: Self.forgot)
        routes.get("reset-password", use: Self.resetForm)
        routes.post("reset-password", use: Self.reset)
        routes.get("activate", use: Self.activateForm)
        routes.post("activate", use: Self.activate)
        routes.get("admin", "users", use: Self.users)
        routes.post("admin", "users", use: Self.createUser)
    }

    @Sendable static func signInForm(_ request: Request) async throws -> HTML {
        signInPage(request, error: nil, email: "")
    }

    static func signInPage(_ request: Request, error: String?, email: String) -> HTML {
        let t = request.catalogue
        let next = request.query[String.self, at: "next"].flatMap(SitePath.local) ?? "/"
        return Layout.page(t("signIn.title"), for: request, """
            \(error.map { "<p class=\"error\" role=\"alert\">\($0)</p>" as HTML } ?? "")
            <form method="post" action="/login" class="card">
            \(request.csrfField)
            <input type="hidden" name="next" value="\(next)">
            <label for="email">\(t("field.email"))</label><input id="email" type="email" name="email" value="\(email)" required autocomplete="username">
            <label for="password">\(t("field.password"))</label><input id="password" type="password" name="password" required autocomplete="current-password">
            <div class="actions"><button>\(t("signIn.submit"))</button><a href="/forgot-password">\(t("forgot.link"))</a></div>
            </form>
            """)
    }

    struct SignInForm: Content {
        var email: String
        var password: String
        var next: String?
    }

    @Sendable static func signIn(_ request: Request) async throws -> Response {
        let form = try request.content.decode(SignInForm.self)
        do {
            let user = try await Authentication.signIn(email: form.email, password: form.password, on: request)
            request.signIn(user)
            return request.redirect(to: form.next.flatMap(SitePath.local) ?? "/", redirectType: .normal)
        } catch let problem as Problem {
            let message = problem.status == .tooManyRequests ? problem.detail : request.catalogue("signIn.wrong")
            let response = try await signInPage(request, error: message, email: form.email).encodeResponse(for: request)
            response.status = problem.status
            return response
        }
    }

    @Sendable static func signOut(_ request: Request) async throws -> Response {
        request.session.destroy()
        return request.redirect(to: "/login")
    }

    @Sendable static func activateForm(_ request: Request) async throws -> HTML {
        activatePage(request, token: request.query[String.self, at: "token"] ?? "", errors: [])
    }

    static func activatePage(_ request: Request, token: String, errors: [FieldError]) -> HTML {
        let t = request.catalogue
        let messages: [HTML] = errors.map { "<li>\(t("field.\($0.field)")): \($0.reason)</li>" }
        return Layout.page(t("activate.title"), for: request, """
            <p>\(t("activate.intro"))</p>
            \(errors.isEmpty ? "" : "<ul class=\"error\" role=\"alert\">\(messages)</ul>" as HTML)
            <form method="post" action="/activate" class="card">
            \(request.csrfField)
            <label for="token">\(t("field.token"))</label><input id="token" type="text" name="token" value="\(token)" required>
            <label for="password">\(t("field.newPassword"))</label><input id="password" type="password" name="password" required autocomplete="new-password">
            <p class="muted">\(t("activate.rules"))</p>
            <p><button>\(t("activate.submit"))</button></p>
            </form>
            """)
    }

    @Sendable static func forgotForm(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        return Layout.page(t("forgot.title"), for: request, """
            <p>\(t("forgot.intro"))</p>
            <form method="post" action="/forgot-password" class="card">\(request.csrfField)
            \(UI.field("email", label: t("field.email"), type: "email", required: true, autocomplete: "username"))
            <div class="actions"><button>\(t("forgot.submit"))</button></div>
            </form>
            """)
    }

    struct ForgotForm: Content { var email: String? }

    /// The same answer whether the address has an account or not.
    @Sendable static func forgot(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        try await PasswordResets.request(email: try request.content.decode(ForgotForm.self).email ?? "", on: request)
        return Layout.page(t("forgot.title"), for: request, """
            <p class="notice" role="status">\(t("forgot.sent"))</p>
            <p><a href="/login">\(t("nav.signIn"))</a></p>
            """)
    }

    @Sendable static func resetForm(_ request: Request) async throws -> HTML {
        resetPage(request, token: request.query[String.self, at: "token"] ?? "", errors: [])
    }

    static func resetPage(_ request: Request, token: String, errors: [FieldError]) -> HTML {
        let t = request.catalogue
        let tokenError = errors.first { $0.field == "token" }.map { _ in t("reset.badToken") }
        let passwordError = errors.first { $0.field == "password" }?.reason
        return Layout.page(t("reset.title"), for: request, """
            \(errors.isEmpty ? "" : UI.alert(t("reset.failed")))
            \(tokenError.map { "<p class=\"field-error\">\($0) <a href=\"/forgot-password\">\(t("forgot.title"))</a></p>" as HTML } ?? "")
            <form method="post" action="/reset-password" class="card">\(request.csrfField)
            <input type="hidden" name="token" value="\(token)">
            \(UI.field("password", label: t("field.newPassword"), type: "password", hint: t("activate.rules"), error: passwordError,
                       required: true, autocomplete: "new-password"))
            <div class="actions"><button>\(t("reset.submit"))</button></div>
            </form>
            """)
    }

    struct ResetForm: Content {
        var token: String?
        var password: String?
    }

    @Sendable static func reset(_ request: Request) async throws -> Response {
        let form = try request.content.decode(ResetForm.self)
        do {
            _ = try await PasswordResets.complete(token: form.token ?? "", password: form.password ?? "", on: request)
            request.session.destroy()
            let t = request.catalogue
            return try await Layout.page(t("reset.title"), for: request, """
                <p class="notice" role="status">\(t("reset.done"))</p>
                <p><a class="button" href="/login">\(t("nav.signIn"))</a></p>
                """).encodeResponse(for: request)
        } catch let problem as Problem where problem.status == .unprocessableEntity {
            return try await Layout.failed(problem, request) { resetPage(request, token: form.token ?? "", errors: problem.errors) }
        }
    }

    struct ActivateForm: Content {
        var token: String
        var password: String
    }

    @Sendable static func activate(_ request: Request) async throws -> Response {
        let form = try request.content.decode(ActivateForm.self)
        do {
            let user = try await Authentication.activate(token: form.token, password: form.password, on: request)
            request.signIn(user)
            return request.redirect(to: "/")
        } catch let problem as Problem where problem.status == .unprocessableEntity {
            let response = try await activatePage(request, token: form.token, errors: problem.errors).encodeResponse(for: request)
            response.status = .unprocessableEntity
            return response
        }
    }

    /// The organisation an admin's users page is about: the one asked for, else their own, else the first within reach.
    static func adminOrganisation(_ request: Request, principal: Principal) async throws -> Organisation {
        if let text = request.query[String.self, at: "org"] {
            guard let id = UUID(uuidString: text) else { throw Problem.notFound("organisation") }
            return try await Organisations.visible(id, to: principal, on: request.db)
        }
        let own = try await Organisations.visible(principal.organisationID, to: principal, on: request.db)
        if principal.access.allows(.viewUsers, on: own.placement) { return own }
        guard let first = try await Organisations.list(.init(), page: .init(limit: 1), for: principal, on: request.db).items.first else { return own }
        return try await Organisations.visible(first.id, to: principal, on: request.db)
    }

    @Sendable static func users(_ request: Request) async throws -> HTML {
        try await usersPage(request, form: nil, problem: nil, created: nil)
    }

    static func usersPage(_ request: Request, form: NewUserForm?, problem: Problem?, created: UserDTO?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let organisation = try await adminOrganisation(request, principal: principal)
        let query = request.query[String.self, at: "q"] ?? ""
        let page = try await Users.list(in: organisation.id!, filter: .init(query: query), page: try PageRequest(request, defaultLimit: 25),
                                        for: principal, on: request.db)
        let orgParam = "org=\(organisation.id!.uuidString)"
        let rows: [HTML] = page.items.map { user in
            """
            <tr><td>\(user.name)</td><td>\(user.email)</td><td>\(user.designation ?? "")</td><td>\(user.employeeId ?? "")</td>\
            <td>\(t("status.\(user.status.rawValue)"))</td></tr>
            """
        }
        let canManage = principal.access.allows(.manageUsers, on: organisation.placement)
        let others = try await Organisations.list(.init(), page: .init(limit: 200), for: principal, on: request.db).items
        let options: [HTML] = others.map { "<option value=\"\($0.id.uuidString)\"\($0.id == organisation.id ? " selected" : "" as HTML)>\($0.name)</option>" }
        let next: HTML = page.nextCursor.value.map { "<p><a href=\"/admin/users?\(orgParam)&q=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&cursor=\($0)\">\(t("list.next"))</a></p>" } ?? ""
        var sections: [HTML] = []
        if let created { sections.append("<p class=\"ok\" role=\"status\">\(t("users.created", ["name": created.name]))</p>") }
        if let problem {
            let items: [HTML] = problem.errors.map { "<li>\($0.field): \($0.reason)</li>" }
            sections.append("<div class=\"error\" role=\"alert\"><p>\(problem.detail)</p><ul>\(items)</ul></div>")
        }
        if canManage {
            sections.append(try await createForm(request, organisation: organisation, form: form))
            sections.append(try await OnboardingPages.uploadSection(request, organisation: organisation, principal: principal))
        }
        return Layout.page(t("users.title"), for: request, """
            <form method="get" action="/admin/users" class="card">
            <label for="org">\(t("field.organisation"))</label><select id="org" name="org">\(options)</select>
            <label for="q">\(t("users.search"))</label><input id="q" type="search" name="q" value="\(query)" maxlength="200">
            <button>\(t("users.searchButton"))</button>
            </form>
            \(sections)
            <h2>\(organisation.name)</h2>
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("field.name"))</th><th>\(t("field.email"))</th><th>\(t("field.designation"))</th>\
            <th>\(t("field.employeeId"))</th><th>\(t("field.status"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"5\">\(t("users.none"))</td></tr>" as HTML : HTML(stringLiteral: rows.map(\.markup).joined()))</tbody></table></div>
            \(next)
            """)
    }

    struct NewUserForm: Content {
        var name: String
        var email: String
        var phone: String?
        var employeeId: String?
        var designation: String?
        var stateCode: String?
        var districtCode: String?
        var language: String?
        var roles: [String]?
    }

    static func createForm(_ request: Request, organisation: Organisation, form: NewUserForm?) async throws -> HTML {
        let t = request.catalogue
        let geography = request.geography
        let chosenState = form?.stateCode.flatMap(Int.init) ?? organisation.stateCode
        let states: [HTML] = geography.states.map { "<option value=\"\($0.code)\"\($0.code == chosenState ? " selected" : "" as HTML)>\($0.name)</option>" }
        let districts: [HTML] = chosenState.map { geography.districts(inState: $0) }?.map {
            "<option value=\"\($0.code)\"\(String($0.code) == form?.districtCode ? " selected" : "" as HTML)>\($0.name)</option>"
        } ?? []
        let languages: [HTML] = Language.all.map { "<option value=\"\($0.code)\"\($0.code == (form?.language ?? "en") ? " selected" : "" as HTML)>\($0.nativeName)</option>" }
        let grantable: [Role] = [.mdoAdmin, .cbpAdmin, .contentCreator, .contentReviewer, .contentPublisher, .programmeCoordinator, .stateAdmin]
        let roles: [HTML] = grantable.map { role in
            "<label class=\"muted\"><input type=\"checkbox\" name=\"roles[]\" value=\"\(role.rawValue)\"\((form?.roles ?? []).contains(role.rawValue) ? " checked" : "" as HTML)> \(t("role.\(role.rawValue)"))</label>"
        }
        return """
            <details class="card"\(form == nil ? "" : " open" as HTML)><summary>\(t("users.add"))</summary>
            <form method="post" action="/admin/users?org=\(organisation.id!.uuidString)">
            \(request.csrfField)
            <div class="grid">
            <div><label for="n">\(t("field.name"))</label><input id="n" type="text" name="name" value="\(form?.name ?? "")" required maxlength="200"></div>
            <div><label for="e">\(t("field.email"))</label><input id="e" type="email" name="email" value="\(form?.email ?? "")" required></div>
            <div><label for="p">\(t("field.phone"))</label><input id="p" type="tel" name="phone" value="\(form?.phone ?? "")"></div>
            <div><label for="i">\(t("field.employeeId"))</label><input id="i" type="text" name="employeeId" value="\(form?.employeeId ?? "")"></div>
            <div><label for="d">\(t("field.designation"))</label><input id="d" type="text" name="designation" value="\(form?.designation ?? "")"></div>
            <div><label for="s">\(t("field.state"))</label><select id="s" name="stateCode"><option value="">—</option>\(states)</select></div>
            <div><label for="dc">\(t("field.district"))</label><select id="dc" name="districtCode"><option value="">—</option>\(districts)</select></div>
            <div><label for="l">\(t("field.language"))</label><select id="l" name="language">\(languages)</select></div>
            </div>
            <fieldset><legend>\(t("field.roles"))</legend>\(roles)</fieldset>
            <p class="muted">\(t("users.activationNote"))</p>
            <p><button>\(t("users.addButton"))</button></p>
            </form></details>
            """
    }

    @Sendable static func createUser(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(NewUserForm.self)
        let organisation = try await adminOrganisation(request, principal: principal)
        var roles: [Role] = []
        var problem: Problem?
        for text in form.roles ?? [] {
            if let role = Role(rawValue: text) { roles.append(role) } else { problem = Problem.invalid("roles", "unknown role \(text)") }
        }
        let input = NewUserInput(name: form.name, email: form.email, phone: form.phone?.nilIfEmpty, employeeId: form.employeeId?.nilIfEmpty,
                                 designation: form.designation?.nilIfEmpty, stateCode: form.stateCode.flatMap(Int.init),
                                 districtCode: form.districtCode.flatMap(Int.init), language: form.language, roles: roles, password: nil)
        if problem == nil {
            do {
                let user = try await Users.create(input, in: organisation.id!, by: principal, request: request)
                let response = try await usersPage(request, form: nil, problem: nil, created: try await Users.dto(user, on: request.db)).encodeResponse(for: request)
                response.status = .created
                return response
            } catch let error as Problem {
                problem = error
            }
        }
        let response = try await usersPage(request, form: form, problem: problem, created: nil).encodeResponse(for: request)
        response.status = problem!.status
        return response
    }
}
