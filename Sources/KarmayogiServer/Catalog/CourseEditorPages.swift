import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The providers' course editor: a list of the courses one works on, a new-course form, and an editor for
/// details, competencies (picked from the framework), modules and items (with file uploads), and submission
/// for review. Every change goes through `Courses.update`, so the page and the API keep the same rules:
/// a published version is never changed, editing it starts a new draft version.
struct CourseEditorPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("author", use: Self.list)
        routes.post("author", "courses", use: Self.create)
        routes.get("author", "courses", ":id", use: Self.editor)
        for step in Step.allCases where step != .addItem {
            routes.post("author", "courses", ":id", PathComponent(stringLiteral: step.rawValue)) { request in try await Self.apply(step, request) }
        }
        // An item may come with its file, so this form may be as large as the content store takes.
        routes.on(.POST, "author", "courses", ":id", PathComponent(stringLiteral: Step.addItem.rawValue), body: .stream) { request in
            try await Self.apply(.addItem, request)
        }
    }

    /// The paths whose forms carry files: the session guard reads their bodies up to the content limit.
    static func takesFiles(_ path: String) -> Bool { path.hasPrefix("/author/courses/") && path.hasSuffix("/\(Step.addItem.rawValue)") }

    // MARK: The list and a new course

    @Sendable static func list(_ request: Request) async throws -> HTML {
        try await listPage(request, problem: nil)
    }

    static func listPage(_ request: Request, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let text = String((request.query[String.self, at: "q"] ?? "").prefix(200))
        let page = try await Courses.authoring(.init(query: text), page: try PageRequest(request, defaultLimit: 50, maximum: 100), for: principal, on: request.db)
        let rows: [HTML] = page.items.map { course in
            """
            <tr><td><a href="/author/courses/\(course.id.uuidString)">\(course.title)</a></td><td>\(Language.named(course.language)?.nativeName ?? course.language)</td>\
            <td>\(t("state.\(course.state.rawValue)")) · \(t("review.version", ["version": String(course.version)]))</td></tr>
            """
        }
        var next: HTML = ""
        if let cursor = page.nextCursor.value {
            next = "<p><a href=\"/author?q=\(text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&cursor=\(cursor)\">\(t("list.next"))</a></p>"
        }
        let providers = try await providers(for: principal, on: request.db)
        var form: HTML = ""
        if !providers.isEmpty {
            let choices: [HTML] = providers.map { "<option value=\"\($0.id!.uuidString)\">\($0.name)</option>" }
            form = """
                <form method="post" action="/author/courses" class="card"><h2>\(t("editor.new"))</h2>\(request.csrfField)
                <label for="providerId">\(t("editor.provider"))</label><select id="providerId" name="providerId">\(choices)</select>
                <label for="title">\(t("editor.courseTitle"))</label><input id="title" type="text" name="title" maxlength="300" required>
                \(languageSelect(t, chosen: "en"))
                <label for="durationMinutes">\(t("editor.minutes"))</label><input id="durationMinutes" type="number" name="durationMinutes" min="1" max="100000" value="60" required>
                <p><button>\(t("editor.create"))</button></p></form>
                """
        }
        return Layout.page(t("editor.title"), for: request, """
            \(Layout.problem(problem, t))
            \(form)
            <form method="get" action="/author"><label for="q">\(t("editor.find"))</label><input id="q" type="search" name="q" value="\(text)" maxlength="200"> <button>\(t("users.searchButton"))</button></form>
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("review.course"))</th><th>\(t("field.language"))</th><th>\(t("field.status"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"3\">\(t("editor.none"))</td></tr>" as HTML : HTML(unsafe: rows.map(\.markup).joined()))</tbody></table></div>
            \(next)
            """)
    }

    /// The organisations whose courses this person may draft: where their content-creator grants sit, and their own.
    static func providers(for principal: Principal, on database: any Database) async throws -> [Organisation] {
        var paths = Set([principal.organisationPath])
        for grant in principal.access.grants where grant.role == .contentCreator {
            if case .organisation(let path) = grant.target { paths.insert(path) }
        }
        return try await Organisation.query(on: database).filter(\.$path ~~ Array(paths)).sort(\.$name).all()
            .filter { principal.access.holds(.contentCreator, on: $0.placement) }
    }

    struct NewCourseForm: Decodable {
        var providerId: String?
        var title: String?
        var language: String?
        var durationMinutes: String?
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(NewCourseForm.self)
        do {
            guard let minutes = Int(form.durationMinutes?.trimmed ?? "") else { throw Problem.invalid("durationMinutes", "must be a whole number of minutes") }
            let input = CourseInput(title: form.title ?? "", language: form.language ?? "", providerId: form.providerId.flatMap(UUIDText.parse),
                                    durationMinutes: minutes)
            let (course, _) = try await Courses.create(input, by: principal, on: request.db)
            return request.redirect(to: "/author/courses/\(course.id!.uuidString)?saved=created")
        } catch let problem as Problem {
            return try await Layout.failed(problem, request) { try await listPage(request, problem: problem) }
        }
    }

    // MARK: The editor

    @Sendable static func editor(_ request: Request) async throws -> HTML {
        try await editorPage(request, problem: nil)
    }

    static func editorPage(_ request: Request, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let (course, version) = try await Courses.visible(try request.id(of: "course"), to: principal, on: request.db)
        guard Courses.staff(principal, of: course.provider) else { throw Problem.notFound("course") }
        let content = version.content
        let mayEdit = principal.access.holds(.contentCreator, on: course.provider.placement)
        let editable = mayEdit && [.draft, .published, .retired].contains(version.state)
        let base = "/author/courses/\(course.id!.uuidString)"
        func post(_ step: Step, _ fields: HTML, button: String, inline: Bool = false) -> HTML {
            let style: HTML = [.removeItem, .removeModule, .removeCompetency].contains(step) ? " class=\"danger\"" : ""
            return "<form method=\"post\" action=\"\(base)/\(step.rawValue)\"\(inline ? " class=\"inline\"" : "" as HTML)>\(request.csrfField)\(fields)\(inline ? "" : "<br>" as HTML)<button\(style)>\(button)</button></form>"
        }

        var notice: HTML
        switch version.state {
        case .draft: notice = "\(t("editor.draft", ["version": String(version.version)]))"
        case .inReview, .approved: notice = "\(t("editor.locked", ["version": String(version.version), "state": t("state.\(version.state.rawValue)")]))"
        case .published, .retired, .superseded: notice = "\(t("editor.published", ["version": String(version.version), "state": t("state.\(version.state.rawValue)")]))"
        }
        if !mayEdit { notice = "\(notice) \(t("editor.readOnly"))" }
        let saved: HTML = request.query[String.self, at: "saved"] == nil ? "" : "<p class=\"ok\" role=\"status\">\(t("editor.saved"))</p>"
        let found = try await packageFound(request.query[String.self, at: "package"].flatMap(UUIDText.parse), provider: course.$provider.id, t, request)

        // Details.
        let details: HTML = editable ? post(.details, """
            <label for="title">\(t("editor.courseTitle"))</label><input id="title" type="text" name="title" maxlength="300" required value="\(content.title)">
            <label for="summary">\(t("editor.summary"))</label><textarea id="summary" name="summary" maxlength="1000" rows="2">\(content.summary)</textarea>
            <label for="description">\(t("editor.description"))</label><textarea id="description" name="description" maxlength="20000" rows="6">\(content.description)</textarea>
            <label for="keywords">\(t("editor.keywords"))</label><input id="keywords" type="text" name="keywords" value="\(content.keywords.joined(separator: ", "))">
            \(languageSelect(t, chosen: content.language))
            <label for="durationMinutes">\(t("editor.minutes"))</label><input id="durationMinutes" type="number" name="durationMinutes" min="1" max="100000" value="\(content.durationMinutes)" required>
            """, button: t("editor.save")) : """
            <p><strong>\(content.summary)</strong></p><p>\(content.description)</p>
            <p class="muted">\(Language.named(content.language)?.nativeName ?? content.language) · \(t("catalogue.minutes", ["minutes": String(content.durationMinutes)])) · \(content.keywords.joined(separator: ", "))</p>
            """

        // Competencies, picked from the current framework.
        let framework = try await Competency.query(on: request.db).sort(\.$key).all()
        let named = Dictionary(uniqueKeysWithValues: framework.map { ($0.id!, $0) })
        let claimed: [HTML] = content.competencies.map { requirement in
            let competency = named[requirement.competencyId]
            let name = competency.map { [$0.theme, $0.subTheme].compactMap { $0 }.joined(separator: " › ") } ?? "?"
            let retired: HTML = competency?.status == .retired ? " <span class=\"error\">(\(t("editor.retired")))</span>" : ""
            let remove: HTML = editable
                ? post(.removeCompetency, "<input type=\"hidden\" name=\"competencyId\" value=\"\(requirement.competencyId.uuidString)\">", button: t("editor.remove"), inline: true) : ""
            return "<tr><td><a href=\"/competencies/\(requirement.competencyId.uuidString)\">\(name)</a>\(retired)</td><td>\(t("area.\(competency?.area.rawValue ?? "domain")"))</td><td>\(requirement.level)</td><td>\(remove)</td></tr>"
        }
        var addCompetency: HTML = ""
        if editable {
            let groups: [HTML] = CompetencyArea.allCases.map { area in
                let options: [HTML] = framework.filter { $0.area == area && $0.status == .current && !content.competencies.map(\.competencyId).contains($0.id!) }.map {
                    "<option value=\"\($0.id!.uuidString)\">\([$0.theme, $0.subTheme].compactMap { $0 }.joined(separator: " › "))</option>"
                }
                return "<optgroup label=\"\(t("area.\(area.rawValue)"))\">\(options)</optgroup>"
            }
            let levels: [HTML] = ProficiencyLevel.range.map { "<option value=\"\($0)\"\($0 == 2 ? " selected" : "" as HTML)>\($0)</option>" }
            addCompetency = post(.addCompetency, """
                <label for="competencyId">\(t("editor.addCompetency"))</label><select id="competencyId" name="competencyId" required><option value="">—</option>\(groups)</select>
                <label for="level">\(t("designations.level"))</label><select id="level" name="level">\(levels)</select> 
                """, button: t("editor.add"))
        }

        // Modules and their items. The LTI tools that serve the provider's courses are offered for an LTI item's address.
        let tools = editable ? try await LTITools.available(toProviderAt: course.provider.path, on: request.db) : []
        let toolList: HTML = tools.isEmpty ? "" : "<datalist id=\"lti-tools\">\(tools.map { "<option value=\"lti:\($0.id!.uuidString.lowercased())\">\($0.name)</option>" as HTML })</datalist>"
        let modules: [HTML] = content.modules.enumerated().map { m, module in
            let moduleID = module.id?.uuidString ?? ""
            let moduleField: HTML = "<input type=\"hidden\" name=\"moduleId\" value=\"\(moduleID)\">"
            let items: [HTML] = module.items.enumerated().map { i, item in
                let itemField: HTML = "<input type=\"hidden\" name=\"itemId\" value=\"\(item.id?.uuidString ?? "")\">"
                let facts: HTML = "\(t("kind.\(item.kind.rawValue)")) · \(t("catalogue.minutes", ["minutes": String(item.durationMinutes)]))\(item.required ? "" : " · \(t("catalogue.optional"))")"
                let questions: HTML = item.kind == .assessment && item.id != nil
                    ? " <a href=\"\(base)/assessments/\(item.id!.uuidString.lowercased())\">\(t.plural("question.write", item.assessment?.questions.count ?? 0))</a>" : ""
                guard editable else { return "<li>\(item.title) <span class=\"muted\">· \(facts)\(item.url.map { " · \($0)" } ?? "")</span>\(questions)</li>" }
                let prefix = "i\(m)-\(i)"
                return """
                    <li><details><summary>\(item.title) <span class="muted">· \(facts)</span></summary>
                    \(post(.saveItem, "\(itemField)\(itemFields(t, prefix: prefix, item, tools: !tools.isEmpty))", button: t("editor.save")))
                    </details>
                    \(questions)
                    \(i > 0 ? post(.moveItem, itemField, button: t("editor.up"), inline: true) : "")
                    \(post(.removeItem, itemField, button: t("editor.remove"), inline: true))</li>
                    """
            }
            guard editable else { return "<section class=\"card\"><h3>\(module.title)</h3><ol>\(items)</ol></section>" }
            return """
                <section class="card" id="module-\(moduleID)">
                \(post(.saveModule, "\(moduleField)<label for=\"m\(m)\">\(t("editor.moduleTitle"))</label><input id=\"m\(m)\" type=\"text\" name=\"title\" maxlength=\"300\" required value=\"\(module.title)\"> ", button: t("editor.rename")))
                <p>\(m > 0 ? post(.moveModule, moduleField, button: t("editor.up"), inline: true) : "") \(post(.removeModule, moduleField, button: t("editor.removeModule"), inline: true))</p>
                <ol>\(items)</ol>
                <details><summary>\(t("editor.addItem"))</summary>
                <form method="post" action="\(base)/\(Step.addItem.rawValue)" enctype="multipart/form-data">\(request.csrfField)\(moduleField)
                \(itemFields(t, prefix: "n\(m)", nil, tools: !tools.isEmpty))
                <label for="n\(m)-file">\(t("editor.file"))</label><input id="n\(m)-file" type="file" name="file" accept=".pdf,.mp4,.webm,.zip,application/pdf,video/*,application/zip">
                <p class="muted">\(t("editor.fileHint", ["mb": String(request.application.settings.contentMaxBytes / 1_048_576)]))</p>
                <p><button>\(t("editor.add"))</button></p></form></details>
                </section>
                """
        }
        let addModule: HTML = editable
            ? post(.addModule, "<label for=\"newModule\">\(t("editor.newModule"))</label><input id=\"newModule\" type=\"text\" name=\"title\" maxlength=\"300\" required> ", button: t("editor.add")) : ""

        // Review: what still stands in the way, the button, and what reviewers said.
        var submit: HTML = ""
        if version.state == .draft, principal.access.holds(.contentCreator, on: course.provider.placement) {
            let missing: [HTML] = content.publishProblems.map { "<li>\($0.reason)</li>" }
            submit = missing.isEmpty ? post(.submit, "", button: t("editor.submit")) : "<p>\(t("editor.notReady"))</p><ul>\(missing)</ul>"
        }
        let history: [HTML] = try await Courses.history(course.id!, for: principal, on: request.db).reversed().map {
            "<li>\($0.at.map { ISO8601DateFormatter().string(from: $0) } ?? "") · \(t("review.version", ["version": String($0.version)])) · \(t("state.\($0.from.rawValue)")) → \(t("state.\($0.to.rawValue)"))\($0.comment.map { ": “\($0)”" } ?? "")</li>"
        }
        // What reviewers said on this version, item by item, for its author to act on.
        let said = try await ReviewPages.comments(on: course.id!, version: version.version, on: request.db)
        let itemTitles = Dictionary(content.modules.flatMap(\.items).compactMap { item in item.id.map { ($0, item.title) } }, uniquingKeysWith: { first, _ in first })
        let comments: [HTML] = said.map { comment in
            let on = comment.itemID.flatMap { itemTitles[$0] } ?? t("review.overall")
            return "<li><p><strong>\(on)</strong>: \(comment.text)</p><p class=\"muted\">\(comment.author) · \(comment.at.map { Formats.moment($0, t) } ?? "")</p></li>"
        }
        return Layout.page(content.title, for: request, """
            <p class="notice">\(notice) <a href="/courses/\(course.id!.uuidString)">\(t("editor.view"))</a> · <a href="/author">\(t("editor.title"))</a></p>
            \(saved)
            \(Layout.problem(problem, t))
            \(found)
            <section class="card"><h2>\(t("editor.details"))</h2>\(details)</section>
            <section class="card"><h2>\(t("catalogue.competencies"))</h2>
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("designations.competency"))</th><th>\(t("designations.area"))</th><th>\(t("designations.level"))</th><th></th></tr></thead>
            <tbody>\(claimed.isEmpty ? "<tr><td colspan=\"4\">\(t("editor.noCompetencies"))</td></tr>" as HTML : HTML(unsafe: claimed.map(\.markup).joined()))</tbody></table></div>
            \(addCompetency)</section>
            <h2>\(t("catalogue.modules"))</h2>
            \(modules)
            \(toolList)
            \(addModule)
            \(submit.markup.isEmpty ? "" : "<section class=\"card\"><h2>\(t("editor.review"))</h2>\(submit)</section>" as HTML)
            \(comments.isEmpty ? "" : "<section class=\"card\"><h2>\(t("editor.reviewComments"))</h2><ul class=\"plain comments\">\(comments)</ul></section>" as HTML)
            \(history.isEmpty ? "" : "<h2>\(t("editor.history"))</h2><ul>\(history)</ul>" as HTML)
            """)
    }

    /// What an imported package was found to hold: its standard, each activity that launches (a SCO reports
    /// progress, an asset only opens) and what was noticed.
    static func packageFound(_ id: UUID?, provider: UUID, _ t: Catalogue, _ request: Request) async throws -> HTML {
        guard let id, let record = try await Packages.record(id, on: request.db), record.providerID == provider else { return "" }
        let package = ContentPackageDTO(record)
        let activities: [HTML] = package.activities.map {
            "<li>\($0.title) <span class=\"muted\">· \(t(record.cmi5 != nil ? "package.au" : $0.sco ? "package.sco" : "package.asset")) · <code>\($0.launch)</code></span></li>"
        }
        let warnings: [HTML] = package.warnings.map { "<li>\($0)</li>" }
        return """
            <section class="card" id="package" aria-labelledby="package-title"><h2 id="package-title">\(t("package.found", ["file": record.fileName]))</h2>
            <p>\(package.standardTitle) · \(t.plural("package.activities", package.activities.count))</p>
            <ol>\(activities)</ol>
            \(warnings.isEmpty ? "" : "<h3>\(t("package.noticed"))</h3><ul>\(warnings)</ul>" as HTML)
            </section>
            """
    }

    static func languageSelect(_ t: Catalogue, chosen: String) -> HTML {
        let options: [HTML] = Language.all.map {
            "<option value=\"\($0.code)\" lang=\"\($0.code)\"\($0.code == chosen ? " selected" : "" as HTML)>\($0.nativeName) (\($0.name))</option>"
        }
        return "<label for=\"language\">\(t("field.language"))</label><select id=\"language\" name=\"language\">\(options)</select>"
    }

    /// An item's fields; `tools` when the page lists the LTI tools an item's address may name.
    static func itemFields(_ t: Catalogue, prefix: String, _ item: CourseContent.Item?, tools: Bool = false) -> HTML {
        let kinds: [HTML] = ContentKind.allCases.map {
            "<option value=\"\($0.rawValue)\"\($0 == item?.kind ? " selected" : "" as HTML)>\(t("kind.\($0.rawValue)"))</option>"
        }
        let url = item?.url ?? ""
        return """
            <label for="\(prefix)-title">\(t("editor.itemTitle"))</label><input id="\(prefix)-title" type="text" name="title" maxlength="300" required value="\(item?.title ?? "")">
            <div class="grid"><div><label for="\(prefix)-kind">\(t("catalogue.kind"))</label><select id="\(prefix)-kind" name="kind">\(kinds)</select></div>
            <div><label for="\(prefix)-minutes">\(t("editor.minutes"))</label><input id="\(prefix)-minutes" type="number" name="durationMinutes" min="0" max="10000" value="\(item?.durationMinutes ?? 10)" required></div>
            <div><label><input type="checkbox" name="required" value="1"\(item?.required ?? true ? " checked" : "" as HTML)> \(t("editor.required"))</label></div></div>
            <label for="\(prefix)-url">\(t("editor.url"))</label><input id="\(prefix)-url" type="text" name="url" maxlength="2000" value="\(url)" placeholder="https://"\(tools ? " list=\"lti-tools\"" : "" as HTML)>\
            \(tools ? "<span class=\"hint\">\(t("editor.ltiHint"))</span>" as HTML : "")
            """
    }

    // MARK: Changes

    enum Step: String, CaseIterable {
        case details
        case addCompetency = "add-competency", removeCompetency = "remove-competency"
        case addModule = "add-module", saveModule = "save-module", moveModule = "move-module", removeModule = "remove-module"
        case addItem = "add-item", saveItem = "save-item", moveItem = "move-item", removeItem = "remove-item"
        case submit
    }

    struct StepForm: Decodable {
        var title: String?
        var summary: String?
        var description: String?
        var keywords: String?
        var language: String?
        var durationMinutes: String?
        var competencyId: String?
        var level: String?
        var moduleId: String?
        var itemId: String?
        var kind: String?
        var required: String?
        var url: String?
        var file: File?
        var confirmed: String?
    }

    static func apply(_ step: Step, _ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let id = try request.id(of: "course")
        do {
            if step == .addItem {
                let limit = request.application.settings.contentMaxBytes
                if let declared = request.headers.first(name: .contentLength).flatMap(Int.init), declared > limit + 64 * 1024 {
                    throw Problem(.payloadTooLarge, "A course file may be at most \(limit / 1_048_576) MiB.")
                }
                _ = try await request.body.collect(max: limit + 64 * 1024).get()
            }
            let form = try request.content.decode(StepForm.self)
            if step == .submit {
                _ = try await Courses.transition(id, .submit, comment: nil, by: principal, on: request.db)
                return request.redirect(to: "/author/courses/\(id.uuidString)?saved=submitted")
            }
            let (course, latest) = try await Courses.visible(id, to: principal, on: request.db)
            guard principal.access.holds(.contentCreator, on: course.provider.placement) else { throw Problem.forbidden }
            var content = latest.content
            if step == .removeModule || step == .removeItem, form.confirmed == nil {
                // Removing asks first, on a page of its own.
                let t = request.catalogue
                let title: String
                if step == .removeModule { title = content.modules[try moduleIndex(form.moduleId, in: content)].title } else {
                    let (m, i) = try itemIndex(form.itemId, in: content)
                    title = content.modules[m].items[i].title
                }
                let fields = step == .removeModule ? ["moduleId": form.moduleId ?? ""] : ["itemId": form.itemId ?? ""]
                return try await Layout.confirmation(t("editor.confirmRemove", ["title": title]), for: request, what: t("editor.removeWhat"),
                                                     action: "/author/courses/\(id.uuidString)/\(step.rawValue)", fields: fields, button: t("editor.remove"),
                                                     cancel: "/author/courses/\(id.uuidString)").encodeResponse(for: request)
            }
            var anchor = ""
            switch step {
            case .details:
                content.title = form.title ?? ""
                content.summary = form.summary ?? ""
                content.description = form.description ?? ""
                content.keywords = (form.keywords ?? "").split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
                content.language = form.language ?? ""
                content.durationMinutes = try minutes(form.durationMinutes, field: "durationMinutes")
            case .addCompetency:
                guard let competency = form.competencyId.flatMap(UUIDText.parse) else { throw Problem.invalid("competencyId", "pick a competency from the framework") }
                guard let level = form.level.flatMap(Int.init) else { throw Problem.invalid("level", "must be a level from 1 to 5") }
                content.competencies.removeAll { $0.competencyId == competency }
                content.competencies.append(RoleRequirement(competencyId: competency, level: level))
            case .removeCompetency:
                content.competencies.removeAll { $0.competencyId.uuidString == form.competencyId?.uppercased() }
            case .addModule:
                content.modules.append(.init(title: form.title ?? "", items: []))
            case .saveModule, .moveModule, .removeModule:
                let m = try moduleIndex(form.moduleId, in: content)
                anchor = "#module-\(form.moduleId ?? "")"
                switch step {
                case .saveModule: content.modules[m].title = form.title ?? ""
                case .moveModule: if m > 0 { content.modules.swapAt(m, m - 1) }
                default: content.modules.remove(at: m); anchor = ""
                }
            case .addItem:
                let m = try moduleIndex(form.moduleId, in: content)
                var item = try self.item(form, replacing: nil)
                if item.kind == .scorm || item.kind == .cmi5, let file = form.file, file.data.readableBytes > 0 {
                    // A package brings its activities (a cmi5 course its AUs): one item each, titled as the package titles them.
                    let package = try await Packages.importing(file, provider: course.$provider.id, by: principal, request: request)
                    let activities = ContentPackageDTO(package).activities
                    content.modules[m].items += activities.map { activity in
                        var one = item
                        one.kind = package.cmi5 == nil ? .scorm : .cmi5
                        one.title = activities.count == 1 && !item.title.isEmpty ? item.title : String(activity.title.prefix(300))
                        one.url = activity.reference
                        return one
                    }
                    anchor = "&package=\(package.id!.uuidString.lowercased())#package"
                } else {
                    if let file = form.file, file.data.readableBytes > 0 {
                        item.url = try await ContentFiles.accept(file, as: form.kind, provider: course.$provider.id, by: principal, request: request).reference
                    }
                    content.modules[m].items.append(item)
                    anchor = "#module-\(form.moduleId ?? "")"
                }
            case .saveItem, .moveItem, .removeItem:
                let (m, i) = try itemIndex(form.itemId, in: content)
                anchor = "#module-\(content.modules[m].id?.uuidString ?? "")"
                switch step {
                case .saveItem: content.modules[m].items[i] = try item(form, replacing: content.modules[m].items[i])
                case .moveItem: if i > 0 { content.modules[m].items.swapAt(i, i - 1) }
                default: content.modules[m].items.remove(at: i)
                }
            case .submit:
                break
            }
            _ = try await Courses.update(id, with: CourseInput(content), by: principal, on: request.db)
            return request.redirect(to: "/author/courses/\(id.uuidString)?saved=\(step.rawValue)\(anchor)")
        } catch let problem as Problem {
            return try await Layout.failed(problem, request) { try await editorPage(request, problem: problem) }
        }
    }

    static func minutes(_ text: String?, field: String) throws -> Int {
        guard let minutes = Int(text?.trimmed ?? "") else { throw Problem.invalid(field, "must be a whole number of minutes") }
        return minutes
    }

    static func item(_ form: StepForm, replacing old: CourseContent.Item?) throws -> CourseContent.Item {
        guard let kind = form.kind.flatMap(ContentKind.init(rawValue:)) else {
            throw Problem.invalid("kind", "must be one of \(ContentKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return CourseContent.Item(id: old?.id, title: form.title?.trimmed ?? "", kind: kind, durationMinutes: try minutes(form.durationMinutes, field: "durationMinutes"),
                                  required: form.required != nil,
                                  url: kind == .caseStudy ? form.url.map { CaseItemReference.caseID($0).map(CaseItemReference.reference) ?? $0 } : form.url?.trimmed.nilIfEmpty,
                                  assessment: kind == .assessment ? old?.assessment : nil)
    }

    static func moduleIndex(_ id: String?, in content: CourseContent) throws -> Int {
        guard let index = content.modules.firstIndex(where: { $0.id?.uuidString == id?.uppercased() }) else {
            throw Problem(.conflict, "That module is no longer in the course; it was changed meanwhile. Look at it again below.")
        }
        return index
    }

    static func itemIndex(_ id: String?, in content: CourseContent) throws -> (Int, Int) {
        for (m, module) in content.modules.enumerated() {
            if let i = module.items.firstIndex(where: { $0.id?.uuidString == id?.uppercased() }) { return (m, i) }
        }
        throw Problem(.conflict, "That item is no longer in the course; it was changed meanwhile. Look at it again below.")
    }
}
