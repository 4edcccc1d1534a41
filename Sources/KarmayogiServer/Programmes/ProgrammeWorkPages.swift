import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Blended programmes on the portal: the programmes and one's own places and schedule; a programme's batches with
/// apply; a batch's nominations, seats, waitlist and sessions for its coordinators, trainers and the MDO admins of its
/// people (decided in bulk); the nominations awaiting one's decision; a session's roster where a trainer marks
/// attendance by hand.
struct ProgrammeWorkPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("programmes", use: Self.list)
        routes.get("programmes", ":id", use: Self.show)
        routes.post("programmes", ":id", "apply", use: Self.apply)
        routes.get("batches", ":id", use: Self.batch)
        routes.post("batches", ":id", "decide", use: Self.decideOnBatch)
        routes.get("nominations", use: Self.awaiting)
        routes.post("nominations", use: Self.decideAwaiting)
        routes.post("nominations", ":id", "withdraw", use: Self.withdraw)
        routes.get("sessions", ":id", use: Self.session)
        routes.post("sessions", ":id", "mark", use: Self.mark)
    }

    static func title(_ programme: Programme, _ t: Catalogue) -> String { t.language == "hi" && !programme.titleHi.isEmpty ? programme.titleHi : programme.title }

    static func statusBadge(_ status: NominationStatus, _ t: Catalogue) -> HTML {
        let tone: UI.Tone = switch status {
        case .enrolled, .completed: .success
        case .approved: .info
        case .applied, .nominated: .warning
        case .rejected, .withdrawn: .neutral
        }
        return UI.badge(t("nomination.status.\(status.rawValue)"), tone)
    }

    static func dates(_ start: Int, _ end: Int, _ t: Catalogue) -> String {
        let from = IndiaDay.civil(start), to = IndiaDay.civil(end)
        let first = Formats.day(year: from.year, month: from.month, day: from.day, t)
        return start == end ? first : "\(first) – \(Formats.day(year: to.year, month: to.month, day: to.day, t))"
    }

    static func place(stateCode: Int?, districtCode: Int?, venue: String?) -> String {
        [venue, districtCode.flatMap { Geography.reference.district(code: $0)?.name }, stateCode.flatMap { Geography.reference.state(code: $0)?.name }]
            .compactMap { $0 }.joined(separator: ", ")
    }

    // MARK: Programmes, my places, my schedule

    @Sendable static func list(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let now = request.application.clock.now(), today = IndiaDay.of(now)
        let programmes = try await Programmes.list(page: PageRequest(limit: 200), on: request.db).rows
        let providers = try await Organisations.names(programmes.map(\.providerID), on: request.db)
        let cards: [HTML] = programmes.map { programme in
            """
            <li class="card"><h3><a href="/programmes/\(programme.id!.uuidString.lowercased())">\(title(programme, t))</a></h3>\
            <p class="muted">\(providers[programme.providerID] ?? "") · \(t("programme.route.\(programme.route.rawValue)"))</p></li>
            """
        }
        // Sessions the signed-in person trains today: the code to show and the roster to mark.
        let training = try await Programmes.trainingSessions(of: principal.userID, on: today, on: request.db)
        var trainingRows: [HTML] = training.map { session in
            let id = session.id!.uuidString.lowercased()
            return """
                <tr><td>\(Formats.time(session.startsAt, t))–\(Formats.time(session.endsAt, t))</td><td>\(session.title)</td>\
                <td><a class="button" href="/sessions/\(id)/code">\(t("programmes.showCode"))</a> <a href="/sessions/\(id)">\(t("programmes.roster"))</a></td></tr>
                """
        }
        // And the cascade batches they train today, whose attendance they record.
        trainingRows += try await Cascades.running(trainer: principal.userID, on: today, on: request.db).map { batch in
            """
            <tr><td>\(t("programmes.allDay"))</td><td>\(CascadeTrainingPages.tierName(batch.tier, t))</td>\
            <td><a class="button" href="/cascade-batches/\(batch.id!.uuidString.lowercased())">\(t("cascade.record"))</a></td></tr>
            """
        }
        let mine = try await Programmes.nominations(ofUser: principal.userID, on: request.db)
        let batches = try await Programmes.batchesByID(Set(mine.map(\.batchID)), on: request.db)
        let titles = Dictionary(uniqueKeysWithValues: try await Programmes.programmes(Set(mine.map(\.programmeID)), on: request.db).map { ($0.id!, title($0, t)) })
        let dtos = try await Programmes.nominationDTOs(mine, on: request.db)
        let mineRows: [HTML] = dtos.map { nomination in
            let batch = batches[nomination.batchId]
            let withdraw: HTML = nomination.status.isActive && nomination.status != .completed
                ? "<form method=\"post\" action=\"/nominations/\(nomination.id.uuidString.lowercased())/withdraw\">\(request.csrfField)<button class=\"secondary\">\(t("programmes.withdraw"))</button></form>"
                : ""
            return """
                <tr><td><a href="/programmes/\(nomination.programmeId.uuidString.lowercased())">\(titles[nomination.programmeId] ?? "")</a></td>\
                <td>\(batch?.name ?? "")</td><td>\(batch.map { dates($0.startDay, $0.endDay, t) } ?? "")</td>\
                <td>\(statusBadge(nomination.status, t))\(nomination.waitlistPosition.map { " " + t("programmes.waitlistPosition", ["n": String($0)]) } ?? "")</td>\
                <td>\(withdraw)</td></tr>
                """
        }
        let schedule = try await Programmes.schedule(of: principal.userID, from: IndiaDay.start(today), on: request.db)
        let scheduleRows: [HTML] = schedule.map { session, batch in
            let place = session.onlineURL.map { "<a href=\"\($0)\" rel=\"noopener\">\(t("event.online"))</a>" as HTML }
                ?? HTML(stringLiteral: (session.venue ?? batch.venue) ?? Self.place(stateCode: batch.stateCode, districtCode: batch.districtCode, venue: nil))
            return "<tr><td>\(Formats.moment(session.startsAt, t))</td><td>\(session.title)</td><td>\(batch.name)</td><td>\(place)</td></tr>"
        }
        let decides = !(try await Programmes.awaiting(by: principal, on: request.db).isEmpty)
        let makes = Programmes.coordinatesSomewhere(principal)
        return Layout.page(t("programmes.title"), for: request, """
            <p class="muted">\(t("programmes.intro"))</p>
            <p class="actions">\(makes ? "<a class=\"button\" href=\"/programmes/new\">\(t("programmes.new"))</a>" as HTML : "") <a href="/journeys">\(t("journeys.title"))</a> <a href="/cascades">\(t("cascades.title"))</a></p>
            \(decides ? "<p><a class=\"button\" href=\"/nominations\">\(t("programmes.awaiting"))</a></p>" as HTML : "")
            \(trainingRows.isEmpty ? "" : "<section aria-labelledby=\"training\"><h2 id=\"training\">\(t("programmes.trainingToday"))</h2>\(UI.table(t("programmes.trainingToday"), head: [t("programmes.time"), t("programmes.session"), ""], rows: trainingRows, empty: ""))</section>" as HTML)
            <section aria-labelledby="mine"><h2 id="mine">\(t("programmes.mine"))</h2>
            \(UI.table(t("programmes.mine"), head: [t("programmes.programme"), t("programmes.batch"), t("programmes.dates"), t("programmes.status"), ""], rows: mineRows, empty: t("programmes.mineNone")))</section>
            <section aria-labelledby="schedule"><h2 id="schedule">\(t("programmes.schedule"))</h2>
            \(UI.table(t("programmes.schedule"), head: [t("programmes.when"), t("programmes.session"), t("programmes.batch"), t("programmes.where")], rows: scheduleRows, empty: t("programmes.scheduleNone")))</section>
            <section aria-labelledby="all"><h2 id="all">\(t("programmes.all"))</h2>
            \(cards.isEmpty ? UI.empty(t("programmes.none")) : "<ul class=\"plain\">\(cards)</ul>" as HTML)</section>
            """)
    }

    // MARK: A programme

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await programmePage(request, notice: nil, problem: nil)
    }

    static func programmePage(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let programme = try await Programmes.find(try request.id(of: "programme"), on: request.db)
        let coordinator = try await Programmes.mayCoordinate(programme, principal, on: request.db)
        let batches = try await Programmes.batchDTOs(try await Programmes.batches(of: programme.id!, on: request.db), on: request.db)
        let mine = Dictionary(try await Programmes.nominations(ofUser: principal.userID, on: request.db).filter { $0.programmeID == programme.id! && $0.status.isActive }
            .map { ($0.batchID, $0.status) }, uniquingKeysWith: { a, _ in a })
        let today = IndiaDay.of(request.application.clock.now())
        let rows: [HTML] = batches.map { batch in
            let id = batch.id.uuidString.lowercased()
            let start = IndiaDay.parse(batch.startDate) ?? 0, end = IndiaDay.parse(batch.endDate) ?? 0
            var actions: HTML = ""
            if let status = mine[batch.id] {
                actions = statusBadge(status, t)
            } else if end >= today {
                actions = "<form method=\"post\" action=\"/programmes/\(programme.id!.uuidString.lowercased())/apply\">\(request.csrfField)<input type=\"hidden\" name=\"batchId\" value=\"\(id)\"><button>\(t("programmes.apply"))</button></form>"
            }
            if coordinator { actions = "\(actions) <a href=\"/batches/\(id)\">\(t("programmes.manage"))</a>" }
            return """
                <tr><td>\(batch.name)</td><td>\(dates(start, end, t))</td><td>\(place(stateCode: batch.stateCode, districtCode: batch.districtCode, venue: batch.venue))</td>\
                <td class="number">\(batch.seatsTaken)/\(batch.seats)</td><td class="number">\(batch.waiting)</td><td>\(actions)</td></tr>
                """
        }
        let provider = try await Organisations.names([programme.providerID], on: request.db)[programme.providerID] ?? ""
        return Layout.page(title(programme, t), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("programmes.title"), "/programmes"), UI.Crumb(title(programme, t))], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            <p class="muted">\(provider) · \(t("programme.route.\(programme.route.rawValue)")) · \(t("programmes.rule", ["percent": String(programme.minimumAttendance), "online": String(programme.courseIDs.count)]))</p>
            \(Qualifications.line(try await Qualifications.alignment(of: .programme, programme.id!, on: request.db), t))
            \(programme.description.isEmpty ? "" : "<p>\(programme.description)</p>" as HTML)
            <h2>\(t("programmes.batches"))</h2>
            \(UI.table(t("programmes.batches"), head: [t("programmes.batch"), t("programmes.dates"), t("programmes.where"), t("programmes.seats"), t("programmes.waiting"), ""],
                       rows: rows, empty: t("programmes.batchesNone"), numeric: [3, 4]))
            \(coordinator ? ProgrammeForms.batchForm(request, programme: programme.id!) : "")
            """)
    }

    struct ApplyForm: Content {
        var csrf: String?
        var batchId: String?
    }

    @Sendable static func apply(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        guard let batch = try request.content.decode(ApplyForm.self).batchId.flatMap(UUIDText.parse) else { throw Problem.invalid("batchId", "is required") }
        return try await Layout.answer(request, {
            let made = try await Programmes.nominate(to: batch, NominationInput(), by: principal, clock: request.application.clock, on: request.db)
            return t("programmes.applied", ["status": t("nomination.status.\(made.first?.status.rawValue ?? "applied")")])
        }, page: { notice, problem in try await programmePage(request, notice: notice, problem: problem) })
    }

    @Sendable static func withdraw(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        _ = try await Programmes.decide(try request.id(of: "nomination"), .withdraw, reason: nil, by: principal, clock: request.application.clock, on: request.db)
        return request.redirect(to: "/programmes#mine", redirectType: .normal)
    }

    // MARK: A batch, and decisions in bulk

    @Sendable static func batch(_ request: Request) async throws -> HTML {
        try await batchPage(request, notice: nil, problem: nil)
    }

    static func batchPage(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let batch = try await Programmes.batch(try request.id(of: "batch"), on: request.db)
        let programme = try await Programmes.find(batch.programmeID, on: request.db)
        // Those without a part in the batch see it as if it did not exist.
        let nominations = try await Programmes.nominations(of: batch.id!, by: principal, on: request.db)
        let coordinator = try await Programmes.mayCoordinate(programme, principal, on: request.db)
        let trainer = batch.trainerIDs.contains(principal.userID)
        guard coordinator || trainer || nominations.contains(where: { $0.userID != principal.userID }) else { throw Problem.notFound("batch") }
        let dtos = try await Programmes.nominationDTOs(nominations, on: request.db)
        let rows: [HTML] = dtos.map { nomination in
            let id = nomination.id.uuidString.lowercased()
            let open = nomination.status == .applied || nomination.status == .nominated
            return """
                <tr><td>\(open ? "<input type=\"checkbox\" name=\"ids[]\" value=\"\(id)\" id=\"n-\(id)\" aria-label=\"\(nomination.name ?? "")\">" as HTML : "")</td>\
                <td>\(nomination.name ?? "")</td><td>\(statusBadge(nomination.status, t))</td>\
                <td class="number">\(nomination.waitlistPosition.map(String.init) ?? "")</td><td>\(nomination.steps.last?.reason ?? "")</td></tr>
                """
        }
        let sessions = try await Programmes.sessionDTOs(try await Programmes.sessions(of: batch.id!, on: request.db), for: principal, on: request.db)
        let sessionRows: [HTML] = sessions.map { session in
            let id = session.id.uuidString.lowercased()
            return """
                <tr><td>\(Formats.moment(session.startsAt, t))</td><td>\(session.title)</td><td class="number">\(session.attended)</td>\
                <td>\(session.mayMark ? "<a href=\"/sessions/\(id)/code\">\(t("programmes.showCode"))</a> · <a href=\"/sessions/\(id)\">\(t("programmes.roster"))</a>" as HTML : "")</td></tr>
                """
        }
        let seated = dtos.filter { $0.status.holdsSeat }.count
        let tools = coordinator ? ProgrammeForms.batchTools(request, batch: batch.id!) : (nominate: "" as HTML, session: "" as HTML)
        return Layout.page(batch.name, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("programmes.title"), "/programmes"),
                                                              UI.Crumb(title(programme, t), "/programmes/\(programme.id!.uuidString.lowercased())"), UI.Crumb(batch.name)], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            <div class="figures">\(UI.figure(t("programmes.seats"), "\(seated)/\(batch.seats)"))\
            \(UI.figure(t("programmes.waiting"), "\(dtos.filter { $0.status == .approved }.count)"))\
            \(UI.figure(t("programmes.dates"), HTML(stringLiteral: dates(batch.startDay, batch.endDay, t))))</div>
            <h2>\(t("programmes.nominations"))</h2>
            <form method="post" action="/batches/\(batch.id!.uuidString.lowercased())/decide">\(request.csrfField)
            \(UI.table(t("programmes.nominations"), head: ["", t("programmes.person"), t("programmes.status"), t("programmes.waitlist"), t("programmes.reason")],
                       rows: rows, empty: t("programmes.nominationsNone"), numeric: [3]))
            \(dtos.contains { $0.status == .applied || $0.status == .nominated } ? decisionControls(t) : "")
            </form>
            \(tools.nominate)
            <h2>\(t("programmes.sessions"))</h2>
            \(UI.table(t("programmes.sessions"), head: [t("programmes.when"), t("programmes.session"), t("programmes.attended"), ""], rows: sessionRows,
                       empty: t("programmes.sessionsNone"), numeric: [2]))
            \(tools.session)
            """)
    }

    static func decisionControls(_ t: Catalogue) -> HTML {
        """
        <label for="reason">\(t("programmes.reason"))</label><span class="hint" id="reason-hint">\(t("programmes.reasonHint"))</span>\
        <input type="text" id="reason" name="reason" maxlength="1000" aria-describedby="reason-hint">
        <p class="actions"><button name="action" value="approve">\(t("programmes.approveSelected"))</button> \
        <button name="action" value="reject" class="secondary">\(t("programmes.rejectSelected"))</button></p>
        """
    }

    struct DecisionForm: Content {
        var csrf: String?
        var ids: [String]?
        var action: String?
        var reason: String?
    }

    /// Decides each chosen nomination on its own: those that may be taken are, and those refused are named with why.
    static func decideChosen(_ request: Request, principal: Principal) async throws -> String {
        let t = request.catalogue
        let form = try request.content.decode(DecisionForm.self)
        guard let action = form.action.flatMap(NominationAction.init(rawValue:)), action == .approve || action == .reject else {
            throw Problem.invalid("action", "must be approve or reject")
        }
        let ids = (form.ids ?? []).compactMap(UUIDText.parse)
        guard !ids.isEmpty else { throw Problem.invalid("ids", t("programmes.chooseSome")) }
        guard ids.count <= 500 else { throw Problem.invalid("ids", "at most 500 at once") }
        var done = 0
        var refused: [FieldError] = []
        let names = try await Programmes.nominationNames(ids, on: request.db)
        for id in ids {
            do {
                _ = try await Programmes.decide(id, action, reason: form.reason, by: principal, clock: request.application.clock, on: request.db)
                done += 1
            } catch let problem as Problem {
                refused.append(FieldError(names[id] ?? id.uuidString, problem.errors.first?.reason ?? problem.detail))
            }
        }
        if !refused.isEmpty, done == 0 { throw Problem(.conflict, t("programmes.noneDecided"), errors: refused) }
        let message = t(action == .approve ? "programmes.approved" : "programmes.rejected", ["n": String(done)])
        return refused.isEmpty ? message : "\(message) \(t("programmes.someRefused", ["names": refused.map { "\($0.field) (\($0.reason))" }.joined(separator: "; ")]))"
    }

    @Sendable static func decideOnBatch(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        return try await Layout.answer(request, { try await decideChosen(request, principal: principal) },
                                       page: { notice, problem in try await batchPage(request, notice: notice, problem: problem) })
    }

    @Sendable static func awaiting(_ request: Request) async throws -> HTML {
        try await awaitingPage(request, notice: nil, problem: nil)
    }

    /// The nominations awaiting the signed-in person's decision, across batches: an MDO admin's people's applications,
    /// a coordinator's nominations.
    static func awaitingPage(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let waiting = try await Programmes.awaiting(by: principal, on: request.db)
        let dtos = try await Programmes.nominationDTOs(waiting, on: request.db)
        let titles = Dictionary(uniqueKeysWithValues: try await Programmes.programmes(Set(waiting.map(\.programmeID)), on: request.db).map { ($0.id!, title($0, t)) })
        let batches = try await Programmes.batchesByID(Set(waiting.map(\.batchID)), on: request.db)
        let rows: [HTML] = dtos.map { nomination in
            let id = nomination.id.uuidString.lowercased()
            let batch = batches[nomination.batchId]
            return """
                <tr><td><input type="checkbox" name="ids[]" value="\(id)" id="n-\(id)" aria-label="\(nomination.name ?? "")"></td>\
                <td>\(nomination.name ?? "")</td><td>\(titles[nomination.programmeId] ?? "")</td>\
                <td>\(batch.map { "<a href=\"/batches/\($0.id!.uuidString.lowercased())\">\($0.name)</a>" as HTML } ?? "")</td>\
                <td>\(batch.map { dates($0.startDay, $0.endDay, t) } ?? "")</td><td>\(statusBadge(nomination.status, t))</td></tr>
                """
        }
        return Layout.page(t("programmes.awaiting"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("programmes.title"), "/programmes"), UI.Crumb(t("programmes.awaiting"))], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            <p class="muted">\(t("programmes.awaitingIntro"))</p>
            <form method="post" action="/nominations">\(request.csrfField)
            \(UI.table(t("programmes.awaiting"), head: ["", t("programmes.person"), t("programmes.programme"), t("programmes.batch"), t("programmes.dates"), t("programmes.status")],
                       rows: rows, empty: t("programmes.awaitingNone")))
            \(rows.isEmpty ? "" : decisionControls(t))
            </form>
            """)
    }

    @Sendable static func decideAwaiting(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        return try await Layout.answer(request, { try await decideChosen(request, principal: principal) },
                                       page: { notice, problem in try await awaitingPage(request, notice: notice, problem: problem) })
    }

    // MARK: A session's roster

    @Sendable static func session(_ request: Request) async throws -> HTML {
        try await sessionPage(request, notice: nil, problem: nil)
    }

    static func sessionPage(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let id = try request.id(of: "session")
        // The ledger is the trainers' and coordinators' (a participant's own row aside): others find no roster here.
        let (session, batch, seated) = try await Programmes.roster(of: id, by: principal, on: request.db)
        let ledger = Dictionary(try await Programmes.attendance(of: id, by: principal, on: request.db).map { ($0.userId, $0) }, uniquingKeysWith: { a, _ in a })
        let names = try await Users.named(seated, on: request.db)
        let rows: [HTML] = seated.sorted { (names[$0]?.name ?? "") < (names[$1]?.name ?? "") }.map { user in
            let mark = ledger[user]
            let form: HTML = mark == nil ? """
                <form method="post" action="/sessions/\(id.uuidString.lowercased())/mark" class="inline">\(request.csrfField)\
                <input type="hidden" name="userId" value="\(user.uuidString.lowercased())">\
                <label class="visually-hidden" for="r-\(user.uuidString.lowercased())">\(t("programmes.markReason"))</label>\
                <input type="text" id="r-\(user.uuidString.lowercased())" name="reason" maxlength="1000" required placeholder="\(t("programmes.markReason"))">\
                <button class="secondary">\(t("programmes.markPresent"))</button></form>
                """ : ""
            let how: HTML = mark.map { UI.badge(t("programmes.how.\($0.how)"), .success) } ?? UI.badge(t("programmes.notYet"))
            return "<tr><td>\(names[user]?.name ?? "")</td><td>\(how)\(mark.map { " " + Formats.time($0.at, t) } ?? "")</td><td>\(form)</td></tr>"
        }
        return Layout.page(session.title, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("programmes.title"), "/programmes"),
                                                                 UI.Crumb(batch.name, "/batches/\(batch.id!.uuidString.lowercased())"), UI.Crumb(session.title)], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            <p class="muted">\(Formats.moment(session.startsAt, t)) – \(Formats.time(session.endsAt, t))\(session.venue.map { " · \($0)" } ?? "")</p>
            <p><a class="button" href="/sessions/\(id.uuidString.lowercased())/code">\(t("programmes.showCode"))</a></p>
            <div class="figures">\(UI.figure(t("programmes.attended"), "\(ledger.count)/\(seated.count)"))</div>
            \(UI.table(t("programmes.roster"), head: [t("programmes.person"), t("programmes.attendance"), ""], rows: rows, empty: t("programmes.rosterNone")))
            """)
    }

    struct MarkForm: Content {
        var csrf: String?
        var userId: String?
        var reason: String?
    }

    @Sendable static func mark(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let form = try request.content.decode(MarkForm.self)
        return try await Layout.answer(request, {
            guard let user = form.userId.flatMap(UUIDText.parse) else { throw Problem.invalid("userId", "is required") }
            _ = try await Programmes.mark(try request.id(of: "session"), AttendanceMarkInput(userId: user, reason: form.reason ?? ""), by: principal,
                                          now: request.application.clock.now(), on: request.db)
            return t("programmes.marked")
        }, page: { notice, problem in try await sessionPage(request, notice: notice, problem: problem) })
    }
}

