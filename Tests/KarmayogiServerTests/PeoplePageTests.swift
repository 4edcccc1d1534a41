import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// An admin's people: filtered and paged both ways, each person's page (profile, roles, status with reasons, activation,
/// learning), actions on chosen people answered person by person, and the add-person form whose districts follow its State.
@Suite struct PeoplePageTests {
    /// Adds `count` pending people named "Person 01"… to an organisation, as an admin would, and returns their ids.
    func addPeople(_ app: Application, _ organisation: UUID, count: Int, designation: String = "Assistant", state: Int? = nil) async throws -> [String] {
        let token = try await app.token("national")
        var ids: [String] = []
        for index in 1...count {
            var body: [String: Any] = ["name": String(format: "Person %02d", index), "email": "person\(index)@test.example.org", "designation": designation]
            if let state { body["stateCode"] = state }
            let reply = try await app.send(.POST, "/api/v1/orgs/\(organisation)/users", token: token, json: body)
            ids.append(try #require(reply.json["id"] as? String, "\(reply.body)"))
        }
        return ids
    }

    @Test func theListFiltersAndPagesBothWays() async throws {
        try await withApp { app, world in
            _ = try await addPeople(app, world.health, count: 7)
            var browser = Browser(app)
            try await browser.signIn("mdo.health")
            let first = try await browser.get("/admin/users?org=\(world.health)&designation=assistant&limit=3")
            #expect(first.status == .ok, "\(first.body.suffix(4000))")
            #expect(first.body.contains("Person 01") && first.body.contains("Person 03") && !first.body.contains("Person 04"))
            #expect(!first.body.contains("Learner.Health"), "filtered by designation")
            #expect(!first.body.contains("rel=\"prev\""), "the first page has no page before it")
            let next = try #require(first.body.firstMatch(of: /href="([^"]+)" rel="next"/)?.1)
            let second = try await browser.get(String(next).replacingOccurrences(of: "&amp;", with: "&"))
            #expect(second.body.contains("Person 04") && second.body.contains("Person 06") && !second.body.contains("Person 03"))
            let previous = try #require(second.body.firstMatch(of: /href="([^"]+)" rel="prev"/)?.1)
            let back = try await browser.get(String(previous).replacingOccurrences(of: "&amp;", with: "&"))
            #expect(back.body.contains("Person 01") && back.body.contains("Person 03") && !back.body.contains("Person 04"), "back to the first page")
            #expect(!back.body.contains("rel=\"prev\""))

            let pending = try await browser.get("/admin/users?org=\(world.health)&status=active")
            #expect(pending.body.contains("Learner.Health") && !pending.body.contains("Person 01"), "the added people are waiting for activation")
            let inRajasthan = try await browser.get("/admin/users?org=\(world.health)&state=8")
            #expect(inRajasthan.body.contains("Health.In.Rajasthan") && !inRajasthan.body.contains("Learner.Health"))
            let admins = try await browser.get("/admin/users?org=\(world.health)&role=mdo_admin")
            #expect(admins.body.contains("Mdo.Health") && !admins.body.contains("Learner.Health"))
            let wrong = try await browser.get("/admin/users?org=\(world.health)&state=8&district=999999")
            #expect(wrong.body.contains("role=\"alert\"") && wrong.body.contains("district"), "a bad filter is named, the list still shows")

            // The API pages both ways too.
            let token = try await app.token("mdo.health")
            let api = try await app.send(.GET, "/api/v1/orgs/\(world.health)/users?designation=Assistant&limit=3", token: token)
            let page = try api.decoded(KarmayogiServer.Page<UserDTO>.self)
            #expect(page.items.map(\.name) == ["Person 01", "Person 02", "Person 03"] && page.previousCursor == nil)
            let later = try await app.send(.GET, "/api/v1/orgs/\(world.health)/users?designation=Assistant&limit=3&cursor=\(page.nextCursor.value!)", token: token)
            let laterPage = try later.decoded(KarmayogiServer.Page<UserDTO>.self)
            let before = try await app.send(.GET, "/api/v1/orgs/\(world.health)/users?designation=Assistant&limit=3&before=\(laterPage.previousCursor!)", token: token)
            let beforePage = try before.decoded(KarmayogiServer.Page<UserDTO>.self)
            #expect(beforePage.items.map(\.name) == ["Person 01", "Person 02", "Person 03"])
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.health)/users?status=sleeping", token: token).fields == ["status"])
        }
    }

