import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The competency framework browser, a competency's page, and designations with what they need.
struct CompetencyPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("competencies", use: Self.framework)
        routes.get("competencies", ":id", use: Self.competency)
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
        return Layout.page(t("competencies.title"), for: request, """
            <p>\(tabs)</p>
            <form method="get" action="/competencies" class="card">
            \(area.map { "<input type=\"hidden\" name=\"area\" value=\"\($0.rawValue)\">" as HTML } ?? "")
            <label for="q">\(t("competencies.search"))</label><input id="q" type="search" name="q" value="\(query)" maxlength="200">
            <button>\(t("users.searchButton"))</button></form>
            \(sections.isEmpty ? "<p>\(t("competencies.none"))</p>" as HTML : HTML(unsafe: sections.map(\.markup).joined()))
            """)
    }

    @Sendable static func competency(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        let competency = CompetencyDTO(try await Competencies.find(try request.id(of: "competency"), on: request.db))
        // The framework's generic level descriptions are the platform's words, said in the reader's language; a
        // competency's own descriptions are its content.
        let levels: [HTML] = competency.levels.map { level in
            let description = level.description == ProficiencyLevel.generic[level.level] ? t("level.\(level.level).description") : level.description
            return "<tr><th scope=\"row\">\(t("level.\(level.level)"))</th><td>\(description)</td></tr>"
        }
        let status: HTML = competency.status == .retired
            ? "<p class=\"notice\">\(t("competencies.retired", ["version": String(competency.retiredInVersion ?? 0)]))</p>" : ""
        return Layout.page(competency.subTheme ?? competency.theme, for: request, """
            <p class="muted">\(t("area.\(competency.area.rawValue)"))\(competency.subTheme == nil ? "" : " · \(competency.theme)")\(competency.domain.map { " · \($0)" } ?? "")</p>
            \(status)
            <div class="card"><p>\(competency.description)</p></div>
            <h2>\(t("competencies.levels"))</h2>
            <div class="scroll" tabindex="0"><table>\(levels)</table></div>
            <p class="muted">\(t("competencies.version", ["version": String(competency.addedInVersion)]))</p>
            <p><a href="/competencies">\(t("competencies.back"))</a></p>
            """)
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
        let id = request.query[String.self, at: "org"].flatMap(UUID.init(uuidString:)) ?? principal.organisationID
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
            guard let id = UUID(uuidString: id) else { continue }
            requirements.append(RoleRequirement(competencyId: id, level: Int(form.level?[index] ?? "") ?? 0))
        }
        if let add = form.add.flatMap(UUID.init(uuidString:)) {
            requirements.append(RoleRequirement(competencyId: add, level: Int(form.addLevel ?? "") ?? 0))
        }
        let (current, retired) = try await Competencies.states(of: requirements.map(\.competencyId), on: request.db)
        let problems = RoleRequirement.problems(requirements, current: current, retired: retired)
        if !problems.isEmpty {
            return try await Layout.failed(.invalid(problems), request) { try await designationPage(request, problem: .invalid(problems), saved: false) }
        }
        try await Designations.replace([(name, requirements)], in: organisation, by: principal, on: request.db)
        return try await designationPage(request, problem: nil, saved: true).encodeResponse(for: request)
    }
}
