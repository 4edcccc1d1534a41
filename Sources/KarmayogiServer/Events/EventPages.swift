import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Talks, webinars and workshops on the portal: the list and a month's calendar, an event's page with register, join
/// and check-in, and for its organisers the rotating check-in code, the attendance so far, the attendance sheet and
/// the recording; making and changing events.
struct EventPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("events", use: Self.list)
        routes.get("events", "new", use: Self.newForm)
        routes.post("events", "new", use: Self.create)
        routes.get("events", ":id", use: Self.show)
        routes.get("events", ":id", "live", use: Self.live)
        routes.get("events", ":id", "edit", use: Self.editForm)
        routes.post("events", ":id", "edit", use: Self.edit)
        routes.post("events", ":id", "register") { try await Self.act($0, "register") }
        routes.post("events", ":id", "leave") { try await Self.act($0, "leave") }
        routes.post("events", ":id", "check-in") { try await Self.act($0, "checkIn") }
        routes.post("events", ":id", "cancel") { try await Self.act($0, "cancel") }
        routes.post("events", ":id", "recording") { try await Self.act($0, "recording") }
        routes.post("events", ":id", "nominate") { try await Self.act($0, "nominate") }
        routes.on(.POST, "events", ":id", "attendance", body: .collect(maxSize: "16mb")) { try await Self.act($0, "sheet") }
    }

    static func title(_ event: EventDTO, _ t: Catalogue) -> String { t.language == "hi" && !event.titleHi.isEmpty ? event.titleHi : event.title }

    static func when(_ event: EventDTO, _ t: Catalogue) -> String {
        "\(Formats.moment(event.startsAt, t)) – \(Formats.time(event.endsAt, t))"
    }

    static func phaseBadge(_ event: EventDTO, _ t: Catalogue) -> HTML {
        UI.badge(t("event.phase.\(event.phase)"), event.phase == "open" ? .success : event.phase == "cancelled" ? .danger : event.phase == "upcoming" ? .info : .neutral)
    }

    // MARK: List and calendar

    @Sendable static func list(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let now = request.application.clock.now()
        let today = IndiaDay.civil(IndiaDay.of(now))
        var month = (year: today.year, month: today.month)
        if let text = request.query[String.self, at: "month"] {
            let parts = text.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 2, (2000...2999).contains(parts[0]), (1...12).contains(parts[1]) else { throw Problem.invalid("month", "must be YYYY-MM") }
            month = (parts[0], parts[1])
        }
        let calendar = request.query[String.self, at: "view"] == "calendar", past = request.query[String.self, at: "view"] == "past"
        let first = IndiaDay.days(year: month.year, month: month.month, day: 1)
        let next = month.month == 12 ? (month.year + 1, 1) : (month.year, month.month + 1)
        let last = IndiaDay.days(year: next.0, month: next.1, day: 1) - 1
        let from = calendar ? IndiaDay.start(first) : past ? now.addingTimeInterval(-365 * 86_400) : nil
        let to = calendar ? IndiaDay.start(last + 1) : past ? now : nil
        var events = try await Events.list(from: from, to: to, mine: request.query[String.self, at: "mine"] == "true", page: PageRequest(limit: 200),
                                           for: principal, now: now, on: request.db).items
        if past { events = events.filter { $0.endsAt <= now }.reversed() }
        let mayOrganise = principal.access.isNationalAdmin || !principal.access.reach(of: .manageUsers).isEmpty || principal.access.grants.contains { $0.role == .programmeCoordinator || $0.role == .cbpAdmin || $0.role == .contentPublisher }
        let switcher: HTML = """
            <nav aria-label="\(t("events.views"))"><ul class="tabs">\
            <li>\(calendar || past ? "<a href=\"/events\">\(t("events.list"))</a>" as HTML : "<strong aria-current=\"page\">\(t("events.list"))</strong>" as HTML)</li>\
            <li>\(calendar ? "<strong aria-current=\"page\">\(t("events.calendar"))</strong>" as HTML : "<a href=\"/events?view=calendar\">\(t("events.calendar"))</a>" as HTML)</li>\
            <li>\(past ? "<strong aria-current=\"page\">\(t("events.past"))</strong>" as HTML : "<a href=\"/events?view=past\">\(t("events.past"))</a>" as HTML)</li>\
            <li><a href="/events?mine=true">\(t("events.mine"))</a></li></ul></nav>
            """
        let body: HTML
        if calendar {
            body = monthGrid(events, first: first, last: last, month: month, today: IndiaDay.of(now), t)
        } else {
            let cards: [HTML] = events.map { event in
                """
                <li class="card"><h2 class="h3"><a href="/events/\(event.id.uuidString.lowercased())">\(title(event, t))</a></h2>\
                <p>\(phaseBadge(event, t)) \(t("event.kind.\(event.kind.rawValue)")) · \(when(event, t))</p>\
                <p class="muted">\(event.speakers.map(\.name).joined(separator: ", "))\(event.organiserName.map { " · \($0)" } ?? "")\
                \(event.venue.map { " · \($0)" } ?? "")\(event.online ? " · " + t("event.online") : "")</p>\
                \(event.myRegistration.map { "<p>\(UI.badge(t("event.registration.\($0)"), .success))</p>" as HTML } ?? "")</li>
                """
            }
            body = cards.isEmpty ? UI.empty(t("events.none")) : "<ul class=\"plain\">\(cards)</ul>"
        }
        return Layout.page(t("events.title"), for: request, """
            <p class="muted">\(t("events.intro"))</p>
            \(mayOrganise ? "<p><a class=\"button\" href=\"/events/new\">\(t("events.new"))</a></p>" as HTML : "")
            \(switcher)
            \(body)
            """)
    }

    /// A month as a table of weeks (Monday first), each day listing its events; a list on a phone's narrow screen too.
    static func monthGrid(_ events: [EventDTO], first: Int, last: Int, month: (year: Int, month: Int), today: Int, _ t: Catalogue) -> HTML {
        let byDay = Dictionary(grouping: events, by: { IndiaDay.of($0.startsAt) })
        let previous = month.month == 1 ? (month.year - 1, 12) : (month.year, month.month - 1)
        let next = month.month == 12 ? (month.year + 1, 1) : (month.year, month.month + 1)
        var rows: [HTML] = []
        var day = IndiaDay.weekStart(first)
        while day <= last {
            var cells: [HTML] = []
            for offset in 0..<7 {
                let current = day + offset
                let inMonth = (first...last).contains(current)
                let items: [HTML] = (byDay[current] ?? []).map { event in
                    "<li><a href=\"/events/\(event.id.uuidString.lowercased())\">\(Formats.time(event.startsAt, t)) \(title(event, t))</a></li>"
                }
                cells.append("<td class=\"\(inMonth ? "" : "muted")\(current == today ? " today" : "")\"><span class=\"day\">\(IndiaDay.civil(current).day)</span>\(items.isEmpty ? "" : "<ul class=\"plain\">\(items)</ul>" as HTML)</td>")
            }
            rows.append("<tr>\(cells)</tr>")
            day += 7
        }
        let weekdays: [HTML] = (1...7).map { "<th scope=\"col\">\(t("weekday.\($0)"))</th>" }
        let label = "\(t("month.\(month.month)")) \(month.year)"
        return """
            <p class="actions"><a href="/events?view=calendar&month=\(String(format: "%04d-%02d", previous.0, previous.1))">← \(t("events.previousMonth"))</a>\
            <strong>\(label)</strong>\
            <a href="/events?view=calendar&month=\(String(format: "%04d-%02d", next.0, next.1))">\(t("events.nextMonth")) →</a></p>
            <div class="scroll" role="region" aria-label="\(label)" tabindex="0"><table class="calendar"><caption class="visually-hidden">\(label)</caption>\
            <thead><tr>\(weekdays)</tr></thead><tbody>\(rows)</tbody></table></div>
            """
    }

    // MARK: An event

    @Sendable static func show(_ request: Request) async throws -> HTML {
        try await page(request, principal: try request.pagePrincipal(), notice: nil, problem: nil)
    }

    static func page(_ request: Request, principal: Principal, notice: String?, problem: Problem?) async throws -> HTML {
        let t = request.catalogue
        let now = request.application.clock.now()
        let event = try await Events.find(try request.id(of: "event"), on: request.db)
        let dto = try await Events.dtos([event], for: principal, now: now, on: request.db)[0]
        let id = dto.id.uuidString.lowercased()
        let competencies = try await Competencies.names(dto.competencies.map(\.competencyId), on: request.db)
        let speakers: [HTML] = dto.speakers.map { "<li>\($0.name)\($0.role.map { " — \($0)" } ?? "")</li>" }
        let claims: [HTML] = dto.competencies.map { "<li>\(competencies[$0.competencyId] ?? "") · \(t("designations.level")) \($0.level)</li>" }
        let place = [dto.venue, dto.districtCode.flatMap { Geography.reference.district(code: $0)?.name }, dto.stateCode.flatMap { Geography.reference.state(code: $0)?.name }]
            .compactMap { $0 }.joined(separator: ", ")
        let rule = dto.attendanceRule.kind == .minutes ? t("event.rule.minutes", ["minutes": String(dto.attendanceRule.minutes ?? 0)]) : t("event.rule.checkIn")

        // What the person can do now.
        var actions: [HTML] = []
        let open = dto.phase == "open", ended = dto.phase == "ended"
        if dto.status == .scheduled && !ended {
            if dto.myRegistration == nil {
                if dto.registration == .open {
                    actions.append("<form method=\"post\" action=\"/events/\(id)/register\" class=\"inline\">\(request.csrfField)<button>\(t("event.register"))</button></form>")
                } else {
                    actions.append("<p class=\"muted\">\(t("event.byNomination"))</p>")
                }
            } else {
                actions.append("<p>\(UI.badge(t("event.registration.\(dto.myRegistration!)"), .success))</p>")
                if open && dto.online {
                    actions.append("<a class=\"button\" href=\"/events/\(id)/live\" target=\"_blank\" rel=\"noopener\">\(t("event.join"))</a>")
                    actions.append("<form method=\"post\" action=\"/events/\(id)/leave\" class=\"inline\">\(request.csrfField)<button class=\"secondary\">\(t("event.leave"))</button></form>")
                } else if !open {
                    actions.append("<p class=\"muted\">\(t("event.opensAt", ["time": Formats.moment(event.doorsOpen, t)]))</p>")
                }
            }
        }
        let checkIn: HTML = dto.myRegistration != nil && open ? """
            <form method="post" action="/events/\(id)/check-in" class="card">\(request.csrfField)
            <label for="code">\(t("event.checkInCode"))</label><span class="hint" id="code-hint">\(t("event.checkInHint"))</span>
            <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required aria-describedby="code-hint">
            <p><button>\(t("event.checkIn"))</button></p></form>
            """ : ""
        let attendance: HTML = dto.myAttendance.map { mine in
            if let certificate = mine.certificateId {
                return "<p>\(UI.badge(t("event.attended"), .success)) <a href=\"/certificates/\(certificate.uuidString)\">\(t("event.certificate"))</a></p>"
            }
            return "<p>\(UI.badge(t("event.notAttended", ["minutes": String(mine.minutes)]), .warning))</p>"
        } ?? ""

        var organiser: HTML = ""
        if dto.mayManage {
            let people = try await Events.attendance(of: dto.id, by: principal, now: now, on: request.db)
            let rows: [HTML] = people.map { person in
                "<tr><td>\(person.name ?? "")</td><td class=\"number\">\(person.minutes)</td><td>\(person.checkedIn ? "✓" : "")</td>"
                    + "<td>\(person.attended ? t("event.yes") : t("event.no"))</td><td>\(person.certificateId.map { "<a href=\"/certificates/\($0.uuidString)\">\(t("event.certificate"))</a>" as HTML } ?? "")</td></tr>"
            }
            let code: HTML = open && dto.status == .scheduled ? """
                <noscript><meta http-equiv="refresh" content="30"></noscript>
                <section class="card" data-live="20" aria-labelledby="h-code"><h2 id="h-code">\(t("event.showCode"))</h2>\
                <p class="checkin-code">\(CheckInCode(secret: event.secret).code(at: now))</p>\
                <p class="muted">\(t("event.codeChanges", ["time": Formats.time(CheckInCode.expiry(at: now), t)]))</p></section>
                """ : ""
            organiser = """
                <h2>\(t("event.organisers"))</h2>
                <div class="actions">\
                \(dto.settledAt == nil ? "<a class=\"button secondary\" href=\"/events/\(id)/edit\">\(t("event.edit"))</a>" as HTML : "")\
                \(dto.status == .scheduled && !ended ? "<form method=\"post\" action=\"/events/\(id)/cancel\" class=\"inline\">\(request.csrfField)<button class=\"danger\">\(t("event.cancel"))</button></form>" as HTML : "")\
                </div>
                \(code)
                <h3>\(t("event.attendance", ["count": String(people.filter(\.attended).count)]))</h3>
                \(UI.table(t("event.attendanceTable"), head: [t("event.person"), t("event.minutes"), t("event.checkedIn"), t("event.attendedColumn"), t("event.certificate")],
                           rows: rows, empty: t("event.nobodyYet"), numeric: [1]))
                \(dto.status == .scheduled && !ended ? """
                <form method="post" action="/events/\(id)/nominate" class="card">\(request.csrfField)
                <label for="people">\(t("event.nominate"))</label><span class="hint" id="people-hint">\(t("event.nominateHint"))</span>
                <textarea id="people" name="people" rows="3" aria-describedby="people-hint"></textarea>
                <p><button class="secondary">\(t("event.nominateButton"))</button></p></form>
                """ as HTML : "")
                <form method="post" action="/events/\(id)/attendance" enctype="multipart/form-data" class="card">\(request.csrfField)
                <label for="file">\(t("event.sheet"))</label><span class="hint" id="file-hint">\(t("event.sheetHint"))</span>
                <input type="file" id="file" name="file" accept=".csv,text/csv" required aria-describedby="file-hint">
                <p><button>\(t("event.upload"))</button></p></form>
                \(ended ? """
                <form method="post" action="/events/\(id)/recording" class="card">\(request.csrfField)
                <label for="recording">\(t("event.recording"))</label><span class="hint" id="recording-hint">\(t("event.recordingHint"))</span>
                <input type="text" id="recording" name="recordingCourseId" value="\(dto.recordingCourseId?.uuidString.lowercased() ?? "")" aria-describedby="recording-hint">
                <p><button class="secondary">\(t("event.linkRecording"))</button></p></form>
                """ as HTML : "")
                """
        }
        return Layout.page(title(dto, t), for: request, crumbs: [UI.Crumb(t("events.title"), "/events"), UI.Crumb(title(dto, t))], """
            \(notice.map { "<p class=\"notice\" role=\"status\">\($0)</p>" as HTML } ?? "")\(Layout.problem(problem, t))
            <p>\(phaseBadge(dto, t)) \(t("event.kind.\(dto.kind.rawValue)")) · \(when(dto, t))</p>
            <div class="pair"><section class="card" aria-labelledby="h-about"><h2 id="h-about">\(t("event.about"))</h2>
            \(dto.description.isEmpty ? "" : "<p>\(dto.description)</p>" as HTML)
            \(speakers.isEmpty ? "" : "<h3>\(t("event.speakers"))</h3><ul>\(speakers)</ul>" as HTML)
            <dl class="facts-list"><dt>\(t("event.where"))</dt><dd>\(place.isEmpty ? t("event.online") : place + (dto.online ? " · " + t("event.online") : ""))</dd>
            <dt>\(t("event.organiser"))</dt><dd>\(dto.organiserName ?? "")</dd>
            <dt>\(t("event.seats"))</dt><dd>\(dto.capacity.map { t("event.seatsOf", ["registered": Formats.number(dto.registered), "capacity": Formats.number($0)]) } ?? Formats.number(dto.registered))</dd>
            <dt>\(t("event.rule"))</dt><dd>\(rule)</dd></dl>
            \(claims.isEmpty ? "" : "<h3>\(t("event.competencies"))</h3><ul>\(claims)</ul>" as HTML)
            \(dto.recordingCourseId.map { "<p><a href=\"/courses/\($0.uuidString.lowercased())\">\(t("event.watchRecording"))</a></p>" as HTML } ?? "")
            </section>
            <section class="card" aria-labelledby="h-take-part"><h2 id="h-take-part">\(t("event.takePart"))</h2>\(actions)\(attendance)</section></div>
            \(checkIn)
            \(organiser)
            <script src="\(Assets.url("admin.js"))" defer></script>
            """)
    }

    /// Opens the live link through the platform: records that the person joined, then sends them on.
    @Sendable static func live(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        do {
            let join = try await Events.join(try request.id(of: "event"), by: principal, now: request.application.clock.now(), on: request.db)
            return request.redirect(to: join.url, redirectType: .normal)
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await page(request, principal: principal, notice: nil, problem: problem) }
        }
    }

    struct ActionForm: Content {
        var csrf: String?
        var code: String?
        var recordingCourseId: String?
        var people: String?
    }

    @Sendable static func act(_ request: Request, _ action: String) async throws -> Response {
        let principal = try request.pagePrincipal()
        let id = try request.id(of: "event")
        let now = request.application.clock.now()
        let t = request.catalogue
        return try await Layout.answer(request, {
            switch action {
            case "register":
                _ = try await Events.register(id, nominating: nil, by: principal, now: now, on: request.db)
                return t("event.registered")
            case "leave":
                try await Events.leave(id, by: principal, now: now, on: request.db)
                return t("event.left")
            case "checkIn":
                try await Events.checkIn(id, code: try request.content.decode(ActionForm.self).code ?? "", by: principal, now: now, on: request.db)
                return t("event.checkedInNow")
            case "nominate":
                let emails = (try request.content.decode(ActionForm.self).people ?? "").split(whereSeparator: { $0.isWhitespace || $0 == "," }).map { String($0).lowercased() }
                let found = try await Users.ids(ofEmails: emails, on: request.db)
                let unknown = emails.filter { found[$0] == nil }
                if emails.isEmpty || !unknown.isEmpty {
                    throw Problem.invalid("people", unknown.isEmpty ? "name at least one person by e-mail address" : "no one is registered as \(unknown.prefix(5).joined(separator: ", "))")
                }
                let results = try await Events.register(id, nominating: emails.compactMap { found[$0] }, by: principal, now: now, on: request.db)
                return t("event.nominated", ["count": String(results.filter { $0.outcome == "registered" }.count)])
            case "cancel":
                _ = try await Events.cancel(id, by: principal, now: now, on: request.db)
                return t("event.cancelled")
            case "recording":
                let text = try request.content.decode(ActionForm.self).recordingCourseId ?? ""
                guard let course = UUIDText.parse(text.trimmed) else { throw Problem.invalid("recordingCourseId", "give the id of the published course that holds the recording") }
                _ = try await Events.linkRecording(id, course: course, by: principal, now: now, on: request.db)
                return t("event.recordingLinked")
            default:
                let (_, bytes) = try request.csvUpload()
                let result = try await Events.uploadSheet(id, bytes: bytes, by: principal, app: request.application, now: now, on: request.db)
                return t("event.sheetStored", ["rows": String(result.rows), "people": String(result.people)])
            }
        }, page: { notice, problem in try await page(request, principal: principal, notice: notice, problem: problem) })
    }

    // MARK: Making and changing

    struct EventForm: Content {
        var csrf: String?
        var title: String?
        var titleHi: String?
        var kind: String?
        var speakers: String?
        var description: String?
        var startsAt: String?
        var endsAt: String?
        var capacity: String?
        var onlineUrl: String?
        var venue: String?
        var stateCode: String?
        var districtCode: String?
        var registration: String?
        var ruleKind: String?
        var ruleMinutes: String?
        var organiserId: String?
        var competencyIds: [String]?
    }

    /// "2026-12-05T14:05" in IST, what a datetime-local field shows.
    static func local(_ date: Date) -> String {
        let day = IndiaDay.of(date)
        let seconds = Int(date.timeIntervalSince(IndiaDay.start(day)))
        return IndiaDay.string(day) + String(format: "T%02d:%02d", seconds / 3600, seconds % 3600 / 60)
    }

    static func form(_ request: Request, principal: Principal, action: String, event: EventDTO?, onlineURL: String? = nil, sent: EventForm?, problem: Problem?) async throws -> HTML {
        let t = request.catalogue
        func value(_ sent: String?, _ stored: String?) -> String { sent ?? stored ?? "" }
        let organisations = try await Organisations.directory(on: request.db as! any SQLDatabase)
            .filter { Events.mayOrganise(for: Placement(organisationPath: $0.path, stateCodes: Set([$0.stateCode].compactMap { $0 })), principal) }
            .sorted { $0.path.count != $1.path.count ? $0.path.count < $1.path.count : $0.name < $1.name }.prefix(300)
        let speakers = sent?.speakers ?? event?.speakers.map { [$0.name, $0.role].compactMap { $0 }.joined(separator: " | ") }.joined(separator: "\n") ?? ""
        let competencies = try await Competencies.list(.init(), page: PageRequest(limit: 200), on: request.db).items.filter { $0.subTheme == nil }
        let chosen = Set(sent?.competencyIds ?? event?.competencies.map { $0.competencyId.uuidString.lowercased() } ?? [])
        let choices: [HTML] = competencies.map { competency in
            let id = competency.id.uuidString.lowercased()
            return "<li><input type=\"checkbox\" name=\"competencyIds[]\" value=\"\(id)\" id=\"k-\(id)\"\(chosen.contains(id) ? " checked" : "" as HTML)> <label class=\"inline\" for=\"k-\(id)\">\(competency.theme)</label></li>"
        }
        let state = Int(sent?.stateCode ?? "") ?? event?.stateCode
        return """
            \(Layout.problem(problem, t))
            <form method="post" action="\(action)" class="card">\(request.csrfField)
            <label for="title">\(t("event.title"))</label><input type="text" id="title" name="title" required maxlength="200" value="\(value(sent?.title, event?.title))">
            <label for="titleHi">\(t("event.titleHi"))</label><input type="text" id="titleHi" name="titleHi" maxlength="200" lang="hi" value="\(value(sent?.titleHi, event?.titleHi))">
            <div class="pair"><div><label for="kind">\(t("event.kind"))</label><select id="kind" name="kind">\(UI.options(Event.Kind.allCases.map { ($0.rawValue, t("event.kind.\($0.rawValue)")) }, chosen: sent?.kind ?? event?.kind.rawValue))</select></div>
            <div><label for="organiserId">\(t("event.organiser"))</label><select id="organiserId" name="organiserId">\(UI.options(organisations.map { ($0.id.uuidString.lowercased(), $0.name) }, chosen: sent?.organiserId ?? event?.organiserId.uuidString.lowercased()))</select></div></div>
            <label for="speakers">\(t("event.speakers"))</label><span class="hint" id="speakers-hint">\(t("event.speakersHint"))</span>
            <textarea id="speakers" name="speakers" rows="3" aria-describedby="speakers-hint">\(speakers)</textarea>
            <label for="description">\(t("event.description"))</label><textarea id="description" name="description" rows="4" maxlength="10000">\(value(sent?.description, event?.description))</textarea>
            <div class="pair"><div><label for="startsAt">\(t("event.startsAt"))</label><input type="datetime-local" id="startsAt" name="startsAt" required value="\(value(sent?.startsAt, event.map { local($0.startsAt) }))"></div>
            <div><label for="endsAt">\(t("event.endsAt"))</label><input type="datetime-local" id="endsAt" name="endsAt" required value="\(value(sent?.endsAt, event.map { local($0.endsAt) }))"></div></div>
            <label for="onlineUrl">\(t("event.onlineUrl"))</label><input type="url" id="onlineUrl" name="onlineUrl" maxlength="2000" value="\(value(sent?.onlineUrl, onlineURL))">
            <label for="venue">\(t("event.venue"))</label><input type="text" id="venue" name="venue" maxlength="500" value="\(value(sent?.venue, event?.venue))">
            <div class="pair"><div><label for="stateCode">\(t("field.state"))</label><select id="stateCode" name="stateCode" data-districts="districtCode"><option value="">—</option>\(UI.stateOptions(chosen: state))</select></div>
            <div><label for="districtCode">\(t("field.district"))</label><select id="districtCode" name="districtCode"><option value="">—</option>\(UI.districtOptions(inState: state, chosen: Int(sent?.districtCode ?? "") ?? event?.districtCode))</select></div></div>
            <div class="pair"><div><label for="capacity">\(t("event.capacity"))</label><input type="number" id="capacity" name="capacity" min="1" value="\(value(sent?.capacity, event?.capacity.map(String.init)))"></div>
            <div><label for="registration">\(t("event.registrationKind"))</label><select id="registration" name="registration">\(UI.options([("open", t("event.registration.open")), ("nomination", t("event.registration.nomination"))], chosen: sent?.registration ?? event?.registration.rawValue))</select></div></div>
            <fieldset><legend>\(t("event.rule"))</legend>
            <div class="pair"><div><label for="ruleKind">\(t("event.ruleKind"))</label><select id="ruleKind" name="ruleKind">\(UI.options([("minutes", t("event.ruleKind.minutes")), ("check_in", t("event.ruleKind.check_in"))], chosen: sent?.ruleKind ?? event?.attendanceRule.kind.rawValue))</select></div>
            <div><label for="ruleMinutes">\(t("event.ruleMinutes"))</label><input type="number" id="ruleMinutes" name="ruleMinutes" min="1" value="\(value(sent?.ruleMinutes, event?.attendanceRule.minutes.map(String.init) ?? "30"))"></div></div>
            </fieldset>
            <details><summary>\(t("event.competencies"))</summary><ul class="choices">\(choices)</ul></details>
            <p><button>\(t(event == nil ? "event.create" : "event.save"))</button></p>
            </form>
            <script src="\(Assets.url("admin.js"))" defer></script>
            """
    }

    static func input(_ form: EventForm) throws -> EventInput {
        var problems: [FieldError] = []
        func time(_ field: String, _ text: String?) -> String? {
            guard let text = text?.trimmed, !text.isEmpty else { return nil }
            guard let date = Formats.sheetTime(text) else { problems.append(FieldError(field, "must be a date and time")); return nil }
            return Formats.iso(date)
        }
        let speakers = (form.speakers ?? "").split(whereSeparator: \.isNewline).map { line -> EventSpeaker in
            let parts = line.split(separator: "|", maxSplits: 1).map { String($0).trimmed }
            return EventSpeaker(name: parts[0], role: parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil)
        }.filter { !$0.name.isEmpty }
        let input = EventInput(
            title: form.title ?? "", titleHi: form.titleHi, kind: Event.Kind(rawValue: form.kind ?? "") ?? .talk, speakers: speakers,
            description: form.description ?? "",
            competencies: (form.competencyIds ?? []).compactMap { UUIDText.parse($0) }.map { RoleRequirement(competencyId: $0, level: 1) },
            startsAt: time("startsAt", form.startsAt), endsAt: time("endsAt", form.endsAt),
            capacity: form.capacity.flatMap { Int($0.trimmed) }, onlineUrl: form.onlineUrl ?? "", venue: form.venue ?? "",
            stateCode: form.stateCode.flatMap { Int($0) }, districtCode: form.districtCode.flatMap { Int($0) },
            registration: Event.Registration(rawValue: form.registration ?? "") ?? .open,
            attendanceRule: .init(kind: AttendanceRule.Kind(rawValue: form.ruleKind ?? "") ?? .minutes, minutes: form.ruleMinutes.flatMap { Int($0.trimmed) }),
            organiserId: form.organiserId.flatMap { UUIDText.parse($0) })
        if !problems.isEmpty { throw Problem.invalid(problems) }
        return input
    }

    @Sendable static func newForm(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        return Layout.page(t("events.new"), for: request, crumbs: [UI.Crumb(t("events.title"), "/events"), UI.Crumb(t("events.new"))],
                           try await form(request, principal: principal, action: "/events/new", event: nil, sent: nil, problem: nil))
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let sent = try request.content.decode(EventForm.self)
        do {
            let event = try await Events.create(try input(sent), by: principal, now: request.application.clock.now(), on: request.db)
            return request.redirect(to: "/events/\(event.id!.uuidString.lowercased())")
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) {
                Layout.page(request.catalogue("events.new"), for: request, try await form(request, principal: principal, action: "/events/new", event: nil, sent: sent, problem: problem))
            }
        }
    }

    @Sendable static func editForm(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let event = try await Events.managed(try request.id(of: "event"), by: principal, on: request.db)
        let dto = try await Events.dtos([event], for: principal, now: request.application.clock.now(), on: request.db)[0]
        let t = request.catalogue
        // The live link is shown to its organisers only, here.
        let html = try await form(request, principal: principal, action: "/events/\(dto.id.uuidString.lowercased())/edit", event: dto, onlineURL: event.onlineURL, sent: nil, problem: nil)
        return Layout.page(t("event.edit"), for: request, crumbs: [UI.Crumb(t("events.title"), "/events"), UI.Crumb(title(dto, t), "/events/\(dto.id.uuidString.lowercased())"), UI.Crumb(t("event.edit"))], html)
    }

    @Sendable static func edit(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let event = try await Events.managed(try request.id(of: "event"), by: principal, on: request.db)
        let sent = try request.content.decode(EventForm.self)
        do {
            _ = try await Events.update(event.id!, with: try input(sent), by: principal, now: request.application.clock.now(), on: request.db)
            return request.redirect(to: "/events/\(event.id!.uuidString.lowercased())")
        } catch let problem as Problem where problem.status != .notFound {
            let dto = try await Events.dtos([event], for: principal, now: request.application.clock.now(), on: request.db)[0]
            return try await Layout.failed(problem, request) {
                Layout.page(request.catalogue("event.edit"), for: request,
                            try await form(request, principal: principal, action: "/events/\(event.id!.uuidString.lowercased())/edit", event: dto, onlineURL: event.onlineURL, sent: sent, problem: problem))
            }
        }
    }
}
