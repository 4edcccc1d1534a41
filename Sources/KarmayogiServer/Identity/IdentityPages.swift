import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The pages of identity: sign in and out, activation and password reset (the admin's people are `PeoplePages`).
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
}
