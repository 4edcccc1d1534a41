import Vapor

/// The one frame every page shares: a skip link, the header with its menu (folded on phones, no script needed),
/// breadcrumbs, the page's heading and content, and the footer. Styles come from the one long-cached stylesheet.
enum Layout {
    static func page(_ title: String, for request: Request, crumbs: [UI.Crumb] = [], _ content: HTML) -> HTML {
        let t = request.catalogue
        let path = request.url.path
        var links: [(href: String, label: String)] = []
        var extra: [HTML] = []
        if let principal = request.auth.get(Principal.self) {
            links.append(("/", t("nav.home")))
            links.append(("/my/learning", t("nav.learning")))
            links.append(("/courses", t("nav.courses")))
            links.append(("/competencies", t("nav.competencies")))
            links.append(("/designations", t("nav.designations")))
            links.append(("/events", t("nav.events")))
            links.append(("/programmes", t("nav.programmes")))
            links.append(("/campaigns", t("nav.campaigns")))
            links.append(("/cases", t("nav.cases")))
            links.append(("/accreditation", t("nav.accreditation")))
            links.append(("/assistant", t("nav.assistant")))
            if !principal.access.reach(of: .authorCourses).isEmpty {
                links.append(("/author", t("nav.author")))
                links.append(("/review", t("nav.review")))
            }
            if !principal.access.reach(of: .viewUsers).isEmpty { links.append(("/admin/users", t("nav.users"))) }
            if !principal.access.reach(of: .manageOrganisations).isEmpty { links.append(("/admin/organisations", t("nav.organisations"))) }
            if !principal.access.reach(of: .viewInsights).isEmpty {
                links.append(("/insights", t("nav.insights")))
                links.append(("/plans", t("nav.plans")))
            }
            if principal.access.reach(of: .viewInsights).everything || !principal.access.reach(of: .viewInsights).stateCodes.isEmpty {
                links.append(("/states", t("nav.states")))
                links.append(("/surveys", t("nav.surveys")))
            }
            links.append(("/my/plans", t("nav.myPlans")))
            extra.append("<form method=\"post\" action=\"/logout\">\(request.csrfField)<button class=\"link\">\(t("nav.signOut"))</button></form>")
        } else {
            links.append(("/courses", t("nav.courses")))
            links.append(("/competencies", t("nav.competencies")))
            links.append(("/verify", t("verify.title")))
            links.append(("/accreditation", t("nav.accreditation")))
            links.append(("/login", t("nav.signIn")))
        }
        let navigation: [HTML] = links.map { link in
            let current = link.href == "/" ? path == "/" : path == link.href || path.hasPrefix(link.href + "/")
            return "<a href=\"\(link.href)\"\(current ? " aria-current=\"page\"" : "" as HTML)>\(link.label)</a>"
        }
        let switchLanguage: [HTML] = Catalogue.languages.filter { $0 != t.language }.map { code in
            "<a href=\"\(languageLink(request, code))\" lang=\"\(code)\" hreflang=\"\(code)\">\(Catalogue.all[code]!("language.name"))</a>"
        }
        return """
        <!doctype html>
        <html lang="\(t.language)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · \(t("app.name"))</title>
        <link rel="stylesheet" href="\(Assets.url("style.css"))">
        <link rel="icon" href="\(Assets.url("favicon.svg"))" type="image/svg+xml">
        </head>
        <body>
        <a class="skip" href="#main">\(t("nav.skip"))</a>
        <header class="site"><div class="bar">
        <a class="brand" href="/">\(t("app.name"))</a>
        <input type="checkbox" id="menu" class="menu-toggle" aria-label="\(t("nav.menu"))"><label for="menu" class="menu-button">\(t("nav.menu"))</label>
        <nav class="site-nav" aria-label="\(t("nav.label"))">\(navigation)\(extra)\(switchLanguage)</nav>
        </div></header>
        <main id="main">
        \(UI.breadcrumbs(crumbs, label: t("nav.breadcrumbs")))
        <h1>\(title)</h1>
        \(content)
        </main>
        <footer>\(t("app.footer"))</footer>
        </body>
        </html>
        """
    }

    /// This page in another language: the same path and query, with `lang` set.
    static func languageLink(_ request: Request, _ code: String) -> String {
        var items = (URLComponents(string: request.url.string)?.queryItems ?? []).filter { $0.name != "lang" }
        items.append(URLQueryItem(name: "lang", value: code))
        var components = URLComponents()
        components.path = request.url.path
        components.queryItems = items
        return components.string ?? "\(request.url.path)?lang=\(code)"
    }

    static func problem(_ problem: Problem?, _ t: Catalogue? = nil) -> HTML {
        guard let problem else { return "" }
        return UI.alert(t.map { message(problem, $0) } ?? problem.detail, reasons: problem.errors.map { "<code>\($0.field)</code> \($0.reason)" })
    }

    /// A problem in the reader's language: its own message when it has one, else what its status means; in English, its detail.
    static func message(_ problem: Problem, _ t: Catalogue) -> String {
        guard t.language != "en" else { return problem.detail }
        if let key = problem.messageKey { return t(key, problem.messageValues) }
        return t.has("error.status.\(problem.statusCode)") ? t("error.status.\(problem.statusCode)") : t("error.status.other")
    }

    /// Asks before a change that removes something: the same form again with `confirmed`, a destructive button, and a way back.
    /// Works without a script; nothing has changed when it shows.
    static func confirmation(_ title: String, for request: Request, what: String, action: String, fields: [String: String], button: String, cancel: String) -> HTML {
        let t = request.catalogue
        let hidden: [HTML] = fields.sorted { $0.key < $1.key }.map { "<input type=\"hidden\" name=\"\($0.key)\" value=\"\($0.value)\">" }
        return page(title, for: request, """
            <form method="post" action="\(action)" class="card">\(request.csrfField)\(hidden)<input type="hidden" name="confirmed" value="1">
            <p>\(what)</p>
            <div class="actions"><button class="danger">\(button)</button><a href="\(cancel)">\(t("people.cancel"))</a></div>
            </form>
            """)
    }

    /// Runs a change made on a page and shows that page again: with the change's notice, or with the refusal and its
    /// reasons under the refusal's status. What is out of reach stays "not found".
    static func answer(_ request: Request, _ change: () async throws -> String,
                       page: (_ notice: String?, _ problem: Problem?) async throws -> HTML) async throws -> Response {
        do {
            let notice = try await change()
            return try await page(notice, nil).encodeResponse(for: request)
        } catch let problem as Problem where problem.status != .notFound {
            return try await failed(problem, request) { try await page(nil, problem) }
        }
    }

    /// A refused change shows the page again with the reasons, under the problem's status.
    static func failed(_ problem: Problem, _ request: Request, page: () async throws -> HTML) async throws -> Response {
        let response = try await page().encodeResponse(for: request)
        response.status = problem.status
        return response
    }
}

/// Errors met while browsing pages, shown in the layout rather than as JSON.
enum ErrorPage {
    static func response(_ problem: Problem, for request: Request) throws -> Response {
        let t = request.catalogue
        let html = Layout.page(t("error.title"), for: request, """
            <p class="error">\(Layout.message(problem, t))</p>
            <p><a href="/">\(t("error.back"))</a></p>
            """)
        var headers = problem.headers
        headers.contentType = .html
        return Response(status: problem.status, headers: headers, body: .init(string: html.markup))
    }
}
