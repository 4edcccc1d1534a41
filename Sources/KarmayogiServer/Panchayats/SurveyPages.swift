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
        routes.post("surveys", "pilots", use: Self.createPilot)
        routes.post("surveys", "rounds", use: Self.openRound)
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
        try await indexPage(request, notice: nil, problem: nil)
    }

    static func indexPage(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
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
            // A national admin opens the pilot's next round.
            let next = SurveyRound.allCases.first { round in !surveys.contains { $0.pilotId == pilot.id && $0.round == round } }
            var open: HTML = ""
            if principal.access.isNationalAdmin, let next {
                let key = pilot.id.uuidString.lowercased()
                open = """
                    <form method="post" action="/surveys/rounds">\(request.csrfField)<input type="hidden" name="pilotId" value="\(key)"><input type="hidden" name="round" value="\(next.rawValue)">
                    <h3>\(t("survey.openRound", ["round": t("survey.round.\(next.rawValue)")]))</h3>
                    <label for="title-\(key)">\(t("survey.title"))</label><input id="title-\(key)" name="title" required maxlength="200">
                    <label for="opens-\(key)">\(t("survey.opensOn"))</label><input id="opens-\(key)" name="opensOn" type="date" required>
                    <label for="closes-\(key)">\(t("survey.closesOn"))</label><input id="closes-\(key)" name="closesOn" type="date" required>
                    <p><button>\(t("survey.openRound", ["round": t("survey.round.\(next.rawValue)")]))</button></p></form>
                    """
            }
            sections.append("""
                <section class="card" aria-labelledby="pilot-\(pilot.id.uuidString.lowercased())"><h2 id="pilot-\(pilot.id.uuidString.lowercased())">\(pilot.name)</h2>
                <p>\(t.plural("survey.panchayats", pilot.panchayats.count)): \(byState)</p>
                \(UI.table(pilot.name, head: [t("survey.title"), t("survey.roundHead"), t("survey.window"), t("survey.responses")], rows: rows, empty: t("survey.noRounds"), numeric: [3]))\(open)</section>
                """)
        }
        if principal.access.isNationalAdmin {
            sections.append("""
                <form method="post" action="/surveys/pilots" class="card">\(request.csrfField)<h2 class="h3">\(t("survey.newPilot"))</h2>
                <label for="pilot-name">\(t("survey.pilotName"))</label><input id="pilot-name" name="name" required maxlength="200">
                <label for="pilot-codes">\(t("survey.pilotCodes"))</label><span class="hint" id="pilot-codes-hint">\(t("survey.pilotCodesHint"))</span>
                <textarea id="pilot-codes" name="codes" rows="6" required aria-describedby="pilot-codes-hint"></textarea>
                <p><button>\(t("survey.newPilot"))</button></p></form>
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
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
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

    struct SetupForm: Content {
        var name: String?
        var codes: String?
        var pilotId: String?
        var round: String?
        var title: String?
        var opensOn: String?
        var closesOn: String?
    }

    static func setup(_ request: Request, _ change: @escaping (Principal, SetupForm, Date) async throws -> String) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(SetupForm.self)
        return try await Layout.answer(request, { try await change(principal, form, request.application.clock.now()) },
                                       page: { notice, problem in try await indexPage(request, notice: notice, problem: problem) })
    }

    /// The panchayats come as their organisation codes, one a line (or separated by commas).
    @Sendable static func createPilot(_ request: Request) async throws -> Response {
        try await setup(request) { principal, form, now in
            guard principal.access.isNationalAdmin else { throw Problem(.forbidden, "Pilots are set up by national admins.") }
            let codes = (form.codes ?? "").split(whereSeparator: { $0.isNewline || $0 == "," }).map { String($0).trimmed }.filter { !$0.isEmpty }
            var ids: [UUID] = []
            var unknown: [FieldError] = []
            for (index, code) in codes.prefix(1_000).enumerated() {
                if let id = try await Organisations.id(ofCode: code, on: request.db) { ids.append(id) } else { unknown.append(FieldError("codes", "line \(index + 1): no organisation has the code \(code)")) }
            }
            if !unknown.isEmpty { throw Problem.invalid(Array(unknown.prefix(20))) }
            _ = try await Surveys.create(PilotInput(name: form.name, panchayatIds: ids), by: principal, now: now, on: request.db)
            return request.catalogue("survey.pilotMade")
        }
    }

    @Sendable static func openRound(_ request: Request) async throws -> Response {
        try await setup(request) { principal, form, now in
            let input = SurveyInput(pilotId: form.pilotId.flatMap(UUIDText.parse), round: form.round.flatMap(SurveyRound.init(rawValue:)), title: form.title,
                                    opensOn: form.opensOn, closesOn: form.closesOn)
            _ = try await Surveys.open(input, by: principal, now: now, on: request.db)
            return request.catalogue("survey.roundOpened")
        }
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
