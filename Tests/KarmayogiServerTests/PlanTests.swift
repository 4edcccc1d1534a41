import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Testing
import Vapor
@testable import KarmayogiServer

/// A date `days` from today, as the API writes days.
func day(_ days: Int) -> String { IndiaDay.string(IndiaDay.of(Date()) + days) }

func planBody(_ course: String, assignment: [String: Any] = ["allStaff": true, "includeSubtree": true], due: String = day(60)) -> [String: Any] {
    ["name": "MHA capacity building 2026–27", "year": 2026, "courseIds": [course], "assignment": assignment, "dueDate": due]
}

/// Completes the demo-shaped course (two required items) for a learner.
func complete(_ app: Application, _ course: String, _ items: [String], as learner: String) async throws {
    let token = try await app.token(learner)
    _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: token)
    let reply = try await app.send(.POST, "/api/v1/progress", token: token,
                                   json: ["updates": [update(course, items[0], status: 2, seconds: 600, key: "\(learner)-a"), update(course, items[2], status: 2, key: "\(learner)-b")]])
    guard (reply.json["courses"] as? [[String: Any]])?.first?["completedNow"] as? Bool == true else { throw TestFailure("not completed: \(reply.body)") }
}

@Suite struct PlanTests {
    func livePlan(_ app: Application, _ world: TestWorld, course: String, assignment: [String: Any] = ["allStaff": true, "includeSubtree": true]) async throws -> String {
        let cbp = try await app.token("cbp.mha")
        let created = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/plans", token: cbp, json: planBody(course, assignment: assignment))
        guard created.status == .created, let id = created.json["id"] as? String else { throw TestFailure("plan not created: \(created.body)") }
        guard try await app.send(.POST, "/api/v1/plans/\(id)/publish", token: cbp).status == .ok else { throw TestFailure("not published") }
        return id
    }

    @Test func aPlanIsAssignedWithoutARowPerPersonAndFollowedToCompletion() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            let cbp = try await app.token("cbp.mha")
            let created = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/plans", token: cbp, json: planBody(course))
            #expect(created.status == .created && created.json["state"] as? String == "draft" && created.json["dueDate"] as? String == day(60))
            #expect((created.json["courses"] as? [[String: Any]])?.first?["title"] as? String == "Disaster management basics")
            let id = created.json["id"] as! String
            let learner = try await app.token("learner.mha")
            #expect(try await app.send(.GET, "/api/v1/me/plans", token: learner).items.isEmpty, "a draft is assigned to no one")

            let published = try await app.send(.POST, "/api/v1/plans/\(id)/publish", token: cbp, json: ["comment": "approved by the Secretary"])
            #expect(published.status == .ok && published.json["state"] as? String == "live")
            #expect(try await app.send(.POST, "/api/v1/plans/\(id)/publish", token: cbp).status == .conflict)
            let rows = try await (app.db as! any SQLDatabase).select().column("user_id").from("plan_people").all()
            #expect(rows.isEmpty, "all staff are resolved when read, not written per person")

            var mine = try await app.send(.GET, "/api/v1/me/plans", token: learner)
            #expect(mine.items.count == 1 && mine.items[0]["standing"] as? String == "assigned" && mine.items[0]["organisationName"] as? String == "Ministry of Home Affairs")
            #expect(try await app.send(.GET, "/api/v1/me/plans", token: try await app.token("learner.health")).items.isEmpty, "another ministry's plan")

            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            mine = try await app.send(.GET, "/api/v1/me/plans", token: learner)
            #expect(mine.items[0]["standing"] as? String == "enrolled")
            try await complete(app, course, items, as: "learner.mha")
            mine = try await app.send(.GET, "/api/v1/me/plans", token: learner)
            let standing = (mine.items[0]["courses"] as? [[String: Any]])?.first
            #expect(mine.items[0]["standing"] as? String == "completed_on_time" && standing?["standing"] as? String == "completed_on_time")
            let karma = try await app.send(.GET, "/api/v1/me/karma", token: learner).json["items"] as? [[String: Any]] ?? []
            let reasons = Dictionary(karma.map { ($0["reason"] as! String, $0["points"] as! Int) }, uniquingKeysWith: +)
            #expect(reasons["planned_completion"] == 5 && reasons["plan_bonus"] == 5 && reasons["completion"] == nil, "\(reasons)")

