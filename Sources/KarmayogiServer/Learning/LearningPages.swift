import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A learner's pages: my learning (continue where I left off), enrolling from a course's page, the course player
/// (open each item, mark it done), and my karma points with my organisation's leaderboard.
struct LearningPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("my", "learning", use: Self.myLearning)
        routes.post("courses", ":id", "enrol", use: Self.enrol)
        routes.get("learn", ":id", use: Self.player)
        routes.post("learn", ":id", "done", use: Self.markDone)
        routes.get("my", "karma", use: Self.karma)
        routes.get("content", ":sha256", use: ContentFileController.download)
    }

    /// The links at the top of a learner's own pages.
    static func mine(_ t: Catalogue) -> HTML {
        """
        <p><a href="/my/learning">\(t("nav.learning"))</a> · <a href="/my/certificates">\(t("nav.certificates"))</a> · \
        <a href="/my/passbook">\(t("nav.passbook"))</a> · <a href="/my/karma">\(t("nav.karma"))</a></p>
        """
    }

    @Sendable static func myLearning(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let enrolments = try await Enrolment.query(on: request.db).filter(\.$userID == principal.userID).filter(\.$status != .left)
            .sort(\.$updatedAt, .descending).limit(200).all()
        let certificates = try await Certificate.query(on: request.db).filter(\.$userID == principal.userID).all()
        let certificateOf = Dictionary(certificates.map { ($0.enrolmentID, $0.id!) }, uniquingKeysWith: { first, _ in first })
        var active: [HTML] = [], completed: [HTML] = []
        for enrolment in enrolments {
            let content = try await request.application.publishedContents.content(of: enrolment.courseID, version: enrolment.version, on: request.db)
            let path = "/learn/\(enrolment.courseID.uuidString)"
            if enrolment.status == .completed {
                let certificate: HTML = certificateOf[enrolment.id!].map { "<a href=\"/certificates/\($0.uuidString)\">\(t("nav.certificate"))</a>" } ?? ""
                completed.append("<li><a href=\"\(path)\">\(content.title)</a> · \(certificate)</li>")
            } else {
                let anchor = enrolment.lastItemID.map { "#item-\($0.uuidString)" } ?? ""
                active.append("""
                    <article class="card"><h2><a href="\(path)">\(content.title)</a></h2>
                    <progress max="100" value="\(Int(enrolment.percent))"></progress> <span>\(t("learning.percent", ["percent": String(Int(enrolment.percent))]))</span>
                    <p><a class="button" href="\(path)\(anchor)">\(enrolment.lastItemID == nil ? t("learning.start") : t("learning.continue"))</a></p></article>
                    """)
            }
        }
        return Layout.page(t("nav.learning"), for: request, """
            \(mine(t))
            \(active.isEmpty ? "<p>\(t("learning.nothing")) <a href=\"/courses\">\(t("nav.courses"))</a></p>" as HTML : HTML(unsafe: active.map(\.markup).joined()))
            \(completed.isEmpty ? "" : "<h2>\(t("learning.completed"))</h2><ul>\(completed)</ul>" as HTML)
            """)
    }

    @Sendable static func enrol(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let courseID = try request.id(of: "course")
        _ = try await Courses.visible(courseID, to: principal, on: request.db)
        _ = try await Enrolments.enrol(courseID, user: principal.userID, organisation: principal.organisationID, by: principal, on: request.db)
        return request.redirect(to: "/learn/\(courseID.uuidString)")
    }

    @Sendable static func player(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let courseID = try request.id(of: "course")
        guard let enrolment = try await Enrolment.query(on: request.db).filter(\.$userID == principal.userID).filter(\.$courseID == courseID).first(),
              enrolment.status != .left
        else { throw Redirect.to("/courses/\(courseID.uuidString)") }
        let content = try await request.application.publishedContents.content(of: courseID, version: enrolment.version, on: request.db)
        struct Row: Decodable { var item_id: UUID; var status: Int; var percent: Double }
        let rows = try await (request.db as! any SQLDatabase).select().column("item_id").column("status").column("percent").from("item_progress")
            .where("enrolment_id", .equal, SQLBind(enrolment.id!)).all(decoding: Row.self)
        let state = Dictionary(uniqueKeysWithValues: rows.map { ($0.item_id, $0) })
        let modules: [HTML] = content.modules.map { module in
            let items: [HTML] = module.items.map { item in
                let id = item.id?.uuidString ?? ""
                let status = state[item.id ?? UUID()].flatMap { ItemStatus(rawValue: $0.status) } ?? .notStarted
                var open: HTML = ""
                if let url = item.url {
                    let href = url.hasPrefix("content:") ? "/content/\(url.dropFirst("content:".count))" : url
                    open = "<a href=\"\(href)\" target=\"_blank\" rel=\"noopener\">\(t("learning.open"))</a> "
                }
                let done: HTML = status == .completed || item.kind == .assessment ? "" : """
                    <form method="post" action="/learn/\(courseID.uuidString)/done" class="inline">\(request.csrfField)\
                    <input type="hidden" name="itemId" value="\(id)"><input type="hidden" name="key" value="\(UUID().uuidString)">\
                    <button>\(t("learning.markDone"))</button></form>
                    """
                return """
                    <li id="item-\(id)">\(item.title) <span class="muted">· \(t("kind.\(item.kind.rawValue)")) · \(t("catalogue.minutes", ["minutes": String(item.durationMinutes)]))\
                    \(item.required ? "" : " · \(t("catalogue.optional"))")</span> — <strong>\(t("learning.status.\(status.rawValue)"))</strong><br>\(open)\(done)</li>
                    """
            }
            return "<section class=\"card\"><h2>\(module.title)</h2><ol>\(items)</ol></section>"
        }
        let certificate = enrolment.status == .completed
            ? try await Certificate.query(on: request.db).filter(\.$enrolmentID == enrolment.id!).first() : nil
        let banner: HTML = enrolment.status == .completed
            ? "<p class=\"ok\" role=\"status\">\(t("learning.done"))\(certificate.map { " <a href=\"/certificates/\($0.id!.uuidString)\">\(t("nav.certificate"))</a>" as HTML } ?? "")</p>"
            : "<progress max=\"100\" value=\"\(Int(enrolment.percent))\"></progress> \(t("learning.percent", ["percent": String(Int(enrolment.percent))]))"
        return Layout.page(content.title, for: request, """
            \(mine(t))
            \(banner)
            \(modules)
            """)
    }

    struct DoneForm: Content {
        var itemId: String?
        var key: String?
    }

    /// "Mark as done" on the player: one progress update through the same rule as the API; the form's key makes a resubmission count once.
    @Sendable static func markDone(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let courseID = try request.id(of: "course")
        let form = try request.content.decode(DoneForm.self)
        let update = ProgressBatchInput.UpdateInput(courseId: courseID.uuidString, itemId: form.itemId, status: ItemStatus.completed.rawValue, percent: 100,
                                                   secondsSpent: 0, clientTime: nil, key: "page:\(form.key ?? UUID().uuidString)")
        _ = try await LearningProgress.apply(ProgressBatchInput(updates: [update]), for: principal, app: request.application, on: request.db)
        return request.redirect(to: "/learn/\(courseID.uuidString)#item-\(form.itemId ?? "")")
    }

    @Sendable static func karma(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let entries = try await KarmaEntry.query(on: request.db).filter(\.$userID == principal.userID).sort(\.$givenAt, .descending).all()
        let month = Karma.month(of: Date())
        let ledger: [HTML] = entries.prefix(50).map {
            "<tr><td>\(CredentialPages.day($0.givenAt))</td><td>\(t("karma.\($0.reason.rawValue)"))</td><td>+\($0.points)</td></tr>"
        }
        guard let organisation = try await Organisation.find(principal.organisationID, on: request.db) else { throw Problem.notFound("organisation") }
        let board = try await Karma.leaderboard(of: organisation, month: month, on: request.db)
        let rows: [HTML] = board.map {
            "<tr\($0.userId == principal.userID ? " class=\"ok\"" : "" as HTML)><td>\($0.rank)</td><td>\($0.name)</td><td>\($0.points)</td></tr>"
        }
        return Layout.page(t("nav.karma"), for: request, """
            \(mine(t))
            <p class="card"><strong>\(t("karma.total", ["points": String(entries.map(\.points).reduce(0, +))]))</strong> · \
            \(t("karma.month", ["points": String(entries.filter { $0.month == month }.map(\.points).reduce(0, +))]))</p>
            <table><thead><tr><th>\(t("certificate.date"))</th><th>\(t("karma.reason"))</th><th>\(t("karma.points"))</th></tr></thead><tbody>\(ledger)</tbody></table>
            <h2>\(t("karma.board", ["organisation": principal.me.organisationName]))</h2>
            <table><thead><tr><th>#</th><th>\(t("field.name"))</th><th>\(t("karma.points"))</th></tr></thead><tbody>\(rows)</tbody></table>
            """)
    }
}
