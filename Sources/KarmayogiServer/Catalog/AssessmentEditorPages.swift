import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// An assessment written on the page: its rules, and its questions of every kind the API has (single, multiple,
/// true/false, numeric with tolerance) with their options, right answers, explanation and marks; reordered and removed;
/// imported from a spreadsheet all or nothing; previewed as a learner sees them. Saving makes or changes the draft, as
/// every other change in the course editor does; the publishing rule is unchanged.
struct AssessmentEditorPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("author", "questions-template.csv", use: Self.template)
        routes.get("author", "courses", ":id", "assessments", ":item", use: Self.editor)
        routes.get("author", "courses", ":id", "assessments", ":item", "preview", use: Self.preview)
        for step in Step.allCases {
            routes.post("author", "courses", ":id", "assessments", ":item", PathComponent(stringLiteral: step.rawValue)) { try await Self.apply(step, $0) }
        }
    }

    enum Step: String, CaseIterable {
        case settings, add, save, move, remove
        case importSheet = "import"
    }

    @Sendable static func template(_ request: Request) async throws -> Response {
        _ = try request.pagePrincipal()
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        headers.add(name: .contentDisposition, value: "attachment; filename=\"questions-template.csv\"")
        return Response(status: .ok, headers: headers, body: .init(string: QuestionSheet.template))
    }

    /// The course, its latest version and the assessment item the page is about; only its provider's staff see it.
    static func load(_ request: Request) async throws -> (course: Course, version: CourseVersion, item: CourseContent.Item, principal: Principal) {
        let principal = try request.pagePrincipal()
        let (course, version) = try await Courses.visible(try request.id(of: "course"), to: principal, on: request.db)
        guard Courses.staff(principal, of: course.provider) else { throw Problem.notFound("course") }
        let itemID = try request.id("item", of: "assessment")
        guard let item = version.content.modules.flatMap(\.items).first(where: { $0.id == itemID && $0.kind == .assessment }) else {
            throw Problem.notFound("assessment")
        }
        return (course, version, item, principal)
    }

    static let defaultSpec = AssessmentSpec(questions: [], drawCount: 1, timeLimitSeconds: 1_200, maxAttempts: 3, passPercent: 60)

    @Sendable static func editor(_ request: Request) async throws -> HTML {
        try await editorPage(request, problem: nil, sent: nil)
    }

    static func editorPage(_ request: Request, problem: Problem?, sent: QuestionForm?) async throws -> HTML {
        let (course, version, item, principal) = try await load(request)
        let t = request.catalogue
        let spec = item.assessment ?? defaultSpec
        let editable = principal.access.holds(.contentCreator, on: course.provider.placement) && [.draft, .published, .retired].contains(version.state)
        let base = "/author/courses/\(course.id!.uuidString.lowercased())/assessments/\(item.id!.uuidString.lowercased())"
        func form(_ step: Step, _ fields: HTML, button: String, style: String = "", inline: Bool = false) -> HTML {
            "<form method=\"post\" action=\"\(base)/\(step.rawValue)\"\(inline ? " class=\"inline\"" : "" as HTML)>\(request.csrfField)\(fields)"
                + "\(inline ? "" : "<div class=\"actions\">" as HTML)<button\(style.isEmpty ? "" : " class=\"\(style)\"" as HTML)>\(button)</button>\(inline ? "" : "</div>" as HTML)</form>"
        }
        let answers: [HTML] = AssessmentSpec.AnswerReveal.allCases.map {
            "<option value=\"\($0.rawValue)\"\($0 == (spec.showAnswers ?? .afterLastAttempt) ? " selected" : "" as HTML)>\(t("question.reveal.\($0.rawValue)"))</option>"
        }
        let settings: HTML = editable ? form(.settings, """
            <div class="grid">
            \(UI.field("drawCount", label: t("question.drawCount"), type: "number", value: String(spec.drawCount), hint: t("question.drawCountHint", ["count": String(spec.questions.count)]), required: true))
            \(UI.field("minutes", label: t("question.minutes"), type: "number", value: String(spec.timeLimitSeconds / 60), required: true))
            \(UI.field("maxAttempts", label: t("question.maxAttempts"), type: "number", value: String(spec.maxAttempts), required: true))
            \(UI.field("passPercent", label: t("question.passPercent"), type: "number", value: String(spec.passPercent), required: true))
            <div><label for="showAnswers">\(t("question.showAnswers"))</label><select id="showAnswers" name="showAnswers">\(answers)</select></div>
            </div>
            """, button: t("editor.save")) : """
            <p>\(t("question.rules", ["draw": String(spec.drawCount), "count": String(spec.questions.count), "minutes": String(spec.timeLimitSeconds / 60),
                                      "attempts": String(spec.maxAttempts), "pass": String(spec.passPercent)]))</p>
            """

        let questions: [HTML] = spec.questions.enumerated().map { index, question in
            let id: HTML = "<input type=\"hidden\" name=\"questionId\" value=\"\(question.id?.uuidString.lowercased() ?? "")\">"
            let summary = "\(index + 1). \(question.text)"
            let facts = "\(t("question.kind.\(question.kind.rawValue)")) · \(t.plural("question.marks", question.weight))"
            guard editable else {
                return "<li class=\"card\"><p><strong>\(summary)</strong></p><p class=\"muted\">\(facts)</p>\(answerSummary(question, t))</li>"
            }
            let open = sent?.questionId?.lowercased() == question.id?.uuidString.lowercased() && problem != nil
            return """
                <li class="card" id="q-\(question.id?.uuidString.lowercased() ?? "")"><details\(open ? " open" : "" as HTML)><summary>\(summary)</summary>
                <p class="muted">\(facts)</p>
                \(form(.save, "\(id)\(fields(t, kind: question.kind, question: open ? nil : question, sent: open ? sent : nil, prefix: "q\(index)"))", button: t("question.save")))
                </details>
                <div class="actions">\(index > 0 ? form(.move, id, button: t("editor.up"), style: "secondary", inline: true) : "")\
                \(index < spec.questions.count - 1 ? form(.move, "\(id)<input type=\"hidden\" name=\"direction\" value=\"down\">", button: t("question.down"), style: "secondary", inline: true) : "")\
                \(form(.remove, id, button: t("question.remove"), style: "danger", inline: true))</div></li>
                """
        }
        var adding: HTML = ""
        if editable {
            let chosenKind = sent?.questionId == nil ? sent?.kind.flatMap(AssessmentSpec.Kind.init(rawValue:)) : nil
            let kinds: [HTML] = AssessmentSpec.Kind.allCases.map { kind in
                "<a class=\"button secondary\" href=\"\(base)?kind=\(kind.rawValue)#add\">\(t("question.kind.\(kind.rawValue)"))</a>"
            }
            let kind = chosenKind ?? request.query[String.self, at: "kind"].flatMap(AssessmentSpec.Kind.init(rawValue:)) ?? .single
            adding = """
                <section class="card" id="add"><h2>\(t("question.add"))</h2>
                <p class="actions" aria-label="\(t("question.kindChoice"))">\(kinds)</p>
                \(form(.add, "<input type=\"hidden\" name=\"kind\" value=\"\(kind.rawValue)\"><p><strong>\(t("question.kind.\(kind.rawValue)"))</strong></p>\(fields(t, kind: kind, question: nil, sent: chosenKind == nil ? nil : sent, prefix: "new"))", button: t("question.addButton")))
                </section>
                <section class="card"><h2>\(t("question.import"))</h2>
                <p>\(t("question.importHint")) <a href="/author/questions-template.csv" download>\(t("question.template"))</a></p>
                <form method="post" action="\(base)/import" enctype="multipart/form-data">\(request.csrfField)
                <label for="sheet">\(t("question.sheet"))</label><input id="sheet" type="file" name="file" accept=".csv,text/csv" required>
                <label class="inline"><input type="checkbox" name="replace" value="1"> \(t("question.replace"))</label>
                <div class="actions"><button>\(t("question.importButton"))</button></div></form>
                </section>
                """
        }
        let state = t("state.\(version.state.rawValue)")
        return Layout.page(t("question.title", ["title": item.title]), for: request,
                           crumbs: [.init(t("nav.home"), "/"), .init(t("editor.title"), "/author"),
                                    .init(version.content.title, "/author/courses/\(course.id!.uuidString)"), .init(item.title)], """
            <p class="notice">\(t("question.version", ["version": String(version.version), "state": state]))\(editable ? "" : " " + t("editor.readOnly"))</p>
            \(request.query[String.self, at: "saved"] == nil ? "" : "<p class=\"notice success\" role=\"status\">\(t("editor.saved"))</p>" as HTML)
            \(Layout.problem(problem, t))
            <p class="actions"><a class="button secondary" href="\(base)/preview">\(t("question.preview"))</a></p>
            <section class="card"><h2>\(t("question.settings"))</h2>\(settings)</section>
            <h2>\(t.plural("question.count", spec.questions.count))</h2>
            \(questions.isEmpty ? UI.empty(t("question.none")) : "<ul class=\"plain questions\">\(questions)</ul>")
            \(adding)
            """)
    }

    /// The right answer in words, for those who read without editing (a reviewer).
    static func answerSummary(_ question: AssessmentSpec.Question, _ t: Catalogue) -> HTML {
        let right: String
        switch question.kind {
        case .numeric: right = "\(Formats.entered(question.answer ?? 0))\(question.tolerance.map { " ± \(Formats.entered($0))" } ?? "")"
        case .trueFalse: right = t(question.correct == [0] ? "assessment.true" : "assessment.false")
        case .single, .multiple: right = (question.correct ?? []).compactMap { question.options?.indices.contains($0) == true ? question.options![$0] : nil }.joined(separator: "; ")
        }
        let options: HTML = question.kind == .single || question.kind == .multiple
            ? "<ol type=\"A\">\((question.options ?? []).map { "<li>\($0)</li>" as HTML })</ol>" : ""
        return "\(options)<p>\(t("question.rightAnswer")): <strong>\(right)</strong></p>\(question.explanation.map { "<p class=\"muted\">\($0)</p>" as HTML } ?? "")"
    }

    /// The fields of one question of a kind: its text, options with their right ticks, or the truth, or the number and
    /// tolerance; its explanation and marks. Filled from the question, or from what was sent when it was refused.
    static func fields(_ t: Catalogue, kind: AssessmentSpec.Kind, question: AssessmentSpec.Question?, sent: QuestionForm?, prefix: String) -> HTML {
        let text = sent?.text ?? question?.text ?? ""
        var parts: [HTML] = ["""
            <label for="\(prefix)-text">\(t("question.text"))</label><textarea id="\(prefix)-text" name="text" required maxlength="2000" rows="3">\(text)</textarea>
            """]
        switch kind {
        case .single, .multiple:
            let options = sent?.options ?? question?.options ?? []
            let right = Set(sent.map { ($0.right ?? []).compactMap(Int.init) } ?? question?.correct ?? [])
            let slots = min(max(options.count + 2, 4), 10)
            let rows: [HTML] = (0..<slots).map { index in
                let value = index < options.count ? options[index] : ""
                return """
                    <li class="option-row"><label class="inline"><input type="checkbox" name="right[]" value="\(index)"\(right.contains(index) ? " checked" : "" as HTML)> \
                    \(t("question.isRight"))</label><label class="visually-hidden" for="\(prefix)-o\(index)">\(t("question.option", ["number": String(index + 1)]))</label>\
                    <input id="\(prefix)-o\(index)" type="text" name="options[]" maxlength="500" value="\(value)" placeholder="\(t("question.option", ["number": String(index + 1)]))"></li>
                    """
            }
            parts.append("""
                <fieldset><legend>\(t("question.options"))</legend><p class="hint">\(t(kind == .single ? "question.optionsHintSingle" : "question.optionsHintMultiple"))</p>
                <ol class="plain">\(rows)</ol></fieldset>
                """)
        case .trueFalse:
            let truth = sent?.truth ?? question.flatMap { $0.correct == [0] ? "true" : $0.correct == [1] ? "false" : nil }
            parts.append("""
                <fieldset><legend>\(t("question.truth"))</legend>
                <label class="option"><input type="radio" name="truth" value="true"\(truth == "true" ? " checked" : "" as HTML)> <span>\(t("assessment.true"))</span></label>
                <label class="option"><input type="radio" name="truth" value="false"\(truth == "false" ? " checked" : "" as HTML)> <span>\(t("assessment.false"))</span></label>
                </fieldset>
                """)
        case .numeric:
            parts.append("""
                <div class="grid">
                <div><label for="\(prefix)-answer">\(t("question.answer"))</label><input id="\(prefix)-answer" type="number" step="any" name="answer" value="\(sent?.answer ?? question?.answer.map { Formats.entered($0) } ?? "")"></div>
                <div><label for="\(prefix)-tolerance">\(t("question.tolerance"))</label><span class="hint">\(t("question.toleranceHint"))</span>\
                <input id="\(prefix)-tolerance" type="number" step="any" min="0" name="tolerance" value="\(sent?.tolerance ?? question?.tolerance.map { Formats.entered($0) } ?? "")"></div>
                </div>
                """)
        }
        parts.append("""
            <label for="\(prefix)-explanation">\(t("question.explanation"))</label><span class="hint">\(t("question.explanationHint"))</span>
            <textarea id="\(prefix)-explanation" name="explanation" maxlength="2000" rows="2">\(sent?.explanation ?? question?.explanation ?? "")</textarea>
            <div class="grid"><div><label for="\(prefix)-marks">\(t("question.marksLabel"))</label>\
            <input id="\(prefix)-marks" type="number" name="marks" min="1" max="100" value="\(sent?.marks ?? String(question?.weight ?? 1))"></div></div>
            """)
        return "\(parts)"
    }

    // MARK: - The preview

    @Sendable static func preview(_ request: Request) async throws -> HTML {
        let (course, _, item, _) = try await load(request)
        let t = request.catalogue
        let spec = item.assessment ?? defaultSpec
        let base = "/author/courses/\(course.id!.uuidString.lowercased())/assessments/\(item.id!.uuidString.lowercased())"
        let questions: [HTML] = spec.questions.enumerated().map { index, question in
            LearningPages.questionFieldset(number: index + 1, id: question.id ?? UUID(), kind: question.kind, text: question.text, options: question.options ?? [],
                                           chosen: [], number: nil, right: question.correct ?? [], open: false,
                                           note: question.explanation.map { "<p class=\"muted\">\($0)</p>" } ?? "", t)
        }
        return Layout.page(t("question.previewTitle", ["title": item.title]), for: request,
                           crumbs: [.init(t("nav.home"), "/"), .init(item.title, base), .init(t("question.preview"))], """
            <p class="notice">\(t("question.previewNote", ["draw": String(spec.drawCount), "count": String(spec.questions.count), "minutes": String(spec.timeLimitSeconds / 60)]))</p>
            \(questions.isEmpty ? UI.empty(t("question.none")) : "\(questions)" as HTML)
            <p><a class="button secondary" href="\(base)">\(t("question.backToEditor"))</a></p>
            """)
    }

    // MARK: - Changes

    struct QuestionForm: Content {
        var questionId: String?
        var kind: String?
        var text: String?
        var options: [String]?
        var right: [String]?
        var truth: String?
        var answer: String?
        var tolerance: String?
        var explanation: String?
        var marks: String?
        // The rules.
        var drawCount: String?
        var minutes: String?
        var maxAttempts: String?
        var passPercent: String?
        var showAnswers: String?
        // The sheet.
        var file: File?
        var replace: String?
        var confirmed: String?
        var direction: String?
    }

    static func apply(_ step: Step, _ request: Request) async throws -> Response {
        let form = try request.content.decode(QuestionForm.self)
        do {
            let (course, version, item, principal) = try await load(request)
            guard principal.access.holds(.contentCreator, on: course.provider.placement), [.draft, .published, .retired].contains(version.state) else {
                throw Problem(.conflict, request.catalogue("question.locked"))
            }
            var spec = item.assessment ?? defaultSpec
            var anchor = ""
            func index() throws -> Int {
                guard let i = spec.questions.firstIndex(where: { $0.id?.uuidString.lowercased() == form.questionId?.lowercased() }) else {
                    throw Problem(.conflict, request.catalogue("question.gone"))
                }
                return i
            }
            switch step {
            case .settings:
                func number(_ text: String?, _ field: String) throws -> Int {
                    guard let value = text.flatMap({ Int($0.trimmed) }) else { throw Problem.invalid(field, "must be a whole number") }
                    return value
                }
                spec.drawCount = try number(form.drawCount, "drawCount")
                spec.timeLimitSeconds = try number(form.minutes, "minutes") * 60
                spec.maxAttempts = try number(form.maxAttempts, "maxAttempts")
                spec.passPercent = try number(form.passPercent, "passPercent")
                spec.showAnswers = form.showAnswers.flatMap(AssessmentSpec.AnswerReveal.init(rawValue:))
            case .add:
                guard let kind = form.kind.flatMap(AssessmentSpec.Kind.init(rawValue:)) else { throw Problem.invalid("kind", "must be single, multiple, true_false or numeric") }
                var question = try read(form, kind: kind, t: request.catalogue)
                question.id = UUID()
                // A bank that drew all its questions keeps drawing all of them.
                if spec.drawCount == spec.questions.count || spec.questions.isEmpty { spec.drawCount = spec.questions.count + 1 }
                spec.questions.append(question)
                anchor = "#q-\(question.id!.uuidString.lowercased())"
            case .save:
                let i = try index()
                var question = try read(form, kind: spec.questions[i].kind, t: request.catalogue)
                question.id = spec.questions[i].id
                spec.questions[i] = question
                anchor = "#q-\(question.id!.uuidString.lowercased())"
            case .move:
                let i = try index()
                if form.direction == "down" { if i < spec.questions.count - 1 { spec.questions.swapAt(i, i + 1) } }
                else if i > 0 { spec.questions.swapAt(i, i - 1) }
                anchor = "#q-\(form.questionId?.lowercased() ?? "")"
            case .remove:
                let i = try index()
                if form.confirmed == nil {
                    let t = request.catalogue
                    let base = "/author/courses/\(course.id!.uuidString.lowercased())/assessments/\(item.id!.uuidString.lowercased())"
                    return try await Layout.confirmation(t("question.confirmRemove", ["text": spec.questions[i].text]), for: request, what: t("question.removeWhat"),
                                                         action: "\(base)/remove", fields: ["questionId": form.questionId ?? ""], button: t("question.remove"),
                                                         cancel: base).encodeResponse(for: request)
                }
                spec.questions.remove(at: i)
                spec.drawCount = min(spec.drawCount, max(spec.questions.count, 1))
            case .importSheet:
                guard let file = form.file, file.data.readableBytes > 0 else { throw Problem.invalid("file", request.catalogue("question.noSheet")) }
                switch QuestionSheet.read(Array(file.data.readableBytesView)) {
                case .failure(let problems):
                    throw Problem(.unprocessableEntity, request.catalogue("question.badSheet", ["count": String(problems.rows.count)]),
                                  errors: problems.rows.map { FieldError("line \($0.line)\($0.column.isEmpty ? "" : ", \($0.column)")", $0.reason) })
                case .success(let questions):
                    let drawsAll = spec.drawCount == spec.questions.count || spec.questions.isEmpty
                    spec.questions = (form.replace == nil ? spec.questions : []) + questions.map { var question = $0; question.id = UUID(); return question }
                    if drawsAll || form.replace != nil { spec.drawCount = spec.questions.count }
                }
            }
            var content = version.content
            for m in content.modules.indices {
                for i in content.modules[m].items.indices where content.modules[m].items[i].id == item.id {
                    content.modules[m].items[i].assessment = spec.questions.isEmpty ? nil : spec
                }
            }
            let problems = spec.questions.isEmpty ? [] : spec.problems(field: "assessment")
            if !problems.isEmpty { throw Problem.invalid(problems) }
            _ = try await Courses.update(course.id!, with: CourseInput(content), by: principal, on: request.db)
            let base = "/author/courses/\(course.id!.uuidString.lowercased())/assessments/\(item.id!.uuidString.lowercased())"
            return request.redirect(to: "\(base)?saved=\(step.rawValue)\(anchor)")
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await editorPage(request, problem: problem, sent: form) }
        }
    }

    /// One question from its form, with a clear reason for whatever is missing: no right answer, no number, too few options.
    static func read(_ form: QuestionForm, kind: AssessmentSpec.Kind, t: Catalogue) throws -> AssessmentSpec.Question {
        var errors: [FieldError] = []
        let text = (form.text ?? "").trimmed
        if text.isEmpty { errors.append(.init("text", t("question.error.text"))) }
        var question = AssessmentSpec.Question(kind: kind, text: text)
        switch kind {
        case .single, .multiple:
            let sent = form.options ?? []
            let ticked = Set((form.right ?? []).compactMap(Int.init))
            var options: [String] = [], correct: [Int] = []
            for (index, option) in sent.enumerated() {
                let trimmed = option.trimmed
                if trimmed.isEmpty {
                    if ticked.contains(index) { errors.append(.init("right", t("question.error.blankRight"))) }
                    continue
                }
                if ticked.contains(index) { correct.append(options.count) }
                options.append(trimmed)
            }
            if options.count < 2 { errors.append(.init("options", t("question.error.options"))) }
            if correct.isEmpty { errors.append(.init("right", t("question.error.noRight"))) }
            else if kind == .single, correct.count > 1 { errors.append(.init("right", t("question.error.oneRight"))) }
            question.options = options
            question.correct = correct
        case .trueFalse:
            switch form.truth {
            case "true": question.correct = [0]
            case "false": question.correct = [1]
            default: errors.append(.init("truth", t("question.error.truth")))
            }
        case .numeric:
            if let answer = form.answer.flatMap({ Double($0.trimmed) }), answer.isFinite { question.answer = answer } else {
                errors.append(.init("answer", t("question.error.number")))
            }
            if let text = form.tolerance?.trimmed, !text.isEmpty {
                if let tolerance = Double(text), tolerance >= 0, tolerance.isFinite { question.tolerance = tolerance } else {
                    errors.append(.init("tolerance", t("question.error.tolerance")))
                }
            }
        }
        question.explanation = form.explanation?.trimmed.nilIfEmpty
        if let text = form.marks?.trimmed, !text.isEmpty {
            if let marks = Int(text), (1...100).contains(marks) { question.marks = marks == 1 ? nil : marks } else { errors.append(.init("marks", t("question.error.marks"))) }
        }
        if !errors.isEmpty { throw Problem(.unprocessableEntity, t("question.refused"), errors: errors) }
        return question
    }
}
