import Foundation
import KarmayogiCore
import Vapor

/// Pages sign people in with a server-side session (an HttpOnly, SameSite cookie) and guard every
/// form with a per-session CSRF token.
struct WebSession: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let text = request.session.data["user"], let id = UUIDText.parse(text) {
            let since = request.session.data["since"].flatMap(Double.init) ?? 0
            if let principal = try await Principal.signedIn(id, on: request),
               (principal.passwordChangedAt?.timeIntervalSince1970 ?? 0) <= since {
                request.auth.login(principal)
            } else {
                request.session.destroy()
            }
        }
        if request.method == .POST {
            if request.body.data == nil {
                let path = request.url.path
                let limit = path.hasPrefix("/admin/uploads") ? request.application.settings.bulkUploadMaxBytes
                    : CourseEditorPages.takesFiles(path) || CasePages.takesFiles(path) || AccreditationPages.takesFiles(path) ? request.application.settings.contentMaxBytes + 64 * 1024
                    : request.application.routes.defaultMaxBodySize.value
                _ = try await request.body.collect(max: limit).get()
            }
            let sent = try request.formField("csrf") ?? request.headers.first(name: "X-CSRF-Token")
            guard let expected = request.session.data["csrf"], let sent, constantTimeEquals(sent, expected) else {
                throw Problem(.forbidden, request.catalogue("error.csrf"))
            }
        }
        let response = try await next.respond(to: request)
        if let code = request.query[String.self, at: "lang"], Catalogue.languages.contains(code) {
            response.cookies["lang"] = HTTPCookies.Value(string: code, maxAge: 365 * 24 * 3600, path: "/", isHTTPOnly: true, sameSite: .lax)
        }
        return response
    }

    private func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension Request {
    /// One field of a form body, or `nil` when the body has no such field or is no form; a malformed form is a 400.
    func formField(_ name: String) throws -> String? {
        guard let type = headers.contentType, type == .formData || type == .urlEncodedForm else { return nil }
        do {
            return try content.get(String?.self, at: name)
        } catch let problem as Problem {
            throw problem
        } catch {
            return nil
        }
    }

    /// This session's CSRF token, made on first use.
    var csrfToken: String {
        if let token = session.data["csrf"] { return token }
        let token = SecretToken.make()
        session.data["csrf"] = token
        return token
    }

    var csrfField: HTML { "<input type=\"hidden\" name=\"csrf\" value=\"\(csrfToken)\">" }

    func signIn(_ user: User) {
        // A new session id on sign-in, so an id planted before it (session fixation) never becomes a signed-in one.
        session.id = nil
        session.data["user"] = user.id!.uuidString
        session.data["since"] = String(Date().timeIntervalSince1970)
        session.data["csrf"] = SecretToken.make()
    }

    func pagePrincipal() throws -> Principal {
        guard let principal = auth.get(Principal.self) else { throw Redirect.toSignIn(from: self) }
        return principal
    }
}

enum Redirect: Error, AbortError {
    case to(String)

    static func toSignIn(from request: Request) -> Redirect {
        .to("/login?next=\(SitePath.component(SitePath.local(request.url.string) ?? "/"))")
    }

    var status: HTTPResponseStatus { .seeOther }
    var reason: String { "See other" }
    var headers: HTTPHeaders {
        guard case .to(let location) = self else { return [:] }
        return ["Location": location]
    }
}
