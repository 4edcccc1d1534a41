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
            #expect(card.status == .ok && card.body.contains("class=\"badge ") && card.body.contains("Onboarding from the State"))

            var hindi = Browser(app)
            try await hindi.signIn("state.rajasthan")
            #expect(try await hindi.get("/insights?lang=hi").body.contains("अंतर्दृष्टि"))
            var learner = Browser(app)
            try await learner.signIn("learner.jaipur")
            #expect(try await learner.get("/insights").status == .forbidden)
        }
    }

    /// A State counts its own organisations' staff against their sanctioned strength, central staff posted there apart;
    /// a share over 100 % is shown as it is and flagged, never on target; each competency is listed once.
    @Test func theScorecardMakesSense() async throws {
        try await withApp { app, world in
            // Rajasthan's own organisations (RJ-DOP and the Jaipur ULB) sanction 200 posts; two of their staff are registered,
            // and one central officer (Health) is posted in Rajasthan.
            _ = try await RollupCheck.run(repair: true, on: app.db)
            let token = try await app.token("state.rajasthan")
            let state = try await app.send(.GET, "/api/v1/insights/scorecard?scope=state:8", token: token).decoded(ScorecardDTO.self)
            let onboarding = try #require(state.items.first { $0.key == "state_onboarding" })
            #expect(onboarding.value == 1.0 && state.postedFromElsewhere == 1, "2 of 200 posts, the central officer apart")
            let summary = try await app.send(.GET, "/api/v1/insights/summary?scope=state:8", token: token)
            #expect(summary.json["registeredUsers"] as? Int == 3 && summary.json["postedFromElsewhere"] as? Int == 1 && summary.json["sanctionedStrength"] as? Int == 200)

            // A sanctioned strength recorded far too low makes the share absurd: shown, flagged with its cause, not on target.
            let ministry = try #require(try await Organisation.find(world.health, on: app.db))
            ministry.sanctionedStrength = 1
            try await ministry.save(on: app.db)
            let mdo = try await app.token("mdo.health")
            let card = try await app.send(.GET, "/api/v1/insights/scorecard?scope=org:\(world.health)", token: mdo).decoded(ScorecardDTO.self)
            let share = try #require(card.items.first { $0.key == "mdo_onboarding" })
            #expect(share.value == 300 && share.status == .check && share.warning == "more registered than sanctioned: check the sanctioned strength")
            var browser = Browser(app)
            try await browser.signIn("mdo.health")
            let page = try await browser.get("/insights/scorecard?scope=org:\(world.health)")
            #expect(page.body.contains("300 %") && page.body.contains("Check this figure") && page.body.contains("check the sanctioned strength"))
            #expect(!page.body.contains("On target</span></div>\n<h3>Onboarding from the MDO"))
            let dashboard = try await browser.get("/insights?scope=org:\(world.health)")
            #expect(dashboard.body.contains("300 %") && dashboard.body.contains("Check this figure"))

            // Each competency once, with its sub-themes; counted in words that agree with the number.
            let themes = page.body.components(separatedBy: "<li><strong>").dropFirst().map { $0.components(separatedBy: "</strong>")[0] }
            #expect(!themes.isEmpty && themes.count == Set(themes).count, "no theme twice")
            #expect(page.body.contains("\(themes.count) competencies without a course"))
            let hindi = try await browser.get("/insights/scorecard?scope=org:\(world.health)&lang=hi")
            #expect(hindi.body.contains("इस आँकड़े की जाँच करें") && hindi.body.contains("बिना पाठ्यक्रम की"))
        }
    }

    /// Breadcrumbs go nation › State › district › organisation; districts and organisations have tables of their own.
    @Test func dashboardsSayWhereTheyAre() async throws {
        try await withApp { app, world in
            var browser = Browser(app)
            try await browser.signIn("national")
            let ulb = try await browser.get("/insights?scope=org:\(world.jaipurULB)")
            let jaipur = Geography.reference.district(named: "Jaipur", inState: 8)!.code
            #expect(ulb.body.contains("<li><a href=\"/insights?scope=nation\">India</a></li><li><a href=\"/insights?scope=state:8\">Rajasthan</a></li>"
                                      + "<li><a href=\"/insights?scope=district:\(jaipur)\">Jaipur</a></li><li aria-current=\"page\">Jaipur Municipal Corporation</li>"))
            let state = try await browser.get("/insights?scope=state:8")
            #expect(state.body.contains("<h2>By district</h2>") && state.body.contains("<h2>By organisation</h2>"))
            let nation = try await browser.get("/insights")
            #expect(nation.body.contains("<h2>By State/UT</h2>") && nation.body.contains("<h2>By ministry</h2>"))
            var mdo = Browser(app)
            try await mdo.signIn("mdo.mha")
            let department = try await mdo.get("/insights?scope=org:\(world.mhaDepartment)")
            #expect(department.body.contains("<li><span>India</span></li>"), "the nation named, not linked, for an MDO admin")
            #expect(department.body.contains("<a href=\"/insights?scope=org:\(world.mha.uuidString)\">Ministry of Home Affairs</a>")
                    || department.body.contains("<a href=\"/insights?scope=org:\(world.mha.uuidString.lowercased())\">Ministry of Home Affairs</a>"))
        }
    }

    /// A recorded KPI has a form (value, period, evidence, note) and a history of who recorded what, when.
    @Test func kpiInputsAreRecordedOnAPageWithTheirHistory() async throws {
        try await withApp { app, world in
            var browser = Browser(app)
            try await browser.signIn("national")
            let form = try await browser.get("/insights/kpis/platform_uptime?scope=nation")
            #expect(form.status == .ok && form.body.contains("name=\"period\"") && form.body.contains("No value recorded yet."))
            #expect(form.body.contains("<li><a href=\"/insights/scorecard?scope=nation\">India</a></li>"), "the crumbs lead back to the scorecard")
            let today = IndiaDay.of(Date())
            let next = IndiaDay.civil(IndiaDay.monthStart(today) + 40)
            let future = String(format: "%04d-%02d", next.year, next.month)
            let refused = try await browser.post("/insights/kpis/platform_uptime?scope=nation", form: ["value": "99.9", "period": future, "evidence": "Ops report"])
            #expect(refused.status == .unprocessableEntity && refused.body.contains("has not started yet"))
            #expect(refused.body.contains("value=\"Ops report\""), "what was typed stays")
            let notNumber = try await browser.post("/insights/kpis/platform_uptime?scope=nation", form: ["value": "lots", "period": KPIPeriod.month(of: today)])
            #expect(notNumber.status == .unprocessableEntity)
            let token = try await app.token("national")
            #expect(try await app.send(.GET, "/api/v1/kpis/platform_uptime/inputs?scope=nation", token: token).decoded([KPIInputDTO].self).isEmpty)
            let saved = try await browser.post("/insights/kpis/platform_uptime?scope=nation",
                                               form: ["value": "99.7", "period": KPIPeriod.month(of: today), "evidence": "Ops report 11/2026", "note": "One outage"])
            #expect(saved.status == .ok && saved.body.contains("The value is recorded") && saved.body.contains("Ops report 11/2026") && saved.body.contains("National"))
            let history = try await app.send(.GET, "/api/v1/kpis/platform_uptime/inputs?scope=nation", token: token).decoded([KPIInputDTO].self)
            #expect(history.count == 1 && history[0].value == 99.7 && history[0].period == KPIPeriod.month(of: today) && history[0].recordedBy == "National")
            let card = try await browser.get("/insights/scorecard")
            #expect(card.body.contains("99.7 %"))

            // A State admin cannot record the nation's, nor see its form; a period in the future is refused by the API too.
            var state = Browser(app)
            try await state.signIn("state.rajasthan")
            #expect(try await state.get("/insights/kpis/platform_uptime?scope=nation").status == .forbidden)
            let api = try await app.send(.POST, "/api/v1/kpis/platform_uptime/inputs", token: token, json: ["scope": "nation", "value": 99, "period": "2099-01"])
            #expect(api.status == .unprocessableEntity && api.fields == ["period"])
        }
    }

    @Test func chartLabelsAreNeverClipped() {
        let long = "Department of Border Management and Coastal Security of the Union"
        let chart = Charts.bars([(long, 10), ("Short", 4)], title: "Enrolments").markup
        #expect(chart.contains("<title>\(long)</title>") && chart.contains(">Short</text>"))
        let shown = Charts.fit(long, width: 192)
        #expect(shown.hasSuffix("…") && shown.count <= 27 && long.hasPrefix(String(shown.dropLast())))
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
