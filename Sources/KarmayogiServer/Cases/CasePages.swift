import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The Amrit Gyaan Kosh on the portal: search with a count beside every filter's value, the SDG × State coverage map,
/// a case's page (its teaching note for faculty), and for a training institute's case editors the form that writes a
/// case, its PDF, and the steps of its review.
struct CasePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("cases", use: Self.search)
        routes.get("cases", "coverage", use: Self.coverage)
        routes.get("cases", "mine", use: Self.mine)
        routes.get("cases", "new", use: Self.newForm)
        routes.post("cases", "new", use: Self.create)
        routes.get("cases", ":id", use: Self.show)
        routes.post("cases", ":id", "edit", use: Self.edit)
        routes.post("cases", ":id", "step", use: Self.step)
        routes.on(.POST, "cases", ":id", "pdf", body: .stream, use: Self.attach)
    }

    /// The paths whose forms carry files: the session guard reads their bodies up to the content limit.
    static func takesFiles(_ path: String) -> Bool { path.hasPrefix("/cases/") && path.hasSuffix("/pdf") }

    static func sdgLabel(_ goal: Int, _ t: Catalogue) -> String { t("cases.sdgShort", ["n": String(goal), "name": t("sdg.\(goal)")]) }

    static func badges(_ goals: [Int], _ t: Catalogue) -> HTML {
        "\(goals.map { "<span class=\"badge info\" title=\"\(t("sdg.\($0)"))\">\(t("cases.sdgNumber", ["n": String($0)]))</span> " as HTML })"
    }

    // MARK: The Kosh

    @Sendable static func search(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let geography = request.geography
        let search = try CaseController.Search(request, geography: geography)
        let found = try await CaseStudies.search(search.query, offset: search.offset, limit: search.limit, on: request.db)
        let institutes = try await Organisations.names(found.studies.map(\.instituteID), on: request.db)
        let query = search.query
        func counted(_ facet: String, _ value: String, _ label: String) -> (String, String) {
            (value, "\(label) (\(Formats.number(Double(found.facets[facet]?[value] ?? 0))))")
        }
        func select(_ name: String, _ label: String, _ pairs: [(String, String)], chosen: String?) -> HTML {
            """
            <div><label for="f-\(name)">\(label)</label><select id="f-\(name)" name="\(name)"><option value="">\(t("cases.any"))</option>\
            \(UI.options(pairs.map { (value: $0.0, label: $0.1) }, chosen: chosen))</select></div>
            """
        }
        let states = geography.states.filter { found.facets["state"]?[String($0.code)] != nil || $0.code == query.stateCode }
        let years = (found.facets["year"] ?? [:]).keys.compactMap(Int.init).sorted(by: >)
        let languages = Language.all.filter { found.facets["language"]?[$0.code] != nil || $0.code == query.language }
        let competencyIDs = (found.facets["competency"] ?? [:]).keys.compactMap(UUIDText.parse)
        let competencyNames = try await Competencies.names(competencyIDs + [query.competencyId].compactMap { $0 }, on: request.db)
        let filtered = query.sdg != nil || query.stateCode != nil || query.sector != nil || query.year != nil || query.competencyId != nil
            || query.language != nil || query.status != nil
        let filters: HTML = """
            <form method="get" action="/cases" class="card" role="search">
            <label for="f-q">\(t("cases.words"))</label><input type="search" id="f-q" name="q" value="\(query.text)" maxlength="200">
            <details class="filters"\(filtered ? " open" : "" as HTML)><summary>\(t("cases.filters"))</summary><div class="grid">
            \(select("sdg", t("cases.sdg"), CaseDraft.sdgs.map { counted("sdg", String($0), sdgLabel($0, t)) }, chosen: query.sdg.map(String.init)))
            \(select("state", t("cases.state"), states.map { counted("state", String($0.code), $0.name) }, chosen: query.stateCode.map(String.init)))
            \(select("sector", t("cases.sector"), CaseSector.allCases.map { counted("sector", $0.rawValue, t("caseSector.\($0.rawValue)")) }, chosen: query.sector))
            \(select("year", t("cases.year"), years.map { counted("year", String($0), String($0)) }, chosen: query.year.map(String.init)))
            \(select("competency", t("cases.competency"), competencyNames.sorted { $0.value < $1.value }.map { counted("competency", $0.key.uuidString.lowercased(), $0.value) },
                     chosen: query.competencyId?.uuidString.lowercased()))
            \(select("language", t("cases.language"), languages.map { counted("language", $0.code, $0.nativeName) }, chosen: query.language))
            \(select("status", t("cases.status"), CaseStatus.allCases.map { counted("status", $0.rawValue, t("caseStatus.\($0.rawValue)")) }, chosen: query.status))
            </div></details>
            <div class="actions"><button>\(t("cases.search"))</button>\(filtered || !query.text.isEmpty ? " <a href=\"/cases\">\(t("cases.clear"))</a>" as HTML : "")</div>
            </form>
            """
        let cards: [HTML] = found.studies.map { study in
            """
            <li class="card"><h2 class="h3"><a href="/cases/\(study.id!.uuidString.lowercased())">\(study.title)</a></h2>\
            <p class="muted">\(institutes[study.instituteID] ?? "") · \(geography.state(code: study.stateCode)?.name ?? "") · \(study.year) · \
            \(t("caseStatus.\(study.status)"))</p><p>\(badges(study.goals, t))</p><p>\(String(study.abstract.prefix(280)))\(study.abstract.count > 280 ? "…" : "")</p></li>
            """
        }
        var more: HTML = ""
        if let next = found.nextOffset {
            var items = (URLComponents(string: request.url.string)?.queryItems ?? []).filter { $0.name != "offset" }
            items.append(URLQueryItem(name: "offset", value: String(next)))
            var components = URLComponents()
            components.path = "/cases"
            components.queryItems = items
            more = "<p><a class=\"button secondary\" href=\"\(components.string ?? "/cases")\">\(t("cases.more"))</a></p>"
        }
        let editor = CaseStudies.editsCases(principal)
        return Layout.page(t("cases.title"), for: request, """
            <p class="muted">\(t("cases.intro"))</p>
            <p class="actions"><a href="/cases/coverage">\(t("cases.coverage"))</a>\
            \(editor ? " <a class=\"button\" href=\"/cases/new\">\(t("cases.write"))</a> <a href=\"/cases/mine\">\(t("cases.mine"))</a>" as HTML : "")</p>
            \(filters)
            <p role="status">\(t.plural("cases.found", found.total))</p>
            \(cards.isEmpty ? UI.empty(t("cases.none")) : "<ul class=\"plain\">\(cards)</ul>" as HTML)
            \(more)
            """)
    }

    @Sendable static func coverage(_ request: Request) async throws -> HTML {
        _ = try request.pagePrincipal()
        let t = request.catalogue
        let coverage = try await CaseStudies.coverage(geography: request.geography, on: request.db)
        let states = request.geography.states
        var counts = Array(repeating: Array(repeating: 0, count: 17), count: states.count)
        let row = Dictionary(uniqueKeysWithValues: states.enumerated().map { ($1.code, $0) })
        for cell in coverage.cells { if let index = row[cell.stateCode] { counts[index][cell.sdg - 1] = cell.cases } }
        let map = Charts.heatMap(rows: states.map(\.name), columns: CaseDraft.sdgs.map(String.init), counts: counts,
                                 title: t("cases.coverageTitle")) { row, column, count in
            t.plural("cases.cell", count, ["state": states[row].name, "sdg": sdgLabel(column + 1, t)])
        }
        let goals: [HTML] = CaseDraft.sdgs.map { goal in
            "<tr><td><a href=\"/cases?sdg=\(goal)\">\(sdgLabel(goal, t))</a></td><td class=\"number\">\(coverage.bySdg[goal - 1])</td></tr>"
        }
        let byState: [HTML] = coverage.byState.map { state in
            "<tr><td><a href=\"/cases?state=\(state.stateCode)\">\(state.name)</a></td><td class=\"number\">\(state.cases)</td></tr>"
        }
        let uncovered = states.filter { state in !coverage.byState.contains { $0.stateCode == state.code } }.count
        return Layout.page(t("cases.coverage"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("cases.title"), "/cases"), UI.Crumb(t("cases.coverage"))], """
            <div class="figures">\(UI.figure(t("cases.published"), HTML(stringLiteral: Formats.number(Double(coverage.cases)))))\
            \(UI.figure(t("cases.statesCovered"), HTML(stringLiteral: "\(coverage.byState.count) / \(states.count)")))\
            \(UI.figure(t("cases.goalsCovered"), HTML(stringLiteral: "\(coverage.bySdg.filter { $0 > 0 }.count) / 17")))</div>
            <p class="muted">\(t("cases.coverageHint", ["n": String(uncovered)]))</p>
            \(map)
            \(UI.table(t("cases.bySdg"), head: [t("cases.sdg"), t("cases.count")], rows: goals, empty: t("cases.none"), numeric: [1]))
            \(UI.table(t("cases.byState"), head: [t("cases.state"), t("cases.count")], rows: byState, empty: t("cases.none"), numeric: [1]))
            """)
    }

    // MARK: A case

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await page(request, notice: nil, problem: nil, form: nil)
    }

    static func page(_ request: Request, notice: String?, problem: Problem?, form: Form?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let study = try await CaseStudies.visible(try request.id(of: "case study"), to: principal, on: request.db)
        let dto = try await CaseStudies.dtos([study], for: principal, full: true, teachingNote: true, geography: request.geography, on: request.db)[0]
        let competencies = try await Competencies.names(dto.competencyIds, on: request.db)
        let facts: [(String, HTML)] = [
            (t("cases.institute"), "\(dto.instituteName ?? "")"), (t("cases.authors"), "\(dto.authors.joined(separator: ", "))"),
            (t("cases.state"), "<a href=\"/cases?state=\(dto.stateCode)\">\(dto.stateName ?? "")</a>"),
            (t("cases.sdg"), badges(dto.sdgs, t)), (t("cases.sector"), "\(t("caseSector.\(dto.sector.rawValue)"))"),
            (t("cases.year"), "\(dto.year)"), (t("cases.status"), "\(t("caseStatus.\(dto.status.rawValue)"))"),
            (t("cases.language"), "\(Language.named(dto.language)?.nativeName ?? dto.language)"),
        ] + (dto.coPublisher.map { [(t("cases.coPublisher"), "\($0)" as HTML)] } ?? [])
          + (competencies.isEmpty ? [] : [(t("cases.competencies"), "\(dto.competencyIds.compactMap { competencies[$0] }.joined(separator: "; "))" as HTML)])
        let list: [HTML] = facts.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" }
        let paragraphs: [HTML] = dto.body.map { $0.components(separatedBy: "\n\n").filter { !$0.trimmed.isEmpty }.map { "<p>\($0)</p>" as HTML } } ?? []
        var sections: [HTML] = []
        if let pdf = dto.pdf {
            sections.append("<p><a class=\"button secondary\" href=\"/content/\(pdf.replacingOccurrences(of: "content:", with: ""))\">\(t("cases.pdf"))</a></p>")
        }
        if let note = dto.teachingNote, !note.isEmpty {
            let noteParagraphs: [HTML] = note.components(separatedBy: "\n\n").filter { !$0.trimmed.isEmpty }.map { "<p>\($0)</p>" }
            sections.append("<section class=\"card\" aria-labelledby=\"note\"><h2 id=\"note\">\(t("cases.teachingNote"))</h2>\(noteParagraphs)</section>")
        } else if dto.hasTeachingNote {
            sections.append("<p class=\"muted\">\(t("cases.noteForFaculty"))</p>")
        }
        var editing: HTML = ""
        if CaseStudies.mayEdit(study, principal) {
            editing = try await editorPanel(request, study: study, dto: dto, form: form)
        }
        return Layout.page(dto.title, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("cases.title"), "/cases"), UI.Crumb(dto.title)], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            \(dto.stage == .published ? "" : "<p>\(UI.badge(t("caseStage.\(dto.stage.rawValue)"), .warning))</p>" as HTML)
            <p class="lead">\(dto.abstract)</p>
            <dl class="facts-list card">\(list)</dl>
            \(sections)
            \(paragraphs.isEmpty ? "" : "<section aria-labelledby=\"case\"><h2 id=\"case\">\(t("cases.text"))</h2>\(paragraphs)</section>" as HTML)
            \(editing)
            """)
    }

    /// For the institute's editors: the review's steps and what may be done next, the PDF, and (for a draft) the form.
    static func editorPanel(_ request: Request, study: CaseStudy, dto: CaseStudyDTO, form: Form?) async throws -> HTML {
        let t = request.catalogue
        let id = dto.id.uuidString.lowercased()
        let steps: [HTML] = dto.steps.map { step in
            "<li>\(Formats.date(step.at, t)) \(Formats.time(step.at, t)) · \(step.byName ?? "") · \(t("caseAction.\(step.action.rawValue)"))\(step.note.isEmpty ? "" : ": \(step.note)")</li>"
        }
        let actions: [CaseAction] = CaseAction.allCases.filter {
            if case .success = $0.next(from: study.stage, bySubmitter: false) { return true } else { return false }
        }
        let buttons: [HTML] = actions.map { "<button name=\"action\" value=\"\($0.rawValue)\"\($0 == .sendBack || $0 == .withdraw ? " class=\"secondary\"" : "" as HTML)>\(t("caseAction.do.\($0.rawValue)"))</button> " }
        var panel: [HTML] = ["""
            <section class="card" aria-labelledby="review"><h2 id="review">\(t("cases.review"))</h2>
            \(steps.isEmpty ? UI.empty(t("cases.noSteps")) : "<ol>\(steps)</ol>" as HTML)
            <form method="post" action="/cases/\(id)/step">\(request.csrfField)
            <label for="step-note">\(t("cases.note"))</label><span class="hint" id="step-note-hint">\(t("cases.noteHint"))</span>
            <input type="text" id="step-note" name="note" maxlength="2000" aria-describedby="step-note-hint">
            <p class="actions">\(buttons)</p></form></section>
            """]
        if study.stage == .draft {
            panel.append("""
                <section class="card" aria-labelledby="pdf"><h2 id="pdf">\(t("cases.attachPdf"))</h2>
                <form method="post" action="/cases/\(id)/pdf" enctype="multipart/form-data">\(request.csrfField)
                <label for="file">\(t("cases.pdfFile"))</label><input type="file" id="file" name="file" accept="application/pdf" required>
                <p><button class="secondary">\(t("cases.upload"))</button></p></form></section>
                <details class="card"\(form == nil ? "" : " open" as HTML)><summary>\(t("cases.edit"))</summary>
                \(try await fields(request, action: "/cases/\(id)/edit", form: form ?? Form(study), institutes: nil))</details>
                """)
        }
        return "\(panel)"
    }

    // MARK: Writing

    /// The case's fields as a form sends them.
    struct Form: Content {
        var csrf: String?
        var instituteId: String?
        var title: String?
        var abstract: String?
        var body: String?
        var teachingNote: String?
        var authors: String?
        var stateCode: String?
        var sdgs: [String]?
        var sector: String?
        var year: String?
        var language: String?
        var status: String?
        var coPublisher: String?
        var competencyIds: [String]?

        init() {}

        init(_ study: CaseStudy) {
            (title, abstract, body, teachingNote) = (study.title, study.abstract, study.body, study.teachingNote)
            authors = study.authorNames.joined(separator: "\n")
            stateCode = String(study.stateCode)
            sdgs = study.goals.map(String.init)
            (sector, year, language, status, coPublisher) = (study.sector, String(study.year), study.language, study.status, study.coPublisher)
            competencyIds = study.competencyIDs.map { $0.uuidString.lowercased() }
        }

        /// As the API takes it: a number that is not one is sent as one that is refused (0), so the error names the field.
        var input: CaseInput {
            CaseInput(instituteId: instituteId.flatMap(UUIDText.parse), title: title ?? "", abstract: abstract ?? "", body: body ?? "",
                      teachingNote: teachingNote ?? "", authors: (authors ?? "").split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmed.isEmpty },
                      stateCode: stateCode.flatMap { $0.isEmpty ? nil : Int($0) ?? 0 }, sdgs: (sdgs ?? []).map { Int($0) ?? 0 }, sector: sector ?? "",
                      year: year.flatMap { $0.isEmpty ? nil : Int($0) ?? 0 }, competencyIds: (competencyIds ?? []).compactMap(UUIDText.parse),
                      language: language ?? "en", status: status ?? "", coPublisher: coPublisher ?? "")
        }
    }

    /// The case's fields; `institutes` for a new case (the institute it is written for).
    static func fields(_ request: Request, action: String, form: Form, institutes: [(UUID, String)]?) async throws -> HTML {
        let t = request.catalogue
        let framework = try await Competencies.list(.init(), page: PageRequest(limit: 200), on: request.db).items
        let goals: [HTML] = CaseDraft.sdgs.map { goal in
            "<label class=\"option\"><input type=\"checkbox\" name=\"sdgs[]\" value=\"\(goal)\"\((form.sdgs ?? []).contains(String(goal)) ? " checked" : "" as HTML)> <span>\(sdgLabel(goal, t))</span></label>"
        }
        let chosen = Set(form.competencyIds ?? [])
        let competencies: [HTML] = framework.map { competency in
            let id = competency.id.uuidString.lowercased()
            return "<option value=\"\(id)\"\(chosen.contains(id) ? " selected" : "" as HTML)>\([competency.theme, competency.subTheme].compactMap { $0 }.joined(separator: " › "))</option>"
        }
        let institute: HTML = institutes.map { list in
            "<label for=\"instituteId\">\(t("cases.institute"))</label><select id=\"instituteId\" name=\"instituteId\" required>\(UI.options(list.map { ($0.0.uuidString.lowercased(), $0.1) }, chosen: form.instituteId))</select>"
        } ?? ""
        return """
            <form method="post" action="\(action)">\(request.csrfField)
            \(institute)
            <label for="title">\(t("cases.field.title"))</label><input type="text" id="title" name="title" maxlength="300" required value="\(form.title ?? "")">
            <label for="abstract">\(t("cases.field.abstract"))</label><textarea id="abstract" name="abstract" rows="4" maxlength="3000" required>\(form.abstract ?? "")</textarea>
            <label for="authors">\(t("cases.authors"))</label><span class="hint" id="authors-hint">\(t("cases.field.authorsHint"))</span>
            <textarea id="authors" name="authors" rows="2" required aria-describedby="authors-hint">\(form.authors ?? "")</textarea>
            <label for="stateCode">\(t("cases.state"))</label><select id="stateCode" name="stateCode" required><option value="">—</option>\(UI.stateOptions(chosen: form.stateCode.flatMap { Int($0) }))</select>
            <fieldset><legend>\(t("cases.field.sdgs"))</legend><div class="options">\(goals)</div></fieldset>
            <label for="sector">\(t("cases.sector"))</label><select id="sector" name="sector" required>\(UI.options(CaseSector.allCases.map { ($0.rawValue, t("caseSector.\($0.rawValue)")) }, chosen: form.sector))</select>
            <label for="year">\(t("cases.year"))</label><input type="number" id="year" name="year" min="1947" max="2100" required value="\(form.year ?? "")">
            <label for="status">\(t("cases.status"))</label><select id="status" name="status">\(UI.options(CaseStatus.allCases.map { ($0.rawValue, t("caseStatus.\($0.rawValue)")) }, chosen: form.status))</select>
            <label for="language">\(t("cases.language"))</label><select id="language" name="language">\(UI.options(Language.all.map { ($0.code, $0.nativeName) }, chosen: form.language ?? "en"))</select>
            <label for="coPublisher">\(t("cases.coPublisher"))</label><input type="text" id="coPublisher" name="coPublisher" maxlength="200" value="\(form.coPublisher ?? "")">
            <label for="competencyIds">\(t("cases.competencies"))</label><span class="hint" id="competencies-hint">\(t("cases.field.competenciesHint"))</span>
            <select id="competencyIds" name="competencyIds[]" multiple size="6" aria-describedby="competencies-hint">\(competencies)</select>
            <label for="body">\(t("cases.text"))</label><span class="hint" id="body-hint">\(t("cases.field.bodyHint"))</span>
            <textarea id="body" name="body" rows="12" aria-describedby="body-hint">\(form.body ?? "")</textarea>
            <label for="teachingNote">\(t("cases.teachingNote"))</label><span class="hint" id="note-field-hint">\(t("cases.field.noteHint"))</span>
            <textarea id="teachingNote" name="teachingNote" rows="6" aria-describedby="note-field-hint">\(form.teachingNote ?? "")</textarea>
            <p><button>\(t("cases.save"))</button></p></form>
            """
    }

    @Sendable static func newForm(_ request: Request) async throws -> HTML {
        try await newPage(request, form: Form(), problem: nil)
    }

    static func newPage(_ request: Request, form: Form, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let institutes = try await CaseStudies.institutes(of: principal, on: request.db)
        guard !institutes.isEmpty else { throw Problem.notFound("page") }
        return Layout.page(t("cases.write"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("cases.title"), "/cases"), UI.Crumb(t("cases.write"))], """
            \(Layout.problem(problem, t))
            <p class="muted">\(t("cases.writeIntro"))</p>
            \(try await fields(request, action: "/cases/new", form: form, institutes: institutes.map { ($0.id!, $0.name) }))
            """)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        do {
            let study = try await CaseStudies.create(form.input, by: principal, geography: request.geography, now: request.application.clock.now(), on: request.db)
            return request.redirect(to: "/cases/\(study.id!.uuidString.lowercased())", redirectType: .normal)
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await newPage(request, form: form, problem: problem) }
        }
    }

    @Sendable static func edit(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        var patch = CasePatch()
        let input = form.input
        (patch.title, patch.abstract, patch.body, patch.teachingNote, patch.authors) = (input.title, input.abstract, input.body, input.teachingNote, input.authors)
        (patch.stateCode, patch.sdgs, patch.sector, patch.year, patch.language) = (input.stateCode, input.sdgs, input.sector, input.year, input.language)
        (patch.status, patch.coPublisher, patch.competencyIds) = (input.status, input.coPublisher, input.competencyIds)
        var failed: Form?
        let response = try await Layout.answer(request, {
            do {
                _ = try await CaseStudies.change(try request.id(of: "case study"), patch, by: principal, geography: request.geography,
                                                 now: request.application.clock.now(), on: request.db)
            } catch { failed = form; throw error }
            return request.catalogue("cases.saved")
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem, form: failed) })
        return response
    }

    struct StepForm: Content {
        var csrf: String?
        var action: String?
        var note: String?
    }

    @Sendable static func step(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(StepForm.self)
        return try await Layout.answer(request, {
            guard let action = form.action.flatMap(CaseAction.init(rawValue:)) else { throw Problem.invalid("action", "choose a step") }
            var patch = CasePatch()
            (patch.action, patch.note) = (action, form.note)
            _ = try await CaseStudies.change(try request.id(of: "case study"), patch, by: principal, geography: request.geography,
                                             now: request.application.clock.now(), on: request.db)
            return request.catalogue("caseAction.done.\(action.rawValue)")
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem, form: nil) })
    }

    @Sendable static func attach(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        return try await Layout.answer(request, {
            let study = try await CaseStudies.visible(try request.id(of: "case study"), to: principal, on: request.db)
            guard CaseStudies.mayEdit(study, principal) else { throw Problem.forbidden }
            let form = try request.content.decode(CaseController.FileForm.self)
            let stored = try await ContentFiles.accept(form.file, as: ContentKind.document.rawValue, provider: study.instituteID, by: principal, request: request)
            _ = try await CaseStudies.attach(pdf: stored.reference, to: study.id!, by: principal, now: request.application.clock.now(), on: request.db)
            return request.catalogue("cases.attached")
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem, form: nil) })
    }

    // MARK: An editor's cases

    @Sendable static func mine(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        guard CaseStudies.editsCases(principal) else { throw Problem.notFound("page") }
        var sections: [HTML] = []
        for stage in [CaseStage.inReview, .draft] {
            let studies = try await CaseStudies.ofInstitutes(principal, stage: stage, limit: 200, on: request.db)
            let rows: [HTML] = studies.map { study in
                "<tr><td><a href=\"/cases/\(study.id!.uuidString.lowercased())\">\(study.title)</a></td><td>\(Formats.date(study.updatedAt, t))</td></tr>"
            }
            sections.append("<h2>\(t("caseStage.\(stage.rawValue)"))</h2>\(UI.table(t("caseStage.\(stage.rawValue)"), head: [t("cases.field.title"), t("cases.updated")], rows: rows, empty: t("cases.none")))")
        }
        return Layout.page(t("cases.mine"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("cases.title"), "/cases"), UI.Crumb(t("cases.mine"))], """
            <p class="actions"><a class="button" href="/cases/new">\(t("cases.write"))</a></p>
            \(sections)
            """)
    }
}
