import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Accreditation on the portal: the public register with its counts by State and stars; for those who work on
/// applications, their list, and an application's page where the institute answers its profile, scores itself with
/// evidence and submits, the national admin assigns assessors and decides, and each assessor scores their phase.
struct AccreditationPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("accreditation", use: Self.register)
        routes.post("accreditation", "apply", use: Self.apply)
        routes.get("accreditations", ":id", use: Self.show)
        routes.post("accreditations", ":id", "self", use: Self.selfAssess)
        // Evidence may be a file: its body is collected (up to the content store's limit) before the CSRF check reads it.
        routes.on(.POST, "accreditations", ":id", "evidence", body: .stream, use: Self.evidence)
        routes.post("accreditations", ":id", "assessors", use: Self.assign)
        routes.post("accreditations", ":id", "scores", use: Self.score)
        routes.post("accreditations", ":id", "decide", use: Self.decide)
        routes.post("accreditations", ":id", "done", use: Self.done)
    }

    static func takesFiles(_ path: String) -> Bool { path.hasPrefix("/accreditations/") && path.hasSuffix("/evidence") }

    /// "7 December 2029" for "2029-12-07".
    static func day(_ iso: String?, _ t: Catalogue) -> String {
        guard let iso, let day = IndiaDay.parse(iso) else { return iso ?? "" }
        let civil = IndiaDay.civil(day)
        return Formats.day(year: civil.year, month: civil.month, day: civil.day, t)
    }

    static func stars(_ count: Int, _ t: Catalogue) -> HTML {
        "<span class=\"stars\" aria-label=\"\(t.plural("accreditation.stars", count))\">\(String(repeating: "★", count: count))\(String(repeating: "☆", count: 5 - count))</span>"
    }

    // MARK: The register

    @Sendable static func register(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        let principal = request.auth.get(Principal.self)
        let register = try await Accreditations.register(today: IndiaDay.of(request.application.clock.now()), geography: request.geography, on: request.db)
        let rows: [HTML] = register.items.map { entry in
            "<tr><td>\(entry.name)</td><td>\(entry.stateName ?? t("accreditation.central"))</td><td>\(stars(entry.stars, t))</td><td>\(day(entry.validUntil, t))</td></tr>"
        }
        let byState: [HTML] = register.byState.map { row in
            "<tr><td>\(row.stateName(t))</td>\(row.byStars.reversed().map { "<td class=\"number\">\($0)</td>" as HTML })</tr>"
        }
        var mine: HTML = ""
        if let principal {
            let work = try await Accreditations.worklist(principal, on: request.db)
            let names = try await Organisations.names(work.map(\.instituteID), on: request.db)
            let list: [HTML] = work.map { record in
                "<tr><td><a href=\"/accreditations/\(record.id!.uuidString.lowercased())\">\(names[record.instituteID] ?? "")</a></td><td>\(UI.badge(t("accreditation.stage.\(record.stage.rawValue)"), record.stage == .decided ? .success : .info))</td><td>\(Formats.date(record.updatedAt, t))</td></tr>"
            }
            let institutes = try await Organisations.trainingInstitutes(within: principal.access.subtrees(holding: .mdoAdmin), on: request.db)
            let apply: HTML = institutes.isEmpty ? "" : """
                <form method="post" action="/accreditation/apply" class="card">\(request.csrfField)
                <label for="instituteId">\(t("accreditation.institute"))</label><select id="instituteId" name="instituteId">\(UI.options(institutes.map { ($0.id!.uuidString.lowercased(), $0.name) }, chosen: nil))</select>
                <p><button>\(t("accreditation.apply"))</button></p></form>
                """
            if !list.isEmpty || !institutes.isEmpty {
                mine = """
                    <section aria-labelledby="work"><h2 id="work">\(t("accreditation.work"))</h2>
                    \(UI.table(t("accreditation.work"), head: [t("accreditation.institute"), t("accreditation.stage"), t("accreditation.updated")], rows: list, empty: t("accreditation.workNone")))
                    \(apply)</section>
                    """
            }
        }
        return Layout.page(t("accreditation.title"), for: request, """
            <p class="muted">\(t("accreditation.intro")) \(principal == nil ? "" : "<a href=\"/accreditation/framework\">\(t("accreditation.frameworkLink"))</a>" as HTML)</p>
            \(mine)
            <div class="figures">\((0...5).reversed().map { UI.figure(t.plural("accreditation.stars", $0), HTML(stringLiteral: String(register.byStars[$0]))) })</div>
            <h2>\(t("accreditation.register"))</h2>
            \(UI.table(t("accreditation.register"), head: [t("accreditation.institute"), t("accreditation.state"), t("accreditation.starsHead"), t("accreditation.validUntil")],
                       rows: rows, empty: t("accreditation.none")))
            <h2>\(t("accreditation.byState"))</h2>
            \(UI.table(t("accreditation.byState"), head: [t("accreditation.state")] + (0...5).reversed().map { "\($0) ★" }, rows: byState,
                       empty: t("accreditation.none"), numeric: Set(1...6)))
            """)
    }

    struct Form: Content {
        var csrf: String?
        var instituteId: String?
        var profile: [String]?
        var scores: [String: String]?
        var submit: String?
        var metricKey: String?
        var link: String?
        var note: String?
        var email: String?
        var phase: String?
        var actions: String?
        var position: Int?
    }

    @Sendable static func done(_ request: Request) async throws -> Response {
        try await answer(request) { principal, form, id, now in
            var patch = ApplicationPatch()
            patch.actionsDone = [form.position ?? -1]
            _ = try await Accreditations.change(id, patch, by: principal, now: now, app: request.application, on: request.db)
            return request.catalogue("accreditation.actionDone")
        }
    }

    @Sendable static func apply(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        guard let id = form.instituteId.flatMap(UUIDText.parse) else { throw Problem.notFound("training institute") }
        let record = try await Accreditations.apply(for: id, ApplicationInput(), by: principal, now: request.application.clock.now(), app: request.application, on: request.db)
        return request.redirect(to: "/accreditations/\(record.id!.uuidString.lowercased())", redirectType: .normal)
    }

    // MARK: An application

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await page(request, notice: nil, problem: nil)
    }

    static func page(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let seen = try await Accreditations.seen(try request.id(of: "accreditation"), by: principal, on: request.db)
        let dto = try await Accreditations.dtos([seen.record], on: request.db)[0]
        let id = dto.id.uuidString.lowercased()
        let framework = dto.framework
        let draft = dto.stage == .draft && (seen.institute || seen.national)
        func sheet(_ phase: AssessmentPhase) -> [String: Int]? {
            let sheets = dto.assessors.filter { $0.phase == phase }.compactMap(\.scores)
            guard !sheets.isEmpty else { return nil }
            return Dictionary(uniqueKeysWithValues: framework.metrics.map { metric in (metric.key, sheets.reduce(0) { $0 + ($1[metric.key] ?? 0) } / sheets.count) })
        }
        let desktop = sheet(.desktop), onsite = sheet(.onsite)
        var sections: [HTML] = []
        // The summary.
        var facts: [(String, HTML)] = [(t("accreditation.stage"), UI.badge(t("accreditation.stage.\(dto.stage.rawValue)"), dto.stage == .decided ? .success : .info)),
                                       (t("accreditation.framework"), "\(dto.frameworkVersion)")]
        if let stars = dto.stars, let percent = dto.percent {
            facts.append((t("accreditation.starsHead"), "\(Self.stars(stars, t)) · \(Formats.number(percent)) %"))
            facts.append((t("accreditation.validUntil"), "\(day(dto.validUntil, t))"))
        }
        if let note = dto.decisionNote, !note.isEmpty { facts.append((t("accreditation.decisionNote"), "\(note)")) }
        sections.append("<dl class=\"facts-list card\">\(facts.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" as HTML })</dl>")
        if !dto.improvementPlan.isEmpty {
            // The institute (or a national admin) marks each action done as it is done.
            let marks = seen.institute || seen.national
            let actions: [HTML] = dto.improvementPlan.map { action in
                let state: HTML = action.done ? UI.badge(t("accreditation.done"), .success) : marks ? """
                    <form method="post" action="/accreditations/\(id)/done" class="inline">\(request.csrfField)<input type="hidden" name="position" value="\(action.position)">\
                    <button class="secondary">\(t("accreditation.markDone"))</button></form>
                    """ : ""
                return "<li>\(action.action) · \(t("accreditation.due", ["date": day(action.dueDate, t)])) \(state)</li>"
            }
            sections.append("<section class=\"card\" aria-labelledby=\"plan\"><h2 id=\"plan\">\(t("accreditation.plan"))</h2><ul>\(actions)</ul></section>")
        }
        // The profile.
        let answers: [HTML] = framework.profileQuestions.enumerated().map { index, question in
            let answer = index < dto.profile.count ? dto.profile[index] : ""
            return draft ? "<label for=\"profile-\(index)\">\(question)</label><input type=\"text\" id=\"profile-\(index)\" name=\"profile[]\" maxlength=\"2000\" value=\"\(answer)\">"
                : "<dt>\(question)</dt><dd>\(answer)</dd>"
        }
        // The metrics, pillar by pillar, with every score given and the evidence.
        var pillars: [HTML] = []
        for pillar in framework.pillars {
            let rows: [HTML] = pillar.metrics.map { metric in
                let evidence: [HTML] = dto.evidence.filter { $0.metricKey == metric.key }.map { item in
                    switch item.kind {
                    case "link": return "<li><a href=\"\(item.value)\" rel=\"noopener\">\(item.note.isEmpty ? item.value : item.note)</a></li>"
                    case "file": return "<li><a href=\"/content/\(item.value.replacingOccurrences(of: "content:", with: ""))\">\(item.note.isEmpty ? t("accreditation.file") : item.note)</a></li>"
                    default: return "<li>\(metric.figure.map { t("accreditation.figure.\($0.rawValue)", ["value": item.value]) } ?? item.value)</li>"
                    }
                }
                let own: HTML = draft
                    ? "<input type=\"number\" name=\"scores[\(metric.key)]\" min=\"0\" max=\"\(metric.maxScore)\" value=\"\(dto.selfScores[metric.key].map(String.init) ?? "")\" aria-label=\"\(metric.title)\" class=\"narrow\">"
                    : "\(dto.selfScores[metric.key].map(String.init) ?? "–")"
                func cell(_ scores: [String: Int]?) -> HTML { "\(scores?[metric.key].map(String.init) ?? "–")" }
                return """
                    <tr><td>\(metric.title)\(evidence.isEmpty ? "" : "<ul class=\"evidence\">\(evidence)</ul>" as HTML)</td><td class="number">\(metric.maxScore)</td>\
                    <td class="number">\(own)</td><td class="number">\(cell(desktop))</td><td class="number">\(cell(onsite))</td><td class="number">\(cell(dto.finalScores))</td></tr>
                    """
            }
            pillars.append("<h3>\(pillar.title)</h3>\(UI.table(pillar.title, head: [t("accreditation.metric"), t("accreditation.max"), t("accreditation.self"), t("accreditation.desktop"), t("accreditation.onsite"), t("accreditation.final")], rows: rows, empty: "", numeric: [1, 2, 3, 4, 5]))")
        }
        if draft {
            sections.append("""
                <form method="post" action="/accreditations/\(id)/self">\(request.csrfField)
                <section class="card" aria-labelledby="profile"><h2 id="profile">\(t("accreditation.profile"))</h2>\(answers)</section>
                <section aria-labelledby="metrics"><h2 id="metrics">\(t("accreditation.metrics"))</h2>\(pillars)</section>
                <p class="actions"><button>\(t("accreditation.save"))</button> <button name="submit" value="1" class="secondary">\(t("accreditation.submit"))</button></p></form>
                <form method="post" action="/accreditations/\(id)/evidence" class="card" enctype="multipart/form-data">\(request.csrfField)<h2 class="h3">\(t("accreditation.addEvidence"))</h2>
                <label for="metricKey">\(t("accreditation.metric"))</label><select id="metricKey" name="metricKey">\(UI.options(framework.metrics.map { ($0.key, $0.title) }, chosen: nil))</select>
                <label for="evidence-file">\(t("accreditation.file"))</label><span class="hint" id="evidence-file-hint">\(t("accreditation.fileOrLink"))</span>
                <input type="file" id="evidence-file" name="file" accept="application/pdf" aria-describedby="evidence-file-hint">
                <label for="link">\(t("accreditation.link"))</label><input type="url" id="link" name="link" maxlength="2000">
                <label for="evidence-note">\(t("accreditation.evidenceNote"))</label><input type="text" id="evidence-note" name="note" maxlength="2000">
                <p><button class="secondary">\(t("accreditation.addEvidence"))</button></p></form>
                """)
        } else {
            sections.append("<section class=\"card\" aria-labelledby=\"profile\"><h2 id=\"profile\">\(t("accreditation.profile"))</h2><dl class=\"facts-list\">\(answers)</dl></section>")
            sections.append("<section aria-labelledby=\"metrics\"><h2 id=\"metrics\">\(t("accreditation.metrics"))</h2>\(pillars)</section>")
        }
        // The assessor's sheet, for their phase when it is due.
        for phase in seen.phases.sorted(by: { $0.rawValue < $1.rawValue }) where dto.stage == (phase == .desktop ? .desktop : .onsite) {
            let inputs: [HTML] = framework.metrics.map { metric in
                "<label for=\"score-\(metric.key)\">\(metric.title) (0–\(metric.maxScore))</label><input type=\"number\" id=\"score-\(metric.key)\" name=\"scores[\(metric.key)]\" min=\"0\" max=\"\(metric.maxScore)\" required class=\"narrow\">"
            }
            sections.append("""
                <form method="post" action="/accreditations/\(id)/scores" class="card">\(request.csrfField)<input type="hidden" name="phase" value="\(phase.rawValue)">
                <h2 class="h3">\(t("accreditation.scorePhase.\(phase.rawValue)"))</h2>\(inputs)<p><button>\(t("accreditation.sendScores"))</button></p></form>
                """)
        }
        // The national admin: assessors while under assessment, the decision after both.
        if seen.national, [.submitted, .desktop, .onsite].contains(dto.stage) {
            let assigned: [HTML] = dto.assessors.map { "<li>\($0.name ?? "") · \(t("accreditation.\($0.phase.rawValue)"))\($0.scoredAt == nil ? "" : " · " + t("accreditation.scored"))</li>" }
            sections.append("""
                <section class="card" aria-labelledby="assessors"><h2 id="assessors">\(t("accreditation.assessors"))</h2>
                \(assigned.isEmpty ? UI.empty(t("accreditation.assessorsNone")) : "<ul>\(assigned)</ul>" as HTML)
                <form method="post" action="/accreditations/\(id)/assessors">\(request.csrfField)
                <label for="email">\(t("accreditation.assessorEmail"))</label><span class="hint" id="email-hint">\(t("accreditation.assessorHint"))</span>
                <input type="email" id="email" name="email" required aria-describedby="email-hint">
                <label for="phase">\(t("accreditation.phase"))</label><select id="phase" name="phase">\(UI.options(AssessmentPhase.allCases.map { ($0.rawValue, t("accreditation.\($0.rawValue)")) }, chosen: nil))</select>
                <p><button class="secondary">\(t("accreditation.assign"))</button></p></form></section>
                """)
            if dto.stage == .onsite, onsite != nil {
                sections.append("""
                    <form method="post" action="/accreditations/\(id)/decide" class="card">\(request.csrfField)<h2 class="h3">\(t("accreditation.decide"))</h2>
                    <p class="muted">\(t("accreditation.decideHint"))</p>
                    <label for="decision-note">\(t("accreditation.decisionNote"))</label><textarea id="decision-note" name="note" rows="3" maxlength="5000"></textarea>
                    <label for="actions">\(t("accreditation.plan"))</label><span class="hint" id="actions-hint">\(t("accreditation.planHint"))</span>
                    <textarea id="actions" name="actions" rows="4" aria-describedby="actions-hint"></textarea>
                    <p><button>\(t("accreditation.decide"))</button></p></form>
                    """)
            }
        }
        let title = t("accreditation.of", ["name": dto.instituteName ?? ""])
        return Layout.page(title, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("accreditation.title"), "/accreditation"), UI.Crumb(title)], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            \(sections)
            """)
    }

    static func scores(_ form: Form) -> [String: Int] {
        // A number that is not one is sent as one the rules refuse (-1), so the error names its metric.
        (form.scores ?? [:]).filter { !$0.value.trimmed.isEmpty }.mapValues { Int($0.trimmed) ?? -1 }
    }

    static func answer(_ request: Request, _ change: @escaping (Principal, Form, UUID, Date) async throws -> String) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        return try await Layout.answer(request, {
            try await change(principal, form, try request.id(of: "accreditation"), request.application.clock.now())
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem) })
    }

    @Sendable static func selfAssess(_ request: Request) async throws -> Response {
        try await answer(request) { principal, form, id, now in
            var patch = ApplicationPatch()
            patch.profile = form.profile
            patch.selfScores = scores(form)
            _ = try await Accreditations.change(id, patch, by: principal, now: now, app: request.application, on: request.db)
            if form.submit != nil {
                var submit = ApplicationPatch()
                submit.action = "submit"
                _ = try await Accreditations.change(id, submit, by: principal, now: now, app: request.application, on: request.db)
                return request.catalogue("accreditation.submitted")
            }
            return request.catalogue("accreditation.saved")
        }
    }

    struct EvidenceForm: Content {
        var metricKey: String?
        var link: String?
        var note: String?
        var file: File?
    }

    /// A file chosen goes to the content store as the institute's document; else the link is the evidence.
    @Sendable static func evidence(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        return try await Layout.answer(request, {
            let id = try request.id(of: "accreditation"), now = request.application.clock.now()
            let form = try request.content.decode(EvidenceForm.self)
            var file: String?
            if let upload = form.file, upload.data.readableBytes > 0 {
                let seen = try await Accreditations.seen(id, by: principal, on: request.db)
                guard seen.institute || seen.national else { throw Problem.forbidden }
                file = try await ContentFiles.accept(upload, as: ContentKind.document.rawValue, provider: seen.record.instituteID, by: principal, request: request).reference
            }
            let link = file == nil ? form.link?.trimmed.nilIfEmpty : nil
            _ = try await Accreditations.addEvidence(to: id, metric: form.metricKey, link: link, file: file, note: form.note, by: principal, now: now, on: request.db)
            return request.catalogue("accreditation.evidenceAdded")
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem) })
    }

    @Sendable static func assign(_ request: Request) async throws -> Response {
        try await answer(request) { principal, form, id, now in
            let input = AssessorInput(email: form.email, userId: nil, phase: form.phase.flatMap(AssessmentPhase.init(rawValue:)))
            _ = try await Accreditations.assign(input, to: id, by: principal, now: now, on: request.db)
            return request.catalogue("accreditation.assigned")
        }
    }

    @Sendable static func score(_ request: Request) async throws -> Response {
        try await answer(request) { principal, form, id, now in
            let input = ScoresInput(phase: form.phase.flatMap(AssessmentPhase.init(rawValue:)), scores: scores(form))
            _ = try await Accreditations.score(input, of: id, by: principal, now: now, on: request.db)
            return request.catalogue("accreditation.scoresSent")
        }
    }

    /// The plan's lines read "YYYY-MM-DD what is to be done".
    @Sendable static func decide(_ request: Request) async throws -> Response {
        try await answer(request) { principal, form, id, now in
            let lines = (form.actions ?? "").split(whereSeparator: \.isNewline).map { String($0).trimmed }.filter { !$0.isEmpty }
            let actions = lines.map { line in
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                return AccreditationDecisionInput.Action(action: parts.count > 1 ? parts[1] : "", dueDate: parts.first ?? "")
            }
            let input = AccreditationDecisionInput(moderatedScores: nil, note: form.note, actions: actions.isEmpty ? nil : actions)
            let record = try await Accreditations.decide(input, on: id, by: principal, now: now, app: request.application, on: request.db)
            return request.catalogue.plural("accreditation.decided", record.stars ?? 0)
        }
    }
}

extension RegisterDTO.StateRow {
    func stateName(_ t: Catalogue) -> String { stateCode == nil ? t("accreditation.central") : name }
}
