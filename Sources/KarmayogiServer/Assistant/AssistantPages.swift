import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The assistant's pages: the conversation (a form and what it answered, newest first, without a script), a document as
/// everyone reads it, and the national admins' list of documents with a form to add, change or remove one.
struct AssistantPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("assistant", use: Self.chat)
        routes.post("assistant", use: Self.ask)
        routes.post("assistant", "clear", use: Self.clear)
        routes.get("assistant", "documents", ":id", use: Self.document)
        routes.get("admin", "assistant", use: Self.documents)
        routes.on(.POST, "admin", "assistant", body: .collect(maxSize: "11mb"), use: Self.add)
        routes.get("admin", "assistant", ":id", use: Self.editForm)
        routes.on(.POST, "admin", "assistant", ":id", body: .collect(maxSize: "11mb"), use: Self.edit)
        routes.post("admin", "assistant", ":id", "remove", use: Self.remove)
    }

    // MARK: The conversation

    @Sendable static func chat(_ request: Request) async throws -> HTML {
        try await chatPage(request, problem: nil, question: "")
    }

    static func chatPage(_ request: Request, problem: Problem?, question: String) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let turns = try await AssistantTurns.recent(of: principal.userID, on: request.db)
        let error = problem?.errors.first { $0.field == "question" }?.reason
        let conversation: [HTML] = turns.map { turn in Self.turn(turn.question, turn.answer, id: turn.id!, t) }
        return Layout.page(t("assistant.title"), for: request, """
            <p>\(t("assistant.intro"))</p>
            \(AssistantDocuments.mayManage(principal) ? "<p><a href=\"/admin/assistant\">\(t("assistant.manage"))</a></p>" as HTML : "")
            \(Layout.problem(problem, t))
            <form method="post" action="/assistant" class="card">\(request.csrfField)
            <div class="\(error == nil ? "" : "invalid")"><label for="question">\(t("assistant.question"))</label>\
            <span class="hint" id="question-hint">\(t("assistant.questionHint"))</span>\
            \(error.map { "<span class=\"field-error\" id=\"question-error\">\($0)</span>" as HTML } ?? "")\
            <textarea id="question" name="question" rows="3" maxlength="\(Assistant.maxQuestionCharacters)" required \
            aria-describedby="question-hint\(error == nil ? "" : " question-error")"\(error == nil ? "" : " aria-invalid=\"true\"" as HTML)>\(question)</textarea></div>
            <div class="actions"><button>\(t("assistant.ask"))</button></div>
            </form>
            \(turns.isEmpty ? "<p class=\"muted\">\(t("assistant.empty"))</p>" as HTML : """
                <section aria-labelledby="h-conversation"><h2 id="h-conversation">\(t("assistant.conversation"))</h2>
                <ul class="plain">\(conversation)</ul>
                <form method="post" action="/assistant/clear">\(request.csrfField)<button class="link">\(t("assistant.clear"))</button></form></section>
                """)
            """)
    }

    static func turn(_ question: String, _ answer: AnswerDTO?, id: UUID, _ t: Catalogue) -> HTML {
        var body: HTML
        if let answer, answer.known {
            let passages: [HTML] = answer.answer.map { passage in
                let source = [passage.title, passage.section].compactMap { $0 }.joined(separator: " › ")
                return """
                    <li><blockquote>\(passage.text)</blockquote>\
                    <p class="muted">\(UI.badge(t("assistant.source.\(passage.source.rawValue)"))) <a href="\(passage.link)">\(source)</a></p></li>
                    """
            }
            body = "<ul class=\"plain answer\">\(passages)</ul>"
            if !answer.courses.isEmpty {
                let courses: [HTML] = answer.courses.map { "<li><a href=\"\($0.link)\">\($0.title)</a> <span class=\"muted\">· \($0.summary)</span></li>" }
                body = "\(body)<h3>\(t("assistant.courses"))</h3><ul>\(courses)</ul>"
            }
        } else {
            body = "<p>\(t("assistant.unknown"))</p>\(answer.map { "<p><a href=\"\($0.search)\">\(t("assistant.search", ["question": question]))</a></p>" as HTML } ?? "")"
        }
        return """
            <li class="card" id="turn-\(id.uuidString.lowercased())"><p><strong>\(t("assistant.asked"))</strong> \(question)</p>\(body)</li>
            """
    }

    struct AskForm: Content { var question: String? }

    @Sendable static func ask(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(AskForm.self)
        do {
            let (question, language) = try Assistant.checked(AskInput(question: form.question, language: request.catalogue.language),
                                                             defaultLanguage: request.catalogue.language)
            let answer = try await Assistant.ask(question, language: language, for: principal, app: request.application, on: request.db)
            let turn = try await AssistantTurns.add(answer, for: principal.userID, now: request.application.clock.now(), on: request.db)
            return request.redirect(to: "/assistant#turn-\(turn.uuidString.lowercased())", redirectType: .normal)
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await chatPage(request, problem: problem, question: String((form.question ?? "").prefix(2_000))) }
        }
    }

    @Sendable static func clear(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        try await AssistantTurns.clear(of: principal.userID, on: request.db)
        return request.redirect(to: "/assistant", redirectType: .normal)
    }

    // MARK: A document

    @Sendable static func document(_ request: Request) async throws -> HTML {
        _ = try request.pagePrincipal()
        let t = request.catalogue
        let document = try await AssistantDocuments.find(try request.id(of: "document"), on: request.db)
        // Each heading is a part with its own address (#part-1, #part-2, …), where the assistant's citations point.
        var parts: [HTML] = []
        var part = 0
        var paragraph: [String] = []
        func flush() {
            if !paragraph.isEmpty { parts.append("<p>\(paragraph.joined(separator: " "))</p>") }
            paragraph = []
        }
        for line in document.body.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") {
                flush()
                part += 1
                parts.append("<h2 id=\"part-\(part)\">\(trimmed.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces))</h2>")
            } else if trimmed.isEmpty { flush() } else { paragraph.append(trimmed) }
        }
        flush()
        return Layout.page(document.title, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("assistant.title"), "/assistant"), UI.Crumb(document.title)], """
            <p class="muted">\(UI.badge(t("assistant.source.\(document.kind)"))) \(t("assistant.updated", ["date": Formats.date(document.updatedAt, t)]))</p>
            <article class="card" lang="\(document.language)">\(parts)</article>
            """)
    }

    // MARK: The national admins' documents

    static func manager(_ request: Request) throws -> Principal {
        let principal = try request.pagePrincipal()
        guard AssistantDocuments.mayManage(principal) else { throw Problem.notFound("page") }
        return principal
    }

    @Sendable static func documents(_ request: Request) async throws -> HTML {
        _ = try manager(request)
        return try await documentsPage(request, notice: nil, problem: nil, form: nil)
    }

    static func documentsPage(_ request: Request, notice: String?, problem: Problem?, form: AssistantController.DocumentForm?) async throws -> HTML {
        let t = request.catalogue
        let rows: [HTML] = try await AssistantDocuments.all(on: request.db).map { document in
            """
            <tr><td><a href="/admin/assistant/\(document.id!.uuidString.lowercased())">\(document.title)</a></td>\
            <td>\(t("assistant.source.\(document.kind)"))</td><td>\(Language.named(document.language)?.nativeName ?? document.language)</td>\
            <td>\(Formats.date(document.updatedAt, t))</td></tr>
            """
        }
        return Layout.page(t("assistant.documents"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("assistant.documents"))], """
            <p>\(t("assistant.documentsIntro"))</p>
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(UI.table(t("assistant.documents"), head: [t("assistant.field.title"), t("assistant.field.kind"), t("assistant.field.language"), t("assistant.updatedHead")],
                       rows: rows, empty: t("assistant.noDocuments")))
            <h2 id="h-add">\(t("assistant.add"))</h2>
            \(documentForm(request, action: "/admin/assistant", problem: problem, form: form, button: t("assistant.add")))
            """)
    }

    static func documentForm(_ request: Request, action: String, problem: Problem?, form: AssistantController.DocumentForm?, button: String) -> HTML {
        let t = request.catalogue
        func error(_ field: String) -> String? { problem?.errors.first { $0.field == field }?.reason }
        let kinds = AssistantDocumentKind.allCases.map { (value: $0.rawValue, label: t("assistant.source.\($0.rawValue)")) }
        let languages = Language.all.map { (value: $0.code, label: $0.nativeName) }
        func labelled(_ name: String, _ control: HTML) -> HTML {
            """
            <div class="\(error(name) == nil ? "" : "invalid")"><label for="field-\(name)">\(t("assistant.field.\(name)"))</label>\
            \(error(name).map { "<span class=\"field-error\" id=\"field-\(name)-error\">\($0)</span>" as HTML } ?? "")\(control)</div>
            """
        }
        return """
            \(Layout.problem(problem, t))
            <form method="post" action="\(action)" enctype="multipart/form-data" class="card">\(request.csrfField)
            \(UI.field("title", label: t("assistant.field.title"), value: form?.title ?? "", error: error("title"), required: true))
            <div class="pair">\(labelled("kind", "<select id=\"field-kind\" name=\"kind\">\(UI.options(kinds, chosen: form?.kind ?? "faq"))</select>"))\
            \(labelled("language", "<select id=\"field-language\" name=\"language\">\(UI.options(languages, chosen: form?.language ?? t.language))</select>"))</div>
            \(labelled("body", "<span class=\"hint\">\(t("assistant.bodyHint"))</span><textarea id=\"field-body\" name=\"body\" rows=\"14\">\(form?.body ?? "")</textarea>"))
            \(labelled("file", "<span class=\"hint\">\(t("assistant.fileHint"))</span><input id=\"field-file\" name=\"file\" type=\"file\" accept=\".txt,.md,.pdf,text/plain,text/markdown,application/pdf\">"))
            <div class="actions"><button>\(button)</button></div>
            </form>
            """
    }

    @Sendable static func add(_ request: Request) async throws -> Response {
        let principal = try manager(request)
        let form = try request.content.decode(AssistantController.DocumentForm.self)
        do {
            let (input, fileName) = try AssistantController.input(form)
            let document = try await AssistantDocuments.save(input, fileName: fileName, to: nil, by: principal, now: request.application.clock.now(), on: request.db)
            return try await documentsPage(request, notice: request.catalogue("assistant.added", ["title": document.title]), problem: nil, form: nil)
                .encodeResponse(status: .created, for: request)
        } catch let problem as Problem where problem.status != .notFound {
            var kept = form
            kept.file = nil
            return try await Layout.failed(problem, request) { try await documentsPage(request, notice: nil, problem: problem, form: kept) }
        }
    }

    @Sendable static func editForm(_ request: Request) async throws -> HTML {
        _ = try manager(request)
        let document = try await AssistantDocuments.find(try request.id(of: "document"), on: request.db)
        return editPage(request, document, notice: nil, problem: nil, form: nil)
    }

    static func editPage(_ request: Request, _ document: AssistantDocument, notice: String?, problem: Problem?, form: AssistantController.DocumentForm?) -> HTML {
        let t = request.catalogue
        let id = document.id!.uuidString.lowercased()
        let shown = form ?? AssistantController.DocumentForm(kind: document.kind, title: document.title, language: document.language, body: document.body)
        return Layout.page(document.title, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("assistant.documents"), "/admin/assistant"), UI.Crumb(document.title)], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            <p class="muted">\(t.plural("assistant.passages", PassageCutter.cut(document.body).count)) · \
            <a href="/assistant/documents/\(id)">\(t("assistant.read"))</a></p>
            \(documentForm(request, action: "/admin/assistant/\(id)", problem: problem, form: shown, button: t("assistant.save")))
            <form method="post" action="/admin/assistant/\(id)/remove">\(request.csrfField)<button class="danger">\(t("assistant.remove"))</button></form>
            """)
    }

    @Sendable static func edit(_ request: Request) async throws -> Response {
        let principal = try manager(request)
        let document = try await AssistantDocuments.find(try request.id(of: "document"), on: request.db)
        let form = try request.content.decode(AssistantController.DocumentForm.self)
        do {
            var (input, fileName) = try AssistantController.input(form)
            // A form sends every field; an empty body with no file keeps the text as it is.
            if input.body?.trimmed.isEmpty == true && fileName == nil { input.body = nil }
            let saved = try await AssistantDocuments.save(input, fileName: fileName, to: document, by: principal, now: request.application.clock.now(), on: request.db)
            return try await editPage(request, saved, notice: request.catalogue("assistant.saved"), problem: nil, form: nil).encodeResponse(for: request)
        } catch let problem as Problem where problem.status != .notFound {
            var kept = form
            kept.file = nil
            let unchanged = try await AssistantDocuments.find(document.id!, on: request.db)
            return try await Layout.failed(problem, request) { editPage(request, unchanged, notice: nil, problem: problem, form: kept) }
        }
    }

    struct RemoveForm: Content { var confirmed: String? }

    @Sendable static func remove(_ request: Request) async throws -> Response {
        let principal = try manager(request)
        let t = request.catalogue
        let document = try await AssistantDocuments.find(try request.id(of: "document"), on: request.db)
        let id = document.id!.uuidString.lowercased()
        guard try request.content.decode(RemoveForm.self).confirmed != nil else {
            return try await Layout.confirmation(t("assistant.confirmRemove", ["title": document.title]), for: request, what: t("assistant.removeWhat"),
                                                 action: "/admin/assistant/\(id)/remove", fields: [:], button: t("assistant.remove"),
                                                 cancel: "/admin/assistant/\(id)").encodeResponse(for: request)
        }
        try await AssistantDocuments.remove(document.id!, by: principal, on: request.db)
        return try await documentsPage(request, notice: t("assistant.removed", ["title": document.title]), problem: nil, form: nil).encodeResponse(for: request)
    }
}

/// The conversation the assistant's page shows: a person's last twenty questions and their answers.
enum AssistantTurns {
    static let kept = 20

    static func add(_ answer: AnswerDTO, for userID: UUID, now: Date, on database: any Database) async throws -> UUID {
        let turn = AssistantTurn()
        turn.id = UUID()
        turn.userID = userID
        turn.question = answer.question
        turn.language = answer.language
        turn.answer = String(decoding: try JSONEncoder().encode(answer), as: UTF8.self)
        turn.askedAt = now
        try await database.transaction { database in
            try await turn.create(on: database)
            let older = try await AssistantTurn.query(on: database).filter(\.$userID == userID).sort(\.$askedAt, .descending).sort(\.$id, .descending)
                .all(\.$id).dropFirst(kept)
            if !older.isEmpty { try await AssistantTurn.query(on: database).filter(\.$id ~~ Array(older)).delete() }
        }
        return turn.id!
    }

    static func recent(of userID: UUID, on database: any Database) async throws -> [(id: UUID?, question: String, answer: AnswerDTO?)] {
        try await AssistantTurn.query(on: database).filter(\.$userID == userID).sort(\.$askedAt, .descending).sort(\.$id, .descending).limit(kept).all()
            .map { ($0.id, $0.question, try? JSONDecoder().decode(AnswerDTO.self, from: Data($0.answer.utf8))) }
    }

    static func clear(of userID: UUID, on database: any Database) async throws {
        try await AssistantTurn.query(on: database).filter(\.$userID == userID).delete()
    }
}
