import Fluent
import Foundation
import Testing
import Vapor
@testable import KarmayogiServer

@Suite struct UserScopeTests {
    /// Who may do what to whom: each role against people inside and outside its reach.
    /// 200/201 allowed; 403 seen but not allowed; 404 out of reach (its existence is not revealed).
    @Test func rolesByResources() async throws {
        try await withApp { app, world in
            let learnerMHA = world.users["learner.mha"]!.uuidString
            let healthInRajasthan = world.users["health.in.rajasthan"]!.uuidString
            let learnerHealth = world.users["learner.health"]!.uuidString
            typealias Expectation = (list: HTTPStatus, readInside: HTTPStatus, readRajasthan: HTTPStatus, readOutside: HTTPStatus, create: HTTPStatus, patch: HTTPStatus)
            let matrix: [String: Expectation] = [
                "national":        (.ok, .ok, .ok, .ok, .created, .ok),
                "mdo.mha":         (.ok, .ok, .notFound, .notFound, .created, .ok),
                "mdo.health":      (.notFound, .notFound, .ok, .ok, .notFound, .notFound),
                "cbp.mha":         (.ok, .ok, .notFound, .notFound, .forbidden, .forbidden),
                "creator.mha":     (.forbidden, .notFound, .notFound, .notFound, .forbidden, .notFound),
                "state.rajasthan": (.ok, .notFound, .ok, .notFound, .notFound, .notFound),
                "learner.mha":     (.forbidden, .ok, .notFound, .notFound, .forbidden, .forbidden),
            ]
            for (key, expected) in matrix {
                let token = try await app.token(key)
                let list = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/users", token: token)
                #expect(list.status == expected.list, "\(key) lists MHA's users")
                #expect(try await app.send(.GET, "/api/v1/users/\(learnerMHA)", token: token).status == expected.readInside, "\(key) reads an MHA learner")
                #expect(try await app.send(.GET, "/api/v1/users/\(healthInRajasthan)", token: token).status == expected.readRajasthan, "\(key) reads a health employee posted in Rajasthan")
                #expect(try await app.send(.GET, "/api/v1/users/\(learnerHealth)", token: token).status == expected.readOutside, "\(key) reads a health employee in MP")
                let create = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users", token: token, json: ["name": "New \(key)", "email": "new.\(key)@test.example.org"])
                #expect(create.status == expected.create, "\(key) creates a user in MHA")
                let patch = try await app.send(.PATCH, "/api/v1/users/\(learnerMHA)", token: token, json: ["designation": "Under Secretary"])
                #expect(patch.status == expected.patch, "\(key) changes an MHA learner")
            }
            // Nobody out of reach learned anything: the failed creations stored nothing.
            #expect(try await User.query(on: app.db).filter(\.$email == "new.mdo.health@test.example.org").count() == 0)
        }
    }

    @Test func stateAdminSeesOnlyPeoplePostedInTheirState() async throws {
        try await withApp { app, world in
            let token = try await app.token("state.rajasthan")
            let health = try await app.send(.GET, "/api/v1/orgs/\(world.health)/users", token: token)
            #expect(health.status == .ok)
            #expect(health.items.compactMap { $0["email"] as? String } == ["health.in.rajasthan@test.example.org"])
            let jaipur = try await app.send(.GET, "/api/v1/orgs/\(world.jaipurULB)/users", token: token)
            #expect(jaipur.items.count == 1)
        }
    }

    @Test func grantsCannotExceedTheGrantersReach() async throws {
        try await withApp { app, world in
            let mdo = try await app.token("mdo.mha")
            let national = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users", token: mdo,
                                              json: ["name": "Would-be", "email": "wb@test.example.org", "roles": ["national_admin"]])
            #expect(national.status == .forbidden && national.fields == ["roles"])
            let cbp = try await app.send(.POST, "/api/v1/orgs/\(world.mhaDepartment)/users", token: mdo,
                                         json: ["name": "Planner", "email": "planner@test.example.org", "roles": ["cbp_admin"]])
            #expect(cbp.status == .created)
            #expect((cbp.json["roles"] as? [[String: Any]])?.compactMap { $0["role"] as? String } == ["learner", "cbp_admin"])
            let unknownRole = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users", token: mdo,
                                                 json: ["name": "R", "email": "r@test.example.org", "roles": ["emperor"]])
            #expect(unknownRole.status == .unprocessableEntity && unknownRole.fields.first?.hasPrefix("roles") == true)
        }
    }
}