extension Programmes {
    /// A person's nominations, the latest batches first.
    static func nominations(ofUser user: UUID, on database: any Database) async throws -> [Nomination] {
        try await Nomination.query(on: database).filter(\.$userID == user).sort(\.$startDay, .descending).limit(200).all()
    }

    static func batchesByID(_ ids: Set<UUID>, on database: any Database) async throws -> [UUID: ProgrammeBatch] {
        guard !ids.isEmpty else { return [:] }
        return Dictionary(uniqueKeysWithValues: try await ProgrammeBatch.query(on: database).filter(\.$id ~~ ids).all().map { ($0.id!, $0) })
    }

    static func programmes(_ ids: Set<UUID>, on database: any Database) async throws -> [Programme] {
        guard !ids.isEmpty else { return [] }
        return try await Programme.query(on: database).filter(\.$id ~~ ids).all()
    }

    /// The nominees' names, by nomination.
    static func nominationNames(_ ids: [UUID], on database: any Database) async throws -> [UUID: String] {
        let nominations = try await Nomination.query(on: database).filter(\.$id ~~ ids).all()
        let names = try await Users.named(nominations.map(\.userID), on: database)
        return Dictionary(uniqueKeysWithValues: nominations.map { ($0.id!, names[$0.userID]?.name ?? "") })
    }