    @Test func anAdminEditsAPersonTheirRolesAndStatusWithReasons() async throws {
        try await withApp { app, world in
            let id = try #require(world.users["learner.mha"]).uuidString.lowercased()
            var browser = Browser(app)
            try await browser.signIn("mdo.mha")
            var page = try await browser.get("/admin/users/\(id)")
            #expect(page.status == .ok && page.body.contains("Learner.Mha") && page.body.contains("Department of Border Management"))
            #expect(page.body.contains("Not enrolled in any course yet."))

            // Profile and posting: a district that is not in the State is named and nothing changes.
            let jaipur = Geography.reference.district(named: "Jaipur", inState: 8)!.code
            let refused = try await browser.post("/admin/users/\(id)", form: ["name": "Learner Mha", "stateCode": "9", "districtCode": String(jaipur), "language": "hi"])
            #expect(refused.status == .unprocessableEntity && refused.body.contains("is not in State 9"))
            #expect(try await User.find(world.users["learner.mha"], on: app.db)?.name == "Learner.Mha")
            let saved = try await browser.post("/admin/users/\(id)", form: ["name": "Learner Mha", "designation": "Section Officer", "stateCode": "8",
                                                                             "districtCode": String(jaipur), "language": "hi"])
            #expect(saved.status == .ok && saved.body.contains("The changes are saved."))
            let changed = try #require(try await User.find(world.users["learner.mha"], on: app.db))
            #expect(changed.name == "Learner Mha" && changed.districtCode == jaipur && changed.language == "hi" && changed.designation == "Section Officer")

            // Roles: granted and removed within reach.
            page = try await browser.post("/admin/users/\(id)/roles", pairs: [("roles[]", "content_creator"), ("roles[]", "content_reviewer")])
            #expect(page.status == .ok && page.body.contains("The roles are saved."))
            var held = try await Principal.grants(of: [world.users["learner.mha"]!], on: app.db)[world.users["learner.mha"]!, default: []].map(\.role.role)
            #expect(Set(held) == [.contentCreator, .contentReviewer])
            page = try await browser.post("/admin/users/\(id)/roles", pairs: [("roles[]", "content_creator")])
            held = try await Principal.grants(of: [world.users["learner.mha"]!], on: app.db)[world.users["learner.mha"]!, default: []].map(\.role.role)
            #expect(held == [.contentCreator])

            // Deactivating asks first, needs a reason, and is recorded.
            let confirm = try await browser.get("/admin/users/\(id)/status?to=disabled")
            #expect(confirm.body.contains("Deactivate Learner Mha?") && confirm.body.contains("class=\"danger\""))
            let noReason = try await browser.post("/admin/users/\(id)/status", form: ["status": "disabled", "reason": " "])
            #expect(noReason.status == .unprocessableEntity && noReason.body.contains("say why"))
            #expect(try await User.find(world.users["learner.mha"], on: app.db)?.status == .active)
            page = try await browser.post("/admin/users/\(id)/status", form: ["status": "disabled", "reason": "Transferred to the State cadre"])
            #expect(page.body.contains("Learner Mha is deactivated.") && page.body.contains("Transferred to the State cadre") && page.body.contains("Mdo.Mha"))
            #expect(try await User.find(world.users["learner.mha"], on: app.db)?.status == .disabled)
            var learner = Browser(app)
            await #expect(throws: (any Error).self) { try await learner.signIn("learner.mha") }
            page = try await browser.post("/admin/users/\(id)/status", form: ["status": "active", "reason": "Came back"])
            #expect(page.body.contains("Learner Mha is reactivated."))
            let history = try await app.send(.GET, "/api/v1/users/\(id)/status", token: try await app.token("mdo.mha"))
            let changes = try history.decoded([StatusChangeDTO].self)
            #expect(changes.map(\.status) == [.active, .disabled] && changes.map(\.reason) == ["Came back", "Transferred to the State cadre"])

            // In Hindi, the same page in Hindi.
            let hindi = try await browser.get("/admin/users/\(id)?lang=hi")
            #expect(hindi.body.contains("प्रोफ़ाइल और तैनाती") && hindi.body.contains("स्थिति में बदलाव"))
        }
    }

