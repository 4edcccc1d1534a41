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
        routes.post("learn", ":id", "progress", use: Self.report)
        routes.get("my", "karma", use: Self.karma)
        routes.post("learn", ":id", "attempts", ":item", use: Self.startAttempt)
        routes.get("attempts", ":id", use: Self.attempt)
        routes.post("attempts", ":id", use: Self.submitAttempt)
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
        _ = try await Enrolments.enrol(courseID, user: principal.userID, organisation: principal.organisationID, by: principal,
                                       clock: request.application.clock, known: request.application.activeDays, on: request.db)
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
        let state = Dictionary(uniqueKeysWithValues: try await LearningProgress.items(of: enrolment.id!, on: request.db).map { ($0.itemId, $0) })
        let packaged = content.modules.flatMap(\.items).compactMap { item -> (item: UUID, reference: PackageItemReference)? in
            guard item.kind == .scorm, let id = item.id, let reference = item.url.flatMap(PackageItemReference.init) else { return nil }
            return (id, reference)
        }
        let offered = try await ScormAttempts.offered(packaged, to: principal.userID, on: request.db)
        let modules: [HTML] = content.modules.map { module in
            let items: [HTML] = module.items.map { item in
                let id = item.id?.uuidString ?? ""
                let status = state[item.id ?? UUID()].flatMap { ItemStatus(rawValue: $0.status) } ?? .notStarted
                var open: HTML = ""
                if item.kind == .scorm, item.url != nil {
                    // A package's sequencing may keep a part shut, or reached only by continuing from the one before.
                    switch offered[item.id ?? UUID()] ?? .open {
                    case .open:
                        open = "<a href=\"/learn/\(courseID.uuidString)/play/\(id)\" data-package=\"\(id)\">\(t(status == .notStarted ? "scorm.play" : status == .completed ? "scorm.again" : "scorm.resume"))</a> "
                    case .disabled: open = "<span class=\"muted\">\(t("scorm.shut"))</span> "
                    case .hidden, .skipped: open = "<span class=\"muted\">\(t("scorm.byFlow"))</span> "
                    }
                } else if item.kind == .cmi5 || item.kind == .lti || item.kind == .xapi && (item.url?.hasPrefix("https://") == true || item.url?.hasPrefix("http://") == true) {
                    // Launched with the platform's LRS, the content reports what the learner did.
                    open = "<a href=\"/learn/\(courseID.uuidString)/play/\(id)\" data-xapi=\"\(id)\">\(t(status == .notStarted ? "scorm.play" : status == .completed ? "scorm.again" : "scorm.resume"))</a> "
                } else if let url = item.url {
                    let href = item.href ?? url
                    open = item.kind == .video && url.hasPrefix("content:")
                        ? "<video controls preload=\"metadata\" src=\"\(href)\" data-item=\"\(id)\"></video><br>"
                        : "<a href=\"\(href)\" target=\"_blank\" rel=\"noopener\" data-item=\"\(id)\">\(t("learning.open"))</a> "
                }
                if item.kind == .assessment, status != .completed, item.assessment != nil {
                    open = """
                        <form method="post" action="/learn/\(courseID.uuidString)/attempts/\(id)" class="inline">\(request.csrfField)\
                        <button>\(t("assessment.start"))</button></form>
                        """
                }
                // An assessment is done by its attempt, a SCORM or xAPI item by what its content reports.
                let reported = item.kind == .scorm || item.kind == .cmi5 || item.kind == .lti || item.kind == .xapi && item.url?.hasPrefix("http") == true
                let done: HTML = status == .completed || item.kind == .assessment || reported ? "" : """
                    <form method="post" action="/learn/\(courseID.uuidString)/done" class="inline">\(request.csrfField)\
                    <input type="hidden" name="itemId" value="\(id)"><input type="hidden" name="key" value="\(UUID().uuidString)">\
                    <button>\(t("learning.markDone"))</button></form>
                    """
                return """
                    <li id="item-\(id)">\(item.title) <span class="muted">· \(t("kind.\(item.kind.rawValue)")) · \(t("catalogue.minutes", ["minutes": String(item.durationMinutes)]))\
                    \(item.required ? "" : " · \(t("catalogue.optional"))")</span> — \
                    <strong data-state="\(id)" data-done="\(t("learning.status.2"))">\(t("learning.status.\(status.rawValue)"))</strong><br>\(open)\(done)</li>
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
            <section id="player" data-course="\(courseID.uuidString)" data-csrf="\(request.csrfToken)">
            \(banner)
            \(modules)
            </section>
            <script src="\(Assets.url("player.js"))" defer></script>
            """)
    }

    /// What the player sends: a "mark as done" form (item and key), or the script's JSON report.
    struct Report: Content {
        var itemId: String?
        var status: Int?
        var percent: Double?
        var secondsSpent: Int?
        var key: String?
    }

    /// One update from a page, by the API's rules and through the group commit; its keys are kept apart from the API's.
    static func apply(_ sent: Report, _ request: Request) async throws -> ProgressAnswer {
        let principal = try request.pagePrincipal()
        let update = ProgressBatchInput.UpdateInput(courseId: try request.id(of: "course").uuidString, itemId: sent.itemId, status: sent.status,
                                                   percent: sent.percent, secondsSpent: sent.secondsSpent, clientTime: nil,
                                                   key: "page:\(sent.key ?? UUID().uuidString)")
        return try await LearningProgress.apply(ProgressBatchInput(updates: [update]), for: principal, app: request.application, on: request.db, grouped: true)
    }

    /// "Mark as done" on the player; the form's key makes a resubmission count once.
    @Sendable static func markDone(_ request: Request) async throws -> Response {
        var form = try request.content.decode(Report.self)
        (form.status, form.percent, form.secondsSpent) = (ItemStatus.completed.rawValue, 100, 0)
        _ = try await apply(form, request)
        return request.redirect(to: "/learn/\(try request.id(of: "course").uuidString)#item-\(SitePath.component(form.itemId ?? ""))")
    }

    @Sendable static func startAttempt(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let item = try request.id("item", of: "assessment")
        do {
            let (attempt, _) = try await Assessments.start(item, by: principal, app: request.application, on: request.db)
            return request.redirect(to: "/attempts/\(attempt.id.uuidString)")
        } catch let problem as Problem {
            return try ErrorPage.response(problem, for: request)
        }
    }

    @Sendable static func attempt(_ request: Request) async throws -> HTML {
        try await attemptPage(request, problem: nil)
    }

    /// An attempt: its questions to answer with the time left, or once submitted, the score and each question's result.
    /// One question as a learner sees it (also the author's and reviewer's preview): its text, and its options or a number box;
    /// the right options ticked when they are shown.
    static func questionFieldset(number: Int, id: UUID, kind: AssessmentSpec.Kind, text: String, options: [String], chosen: [Int], number value: Double?,
                                 right: [Int], open: Bool, note: HTML = "", _ t: Catalogue) -> HTML {
        let name = "q-\(id.uuidString)"
        let body: HTML
        if kind == .numeric {
            body = "<input type=\"number\" step=\"any\" name=\"\(name)\" value=\"\(value.map { Formats.entered($0) } ?? "")\" aria-label=\"\(t("assessment.answer"))\"\(open ? "" : " disabled" as HTML)>"
        } else {
            let type = kind == .multiple ? "checkbox" : "radio"
            let shown = kind == .trueFalse ? [t("assessment.true"), t("assessment.false")] : options
            let labels: [HTML] = shown.enumerated().map { position, option in
                """
                <label class="option"><input type="\(type)" name="\(name)" value="\(position)"\(chosen.contains(position) ? " checked" : "" as HTML)\(open ? "" : " disabled" as HTML)> \
                <span>\(option)\(right.contains(position) ? " ✓" : "" as HTML)</span></label>
                """
            }
            body = "\(labels)"
        }
        return "<fieldset class=\"card\"><legend>\(number). \(text)</legend>\(body)\(note)</fieldset>"
    }

    static func attemptPage(_ request: Request, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        guard let attempt = try await AssessmentAttempt.find(try request.id(of: "attempt"), on: request.db), attempt.userID == principal.userID else {
            throw Problem.notFound("attempt")
        }
        let content = try await request.application.publishedContents.content(of: attempt.courseID, version: attempt.version, on: request.db)
        guard let item = content.modules.flatMap(\.items).first(where: { $0.id == attempt.itemID }), let spec = item.assessment else { throw Problem.notFound("attempt") }
        let number = try await Assessments.number(of: attempt, on: request.db)
        let view = AttemptDTO(attempt, spec: spec, number: number)
        let results = Dictionary(uniqueKeysWithValues: (view.results ?? []).map { ($0.questionId, $0) })
        let given = Dictionary((attempt.answers ?? []).map { ($0.questionId, $0) }, uniquingKeysWith: { first, _ in first })
        let open = view.submittedAt == nil && view.secondsLeft > 0
        let questions: [HTML] = view.questions.enumerated().map { index, question in
            let given = given[question.id]
            let verdict: HTML = results[question.id].map {
                ($0.correct ? "<p class=\"ok\">\(t("assessment.right"))</p>"
                    : "<p class=\"error\">\(t("assessment.wrong"))\($0.correctNumber.map { " \(t("assessment.rightAnswer")) \(Formats.entered($0))" } ?? "")</p>")
                    + ($0.explanation.map { "<p class=\"muted\">\($0)</p>" as HTML } ?? "")
            } ?? ""
            return questionFieldset(number: index + 1, id: question.id, kind: question.kind, text: question.text, options: question.options,
                                    chosen: given?.choices ?? [], number: given?.number, right: results[question.id]?.correctChoices ?? [], open: open,
                                    note: verdict, t)
        }
        let deadline = Formats.moment(attempt.deadline, t)
        let used = try await AssessmentAttempt.query(on: request.db).filter(\.$userID == principal.userID).filter(\.$itemID == attempt.itemID).count()
        var next: HTML = ""
        if view.submittedAt != nil || !open {
            if view.passed != true && used < spec.maxAttempts {
                next = """
                    <form method="post" action="/learn/\(attempt.courseID.uuidString)/attempts/\(attempt.itemID.uuidString)" class="actions">\(request.csrfField)\
                    <button>\(t("assessment.tryAgain"))</button><span class="muted">\(t("assessment.left", ["count": String(spec.maxAttempts - used)]))</span></form>
                    """
            } else if view.passed != true {
                next = "<p class=\"notice\">\(t("assessment.noneLeft", ["of": String(spec.maxAttempts)]))</p>"
            }
            if view.results == nil && view.submittedAt != nil { next = next + "<p class=\"muted\">\(t("assessment.answersHidden.\((spec.showAnswers ?? .afterLastAttempt).rawValue)"))</p>" }
        }
        let header: HTML = view.submittedAt == nil
            ? (open ? """
                <p class="notice" role="timer" data-deadline="\(ISO8601DateFormatter().string(from: attempt.deadline))" \
                data-template="\(t("assessment.timeLeft", ["deadline": deadline]))" data-up="\(t("assessment.timeUp", ["deadline": deadline]))">\
                \(t("assessment.timeLeft", ["minutes": String(view.secondsLeft / 60), "seconds": String(view.secondsLeft % 60), "deadline": deadline]))</p>
                """
                : "<p class=\"error\">\(t("assessment.timeUp", ["deadline": deadline]))</p>")
            : "<p class=\"\(view.passed == true ? "ok" : "error")\" role=\"status\"><strong>\(t(view.passed == true ? "assessment.passed" : "assessment.failed", ["percent": String(format: "%.0f", view.percent ?? 0), "pass": String(spec.passPercent)]))</strong></p>"
        return Layout.page(item.title, for: request, """
            \(Layout.problem(problem, t))
            <p class="muted">\(t("assessment.attempt", ["number": String(view.attemptNumber), "of": String(spec.maxAttempts), "pass": String(spec.passPercent)]))</p>
            \(header)
            <form method="post" action="/attempts/\(attempt.id!.uuidString)">\(request.csrfField)
            \(questions)
            \(open ? "<div class=\"actions\"><button>\(t("assessment.submit"))</button></div>" as HTML : "")
            </form>
            \(next)
            <p><a href="/learn/\(attempt.courseID.uuidString)">\(t("assessment.back"))</a></p>
            <script src="\(Assets.url("player.js"))" defer></script>
            """)
    }

    /// The attempt's form: `q-<question id>` holds the positions chosen (or the number).
    @Sendable static func submitAttempt(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let attemptID = try request.id(of: "attempt")
        guard let attempt = try await AssessmentAttempt.find(attemptID, on: request.db), attempt.userID == principal.userID else { throw Problem.notFound("attempt") }
        // Checkboxes send the same name once per box, so the form is read as its list of name=value pairs.
        let sent = URLComponents(string: "?" + (request.body.string ?? "").replacingOccurrences(of: "+", with: " "))?.queryItems ?? []
        var answers: [GivenAnswer] = []
        for drawn in attempt.drawn {
            let name = "q-\(drawn.questionId.uuidString)"
            let values = sent.filter { $0.name == name }.compactMap(\.value)
            guard !values.isEmpty else { continue }
            if drawn.order.isEmpty {
                answers.append(GivenAnswer(questionId: drawn.questionId, number: Double(values[0].trimmed)))
            } else {
                answers.append(GivenAnswer(questionId: drawn.questionId, choices: values.compactMap { Int($0) }))
            }
        }
        do {
            _ = try await Assessments.submit(attemptID, answers, by: principal, app: request.application, on: request.db)
            return request.redirect(to: "/attempts/\(attemptID.uuidString)")
        } catch let problem as Problem {
            return try await Layout.failed(problem, request) { try await attemptPage(request, problem: problem) }
        }
    }

    /// The player script's reports (JSON, with the session's CSRF token in X-CSRF-Token).
    @Sendable static func report(_ request: Request) async throws -> ProgressAnswer {
        try await apply(try request.content.decode(Report.self), request)
    }

    @Sendable static func karma(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let entries = try await KarmaEntry.query(on: request.db).filter(\.$userID == principal.userID).sort(\.$givenAt, .descending).all()
        let month = Karma.month(of: Date())
        let ledger: [HTML] = entries.prefix(50).map {
            "<tr><td>\(Formats.date($0.givenAt, t))</td><td>\(t("karma.\($0.reason.rawValue)"))</td><td>+\($0.points)</td></tr>"
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
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("certificate.date"))</th><th>\(t("karma.reason"))</th><th>\(t("karma.points"))</th></tr></thead><tbody>\(ledger)</tbody></table></div>
            <h2>\(t("karma.board", ["organisation": principal.me.organisationName]))</h2>
            <div class="scroll" tabindex="0"><table><thead><tr><th>#</th><th>\(t("field.name"))</th><th>\(t("karma.points"))</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """)
    }
}
