import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The competency framework browser, a competency's page, and designations with what they need.
struct CompetencyPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("competencies", use: Self.framework)
        routes.get("competencies", "new", use: Self.newForm)
        routes.post("competencies", "new", use: Self.create)
        routes.get("competencies", ":id", use: Self.competency)
        routes.get("competencies", ":id", "retire", use: Self.confirmRetire)
        routes.post("competencies", ":id", "retire", use: Self.retire)
        routes.get("designations", use: Self.designations)
        routes.get("designations", ":designation", use: Self.designation)
        routes.post("designations", ":designation", use: Self.saveDesignation)
    }

    @Sendable static func framework(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        let area = request.query[String.self, at: "area"].flatMap(CompetencyArea.init(rawValue:))
        let query = request.query[String.self, at: "q"] ?? ""
        let page = try await Competencies.list(.init(area: area, query: String(query.prefix(200))), page: try PageRequest(request, defaultLimit: 200),
                                               on: request.db)
        let tabs: [HTML] = ([nil] + CompetencyArea.allCases.map(Optional.some)).map { choice in
            let label = choice.map { t("area.\($0.rawValue)") } ?? t("competencies.all")
            let href = choice.map { "/competencies?area=\($0.rawValue)" } ?? "/competencies"
            return choice == area ? "<strong>\(label)</strong> " : "<a href=\"\(href)\">\(label)</a> "
        }
        let themes = Dictionary(grouping: page.items, by: { "\($0.area.rawValue)/\($0.theme)" })
        let sections: [HTML] = themes.keys.sorted().map { key in
            let items = themes[key]!
            let theme = items.first { $0.subTheme == nil }
            let subThemes: [HTML] = items.filter { $0.subTheme != nil }.map { "<li><a href=\"/competencies/\($0.id.uuidString)\">\($0.subTheme)</a></li>" }
            let title: HTML = theme.map { "<a href=\"/competencies/\($0.id.uuidString)\">\($0.theme)</a>" } ?? "\(items[0].theme)"
            return """
                <section class="card"><h2>\(title) <span class="muted">· \(t("area.\(items[0].area.rawValue)"))</span></h2>
                \(theme.map { "<p>\($0.description)</p>" as HTML } ?? "")\(subThemes.isEmpty ? "" : "<ul>\(subThemes)</ul>" as HTML)</section>
                """
        }
        let adds = request.auth.get(Principal.self).map { $0.access.isNationalAdmin || !$0.access.reach(of: .addDomainCompetencies).isEmpty } ?? false
        return Layout.page(t("competencies.title"), for: request, """
            <p>\(tabs)</p>
            \(adds ? "<p class=\"actions\"><a class=\"button\" href=\"/competencies/new\">\(t("competencies.add"))</a></p>" as HTML : "")
            <form method="get" action="/competencies" class="card">
            \(area.map { "<input type=\"hidden\" name=\"area\" value=\"\($0.rawValue)\">" as HTML } ?? "")
            <label for="q">\(t("competencies.search"))</label><input id="q" type="search" name="q" value="\(query)" maxlength="200">
            <button>\(t("users.searchButton"))</button></form>
            \(sections.isEmpty ? "<p>\(t("competencies.none"))</p>" as HTML : HTML(unsafe: sections.map(\.markup).joined()))
            """)
    }

    @Sendable static func competency(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        let stored = try await Competencies.find(try request.id(of: "competency"), on: request.db)
        let competency = CompetencyDTO(stored)
        // The framework's generic level descriptions are the platform's words, said in the reader's language; a
        // competency's own descriptions are its content.
        let levels: [HTML] = competency.levels.map { level in
            let description = level.description == ProficiencyLevel.generic[level.level] ? t("level.\(level.level).description") : level.description
            return "<tr><th scope=\"row\">\(t("level.\(level.level)"))</th><td>\(description)</td></tr>"
        }
        let status: HTML = competency.status == .retired
            ? "<p class=\"notice\">\(t("competencies.retired", ["version": String(competency.retiredInVersion ?? 0)]))</p>" : ""
        // The published courses that teach it, by the level they reach.
        let cards = try await request.application.catalogueSearch.cards(on: request.db).values
        var byLevel: [Int: [CourseCard]] = [:]
        for card in cards {
            if let requirement = card.competencies.first(where: { $0.competencyId == competency.id }) { byLevel[requirement.level, default: []].append(card) }
        }
        let courses: [HTML] = byLevel.keys.sorted().map { level in
            let links: [HTML] = byLevel[level]!.sorted { $0.title < $1.title }.map {
                "<li><a href=\"/courses/\($0.id.uuidString.lowercased())\">\($0.title)</a> <span class=\"muted\">\(Formats.language($0.language))</span></li>"
            }
            return "<h3>\(t("level.\(level)"))</h3><ul>\(links)</ul>"
        }
        // The designations that need it: how many organisations map each, at which levels.
        let needs = try await DesignationRequirement.query(on: request.db).filter(\.$competency.$id == competency.id).all()
        let grouped = Dictionary(grouping: needs, by: \.designationKey)
        let designationRows: [HTML] = grouped.values.sorted { $0[0].designation < $1[0].designation }.map { rows in
            let levels = Set(rows.map(\.level)).sorted().map(String.init).joined(separator: ", ")
            return "<tr><td>\(rows[0].designation)</td><td class=\"number\">\(levels)</td><td class=\"number\">\(Formats.number(Set(rows.map { $0.$organisation.id }).count))</td></tr>"
        }
        let principal = request.auth.get(Principal.self)
        let retires = try await mayRetire(stored, principal, on: request.db)
        return Layout.page(competency.subTheme ?? competency.theme, for: request,
                           crumbs: [.init(t("nav.home"), "/"), .init(t("competencies.title"), "/competencies"), .init(competency.subTheme ?? competency.theme)], """
            <p class="muted">\(t("area.\(competency.area.rawValue)"))\(competency.subTheme == nil ? "" : " · \(competency.theme)")\(competency.domain.map { " · \($0)" } ?? "")</p>
            \(status)
            <div class="card"><p>\(competency.description)</p></div>
            <h2>\(t("competencies.levels"))</h2>
            <div class="scroll" tabindex="0"><table>\(levels)</table></div>
            <section class="card"><h2>\(t("competencies.courses"))</h2>\(courses.isEmpty ? "<p>\(t("competencies.noCourses"))</p>" as HTML : "\(courses)" as HTML)</section>
            <section class="card"><h2>\(t("competencies.designations"))</h2>
            \(UI.table(t("competencies.designations"), head: [t("field.designation"), t("competencies.levelsNeeded"), t("competencies.organisations")], rows: designationRows,
                       empty: t("competencies.noDesignations"), numeric: [1, 2]))</section>
            <p class="muted">\(t("competencies.version", ["version": String(competency.addedInVersion)]))</p>
            \(retires ? "<p><a class=\"button danger\" href=\"/competencies/\(competency.id.uuidString.lowercased())/retire\">\(t("competencies.retire"))</a></p>" as HTML : "")
            <p><a href="/competencies">\(t("competencies.back"))</a></p>
            """)
    }

    /// National admins retire any current competency; an MDO's admins the domain competencies their organisation added.
    static func mayRetire(_ competency: Competency, _ principal: Principal?, on database: any Database) async throws -> Bool {
        guard let principal, competency.status == .current else { return false }
        if principal.access.isNationalAdmin { return true }
        guard competency.area == .domain, let ownerID = competency.ownerOrganisationID, let owner = try await Organisation.find(ownerID, on: database) else { return false }
        return principal.access.allows(.addDomainCompetencies, on: owner.placement)
    }

    @Sendable static func confirmRetire(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let competency = try await Competencies.find(try request.id(of: "competency"), on: request.db)
        guard try await mayRetire(competency, principal, on: request.db) else { throw Problem.forbidden }
        let id = competency.id!.uuidString.lowercased()
        return Layout.page(t("competencies.retireTitle", ["name": competency.displayName]), for: request,
                           crumbs: [.init(t("nav.home"), "/"), .init(t("competencies.title"), "/competencies"), .init(competency.displayName, "/competencies/\(id)"),
                                    .init(t("competencies.retire"))], """
            <form method="post" action="/competencies/\(id)/retire" class="card">\(request.csrfField)
            <p>\(t("competencies.retireWhat"))</p>
            <label for="comment">\(t("competencies.retireWhy"))</label><textarea id="comment" name="comment" maxlength="2000" rows="3"></textarea>
            <div class="actions"><button class="danger">\(t("competencies.retire"))</button><a href="/competencies/\(id)">\(t("people.cancel"))</a></div>
            </form>
            """)
    }

    @Sendable static func retire(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        struct Form: Content { var comment: String? }
        let comment = try request.content.decode(Form.self).comment
        let competency = try await Competencies.retire(try request.id(of: "competency"), comment: comment, by: principal, on: request.db)
        return request.redirect(to: "/competencies/\(competency.id!.uuidString.lowercased())")
    }

    struct NewForm: Content {
        var area: String?
        var theme: String?
        var subTheme: String?
        var description: String?
        var domain: String?
        var organisationId: String?
    }

    @Sendable static func newForm(_ request: Request) async throws -> HTML {
        try await newPage(request, form: NewForm(area: request.query[String.self, at: "area"]), problem: nil)
    }

    /// A national admin adds to any area; an MDO's admin adds domain competencies of their organisation.
    static func newPage(_ request: Request, form: NewForm, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let national = principal.access.isNationalAdmin
        let owners = try await Organisations.list(.init(), page: .init(limit: 200), for: principal, on: request.db).items
        var mine: [OrganisationDTO] = []
        for organisation in owners {
            if let stored = try await Organisation.find(organisation.id, on: request.db), principal.access.allows(.addDomainCompetencies, on: stored.placement) {
                mine.append(organisation)
            }
        }
        guard national || !mine.isEmpty else { throw Problem.forbidden }
        let areas: [CompetencyArea] = national ? CompetencyArea.allCases : [.domain]
        let areaOptions: [HTML] = areas.map { "<option value=\"\($0.rawValue)\"\($0.rawValue == (form.area ?? "domain") ? " selected" : "" as HTML)>\(t("area.\($0.rawValue)"))</option>" }
        let ownerOptions: [HTML] = mine.map { "<option value=\"\($0.id.uuidString.lowercased())\"\($0.id.uuidString.lowercased() == form.organisationId?.lowercased() ? " selected" : "" as HTML)>\($0.name)</option>" }
        let errors = Dictionary(problem?.errors.map { ($0.field, $0.reason) } ?? [], uniquingKeysWith: { first, _ in first })
        return Layout.page(t("competencies.add"), for: request, crumbs: [.init(t("nav.home"), "/"), .init(t("competencies.title"), "/competencies"), .init(t("competencies.add"))], """
            \(Layout.problem(problem, t))
            <form method="post" action="/competencies/new" class="card">\(request.csrfField)
            <div class="grid">
            <div><label for="area">\(t("designations.area"))</label><select id="area" name="area">\(areaOptions)</select></div>
            \(UI.field("theme", label: t("competencies.theme"), value: form.theme ?? "", error: errors["theme"], required: true))
            \(UI.field("subTheme", label: t("competencies.subTheme"), value: form.subTheme ?? "", hint: t("competencies.subThemeHint"), error: errors["subTheme"]))
            \(UI.field("domain", label: t("competencies.domain"), value: form.domain ?? "", hint: t("competencies.domainHint"), error: errors["domain"]))
            <div><label for="owner">\(t("competencies.owner"))</label><span class="hint">\(t("competencies.ownerHint"))</span>\
            \(errors["organisationId"].map { "<span class=\"field-error\">\($0)</span>" as HTML } ?? "")\
            <select id="owner" name="organisationId">\(national ? "<option value=\"\">—</option>" as HTML : "")\(ownerOptions)</select></div>
            </div>
            <label for="description">\(t("competencies.description"))</label>\(errors["description"].map { "<span class=\"field-error\">\($0)</span>" as HTML } ?? "")
            <textarea id="description" name="description" maxlength="4000" rows="4" required>\(form.description ?? "")</textarea>
            <div class="actions"><button>\(t("competencies.addButton"))</button></div>
            </form>
            """)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(NewForm.self)
        do {
            guard let area = form.area.flatMap(CompetencyArea.init(rawValue:)) else { throw Problem.invalid("area", "choose behavioural, functional or domain") }
            let input = NewCompetencyInput(area: area, theme: form.theme ?? "", subTheme: form.subTheme, description: form.description ?? "",
                                           domain: area == .domain ? form.domain : nil,
                                           organisationId: area == .domain ? form.organisationId.flatMap(UUIDText.parse) : nil, levels: nil)
            let competency = try await Competencies.add(input, by: principal, on: request.db)
            return request.redirect(to: "/competencies/\(competency.id!.uuidString.lowercased())")
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await newPage(request, form: form, problem: problem) }
        }
    }

    @Sendable static func designations(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let organisation = try await organisationFor(request, principal: principal)
        let summaries = try await Designations.summaries(in: organisation, on: request.db)
        let rows: [HTML] = summaries.map { summary in
            "<tr><td><a href=\"/designations/\(summary.designation.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "")?org=\(organisation.id!.uuidString)\">\(summary.designation)</a></td><td>\(summary.people)</td><td>\(summary.competencyCount)</td></tr>"
        }
        return Layout.page(t("designations.title"), for: request, """
            <h2>\(organisation.name)</h2>
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("field.designation"))</th><th>\(t("designations.people"))</th><th>\(t("designations.mapped"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"3\">\(t("designations.none"))</td></tr>" as HTML : HTML(unsafe: rows.map(\.markup).joined()))</tbody></table></div>
            """)
    }

    /// The organisation asked for (`org=`), else the principal's own.
    static func organisationFor(_ request: Request, principal: Principal) async throws -> Organisation {
        let id = request.query[String.self, at: "org"].flatMap(UUIDText.parse) ?? principal.organisationID
        return try await Organisations.visible(id, to: principal, on: request.db)
    }

    @Sendable static func designation(_ request: Request) async throws -> HTML {
        try await designationPage(request, problem: nil, saved: false)
    }

    static func designationPage(_ request: Request, problem: Problem?, saved: Bool) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let organisation = try await organisationFor(request, principal: principal)
        let name = request.parameters.get("designation") ?? ""
        try Designations.checkName(name)
        let mapping = try await Designations.find(name, in: organisation, on: request.db)
        let canMap = principal.access.allows(.mapCompetencies, on: organisation.placement)
        func levelSelect(_ field: String, _ chosen: Int?) -> HTML {
            let options: [HTML] = ProficiencyLevel.range.map { "<option value=\"\($0)\"\($0 == chosen ? " selected" : "" as HTML)>\($0)</option>" }
            return "<select name=\"\(field)\" aria-label=\"\(t("designations.level"))\">\(options)</select>"
        }
        let rows: [HTML] = mapping.competencies.enumerated().map { index, requirement in
            let name = [requirement.theme, requirement.subTheme].compactMap { $0 }.joined(separator: " › ")
            let level: HTML = canMap ? """
                <input type="hidden" name="competency[\(index)]" value="\(requirement.competencyId.uuidString)">\(levelSelect("level[\(index)]", requirement.level))
                <label class="muted"><input type="checkbox" name="remove[\(index)]" value="1"> \(t("designations.remove"))</label>
                """ : "\(requirement.level)"
            return "<tr><td><a href=\"/competencies/\(requirement.competencyId.uuidString)\">\(name)</a></td><td>\(t("area.\(requirement.area?.rawValue ?? "domain")"))</td><td>\(level)</td></tr>"
        }
        var form: HTML = ""
        if canMap {
            let all = try await Competency.query(on: request.db).filter(\.$status == .current).sort(\.$key).all()
            let options: [HTML] = all.map { "<option value=\"\($0.id!.uuidString)\">\(t("area.\($0.area.rawValue)")): \([$0.theme, $0.subTheme].compactMap { $0 }.joined(separator: " › "))</option>" }
            form = """
                <p><label for="add">\(t("designations.add"))</label><select id="add" name="add"><option value="">—</option>\(options)</select> \(levelSelect("addLevel", 2))</p>
                <p><button>\(t("designations.save"))</button></p>
                """
        }
        return Layout.page(mapping.designation, for: request, """
            <p class="muted">\(organisation.name) · <a href="/designations?org=\(organisation.id!.uuidString)">\(t("designations.title"))</a></p>
            \(saved ? "<p class=\"ok\" role=\"status\">\(t("designations.saved"))</p>" as HTML : "")
            \(Layout.problem(problem, t))
            <form method="post" action="/designations/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "")?org=\(organisation.id!.uuidString)">
            \(canMap ? request.csrfField : "")
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("designations.competency"))</th><th>\(t("designations.area"))</th><th>\(t("designations.level"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"3\">\(t("designations.nothingMapped"))</td></tr>" as HTML : HTML(unsafe: rows.map(\.markup).joined()))</tbody></table></div>
            \(form)
            </form>
            """)
    }

    @Sendable static func saveDesignation(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let organisation = try await Designations.mappable(try await organisationFor(request, principal: principal).id!, by: principal, on: request.db)
        let name = request.parameters.get("designation") ?? ""
        try Designations.checkName(name)
        struct Form: Decodable {
            var competency: [String: String]?
            var level: [String: String]?
            var remove: [String: String]?
            var add: String?
            var addLevel: String?
        }
        let form = try request.content.decode(Form.self)
        var requirements: [RoleRequirement] = []
        for (index, id) in (form.competency ?? [:]).sorted(by: { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }) where form.remove?[index] == nil {
            guard let id = UUIDText.parse(id) else { continue }
            requirements.append(RoleRequirement(competencyId: id, level: Int(form.level?[index] ?? "") ?? 0))
        }
        if let add = form.add.flatMap(UUIDText.parse) {
            requirements.append(RoleRequirement(competencyId: add, level: Int(form.addLevel ?? "") ?? 0))
        }
        let (current, retired) = try await Competencies.states(of: requirements.map(\.competencyId), on: request.db)
        let problems = RoleRequirement.problems(requirements, current: current, retired: retired)
        if !problems.isEmpty {
            return try await Layout.failed(.invalid(problems), request) { try await designationPage(request, problem: .invalid(problems), saved: false) }
        }
        try await Designations.replace([(name, requirements)], in: organisation, by: principal.userID, on: request.db)
        return try await designationPage(request, problem: nil, saved: true).encodeResponse(for: request)
    }
}