    @Test func nobodyOutsideReachIsChangedOrEvenSeen() async throws {
        try await withApp { app, world in
            let health = try #require(world.users["learner.health"]).uuidString.lowercased()
            var browser = Browser(app)
            try await browser.signIn("mdo.mha")
            #expect(try await browser.get("/admin/users/\(health)").status == .notFound)
            #expect(try await browser.get("/admin/users/\(UUID())").status == .notFound)
            let reactivate = try await browser.post("/admin/users/\(health)/status", form: ["status": "active", "reason": "Came back"])
            #expect(reactivate.status == .notFound)
            let token = try await app.token("mdo.mha")
            let viaAPI = try await app.send(.POST, "/api/v1/users/\(health)/status", token: token, json: ["status": "active", "reason": "x"])
            let unknown = try await app.send(.POST, "/api/v1/users/\(UUID())/status", token: token, json: ["status": "active", "reason": "x"])
            #expect(viaAPI.status == .notFound && unknown.status == .notFound && viaAPI.json["detail"] as? String == unknown.json["detail"] as? String)
            #expect(try await UserStatusChange.query(on: app.db).count() == 0)
            // One's own account is not deactivated by oneself.
            let own = try #require(world.users["mdo.mha"]).uuidString.lowercased()
            let selfish = try await app.send(.POST, "/api/v1/users/\(own)/status", token: token, json: ["status": "disabled", "reason": "tired"])
            #expect(selfish.status == .forbidden)
        }
    }

    @Test func activationIsSentAgainOnlyToThoseWaiting() async throws {
        try await withApp { app, world in
            let ids = try await addPeople(app, world.mha, count: 1)
            var browser = Browser(app)
            try await browser.signIn("mdo.mha")
            _ = try await browser.get("/admin/users/\(ids[0])")
            let before = try #require(try await User.find(UUID(uuidString: ids[0]), on: app.db)?.activationTokenHash)
            let page = try await browser.post("/admin/users/\(ids[0])/activation", form: [:])
            #expect(page.status == .ok, "\(page.body.suffix(3000))")
            #expect(page.status == .ok && page.body.contains("A new activation link to person1@test.example.org is waiting in the outbox"))
            let after = try #require(try await User.find(UUID(uuidString: ids[0]), on: app.db)?.activationTokenHash)
            #expect(after != before, "the old link stops working")
            #expect(try await OutboxMessage.query(on: app.db).filter(\.$kind == "activation").count() == 2)
            let active = try #require(world.users["learner.mha"]).uuidString.lowercased()
            let refused = try await browser.post("/admin/users/\(active)/activation", form: [:])
            #expect(refused.status == .unprocessableEntity && refused.body.contains("already activated"))
        }
    }