    /// The nominations waiting for the signed-in person: applications of people within their reach as an MDO admin,
    /// nominations of the programmes they coordinate.
    static func awaiting(by principal: Principal, on database: any Database) async throws -> [Nomination] {
        // Only MDO admins and coordinators decide: for everyone else, nothing is read.
        guard coordinatesSomewhere(principal) || !principal.access.reach(of: .manageUsers).isEmpty else { return [] }
        let pending = try await Nomination.query(on: database).filter(\.$status ~~ [.applied, .nominated]).sort(\.$createdAt).limit(2_000).all()
        guard !pending.isEmpty else { return [] }
        let places = try await Rollups.places(of: Array(Set(pending.map(\.userID))), on: database as! any SQLDatabase)
        var coordinates: [UUID: Bool] = [:]
        for programme in try await programmes(Set(pending.map(\.programmeID)), on: database) {
            coordinates[programme.id!] = try await mayCoordinate(programme, principal, on: database)
        }
        return pending.filter { nomination in
            guard nomination.userID != principal.userID else { return false }
            let parts = parts(for: nomination.userID, place: places[nomination.userID], coordinator: coordinates[nomination.programmeID] ?? false, principal: principal)
            return nomination.status == .applied ? parts.isMDOAdmin : parts.isCoordinator
        }
    }

