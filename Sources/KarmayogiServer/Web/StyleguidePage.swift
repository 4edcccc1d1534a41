import Vapor

/// `/styleguide`: every component of the design system, in the page's language, as the pages use them.
struct StyleguidePage: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("styleguide", use: Self.show)
    }

    @Sendable static func show(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        let rows: [HTML] = [
            "<tr><td>\(t("styleguide.sampleCourse"))</td><td>\(UI.badge(t("badge.completed"), .success))</td><td class=\"number\">\(Formats.number(150000))</td></tr>",
            "<tr><td>\(t("styleguide.sampleCourse2"))</td><td>\(UI.badge(t("badge.inProgress"), .warning))</td><td class=\"number\">\(Formats.number(1234))</td></tr>",
            "<tr><td>\(t("styleguide.sampleCourse3"))</td><td>\(UI.badge(t("badge.overdue"), .danger))</td><td class=\"number\">\(Formats.number(7))</td></tr>",
        ]
        return Layout.page(t("styleguide.title"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("styleguide.title"))], """
            <p>\(t("styleguide.intro"))</p>
            <h2>\(t("styleguide.buttons"))</h2>
            <div class="actions"><button type="button">\(t("styleguide.primary"))</button>\
            <button type="button" class="secondary">\(t("styleguide.secondary"))</button>\
            <button type="button" class="danger">\(t("styleguide.destructive"))</button>\
            <a class="button secondary" href="/courses">\(t("nav.courses"))</a></div>
            <h2>\(t("styleguide.badges"))</h2>
            <p class="actions">\(UI.badge(t("styleguide.neutral")))\(UI.badge(t("styleguide.info"), .info))\(UI.badge(t("badge.completed"), .success))\
            \(UI.badge(t("badge.inProgress"), .warning))\(UI.badge(t("badge.overdue"), .danger))</p>
            <h2>\(t("styleguide.progress"))</h2>
            \(UI.meter(40, text: t("learning.percent", ["percent": Formats.number(40)]), label: t("styleguide.progress")))
            <h2>\(t("styleguide.cards"))</h2>
            <div class="grid">
            <article class="card course-card"><h3><a href="/courses">\(t("styleguide.sampleCourse"))</a></h3>\
            <p class="facts"><span>LBSNAA</span><span>\(t("catalogue.minutes", ["minutes": Formats.number(90)]))</span><span>हिन्दी</span>\
            <span class="stars" aria-label="\(t("catalogue.ratingOf", ["rating": Formats.decimal(4.5)]))">★★★★☆</span></p>\
            <p>\(t("styleguide.cardText"))</p></article>
            <article class="card"><span class="figure">\(Formats.number(1_50_000))</span><span class="muted">\(t("styleguide.figure"))</span></article>
            </div>
            <div class="figures">\(UI.figure(t("campaign.participants"), "\(Formats.number(3_20_000))", hint: t("campaign.ofStaff", ["share": "64%", "staff": Formats.number(5_00_000)])))\
            \(UI.figure(t("campaign.hours"), "\(Formats.number(3_80_000))"))</div>
            <aside class="campaign-banner" aria-label="\(t("nav.campaigns"))"><p><strong>\(t("nav.campaigns"))</strong></p>\
            \(UI.meter(62, text: t("campaign.doneHours", ["done": Formats.number(2.5), "goal": Formats.number(4)]), label: t("campaign.myProgress")))</aside>
            <p class="checkin-code" aria-label="\(t("event.checkInCode"))">482915</p>
            <h2>\(t("styleguide.table"))</h2>
            \(UI.table(t("styleguide.table"), head: [t("review.course"), t("field.status"), t("styleguide.learners")], rows: rows, empty: "", numeric: [2]))
            <h2>\(t("styleguide.form"))</h2>
            <form class="card" action="/styleguide" method="get">
            \(UI.alert(t("styleguide.formProblem"), reasons: [HTML(stringLiteral: HTML.escape(t("styleguide.emailReason")))]))
            \(UI.field("name", label: t("field.name"), value: "Asha Verma", hint: t("styleguide.nameHint"), autocomplete: "name"))
            \(UI.field("email", label: t("field.email"), type: "email", value: "asha@", error: t("styleguide.emailReason"), autocomplete: "email"))
            <fieldset><legend>\(t("field.language"))</legend>\
            <label class="inline"><input type="radio" name="language" value="en" checked> English</label>\
            <label class="inline"><input type="radio" name="language" value="hi"> हिन्दी</label></fieldset>
            <div class="actions"><button type="button">\(t("styleguide.primary"))</button><a class="button secondary" href="/styleguide">\(t("styleguide.cancel"))</a></div>
            </form>
            <h2>\(t("styleguide.notices"))</h2>
            <p class="notice">\(t("styleguide.noticeText"))</p>
            <h2>\(t("styleguide.empty"))</h2>
            \(UI.empty(t("learning.nothing"), action: (t("nav.courses"), "/courses")))
            <h2>\(t("styleguide.breadcrumbs"))</h2>
            \(UI.breadcrumbs([UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("nav.courses"), "/courses"), UI.Crumb(t("styleguide.sampleCourse"))], label: t("nav.breadcrumbs")))
            """)
    }
}
