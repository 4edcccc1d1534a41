import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The catalogue as learners browse it: search with filters and facet counts, and a course's page.
struct CataloguePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("courses", use: Self.catalogue)
        routes.get("courses", ":id", use: Self.course)
    }

    @Sendable static func catalogue(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        var query = CatalogueQuery()
        query.text = String((request.query[String.self, at: "q"] ?? "").prefix(200))
        query.area = request.query[String.self, at: "area"].flatMap(CompetencyArea.init(rawValue:))
        query.language = request.query[String.self, at: "language"].flatMap { Language.named($0)?.code }
        query.kind = request.query[String.self, at: "kind"].flatMap(ContentKind.init(rawValue:))
        query.sort = request.query[String.self, at: "sort"].flatMap(CatalogueQuery.Sort.init(rawValue:)) ?? .relevance
        let durations = ["under-30": (0, 29), "30-120": (30, 119), "120-600": (120, 599), "600-plus": (600, Int.max)]
        let duration = request.query[String.self, at: "duration"].flatMap { durations[$0] == nil ? nil : $0 }
        if let duration, let range = durations[duration] { (query.minDuration, query.maxDuration) = range }
        query.offset = max(request.query[Int.self, at: "from"] ?? 0, 0)
        query.limit = 20
        let page = try await Courses.search(query, app: request.application, on: request.db)

        func select(_ name: String, _ label: String, _ options: [(value: String, text: String)], _ chosen: String?) -> HTML {
            let counts = page.facets[name == "duration" ? "duration" : name] ?? [:]
            let items: [HTML] = options.map { option in
                let count = counts[option.value].map { " (\($0))" } ?? ""
                return "<option value=\"\(option.value)\"\(option.value == chosen ? " selected" : "" as HTML)>\(option.text)\(count)</option>"
            }
            return "<div><label for=\"\(name)\">\(label)</label><select id=\"\(name)\" name=\"\(name)\"><option value=\"\">\(t("catalogue.any"))</option>\(items)</select></div>"
        }
        let filters: [HTML] = [
            select("area", t("designations.area"), CompetencyArea.allCases.map { ($0.rawValue, t("area.\($0.rawValue)")) }, query.area?.rawValue),
            select("language", t("field.language"), Language.all.map { ($0.code, $0.nativeName) }, query.language),
            select("kind", t("catalogue.kind"), ContentKind.allCases.map { ($0.rawValue, t("kind.\($0.rawValue)")) }, query.kind?.rawValue),
            select("duration", t("catalogue.duration"), ["under-30", "30-120", "120-600", "600-plus"].map { ($0, t("duration.\($0)")) }, duration),
        ]
        let sorts: [HTML] = CatalogueQuery.Sort.allCases.map {
            "<option value=\"\($0.rawValue)\"\($0 == query.sort ? " selected" : "" as HTML)>\(t("sort.\($0.rawValue)"))</option>"
        }
        let results: [HTML] = page.items.map { course in
            let stars: HTML = (course.rating?.count ?? 0) > 0 ? " · ★ \(String(format: "%.1f", course.rating!.average)) (\(course.rating!.count))" : ""
            return """
                <article class="card"><h2><a href="/courses/\(course.id.uuidString)">\(course.title)</a></h2>
                <p>\(course.summary)</p>
                <p class="muted">\(Language.named(course.language)?.nativeName ?? course.language) · \(t("catalogue.minutes", ["minutes": String(course.durationMinutes)]))\(stars)</p></article>
                """
        }
        var next: HTML = ""
        if page.nextCursor.value != nil {
            var components = URLComponents()
            components.queryItems = (request.url.query.map { URLComponents(string: "?\($0)")?.queryItems ?? [] } ?? []).filter { $0.name != "from" }
                + [URLQueryItem(name: "from", value: String(query.offset + page.items.count))]
            next = "<p><a href=\"/courses\(components.string ?? "")\">\(t("list.next"))</a></p>"
        }
        return Layout.page(t("catalogue.title"), for: request, """
            <form method="get" action="/courses" class="card">
            <label for="q">\(t("catalogue.search"))</label><input id="q" type="search" name="q" value="\(query.text)" maxlength="200">
            <div class="grid">\(filters)<div><label for="sort">\(t("catalogue.sort"))</label><select id="sort" name="sort">\(sorts)</select></div></div>
            <p><button>\(t("users.searchButton"))</button></p>
            </form>
            <p role="status">\(t("catalogue.found", ["count": String(page.total)]))</p>
            \(results)
            \(next)
            """)
    }

    @Sendable static func course(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        let principal = request.auth.get(Principal.self)
        let (course, version) = try await Courses.visible(try request.id(of: "course"), to: principal, on: request.db)
        let content = version.content
        let competencies = try await Competency.query(on: request.db).filter(\.$id ~~ content.competencies.map(\.competencyId)).all()
        let names = Dictionary(uniqueKeysWithValues: competencies.map { ($0.id!, [$0.theme, $0.subTheme].compactMap { $0 }.joined(separator: " › ")) })
        let claimed: [HTML] = content.competencies.map {
            "<li><a href=\"/competencies/\($0.competencyId.uuidString)\">\(names[$0.competencyId] ?? "?")</a> — \(t("designations.level")) \($0.level)</li>"
        }
        let modules: [HTML] = content.modules.map { module in
            let items: [HTML] = module.items.map {
                "<li>\($0.title) <span class=\"muted\">· \(t("kind.\($0.kind.rawValue)")) · \(t("catalogue.minutes", ["minutes": String($0.durationMinutes)]))\($0.required ? "" : " · \(t("catalogue.optional"))")</span></li>"
            }
            return "<section class=\"card\"><h3>\(module.title)</h3><ol>\(items)</ol></section>"
        }
        let ratings = try await Ratings.page(course.id!, page: PageRequest(limit: 10), for: principal, on: request.db)
        let reviews: [HTML] = ratings.items.filter { !$0.text.isEmpty }.map {
            "<blockquote class=\"card\"><p>\(String(repeating: "★", count: $0.stars))\(String(repeating: "☆", count: 5 - $0.stars))</p><p>\($0.text)</p><p class=\"muted\">— \($0.name ?? "")</p></blockquote>"
        }
        let histogram: [HTML] = (1...5).reversed().map { stars in
            "<tr><th>\(stars) ★</th><td><progress max=\"\(max(ratings.summary.count, 1))\" value=\"\(ratings.summary.histogram[stars - 1])\"></progress></td><td>\(ratings.summary.histogram[stars - 1])</td></tr>"
        }
        let provider = try await Organisation.find(course.$provider.id, on: request.db)
        let translations: [HTML] = try await Courses.translations(of: course, for: principal, on: request.db).map {
            "<a href=\"/courses/\($0.id.uuidString)\" lang=\"\($0.language)\">\(Language.named($0.language)?.nativeName ?? $0.language)</a> "
        }
        var enrol: HTML = ""
        if let principal, version.state == .published {
            let enrolment = try await Enrolment.query(on: request.db).filter(\.$userID == principal.userID).filter(\.$courseID == course.id!).first()
            enrol = enrolment.map { $0.status != .left } == true
                ? "<p><a class=\"button\" href=\"/learn/\(course.id!.uuidString)\">\(t("learning.continue"))</a></p>"
                : "<form method=\"post\" action=\"/courses/\(course.id!.uuidString)/enrol\">\(request.csrfField)<button>\(t("learning.enrol"))</button></form>"
        } else if principal == nil {
            enrol = "<p><a href=\"/login?next=/courses/\(course.id!.uuidString)\">\(t("learning.signInToEnrol"))</a></p>"
        }
        let notice: HTML = version.state == .published ? "" : "<p class=\"notice\">\(t("catalogue.state", ["version": String(version.version), "state": t("state.\(version.state.rawValue)")]))</p>"
        return Layout.page(content.title, for: request, """
            \(notice)
            <p class="muted">\(provider?.name ?? "") · \(Language.named(content.language)?.nativeName ?? content.language) · \(t("catalogue.minutes", ["minutes": String(content.durationMinutes)]))</p>
            \(translations.isEmpty ? "" : "<p>\(t("catalogue.translations")): \(translations)</p>" as HTML)
            \(enrol)
            <p><strong>\(content.summary)</strong></p>
            <p>\(content.description)</p>
            <h2>\(t("catalogue.competencies"))</h2><ul>\(claimed)</ul>
            <h2>\(t("catalogue.modules"))</h2>\(modules)
            \(ratings.summary.count == 0 ? "<h2>\(t("catalogue.noRatings"))</h2>" as HTML : """
              <h2>\(t("catalogue.ratings", ["average": String(format: "%.1f", ratings.summary.average), "count": String(ratings.summary.count)]))</h2>
              <div class="scroll" tabindex="0"><table>\(histogram)</table></div>
              \(reviews)
              """ as HTML)
            """)
    }
}
