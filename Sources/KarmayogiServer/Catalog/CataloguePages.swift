import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The catalogue as learners browse it: search with filters and facet counts, and a course's page.
struct CataloguePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("courses", use: Self.catalogue)
        routes.get("courses", ":id", use: Self.course)
        routes.post("courses", ":id", "rating", use: Self.rate)
        routes.post("courses", ":id", "reviews", ":rating", "report", use: Self.report)
    }

    @Sendable static func catalogue(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        var query = CatalogueQuery()
        query.text = String((request.queryValues["q"] ?? "").prefix(200))
        query.area = request.queryValues["area"].flatMap(CompetencyArea.init(rawValue:))
        query.language = request.queryValues["language"].flatMap { Language.named($0)?.code }
        query.kind = request.queryValues["kind"].flatMap(ContentKind.init(rawValue:))
        query.sort = request.queryValues["sort"].flatMap(CatalogueQuery.Sort.init(rawValue:)) ?? .relevance
        let durations = ["under-30": (0, 29), "30-120": (30, 119), "120-600": (120, 599), "600-plus": (600, Int.max)]
        let duration = request.queryValues["duration"].flatMap { durations[$0] == nil ? nil : $0 }
        if let duration, let range = durations[duration] { (query.minDuration, query.maxDuration) = range }
        query.offset = max(request.queryValues["from"].flatMap { Int($0) } ?? 0, 0)
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
        let providers = Dictionary(uniqueKeysWithValues: try await Organisation.query(on: request.db).filter(\.$id ~~ Array(Set(page.items.map(\.providerId)))).all()
            .map { ($0.id!, $0.name) })
        let named = try await Competencies.names(page.items.flatMap { $0.competencies.map(\.competencyId) }, on: request.db)
        let results: [HTML] = page.items.map { card($0, provider: providers[$0.providerId], competencies: named, t) }
        var next: HTML = ""
        if page.nextCursor.value != nil {
            var components = URLComponents()
            components.queryItems = (request.url.query.map { URLComponents(string: "?\($0)")?.queryItems ?? [] } ?? []).filter { $0.name != "from" }
                + [URLQueryItem(name: "from", value: String(query.offset + page.items.count))]
            next = "<p><a href=\"/courses\(components.string ?? "")\">\(t("list.next"))</a></p>"
        }
        return Layout.page(t("catalogue.title"), for: request, """
            \(try await CampaignPages.banners(request))
            <form method="get" action="/courses" class="card">
            <label for="q">\(t("catalogue.search"))</label><input id="q" type="search" name="q" value="\(query.text)" maxlength="200">
            <details class="filters"\(query.area != nil || query.language != nil || query.kind != nil || duration != nil || query.sort != .relevance ? " open" : "" as HTML)>\
            <summary>\(t("catalogue.filters"))</summary>\
            <div class="grid">\(filters)<div><label for="sort">\(t("catalogue.sort"))</label><select id="sort" name="sort">\(sorts)</select></div></div></details>
            <div class="actions"><button>\(t("users.searchButton"))</button></div>
            </form>
            <p role="status">\(t.plural("catalogue.found", page.total))</p>
            \(results.isEmpty ? UI.empty(t("catalogue.nothing"), action: (t("catalogue.all"), "/courses")) : "<div class=\"grid\">\(results)</div>" as HTML)
            \(next)
            """)
    }

    /// Stars out of five, for the eye, with the figure for everyone.
    static func stars(_ average: Double, count: Int, _ t: Catalogue) -> HTML {
        let full = Int(average.rounded())
        return """
            <span class="stars" aria-hidden="true">\(String(repeating: "★", count: full))\(String(repeating: "☆", count: 5 - full))</span> \
            <span>\(t("catalogue.ratingOf", ["rating": Formats.decimal(average)])) · \(t.plural("catalogue.ratingCount", count))</span>
            """
    }

    /// A course in a list: title, provider, duration, language, rating, summary and competencies.
    static func card(_ course: CourseCard, provider: String?, competencies named: [UUID: String], _ t: Catalogue) -> HTML {
        let rating: HTML = (course.rating?.count ?? 0) > 0 ? "<span>\(stars(course.rating!.average, count: course.rating!.count, t))</span>" : "<span>\(t("catalogue.noRatings"))</span>"
        let competencies: [HTML] = course.competencies.prefix(3).compactMap { claim in
            named[claim.competencyId].map { UI.badge("\($0) · \(t("level.short", ["level": String(claim.level)]))", .info) }
        }
        return """
            <article class="card course-card"><h2 class="h3"><a href="/courses/\(course.id.uuidString)" lang="\(course.language)">\(course.title)</a></h2>\
            <p class="facts"><span>\(provider ?? "")</span><span>\(t("catalogue.minutes", ["minutes": Formats.number(course.durationMinutes)]))</span>\
            <span lang="\(course.language)">\(Formats.language(course.language))</span>\(rating)</p>\
            <p lang="\(course.language)">\(course.summary)</p><p class="badges">\(competencies)</p></article>
            """
    }

    @Sendable static func course(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        let principal = request.auth.get(Principal.self)
        let (course, version) = try await Courses.visible(try request.id(of: "course"), to: principal, on: request.db)
        let content = version.content
        let names = try await Competencies.names(content.competencies.map(\.competencyId), on: request.db)
        let claimed: [HTML] = content.competencies.map {
            "<li><a href=\"/competencies/\($0.competencyId.uuidString)\">\(names[$0.competencyId] ?? "?")</a> — \(t("level.\($0.level)"))</li>"
        }
        let modules: [HTML] = content.modules.map { module in
            let items: [HTML] = module.items.map {
                "<li>\($0.title) <span class=\"muted\">· \(t("kind.\($0.kind.rawValue)")) · \(t("catalogue.minutes", ["minutes": String($0.durationMinutes)]))\($0.required ? "" : " · \(t("catalogue.optional"))")</span></li>"
            }
            return "<section class=\"card\"><h3>\(module.title)</h3><ol>\(items)</ol></section>"
        }
        let ratings = try await Ratings.page(course.id!, page: PageRequest(limit: 10), for: principal, on: request.db)
        let reviews: [HTML] = ratings.items.filter { !$0.text.isEmpty }.map { review in
            let report: HTML = principal == nil || review.userId == principal?.userID ? "" : """
                <details class="no-print"><summary>\(t("review.report"))</summary><form method="post" action="/courses/\(course.id!.uuidString)/reviews/\(review.id.uuidString)/report">\
                \(request.csrfField)<label for="r-\(review.id.uuidString)">\(t("review.reportReason"))</label>\
                <input id="r-\(review.id.uuidString)" type="text" name="reason" maxlength="500"><div class="actions"><button class="secondary">\(t("review.reportSend"))</button></div></form></details>
                """
            return """
                <article class="review"><p><span class="stars" aria-label="\(t("catalogue.ratingOf", ["rating": String(review.stars)]))">\
                \(String(repeating: "★", count: review.stars))\(String(repeating: "☆", count: 5 - review.stars))</span> · <strong>\(review.name ?? "")</strong>\
                \(review.updatedAt.map { " · \(Formats.date($0, t))" } ?? "")</p><p>\(review.text)</p>\(report)</article>
                """
        }
        let histogram: [HTML] = (1...5).reversed().map { stars in
            let count = ratings.summary.histogram[stars - 1]
            return "<tr><th scope=\"row\">\(stars) ★</th><td><progress max=\"\(max(ratings.summary.count, 1))\" value=\"\(count)\" aria-label=\"\(stars) ★\"></progress></td><td class=\"number\">\(Formats.number(count))</td></tr>"
        }
        let provider = try await Organisation.find(course.$provider.id, on: request.db)
        let translations: [HTML] = try await Courses.translations(of: course, for: principal, on: request.db).map {
            "<a href=\"/courses/\($0.id.uuidString)\" lang=\"\($0.language)\">\(Language.named($0.language)?.nativeName ?? $0.language)</a> "
        }
        var enrol: HTML = ""
        var rateForm: HTML = ""
        if let principal, version.state == .published {
            let enrolment = try await Enrolments.of(principal.userID, in: [course.id!], on: request.db).first
            let enrolled = enrolment.map { $0.status != .left } == true
            enrol = enrolled
                ? "<div class=\"actions\"><a class=\"button\" href=\"/learn/\(course.id!.uuidString)\">\(t("learning.continue"))</a></div>"
                : "<form method=\"post\" action=\"/courses/\(course.id!.uuidString)/enrol\" class=\"actions\">\(request.csrfField)<button>\(t("learning.enrol"))</button></form>"
            if enrolment != nil {
                let mine = try await CourseRating.query(on: request.db).filter(\.$course.$id == course.id!).filter(\.$user.$id == principal.userID).first()
                rateForm = rateSection(course.id!, mine: mine, request)
            }
        } else if principal == nil {
            enrol = "<p><a class=\"button\" href=\"/login?next=/courses/\(course.id!.uuidString)\">\(t("learning.signInToEnrol"))</a></p>"
        }
        let notice: HTML = version.state == .published ? "" : "<p class=\"notice\">\(t("catalogue.state", ["version": String(version.version), "state": t("state.\(version.state.rawValue)")]))</p>"
        let status: HTML = request.query[String.self, at: "done"].map { key in
            ["rated", "reported"].contains(key) ? "<p class=\"notice\" role=\"status\">\(t("review.\(key)"))</p>" : ""
        } ?? ""
        let versions: HTML = translations.isEmpty ? "" : "<p class=\"versions\">\(t("catalogue.translations")): \(translations)</p>"
        return Layout.page(content.title, for: request, crumbs: [UI.Crumb(t("nav.courses"), "/courses"), UI.Crumb(content.title)], """
            \(status)\(notice)
            <p class="facts"><span>\(provider?.name ?? "")</span><span>\(Formats.language(content.language))</span>\
            <span>\(t("catalogue.minutes", ["minutes": Formats.number(content.durationMinutes)]))</span>\
            \(ratings.summary.count > 0 ? "<span>\(stars(ratings.summary.average, count: ratings.summary.count, t))</span>" as HTML : "")</p>
            \(Qualifications.line(try await Qualifications.alignment(of: .course, course.id!, on: request.db), t))
            \(versions)
            \(enrol)
            <p><strong>\(content.summary)</strong></p>
            <p>\(content.description)</p>
            <h2>\(t("catalogue.competencies"))</h2><ul>\(claimed)</ul>
            <h2>\(t("catalogue.modules"))</h2>\(modules)
            <h2 id="reviews">\(t("review.title"))</h2>
            \(ratings.summary.count == 0 ? "<p class=\"muted\">\(t("catalogue.noRatings"))</p>" as HTML : """
              <p>\(stars(ratings.summary.average, count: ratings.summary.count, t))</p>
              <div class="scroll" tabindex="0"><table><caption class="muted">\(t("review.histogram"))</caption>\(histogram)</table></div>
              \(reviews)
              """ as HTML)
            \(rateForm)
            """)
    }

    /// An enrolled learner's stars and words: the form shows their rating, to change it.
    static func rateSection(_ courseID: UUID, mine: CourseRating?, _ request: Request, problem: Problem? = nil) -> HTML {
        let t = request.catalogue
        let choices: [HTML] = (1...5).map { stars in
            "<label class=\"inline\"><input type=\"radio\" name=\"stars\" value=\"\(stars)\"\(mine?.stars == stars ? " checked" : "" as HTML) required> \(String(repeating: "★", count: stars))<span class=\"muted\">\(stars)</span></label>"
        }
        return """
            <section class="card no-print" id="rate" aria-labelledby="h-rate"><h2 id="h-rate">\(t(mine == nil ? "review.rate" : "review.change"))</h2>
            \(Layout.problem(problem, t))
            <form method="post" action="/courses/\(courseID.uuidString)/rating">\(request.csrfField)
            <fieldset class="stars-input"><legend>\(t("review.stars"))</legend>\(choices)</fieldset>
            <label for="review-text">\(t("review.text"))</label><textarea id="review-text" name="text" maxlength="2000" rows="4">\(mine?.text ?? "")</textarea>
            <div class="actions"><button>\(t(mine == nil ? "review.submit" : "review.update"))</button></div>
            </form></section>
            """
    }

    struct RateForm: Content {
        var stars: String?
        var text: String?
    }

    @Sendable static func rate(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let courseID = try request.id(of: "course")
        let form = try request.content.decode(RateForm.self)
        guard let stars = form.stars.flatMap({ Int($0) }) else {
            throw Problem.invalid("stars", "choose from 1 to 5 stars")
        }
        _ = try await Ratings.rate(courseID, RatingInput(stars: stars, text: form.text), by: principal, on: request.db)
        return request.redirect(to: "/courses/\(courseID.uuidString)?done=rated#reviews")
    }

    struct ReportForm: Content { var reason: String? }

    @Sendable static func report(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let courseID = try request.id(of: "course")
        try await Ratings.report(try request.id("rating", of: "review"), of: courseID, reason: try request.content.decode(ReportForm.self).reason,
                                 by: principal, on: request.db)
        return request.redirect(to: "/courses/\(courseID.uuidString)?done=reported#reviews")
    }
}
