import Vapor

/// The one frame every page shares: header with who is signed in, navigation, language switch, content.
enum Layout {
    static func page(_ title: String, for request: Request, _ content: HTML) -> HTML {
        let t = request.catalogue
        let principal = request.auth.get(Principal.self)
        var navigation: [HTML] = []
        if let principal {
            navigation.append("<a href=\"/\">\(t("nav.home"))</a>")
            navigation.append("<a href=\"/my/learning\">\(t("nav.learning"))</a>")
            navigation.append("<a href=\"/courses\">\(t("nav.courses"))</a>")
            navigation.append("<a href=\"/competencies\">\(t("nav.competencies"))</a>")
            navigation.append("<a href=\"/designations\">\(t("nav.designations"))</a>")
            if !principal.access.reach(of: .authorCourses).isEmpty {
                navigation.append("<a href=\"/author\">\(t("nav.author"))</a>")
                navigation.append("<a href=\"/review\">\(t("nav.review"))</a>")
            }
            if !principal.access.reach(of: .viewUsers).isEmpty { navigation.append("<a href=\"/admin/users\">\(t("nav.users"))</a>") }
            if !principal.access.reach(of: .viewInsights).isEmpty {
                navigation.append("<a href=\"/insights\">\(t("nav.insights"))</a>")
                navigation.append("<a href=\"/plans\">\(t("nav.plans"))</a>")
            }
            navigation.append("<a href=\"/my/plans\">\(t("nav.myPlans"))</a>")
            navigation.append("<form method=\"post\" action=\"/logout\" class=\"inline\">\(request.csrfField)<button class=\"link\">\(t("nav.signOut"))</button></form>")
        } else {
            navigation.append("<a href=\"/courses\">\(t("nav.courses"))</a>")
            navigation.append("<a href=\"/competencies\">\(t("nav.competencies"))</a>")
            navigation.append("<a href=\"/verify\">\(t("verify.title"))</a>")
            navigation.append("<a href=\"/login\">\(t("nav.signIn"))</a>")
        }
        let path = request.url.path
        let switchLanguage: [HTML] = Catalogue.languages.filter { $0 != t.language }.map { code in
            "<a href=\"\(path)?lang=\(code)\" lang=\"\(code)\">\(Catalogue.all[code]!("language.name"))</a>"
        }
        return """
        <!doctype html>
        <html lang="\(t.language)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · \(t("app.name"))</title>
        <style>\(HTML(unsafe: stylesheet))</style>
        </head>
        <body>
        <header><a class="brand" href="/">\(t("app.name"))</a><nav>\(navigation)\(switchLanguage)</nav></header>
        <main>
        <h1>\(title)</h1>
        \(content)
        </main>
        <footer>\(t("app.footer"))</footer>
        </body>
        </html>
        """
    }

    static func problem(_ problem: Problem?) -> HTML {
        guard let problem else { return "" }
        let errors: [HTML] = problem.errors.map { "<li><code>\($0.field)</code> \($0.reason)</li>" }
        return "<div class=\"error\" role=\"alert\"><p>\(problem.detail)</p><ul>\(errors)</ul></div>"
    }

    /// A refused change shows the page again with the reasons, under the problem's status.
    static func failed(_ problem: Problem, _ request: Request, page: () async throws -> HTML) async throws -> Response {
        let response = try await page().encodeResponse(for: request)
        response.status = problem.status
        return response
    }

    static let stylesheet = """
    body{font-family:system-ui,"Noto Sans","Noto Sans Devanagari",sans-serif;margin:0;color:#1d2433;background:#f6f7f9;line-height:1.5}
    header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;padding:.6rem 1rem;background:#0b3d91;color:#fff}
    header a,header button.link{color:#fff;margin-left:1rem}.brand{font-weight:700;margin:0;text-decoration:none}
    main{max-width:60rem;margin:1rem auto;padding:0 1rem}footer{color:#667;padding:1rem;text-align:center;font-size:.85rem}
    form.inline{display:inline}ul.choices{list-style:none;padding:0}button.link{background:none;border:0;padding:0;font:inherit;text-decoration:underline;cursor:pointer}
    label{display:block;margin:.5rem 0 .2rem;font-weight:600}input,select,textarea{font:inherit;padding:.4rem;max-width:100%;box-sizing:border-box}
    input[type=text],input[type=email],input[type=password],input[type=search],input[type=tel],textarea{width:22rem}textarea{width:100%}
    button,.button{background:#0b3d91;color:#fff;border:0;padding:.5rem 1rem;border-radius:4px;font:inherit;cursor:pointer;text-decoration:none}
    table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #dde}
    .card{background:#fff;border:1px solid #dde;border-radius:6px;padding:1rem;margin:1rem 0}.error{color:#a40000}.ok{color:#0a6b2d}
    .notice{background:#fff8e1;border:1px solid #e0c060;padding:.6rem;border-radius:4px}.muted{color:#667}
    .figure{font-size:1.6rem;font-weight:700}.chart{background:#fff;border:1px solid #dde;border-radius:6px;max-width:100%}
    .status{padding:.1rem .5rem;border-radius:1rem;font-size:.85rem;white-space:nowrap;background:#e4e6eb}
    .status.green,.status.completed_on_time{background:#d4f0dc;color:#0a5223}.status.amber,.status.completed_late,.status.enrolled{background:#fff0c2;color:#6b4e00}
    .status.red,.status.overdue{background:#fbd5d5;color:#8a0000}label.inline{display:inline;font-weight:400}fieldset{border:1px solid #dde;margin:.8rem 0}
    progress{width:100%;height:1.2rem}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:.5rem}
    """
}

/// Errors met while browsing pages, shown in the layout rather than as JSON.
enum ErrorPage {
    static func response(_ problem: Problem, for request: Request) throws -> Response {
        let t = request.catalogue
        let html = Layout.page(t("error.title"), for: request, """
            <p class="error">\(problem.detail)</p>
            <p><a href="/">\(t("error.back"))</a></p>
            """)
        var headers = problem.headers
        headers.contentType = .html
        return Response(status: problem.status, headers: headers, body: .init(string: html.markup))
    }
}
