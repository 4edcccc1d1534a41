import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// Home says what to do next: the next unfinished item, plans due, courses that close my role's gaps, certificates,
/// karma and rank; an admin's home adds their queue.
@Suite struct HomePageTests {
    @Test func aLearnersHomeSaysWhatToDoNext() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world, title: "Office procedure in practice")
            let competency = try #require(try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items.first?["id"] as? String)
            // learner.mha is a Section Officer of the department, whose role needs Office Procedures at level 3.
            let learner = try #require(try await User.find(world.users["learner.mha"], on: app.db))
            learner.designation = "Section Officer"
            try await learner.save(on: app.db)
            let mapped = try await app.send(.PUT, "/api/v1/orgs/\(world.mhaDepartment)/designations/Section%20Officer", token: try await app.token("mdo.mha"),
                                            json: ["competencies": [["competencyId": competency, "level": 3]]])
            #expect(mapped.status == .ok, "\(mapped.body)")

            var browser = Browser(app)
            try await browser.signIn("learner.mha")
            var home = try await browser.get("/")
            #expect(home.body.contains("Namaste, Learner.Mha"))
            #expect(home.body.contains("You have no course under way."))
            #expect(home.body.contains("href=\"/courses/\(course.lowercased())\""))
            #expect(home.body.contains("Narrows your gap in "))
            #expect(home.body.contains(" (teaches Level 2 · Working; your role needs Level 3 · Proficient; your passbook shows no level yet)."))

            // Enrolled, with the first item done: home continues at the next unfinished item, never the finished one.
            _ = try await browser.get("/courses/\(course)")
            _ = try await browser.post("/courses/\(course)/enrol", form: [:])
            _ = try await browser.post("/learn/\(course)/done", form: ["itemId": items[0], "key": "home-1"])
            home = try await browser.get("/")
            #expect(home.body.contains("Next: Drill (Offline activity)") || home.body.contains("Next: Drill ("), "the next required item")
            #expect(home.body.contains("#item-\(items[2].uppercased())\"") || home.body.contains("#item-\(items[2])\""))
            #expect(!home.body.contains("#item-\(items[0].uppercased())\""))
            #expect(!home.body.contains("Narrows your gap"), "an enrolled course is not recommended again")
            #expect(home.body.contains("Rank 1 of 1 in Department of Border Management"))

            // In Hindi, the same home in Hindi words and dates.
            let hindi = try await browser.get("/?lang=hi")
            #expect(hindi.body.contains("सीखना जारी रखें") && hindi.body.contains("इस माह के कर्म अंक"))
            #expect(!hindi.body.contains("Continue learning"))
        }
    }

    @Test func plansDueShowOverdueFirstWithTheirDates() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world)
            let cbp = try await app.token("cbp.mha")
            var ids: [String] = []
            for (name, due) in [("Later plan", day(60)), ("Past plan", day(30))] {
                var body = planBody(course, due: due)
                body["name"] = name
                let created = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/plans", token: cbp, json: body)
                let id = try #require(created.json["id"] as? String, "\(created.body)")
                #expect(try await app.send(.POST, "/api/v1/plans/\(id)/publish", token: cbp).status == .ok)
                ids.append(id)
            }
            // The second plan's due date has passed since (a plan cannot be made with a past date).
            let past = try #require(try await Plan.find(UUID(uuidString: ids[1]), on: app.db))
            let pastDay = IndiaDay.of(Date()) - 10
            past.dueDay = pastDay
            try await past.save(on: app.db)

            var browser = Browser(app)
            try await browser.signIn("learner.mha")
            let home = try await browser.get("/")
            let overdue = try #require(home.body.range(of: "Past plan")), later = try #require(home.body.range(of: "Later plan"))
            #expect(overdue.lowerBound < later.lowerBound, "overdue first")
            let english = Catalogue.all["en"]!, hindi = Catalogue.all["hi"]!
            #expect(home.body.contains("Due \(Formats.date(IndiaDay.start(pastDay), english))"))
            #expect(home.body.contains("Due \(Formats.date(IndiaDay.start(IndiaDay.of(Date()) + 60), english))"))
            #expect(home.body.contains("<span class=\"badge danger\">Overdue</span>") || home.body.contains("badge danger"))
            #expect(try await browser.get("/?lang=hi").body.contains("अंतिम तिथि \(Formats.date(IndiaDay.start(pastDay), hindi))"))
        }
    }

    @Test func anAdminsHomeShowsTheirQueue() async throws {
        try await withApp { app, world in
            // A course waiting for review, and a declaration waiting for a decision.
            let competency = try #require(try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items.first?["id"] as? String)
            let created = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: courseBody(world, competency: competency))
            let id = try #require(created.json["id"] as? String)
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/submit", token: try await app.token("creator.mha")).status == .ok)
            let declared = try await app.send(.POST, "/api/v1/me/passbook/declarations", token: try await app.token("learner.mha"),
                                              json: ["competencyId": competency, "level": 3, "note": "Ran the section's registry"])
            #expect(declared.status == .created)

            var reviewer = Browser(app)
            try await reviewer.signIn("reviewer.mha")
            #expect(try await reviewer.get("/").body.contains("Courses awaiting your review or publication: 1"))
            var learner = Browser(app)
            try await learner.signIn("learner.jaipur")
            #expect(!(try await learner.get("/").body.contains("Waiting for you")), "a learner has no queue")

            var admin = Browser(app)
            try await admin.signIn("mdo.mha")
            #expect(try await admin.get("/").body.contains("Competency declarations to decide: 1"))
            let page = try await admin.get("/admin/declarations")
            #expect(page.body.contains("Learner.Mha") && page.body.contains("Level 3 · Proficient"))
            let declaration = try #require(declared.json["id"] as? String)
            let noNote = try await admin.post("/admin/declarations/\(declaration)/approve", form: ["note": " "])
            #expect(noNote.status == .unprocessableEntity && noNote.body.contains("note"))
            let approved = try await admin.post("/admin/declarations/\(declaration)/approve", form: ["note": "Seen the registry"])
            #expect(approved.status == .ok && approved.body.contains("The declaration was approved"))
            #expect(!(try await admin.get("/").body.contains("Competency declarations to decide")))
            // Out of reach: another ministry's admin sees no such declaration.
            var other = Browser(app)
            try await other.signIn("mdo.health")
            _ = try await other.get("/admin/declarations")
            let beyond = try await other.post("/admin/declarations/\(declaration)/reject", form: ["note": "no"])
            #expect(beyond.status == .notFound, "\(beyond.status)")
        }
    }
}
