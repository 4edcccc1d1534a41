import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// States and ATIs on the portal: the dashboard of MoUs signed over time and ATIs onboarded, and a State's page with
/// its MoUs, its capacity building plan against what the platform counts, and its ATIs.
struct StatePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(StateController.root, use: Self.dashboard)
        routes.get(StateController.root, ":code", use: Self.show)
        routes.post(StateController.root, ":code", "mous", use: Self.addMoU)
        routes.post(StateController.root, ":code", "plan", use: Self.setPlan)
        routes.post(StateController.root, ":code", "atis", use: Self.addATI)
    }

    static func mouBadge(_ status: MoUStatus?, _ t: Catalogue) -> HTML {
        guard let status else { return UI.badge(t("states.noMoU")) }
        return UI.badge(t("states.mou.\(status.rawValue)"), status == .signed ? .success : status == .proposed ? .info : .warning)
    }

    static func atiBadge(_ status: ATIStatus, _ t: Catalogue) -> HTML {
        UI.badge(t("states.ati.\(status.rawValue)"), status == .publishing ? .success : status == .onboarded ? .info : .neutral)
    }

    @Sendable static func dashboard(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let overview = try await StatePartnerships.overview(for: principal, today: IndiaDay.of(request.application.clock.now()), on: request.db)
        let rows: [HTML] = overview.states.map { row in
            """
            <tr><td><a href="/states/\(row.stateCode)">\(row.stateName)</a></td><td>\(mouBadge(row.mouStatus, t))</td>\
            <td>\(AccreditationPages.day(row.signedOn, t))</td><td class="number">\(row.atisOnPlatform) / \(row.atis)</td></tr>
            """
        }
        let chart: HTML = overview.signedOverTime.isEmpty ? UI.empty(t("states.noneSigned"))
            : Charts.series(overview.signedOverTime.map { ($0.month, [Double($0.states)]) }, names: [t("states.signedCount")], title: t("states.overTime"))
        return Layout.page(t("states.title"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("states.title"))], """
            <p class="muted">\(t("states.intro"))</p>
            <div class="figures">\(UI.figure(t("states.inForce"), "\(overview.statesWithMoUInForce)"))\
            \(UI.figure(t("states.signed"), "\(overview.statesSigned)"))\
            \(UI.figure(t("states.atisOnPlatform"), "\(overview.atisOnPlatform) / \(overview.atis)"))</div>
            <h2>\(t("states.overTime"))</h2>
            \(chart)
            <h2>\(t("states.byState"))</h2>
            \(UI.table(t("states.byState"), head: [t("states.state"), t("states.mouStatus"), t("states.signedOn"), t("states.atis")], rows: rows,
                       empty: t("states.none"), numeric: [3]))
            """)
    }

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await page(request, notice: nil, problem: nil)
    }

    static func page(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let state = try StateController.state(request, principal)
        let code = state.code
        let national = principal.access.isNationalAdmin, keeper = StatePartnerships.keeps(code, principal)
        let year = KPIPeriod.financialYear(of: IndiaDay.of(request.application.clock.now()))
        var sections: [HTML] = []

        // MoUs.
        let mous = try await StatePartnerships.mous(of: code, on: request.db).map(MoUDTO.init)
        let mouRows: [HTML] = mous.map { mou in
            let documents: [HTML] = mou.documents.map { "<a href=\"\($0.url)\" rel=\"noopener\">\($0.title)</a>" }
            return """
                <tr><td>\(t("states.kind.\(mou.kind.rawValue)"))</td><td>\(mouBadge(mou.status, t))</td><td>\(AccreditationPages.day(mou.signedOn, t))</td>\
                <td>\(AccreditationPages.day(mou.validUntil, t))</td><td>\(documents.isEmpty ? "–" : HTML(unsafe: documents.map(\.markup).joined(separator: ", ")))</td></tr>
                """
        }
        var mouForm: HTML = ""
        if national {
            mouForm = """
                <form method="post" action="/states/\(code)/mous" class="card">\(request.csrfField)<h3>\(t("states.addMoU"))</h3>
                <label for="kind">\(t("states.kind"))</label><select id="kind" name="kind">\(UI.options(MoUKind.allCases.map { ($0.rawValue, t("states.kind.\($0.rawValue)")) }, chosen: nil))</select>
                <label for="status">\(t("states.mouStatus"))</label><select id="status" name="status">\(UI.options(MoUStatus.allCases.map { ($0.rawValue, t("states.mou.\($0.rawValue)")) }, chosen: "signed"))</select>
                \(UI.field("signedOn", label: t("states.signedOn"), type: "date"))
                \(UI.field("validUntil", label: t("states.validUntil"), type: "date", hint: t("states.validUntilHint")))
                \(UI.field("documentTitle", label: t("states.documentTitle")))
                \(UI.field("documentUrl", label: t("states.documentUrl"), type: "url"))
                <p><button>\(t("states.addMoU"))</button></p></form>
                """
        }
        sections.append("""
            <section aria-labelledby="mous"><h2 id="mous">\(t("states.mous"))</h2>
            \(UI.table(t("states.mous"), head: [t("states.kind"), t("states.mouStatus"), t("states.signedOn"), t("states.validUntil"), t("states.documents")],
                       rows: mouRows, empty: t("states.noMoUs")))\(mouForm)</section>
            """)

        // The plan, line by line against what the platform counts.
        let plan = try await StatePartnerships.plan(of: code, year: year, today: IndiaDay.of(request.application.clock.now()), on: request.db)
        func progress(_ done: Double, _ target: Int?) -> HTML {
            guard let target else { return "–" }
            return "\(Formats.number(done)) / \(Formats.number(target))"
        }
        let planRows: [HTML] = plan.targets.map { line in
            """
            <tr><td>\(line.name)</td><td class="number">\(progress(Double(line.onboarded), line.target.onboarded))</td>\
            <td class="number">\(progress(Double(line.completions), line.target.completions))</td><td class="number">\(progress(line.hours, line.target.hours))</td></tr>
            """
        }
        var planForm: HTML = ""
        if keeper {
            let departments = try await Organisations.ofState(code, type: .stateDepartment, on: request.db)
            let subjects: [(key: String, name: String, target: StatePlanTarget?)] =
                departments.map { department in ("o-\(department.id!.uuidString.lowercased())", department.name, plan.targets.first { $0.organisationId == department.id }?.target) }
                + Geography.reference.districts(inState: code).map { district in ("d-\(district.code)", district.name, plan.targets.first { $0.districtCode == district.code }?.target) }
            let inputs: [HTML] = subjects.map { subject in
                func cell(_ field: String, _ value: Int?) -> HTML {
                    "<td><input type=\"number\" min=\"0\" max=\"100000000\" name=\"targets[\(subject.key)][\(field)]\" value=\"\(value.map(String.init) ?? "")\" aria-label=\"\(subject.name): \(t("states.plan.\(field)"))\" class=\"narrow\"></td>"
                }
                return "<tr><td>\(subject.name)</td>\(cell("onboarded", subject.target?.onboarded))\(cell("completions", subject.target?.completions))\(cell("hours", subject.target?.hours))</tr>"
            }
            planForm = """
                <details class="card"><summary>\(t("states.editPlan"))</summary>
                <form method="post" action="/states/\(code)/plan">\(request.csrfField)<input type="hidden" name="year" value="\(year)">
                <p class="hint">\(t("states.planHint"))</p>
                \(UI.table(t("states.editPlan"), head: [t("states.planFor"), t("states.plan.onboarded"), t("states.plan.completions"), t("states.plan.hours")], rows: inputs, empty: ""))
                <p><button>\(t("states.savePlan"))</button></p></form></details>
                """
        }
        sections.append("""
            <section aria-labelledby="plan"><h2 id="plan">\(t("states.plan", ["year": year]))</h2>
            \(UI.table(t("states.plan", ["year": year]), head: [t("states.planFor"), t("states.plan.onboarded"), t("states.plan.completions"), t("states.plan.hours")],
                       rows: planRows, empty: t("states.noPlan"), numeric: [1, 2, 3]))\(planForm)</section>
            """)

        // ATIs.
        let atis = try await StatePartnerships.dtos(try await StatePartnerships.atis(for: principal, stateCode: code, on: request.db), on: request.db)
        let atiRows: [HTML] = atis.map { ati in
            """
            <tr><td>\(ati.name)</td><td>\(atiBadge(ati.status, t))</td><td class="number">\(Formats.number(ati.coursesPublished))</td>\
            <td class="number">\(Formats.number(ati.learnersReached))</td></tr>
            """
        }
        var atiForm: HTML = ""
        if keeper {
            let institutes = try await Organisations.ofState(code, type: .trainingInstitute, on: request.db)
            atiForm = """
                <form method="post" action="/states/\(code)/atis" class="card">\(request.csrfField)<h3>\(t("states.addATI"))</h3>
                \(UI.field("name", label: t("states.atiName"), required: true))
                <label for="organisationId">\(t("states.atiOrganisation"))</label>
                <select id="organisationId" name="organisationId">\(UI.options([("", t("states.atiNotYet"))] + institutes.map { ($0.id!.uuidString.lowercased(), $0.name) }, chosen: ""))</select>
                <p><button>\(t("states.addATI"))</button></p></form>
                """
        }
        sections.append("""
            <section aria-labelledby="atis"><h2 id="atis">\(t("states.atis"))</h2>
            \(UI.table(t("states.atis"), head: [t("states.atiName"), t("states.atiStatus"), t("states.coursesPublished"), t("states.learnersReached")],
                       rows: atiRows, empty: t("states.noATIs"), numeric: [2, 3]))\(atiForm)</section>
            """)

        return Layout.page(state.name, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("states.title"), "/states"), UI.Crumb(state.name)], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            \(sections)
            """)
    }

    struct Form: Content {
        var kind: String?
        var status: String?
        var signedOn: String?
        var validUntil: String?
        var documentTitle: String?
        var documentUrl: String?
        var year: String?
        var targets: [String: [String: String]]?
        var name: String?
        var organisationId: String?
    }

    static func answer(_ request: Request, _ change: @escaping (Principal, Form, Int, Date) async throws -> String) async throws -> Response {
        let principal = try request.pagePrincipal()
        let code = try StateController.state(request, principal).code
        let form = try request.content.decode(Form.self)
        return try await Layout.answer(request, {
            try await change(principal, form, code, request.application.clock.now())
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem) })
    }

    /// An empty field is left out; anything else is sent as it is, for the rules to judge.
    static func given(_ text: String?) -> String? { text?.trimmed.nilIfEmpty }

    @Sendable static func addMoU(_ request: Request) async throws -> Response {
        try await answer(request) { principal, form, code, now in
            var documents: [MoUDocument] = []
            if given(form.documentTitle) != nil || given(form.documentUrl) != nil {
                documents.append(MoUDocument(title: given(form.documentTitle) ?? "", url: given(form.documentUrl) ?? ""))
            }
            let input = MoUInput(kind: form.kind.flatMap(MoUKind.init(rawValue:)), status: form.status.flatMap(MoUStatus.init(rawValue:)),
                                 signedOn: given(form.signedOn), validUntil: given(form.validUntil), documents: documents)
            _ = try await StatePartnerships.record(input, for: code, by: principal, now: now, on: request.db)
            return request.catalogue("states.mouAdded")
        }
    }

    /// Each row of the form is a department ("o-<id>") or a district ("d-<code>"); rows left empty are no target.
    @Sendable static func setPlan(_ request: Request) async throws -> Response {
        try await answer(request) { principal, form, code, now in
            var targets: [StatePlanTarget] = []
            for (key, fields) in (form.targets ?? [:]).sorted(by: { $0.key < $1.key }) {
                func number(_ name: String) -> Int? { given(fields[name]).map { Int($0) ?? -1 } }
                var target = StatePlanTarget(onboarded: number("onboarded"), completions: number("completions"), hours: number("hours"))
                guard target.onboarded != nil || target.completions != nil || target.hours != nil else { continue }
                if key.hasPrefix("o-") { target.organisationId = UUIDText.parse(String(key.dropFirst(2))) ?? UUID() }
                else { target.districtCode = Int(key.dropFirst(2)) ?? 0 }
                targets.append(target)
            }
            _ = try await StatePartnerships.setPlan(StatePlanInput(year: form.year, targets: targets), for: code, by: principal, now: now, on: request.db)
            return request.catalogue("states.planSaved")
        }
    }

    @Sendable static func addATI(_ request: Request) async throws -> Response {
        try await answer(request) { principal, form, code, now in
            let organisation = given(form.organisationId).map { UUIDText.parse($0) ?? UUID() }
            _ = try await StatePartnerships.add(ATIInput(stateCode: code, name: form.name, organisationId: organisation), by: principal, now: now, on: request.db)
            return request.catalogue("states.atiAdded")
        }
    }
}
