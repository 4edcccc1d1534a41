import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// What coordinators make on the portal: a programme, its batches, a batch's sessions, and nominations by e-mail.
struct ProgrammeForms: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("programmes", "new", use: Self.newForm)
        routes.post("programmes", "new", use: Self.create)
        routes.post("programmes", ":id", "batches", use: Self.addBatch)
        routes.post("batches", ":id", "sessions", use: Self.addSession)
        routes.post("batches", ":id", "nominate", use: Self.nominate)
    }

    /// The organisations whose programmes the person coordinates.
    static func providers(for principal: Principal, on database: any Database) async throws -> [OrganisationEntry] {
        try await Organisations.directory(on: database as! any SQLDatabase)
            .filter { Programmes.mayCoordinate(for: Placement(organisationPath: $0.path, stateCodes: Set([$0.stateCode].compactMap { $0 })), principal) }
            .sorted { $0.path.count != $1.path.count ? $0.path.count < $1.path.count : $0.name < $1.name }.prefix(300).map { $0 }
    }

    struct ProgrammeForm: Content {
        var csrf: String?
        var title: String?
        var titleHi: String?
        var description: String?
        var providerId: String?
        var approvalRoute: String?
        var minimumAttendancePercent: String?
    }

    static func form(_ request: Request, principal: Principal, sent: ProgrammeForm?, problem: Problem?) async throws -> HTML {
        let t = request.catalogue
        let providers = try await providers(for: principal, on: request.db)
        guard !providers.isEmpty else { throw Problem(.forbidden, "Programmes are made by programme coordinators and CBP admins.") }
        let routes = ApprovalRoute.allCases.map { ($0.rawValue, t("programme.route.\($0.rawValue)")) }
        return Layout.page(t("programmes.new"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("programmes.title"), "/programmes"), UI.Crumb(t("programmes.new"))], """
            \(Layout.problem(problem, t))
            <form method="post" action="/programmes/new" class="card">\(request.csrfField)
            <label for="title">\(t("programmes.field.title"))</label><input type="text" id="title" name="title" required maxlength="200" value="\(sent?.title ?? "")">
            <label for="titleHi">\(t("programmes.field.titleHi"))</label><input type="text" id="titleHi" name="titleHi" maxlength="200" lang="hi" value="\(sent?.titleHi ?? "")">
            <label for="description">\(t("programmes.field.description"))</label><textarea id="description" name="description" rows="4" maxlength="10000">\(sent?.description ?? "")</textarea>
            <label for="providerId">\(t("programmes.field.provider"))</label><select id="providerId" name="providerId">\(UI.options(providers.map { ($0.id.uuidString.lowercased(), $0.name) }, chosen: sent?.providerId))</select>
            <label for="approvalRoute">\(t("programmes.field.route"))</label><select id="approvalRoute" name="approvalRoute">\(UI.options(routes, chosen: sent?.approvalRoute ?? "mdo"))</select>
            <label for="minimumAttendancePercent">\(t("programmes.field.attendance"))</label><input type="number" id="minimumAttendancePercent" name="minimumAttendancePercent" min="0" max="100" value="\(sent?.minimumAttendancePercent ?? "75")">
            <p><button>\(t("programmes.create"))</button></p>
            </form>
            """)
    }

    @Sendable static func newForm(_ request: Request) async throws -> HTML {
        try await form(request, principal: try request.pagePrincipal(), sent: nil, problem: nil)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let sent = try request.content.decode(ProgrammeForm.self)
        do {
            guard let percent = Int(sent.minimumAttendancePercent?.trimmed ?? "") else { throw Problem.invalid("minimumAttendancePercent", "must be a whole number from 0 to 100") }
            let programme = try await Programmes.create(ProgrammeInput(
                title: sent.title, titleHi: sent.titleHi, description: sent.description, providerId: sent.providerId.flatMap(UUIDText.parse) ?? UUID(),
                approvalRoute: sent.approvalRoute.flatMap(ApprovalRoute.init(rawValue:)) ?? .mdo, courseIds: nil, minimumAttendancePercent: percent, competencies: nil),
                by: principal, now: request.application.clock.now(), on: request.db)
            return request.redirect(to: "/programmes/\(programme.id!.uuidString.lowercased())")
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await form(request, principal: principal, sent: sent, problem: problem) }
        }
    }

    /// The form under a programme's batches, for its coordinators.
    static func batchForm(_ request: Request, programme: UUID) -> HTML {
        let t = request.catalogue
        return """
            <details class="card"><summary>\(t("programmes.addBatch"))</summary>
            <form method="post" action="/programmes/\(programme.uuidString.lowercased())/batches">\(request.csrfField)
            <label for="name">\(t("programmes.field.batchName"))</label><input type="text" id="name" name="name" required maxlength="200">
            <div class="pair"><div><label for="startDate">\(t("programmes.field.startDate"))</label><input type="date" id="startDate" name="startDate" required></div>
            <div><label for="endDate">\(t("programmes.field.endDate"))</label><input type="date" id="endDate" name="endDate" required></div></div>
            <div class="pair"><div><label for="stateCode">\(t("field.state"))</label><select id="stateCode" name="stateCode" data-districts="districtCode"><option value="">—</option>\(UI.stateOptions(chosen: nil))</select></div>
            <div><label for="districtCode">\(t("field.district"))</label><select id="districtCode" name="districtCode"><option value="">—</option></select></div></div>
            <label for="venue">\(t("programmes.field.venue"))</label><input type="text" id="venue" name="venue" maxlength="500">
            <label for="seats">\(t("programmes.field.seats"))</label><input type="number" id="seats" name="seats" min="1" max="10000" required value="30">
            <label for="trainers">\(t("programmes.field.trainers"))</label><span class="hint" id="trainers-hint">\(t("programmes.field.emailsHint"))</span>
            <textarea id="trainers" name="trainers" rows="2" aria-describedby="trainers-hint"></textarea>
            <p><button>\(t("programmes.addBatch"))</button></p></form></details>
            """
    }

    /// The forms under a batch's nominations and sessions, for its coordinators.
    static func batchTools(_ request: Request, batch: UUID) -> (nominate: HTML, session: HTML) {
        let t = request.catalogue
        let id = batch.uuidString.lowercased()
        return ("""
            <details class="card"><summary>\(t("programmes.nominate"))</summary>
            <form method="post" action="/batches/\(id)/nominate">\(request.csrfField)
            <label for="emails">\(t("programmes.field.people"))</label><span class="hint" id="emails-hint">\(t("programmes.field.emailsHint"))</span>
            <textarea id="emails" name="emails" rows="4" required aria-describedby="emails-hint"></textarea>
            <p><button>\(t("programmes.nominate"))</button></p></form></details>
            """, """
            <details class="card"><summary>\(t("programmes.addSession"))</summary>
            <form method="post" action="/batches/\(id)/sessions">\(request.csrfField)
            <label for="sessionTitle">\(t("programmes.field.sessionTitle"))</label><input type="text" id="sessionTitle" name="title" required maxlength="200">
            <div class="pair"><div><label for="startsAt">\(t("event.startsAt"))</label><input type="datetime-local" id="startsAt" name="startsAt" required></div>
            <div><label for="endsAt">\(t("event.endsAt"))</label><input type="datetime-local" id="endsAt" name="endsAt" required></div></div>
            <label for="sessionVenue">\(t("programmes.field.venue"))</label><input type="text" id="sessionVenue" name="venue" maxlength="500">
            <label for="onlineUrl">\(t("event.onlineUrl"))</label><input type="url" id="onlineUrl" name="onlineUrl" maxlength="2000">
            <p><button>\(t("programmes.addSession"))</button></p></form></details>
            """)
    }

    /// The addresses in a box of e-mails: one per line, or separated by commas, semicolons or spaces.
    static func emails(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == ";" }).map(String.init)
    }

    /// People named by e-mail, one per line or separated by commas: every one known, or the unknown are named.
    static func people(_ text: String?, field: String, on database: any Database) async throws -> [UUID] {
        let given = emails(text).map { $0.lowercased() }
        guard given.count <= 500 else { throw Problem.invalid(field, "at most 500 people at once") }
        let known = try await Users.ids(ofEmails: given.compactMap { Contact.email($0) }, on: database)
        let unknown = given.filter { Contact.email($0).flatMap { known[$0] } == nil }
        if !unknown.isEmpty { throw Problem.invalid(field, "nobody has these e-mail addresses: \(unknown.prefix(20).joined(separator: ", "))") }
        return given.compactMap { Contact.email($0).flatMap { known[$0] } }
    }

    struct BatchForm: Content {
        var csrf: String?
        var name: String?
        var startDate: String?
        var endDate: String?
        var stateCode: String?
        var districtCode: String?
        var venue: String?
        var seats: String?
        var trainers: String?
    }

    @Sendable static func addBatch(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let sent = try request.content.decode(BatchForm.self)
        do {
            guard let seats = Int(sent.seats?.trimmed ?? "") else { throw Problem.invalid("seats", "must be a whole number") }
            let trainers = try await people(sent.trainers, field: "trainerIds", on: request.db)
            let batch = try await Programmes.createBatch(in: try request.id(of: "programme"), BatchInput(
                name: sent.name, startDate: sent.startDate, endDate: sent.endDate, stateCode: Int(sent.stateCode ?? ""), districtCode: Int(sent.districtCode ?? ""),
                venue: sent.venue, seats: seats, trainerIds: trainers), by: principal, now: request.application.clock.now(), on: request.db)
            return request.redirect(to: "/batches/\(batch.id!.uuidString.lowercased())")
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await ProgrammeWorkPages.programmePage(request, notice: nil, problem: problem) }
        }
    }

    struct SessionForm: Content {
        var csrf: String?
        var title: String?
        var startsAt: String?
        var endsAt: String?
        var venue: String?
        var onlineUrl: String?
    }

    @Sendable static func addSession(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let sent = try request.content.decode(SessionForm.self)
        return try await Layout.answer(request, {
            func time(_ field: String, _ text: String?) throws -> String {
                guard let date = (text?.trimmed).flatMap(Formats.sheetTime) else { throw Problem.invalid(field, "must be a date and time") }
                return Formats.iso(date)
            }
            _ = try await Programmes.createSession(in: try request.id(of: "batch"), SessionInput(
                title: sent.title ?? "", startsAt: try time("startsAt", sent.startsAt), endsAt: try time("endsAt", sent.endsAt),
                venue: sent.venue, onlineUrl: sent.onlineUrl?.trimmed.isEmpty == false ? sent.onlineUrl : nil),
                by: principal, now: request.application.clock.now(), on: request.db)
            return request.catalogue("programmes.sessionAdded")
        }, page: { notice, problem in try await ProgrammeWorkPages.batchPage(request, notice: notice, problem: problem) })
    }

    /// A form with a box of e-mails (nominations, a cascade batch's attendance).
    struct EmailsForm: Content {
        var csrf: String?
        var emails: String?
    }

    @Sendable static func nominate(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let sent = try request.content.decode(EmailsForm.self)
        return try await Layout.answer(request, {
            let people = try await people(sent.emails, field: "userIds", on: request.db)
            guard !people.isEmpty else { throw Problem.invalid("userIds", "name at least one person by e-mail") }
            let made = try await Programmes.nominate(to: try request.id(of: "batch"), NominationInput(userIds: people, reason: nil), by: principal,
                                                     clock: request.application.clock, on: request.db)
            return request.catalogue("programmes.nominated", ["n": String(made.count)])
        }, page: { notice, problem in try await ProgrammeWorkPages.batchPage(request, notice: notice, problem: problem) })
    }
}