@Suite struct UserInputTests {
    @Test func badFieldsAreNamedAndNothingIsStored() async throws {
        try await withApp { app, world in
            let token = try await app.token("mdo.mha")
            let before = try await User.query(on: app.db).count()
            let reply = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users", token: token,
                                           json: ["name": " ", "email": "not-an-email", "phone": "12345", "stateCode": 8, "districtCode": 1,
                                                  "language": "xx", "password": "short"])
            #expect(reply.status == .unprocessableEntity && reply.isProblem)
            #expect(Set(reply.fields) == ["name", "email", "phone", "districtCode", "language", "password"])
            #expect(try await User.query(on: app.db).count() == before)
        }
    }

    @Test func malformedBodiesGetClearAnswers() async throws {
        try await withApp { app, world in
            let token = try await app.token("mdo.mha")
            let path = "/api/v1/orgs/\(world.mha)/users"
            let broken = try await app.send(.POST, path, token: token, body: "{\"name\": ", contentType: .json)
            #expect(broken.status == .badRequest && broken.isProblem)
            let wrongType = try await app.send(.POST, path, token: token, json: ["name": 42, "email": "a@b.in"])
            #expect(wrongType.status == .unprocessableEntity && wrongType.fields == ["name"])
            let missing = try await app.send(.POST, path, token: token, json: ["name": "A"])
            #expect(missing.fields == ["email"])
            let unknown = try await app.send(.POST, path, token: token, json: ["name": "A", "email": "a@b.in", "emial": "x"])
            #expect(unknown.status == .unprocessableEntity && unknown.fields == ["emial"])
            let array = try await app.send(.POST, path, token: token, json: [["name": "A"]])
            #expect(array.status == .badRequest)
            let text = try await app.send(.POST, path, token: token, body: "name=A", contentType: .urlEncodedForm)
            #expect(text.status == .unsupportedMediaType && text.isProblem)
            let huge = try await app.send(.POST, path, token: token, body: "{\"name\":\"" + String(repeating: "a", count: 2_000_000) + "\"}", contentType: .json)
            #expect(huge.status == .payloadTooLarge && huge.isProblem)
        }
    }

    @Test func metacharactersAreStoredAsGiven() async throws {
        try await withApp { app, world in
            let token = try await app.token("mdo.mha")
            let name = "Robert'); DROP TABLE users;-- <script>alert(1)</script> =SUM(A1)"
            let created = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users", token: token, json: ["name": name, "email": "bobby@test.example.org"])
            #expect(created.status == .created)
            let read = try await app.send(.GET, "/api/v1/users/\(created.json["id"] as! String)", token: token)
            #expect(read.json["name"] as? String == name)
            #expect(try await User.query(on: app.db).count() > 5, "the users table is still there")
        }
    }

    @Test func duplicatesConflict() async throws {
        try await withApp { app, world in
            let token = try await app.token("mdo.mha")
            let path = "/api/v1/orgs/\(world.mha)/users"
            #expect(try await app.send(.POST, path, token: token, json: ["name": "A", "email": "a1@test.example.org", "employeeId": "E-1"]).status == .created)
            let email = try await app.send(.POST, path, token: token, json: ["name": "B", "email": "A1@test.example.org"])
            #expect(email.status == .conflict && email.fields == ["email"])
            let employee = try await app.send(.POST, path, token: token, json: ["name": "C", "email": "c1@test.example.org", "employeeId": "E-1"])
            #expect(employee.status == .conflict && employee.fields == ["employeeId"])
        }
    }

    @Test func listsPageWithACursorAndSearch() async throws {
        try await withApp { app, world in
            let token = try await app.token("national")
            for index in 0..<5 {
                _ = try await app.send(.POST, "/api/v1/orgs/\(world.health)/users", token: token, json: ["name": "Page Person \(index)", "email": "p\(index)@test.example.org"])
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let reply = try await app.send(.GET, "/api/v1/orgs/\(world.health)/users?limit=2&q=page\(cursor.map { "&cursor=\($0)" } ?? "")", token: token)
                #expect(reply.status == .ok)
                #expect(reply.items.count <= 2)
                seen += reply.items.compactMap { $0["name"] as? String }
                cursor = reply.json["nextCursor"] as? String
                if cursor == nil { #expect(reply.json["nextCursor"] is NSNull, "the last page says so with null") }
            } while cursor != nil
            #expect(seen == (0..<5).map { "Page Person \($0)" })
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.health)/users?cursor=garbage", token: token).fields == ["cursor"])
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.health)/users?limit=0", token: token).fields == ["limit"])
            let subtree = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/users?includeSubtree=true&limit=200", token: token)
            #expect(subtree.items.contains { $0["email"] as? String == "learner.mha@test.example.org" })
        }
    }

    @Test func learnersChangeOnlyTheirOwnContactDetails() async throws {
        try await withApp { app, world in
            let token = try await app.token("learner.mha")
            let me = world.users["learner.mha"]!.uuidString
            let ok = try await app.send(.PATCH, "/api/v1/users/\(me)", token: token, json: ["phone": "+91 98290 12345", "language": "hi"])
            #expect(ok.status == .ok && ok.json["phone"] as? String == "9829012345" && ok.json["language"] as? String == "hi")
            let promote = try await app.send(.PATCH, "/api/v1/users/\(me)", token: token, json: ["roles": ["mdo_admin"]])
            #expect(promote.status == .forbidden && promote.fields == ["roles"])
        }
    }

    @Test func disablingSomeoneEndsTheirSessions() async throws {
        try await withApp { app, world in
            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "learner.mha@test.example.org", "password": TestWorld.password])
            let admin = try await app.token("mdo.mha")
            let disabled = try await app.send(.PATCH, "/api/v1/users/\(world.users["learner.mha"]!)", token: admin, json: ["status": "disabled"])
            #expect(disabled.status == .ok)
            #expect(try await app.send(.GET, "/api/v1/me", token: login.json["accessToken"] as? String).status == .unauthorized)
            #expect(try await app.send(.POST, "/api/v1/auth/refresh", json: ["refreshToken": login.json["refreshToken"] as! String]).status == .unauthorized)
        }
    }

    @Test func anAdminChangesOnlyTheGrantsTheyCouldGiveAndIsToldWhichStayed() async throws {
        try await withApp { app, world in
            // setup: the national admin makes a Rajasthan-posted Health ministry officer the State's admin
            let person = world.users["health.in.rajasthan"]!
            let national = try await app.token("national")
            let made = try await app.send(.PATCH, "/api/v1/users/\(person)", token: national, json: ["roles": ["state_admin"]])
            #expect(made.status == .ok)
            // MUT: the Health ministry's MDO admin sets the roles they manage
            let mdo = try await app.token("mdo.health")
            let changed = try await app.send(.PATCH, "/api/v1/users/\(person)", token: mdo, json: ["roles": ["content_creator"]])
            // validate
            #expect(changed.status == .ok)
            let user = try changed.decoded(UserDTO.self)
            #expect(Set(user.roles.map(\.role)) == [.learner, .stateAdmin, .contentCreator])
            #expect(user.keptRoles?.map(\.role) == [.stateAdmin])
            #expect(user.keptRoles?.first?.stateCode == 8)
            #expect(user.keptRoles?.first?.reason.contains("beyond your reach") == true)
            // and emptying them leaves the State admin grant too
            let emptied = try await app.send(.PATCH, "/api/v1/users/\(person)", token: mdo, json: ["roles": []])
            #expect(try emptied.decoded(UserDTO.self).roles.map(\.role) == [.learner, .stateAdmin])
        }
    }

    @Test func nobodyDisablesSomeoneWhoseGrantsReachBeyondTheirs() async throws {
        try await withApp { app, world in
            let person = world.users["health.in.rajasthan"]!
            _ = try await app.send(.PATCH, "/api/v1/users/\(person)", token: try await app.token("national"), json: ["roles": ["state_admin"]])
            let mdo = try await app.token("mdo.health")
            let refused = try await app.send(.PATCH, "/api/v1/users/\(person)", token: mdo, json: ["status": "disabled"])
            #expect(refused.status == .forbidden)
            #expect(refused.fields == ["status"])
            let stored = try await app.send(.GET, "/api/v1/users/\(person)", token: mdo)
            #expect(try stored.decoded(UserDTO.self).status == .active)
        }
    }

    @Test func nobodyDisablesThemselvesOrDropsTheirOwnLastAdminRole() async throws {
        try await withApp { app, world in
            let me = world.users["mdo.mha"]!
            let token = try await app.token("mdo.mha")
            let disable = try await app.send(.PATCH, "/api/v1/users/\(me)", token: token, json: ["status": "disabled"])
            #expect(disable.status == .forbidden && disable.fields == ["status"])
            let drop = try await app.send(.PATCH, "/api/v1/users/\(me)", token: token, json: ["roles": ["content_creator"]])
            #expect(drop.status == .unprocessableEntity && drop.fields == ["roles"])
            // Swapping to another admin role is fine: one admin role remains.
            let swap = try await app.send(.PATCH, "/api/v1/users/\(me)", token: token, json: ["roles": ["mdo_admin", "cbp_admin"]])
            #expect(Set(try swap.decoded(UserDTO.self).roles.map(\.role)) == [.learner, .mdoAdmin, .cbpAdmin])
            #expect(try await app.send(.GET, "/api/v1/me", token: token).status == .ok)
        }
    }
}
