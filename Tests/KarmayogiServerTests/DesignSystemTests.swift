import Foundation
import Testing
import Vapor
@testable import KarmayogiServer

/// The design system: one long-cached stylesheet that every page links to, a menu that folds without a script,
/// and the styleguide that shows every component in both languages.
@Suite struct DesignSystemTests {
    @Test func everyPageLinksTheOneStylesheetAtAHashedAddressCachedForAYear() async throws {
        try await withApp { app, _ in
            var browser = Browser(app)
            let page = try await browser.get("/courses")
            #expect(page.status == .ok)
            #expect(!page.body.contains("<style>"))
            let link = try #require(page.body.firstMatch(of: /href="(\/assets\/style\.[0-9a-f]{10}\.css)"/)?.1)
            let css = try await browser.get(String(link))
            #expect(css.status == .ok)
            #expect(css.headers.contentType?.subType == "css")
            #expect(css.headers.first(name: .cacheControl) == "public, max-age=31536000, immutable")
            #expect(css.body.contains(".menu-toggle:checked~.site-nav"))
            // The plain name answers too, for a shorter time; an unknown file is a 404, not a crash.
            let plain = try await browser.get("/assets/style.css")
            #expect(plain.headers.first(name: .cacheControl) == "public, max-age=3600")
            #expect(try await browser.get("/assets/style.0000000000.css").status == .notFound)
            #expect(try await browser.get("/assets/..%2Fopenapi.json").status == .notFound)
            // The page's policy allows no inline style any more.
            #expect(page.headers.first(name: "Content-Security-Policy")?.contains("'unsafe-inline'") == false)
        }
    }

    @Test func anUnchangedStylesheetIsNotSentAgain() async throws {
        try await withApp { app, _ in
            let path = Assets.url("style.css")
            var tag: String?
            try await app.testing().test(.GET, path) { tag = $0.headers.first(name: .eTag) }
            try await app.testing().test(.GET, path, headers: ["If-None-Match": try #require(tag)]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test func theMenuFoldsWithoutAScriptAndMarksTheCurrentPage() async throws {
        try await withApp { app, _ in
            var browser = Browser(app)
            let page = try await browser.get("/competencies")
            #expect(page.body.contains("<input type=\"checkbox\" id=\"menu\" class=\"menu-toggle\" aria-label=\"Menu\"><label for=\"menu\" class=\"menu-button\">Menu</label>"))
            #expect(page.body.contains("<a href=\"/competencies\" aria-current=\"page\">"))
            #expect(page.body.contains("<a class=\"skip\" href=\"#main\">"))
            // The language switch keeps the page's query.
            let search = try await browser.get("/courses?q=cyber")
            #expect(search.body.contains("href=\"/courses?q=cyber&amp;lang=hi\""))
        }
    }

    @Test func theStyleguideShowsEveryComponentInBothLanguages() async throws {
        try await withApp { app, _ in
            var browser = Browser(app)
            let english = try await browser.get("/styleguide")
            #expect(english.status == .ok)
            for component in ["class=\"button secondary\"", "class=\"danger\"", "class=\"badge success\"", "<progress", "class=\"card",
                              "class=\"scroll\"", "class=\"field-error\"", "aria-invalid=\"true\"", "class=\"empty\"", "class=\"crumbs\"",
                              "class=\"notice\"", "1,50,000"] {
                #expect(english.body.contains(component), "the styleguide lacks \(component)")
            }
            let hindi = try await browser.get("/styleguide?lang=hi")
            #expect(hindi.body.contains("<html lang=\"hi\">"))
            #expect(hindi.body.contains("डिज़ाइन प्रणाली"))
            #expect(!hindi.body.contains("Save and continue"))
        }
    }
}

@Suite struct FormatsTests {
    @Test func numbersAreGroupedTheIndianWayAndTypedNumbersShowAsTyped() {
        #expect(Formats.number(150000) == "1,50,000")
        #expect(Formats.number(12345678) == "1,23,45,678")
        #expect(Formats.number(-1234) == "-1,234")
        #expect(Formats.number(999) == "999")
        #expect(Formats.decimal(2.26) == "2.3")
        #expect(Formats.decimal(123456.04) == "1,23,456.0")
        #expect(Formats.entered(42) == "42")
        #expect(Formats.entered(28.5) == "28.5")
        #expect(Formats.entered(-0.25) == "-0.25")
    }

    @Test func datesNameTheMonthInThePagesLanguageInIndiasTimeZone() {
        // 2026-12-04 20:00 UTC is already 5 December in India.
        let date = Date(timeIntervalSince1970: 1_796_414_400)
        #expect(Formats.date(date, Catalogue.all["en"]!) == "5 December 2026")
        #expect(Formats.date(date, Catalogue.all["hi"]!) == "5 दिसंबर 2026")
        #expect(Formats.time(date, Catalogue.all["en"]!) == "01:30 IST")
    }
}
