import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

@Suite struct OrganisationTests {
    @Test func nationalAdminBuildsTheTreeAndMdoAdminGrowsItsSubtree() async throws {
        try await withApp { app, world in
            let national = try await app.token("national")
            let ministry = try await app.send(.POST, "/api/v1/orgs", token: national,
                                              json: ["name": "Ministry of Rural Development", "code": "MORD", "type": "ministry", "sanctionedStrength": 2500])
            #expect(ministry.status == .created)
            #expect(ministry.json["type"] as? String == "ministry")
            #expect(ministry.json["sanctionedStrength"] as? Int == 2500)

            let mdo = try await app.token("mdo.mha")
            let department = try await app.send(.POST, "/api/v1/orgs", token: mdo,
                                                json: ["name": "Department of Official Language", "code": "MHA-DOL", "type": "department", "parentId": world.mha.uuidString])
            #expect(department.status == .created)
            #expect(department.json["parentId"] as? String == world.mha.uuidString)
            // Not at the top of the tree, and not under another ministry.
            #expect(try await app.send(.POST, "/api/v1/orgs", token: mdo, json: ["name": "X", "code": "XX", "type": "ministry"]).status == .forbidden)
            let elsewhere = try await app.send(.POST, "/api/v1/orgs", token: mdo,
                                               json: ["name": "X", "code": "XX", "type": "department", "parentId": world.health.uuidString])
            #expect(elsewhere.status == .unprocessableEntity && elsewhere.fields == ["parentId"])
        }
    }

    @Test func treeRulesAndGeographyAreChecked() async throws {
        try await withApp { app, world in
            let national = try await app.token("national")
            func create(_ body: [String: Any]) async throws -> Reply { try await app.send(.POST, "/api/v1/orgs", token: national, json: body) }
            #expect(try await create(["name": "D", "code": "D-1", "type": "department"]).fields == ["parentId"])
            #expect(try await create(["name": "S", "code": "S-1", "type": "state_department"]).fields == ["stateCode"])
            #expect(try await create(["name": "S", "code": "S-1", "type": "state_department", "stateCode": 99]).fields == ["stateCode"])
            #expect(try await create(["name": "U", "code": "U-1", "type": "ulb", "stateCode": 8, "districtCode": 999_999]).fields == ["districtCode"])
            #expect(try await create(["name": "", "code": "!", "type": "ministry"]).fields.sorted() == ["code", "name"])
            let badType = try await create(["name": "N", "code": "N-1", "type": "kingdom"])
            #expect(badType.status == .unprocessableEntity && badType.fields == ["type"])
            let duplicate = try await create(["name": "Again", "code": "MHA", "type": "ministry"])
            #expect(duplicate.status == .conflict && duplicate.fields == ["code"])
            let panchayat = try await create(["name": "Gram Panchayat Bassi", "code": "GP-BASSI", "type": "panchayat", "stateCode": 8,
                                              "districtCode": Geography.reference.district(named: "Jaipur", inState: 8)!.code,
                                              "parentId": world.rajasthan.uuidString])
            #expect(panchayat.status == .created)
        }
    }

    @Test func listsAreScopedAndFiltered() async throws {
        try await withApp { app, world in
            func names(_ key: String, _ query: String = "") async throws -> Set<String> {
                let reply = try await app.send(.GET, "/api/v1/orgs\(query)", token: try await app.token(key))
                #expect(reply.status == .ok)
                return Set(reply.items.compactMap { $0["code"] as? String })
            }
            #expect(try await names("national") == ["MHA", "MHA-DBM", "MOHFW", "RJ-DOP", "JMC"])
            #expect(try await names("national", "?type=ministry") == ["MHA", "MOHFW"])
            #expect(try await names("national", "?stateCode=8") == ["RJ-DOP", "JMC"])
            #expect(try await names("national", "?parentId=\(world.mha.uuidString)") == ["MHA-DBM"])
            #expect(try await names("national", "?q=border") == ["MHA-DBM"])
            #expect(try await names("mdo.mha") == ["MHA", "MHA-DBM"])
            #expect(try await names("state.rajasthan") == ["RJ-DOP", "JMC"])
            #expect(try await names("learner.mha") == ["MHA", "MHA-DBM"], "a learner sees their own organisation and its parents")
            let bad = try await app.send(.GET, "/api/v1/orgs?type=kingdom", token: try await app.token("national"))
            #expect(bad.status == .unprocessableEntity && bad.fields == ["type"])
        }
    }

    @Test func readAndUpdateStayWithinScope() async throws {
        try await withApp { app, world in
            let mdo = try await app.token("mdo.mha")
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.mhaDepartment)", token: mdo).status == .ok)
            let hidden = try await app.send(.GET, "/api/v1/orgs/\(world.health)", token: mdo)
            #expect(hidden.status == .notFound && hidden.isProblem)
            #expect(try await app.send(.GET, "/api/v1/orgs/not-a-uuid", token: mdo).status == .notFound)
            let patched = try await app.send(.PATCH, "/api/v1/orgs/\(world.mhaDepartment)", token: mdo, json: ["sanctionedStrength": 640])
            #expect(patched.status == .ok && patched.json["sanctionedStrength"] as? Int == 640)
            #expect(try await app.send(.PATCH, "/api/v1/orgs/\(world.health)", token: mdo, json: ["name": "Mine"]).status == .notFound)
            let negative = try await app.send(.PATCH, "/api/v1/orgs/\(world.mha)", token: mdo, json: ["sanctionedStrength": -1])
            #expect(negative.fields == ["sanctionedStrength"])
            let learner = try await app.token("learner.mha")
            #expect(try await app.send(.PATCH, "/api/v1/orgs/\(world.mha)", token: learner, json: ["name": "Mine"]).status == .forbidden)
        }
    }
}
