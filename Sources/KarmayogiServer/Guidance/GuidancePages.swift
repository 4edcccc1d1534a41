import Foundation
import KarmayogiCore
import Vapor

/// `/my/gaps`: my gaps and everything that closes them, with the reasons; `/admin/organisations/{id}/gaps`: an
/// organisation's gap map and the fewest courses that close most of it, for those who watch its insights.
struct GuidancePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("my", "gaps", use: Self.mine)
        routes.get("admin", "organisations", ":id", "gaps", use: Self.map)
    }

    /// Recommendations as a list: title, kind and when or how long, the gap served, and every reason folded.
    static func list(_ items: [RecommendationDTO], _ t: Catalogue) -> HTML {
        let rows: [HTML] = items.map { choice in
            let values = ["competency": choice.gap.competency, "required": t("level.\(choice.gap.required)"),
                          "held": choice.gap.held == 0 ? t("home.notYet") : t("level.\(choice.gap.held)"), "level": t("level.\(choice.level)")]
            var facts: [HTML] = ["<span>\(t("guidance.kind.\(choice.kind.rawValue)"))</span>"]
            if let starts = choice.startsAt { facts.append("<span>\(t("guidance.starts", ["date": Formats.date(starts, t)]))</span>") }
            else { facts.append("<span>\(t("catalogue.minutes", ["minutes": Formats.number(choice.durationMinutes)]))</span>") }
            if let language = choice.language { facts.append("<span>\(Formats.language(language))</span>") }
            return """
                <li><a href="\(choice.url)"><strong>\(choice.title)</strong></a>\
                <p class="facts">\(facts)</p>\
                <p class="muted">\(t(choice.closes ? "home.closes" : "home.narrows", values))</p>\
                <details><summary>\(t("guidance.why", ["score": Formats.number(choice.score)]))</summary>\
                <ul>\(choice.why.map { "<li>\($0)</li>" as HTML })</ul></details></li>
                """
        }
        return "<ul class=\"plain\">\(rows)</ul>"
    }

    @Sendable static func mine(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let person = Guidance.Person(principal)
        let result = try await Guidance.recommendations(for: person, language: t.language, limit: 10, app: request.application, on: request.db)
        let gaps = result.gaps
        let rows: [HTML] = gaps.map { gap in
            let sources = gap.sources.map { source in
                source.kind == .designation ? t("guidance.source.designation", ["designation": source.name]) : t("guidance.source.plan", ["plan": source.name])
            }.joined(separator: "; ")
            return """
                <tr><td>\(gap.competency)</td><td>\(t("level.\(gap.required)"))</td>\
                <td>\(gap.held == 0 ? t("home.notYet") : t("level.\(gap.held)"))</td><td class="number">\(Formats.number(gap.size))</td><td>\(sources)</td></tr>
                """
        }
        let intro: String
        if let designation = person.designation { intro = t("guidance.mine.intro", ["designation": designation]) }
        else { intro = t("home.noDesignation") }
        return Layout.page(t("guidance.mine.title"), for: request, """
            <p>\(intro)</p>
            <section class="card" aria-labelledby="h-gaps"><h2 id="h-gaps">\(t("guidance.gaps"))</h2>
            \(UI.table(t("guidance.gaps"), head: [t("guidance.competency"), t("guidance.required"), t("guidance.held"), t("guidance.size"), t("guidance.why.required")],
                       rows: rows, empty: t("guidance.noGaps"), numeric: [3]))
            <p><a href="/my/passbook">\(t("guidance.passbook"))</a></p></section>
            <section class="card" aria-labelledby="h-closing"><h2 id="h-closing">\(t("guidance.closing"))</h2>
            \(result.items.isEmpty ? "<p class=\"muted\">\(gaps.isEmpty ? t("guidance.noGaps") : t("home.noCourseForGaps"))</p>" as HTML : list(result.items, t))
            </section>
            """)
    }

    @Sendable static func map(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let organisation = try await Guidance.watched(try request.id(of: "organisation"), by: principal, on: request.db)
        let map = try await Guidance.organisationGaps(of: organisation, app: request.application, on: request.db)
        let id = organisation.id!.uuidString.lowercased()
        let sections: [HTML] = map.designations.map { designation in
            let rows: [HTML] = designation.competencies.map { cell in
                let percent = designation.people == 0 ? 0 : Double(cell.lacking) * 100 / Double(designation.people)
                let spread = cell.byHeld.enumerated().filter { $0.element > 0 }.map { level, count in
                    t("guidance.map.heldAt", ["level": level == 0 ? t("home.notYet") : t("level.\(level)"), "count": Formats.number(count)])
                }.joined(separator: " · ")
                return """
                    <tr><td>\(cell.competency)</td><td>\(t("level.\(cell.required)"))</td>\
                    <td>\(UI.meter(percent, text: t("guidance.map.lacking", ["count": Formats.number(cell.lacking), "people": Formats.number(designation.people)]),
                                  label: cell.competency))</td><td>\(spread.isEmpty ? "—" : spread)</td></tr>
                    """
            }
            return """
                <section class="card"><h2>\(designation.designation) <span class="muted">· \(t.plural("guidance.map.people", designation.people))</span></h2>
                \(UI.table(designation.designation, head: [t("guidance.competency"), t("guidance.required"), t("guidance.map.lackingHead"), t("guidance.map.byHeld")],
                           rows: rows, empty: t("guidance.noGaps")))</section>
                """
        }
        let courses: [HTML] = map.courses.enumerated().map { index, course in
            """
            <tr><td class="number">\(Formats.number(index + 1))</td><td><a href="/courses/\(course.courseId.uuidString.lowercased())">\(course.title)</a></td>\
            <td class="number">\(Formats.number(course.closes))</td><td class="number">\(Formats.number(Int((course.share * 100).rounded())))%</td></tr>
            """
        }
        let figures: HTML = """
            <div class="figures">\(UI.figure(t("guidance.map.counted"), "\(Formats.number(map.people))"))\
            \(UI.figure(t("guidance.map.gaps"), "\(Formats.number(map.lacking))", hint: t("guidance.map.gapsHint")))\
            \(UI.figure(t("guidance.map.designations"), "\(Formats.number(map.designations.count))"))</div>
            """
        let body: HTML = map.designations.isEmpty
            ? UI.empty(t("guidance.map.unmapped"), action: (t("designations.title"), "/designations?org=\(id)"))
            : """
              \(figures)
              \(map.truncated ? "<p class=\"notice\">\(t("guidance.map.truncated", ["count": Formats.number(Guidance.mapLimit)]))</p>" as HTML : "")
              <section class="card" aria-labelledby="h-cover"><h2 id="h-cover">\(t("guidance.map.cover"))</h2><p class="muted">\(t("guidance.map.coverIntro"))</p>
              \(courses.isEmpty ? "<p class=\"muted\">\(t("guidance.map.noCourse"))</p>" as HTML
                  : UI.table(t("guidance.map.cover"), head: ["#", t("guidance.map.course"), t("guidance.map.closes"), t("guidance.map.share")], rows: courses,
                             empty: t("guidance.map.noCourse"), numeric: [0, 2, 3]))</section>
              \(sections)
              """
        return Layout.page(t("guidance.map.title"), for: request, crumbs: OrganisationPages.crumbs(t, [
            .init(organisation.name, "/admin/organisations/\(id)"), .init(t("guidance.map.title")),
        ]), """
            <p>\(t("guidance.map.intro", ["name": organisation.name]))</p>
            \(body)
            """)
    }
}
