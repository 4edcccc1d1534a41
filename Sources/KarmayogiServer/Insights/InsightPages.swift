import Foundation
import KarmayogiCore
import Vapor

/// Dashboards for the nation, a State, a district or an organisation, the KPI scorecard, and report downloads.
struct InsightPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("insights", use: Self.dashboard)
        routes.get("insights", "scorecard", use: Self.scorecard)
        for kind in Reports.Kind.allCases {
            routes.get("insights", "reports", "\(kind.rawValue).csv") { try await Reports.response(kind, $0) }
        }
    }

    /// The scope a person sees first: the nation for national admins, their State for State admins, else their first organisation.
    static func home(of principal: Principal, on request: Request) throws -> String {
        let reach = principal.access.reach(of: .viewInsights)
        if reach.everything { return "nation" }
        if let state = reach.stateCodes.sorted().first { return "state:\(state)" }
        if let path = reach.organisationPaths.sorted(by: { $0.count < $1.count }).first,
           let id = path.split(separator: "/").last.flatMap({ UUID(uuidString: String($0)) }) {
            return "org:\(id.uuidString.lowercased())"
        }
        throw Problem(.forbidden, request.catalogue("insights.forbidden"))
    }

    @Sendable static func dashboard(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let text = try request.query[String.self, at: "scope"] ?? home(of: principal, on: request)
        let (scope, name) = try await Insights.scope(text, for: principal, on: request.db)
        let (from, to) = try InsightController.period(request)
        let interval: SeriesInterval = to - from <= 62 ? .day : to - from <= 366 ? .week : .month
        let summary = try await Insights.summary(of: scope, named: name, from: from, to: to, interval: interval, app: request.application, on: request.db)
        func figure(_ key: String, _ value: String) -> HTML { "<div class=\"card\"><div class=\"muted\">\(t(key))</div><div class=\"figure\">\(value)</div></div>" }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f %%", $0 * 100) } ?? "—" }
        let figures: [HTML] = [
            figure("insights.registered", Formats.number(Double(summary.registeredUsers))),
            figure("insights.onboarded", percent(summary.onboardedShare)),
            figure("insights.active7", Formats.number(Double(summary.activeLearners7))),
            figure("insights.active30", Formats.number(Double(summary.activeLearners30))),
            figure("insights.enrolments", Formats.number(Double(summary.enrolments))),
            figure("insights.completions", Formats.number(Double(summary.completions))),
            figure("insights.completionRate", percent(summary.completionRate)),
            figure("insights.hours", Formats.number(summary.learningHours.rounded())),
            figure("insights.certificates", Formats.number(Double(summary.certificates))),
        ]
        let series = Charts.series(summary.series.map { ($0.start, [Double($0.enrolments), Double($0.completions)]) },
                                   names: [t("insights.enrolments"), t("insights.completions")], title: t("insights.overTime"))
        let children = summary.breakdown.sorted { $0.enrolments > $1.enrolments }
        let bars = children.isEmpty ? HTML("") : Charts.bars(children.prefix(15).map { ($0.name, Double($0.enrolments)) }, title: t("insights.byChild"))
        let rows: [HTML] = children.map { child in
            "<tr><td><a href=\"/insights?scope=\(child.scope)&from=\(IndiaDay.string(from))&to=\(IndiaDay.string(to))\">\(child.name)</a></td><td>\(t("insights.kind.\(child.kind)"))</td>"
                + "<td>\(Formats.number(Double(child.registeredUsers)))</td><td>\(Formats.number(Double(child.activeLearners30)))</td>"
                + "<td>\(Formats.number(Double(child.enrolments)))</td><td>\(Formats.number(Double(child.completions)))</td><td>\(Formats.number(child.learningHours.rounded()))</td></tr>"
        }
        func top(_ area: String, _ courses: [SummaryDTO.TopCourse]) -> HTML {
            let items: [HTML] = courses.map { "<li><a href=\"/courses/\($0.courseId.uuidString.lowercased())\">\($0.title)</a> · \(Formats.number(Double($0.completions)))</li>" }
            return "<div class=\"card\"><h3>\(t("area.\(area)"))</h3>\(courses.isEmpty ? HTML("<p class=\"muted\">\(t("insights.none"))</p>") : "<ol>\(items)</ol>")</div>"
        }
        let reports: [HTML] = Reports.Kind.allCases.filter { $0 != .planCompliance }.map { kind in
            "<li><a href=\"/insights/reports/\(kind.rawValue).csv?scope=\(scope.text)\">\(t("report.\(kind.rawValue)"))</a></li>"
        }
        return Layout.page(t("insights.title", ["name": name]), for: request, """
            <form method="get" action="/insights" class="card">
            <input type="hidden" name="scope" value="\(scope.text)">
            <label for="from">\(t("insights.from"))</label><input type="date" id="from" name="from" value="\(IndiaDay.string(from))">
            <label for="to">\(t("insights.to"))</label><input type="date" id="to" name="to" value="\(IndiaDay.string(to))">
            <button>\(t("insights.show"))</button>
            <a href="/insights/scorecard?scope=\(scope.text)">\(t("scorecard.title"))</a>
            </form>
            <div class="grid">\(figures)</div>
            <h2>\(t("insights.overTime"))</h2>\(series)
            <h2>\(t("insights.topCourses"))</h2>
            <div class="grid">\(top("behavioural", summary.topCourses.behavioural))\(top("functional", summary.topCourses.functional))\(top("domain", summary.topCourses.domain))</div>
            \(children.isEmpty ? HTML("") : """
            <h2>\(t("insights.byChild"))</h2>\(bars)
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("insights.name"))</th><th>\(t("insights.kind"))</th><th>\(t("insights.registered"))</th><th>\(t("insights.active30"))</th>
            <th>\(t("insights.enrolments"))</th><th>\(t("insights.completions"))</th><th>\(t("insights.hours"))</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """)
            <h2>\(t("insights.reports"))</h2><ul>\(reports)</ul>
            """)
    }

    @Sendable static func scorecard(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let text = try request.query[String.self, at: "scope"] ?? home(of: principal, on: request)
        let (scope, name) = try await Insights.scope(text, for: principal, on: request.db)
        let card = try await Scorecards.scorecard(for: scope, named: name, app: request.application, on: request.db)
        let rows: [HTML] = card.items.map { item in
            let value = item.value.map { Formats.number(($0 * 10).rounded() / 10) } ?? "—"
            let name = t.translated("kpi.\(item.key).name", else: item.name), definition = t.translated("kpi.\(item.key).definition", else: item.definition)
            let unit = t.translated("kpi.unit.\(item.unit)", else: item.unit)
            return "<tr><td><span class=\"status \(item.status.rawValue)\">\(t("kpi.\(item.status.rawValue)"))</span></td><td><strong>\(name)</strong><br><span class=\"muted\">\(definition)</span>"
                + "\(item.note.map { HTML("<br><em>\($0)</em>") } ?? "")</td><td>\(t("kpi.area.\(item.area.rawValue)"))</td><td>\(value) \(unit)</td><td>\(Formats.number(item.target)) \(unit)</td></tr>"
        }
        let missing: [HTML] = card.competenciesWithoutCourses.prefix(200).map { "<li>\($0.theme) <span class=\"muted\">(\(t("area.\($0.area.rawValue)")))</span></li>" }
        return Layout.page(t("scorecard.heading", ["name": name]), for: request, """
            <p><a href="/insights?scope=\(scope.text)">\(t("insights.back"))</a></p>
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("kpi.status"))</th><th>\(t("kpi.name"))</th><th>\(t("kpi.area"))</th><th>\(t("kpi.value"))</th><th>\(t("kpi.target"))</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            \(missing.isEmpty ? HTML("") : "<h2>\(t("scorecard.uncovered", ["count": String(card.competenciesWithoutCourses.count)]))</h2><ul>\(missing)</ul>")
            """)
    }
}
