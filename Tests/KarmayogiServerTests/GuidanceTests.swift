import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// Gaps and recommendations (issue 22) through the API and the pages: a Section Officer's gaps from their designation
/// and a live plan, the courses that close them ranked with reasons, and the department's gap map for its admins.
@Suite struct GuidanceTests {
    struct Setting {
        var drafting: UUID
        var procedures: UUID
        var courses: [String: UUID]
    }

    /// A published course in English teaching `competencies` (id, level), taking `minutes`.
    func publish(_ app: Application, _ world: TestWorld, _ title: String, _ competencies: [(UUID, Int)], minutes: Int) async throws -> UUID {
        var body = courseBody(world, competency: competencies[0].0.uuidString, title: title)
        body["competencies"] = competencies.map { ["competencyId": $0.0.uuidString, "level": $0.1] }
        body["language"] = "en"
        body["durationMinutes"] = minutes
        let created = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: body)
        let id = try #require(created.json["id"] as? String, "\(created.body)")
        for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/\(action)", token: try await app.token(key)).status == .ok)
        }
        return try #require(UUID(uuidString: id))
    }

    /// learner.mha is a Section Officer of the department, whose role needs Noting and Drafting at level 3 and Office
    /// Procedures at level 2; five courses teach one or the other at various levels.
    func sectionOfficer(_ app: Application, _ world: TestWorld) async throws -> Setting {
        func competency(_ query: String) async throws -> UUID {
            let found = try await app.send(.GET, "/api/v1/competencies?q=\(query)")
            let text = try #require(found.items.first?["id"] as? String, "no competency for \(query)")
            return try #require(UUID(uuidString: text))
        }
        let drafting = try await competency("Noting%20%26%20Drafting"), procedures = try await competency("Office%20Procedures")
        let learner = try #require(try await User.find(world.users["learner.mha"], on: app.db))
        learner.designation = "Section Officer"
        try await learner.save(on: app.db)
        let mapped = try await app.send(.PUT, "/api/v1/orgs/\(world.mhaDepartment)/designations/Section%20Officer", token: try await app.token("mdo.mha"),
                                        json: ["competencies": [["competencyId": drafting.uuidString, "level": 3], ["competencyId": procedures.uuidString, "level": 2]]])
        #expect(mapped.status == .ok, "\(mapped.body)")
        var courses: [String: UUID] = [:]
        courses["at3"] = try await publish(app, world, "Noting and Drafting in e-Office", [(drafting, 3)], minutes: 120)
        courses["at2"] = try await publish(app, world, "Noting basics", [(drafting, 2)], minutes: 30)
        courses["at5"] = try await publish(app, world, "Drafting for the Cabinet", [(drafting, 5)], minutes: 240)
        courses["procedures"] = try await publish(app, world, "Manual of Office Procedure", [(procedures, 2)], minutes: 60)
        courses["procedures3"] = try await publish(app, world, "Office Procedure in depth", [(procedures, 3)], minutes: 90)
        return Setting(drafting: drafting, procedures: procedures, courses: courses)
    }

    @Test func aSectionOfficerLackingNotingAndDraftingAtLevelThreeGetsTheLevelThreeCourseFirst() async throws {
        try await withApp { app, world in
            let setting = try await sectionOfficer(app, world)
            let learner = try await app.token("learner.mha")

            let gaps = try await app.send(.GET, "/api/v1/me/gaps", token: learner).decoded(GapsDTO.self)
            #expect(gaps.designation == "Section Officer" && gaps.designationMapped)
            #expect(gaps.gaps.map(\.competencyId) == [setting.drafting, setting.procedures] && gaps.gaps.map(\.size) == [3, 2])
            #expect(gaps.gaps[0].competency.contains("Noting") && gaps.gaps[0].sources == [GapSource(kind: .designation, name: "Section Officer")])

            let reply = try await app.send(.GET, "/api/v1/me/recommendations", token: learner)
            #expect(reply.status == .ok, "\(reply.body)")
            let recommended = try reply.decoded(RecommendationsDTO.self)
            let first = try #require(recommended.items.first)
            #expect(first.id == setting.courses["at3"] && first.kind == .course && first.closes && first.level == 3)
            #expect(first.gap.competencyId == setting.drafting && first.url == "/courses/\(setting.courses["at3"]!.uuidString.lowercased())")
            #expect(first.score == first.factors.reduce(0) { $0 + $1.points } && first.factors.first == RankFactor(.gapSize, points: 300, value: 3))
            #expect(first.why.count == first.factors.count && first.why[0].hasPrefix("Serves your gap of 3 levels in ") && first.why[0].hasSuffix("(+300)"))
            // Every course for a gap is listed; later ones for the same gap say better choices come first.
            #expect(Set(recommended.items.map(\.id)) == Set(setting.courses.values))
            let below = try #require(recommended.items.first { $0.id == setting.courses["at2"] })
            #expect(!below.closes && below.factors.contains { $0.code == .alternative && $0.points < 0 })
            #expect(recommended.items.map(\.score) == recommended.items.map(\.score).sorted(by: >), "best first")
            // In Hindi the reasons are in Hindi.
            let hindi = try await app.send(.GET, "/api/v1/me/recommendations?lang=hi&limit=2", token: learner).decoded(RecommendationsDTO.self)
            #expect(hindi.items.count == 2 && hindi.items[0].why[0].contains("कमी पूरी करता है"))

            // Enrolled in it, the course is no longer recommended; the next best for the gap leads.
            #expect(try await app.send(.POST, "/api/v1/courses/\(setting.courses["at3"]!)/enrol", token: learner).status == .created)
            let after = try await app.send(.GET, "/api/v1/me/recommendations", token: learner).decoded(RecommendationsDTO.self)
            #expect(!after.items.contains { $0.id == setting.courses["at3"] } && after.items.first?.id == setting.courses["at5"])

            // A live plan assigning the in-depth course raises Office Procedures to level 3 and names itself as a source.
            let plan = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/plans", token: try await app.token("cbp.mha"),
                                          json: planBody(setting.courses["procedures3"]!.uuidString))
            let planID = try #require(plan.json["id"] as? String, "\(plan.body)")
            #expect(try await app.send(.POST, "/api/v1/plans/\(planID)/publish", token: try await app.token("cbp.mha")).status == .ok)
            let planned = try await app.send(.GET, "/api/v1/me/gaps", token: learner).decoded(GapsDTO.self)
            let procedures = try #require(planned.gaps.first { $0.competencyId == setting.procedures })
            #expect(procedures.required == 3 && procedures.sources.map(\.kind) == [.designation, .plan] && procedures.sources[1].id?.uuidString.lowercased() == planID.lowercased())

            // A verified declaration at level 3 closes the drafting gap.
            let declared = try await app.send(.POST, "/api/v1/me/passbook/declarations", token: learner,
                                              json: ["competencyId": setting.drafting.uuidString, "level": 3, "note": "Drafted the section's replies for a year"])
            let declaration = try #require(declared.json["id"] as? String, "\(declared.body)")
            #expect(try await app.send(.POST, "/api/v1/declarations/\(declaration)/approve", token: try await app.token("mdo.mha"), json: ["note": "Seen"]).status == .ok)
            let closed = try await app.send(.GET, "/api/v1/me/gaps", token: learner).decoded(GapsDTO.self)
            #expect(!closed.gaps.contains { $0.competencyId == setting.drafting })
        }
    }

    @Test func anOpenEventClaimingTheGapIsRecommendedWithItsStartAndOneForNominationsIsNot() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let setting = try await sectionOfficer(app, world)
            let organiser = try await app.token("mdo.mha")
            var ids: [String] = []
            for (title, registration) in [("Drafting clinic", "open"), ("Drafting masterclass, by nomination", "nomination")] {
                let created = try await app.send(.POST, "/api/v1/events", token: organiser, json: eventBody(world, title: title, startsIn: 86_400 * 3, minutes: 90, clock: clock,
                    extra: ["competencies": [["competencyId": setting.drafting.uuidString, "level": 3]], "registration": registration]))
                ids.append(try #require(created.json["id"] as? String, "\(created.body)"))
            }
            let recommended = try await app.send(.GET, "/api/v1/me/recommendations?limit=50", token: try await app.token("learner.mha"))
                .decoded(RecommendationsDTO.self)
            let event = try #require(recommended.items.first { $0.kind == .event })
            #expect(event.id.uuidString.lowercased() == ids[0].lowercased() && event.title == "Drafting clinic" && event.closes)
            #expect(event.url == "/events/\(ids[0].lowercased())" && event.durationMinutes == 90 && event.language == nil)
            #expect(abs((event.startsAt ?? .distantPast).timeIntervalSince(clock.now.addingTimeInterval(86_400 * 3))) < 1)
            #expect(!recommended.items.contains { $0.id.uuidString.lowercased() == ids[1].lowercased() }, "nomination only: not for anyone to take")
            // Once it has started, it is no longer offered.
            clock.move(by: 86_400 * 4)
            let later = try await app.send(.GET, "/api/v1/me/recommendations?limit=50", token: try await app.token("learner.mha")).decoded(RecommendationsDTO.self)
            #expect(!later.items.contains { $0.kind == .event })
        }
    }

    @Test func badQueriesAndOtherPeoplesGapsOutOfReachAreRefused() async throws {
        try await withApp { app, world in
            _ = try await sectionOfficer(app, world)
            let learner = try await app.token("learner.mha")
            for (query, field) in [("limit=0", "limit"), ("limit=51", "limit"), ("limit=ten", "limit"), ("lang=xx", "lang")] {
                let reply = try await app.send(.GET, "/api/v1/me/recommendations?\(query)", token: learner)
                #expect(reply.status == .unprocessableEntity && reply.fields == [field], "\(query): \(reply.body)")
            }
            #expect(try await app.send(.GET, "/api/v1/me/gaps").status == .unauthorized)

            // Another person's gaps: their MDO admin sees them; another ministry's learner and admin get what an unknown id gets.
            let person = world.users["learner.mha"]!
            let seen = try await app.send(.GET, "/api/v1/users/\(person)/gaps", token: try await app.token("mdo.mha"))
            #expect(seen.status == .ok)
            #expect(try seen.decoded(GapsDTO.self).gaps.count == 2)
            let unknown = try await app.send(.GET, "/api/v1/users/\(UUID())/gaps", token: try await app.token("mdo.health"))
            for key in ["learner.health", "mdo.health"] {
                let hidden = try await app.send(.GET, "/api/v1/users/\(person)/gaps", token: try await app.token(key))
                #expect(hidden.status == .notFound && hidden.json["detail"] as? String == unknown.json["detail"] as? String, "\(key)")
            }
            // An organisation's map: not for its learners, nor for those who only see it (a content creator), nor others.
            let unknownOrg = try await app.send(.GET, "/api/v1/orgs/\(UUID())/gaps", token: try await app.token("mdo.health"))
            for key in ["learner.mha", "creator.mha", "mdo.health", "learner.jaipur"] {
                let hidden = try await app.send(.GET, "/api/v1/orgs/\(world.mhaDepartment)/gaps", token: try await app.token(key))
                #expect(hidden.status == .notFound && hidden.json["detail"] as? String == unknownOrg.json["detail"] as? String, "\(key)")
            }
        }
    }

    @Test func theDepartmentsGapMapCountsPeopleByLevelAndNamesTheFewestCoursesThatCloseIt() async throws {
        try await withApp { app, world in
            let setting = try await sectionOfficer(app, world)
            // Two more Section Officers: one holds drafting at level 2 (verified), one holds everything.
            var others: [UUID] = []
            for (index, name) in ["Second Officer", "Third Officer"].enumerated() {
                let user = User()
                user.$organisation.id = world.mhaDepartment
                user.name = name
                user.email = "officer\(index)@test.example.org"
                user.language = "hi"
                user.status = .active
                user.designation = index == 0 ? "section officer" : "SECTION OFFICER"
                try await user.create(on: app.db)
                others.append(user.id!)
            }
            for (user, competency, level) in [(others[0], setting.drafting, 2), (others[1], setting.drafting, 4), (others[1], setting.procedures, 2)] {
                try await PassbookEntry(user: user, competency: competency, level: level, source: .declared, status: .verified).create(on: app.db)
            }
            let reply = try await app.send(.GET, "/api/v1/orgs/\(world.mhaDepartment)/gaps", token: try await app.token("mdo.mha"))
            #expect(reply.status == .ok, "\(reply.body)")
            let map = try reply.decoded(OrganisationGapsDTO.self)
            #expect(map.people == 3 && map.lacking == 4 && !map.truncated)
            let designation = try #require(map.designations.first)
            #expect(map.designations.count == 1 && designation.people == 3)
            #expect(designation.competencies.map(\.competencyId) == [setting.drafting, setting.procedures])
            #expect(designation.competencies[0].lacking == 2 && designation.competencies[0].byHeld == [1, 0, 1])
            #expect(designation.competencies[1].lacking == 2 && designation.competencies[1].byHeld == [2, 0])
            // One procedures course and one drafting course at level 3 or above close everything: of equals, the shorter first.
            #expect(map.courses.map(\.courseId) == [setting.courses["procedures"], setting.courses["at3"]])
            #expect(map.courses.map(\.closes) == [2, 2] && map.courses.last?.share == 1)
            // The national admin sees it too.
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.mhaDepartment)/gaps", token: try await app.token("national")).status == .ok)
        }
    }

    @Test func theLearnersPagesAndTheAdminsGapMapInEnglishAndHindi() async throws {
        try await withApp { app, world in
            let setting = try await sectionOfficer(app, world)
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            let home = try await learner.get("/")
            let first = try #require(home.body.range(of: "Noting and Drafting in e-Office"))
            let second = try #require(home.body.range(of: "Drafting for the Cabinet"))
            #expect(first.lowerBound < second.lowerBound, "the level-3 course leads")
            #expect(home.body.contains("Why it is here (score ") && home.body.contains("href=\"/my/gaps\""))
            let mine = try await learner.get("/my/gaps")
            #expect(mine.status == .ok && mine.body.contains("your designation (Section Officer)") && mine.body.contains("Level 3 · Proficient"))
            #expect(mine.body.contains("Manual of Office Procedure"))
            let mineHindi = try await learner.get("/my/gaps?lang=hi")
            #expect(mineHindi.body.contains("मेरी योग्यता की कमियाँ") && mineHindi.body.contains("यह यहाँ क्यों है"))
            #expect(try await learner.get("/admin/organisations/\(world.mhaDepartment)/gaps").status == .notFound)

            var admin = Browser(app)
            try await admin.signIn("mdo.mha")
            let organisation = try await admin.get("/admin/organisations/\(world.mhaDepartment)")
            #expect(organisation.body.contains("/admin/organisations/\(world.mhaDepartment.uuidString.lowercased())/gaps"))
            let map = try await admin.get("/admin/organisations/\(world.mhaDepartment)/gaps")
            #expect(map.status == .ok && map.body.contains("Section Officer") && map.body.contains("1 of 1 lack it"))
            #expect(map.body.contains("Courses that close most of it") && map.body.contains(setting.courses["at3"]!.uuidString.lowercased()))
            let hindi = try await admin.get("/admin/organisations/\(world.mhaDepartment)/gaps?lang=hi")
            #expect(hindi.body.contains("योग्यता की कमियाँ") && hindi.body.contains("1 में से 1 में कमी"))
            // A department with no designation mapped says so and points to the designations.
            let empty = try await admin.get("/admin/organisations/\(world.mha)/gaps?lang=en")
            #expect(empty.body.contains("No designation of this organisation is mapped") && empty.body.contains("/designations?org="), "\(empty.body)")
        }
    }
}
