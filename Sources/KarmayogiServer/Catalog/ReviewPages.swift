import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The review queue: versions waiting for a reviewer or a publisher, with the step each person may take.
struct ReviewPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("review", use: Self.queue)
        routes.post("review", ":id", ":action", use: Self.act)
    }

    @Sendable static func queue(_ request: Request) async throws -> HTML {
        try await page(request, message: nil, problem: nil)
    }

    /// The versions waiting for a step this person may take: review (as a reviewer) or publication (as a publisher).
    static func actionable(for principal: Principal, on database: any Database) async throws -> [CourseDTO] {
        let waiting = try await Courses.authoring(.init(), page: PageRequest(limit: 200), for: principal, on: database).items
            .filter { $0.state == .inReview || $0.state == .approved }
        let providers = Dictionary(uniqueKeysWithValues: try await Organisation.query(on: database).filter(\.$id ~~ Array(Set(waiting.map(\.providerId)))).all()
            .map { ($0.id!, $0.placement) })
        return waiting.filter { course in
            guard let placement = providers[course.providerId] else { return false }
            return course.state == .inReview ? principal.access.holds(.contentReviewer, on: placement) : principal.access.holds(.contentPublisher, on: placement)
        }
    }

    static func page(_ request: Request, message: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let waiting = try await Courses.authoring(.init(), page: PageRequest(limit: 200), for: principal, on: request.db).items
            .filter { $0.state == .inReview || $0.state == .approved }
        let providers = Dictionary(uniqueKeysWithValues: try await Organisation.query(on: request.db).filter(\.$id ~~ Array(Set(waiting.map(\.providerId)))).all()
            .map { ($0.id!, $0) })
        let rows: [HTML] = waiting.map { course in
            guard let provider = providers[course.providerId] else { return "" }
            var actions: [HTML] = []
            let path = "/review/\(course.id.uuidString)"
            if course.state == .inReview, principal.access.holds(.contentReviewer, on: provider.placement) {
                actions.append("<form method=\"post\" action=\"\(path)/approve\" class=\"inline\">\(request.csrfField)<button>\(t("review.approve"))</button></form>")
                actions.append("""
                    <form method="post" action="\(path)/reject">\(request.csrfField)<label for="c-\(course.id.uuidString)">\(t("review.comment"))</label>\
                    <input id="c-\(course.id.uuidString)" type="text" name="comment" maxlength="2000" required> <button>\(t("review.reject"))</button></form>
                    """)
            }
            if course.state == .approved, principal.access.holds(.contentPublisher, on: provider.placement) {
                actions.append("<form method=\"post\" action=\"\(path)/publish\" class=\"inline\">\(request.csrfField)<button>\(t("review.publish"))</button></form>")
            }
            return """
                <tr><td><a href="/courses/\(course.id.uuidString)">\(course.title)</a><br><span class="muted">\(provider.name) · \(t("review.version", ["version": String(course.version)]))</span></td>\
                <td>\(t("state.\(course.state.rawValue)"))</td><td>\(actions.isEmpty ? "<span class=\"muted\">\(t("review.waiting"))</span>" as HTML : HTML(unsafe: actions.map(\.markup).joined()))</td></tr>
                """
        }
        return Layout.page(t("review.title"), for: request, """
            \(message.map { "<p class=\"ok\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("review.course"))</th><th>\(t("field.status"))</th><th>\(t("review.step"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"3\">\(t("review.empty"))</td></tr>" as HTML : HTML(unsafe: rows.map(\.markup).joined()))</tbody></table></div>
            """)
    }

    struct StepForm: Content { var comment: String? }

    @Sendable static func act(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        guard let action = request.parameters.get("action").flatMap(CourseAction.init(rawValue:)), [.approve, .reject, .publish].contains(action) else {
            throw Problem(.notFound, "There is no such review step.")
        }
        let comment = try request.content.decode(StepForm.self).comment
        do {
            let (_, version) = try await Courses.transition(try request.id(of: "course"), action, comment: comment, by: principal, on: request.db)
            let message = request.catalogue("review.done", ["title": version.title, "state": request.catalogue("state.\(version.state.rawValue)")])
            return try await page(request, message: message, problem: nil).encodeResponse(for: request)
        } catch let problem as Problem {
            return try await Layout.failed(problem, request) { try await page(request, message: nil, problem: problem) }
        }
    }
}
