import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Cohort journeys on the portal: the journeys, and a journey's page — for a participant their phases (open as the
/// server decides), what is done, and the milestone to submit; for mentors and coordinators the cohort's progress,
/// with the milestones to review and the coaching to log.
struct JourneyPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("journeys", use: Self.list)
        routes.get("journeys", ":id", use: Self.show)
        routes.post("journeys", ":id", "milestones", ":milestone", "submit", use: Self.submit)
        routes.post("journeys", ":id", "milestones", ":milestone", "review", use: Self.review)
        routes.post("journeys", ":id", "activities", ":activity", "record", use: Self.record)
        routes.post("journeys", ":id", "members", use: Self.addMembers)
    }

    static func title(_ journey: Journey, _ t: Catalogue) -> String { t.language == "hi" && !journey.titleHi.isEmpty ? journey.titleHi : journey.title }
    static func title(_ phase: JourneyPhase, _ t: Catalogue) -> String { t.language == "hi" && !phase.titleHi.isEmpty ? phase.titleHi : phase.title }

    @Sendable static func list(_ request: Request) async throws -> HTML {
        _ = try request.pagePrincipal()
        let t = request.catalogue
        let journeys = try await Journeys.list(page: PageRequest(limit: 200), on: request.db).rows
        let providers = try await Organisations.names(journeys.map(\.providerID), on: request.db)
        let cards: [HTML] = journeys.map { journey in
            """
            <li class="card"><h2 class="h3"><a href="/journeys/\(journey.id!.uuidString.lowercased())">\(title(journey, t))</a></h2>\
            <p class="muted">\(providers[journey.providerID] ?? "") · \(t("journey.starts", ["date": ProgrammeWorkPages.dates(journey.startDay, journey.startDay, t)]))</p></li>
            """
        }
        return Layout.page(t("journeys.title"), for: request, """
            <p class="muted">\(t("journeys.intro"))</p>
            \(cards.isEmpty ? UI.empty(t("journeys.none")) : "<ul class=\"plain\">\(cards)</ul>" as HTML)
            """)
    }

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await page(request, notice: nil, problem: nil)
    }

    static func page(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let plan = try await Journeys.plan(try request.id(of: "journey"), on: request.db)
        let id = plan.journey.id!.uuidString.lowercased()
        let me = try await Journeys.member(principal.userID, of: plan.journey.id!, on: request.db)
        let coordinator = try await Journeys.mayCoordinate(plan.journey, principal, on: request.db)
        var body: [HTML] = []
        if me?.role == .participant {
            let keys = request.application.credentialKeys, now = request.application.clock.now()
            let progress = try await request.db.transaction { database in
                try await Journeys.settle(principal.userID, in: plan, keys: keys, now: now, on: database)
                return try await Journeys.progress(of: principal.userID, in: plan, on: database)
            }
            body.append(UI.meter(Double(progress.phasesCompleted) * 100 / Double(max(1, plan.phases.count)),
                                 text: t("journey.phasesDone", ["done": String(progress.phasesCompleted), "all": String(plan.phases.count)]), label: t("journey.progress")))
            let states = Dictionary(uniqueKeysWithValues: progress.activities.map { ($0.activityId, $0) })
            for (index, phase) in plan.phases.enumerated() {
                let open = index < progress.phasesOpen
                let badge: HTML = progress.badges[phase.id!.uuidString.lowercased()].map {
                    "<a href=\"/certificates/\($0.uuidString.lowercased())\">\(UI.badge(t("journey.badgeEarned"), .success))</a>"
                } ?? (open ? UI.badge(t("journey.open"), .info) : UI.badge(t("journey.locked")))
                let items: [HTML] = plan.activities.filter { $0.phaseID == phase.id! }.map { activity in
                    let state = states[activity.id!]
                    var line: HTML = "\(state?.done == true ? UI.badge(t("journey.done"), .success) : UI.badge(t("journey.kind.\(activity.kind.rawValue)"))) \(activity.title)"
                    if !activity.required { line = "\(line) <span class=\"muted\">(\(t("journey.optional")))</span>" }
                    if let note = state?.reviewNote, state?.status == MilestoneStatus.returned.rawValue { line = "\(line)<p class=\"alert\">\(t("journey.returned", ["note": note]))</p>" }
                    if activity.kind == .milestone, open, state?.status != MilestoneStatus.accepted.rawValue, state?.status != MilestoneStatus.submitted.rawValue {
                        let field = "m-\(activity.id!.uuidString.lowercased())"
                        line = """
                            \(line)<form method="post" action="/journeys/\(id)/milestones/\(activity.id!.uuidString.lowercased())/submit">\(request.csrfField)
                            <label for="\(field)">\(t("journey.submission"))</label><textarea id="\(field)" name="text" rows="3" maxlength="10000" required></textarea>
                            <label for="\(field)-link">\(t("journey.link"))</label><input type="url" id="\(field)-link" name="link" maxlength="2000">
                            <p><button>\(t("journey.submit"))</button></p></form>
                            """
                    } else if state?.status == MilestoneStatus.submitted.rawValue {
                        line = "\(line) \(UI.badge(t("journey.awaitingReview"), .warning))"
                    }
                    return "<li>\(line)</li>"
                }
                body.append("""
                    <section class="card" aria-labelledby="phase-\(index)"><h2 id="phase-\(index)" class="h3">\(t("journey.phase", ["n": String(index + 1)])): \(title(phase, t))</h2>
                    <p>\(badge) <span class="muted">\(t("journey.from", ["date": ProgrammeWorkPages.dates(plan.phaseStart(index), plan.phaseStart(index), t), "months": String(phase.months)]))</span></p>
                    <ul class="plain">\(items)</ul></section>
                    """)
            }
            if let certificate = progress.certificateId {
                body.append("<p class=\"notice success\"><a href=\"/certificates/\(certificate.uuidString.lowercased())\">\(t("journey.certificate"))</a></p>")
            }
        }
        if coordinator || me?.role == .mentor {
            body.append(try await cohort(request, plan: plan, principal: principal, coordinator: coordinator))
        }
        if body.isEmpty {
            let phases: [HTML] = plan.phases.enumerated().map { index, phase in
                "<li>\(t("journey.phase", ["n": String(index + 1)])): \(title(phase, t)) · \(t("journey.months", ["months": String(phase.months)]))</li>"
            }
            body.append("<ol>\(phases)</ol>")
        }
        return Layout.page(title(plan.journey, t), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("journeys.title"), "/journeys"), UI.Crumb(title(plan.journey, t))], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            \(plan.journey.description.isEmpty ? "" : "<p>\(plan.journey.description)</p>" as HTML)
            \(body)
            """)
    }

    /// The cohort's progress: each participant's phases, and what waits for the signed-in mentor or coordinator.
    static func cohort(_ request: Request, plan: Journeys.Plan, principal: Principal, coordinator: Bool) async throws -> HTML {
        let t = request.catalogue
        let id = plan.journey.id!.uuidString.lowercased()
        let everyone = try await Journeys.members(of: plan.journey.id!, by: principal, on: request.db)
        let members = everyone.filter { $0.role == .participant }
        var rows: [HTML] = []
        var tasks: [HTML] = []
        for member in members {
            guard let progress = member.progress else { continue }
            let current = min(progress.phasesOpen, plan.phases.count) - 1
            rows.append("""
                <tr><td>\(member.name ?? "")</td><td>\(member.mentorName ?? "")</td>\
                <td>\(UI.meter(Double(progress.phasesCompleted) * 100 / Double(max(1, plan.phases.count)), text: "\(progress.phasesCompleted)/\(plan.phases.count)", label: member.name ?? ""))</td>\
                <td>\(current >= 0 && progress.phasesCompleted < plan.phases.count ? title(plan.phases[current], t) : t("journey.finished"))</td></tr>
                """)
            let mine = member.mentorId == principal.userID
            let states = Dictionary(uniqueKeysWithValues: progress.activities.map { ($0.activityId, $0) })
            for activity in plan.activities where plan.phaseIndex(of: activity) < progress.phasesOpen && states[activity.id!]?.done != true {
                let user = member.userId.uuidString.lowercased(), activityID = activity.id!.uuidString.lowercased()
                let who: HTML = "<strong>\(member.name ?? "")</strong> · \(activity.title)"
                switch activity.kind {
                case .milestone where mine && states[activity.id!]?.status == MilestoneStatus.submitted.rawValue:
                    tasks.append("""
                        <li class="card">\(who)<blockquote>\(states[activity.id!]?.text ?? "")</blockquote>
                        <form method="post" action="/journeys/\(id)/milestones/\(activityID)/review">\(request.csrfField)<input type="hidden" name="userId" value="\(user)">
                        <label for="note-\(user)-\(activityID)">\(t("journey.reviewNote"))</label><input type="text" id="note-\(user)-\(activityID)" name="note" maxlength="2000">
                        <p class="actions"><button name="decision" value="accept">\(t("journey.accept"))</button> <button name="decision" value="return" class="secondary">\(t("journey.return"))</button></p></form></li>
                        """)
                case .coaching where mine, .visit where coordinator:
                    tasks.append("""
                        <li class="card">\(who)<form method="post" action="/journeys/\(id)/activities/\(activityID)/record">\(request.csrfField)<input type="hidden" name="userId" value="\(user)">
                        <label for="log-\(user)-\(activityID)">\(t("journey.logNote"))</label><input type="text" id="log-\(user)-\(activityID)" name="note" maxlength="2000">
                        <p><button class="secondary">\(t(activity.kind == .coaching ? "journey.logCoaching" : "journey.recordVisit"))</button></p></form></li>
                        """)
                default: break
                }
            }
        }
        return """
            <section aria-labelledby="cohort"><h2 id="cohort">\(t("journey.cohort"))</h2>
            \(UI.table(t("journey.cohort"), head: [t("programmes.person"), t("journey.mentor"), t("journey.progress"), t("journey.current")], rows: rows, empty: t("journey.cohortNone")))
            \(coordinator ? rosterForm(request, journey: id, mentors: everyone.filter { $0.role == .mentor }) : "")</section>
            <section aria-labelledby="tasks"><h2 id="tasks">\(t("journey.tasks"))</h2>
            \(tasks.isEmpty ? UI.empty(t("journey.tasksNone")) : "<ul class=\"plain\">\(tasks)</ul>" as HTML)</section>
            """
    }

    /// The form that adds people to the roster, for the journey's coordinators: participants with their mentor, or mentors.
    static func rosterForm(_ request: Request, journey id: String, mentors: [JourneyMemberDTO]) -> HTML {
        let t = request.catalogue
        let roles = JourneyRole.allCases.map { ($0.rawValue, t("journey.role.\($0.rawValue)")) }
        return """
            <details class="card"><summary>\(t("journey.addPeople"))</summary>
            <form method="post" action="/journeys/\(id)/members">\(request.csrfField)
            <label for="people">\(t("programmes.field.people"))</label><span class="hint" id="people-hint">\(t("programmes.field.emailsHint"))</span>
            <textarea id="people" name="emails" rows="3" required aria-describedby="people-hint"></textarea>
            <label for="role">\(t("journey.role"))</label><select id="role" name="role">\(UI.options(roles, chosen: JourneyRole.participant.rawValue))</select>
            <label for="mentorId">\(t("journey.mentor"))</label><span class="hint" id="mentor-hint">\(t("journey.mentorHint"))</span>
            <select id="mentorId" name="mentorId" aria-describedby="mentor-hint"><option value="">—</option>\(UI.options(mentors.map { ($0.userId.uuidString.lowercased(), $0.name ?? "") }, chosen: nil))</select>
            <p><button>\(t("journey.addPeople"))</button></p></form></details>
            """
    }

    struct Form: Content {
        var csrf: String?
        var emails: String?
        var role: String?
        var mentorId: String?
        var text: String?
        var link: String?
        var userId: String?
        var decision: String?
        var note: String?
    }

    @Sendable static func submit(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        return try await Layout.answer(request, {
            _ = try await Journeys.submit(try request.id("milestone", of: "milestone"), MilestoneSubmitInput(text: form.text, link: form.link), by: principal,
                                          now: request.application.clock.now(), on: request.db)
            return request.catalogue("journey.submitted")
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem) })
    }

    @Sendable static func review(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        return try await Layout.answer(request, {
            _ = try await Journeys.review(try request.id("milestone", of: "milestone"),
                                          MilestoneReviewInput(userId: form.userId.flatMap(UUIDText.parse), decision: form.decision, note: form.note), by: principal,
                                          keys: request.application.credentialKeys, now: request.application.clock.now(), on: request.db)
            return request.catalogue(form.decision == "return" ? "journey.returnedDone" : "journey.accepted")
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem) })
    }

    @Sendable static func record(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        return try await Layout.answer(request, {
            _ = try await Journeys.record(try request.id("activity", of: "activity"), JourneyRecordInput(userId: form.userId.flatMap(UUIDText.parse), note: form.note),
                                          by: principal, keys: request.application.credentialKeys, now: request.application.clock.now(), on: request.db)
            return request.catalogue("journey.recorded")
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem) })
    }

    @Sendable static func addMembers(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let form = try request.content.decode(Form.self)
        return try await Layout.answer(request, {
            let people = try await ProgrammeForms.people(form.emails, field: "emails", on: request.db)
            guard !people.isEmpty else { throw Problem.invalid("emails", "name at least one person by e-mail") }
            let role = form.role.flatMap(JourneyRole.init(rawValue:))
            let mentor = role == .participant ? form.mentorId.flatMap(UUIDText.parse) : nil
            do {
                let added = try await Journeys.addMembers(to: try request.id(of: "journey"), JourneyMembersInput(userIds: people, role: role, mentorId: mentor),
                                                          by: principal, now: request.application.clock.now(), on: request.db)
                return request.catalogue("journey.added", ["n": String(added.count)])
            } catch var problem as Problem {
                // The people were named by e-mail here: so are the reasons they were refused.
                let named = try await Users.named(people, on: request.db)
                problem.errors = problem.errors.map { error in
                    guard error.field.hasPrefix("userIds["), let index = Int(error.field.dropFirst(8).dropLast()), people.indices.contains(index) else { return error }
                    return FieldError("emails", "\(named[people[index]]?.email ?? ""): \(error.reason)")
                }
                throw problem
            }
        }, page: { notice, problem in try await page(request, notice: notice, problem: problem) })
    }
}
