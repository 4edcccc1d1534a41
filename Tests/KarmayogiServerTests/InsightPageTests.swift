import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

@Suite struct InsightPageTests {
    @Test func aStateAdminsDashboardDrawsChartsAndLinksDownToDistricts() async throws {
        try await withApp { app, world in
            _ = try await RollupCheck.run(repair: true, on: app.db)
            let (course, items) = try await publishedCourse(app, world)
            try await complete(app, course, items, as: "learner.jaipur")
            var browser = Browser(app)
            try await browser.signIn("state.rajasthan")
            let page = try await browser.get("/insights")
            #expect(page.status == .ok && page.body.contains("Insights: Rajasthan"))
            #expect(page.body.contains("<svg class=\"chart\"") && page.body.contains("role=\"img\""), "charts drawn on the server")
            let jaipur = Geography.reference.district(named: "Jaipur", inState: 8)!.code
            #expect(page.body.contains("/insights?scope=district:\(jaipur)"), "a district to drill into")
            #expect(page.body.contains("Disaster management basics"), "the top functional course")
            #expect(page.body.contains("/insights/reports/users.csv?scope=state:8"))
            let district = try await browser.get("/insights?scope=district:\(jaipur)")
            #expect(district.status == .ok && district.body.contains("Jaipur Municipal Corporation"))
            let download = try await browser.get("/insights/reports/enrolments.csv?scope=state:8")
            #expect(download.status == .ok && download.body.contains("Disaster management basics"))
            #expect(try await browser.get("/insights?scope=state:9").status == .forbidden)
            let card = try await browser.get("/insights/scorecard?scope=state:8")
            #expect(card.status == .ok && card.body.contains("class=\"status ") && card.body.contains("Onboarding from the State"))

            var hindi = Browser(app)
            try await hindi.signIn("state.rajasthan")
            #expect(try await hindi.get("/insights?lang=hi").body.contains("अंतर्दृष्टि"))
            var learner = Browser(app)
            try await learner.signIn("learner.jaipur")
            #expect(try await learner.get("/insights").status == .forbidden)
        }
    }

    @Test func aCBPAdminMakesPublishesAndFollowsAPlanOnPages() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            var browser = Browser(app)
            try await browser.signIn("cbp.mha")
            let form = try await browser.get("/plans/new")
            #expect(form.status == .ok && form.body.contains("Disaster management basics"), "the most taken courses are offered before any search")
            let found = try await browser.post("/plans/new?org=\(world.mha)", pairs: [("name", "ACBP"), ("courseIds[]", course), ("courseSearch", "no such words"),
                                                                                     ("find", "1")])
            #expect(found.status == .ok && found.body.contains("Courses that match: 0."), "a search shows the form again and saves nothing")
            #expect(found.body.contains("value=\"\(course)\" id=\"c-\(course)\" checked"), "the chosen course stays chosen")
            #expect(try await Plan.query(on: app.db).count() == 0)
            let refused = try await browser.post("/plans/new?org=\(world.mha)", pairs: [("name", "ACBP"), ("year", "2026"), ("dueDate", day(-2)),
                                                                                        ("courseIds[]", course), ("assignment", "allStaff"), ("includeSubtree", "on")])
            #expect(refused.status == .unprocessableEntity && refused.body.contains("dueDate"))
            let made = try await browser.post("/plans/new?org=\(world.mha)", pairs: [("name", "ACBP 2026–27"), ("year", "2026"), ("dueDate", day(30)),
                                                                                     ("courseIds[]", course), ("assignment", "people"), ("people", "learner.mha@test.example.org")])
            #expect(made.status == .seeOther)
            let location = try #require(made.headers.first(name: .location))
            #expect(try await browser.post(location + "/publish", pairs: []).status == .seeOther)
            let shown = try await browser.get(location)
            #expect(shown.body.contains("ACBP 2026–27") && shown.body.contains("Live") && shown.body.contains("learner.mha@test.example.org"))
            let renamed = try await browser.post(location, pairs: [("name", "ACBP 2026–27 (revised)"), ("dueDate", day(45)), ("assignment", "people"),
                                                                   ("people", "learner.mha@test.example.org")])
            #expect(renamed.status == .seeOther)
            #expect(try await browser.get(location).body.contains("(revised)"))

            try await complete(app, course, items, as: "learner.mha")
            let compliance = try await browser.get(location + "/compliance")
            #expect(compliance.status == .ok && compliance.body.contains("<svg class=\"chart\"") && compliance.body.contains("Learner.Mha"))
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            let mine = try await learner.get("/my/plans")
            #expect(mine.body.contains("ACBP 2026–27 (revised)") && mine.body.contains("Completed on time"))
            #expect(try await learner.get(location + "/compliance").status == .notFound)
            var national = Browser(app)
            try await national.signIn("national")
            let choose = try await national.get("/plans")
            #expect(choose.status == .ok && choose.body.contains("/plans?org=\(world.mha.uuidString.lowercased())"), "national admins choose an organisation")
        }
    }
}
