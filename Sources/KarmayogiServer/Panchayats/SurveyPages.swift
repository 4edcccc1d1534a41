import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Viksit Panchayat on the portal: a panchayat's people answer their round's self-assessment; State and national admins
/// see the pilots, the answers coming in, and the change from baseline to endline by panchayat, district and State.
struct SurveyPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("surveys", use: Self.index)
        routes.get("surveys", ":id", use: Self.show)
        routes.post("surveys", ":id", use: Self.answer)
    }

    static func competency(_ key: String, _ t: Catalogue) -> String {
        t.translated("panchayat.competency.\(key)", else: Surveys.framework.competencies.first { $0.key == key }?.title ?? key)
    }

    static func window(_ survey: SurveyDTO, _ t: Catalogue) -> String {
        "\(AccreditationPages.day(survey.opensOn, t)) – \(AccreditationPages.day(survey.closesOn, t))"
    }

    /// On the home page: a round waiting for this person's answers.
    static func banner(_ principal: Principal, _ request: Request) async throws -> HTML {
        let t = request.catalogue
        let waiting = try await Surveys.list(for: principal, today: IndiaDay.of(request.application.clock.now()), on: request.db)
            .filter { $0.isOpen && $0.answered == false }
        guard let survey = waiting.first else { return "" }
        return "<p class=\"notice\" role=\"status\">\(t("survey.waiting", ["title": survey.title])) <a href=\"/surveys/\(survey.id.uuidString.lowercased())\">\(t("survey.answerNow"))</a></p>"
    }

    @Sendable static func index(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let surveys = try await Surveys.list(for: principal, today: IndiaDay.of(request.application.clock.now()), on: request.db)
        var sections: [HTML] = []
        let mine = surveys.filter { $0.role != nil }
        if !mine.isEmpty {
            let rows: [HTML] = mine.map { survey in
                let state: HTML = survey.answered == true ? UI.badge(t("survey.answered"), .success) : survey.isOpen ? UI.badge(t("survey.open"), .info) : UI.badge(t("survey.closed"))
                return "<tr><td><a href=\"/surveys/\(survey.id.uuidString.lowercased())\">\(survey.title)</a></td><td>\(t("survey.round.\(survey.round.rawValue)"))</td><td>\(window(survey, t))</td><td>\(state)</td></tr>"
            }
            sections.append("""
                <section aria-labelledby="mine"><h2 id="mine">\(t("survey.forYou"))</h2>
                \(UI.table(t("survey.forYou"), head: [t("survey.title"), t("survey.roundHead"), t("survey.window"), t("survey.state")], rows: rows, empty: ""))</section>
                """)
        }
        let pilots = try await Surveys.dtos(try await Surveys.pilots(for: principal, on: request.db), for: principal, on: request.db)
        for pilot in pilots {
            let byState = Dictionary(grouping: pilot.panchayats, by: \.stateCode).sorted { $0.key < $1.key }
                .map { "\(Geography.reference.state(code: $0.key)?.name ?? "") (\($0.value.count))" }.joined(separator: ", ")
            let rows: [HTML] = surveys.filter { $0.pilotId == pilot.id && $0.responses != nil }.map { survey in
                "<tr><td><a href=\"/surveys/\(survey.id.uuidString.lowercased())\">\(survey.title)</a></td><td>\(t("survey.round.\(survey.round.rawValue)"))</td><td>\(window(survey, t))</td><td class=\"number\">\(Formats.number(survey.responses ?? 0))</td></tr>"
            }
            sections.append("""
                <section class="card" aria-labelledby="pilot-\(pilot.id.uuidString.lowercased())"><h2 id="pilot-\(pilot.id.uuidString.lowercased())">\(pilot.name)</h2>
                <p>\(t.plural("survey.panchayats", pilot.panchayats.count)): \(byState)</p>
                \(UI.table(pilot.name, head: [t("survey.title"), t("survey.roundHead"), t("survey.window"), t("survey.responses")], rows: rows, empty: t("survey.noRounds"), numeric: [3]))</section>
                """)
        }
        if sections.isEmpty { sections.append(UI.empty(t("survey.none"))) }
        // The framework the questions come from.
        let roles: [HTML] = PanchayatRole.allCases.map { role in
            "<tr><td>\(t("panchayat.role.\(role.rawValue)"))</td><td>\(Surveys.framework.competencies(of: role).map { competency($0.key, t) }.joined(separator: "; "))</td></tr>"
        }
        sections.append("""
            <section aria-labelledby="framework"><h2 id="framework">\(t("survey.framework"))</h2><p class="muted">\(t("survey.frameworkIntro"))</p>
            \(UI.table(t("survey.framework"), head: [t("survey.role"), t("survey.competencies")], rows: roles, empty: ""))</section>
            """)
        return Layout.page(t("survey.pageTitle"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("survey.pageTitle"))], """
            <p class="muted">\(t("survey.intro"))</p>
            \(sections)
            """)
    }

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await page(request, notice: nil, problem: nil)
    }

    static func page(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let survey = try await Surveys.visible(try request.id(of: "survey"), to: principal, today: IndiaDay.of(request.application.clock.now()), on: request.db)
        let id = survey.id.uuidString.lowercased()
        var sections: [HTML] = ["<p class=\"muted\">\(survey.pilotName) · \(t("survey.round.\(survey.round.rawValue)")) · \(window(survey, t))</p>"]
        if let role = survey.role, let questions = survey.questions {
            if survey.answered == true {
                sections.append("<p class=\"notice success\">\(t("survey.thanks"))</p>")
            } else if survey.isOpen {
                let levels = SelfAssessment.levels
                let fieldsets: [HTML] = questions.map { question in
                    let choices: [HTML] = levels.map { level in
                        "<label class=\"choice\"><input type=\"radio\" name=\"answers[\(question.key)]\" value=\"\(level)\" required> \(level) · \(t("survey.level.\(level)"))</label>"
                    }
                    return "<fieldset class=\"card\"><legend>\(competency(question.key, t))</legend>\(choices)</fieldset>"
                }
                sections.append("""
                    <form method="post" action="/surveys/\(id)">\(request.csrfField)
                    <p>\(t("survey.askedAs", ["role": t("panchayat.role.\(role.rawValue)")]))</p>
                    \(fieldsets)
                    <p><button>\(t("survey.send"))</button></p></form>
                    """)
            } else {
                sections.append("<p class=\"notice\">\(t("survey.notOpen"))</p>")
            }
        }
        if survey.responses != nil {
            let by = Surveys.Grouping(rawValue: request.query[String.self, at: "by"] ?? "") ?? .state
            let delta = try await Surveys.delta(of: survey.id, by: by, for: principal, on: request.db)
            let tabs: [HTML] = Surveys.Grouping.allCases.map { grouping in
                grouping == by ? "<strong aria-current=\"true\">\(t("survey.by.\(grouping.rawValue)"))</strong>" : "<a href=\"/surveys/\(id)?by=\(grouping.rawValue)#delta\">\(t("survey.by.\(grouping.rawValue)"))</a>"
            }
            func signed(_ value: Double) -> String { (value > 0 ? "+" : "") + Formats.number(value) }
            let rows: [HTML] = delta.groups.map { group in
                let competencies: [HTML] = group.byCompetency.sorted { $0.key < $1.key }.map { key, means in
                    "<li>\(competency(key, t)): \(Formats.number(means.baseline)) → \(Formats.number(means.endline)) (\(signed(means.delta)))</li>"
                }
                return """
                    <tr><td><details><summary>\(group.name)</summary><ul>\(competencies)</ul></details></td><td class="number">\(group.people)</td>\
                    <td class="number">\(Formats.number(group.overall.baseline))</td><td class="number">\(Formats.number(group.overall.endline))</td>\
                    <td class="number">\(signed(group.overall.delta))</td></tr>
                    """
            }
            sections.append("""
                <section aria-labelledby="delta"><h2 id="delta">\(t("survey.delta"))</h2>
                <p class="muted">\(t("survey.deltaIntro", ["baseline": Formats.number(delta.baselineResponses), "endline": Formats.number(delta.endlineResponses)]))</p>
                <p class="tabs">\(HTML(unsafe: tabs.map(\.markup).joined(separator: " · ")))</p>
                \(UI.table(t("survey.delta"), head: [t("survey.by.\(by.rawValue)"), t("survey.people"), t("survey.round.baseline"), t("survey.round.endline"), t("survey.change")],
                           rows: rows, empty: t("survey.noDelta"), numeric: [1, 2, 3, 4]))</section>
                """)
        }
        return Layout.page(survey.title, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("survey.pageTitle"), "/surveys"), UI.Crumb(survey.title)], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            \(sections)
            """)
    }

    struct Form: Content {
        var answers: [String: String]?
    }

    @Sendable static func answer(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        return try await Layout.answer(request, {
            // A level that is not a number is sent as one the rules refuse (0), so the error names its competency.
            let answers = (form.answers ?? [:]).mapValues { Int($0.trimmed) ?? 0 }
            try await Surveys.answer(try request.id(of: "survey"), SurveyAnswersInput(answers: answers), by: principal, now: request.application.clock.now(), on: request.db)
            return request.catalogue("survey.sent")
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem) })
    }
}
