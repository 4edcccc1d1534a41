import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Cascades on the portal: the list, and a cascade's reach in a scope — its figures, its areas to go down into, the
/// batches and people certified by day, and how many batches each master trainer ran.
struct CascadePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("cascades", use: Self.list)
        routes.get("cascades", ":id", use: Self.reach)
    }

    static func title(_ cascade: Cascade, _ t: Catalogue) -> String { t.language == "hi" && !cascade.titleHi.isEmpty ? cascade.titleHi : cascade.title }

    @Sendable static func list(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let cascades = try await Cascades.list(page: PageRequest(limit: 200), on: request.db).rows
        let totals = try await Cascades.dtos(cascades, for: principal, on: request.db)
        let cards: [HTML] = zip(cascades, totals).map { cascade, dto in
            """
            <li class="card"><h2 class="h3"><a href="/cascades/\(cascade.id!.uuidString.lowercased())">\(title(cascade, t))</a></h2>\
            <p class="muted">\(t("cascade.totals", ["leads": Formats.number(Double(dto.totals.leadTrainers)), "masters": Formats.number(Double(dto.totals.masterTrainers)),
                                                     "batches": Formats.number(Double(dto.totals.batches)), "people": Formats.number(Double(dto.totals.participants))]))</p></li>
            """
        }
        return Layout.page(t("cascades.title"), for: request, """
            <p class="muted">\(t("cascades.intro"))</p>
            \(cards.isEmpty ? UI.empty(t("cascades.none")) : "<ul class=\"plain\">\(cards)</ul>" as HTML)
            """)
    }

    @Sendable static func reach(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let cascade = try await Cascades.find(try request.id(of: "cascade"), on: request.db)
        let id = cascade.id!.uuidString.lowercased()
        let trains = !(try await CascadeTrainingPages.tiersToOpen(principal, in: cascade, on: request.db).isEmpty)
        let training: HTML = trains ? "<p class=\"actions\"><a class=\"button\" href=\"/cascades/\(id)/training\">\(t("cascade.training"))</a></p>" : ""
        let report: CascadeReachDTO
        do {
            report = try await CascadeReachReport.report(of: cascade.id!, scope: request.query[String.self, at: "scope"], by: principal, on: request.reads)
        } catch let problem as Problem where problem.status == .forbidden && request.query[String.self, at: "scope"] == nil {
            // A trainer whom no dashboard is for still finds their batches here.
            return Layout.page(title(cascade, t), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("cascades.title"), "/cascades"), UI.Crumb(title(cascade, t))], """
                \(training)
                <p class="muted">\(t("cascade.noReach"))</p>
                """)
        }
        func count(_ n: Int) -> HTML { HTML(stringLiteral: Formats.number(Double(n))) }
        let figures: HTML = """
            <div class="figures">\(UI.figure(t("cascade.leads"), count(report.totals.leadTrainers)))\(UI.figure(t("cascade.masters"), count(report.totals.masterTrainers)))\
            \(UI.figure(t("cascade.batches"), count(report.totals.batches)))\(UI.figure(t("cascade.people"), count(report.totals.participants)))</div>
            """
        let areas: [HTML] = report.areas.filter { !$0.reach.isEmpty }.sorted { $0.reach.participants > $1.reach.participants }.map { area in
            """
            <tr><td><a href="/cascades/\(id)?scope=\(area.scope)">\(area.name)</a></td><td class="number">\(count(area.reach.masterTrainers))</td>\
            <td class="number">\(count(area.reach.batches))</td><td class="number">\(count(area.reach.participants))</td></tr>
            """
        }
        let days = report.days.map { ($0.date, [Double($0.reach.batches), Double($0.reach.participants)]) }
        let loads = report.batchesPerTrainer.map { (label: $0.orMore ? t("cascade.loadOrMore", ["n": String($0.batches)]) : t("cascade.load", ["n": String($0.batches)]),
                                                    value: Double($0.trainers)) }
        let busiest: [HTML] = report.busiestTrainers.map { "<tr><td>\($0.name ?? "")</td><td class=\"number\">\(count($0.batches))</td></tr>" }
        var crumbs = [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("cascades.title"), "/cascades")]
        crumbs += report.scope == "nation" ? [UI.Crumb(title(cascade, t))] : [UI.Crumb(title(cascade, t), "/cascades/\(id)"), UI.Crumb(report.name)]
        return Layout.page(title(cascade, t), for: request, crumbs: crumbs, """
            \(training)
            <p class="muted">\(t("cascade.scope", ["name": report.name]))</p>
            \(figures)
            <h2>\(t("cascade.areas"))</h2>
            \(UI.table(t("cascade.areas"), head: [t("cascade.area"), t("cascade.masters"), t("cascade.batches"), t("cascade.people")], rows: areas,
                       empty: t("cascade.areasNone"), numeric: [1, 2, 3]))
            <h2>\(t("cascade.byDay"))</h2>
            \(days.isEmpty ? UI.empty(t("cascade.daysNone")) : Charts.series(days, names: [t("cascade.batches"), t("cascade.people")], title: t("cascade.byDay")))
            <h2>\(t("cascade.perTrainer"))</h2>
            \(loads.isEmpty ? UI.empty(t("cascade.trainersNone")) : Charts.bars(loads, title: t("cascade.perTrainer")))
            \(UI.table(t("cascade.busiest"), head: [t("cascade.trainer"), t("cascade.batches")], rows: busiest, empty: t("cascade.trainersNone"), numeric: [1]))
            """)
    }
}
