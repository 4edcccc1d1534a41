import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Attendance in the room: the trainer's phone shows the session's code as a QR code that renews itself (also without
/// JavaScript: the page asks to be reloaded as the code changes); a participant's phone camera opens the code's
/// address, and one tap records their attendance.
struct ProgrammePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("sessions", ":id", "code", use: Self.code)
        routes.get("attend", use: Self.confirm)
        routes.post("attend", use: Self.attend)
    }

    /// The trainer's screen: the QR code, its number in words for those who type it, when it changes.
    @Sendable static func code(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let id = try request.id(of: "session")
        let now = request.application.clock.now()
        let body: HTML
        var status: HTTPStatus = .ok
        do {
            let code = try await Programmes.attendanceCode(id, by: principal, publicURL: request.application.settings.publicURL, now: now, on: request.db)
            let qr = (try? QRCode(text: code.url)).map { HTML(unsafe: $0.svg(title: t("attend.code.qr"))) } ?? ""
            body = """
                <section class="card attendance-code" aria-labelledby="code-title">
                <h2 id="code-title">\(try await sessionTitle(id, on: request.db))</h2>
                <p>\(t("attend.code.hint"))</p>
                \(qr)
                <p class="muted" role="status">\(t("attend.code.changes", ["time": Formats.time(code.expiresAt.addingTimeInterval(-AttendanceToken.period), t)]))</p>
                </section>
                """
        } catch let problem as Problem where problem.status != .notFound {
            status = problem.status
            body = UI.alert(problem.detail)
        }
        let response = try await Layout.page(t("attend.code.title"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("attend.code.title"))], body)
            .encodeResponse(status: status, for: request)
        // A new code every 30 seconds: the browser reloads the page as the one shown is about to change.
        response.headers.replaceOrAdd(name: "Refresh", value: String(Int(AttendanceToken.period)))
        response.headers.cacheControl = .init(noStore: true)
        return response
    }

    private static func sessionTitle(_ id: UUID, on database: any Database) async throws -> String {
        try await ProgrammeSession.find(id, on: database)?.title ?? ""
    }

    struct AttendForm: Content {
        var csrf: String?
        var token: String?
    }

    /// What the QR code opens: the session, and the button that records one's attendance.
    @Sendable static func confirm(_ request: Request) async throws -> HTML {
        _ = try request.pagePrincipal()
        return try await page(request, token: request.query[String.self, at: "token"] ?? "", notice: nil, problem: nil)
    }

    @Sendable static func attend(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let token = try request.content.decode(AttendForm.self).token ?? ""
        let t = request.catalogue
        return try await Layout.answer(request, {
            _ = try await Programmes.scan(token, by: principal, app: request.application)
            return t("attend.recorded")
        }, page: { notice, problem in try await page(request, token: token, notice: notice, problem: problem) })
    }

    static func page(_ request: Request, token: String, notice: String?, problem: Problem?) async throws -> HTML {
        let t = request.catalogue
        let session = token.split(separator: ".").first.flatMap { UUIDText.parse(String($0)) }
        var title = ""
        if let session { title = try await sessionTitle(session, on: request.db) }
        let content: HTML
        if let notice {
            content = "<p class=\"notice success\" role=\"status\">\(notice)</p><p><a class=\"button secondary\" href=\"/\">\(t("nav.home"))</a></p>"
        } else {
            content = """
                \(problem.map { UI.alert($0.errors.first?.reason ?? $0.detail) } ?? "")
                <form method="post" action="/attend" class="card">\(request.csrfField)
                <input type="hidden" name="token" value="\(token)">
                <h2>\(title.isEmpty ? t("attend.title") : title)</h2>
                <p>\(t("attend.confirm"))</p>
                <p><button>\(t("attend.button"))</button></p>
                </form>
                """
        }
        return Layout.page(t("attend.title"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("attend.title"))], content)
    }
}
