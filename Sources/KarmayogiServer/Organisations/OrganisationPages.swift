import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The organisation tree on the page: browsed (opened and closed without a script), organisations created, changed and
/// moved within reach, sanctioned strength kept, and an MDO's capacity building unit recorded.
struct OrganisationPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("admin", "organisations", use: Self.tree)
        routes.get("admin", "organisations", "new", use: Self.newForm)
        routes.post("admin", "organisations", "new", use: Self.create)
        routes.get("admin", "organisations", ":id", use: Self.show)
        routes.post("admin", "organisations", ":id", use: Self.update)
        routes.post("admin", "organisations", ":id", "move", use: Self.move)
        routes.post("admin", "organisations", ":id", "unit", use: Self.recordUnit)
    }

    static func crumbs(_ t: Catalogue, _ last: [UI.Crumb]) -> [UI.Crumb] {
        [.init(t("nav.home"), "/"), .init(t("orgs.title"), "/admin/organisations")] + last
    }

    // MARK: - The tree

    @Sendable static func tree(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        guard !principal.access.reach(of: .viewOrganisations).isEmpty else { throw Problem.forbidden }
        let query = request.query[String.self, at: "q"].map { String($0.trimmed.prefix(200)) } ?? ""
        var filter = Organisations.ListFilter()
        filter.query = query.isEmpty ? nil : query
        // Up to 2,000 organisations as a tree; a search lists its matches instead.
        var organisations: [OrganisationDTO] = []
        var page = PageRequest(limit: 200)
        while organisations.count < 2_000 {
            let batch = try await Organisations.list(filter, page: page, for: principal, on: request.db)
            organisations += batch.items
            guard let next = batch.nextCursor.value, let cursor = Cursor(encoded: next) else { break }
            page.cursor = cursor
        }
        let byParent = Dictionary(grouping: organisations, by: \.parentId)
        let present = Set(organisations.map(\.id))
        func node(_ organisation: OrganisationDTO, depth: Int) -> HTML {
            let children = byParent[organisation.id] ?? []
            let label: HTML = "<a href=\"/admin/organisations/\(organisation.id.uuidString.lowercased())\">\(organisation.name)</a> <span class=\"muted\">\(t("orgType.\(organisation.type.rawValue)")) · \(organisation.code)</span>"
            guard !children.isEmpty, query.isEmpty else { return "<li>\(label)</li>" }
            // The link stays outside the summary: a control inside a control is not one a screen reader can use.
            return "<li>\(label)<details\(depth == 0 ? " open" : "" as HTML)><summary>\(t.plural("orgs.children", children.count))</summary>"
                + "<ul class=\"tree\">\(children.map { node($0, depth: depth + 1) })</ul></details></li>"
        }
        // The tops of the visible tree: organisations whose parent is not visible.
        let tops = query.isEmpty ? organisations.filter { $0.parentId.map { !present.contains($0) } ?? true } : organisations
        let canCreate = principal.access.isNationalAdmin || !principal.access.reach(of: .manageOrganisations).stateCodes.isEmpty
        return Layout.page(t("orgs.title"), for: request, crumbs: [.init(t("nav.home"), "/"), .init(t("orgs.title"))], """
            <form method="get" action="/admin/organisations" class="card search">
            <div><label for="q">\(t("orgs.search"))</label><input id="q" type="search" name="q" value="\(query)" maxlength="200"></div>
            <button>\(t("users.searchButton"))</button></form>
            \(canCreate ? "<p class=\"actions\"><a class=\"button\" href=\"/admin/organisations/new\">\(t("orgs.newTop"))</a></p>" as HTML : "")
            <p class="hint">\(t("orgs.treeHint"))</p>
            \(tops.isEmpty ? UI.empty(t("orgs.none")) : "<ul class=\"tree\">\(tops.map { node($0, depth: 0) })</ul>" as HTML)
            \(organisations.count >= 2_000 ? "<p class=\"notice\">\(t("orgs.tooMany"))</p>" as HTML : "")
            """)
    }

    // MARK: - Creating

    struct OrganisationForm: Content {
        var name: String?
        var code: String?
        var type: String?
        var parentId: String?
        var stateCode: String?
        var districtCode: String?
        var sanctionedStrength: String?
    }

    @Sendable static func newForm(_ request: Request) async throws -> HTML {
        var form = OrganisationForm()
        form.parentId = request.query[String.self, at: "parent"]
        form.stateCode = request.query[String.self, at: "state"]
        return try await newPage(request, form: form, problem: nil)
    }

    static func newPage(_ request: Request, form: OrganisationForm, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        var parent: Organisation?
        if let text = form.parentId, !text.isEmpty {
            guard let id = UUIDText.parse(text) else { throw Problem.notFound("organisation") }
            parent = try await Organisations.visible(id, to: principal, on: request.db)
        }
        let types = OrganisationType.allCases.filter { $0.allowedParents.contains(parent?.organisationType) }
        let typeOptions: [HTML] = types.map { "<option value=\"\($0.rawValue)\"\($0.rawValue == form.type ? " selected" : "" as HTML)>\(t("orgType.\($0.rawValue)"))</option>" }
        let chosenState = form.stateCode.flatMap(Int.init) ?? parent?.stateCode
        let states = UI.stateOptions(chosen: chosenState)
        let districts = UI.districtOptions(inState: chosenState, chosen: form.districtCode.flatMap(Int.init))
        let errors = Dictionary(problem?.errors.map { ($0.field, $0.reason) } ?? [], uniquingKeysWith: { first, _ in first })
        let title = parent.map { t("orgs.newUnder", ["name": $0.name]) } ?? t("orgs.newTop")
        return Layout.page(title, for: request, crumbs: crumbs(t, [.init(title)]), """
            \(Layout.problem(problem, t))
            <form method="post" action="/admin/organisations/new" class="card">\(request.csrfField)
            <input type="hidden" name="parentId" value="\(parent?.id?.uuidString.lowercased() ?? "")">
            <div class="grid">
            \(UI.field("name", label: t("field.name"), value: form.name ?? "", error: errors["name"], required: true))
            \(UI.field("code", label: t("orgs.code"), value: form.code ?? "", hint: t("orgs.codeHint"), error: errors["code"], required: true))
            <div><label for="type">\(t("orgs.type"))</label>\(errors["parentId"].map { "<span class=\"field-error\">\($0)</span>" as HTML } ?? "")\
            <select id="type" name="type">\(typeOptions)</select></div>
            <div><label for="o-state">\(t("field.state"))</label>\(errors["stateCode"].map { "<span class=\"field-error\">\($0)</span>" as HTML } ?? "")\
            <select id="o-state" name="stateCode" data-districts="o-district"><option value="">\(t("orgs.noState"))</option>\(states)</select></div>
            <div><label for="o-district">\(t("field.district"))</label>\(errors["districtCode"].map { "<span class=\"field-error\">\($0)</span>" as HTML } ?? "")\
            <select id="o-district" name="districtCode"><option value="">—</option>\(districts)</select><span class="hint">\(t("people.districtHint"))</span></div>
            \(UI.field("sanctionedStrength", label: t("orgs.sanctioned"), type: "number", value: form.sanctionedStrength ?? "", hint: t("orgs.sanctionedHint"), error: errors["sanctionedStrength"]))
            </div>
            <div class="actions"><button>\(t("orgs.create"))</button></div>
            </form>
            <script src="\(Assets.url("admin.js"))" defer></script>
            """)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(OrganisationForm.self)
        do {
            guard let type = form.type.flatMap(OrganisationType.init(rawValue:)) else { throw Problem.invalid("type", "choose the kind of organisation") }
            var strength: Int?
            if let text = form.sanctionedStrength?.trimmed, !text.isEmpty {
                guard let value = Int(text) else { throw Problem.invalid("sanctionedStrength", "must be a whole number") }
                strength = value
            }
            let input = OrganisationInput(name: form.name ?? "", code: form.code ?? "", type: type, parentId: form.parentId.flatMap(UUIDText.parse),
                                          stateCode: form.stateCode.flatMap(Int.init), districtCode: form.districtCode.flatMap(Int.init), sanctionedStrength: strength)
            let organisation = try await Organisations.create(input, by: principal, on: request.db)
            return request.redirect(to: "/admin/organisations/\(organisation.id!.uuidString.lowercased())?saved=created")
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await newPage(request, form: form, problem: problem) }
        }
    }

    // MARK: - One organisation

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await organisationPage(request, problem: nil, notice: request.query[String.self, at: "saved"].map { request.catalogue("orgs.saved.\($0 == "created" ? "created" : "changed")") })
    }

    static func organisationPage(_ request: Request, problem: Problem?, notice: String?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let organisation = try await Organisations.visible(try request.id(of: "organisation"), to: principal, on: request.db)
        let id = organisation.id!.uuidString.lowercased()
        let geography = request.geography
        let manages = principal.access.allows(.manageOrganisations, on: organisation.placement)
        let keepsPeople = principal.access.allows(.manageUsers, on: organisation.placement)
        let watches = principal.access.allows(.viewInsights, on: organisation.placement) || principal.access.allows(.mapCompetencies, on: organisation.placement)
        let ancestors = organisation.path.split(separator: "/").compactMap { UUIDText.parse(String($0)) }.filter { $0 != organisation.id }
        let parents = try await Organisation.query(on: request.db).filter(\.$id ~~ ancestors).all()
        let lineage: [UI.Crumb] = ancestors.compactMap { id in parents.first { $0.id == id } }.map { .init($0.name, "/admin/organisations/\($0.id!.uuidString.lowercased())") }
        let children = try await Organisation.query(on: request.db).filter(\.$parent.$id == organisation.id!).sort(\.$name).limit(500).all()
        let errors = Dictionary(problem?.errors.map { ($0.field, $0.reason) } ?? [], uniquingKeysWith: { first, _ in first })

        let facts: [(String, String)] = [
            (t("orgs.type"), t("orgType.\(organisation.organisationType.rawValue)")), (t("orgs.code"), organisation.code),
            (t("field.state"), organisation.stateCode.flatMap { geography.state(code: $0)?.name } ?? "—"),
            (t("field.district"), organisation.districtCode.flatMap { geography.district(code: $0)?.name } ?? "—"),
            (t("orgs.sanctioned"), organisation.sanctionedStrength.map { Formats.number($0) } ?? t("orgs.notRecorded")),
        ]
        var sections: [HTML] = [
            "<section class=\"card\"><dl class=\"facts-list\">\(facts.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" as HTML })</dl>"
                + "<p class=\"actions\"><a class=\"button secondary\" href=\"/admin/users?org=\(id)\">\(t("people.title"))</a>"
                + "<a class=\"button secondary\" href=\"/insights?scope=org:\(id)\">\(t("nav.insights"))</a>"
                + (watches ? "<a class=\"button secondary\" href=\"/admin/organisations/\(id)/gaps\">\(t("guidance.map.title"))</a>" : "" as HTML)
                + (manages ? "<a class=\"button secondary\" href=\"/admin/organisations/\(id)/lti-tools\">\(t("lti.tools.title"))</a>" : "" as HTML) + "</p></section>",
        ]
        if manages {
            let districts = UI.districtOptions(inState: organisation.stateCode, chosen: organisation.districtCode)
            sections.append("""
                <details class="card"\(errors.keys.contains { ["name", "code", "districtCode", "sanctionedStrength"].contains($0) } ? " open" : "" as HTML)>
                <summary>\(t("orgs.edit"))</summary>
                <form method="post" action="/admin/organisations/\(id)">\(request.csrfField)
                <div class="grid">
                \(UI.field("name", label: t("field.name"), value: organisation.name, error: errors["name"], required: true))
                \(UI.field("code", label: t("orgs.code"), value: organisation.code, error: errors["code"], required: true))
                <div><label for="e-district">\(t("field.district"))</label>\(errors["districtCode"].map { "<span class=\"field-error\">\($0)</span>" as HTML } ?? "")\
                <select id="e-district" name="districtCode"><option value="">—</option>\(districts)</select></div>
                \(UI.field("sanctionedStrength", label: t("orgs.sanctioned"), type: "number", value: organisation.sanctionedStrength.map(String.init) ?? "",
                           hint: t("orgs.sanctionedHint"), error: errors["sanctionedStrength"]))
                </div>
                <div class="actions"><button>\(t("people.save"))</button></div></form></details>
                <details class="card"\(errors["parentId"] == nil ? "" : " open" as HTML)><summary>\(t("orgs.move"))</summary>
                <form method="post" action="/admin/organisations/\(id)/move">\(request.csrfField)
                \(UI.field("parentCode", label: t("orgs.newParent"), hint: t("orgs.newParentHint"), error: errors["parentId"]))
                <div class="actions"><button>\(t("orgs.moveButton"))</button></div></form></details>
                """)
        }

        let childRows: [HTML] = children.map {
            "<li><a href=\"/admin/organisations/\($0.id!.uuidString.lowercased())\">\($0.name)</a> <span class=\"muted\">\(t("orgType.\($0.organisationType.rawValue)"))</span></li>"
        }
        let addChild: HTML = manages && OrganisationType.allCases.contains { $0.allowedParents.contains(organisation.organisationType) }
            ? "<p><a class=\"button secondary\" href=\"/admin/organisations/new?parent=\(id)\">\(t("orgs.newUnder", ["name": organisation.name]))</a></p>" : ""
        sections.append("<section class=\"card\"><h2>\(t.plural("orgs.children", children.count))</h2>\(childRows.isEmpty ? "" : "<ul class=\"tree\">\(childRows)</ul>" as HTML)\(addChild)</section>")

        // The capacity building unit, for ministries, departments and State departments.
        if [.ministry, .department, .stateDepartment, .organisation].contains(organisation.organisationType) {
            let unit = try await CapacityBuildingUnits.of(organisation.id!, on: request.db)
            let shown: HTML = unit.map { unit in
                let members: [HTML] = unit.members.map { "<li>\($0.name) <span class=\"muted\">\($0.email)</span></li>" }
                return """
                    <p>\(UI.badge(t("cbu.formed", ["date": Formats.date(IndiaDay.start(IndiaDay.parse(unit.formedOn) ?? 0), t)]), .success))</p>
                    <p>\(t("cbu.nodal")): \(unit.nodalOfficer.map { "\($0.name) (\($0.email))" } ?? "—")</p>
                    <h3>\(t.plural("cbu.members", unit.members.count))</h3><ul>\(members)</ul>
                    """
            } ?? "<p>\(UI.badge(t("cbu.notFormed"), .warning))</p>"
            let form: HTML = keepsPeople ? """
                <details\(errors.keys.contains { $0 == "formedOn" || $0.hasPrefix("memberEmails") || $0 == "nodalOfficerEmail" } ? " open" : "" as HTML)><summary>\(t(unit == nil ? "cbu.record" : "cbu.change"))</summary>
                <form method="post" action="/admin/organisations/\(id)/unit">\(request.csrfField)
                <div class="grid">
                \(UI.field("formedOn", label: t("cbu.formedOn"), type: "date", value: unit?.formedOn ?? "", error: errors["formedOn"], required: true))
                \(UI.field("nodalOfficerEmail", label: t("cbu.nodalEmail"), type: "email", value: unit?.nodalOfficer?.email ?? "", error: errors["nodalOfficerEmail"]))
                </div>
                <label for="members">\(t("cbu.memberEmails"))</label><span class="hint">\(t("cbu.memberHint"))</span>
                \(errors.filter { $0.key.hasPrefix("memberEmails") }.map { "<span class=\"field-error\">\($0.value)</span>" as HTML })
                <textarea id="members" name="memberEmails" rows="4">\((unit?.members.map(\.email) ?? []).joined(separator: "\n"))</textarea>
                <div class="actions"><button>\(t("cbu.save"))</button></div></form></details>
                """ : ""
            sections.append("<section class=\"card\"><h2>\(t("cbu.title"))</h2>\(shown)\(form)</section>")
        }
        return Layout.page(organisation.name, for: request, crumbs: crumbs(t, lineage + [.init(organisation.name)]), """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            \(sections)
            """)
    }

    @Sendable static func update(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(OrganisationForm.self)
        let id = try request.id(of: "organisation")
        return try await answer(request) {
            var strength: Int?
            if let text = form.sanctionedStrength?.trimmed, !text.isEmpty {
                guard let value = Int(text) else { throw Problem.invalid("sanctionedStrength", "must be a whole number") }
                strength = value
            }
            _ = try await Organisations.update(id, with: OrganisationPatch(name: form.name, code: form.code, districtCode: form.districtCode.flatMap(Int.init),
                                                                           sanctionedStrength: strength), by: principal, on: request.db)
            return request.catalogue("orgs.saved.changed")
        }
    }

    struct MoveForm: Content { var parentCode: String? }

    @Sendable static func move(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let code = try request.content.decode(MoveForm.self).parentCode?.trimmed ?? ""
        let id = try request.id(of: "organisation")
        return try await answer(request) {
            var parentID: UUID?
            if !code.isEmpty {
                guard let parent = try await Organisation.query(on: request.db).filter(\.$code == code).first(),
                      (try? await Organisations.visible(parent.id!, to: principal, on: request.db)) != nil
                else { throw Problem.invalid("parentId", request.catalogue("orgs.noSuchParent", ["code": code])) }
                parentID = parent.id
            }
            let moved = try await Organisations.move(id, under: parentID, by: principal, on: request.db)
            return request.catalogue("orgs.moved", ["name": moved.name])
        }
    }

    struct UnitForm: Content {
        var formedOn: String?
        var nodalOfficerEmail: String?
        var memberEmails: String?
    }

    @Sendable static func recordUnit(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(UnitForm.self)
        let id = try request.id(of: "organisation")
        return try await answer(request) {
            let emails = (form.memberEmails ?? "").split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == ";" }).map { String($0) }
            _ = try await CapacityBuildingUnits.record(.init(formedOn: form.formedOn ?? "", nodalOfficerEmail: form.nodalOfficerEmail, memberEmails: emails),
                                                       for: id, by: principal, on: request.db)
            return request.catalogue("cbu.saved")
        }
    }

    static func answer(_ request: Request, _ change: () async throws -> String) async throws -> Response {
        try await Layout.answer(request, change) { try await organisationPage(request, problem: $1, notice: $0) }
    }
}
