import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// A reviewer's or publisher's remark on a version of a course, on one of its items or on the whole.
final class ReviewComment: Model, @unchecked Sendable {
    static let schema = "review_comments"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    // reference fields
    @Field(key: "course_id") var courseID: UUID
    @OptionalField(key: "item_id") var itemID: UUID?
    @Field(key: "author_id") var authorID: UUID

    // data fields
    @Field(key: "version") var version: Int
    @Field(key: "text") var text: String

    init() {}
}

struct CreateReviewComments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ReviewComment.schema)
            .id()
            .field("created_at", .datetime)
            .field("course_id", .uuid, .required, .references(Course.schema, "id"))
            .field("item_id", .uuid)
            .field("author_id", .uuid, .required, .references(User.schema, "id"))
            .field("version", .int, .required)
            .field("text", .string, .required)
            .create()
        try await database.index("review_comments_course", on: ReviewComment.schema, columns: ["course_id", "version", "created_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ReviewComment.schema).delete()
    }
}

/// The review queue, and each version opened for review: every item shown (video and PDF inline, links and packages in
/// a new tab), the assessment's questions, what changed since the published version, comments per item, and the steps
/// (approve, reject, publish, retire), each confirmed on a page of its own.
struct ReviewPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("review", use: Self.queue)
        routes.get("review", ":id", use: Self.show)
        routes.post("review", ":id", "comments", use: Self.comment)
        routes.get("review", ":id", ":action", use: Self.confirm)
        routes.post("review", ":id", ":action", use: Self.act)
    }

    static let steps: [CourseAction] = [.approve, .reject, .publish, .retire]

    @Sendable static func queue(_ request: Request) async throws -> HTML {
        try await page(request, message: nil)
    }

    /// The versions waiting for a step this person may take: review (as a reviewer) or publication (as a publisher).
    static func actionable(for principal: Principal, on database: any Database) async throws -> [CourseDTO] {
        let waiting = try await Courses.authoring(.init(), page: PageRequest(limit: 200), for: principal, on: database).items
            .filter { $0.state == .inReview || $0.state == .approved }
        let providers = Dictionary(uniqueKeysWithValues: try await Organisation.query(on: database).filter(\.$id ~~ Array(Set(waiting.map(\.providerId)))).all()
            .map { ($0.id!, $0.placement) })
        return waiting.filter { course in
            guard let placement = providers[course.providerId] else { return false }
            return !mayTake(course.state, principal, placement).isEmpty
        }
    }

    /// The steps a person may take on a version in a state.
    static func mayTake(_ state: CourseState, _ principal: Principal, _ placement: Placement) -> [CourseAction] {
        steps.filter { step in step.next(from: state) != nil && principal.access.holds(step.role, on: placement) }
    }

    static func page(_ request: Request, message: String?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let waiting = try await Courses.authoring(.init(), page: PageRequest(limit: 200), for: principal, on: request.db).items
            .filter { $0.state == .inReview || $0.state == .approved }
        let providers = Dictionary(uniqueKeysWithValues: try await Organisation.query(on: request.db).filter(\.$id ~~ Array(Set(waiting.map(\.providerId)))).all()
            .map { ($0.id!, $0) })
        let rows: [HTML] = waiting.map { course in
            guard let provider = providers[course.providerId] else { return "" }
            let path = "/review/\(course.id.uuidString)"
            let actions: [HTML] = mayTake(course.state, principal, provider.placement).map { step in
                "<a class=\"button\(step == .reject || step == .retire ? " danger" : " secondary")\" href=\"\(path)/\(step.rawValue)\">\(t("review.\(step.rawValue)"))</a>"
            }
            return """
                <tr><td><a href="\(path)">\(course.title)</a><br><span class="muted">\(provider.name) · \(t("review.version", ["version": String(course.version)]))</span></td>\
                <td>\(t("state.\(course.state.rawValue)"))</td><td><div class="actions"><a class="button" href="\(path)">\(t("review.open"))</a>\(actions)</div>\
                \(actions.isEmpty ? "<span class=\"muted\">\(t("review.waiting"))</span>" as HTML : "")</td></tr>
                """
        }
        return Layout.page(t("review.queue"), for: request, crumbs: [.init(t("nav.home"), "/"), .init(t("review.queue"))], """
            \(message.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(UI.table(t("review.queue"), head: [t("review.course"), t("field.status"), t("review.step")], rows: rows, empty: t("review.empty")))
            """)
    }

    /// The course and its latest version, for its provider's staff; anyone else is answered as if it did not exist.
    static func load(_ request: Request) async throws -> (Course, CourseVersion, Principal) {
        let principal = try request.pagePrincipal()
        let (course, version) = try await Courses.visible(try request.id(of: "course"), to: principal, on: request.db)
        guard Courses.staff(principal, of: course.provider) else { throw Problem.notFound("course") }
        return (course, version, principal)
    }

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await reviewPage(request, problem: nil, notice: nil)
    }

    static func reviewPage(_ request: Request, problem: Problem?, notice: String?) async throws -> HTML {
        let (course, version, principal) = try await load(request)
        let t = request.catalogue
        let content = version.content
        let id = course.id!.uuidString
        var previous: CourseContent?
        if let published = course.publishedVersion, published != version.version {
            previous = try await request.application.publishedContents.content(of: course.id!, version: published, on: request.db)
        }
        let changes = CourseChange.changes(from: previous, to: content)
        let touched = Set(changes.compactMap(\.itemID))
        let names = try await Competencies.names(content.competencies.map(\.competencyId) + (previous?.competencies.map(\.competencyId) ?? []), on: request.db)
        let comments = try await self.comments(on: course.id!, version: version.version, on: request.db)
        func thread(_ itemID: UUID?) -> HTML {
            let said: [HTML] = comments.filter { $0.itemID == itemID }.map {
                "<li><p>\($0.text)</p><p class=\"muted\">\($0.author) · \($0.at.map { Formats.moment($0, t) } ?? "")</p></li>"
            }
            let form: HTML = """
                <form method="post" action="/review/\(id)/comments" class="comment-form">\(request.csrfField)
                \(itemID.map { "<input type=\"hidden\" name=\"itemId\" value=\"\($0.uuidString.lowercased())\">" as HTML } ?? "")
                <label for="c-\(itemID?.uuidString.lowercased() ?? "course")">\(t(itemID == nil ? "review.commentCourse" : "review.commentItem"))</label>
                <textarea id="c-\(itemID?.uuidString.lowercased() ?? "course")" name="text" maxlength="2000" rows="2" required></textarea>
                <div class="actions"><button class="secondary">\(t("review.addComment"))</button></div></form>
                """
            return "\(said.isEmpty ? "" : "<ul class=\"plain comments\">\(said)</ul>" as HTML)\(form)"
        }

        let modules: [HTML] = content.modules.map { module in
            let items: [HTML] = module.items.map { item in
                let mark: HTML = item.id.map { touched.contains($0) } == true ? UI.badge(t(changes.contains { if case .itemAdded(item.id!, _) = $0 { true } else { false } } ? "review.new" : "review.changed"), .warning) : ""
                return """
                    <li class="card review-item" id="item-\(item.id?.uuidString.lowercased() ?? "")"><h4>\(item.title) \(mark)</h4>
                    <p class="muted">\(t("kind.\(item.kind.rawValue)")) · \(t("catalogue.minutes", ["minutes": String(item.durationMinutes)]))\(item.required ? "" : " · \(t("catalogue.optional"))")</p>
                    \(opened(item, course: course, t))
                    \(thread(item.id))</li>
                    """
            }
            return "<section><h3>\(module.title)</h3><ul class=\"plain\">\(items)</ul></section>"
        }
        let changeList: [HTML] = changes.map { "<li>\(describe($0, names: names, t))</li>" }
        let whatChanged: HTML = previous == nil
            ? "<p>\(t("review.firstVersion"))</p>"
            : changes.isEmpty ? "<p>\(t("review.noChanges"))</p>" : "<ul>\(changeList)</ul>"
        let competencies: [HTML] = content.competencies.map { "<li>\(names[$0.competencyId] ?? "") · \(t("people.level")) \($0.level)</li>" }
        let steps: [HTML] = mayTake(version.state, principal, course.provider.placement).map { step in
            "<a class=\"button\(step == .reject || step == .retire ? " danger" : "")\" href=\"/review/\(id)/\(step.rawValue)\">\(t("review.\(step.rawValue)"))</a>"
        }
        return Layout.page(t("review.of", ["title": content.title]), for: request,
                           crumbs: [.init(t("nav.home"), "/"), .init(t("review.queue"), "/review"), .init(content.title)], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            <p class="notice">\(t("review.version", ["version": String(version.version)])) · \(t("state.\(version.state.rawValue)")) · \(course.provider.name)</p>
            \(steps.isEmpty ? "" : "<div class=\"actions\">\(steps)</div>" as HTML)
            <section class="card"><h2>\(t("review.changes"))</h2>\(whatChanged)</section>
            <section class="card"><h2>\(t("editor.details"))</h2><p><strong>\(content.summary)</strong></p><p>\(content.description)</p>
            <p class="muted">\(Language.named(content.language)?.nativeName ?? content.language) · \(t("catalogue.minutes", ["minutes": String(content.durationMinutes)]))</p>
            <h3>\(t("catalogue.competencies"))</h3><ul>\(competencies)</ul></section>
            <h2>\(t("catalogue.modules"))</h2>
            \(modules)
            <section class="card"><h2>\(t("review.overall"))</h2>\(thread(nil))</section>
            """)
    }

    struct Said {
        var itemID: UUID?
        var text: String
        var author: String
        var at: Date?
    }

    /// The comments on a version of a course, oldest first, with their authors' names.
    static func comments(on courseID: UUID, version: Int, on database: any Database) async throws -> [Said] {
        let comments = try await ReviewComment.query(on: database).filter(\.$courseID == courseID).filter(\.$version == version).sort(\.$createdAt).all()
        let authors = try await Users.named(comments.map(\.authorID), on: database)
        return comments.map { Said(itemID: $0.itemID, text: $0.text, author: authors[$0.authorID]?.name ?? "", at: $0.createdAt) }
    }

    /// An item opened where the reviewer reads: a video or PDF inline, links and packages in a new tab, an assessment's
    /// questions with their answers and a preview as a learner sees them.
    static func opened(_ item: CourseContent.Item, course: Course, _ t: Catalogue) -> HTML {
        if item.kind == .assessment {
            guard let spec = item.assessment, let itemID = item.id else { return "<p class=\"error\">\(t("review.noQuestions"))</p>" }
            let questions: [HTML] = spec.questions.enumerated().map { index, question in
                "<li><p><strong>\(index + 1). \(question.text)</strong></p>\(AssessmentEditorPages.answerSummary(question, t))</li>"
            }
            let preview = "/author/courses/\(course.id!.uuidString.lowercased())/assessments/\(itemID.uuidString.lowercased())/preview"
            return """
                <p>\(t("question.rules", ["draw": String(spec.drawCount), "count": String(spec.questions.count), "minutes": String(spec.timeLimitSeconds / 60),
                                          "attempts": String(spec.maxAttempts), "pass": String(spec.passPercent)]))</p>
                <details><summary>\(t.plural("question.count", spec.questions.count))</summary><ul class="plain">\(questions)</ul></details>
                <p><a href="\(preview)" target="_blank" rel="noopener">\(t("question.preview"))</a></p>
                """
        }
        guard let url = item.url else { return item.kind == .offline ? "" : "<p class=\"muted\">\(t("review.noContent"))</p>" }
        let href = item.href ?? url
        let inline = url.hasPrefix("content:")
        switch item.kind {
        case .video where inline:
            return "<video controls preload=\"metadata\" src=\"\(href)\"></video><p><a href=\"\(href)\" target=\"_blank\" rel=\"noopener\">\(t("review.openNewTab"))</a></p>"
        case .document where inline:
            return """
                <iframe class="document" src="\(href)" title="\(item.title)" loading="lazy"></iframe>
                <p><a href="\(href)" target="_blank" rel="noopener">\(t("review.openNewTab"))</a></p>
                """
        default:
            return "<p><a class=\"button secondary\" href=\"\(href)\" target=\"_blank\" rel=\"noopener\">\(t("review.openNewTab"))</a> <span class=\"muted\">\(url.hasPrefix("content:") || item.kind == .caseStudy ? "" : url)</span></p>"
        }
    }

    static func describe(_ change: CourseChange, names: [UUID: String], _ t: Catalogue) -> String {
        switch change {
        case .field(let field): t("review.change.field", ["field": t("review.field.\(field)")])
        case .competencyAdded(let id, let level): t("review.change.competencyAdded", ["name": names[id] ?? "", "level": String(level)])
        case .competencyRemoved(let id): t("review.change.competencyRemoved", ["name": names[id] ?? ""])
        case .competencyLevel(let id, let from, let to): t("review.change.competencyLevel", ["name": names[id] ?? "", "from": String(from), "to": String(to)])
        case .moduleAdded(let title): t("review.change.moduleAdded", ["title": title])
        case .moduleRemoved(let title): t("review.change.moduleRemoved", ["title": title])
        case .moduleRenamed(let from, let to): t("review.change.moduleRenamed", ["from": from, "to": to])
        case .modulesReordered: t("review.change.modulesReordered")
        case .itemAdded(_, let title): t("review.change.itemAdded", ["title": title])
        case .itemRemoved(let title): t("review.change.itemRemoved", ["title": title])
        case .itemChanged(_, let title, let parts):
            t("review.change.itemChanged", ["title": title, "parts": parts.map { t("review.part.\($0)") }.joined(separator: ", ")])
        case .itemsReordered(let module): t("review.change.itemsReordered", ["title": module])
        }
    }

    struct CommentForm: Content {
        var itemId: String?
        var text: String?
    }

    @Sendable static func comment(_ request: Request) async throws -> Response {
        let form = try request.content.decode(CommentForm.self)
        let (course, version, principal) = try await load(request)
        do {
            let text = (form.text ?? "").trimmed
            guard !text.isEmpty, text.count <= 2000 else { throw Problem.invalid("text", request.catalogue("review.commentLength")) }
            var itemID: UUID?
            if let raw = form.itemId, !raw.isEmpty {
                guard let id = UUIDText.parse(raw), version.content.modules.flatMap(\.items).contains(where: { $0.id == id }) else {
                    throw Problem.invalid("itemId", "is not an item of this version")
                }
                itemID = id
            }
            let comment = ReviewComment()
            comment.courseID = course.id!
            comment.version = version.version
            comment.itemID = itemID
            comment.authorID = principal.userID
            comment.text = text
            try await comment.create(on: request.db)
            return request.redirect(to: "/review/\(course.id!.uuidString)\(itemID.map { "#item-\($0.uuidString.lowercased())" } ?? "")")
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await reviewPage(request, problem: problem, notice: nil) }
        }
    }

    static func step(_ request: Request) throws -> CourseAction {
        guard let action = request.parameters.get("action").flatMap(CourseAction.init(rawValue:)), steps.contains(action) else {
            throw Problem(.notFound, "There is no such review step.")
        }
        return action
    }

    /// The confirmation of a step: what it does, and (required to reject, else optional) a comment for the record.
    @Sendable static func confirm(_ request: Request) async throws -> HTML {
        try await confirmPage(request, step: try step(request), comment: "", problem: nil)
    }

    static func confirmPage(_ request: Request, step: CourseAction, comment: String, problem: Problem?) async throws -> HTML {
        let (course, version, _) = try await load(request)
        let t = request.catalogue
        let id = course.id!.uuidString
        let destructive = step == .reject || step == .retire
        return Layout.page(t("review.confirm.\(step.rawValue)", ["title": version.content.title]), for: request,
                           crumbs: [.init(t("nav.home"), "/"), .init(t("review.queue"), "/review"), .init(version.content.title, "/review/\(id)"),
                                    .init(t("review.\(step.rawValue)"))], """
            \(Layout.problem(problem, t))
            <form method="post" action="/review/\(id)/\(step.rawValue)" class="card">\(request.csrfField)
            <p>\(t("review.what.\(step.rawValue)"))</p>
            <label for="comment">\(t(step == .reject ? "review.commentRequired" : "review.comment"))</label>
            <textarea id="comment" name="comment" maxlength="2000" rows="3"\(step == .reject ? " required" : "" as HTML)>\(comment)</textarea>
            <div class="actions"><button class="\(destructive ? "danger" : "")">\(t("review.\(step.rawValue)"))</button><a href="/review/\(id)">\(t("people.cancel"))</a></div>
            </form>
            """)
    }

    struct StepForm: Content { var comment: String? }

    @Sendable static func act(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let action = try step(request)
        let comment = try request.content.decode(StepForm.self).comment?.trimmed.nilIfEmpty
        do {
            let (_, version) = try await Courses.transition(try request.id(of: "course"), action, comment: comment, by: principal, on: request.db)
            let message = request.catalogue("review.done", ["title": version.title, "state": request.catalogue("state.\(version.state.rawValue)")])
            return try await page(request, message: message).encodeResponse(for: request)
        } catch let problem as Problem where problem.status == .unprocessableEntity || problem.status == .conflict {
            return try await Layout.failed(problem, request) { try await confirmPage(request, step: action, comment: comment ?? "", problem: problem) }
        }
    }
}
