import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// The cascade on a trainer's phone: the batches they run and the form that opens the next one (a lead trainer's batch
/// of master trainers, a master trainer's one-day batch of participants); a batch's page, where its trainer records
/// who attended, by e-mail — each attendee certified once, as the API does.
struct CascadeTrainingPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("cascades", ":id", "training", use: Self.training)
        routes.post("cascades", ":id", "training", use: Self.open)
        routes.get("cascade-batches", ":id", use: Self.batch)
        routes.post("cascade-batches", ":id", "attendance", use: Self.attend)
    }

    struct OpenForm: Content {
        var csrf: String?
        var tier: String?
        var startDate: String?
        var endDate: String?
        var stateCode: String?
        var districtCode: String?
        var venue: String?
        var seats: String?
    }

    /// The tiers a person may open batches for in a cascade: those trained by a tier they are certified in.
    static func tiersToOpen(_ principal: Principal, in cascade: Cascade, on database: any Database) async throws -> [CascadeTier] {
        let held = try await Cascades.tiers(of: principal.userID, in: cascade.id!, on: database as! any SQLDatabase)
        return CascadeTier.allCases.filter { CascadeTier.mayOpen(batchFor: $0, trainerTiers: held) == nil }
    }

    static func tierName(_ tier: CascadeTier, _ t: Catalogue) -> String { t("cascade.batchFor.\(tier.rawValue)") }

    @Sendable static func training(_ request: Request) async throws -> HTML {
        try await trainingPage(request, sent: nil, problem: nil)
    }

    static func trainingPage(_ request: Request, sent: OpenForm?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let cascade = try await Cascades.find(try request.id(of: "cascade"), on: request.db)
        let id = cascade.id!.uuidString.lowercased()
        let tiers = try await tiersToOpen(principal, in: cascade, on: request.db)
        let today = IndiaDay.of(request.application.clock.now())
        let batches = try await Cascades.batches(of: cascade.id!, trainer: principal.userID, page: PageRequest(limit: 200), on: request.db).rows
        // The days to come first, then the days gone, the latest first.
        let ordered = batches.filter { $0.endDay >= today } + batches.filter { $0.endDay < today }.reversed()
        let rows: [HTML] = ordered.map { batch in
            """
            <tr><td><a href="/cascade-batches/\(batch.id!.uuidString.lowercased())">\(ProgrammeWorkPages.dates(batch.startDay, batch.endDay, t))</a></td>\
            <td>\(tierName(batch.tier, t))</td><td>\(ProgrammeWorkPages.place(stateCode: batch.stateCode, districtCode: batch.districtCode, venue: batch.venue))</td>\
            <td class="number">\(batch.attended) / \(batch.seats)</td></tr>
            """
        }
        var form: HTML = ""
        if !tiers.isEmpty {
            let chosen = sent?.tier ?? tiers.last!.rawValue
            let tierField: HTML = tiers.count == 1
                ? "<input type=\"hidden\" name=\"tier\" value=\"\(tiers[0].rawValue)\"><p>\(tierName(tiers[0], t))</p>"
                : "<label for=\"tier\">\(t("cascade.field.tier"))</label><select id=\"tier\" name=\"tier\">\(UI.options(tiers.map { ($0.rawValue, tierName($0, t)) }, chosen: chosen))</select>"
            let endField: HTML = tiers.contains(.master) ? """
                <label for="endDate">\(t("programmes.field.endDate"))</label><span class="hint" id="endDate-hint">\(t("cascade.field.endHint"))</span>
                <input type="date" id="endDate" name="endDate" aria-describedby="endDate-hint" value="\(sent?.endDate ?? "")">
                """ : ""
            form = """
                <section class="card" aria-labelledby="open"><h2 id="open" class="h3">\(t("cascade.open"))</h2>
                <form method="post" action="/cascades/\(id)/training">\(request.csrfField)
                \(tierField)
                <label for="startDate">\(t("cascade.field.day"))</label><input type="date" id="startDate" name="startDate" required value="\(sent?.startDate ?? IndiaDay.string(today))">
                \(endField)
                <div class="pair"><div><label for="stateCode">\(t("field.state"))</label><select id="stateCode" name="stateCode" data-districts="districtCode" required><option value="">—</option>\(UI.stateOptions(chosen: sent?.stateCode.flatMap { Int($0) }))</select></div>
                <div><label for="districtCode">\(t("field.district"))</label><select id="districtCode" name="districtCode"><option value="">—</option></select></div></div>
                <label for="venue">\(t("programmes.field.venue"))</label><input type="text" id="venue" name="venue" maxlength="500" value="\(sent?.venue ?? "")">
                <label for="seats">\(t("programmes.field.seats"))</label><input type="number" id="seats" name="seats" min="1" max="10000" required value="\(sent?.seats ?? "40")">
                <p><button>\(t("cascade.open"))</button></p></form></section>
                """
        }
        return Layout.page(t("cascade.training"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("cascades.title"), "/cascades"),
                                                                        UI.Crumb(CascadePages.title(cascade, t), "/cascades/\(id)"), UI.Crumb(t("cascade.training"))], """
            \(Layout.problem(problem, t))
            <p class="muted">\(CascadePages.title(cascade, t))</p>
            \(tiers.isEmpty && batches.isEmpty ? UI.empty(t("cascade.notTrainer")) : "")
            \(form)
            <section aria-labelledby="mine"><h2 id="mine">\(t("cascade.myBatches"))</h2>
            \(UI.table(t("cascade.myBatches"), head: [t("programmes.dates"), t("cascade.field.tier"), t("programmes.where"), t("cascade.attendedOfSeats")],
                       rows: rows, empty: t("cascade.myBatchesNone"), numeric: [3]))</section>
            """)
    }

    @Sendable static func open(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let sent = try request.content.decode(OpenForm.self)
        do {
            guard let seats = Int(sent.seats?.trimmed ?? "") else { throw Problem.invalid("seats", "must be a whole number") }
            let end = sent.endDate?.trimmed ?? ""
            let batch = try await Cascades.openBatch(in: try request.id(of: "cascade"), CascadeBatchInput(
                tier: sent.tier.flatMap(CascadeTier.init(rawValue:)), startDate: sent.startDate?.trimmed, endDate: end.isEmpty ? nil : end,
                stateCode: Int(sent.stateCode ?? ""), districtCode: Int(sent.districtCode ?? ""), venue: sent.venue, seats: seats),
                by: principal, now: request.application.clock.now(), on: request.db)
            return request.redirect(to: "/cascade-batches/\(batch.id!.uuidString.lowercased())")
        } catch let problem as Problem where problem.status != .notFound {
            return try await Layout.failed(problem, request) { try await trainingPage(request, sent: sent, problem: problem) }
        }
    }

    // MARK: A batch

    @Sendable static func batch(_ request: Request) async throws -> HTML {
        try await batchPage(request, notice: nil, problem: nil)
    }

    /// The batch for its trainer and the cascade's coordinators (to anyone else it does not exist): the day's modules,
    /// who attended, and the form that records more while the window is open.
    static func batchPage(_ request: Request, notice: String?, problem: Problem?) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let batch = try await Cascades.batch(try request.id(of: "batch"), on: request.db)
        let cascade = try await Cascades.find(batch.cascadeID, on: request.db)
        let coordinates = try await Cascades.mayCoordinate(cascade, principal, on: request.db)
        guard batch.trainerID == principal.userID || coordinates else { throw Problem.notFound("batch") }
        let id = batch.id!.uuidString.lowercased()
        let attendees = try await Cascades.attendees(of: batch.id!, on: request.db)
        let names = try await Users.named(attendees.map(\.user), on: request.db)
        let rows: [HTML] = attendees.map { "<tr><td>\(names[$0.user]?.name ?? "")</td><td>\(names[$0.user]?.email ?? "")</td><td>\(Formats.moment($0.at, t))</td></tr>" }
        let modules: [HTML] = batch.tier == .participant ? cascade.template.modules.map { module in
            "<li>\(t.language == "hi" && module.titleHi?.isEmpty == false ? module.titleHi! : module.title) <span class=\"muted\">· \(t("cascade.minutes", ["n": String(module.minutes)]))</span></li>"
        } : []
        let today = IndiaDay.of(request.application.clock.now())
        let form: HTML
        if today < batch.startDay {
            form = UI.empty(t("cascade.notBegun", ["date": ProgrammeWorkPages.dates(batch.startDay, batch.startDay, t)]))
        } else if !ManualMarks.allowed(today: today, batchEnd: batch.endDay) {
            form = UI.empty(t("cascade.closed", ["date": ProgrammeWorkPages.dates(batch.endDay + ManualMarks.daysAfterBatch, batch.endDay + ManualMarks.daysAfterBatch, t)]))
        } else {
            form = """
                <form method="post" action="/cascade-batches/\(id)/attendance" class="card">\(request.csrfField)
                <label for="emails">\(t("cascade.attendees"))</label><span class="hint" id="emails-hint">\(t("programmes.field.emailsHint"))</span>
                <textarea id="emails" name="emails" rows="5" required aria-describedby="emails-hint"></textarea>
                <p><button>\(t("cascade.record"))</button></p></form>
                """
        }
        let title = "\(tierName(batch.tier, t)) · \(ProgrammeWorkPages.dates(batch.startDay, batch.endDay, t))"
        return Layout.page(title, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("cascades.title"), "/cascades"),
                                                         UI.Crumb(CascadePages.title(cascade, t), "/cascades/\(cascade.id!.uuidString.lowercased())"),
                                                         UI.Crumb(t("cascade.training"), "/cascades/\(cascade.id!.uuidString.lowercased())/training"), UI.Crumb(title)], """
            \(notice.map { "<p class=\"notice success\" role=\"status\">\($0)</p>" as HTML } ?? "")
            \(Layout.problem(problem, t))
            <p class="muted">\(ProgrammeWorkPages.place(stateCode: batch.stateCode, districtCode: batch.districtCode, venue: batch.venue))</p>
            <div class="figures">\(UI.figure(t("cascade.attended"), HTML(stringLiteral: Formats.number(Double(batch.attended)))))\
            \(UI.figure(t("programmes.field.seats"), HTML(stringLiteral: Formats.number(Double(batch.seats)))))</div>
            \(modules.isEmpty ? "" : "<h2>\(t("cascade.modules"))</h2><ol>\(modules)</ol>" as HTML)
            <h2>\(t("cascade.recordTitle"))</h2>
            \(form)
            \(UI.table(t("cascade.attended"), head: [t("programmes.person"), t("field.email"), t("cascade.recordedAt")], rows: rows, empty: t("cascade.attendedNone")))
            """)
    }

    @Sendable static func attend(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let sent = try request.content.decode(ProgrammeForms.EmailsForm.self)
        return try await Layout.answer(request, {
            let recorded = try await Cascades.recordAttendance(of: try request.id(of: "batch"), CascadePeopleInput(emails: ProgrammeForms.emails(sent.emails)), by: principal,
                                                               now: request.application.clock.now(), on: request.db)
            return request.catalogue("cascade.recorded", ["recorded": String(recorded.recorded), "certified": String(recorded.certified)])
        }, page: { notice, problem in try await batchPage(request, notice: notice, problem: problem) })
    }
}