            // Everyone in the ministry's subtree: seven people, one course each.
            let compliance = try await app.send(.GET, "/api/v1/plans/\(id)/compliance?limit=3", token: try await app.token("mdo.mha"))
            #expect(compliance.status == .ok)
            let total = compliance.json["total"] as? [String: Int] ?? [:]
            #expect(compliance.json["people"] as? Int == 7 && total["assigned"] == 7 && total["completedOnTime"] == 1 && total["notStarted"] == 6, "\(total)")
            let persons = compliance.json["persons"] as? [String: Any] ?? [:]
            let first = persons["items"] as? [[String: Any]] ?? []
            #expect(first.count == 3 && persons["nextCursor"] is String)
            var seen = first.compactMap { $0["name"] as? String }
            var cursor = persons["nextCursor"] as? String
            while let next = cursor {
                let page = try await app.send(.GET, "/api/v1/plans/\(id)/compliance?limit=3&cursor=\(next)", token: cbp).json["persons"] as? [String: Any] ?? [:]
                seen += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                cursor = page["nextCursor"] as? String
            }
            #expect(seen.count == 7 && seen == seen.sorted() && seen.contains("Learner.Mha"))
            #expect(try await app.send(.GET, "/api/v1/plans/\(id)/compliance", token: try await app.token("mdo.health")).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/plans/\(id)/compliance", token: learner).status == .notFound)
        }
    }

    @Test func badPlansAreRefusedByFieldAndChangeNothing() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world)
            let cbp = try await app.token("cbp.mha")
            let path = "/api/v1/orgs/\(world.mha)/plans"
            func refused(_ body: [String: Any], _ fields: [String]) async throws {
                let reply = try await app.send(.POST, path, token: cbp, json: body)
                #expect(reply.status == .unprocessableEntity && reply.isProblem && reply.fields == fields, "\(reply.body)")
            }
            try await refused(planBody(UUID().uuidString), ["courseIds[0]"])
            try await refused(planBody(course, due: day(-1)), ["dueDate"])
            try await refused(planBody(course, due: "31/03/2027"), ["dueDate"])
            try await refused(planBody(course, assignment: ["designations": ["Chief Astronaut"]]), ["assignment.designations[0]"])
            try await refused(planBody(course, assignment: ["userIds": [world.users["learner.health"]!.uuidString]]), ["assignment.userIds[0]"])
            try await refused(planBody(course, assignment: ["allStaff": true, "designations": ["Director"]]), ["assignment"])
            try await refused(["name": "", "year": 1999, "courseIds": [course, course], "assignment": ["allStaff": true], "dueDate": day(5)], ["name", "year", "courseIds"])
            try await refused(["name": "Half a plan"], ["year", "courseIds", "assignment", "dueDate"])
            #expect(try await app.send(.POST, path, token: try await app.token("mdo.mha"), json: planBody(course)).status == .forbidden, "MDO admins watch, CBP admins plan")
            #expect(try await app.send(.POST, "/api/v1/orgs/\(world.health)/plans", token: cbp, json: planBody(course)).status == .notFound, "beyond the CBP admin's scope")
            #expect(try await app.send(.GET, path, token: cbp).items.isEmpty, "nothing was stored")
            #expect(try await app.send(.GET, path + "?state=sideways", token: cbp).fields == ["state"])
        }
    }

    @Test func aLivePlanChangesOnlyItsNameAssigneesAndDueDateAndEveryChangeIsRecorded() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world)
            let (other, _) = try await publishedCourse(app, world, title: "Cyber hygiene")
            let id = try await livePlan(app, world, course: course)
            let cbp = try await app.token("cbp.mha")
            let fixed = try await app.send(.PATCH, "/api/v1/plans/\(id)", token: cbp, json: ["courseIds": [other], "name": "Renamed"])
            #expect(fixed.status == .conflict && fixed.fields == ["courseIds"])
            #expect(try await app.send(.GET, "/api/v1/plans/\(id)", token: cbp).json["name"] as? String == "MHA capacity building 2026–27", "nothing changed")
            let changed = try await app.send(.PATCH, "/api/v1/plans/\(id)", token: cbp,
                                             json: ["name": "MHA ACBP 2026–27", "dueDate": day(90), "assignment": ["userIds": [world.users["learner.mha"]!.uuidString]]])
            #expect(changed.status == .ok && changed.json["name"] as? String == "MHA ACBP 2026–27" && changed.json["dueDate"] as? String == day(90))
            let changes = (changed.json["changes"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(changes == ["state", "state", "name", "dueDate", "assignment"], "\(changes)")
            #expect((changed.json["changes"] as? [[String: Any]])?[2]["before"] as? String == "MHA capacity building 2026–27")
            #expect((changed.json["changes"] as? [[String: Any]])?[2]["byName"] as? String == "Cbp.Mha")
            // Now only the named learner is assigned.
            #expect(try await app.send(.GET, "/api/v1/plans/\(id)/compliance", token: cbp).json["people"] as? Int == 1)
            #expect(try await app.send(.GET, "/api/v1/me/plans", token: try await app.token("learner.mha")).items.count == 1)
            #expect(try await app.send(.GET, "/api/v1/me/plans", token: try await app.token("mdo.mha")).items.isEmpty)
            #expect(try await app.send(.PATCH, "/api/v1/plans/\(id)", token: cbp, json: ["dueDate": day(-3)]).fields == ["dueDate"])

            #expect(try await app.send(.POST, "/api/v1/plans/\(id)/retire", token: cbp).json["state"] as? String == "retired")
            #expect(try await app.send(.PATCH, "/api/v1/plans/\(id)", token: cbp, json: ["name": "Again"]).status == .conflict)
            #expect(try await app.send(.GET, "/api/v1/me/plans", token: try await app.token("learner.mha")).items.isEmpty, "a retired plan is assigned to no one")
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.mha)/plans?state=retired", token: try await app.token("mdo.mha")).items.count == 1)
        }
    }

    @Test func designationsAreMatchedPerPersonAndLateCompletionEarnsLess() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            let patched = try await app.send(.PATCH, "/api/v1/users/\(world.users["learner.mha"]!)", token: try await app.token("mdo.mha"),
                                             json: ["designation": " Section  officer"])
            #expect(patched.json["designation"] as? String == "Section officer", "stored as plans compare it")
            let id = try await livePlan(app, world, course: course, assignment: ["designations": ["Section Officer"]])
            let cbp = try await app.token("cbp.mha")
            #expect(try await app.send(.GET, "/api/v1/me/plans", token: try await app.token("learner.mha")).items.count == 1)
            #expect(try await app.send(.GET, "/api/v1/me/plans", token: try await app.token("mdo.mha")).items.isEmpty)

            // The plan was due 40 days ago (set behind the API's back, which refuses past dates): two months late, part of one.
            let plan = try #require(try await Plan.find(UUID(uuidString: id)!, on: app.db))
            plan.dueDay = IndiaDay.of(Date()) - 40
            try await plan.save(on: app.db)
            try await complete(app, course, items, as: "learner.mha")
            let karma = try await app.send(.GET, "/api/v1/me/karma", token: try await app.token("learner.mha")).json["items"] as? [[String: Any]] ?? []
            #expect(karma.contains { $0["reason"] as? String == "plan_bonus" && $0["points"] as? Int == 3 }, "\(karma)")
            let compliance = try await app.send(.GET, "/api/v1/plans/\(id)/compliance?designation=section%20officer", token: cbp)
            #expect(compliance.json["people"] as? Int == 1 && (compliance.json["total"] as? [String: Int])?["completedLate"] == 1)
            let groups = compliance.json["byDesignation"] as? [[String: Any]] ?? []
            #expect(groups.count == 1 && groups[0]["designation"] as? String == "Section officer")
        }
    }

    @Test func aSuggestedPlanCoversTheDesignationForThoseWhoLackIt() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let (course, _) = try await publishedCourse(app, world)
            let mapped = try await app.send(.PUT, "/api/v1/orgs/\(world.mha)/designations/Section%20Officer", token: try await app.token("mdo.mha"),
                                            json: ["competencies": [["competencyId": competency, "level": 2]]])
            #expect(mapped.status == .ok)
            for key in ["learner.mha", "creator.mha"] {
                let user = try #require(try await User.find(world.users[key]!, on: app.db))
                user.designation = "Section Officer"
                try await user.save(on: app.db)
            }
            let cbp = try await app.token("cbp.mha")
            let suggested = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/plans/suggested?designation=section%20officer", token: cbp)
            #expect(suggested.status == .ok, "\(suggested.body)")
            #expect((suggested.json["courses"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [course])
            #expect(suggested.json["holders"] as? Int == 2 && suggested.json["lacking"] as? Int == 2)
            let plan = try #require(suggested.json["plan"] as? [String: Any])
            #expect((plan["assignment"] as? [String: Any])?["designations"] as? [String] == ["Section Officer"])
            let created = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/plans", token: cbp, json: plan)
            #expect(created.status == .created, "the suggestion is a plan as it stands: \(created.body)")
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.mha)/plans/suggested?designation=Astronaut", token: cbp).fields == ["designation"])
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.mha)/plans/suggested?designation=Section%20Officer",
                                       token: try await app.token("learner.mha")).status == .forbidden)
        }
    }
}
