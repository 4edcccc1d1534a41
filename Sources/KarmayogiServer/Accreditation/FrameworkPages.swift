import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The accreditation framework on the portal: everyone signed in reads the current version; a national admin changes
/// it by publishing the next one from a form holding the current one (a row per metric, with its pillar; empty rows add).
struct FrameworkPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("accreditation", "framework", use: Self.show)
        routes.post("accreditation", "framework", use: Self.publish)
    }

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await page(request, notice: nil, problem: nil)
    }

    static func page(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        guard let current = try await Accreditations.frameworks(on: request.db).first else { throw Problem.notFound("framework") }
        let framework = current.framework
        let pillars: [HTML] = framework.pillars.map { pillar in
            let rows: [HTML] = pillar.metrics.map { "<tr><td>\($0.title)</td><td class=\"number\">\($0.maxScore)</td><td>\($0.figure.map { t("accreditation.figureName.\($0.rawValue)") } ?? "")</td></tr>" }
            return "<h3>\(pillar.title)</h3>\(UI.table(pillar.title, head: [t("accreditation.metric"), t("accreditation.max"), t("accreditation.figureHead")], rows: rows, empty: "", numeric: [1]))"
        }
        let bands: [HTML] = framework.bands.sorted { $0.stars > $1.stars }.map { "<li>\(t.plural("accreditation.stars", $0.stars)): \(Formats.number($0.minimumPercent)) %</li>" }
        var form: HTML = ""
        if principal.access.isNationalAdmin {
            let lines = framework.pillars.flatMap { pillar in pillar.metrics.map { (pillar, Optional($0)) } } + Array(repeating: (AccreditationFramework.Pillar(key: "", title: "", metrics: []), nil), count: 3)
            let rows: [HTML] = lines.enumerated().map { index, line in
                let (pillar, metric) = line
                func cell(_ name: String, _ value: String, _ label: String, type: String = "text") -> HTML {
                    "<td><input type=\"\(type)\" name=\"rows[\(index)][\(name)]\" value=\"\(value)\" aria-label=\"\(label) \(index + 1)\"\(type == "number" ? " class=\"narrow\" min=\"1\" max=\"1000\"" : "" as HTML)></td>"
                }
                let figure = "<td><select name=\"rows[\(index)][figure]\" aria-label=\"\(t("accreditation.figureHead")) \(index + 1)\">\(UI.options([("", "–")] + AccreditationFramework.Figure.allCases.map { ($0.rawValue, t("accreditation.figureName.\($0.rawValue)")) }, chosen: metric?.figure?.rawValue ?? ""))</select></td>" as HTML
                return "<tr>\(cell("pillarKey", pillar.key, t("accreditation.pillarKey")))\(cell("pillarTitle", pillar.title, t("accreditation.pillar")))\(cell("key", metric?.key ?? "", t("accreditation.metricKey")))\(cell("title", metric?.title ?? "", t("accreditation.metric")))\(cell("maxScore", metric.map { String($0.maxScore) } ?? "", t("accreditation.max"), type: "number"))\(figure)</tr>"
            }
            let bandInputs: [HTML] = (1...5).reversed().map { stars in
                let value = framework.bands.first { $0.stars == stars }.map { Formats.number($0.minimumPercent) } ?? ""
                return "<label for=\"band-\(stars)\">\(t.plural("accreditation.stars", stars)) (%)</label><input type=\"number\" id=\"band-\(stars)\" name=\"bands[\(stars)]\" min=\"0\" max=\"100\" step=\"0.1\" value=\"\(value)\" class=\"narrow\">"
            }
            form = """
                <form method="post" action="/accreditation/framework" class="card">\(request.csrfField)<h2 class="h3">\(t("accreditation.nextVersion", ["version": String(current.version + 1)]))</h2>
                <p class="hint">\(t("accreditation.frameworkHint"))</p>
                \(UI.table(t("accreditation.metrics"), head: [t("accreditation.pillarKey"), t("accreditation.pillar"), t("accreditation.metricKey"), t("accreditation.metric"), t("accreditation.max"), t("accreditation.figureHead")], rows: rows, empty: ""))
                <label for="questions">\(t("accreditation.profile"))</label><span class="hint" id="questions-hint">\(t("accreditation.questionsHint"))</span>
                <textarea id="questions" name="questions" rows="5" aria-describedby="questions-hint">\(framework.profileQuestions.joined(separator: "\n"))</textarea>
                <fieldset><legend>\(t("accreditation.bands"))</legend>\(bandInputs)</fieldset>
                <label for="validity">\(t("accreditation.validityYears"))</label><input type="number" id="validity" name="validityYears" min="1" max="10" value="\(framework.validityYears)" class="narrow">
                <p><button>\(t("accreditation.publishVersion"))</button></p></form>
                """
        }
        let title = t("accreditation.frameworkTitle", ["version": String(current.version)])
        return Layout.page(title, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("accreditation.title"), "/accreditation"), UI.Crumb(title)], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            <p class="muted">\(t("accreditation.frameworkIntro", ["total": String(current.maximumTotal), "years": String(framework.validityYears)]))</p>
            \(pillars)
            <h2>\(t("accreditation.bands"))</h2><ul>\(bands)</ul>
            <h2>\(t("accreditation.profile"))</h2><ol>\(framework.profileQuestions.map { "<li>\($0)</li>" as HTML })</ol>
            \(form)
            """)
    }

    struct Form: Content {
        var rows: [String: [String: String]]?
        var questions: String?
        var bands: [String: String]?
        var validityYears: String?
    }

    /// Rows left empty are dropped; rows of the same pillar key make one pillar, in the order they first appear.
    @Sendable static func publish(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        return try await Layout.answer(request, {
            var pillars: [AccreditationFramework.Pillar] = []
            let rows = (form.rows ?? [:]).compactMap { key, row in Int(key).map { ($0, row) } }.sorted { $0.0 < $1.0 }.map(\.1)
            for row in rows {
                let field = { (name: String) in (row[name] ?? "").trimmed }
                if ["pillarKey", "pillarTitle", "key", "title", "maxScore"].allSatisfy({ field($0).isEmpty }) { continue }
                let metric = AccreditationFramework.Metric(key: field("key"), title: field("title"), maxScore: Int(field("maxScore")) ?? 0,
                                                           figure: AccreditationFramework.Figure(rawValue: field("figure")))
                if let index = pillars.firstIndex(where: { $0.key == field("pillarKey") }) { pillars[index].metrics.append(metric) }
                else { pillars.append(.init(key: field("pillarKey"), title: field("pillarTitle"), metrics: [metric])) }
            }
            // No star starts at nothing; the form asks for the other five.
            let bands = [AccreditationFramework.Band(stars: 0, minimumPercent: 0)] + (form.bands ?? [:]).compactMap { stars, percent -> AccreditationFramework.Band? in
                guard let stars = Int(stars), stars > 0, !percent.trimmed.isEmpty else { return nil }
                return .init(stars: stars, minimumPercent: Double(percent.trimmed) ?? -1)
            }.sorted { $0.stars < $1.stars }
            let questions = (form.questions ?? "").split(whereSeparator: \.isNewline).map { String($0).trimmed }.filter { !$0.isEmpty }
            let input = FrameworkInput(pillars: pillars, profileQuestions: questions, bands: bands, validityYears: form.validityYears.flatMap { Int($0.trimmed) } ?? 0)
            let published = try await Accreditations.publish(input, by: principal, now: request.application.clock.now(), on: request.db)
            return request.catalogue("accreditation.versionPublished", ["version": String(published.version)])
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem) })
    }
}