    /// The sessions of the batches the person holds a seat in, from a moment on.
    static func schedule(of user: UUID, from: Date, on database: any Database) async throws -> [(ProgrammeSession, ProgrammeBatch)] {
        let seated = try await Nomination.query(on: database).filter(\.$userID == user).filter(\.$status ~~ [.enrolled, .completed]).all(\.$batchID)
        guard !seated.isEmpty else { return [] }
        let batches = try await batchesByID(Set(seated), on: database)
        return try await ProgrammeSession.query(on: database).filter(\.$batchID ~~ seated).filter(\.$endsAt >= from).sort(\.$startsAt).limit(50).all()
            .compactMap { session in batches[session.batchID].map { (session, $0) } }
    }

    /// The sessions on a day of the batches the person trains.
    static func trainingSessions(of user: UUID, on day: Int, on database: any Database) async throws -> [ProgrammeSession] {
        let batches = try await ProgrammeBatch.query(on: database).filter(\.$startDay <= day).filter(\.$endDay >= day)
            .filter(\.$trainers, .custom("LIKE"), "%\(user.uuidString)%").all(\.$id)
        guard !batches.isEmpty else { return [] }
        return try await ProgrammeSession.query(on: database).filter(\.$batchID ~~ batches).filter(\.$startsAt >= IndiaDay.start(day))
            .filter(\.$startsAt < IndiaDay.start(day + 1)).sort(\.$startsAt).all()
    }

    /// A session, its batch and the people holding its seats, for those who mark its attendance.
    static func roster(of sessionID: UUID, by principal: Principal, on database: any Database) async throws -> (ProgrammeSession, ProgrammeBatch, [UUID]) {
        guard let session = try await ProgrammeSession.find(sessionID, on: database) else { throw Problem.notFound("session") }
        let batch = try await batch(session.batchID, on: database)
        guard try await mayMark(batch, programme: try await find(batch.programmeID, on: database), principal, on: database) else { throw Problem.notFound("session") }
        let seated = try await Nomination.query(on: database).filter(\.$batchID == batch.id!).filter(\.$status ~~ [.enrolled, .completed]).all(\.$userID)
        return (session, batch, seated)
    }
}
