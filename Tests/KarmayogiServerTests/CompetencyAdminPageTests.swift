import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// National and MDO admins add and retire competencies on the page; a competency's page lists the courses that teach it
/// by level and the designations that need it.
@Suite struct CompetencyAdminPageTests {
    @Test func adminsAddAndRetireCompetencies() async throws {
        try await withApp { app, world in
            var national = Browser(app)
            try await national.signIn("national")
            let framework = try await national.get("/competencies")
            #expect(framework.body.contains("href=\"/competencies/new\""))
            _ = try await national.get("/competencies/new")
            let added = try await national.post("/competencies/new", form: ["area": "functional", "theme": "Citizen Charter Drafting",
                                                                           "description": "Receiving, tracking and resolving citizens' grievances."])
            #expect(added.status == .seeOther)
            let competency = try #require(try await Competency.query(on: app.db).filter(\.$theme == "Citizen Charter Drafting").first())
            let twice = try await national.post("/competencies/new", form: ["area": "functional", "theme": "Citizen Charter Drafting", "description": "Again"])
            #expect(twice.status == .conflict && twice.body.contains("already"))

            // An MDO admin adds a domain competency of their own, not a functional one.
            var mdo = Browser(app)
            try await mdo.signIn("mdo.mha")
            let form = try await mdo.get("/competencies/new")
            #expect(form.status == .ok && !form.body.contains("value=\"functional\""))
            let domain = try await mdo.post("/competencies/new", form: ["area": "domain", "theme": "Border fencing", "domain": "Border Management",
                                                                       "description": "Planning and keeping the border fence.", "organisationId": world.mha.uuidString.lowercased()])
            #expect(domain.status == .seeOther)
            let functional = try await mdo.post("/competencies/new", form: ["area": "functional", "theme": "Anything", "description": "x"])
            #expect(functional.status == .forbidden)

            // Retiring asks first, then is recorded.
            let id = competency.id!.uuidString.lowercased()
            let confirm = try await national.get("/competencies/\(id)/retire")
            #expect(confirm.body.contains("Retire Citizen Charter Drafting?") && confirm.body.contains("class=\"danger\""))
            #expect(try await Competency.find(competency.id, on: app.db)?.status == .current)
            let retired = try await national.post("/competencies/\(id)/retire", form: ["comment": "Merged into Public Service Delivery"])
            let after = try await Competency.find(competency.id, on: app.db)
            #expect(retired.status == .seeOther && after?.status == .retired)
            #expect(try await mdo.get("/competencies/\(id)/retire").status == .forbidden)
        }
    }

    @Test func aCompetencysPageShowsCoursesByLevelAndDesignations() async throws {
        try await withApp { app, world in
            let (_, _) = try await publishedCourse(app, world, title: "Office procedure in practice")
            let competency = try #require(try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items.first?["id"] as? String)
            let mapped = try await app.send(.PUT, "/api/v1/orgs/\(world.mhaDepartment)/designations/Section%20Officer", token: try await app.token("mdo.mha"),
                                            json: ["competencies": [["competencyId": competency, "level": 3]]])
            #expect(mapped.status == .ok)
            var browser = Browser(app)
            try await browser.signIn("learner.mha")
            let page = try await browser.get("/competencies/\(competency)")
            #expect(page.body.contains("Courses that teach it") && page.body.contains("Office procedure in practice"))
            #expect(page.body.contains("<h3>Level 2 · Working</h3>") || page.body.contains("<h3>Level 2"))
            #expect(page.body.contains("<td>Section Officer</td><td class=\"number\">3</td><td class=\"number\">1</td>"))
            #expect(!page.body.contains("/retire"), "a learner retires nothing")
        }
    }
}
