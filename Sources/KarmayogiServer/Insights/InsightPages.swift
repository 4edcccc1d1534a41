import Foundation
import Fluent
import KarmayogiCore
import Vapor

/// Dashboards for the nation, a State, a district or an organisation, the KPI scorecard, and report downloads.
struct InsightPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("insights", use: Self.dashboard)
        routes.get("insights", "scorecard", use: Self.scorecard)
        routes.get("insights", "kpis", ":key", use: Self.kpi)
        routes.post("insights", "kpis", ":key", use: Self.recordKPI)
        for kind in Reports.Kind.allCases {
            routes.get("insights", "reports", "\(kind.rawValue).csv") { try await Reports.response(kind, $0) }
        }
    }

    /// The scope a person sees first (`Insights.homeScope`).
    static func home(of principal: Principal, on request: Request) throws -> String {
        guard let scope = Insights.homeScope(of: principal) else { throw Problem(.forbidden, request.catalogue("insights.forbidden")) }
        return scope
    }

    /// Where a scope sits: nation › State › district › organisation (with its parents), each a link where the reader may look.
    /// `current`: the scope is the page itself (its last crumb); a page about something in the scope links it too.
    static func crumbs(of scope: InsightScope, name: String, principal: Principal, request: Request, page: String = "/insights",
                       current: Bool = true) async throws -> [UI.Crumb] {
        let t = request.catalogue
        let reach = principal.access.reach(of: .viewInsights)
        let geography = Geography.reference
        func link(_ scope: InsightScope, _ label: String, _ allowed: Bool) -> UI.Crumb { .init(label, allowed ? "\(page)?scope=\(scope.text)" : nil) }
        var crumbs: [UI.Crumb] = [link(.nation, t("insights.india"), reach.everything)]
        func state(_ code: Int?) {
            guard let code, let state = geography.state(code: code) else { return }
            crumbs.append(link(.state(code), state.name, reach.everything || reach.stateCodes.contains(code)))
        }
        func district(_ code: Int?) {
            guard let code, let district = geography.district(code: code) else { return }
            crumbs.append(link(.district(code), district.name, reach.everything || reach.stateCodes.contains(district.stateCode)))
        }
        switch scope {
        case .nation: break
        case .state(let code): state(code)
        case .district(let code):
            state(geography.district(code: code)?.stateCode)
            district(code)
        case .organisation(let id):
            guard let organisation = try await Organisation.find(id, on: request.db) else { break }
            state(organisation.stateCode)
            district(organisation.districtCode)
            let ancestors = organisation.path.split(separator: "/").compactMap { UUIDText.parse(String($0)) }.filter { $0 != id }
            let parents = try await Organisation.query(on: request.db).filter(\.$id ~~ ancestors).all()
            for parent in ancestors.compactMap({ id in parents.first { $0.id == id } }) {
                crumbs.append(link(.organisation(parent.id!), parent.name, principal.access.allows(.viewInsights, on: parent.placement)))
            }
        }
        if scope != .nation { crumbs.append(.init(name, current ? nil : "\(page)?scope=\(scope.text)")) } else if current { crumbs[0] = .init(t("insights.india")) }
        return crumbs
    }

    /// A share as a figure: "64.2 %", and over 100 % shown as it is with what to check, never as good news.
    static func share(_ fraction: Double?, cause: String, _ t: Catalogue) -> HTML {
        guard let fraction else { return "—" }
        let text = "\(Formats.tenths(fraction * 100)) %"
        guard fraction > 1 else { return HTML(stringLiteral: HTML.escape(text)) }
        return "\(text) \(UI.badge(t("kpi.check"), .danger))<span class=\"hint\">\(cause)</span>"
    }

    @Sendable static func dashboard(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let text = try request.query[String.self, at: "scope"] ?? home(of: principal, on: request)
        let (scope, name) = try await Insights.scope(text, for: principal, on: request.reads)
        let (from, to) = try InsightController.period(request)
        let interval: SeriesInterval = to - from <= 62 ? .day : to - from <= 366 ? .week : .month
        let summary = try await Insights.summary(of: scope, named: name, from: from, to: to, interval: interval, app: request.application, on: request.reads)
        func figure(_ key: String, _ value: HTML) -> HTML { UI.figure(t(key), value) }
        func count(_ value: Int) -> HTML { HTML(stringLiteral: Formats.number(value)) }
        var figures: [HTML] = [
            figure("insights.registered", count(summary.registeredUsers)),
            figure("insights.onboarded", share(summary.onboardedShare, cause: t("kpi.cause.onboarded_share"), t)),
        ]
        if let elsewhere = summary.postedFromElsewhere { figures.append(figure("insights.postedFromElsewhere", count(elsewhere))) }
        figures += [
            figure("insights.active7", count(summary.activeLearners7)),
            figure("insights.active30", count(summary.activeLearners30)),
            figure("insights.enrolments", count(summary.enrolments)),
            figure("insights.completions", count(summary.completions)),
            figure("insights.completionRate", share(summary.completionRate, cause: t("kpi.cause.completion_rate"), t)),
            figure("insights.hours", HTML(stringLiteral: Formats.number(Int(summary.learningHours.rounded())))),
            figure("insights.certificates", count(summary.certificates)),
        ]
        let series = Charts.series(summary.series.map { ($0.start, [Double($0.enrolments), Double($0.completions)]) },
                                   names: [t("insights.enrolments"), t("insights.completions")], title: t("insights.overTime"))
        let period = "&from=\(IndiaDay.string(from))&to=\(IndiaDay.string(to))"
        // Each kind of child in a table of its own: States, ministries, districts, organisations.
        var breakdown: [HTML] = []
        for kind in ["state", "ministry", "district", "organisation"] {
            let children = summary.breakdown.filter { $0.kind == kind }.sorted { ($0.enrolments, $1.name) > ($1.enrolments, $0.name) }
            guard !children.isEmpty else { continue }
            let title = t("insights.by.\(kind)")
            let rows: [HTML] = children.map { child in
                "<tr><td><a href=\"/insights?scope=\(child.scope)\(period)\">\(child.name)</a></td>"
                    + "<td class=\"number\">\(Formats.number(child.registeredUsers))</td><td class=\"number\">\(Formats.number(child.activeLearners30))</td>"
                    + "<td class=\"number\">\(Formats.number(child.enrolments))</td><td class=\"number\">\(Formats.number(child.completions))</td>"
                    + "<td class=\"number\">\(Formats.number(Int(child.learningHours.rounded())))</td></tr>"
            }
            let active = children.filter { $0.enrolments > 0 }.prefix(15)
            breakdown.append("""
                <section class="card"><h2>\(title)</h2>
                \(active.isEmpty ? "" : Charts.bars(active.map { ($0.name, Double($0.enrolments)) }, title: t("insights.enrolmentsBy", ["what": title])))
                \(UI.table(title, head: [t("insights.name"), t("insights.registered"), t("insights.active30"), t("insights.enrolments"), t("insights.completions"), t("insights.hours")],
                           rows: rows, empty: t("insights.none"), numeric: [1, 2, 3, 4, 5]))
                </section>
                """)
        }
        func top(_ area: String, _ courses: [SummaryDTO.TopCourse]) -> HTML {
            let items: [HTML] = courses.map { "<li><a href=\"/courses/\($0.courseId.uuidString.lowercased())\">\($0.title)</a> · \(t.plural("insights.completionCount", $0.completions))</li>" }
            return "<div class=\"card\"><h3>\(t("area.\(area)"))</h3>\(courses.isEmpty ? HTML("<p class=\"muted\">\(t("insights.none"))</p>") : "<ol>\(items)</ol>")</div>"
        }
        let reports: [HTML] = Reports.Kind.allCases.filter { $0 != .planCompliance }.map { kind in
            "<li><a href=\"/insights/reports/\(kind.rawValue).csv?scope=\(scope.text)\">\(t("report.\(kind.rawValue)"))</a></li>"
        }
        return Layout.page(t("insights.title", ["name": name]), for: request,
                           crumbs: try await crumbs(of: scope, name: name, principal: principal, request: request), """
            <form method="get" action="/insights" class="card search">
            <input type="hidden" name="scope" value="\(scope.text)">
            <div><label for="from">\(t("insights.from"))</label><input type="date" id="from" name="from" value="\(IndiaDay.string(from))"></div>
            <div><label for="to">\(t("insights.to"))</label><input type="date" id="to" name="to" value="\(IndiaDay.string(to))"></div>
            <button>\(t("insights.show"))</button>
            </form>
            <p class="actions"><a class="button secondary" href="/insights/scorecard?scope=\(scope.text)">\(t("scorecard.title"))</a></p>
            <div class="figures">\(figures)</div>
            <section class="card"><h2>\(t("insights.overTime"))</h2>\(series)</section>
            <h2>\(t("insights.topCourses"))</h2>
            <div class="grid">\(top("behavioural", summary.topCourses.behavioural))\(top("functional", summary.topCourses.functional))\(top("domain", summary.topCourses.domain))</div>
            \(breakdown)
            <h2>\(t("insights.reports"))</h2><ul>\(reports)</ul>
            """)
    }

    /// A KPI's value in its unit, in the reader's language: "64.2 %", "2 plans", "Yes", "3.5 hours".
    static func kpiValue(_ value: Double, unit: String, _ t: Catalogue) -> String {
        switch unit {
        case "percent": "\(Formats.tenths(value)) %"
        case "yes/no": t(value >= 1 ? "kpi.yes" : "kpi.no")
        case "plans": t.plural("kpi.plans", Int(value.rounded()))
        case "hours": t("kpi.hours", ["count": Formats.tenths(value)])
        default: "\(Formats.tenths(value)) \(t.translated("kpi.unit.\(unit)", else: unit))"
        }
    }

    @Sendable static func scorecard(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let text = try request.query[String.self, at: "scope"] ?? home(of: principal, on: request)
        let (scope, name) = try await Insights.scope(text, for: principal, on: request.db)
        let card = try await Scorecards.scorecard(for: scope, named: name, app: request.application, on: request.db)
        let recordsHere = try await Scorecards.recordsKPIs(of: scope, principal: principal, on: request.db)
        let kpis: [HTML] = card.items.map { item in
            let name = t.translated("kpi.\(item.key).name", else: item.name), definition = t.translated("kpi.\(item.key).definition", else: item.definition)
            let tone: UI.Tone = switch item.status { case .green: .success; case .amber: .warning; case .red, .check: .danger; case .none: .neutral }
            let warning: HTML = item.status == .check ? "<p class=\"alert\">\(t("kpi.cause.\(item.measure.rawValue)"))</p>" : ""
            let recorded: HTML = item.recordedAt.map { "<p class=\"muted\">\(t("kpi.recordedOn", ["date": Formats.date($0, t)]))\(item.note.map { " · \($0)" } ?? "")</p>" } ?? ""
            let record: HTML = item.measure == .manual && (principal.access.isNationalAdmin || recordsHere && item.area != .commission && item.area != .platformHealth)
                ? "<a href=\"/insights/kpis/\(item.key)?scope=\(scope.text)\">\(t(item.value == nil ? "kpi.record" : "kpi.recordAgain"))</a>" : ""
            return """
                <li class="card kpi"><div class="kpi-head">\(UI.badge(t("kpi.\(item.status.rawValue)"), tone))<span class="muted">\(t("kpi.area.\(item.area.rawValue)"))</span></div>
                <h3>\(name)</h3>
                <p class="kpi-figures"><span><span class="muted">\(t("kpi.value"))</span> <strong>\(item.value.map { kpiValue($0, unit: item.unit, t) } ?? "—")</strong></span>\
                <span><span class="muted">\(t("kpi.target"))</span> \(kpiValue(item.target, unit: item.unit, t))</span></p>
                \(warning)<p class="muted">\(definition)</p>\(recorded)\(record)</li>
                """
        }
        // Each competency once: its theme with the sub-themes no course covers.
        var themes: [(area: CompetencyArea, theme: String, subThemes: [String])] = []
        for competency in card.competenciesWithoutCourses {
            if let last = themes.last, last.area == competency.area, last.theme == competency.theme {
                themes[themes.count - 1].subThemes += [competency.subTheme].compactMap { $0 }
            } else {
                themes.append((competency.area, competency.theme, [competency.subTheme].compactMap { $0 }))
            }
        }
        let missing: [HTML] = themes.map { theme in
            let parts = theme.subThemes.isEmpty ? "" : ": " + theme.subThemes.joined(separator: ", ")
            return "<li><strong>\(theme.theme)</strong> <span class=\"muted\">(\(t("area.\(theme.area.rawValue)")))</span>\(parts)</li>"
        }
        let elsewhere: HTML = card.postedFromElsewhere.map { "<p class=\"notice\">\(t.plural("scorecard.postedFromElsewhere", $0))</p>" } ?? ""
        return Layout.page(t("scorecard.heading", ["name": name]), for: request,
                           crumbs: try await crumbs(of: scope, name: name, principal: principal, request: request, page: "/insights/scorecard"), """
            <p class="actions"><a class="button secondary" href="/insights?scope=\(scope.text)">\(t("insights.back"))</a></p>
            \(elsewhere)
            <ul class="kpis">\(kpis)</ul>
            \(missing.isEmpty ? HTML("") : "<section class=\"card\"><h2>\(t.plural("scorecard.uncoveredThemes", themes.count))</h2><ul>\(missing)</ul></section>")
            """)
    }

    // MARK: - Recording a KPI's value

    struct KPIForm: Content {
        var value: String?
        var period: String?
        var evidence: String?
        var note: String?
    }

    @Sendable static func kpi(_ request: Request) async throws -> HTML {
        try await kpiPage(request, form: nil, problem: nil, recorded: false)
    }

    /// A recorded KPI: its definition, the form for a new value (value, period, evidence, note) for those who keep it,
    /// and every value recorded before, with who and when.
    static func kpiPage(_ request: Request, form: KPIForm?, problem: Problem?, recorded: Bool) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let (scope, name) = try await Insights.scope(request.query[String.self, at: "scope"], for: principal, on: request.db)
        guard let key = request.parameters.get("key"), let record = try await KPIRecord.find(key, on: request.db), record.definition.measure == .manual,
              record.definition.appliesTo.contains(Scorecards.kind(of: scope))
        else { throw Problem.notFound("KPI") }
        let definition = record.definition
        let title = t.translated("kpi.\(key).name", else: definition.name)
        let recordsHere = try await Scorecards.recordsKPIs(of: scope, principal: principal, on: request.db)
        let keeps = principal.access.isNationalAdmin || recordsHere && definition.area != .commission && definition.area != .platformHealth && scope != .nation
        let history = try await Scorecards.history(of: key, in: scope, on: request.db)
        let rows: [HTML] = history.map { input in
            "<tr><td>\(kpiValue(input.value, unit: definition.unit, t))</td><td>\(input.period ?? "—")</td><td>\(input.evidence ?? "—")</td>"
                + "<td>\(input.note ?? "")</td><td>\(input.recordedBy)</td><td>\(Formats.moment(input.recordedAt, t))</td></tr>"
        }
        let today = IndiaDay.of(Date())
        let errors = Dictionary(problem?.errors.map { ($0.field, $0.reason) } ?? [], uniquingKeysWith: { first, _ in first })
        let valueHint = definition.unit == "yes/no" ? t("kpi.valueHint.yesno") : definition.unit == "percent" ? t("kpi.valueHint.percent") : nil
        let formHTML: HTML = keeps ? """
            <form method="post" action="/insights/kpis/\(key)?scope=\(scope.text)" class="card">\(request.csrfField)
            <h2>\(t("kpi.record"))</h2>
            <div class="grid">
            \(UI.field("value", label: t("kpi.value"), type: "number", value: form?.value ?? "", hint: valueHint, error: errors["value"], required: true, step: "any"))
            \(UI.field("period", label: t("kpi.period"), value: form?.period ?? KPIPeriod.month(of: today),
                       hint: t("kpi.periodHint", ["month": KPIPeriod.month(of: today), "year": KPIPeriod.financialYear(of: today)]), error: errors["period"], required: true))
            \(UI.field("evidence", label: t("kpi.evidence"), value: form?.evidence ?? "", hint: t("kpi.evidenceHint"), error: errors["evidence"]))
            </div>
            <label for="note">\(t("kpi.note"))</label><textarea id="note" name="note" maxlength="1000">\(form?.note ?? "")</textarea>
            <div class="actions"><button>\(t("kpi.recordButton"))</button></div>
            </form>
            """ : ""
        return Layout.page(title, for: request, crumbs: try await crumbs(of: scope, name: name, principal: principal, request: request, page: "/insights/scorecard",
                                                                                     current: false) + [.init(title)], """
            \(recorded ? "<p class=\"notice success\" role=\"status\">\(t("kpi.recorded"))</p>" as HTML : "")
            \(Layout.problem(problem, t))
            <p>\(t.translated("kpi.\(key).definition", else: definition.definition))</p>
            <p class="muted">\(t("kpi.target")): \(kpiValue(definition.target, unit: definition.unit, t))</p>
            \(formHTML)
            <h2>\(t("kpi.history"))</h2>
            \(UI.table(t("kpi.history"), head: [t("kpi.value"), t("kpi.period"), t("kpi.evidence"), t("kpi.note"), t("people.by"), t("people.when")],
                       rows: rows, empty: t("kpi.noHistory")))
            """)
    }

    @Sendable static func recordKPI(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(KPIForm.self)
        let key = request.parameters.get("key") ?? ""
        do {
            guard let text = form.value?.trimmed, let value = Double(text) else { throw Problem.invalid("value", "must be a number, 0 or more") }
            let input = KPIInput(scope: request.query[String.self, at: "scope"] ?? "nation", value: value, period: form.period ?? "",
                                 evidence: form.evidence, note: form.note)
            try await Scorecards.record(input, for: key, by: principal, on: request.db)
            return try await kpiPage(request, form: nil, problem: nil, recorded: true).encodeResponse(for: request)
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await kpiPage(request, form: form, problem: problem, recorded: false) }
        }
    }
}