    @Test func actionsOnChosenPeopleAreAnsweredPersonByPerson() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world, title: "Budgeting basics")
            let ids = try await addPeople(app, world.mha, count: 2)
            let outsider = try #require(world.users["learner.health"]).uuidString.lowercased()
            var browser = Browser(app)
            try await browser.signIn("mdo.mha")
            _ = try await browser.get("/admin/users?org=\(world.mha)")
            let enrolled = try await browser.post("/admin/users/bulk?org=\(world.mha)",
                                                  pairs: [("ids[]", ids[0]), ("ids[]", ids[1]), ("ids[]", outsider), ("action", "enrol"), ("course", "budgeting BASICS")])
            #expect(enrolled.status == .ok && enrolled.body.contains("Done for 2 of 3 people."))
            #expect(enrolled.body.contains("Not found, or outside your reach"))
            #expect(try await Enrolment.query(on: app.db).filter(\.$courseID == UUID(uuidString: course)!).count() == 2)
            let again = try await browser.post("/admin/users/bulk?org=\(world.mha)", pairs: [("ids[]", ids[0]), ("action", "enrol"), ("course", course)])
            #expect(again.body.contains("Already enrolled"))
            let noCourse = try await browser.post("/admin/users/bulk?org=\(world.mha)", pairs: [("ids[]", ids[0]), ("action", "enrol"), ("course", "No such course")])
            #expect(noCourse.status == .unprocessableEntity && noCourse.body.contains("no published course"))

            // A plan for named people takes them, from an admin who also makes the organisation's plans.
            try await Users.record(Grant(role: .cbpAdmin, target: .organisation(path: try #require(try await Organisation.find(world.mha, on: app.db)).path)),
                                   for: world.users["mdo.mha"]!, by: nil, on: app.db)
            let cbp = try await app.token("cbp.mha")
            var body = planBody(course, due: day(30))
            body["assignment"] = ["userIds": [ids[0]]]
            let plan = try #require(try await app.send(.POST, "/api/v1/orgs/\(world.mha)/plans", token: cbp, json: body).json["id"] as? String)
            let assigned = try await browser.post("/admin/users/bulk?org=\(world.mha)", pairs: [("ids[]", ids[0]), ("ids[]", ids[1]), ("action", "plan"), ("planId", plan)])
            #expect(assigned.status == .ok, "\(assigned.body.suffix(3000))")
            #expect(assigned.body.contains("Already in the plan") && assigned.body.contains("Added to"))
            let read = try await app.send(.GET, "/api/v1/plans/\(plan)", token: cbp)
            #expect((read.json["assignment"] as? [String: Any])?["userIds"] as? [String] == ids.map { $0.uppercased() }
                    || ((read.json["assignment"] as? [String: Any])?["userIds"] as? [String])?.map { $0.lowercased() } == ids)

            // Deactivating needs a reason, and then each person is answered.
            let noReason = try await browser.post("/admin/users/bulk?org=\(world.mha)", pairs: [("ids[]", ids[0]), ("action", "deactivate")])
            #expect(noReason.status == .unprocessableEntity)
            #expect(try await User.find(UUID(uuidString: ids[0]), on: app.db)?.status == .pending)
            let own = try #require(world.users["mdo.mha"]).uuidString.lowercased()
            let off = try await browser.post("/admin/users/bulk?org=\(world.mha)", pairs: [("ids[]", ids[0]), ("ids[]", own), ("action", "deactivate"), ("reason", "Left the ministry")])
            #expect(off.body.contains("Done for 1 of 2 people.") && off.body.contains("your own account"))
            #expect(try await User.find(UUID(uuidString: ids[0]), on: app.db)?.status == .disabled)
        }
    }

    @Test func theAddFormsDistrictsFollowItsState() async throws {
        try await withApp { app, world in
            var browser = Browser(app)
            try await browser.signIn("mdo.mha")
            let blank = try await browser.get("/admin/users/new?org=\(world.mha)")
            #expect(blank.status == .ok && !blank.body.contains(">Jaipur<"), "no State, no districts")
            let rajasthan = try await browser.get("/admin/users/new?org=\(world.mha)&state=8")
            #expect(rajasthan.body.contains(">Jaipur<") && !rajasthan.body.contains(">Lucknow<"))
            #expect(rajasthan.body.contains("name=\"stateCode\" value=\"8\""))
            let districts = try await browser.get("/admin/districts?state=8")
            #expect(districts.status == .ok && districts.body.contains("\"name\":\"Jaipur\""))
            let jaipur = Geography.reference.district(named: "Jaipur", inState: 8)!.code
            let added = try await browser.post("/admin/users?org=\(world.mha)", form: ["name": "Posted Person", "email": "posted@test.example.org",
                                                                                    "stateCode": "8", "districtCode": String(jaipur)])
            #expect(added.status == .created)
            let person = try #require(try await User.query(on: app.db).filter(\.$email == "posted@test.example.org").first())
            #expect(person.stateCode == 8 && person.districtCode == jaipur)
            let invalid = try await browser.post("/admin/users?org=\(world.mha)", form: ["name": "", "email": "bad"])
            #expect(invalid.status == .unprocessableEntity && invalid.body.contains("field-error"))
        }
    }
}
