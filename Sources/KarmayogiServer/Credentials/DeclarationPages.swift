import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// `/admin/declarations`: competencies that people an admin manages declared for their passbook, to approve or
/// reject with a note (the same rule as the API's).
struct DeclarationPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("admin", "declarations", use: Self.list)
        routes.post("admin", "declarations", ":id", ":decision", use: Self.decide)
    }

    @Sendable static func list(_ request: Request) async throws -> HTML {
        try await page(request, message: nil, problem: nil)
    }

    static func page(_ request: Request, message: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        guard !principal.access.reach(of: .manageUsers).isEmpty else { throw Problem.forbidden }
        let pending = try await Passbook.pending(for: principal, on: request.db)
        let competencies = try await Competencies.names(pending.map(\.entry.competencyID), on: request.db)
        let rows: [HTML] = pending.map { entry, user in
            let id = entry.id!.uuidString
            return """
                <tr><td>\(user.name)<br><span class="muted">\(user.designation ?? "")</span></td><td>\(competencies[entry.competencyID] ?? "")</td>\
                <td>\(t("level.\(entry.level)"))</td><td>\(entry.createdAt.map { Formats.date($0, t) } ?? "")</td>\
                <td><form method="post" action="/admin/declarations/\(id)/approve">\(request.csrfField)\
                <label for="note-\(id)">\(t("declarations.note"))</label><input id="note-\(id)" type="text" name="note" maxlength="1000" required>\
                <div class="actions"><button>\(t("declarations.approve"))</button>\
                <button class="danger" formaction="/admin/declarations/\(id)/reject">\(t("declarations.reject"))</button></div></form></td></tr>
                """
        }
        return Layout.page(t("declarations.title"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("declarations.title"))], """
            \(message.map { "<p class=\"notice\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            <p class="muted">\(t("declarations.intro"))</p>
            \(rows.isEmpty ? UI.empty(t("declarations.none")) : UI.table(t("declarations.title"), head: [t("field.name"), t("designations.competency"),
                t("passbook.level"), t("certificate.date"), t("declarations.decision")], rows: rows, empty: ""))
            """)
    }

    struct DecisionForm: Content { var note: String? }

    @Sendable static func decide(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let id = try request.id(of: "declaration")
        guard let decision = request.parameters.get("decision"), ["approve", "reject"].contains(decision) else { throw Problem.notFound("declaration") }
        let note = try request.content.decode(DecisionForm.self).note ?? ""
        do {
            _ = try await Passbook.decide(id, approve: decision == "approve", note: note, by: principal, on: request.db)
            return try await page(request, message: t(decision == "approve" ? "declarations.approved" : "declarations.rejected"), problem: nil).encodeResponse(for: request)
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await page(request, message: nil, problem: problem) }
        }
    }
}
