import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// The organisation tree on the page: created, changed and moved within reach; an MDO's capacity building unit recorded,
/// and the scorecard computing its KPI from it.
@Suite struct OrganisationPageTests {
    @Test func theNationalAdminCreatesAMinistryAndADepartment() async throws {
        try await withApp { app, world in
            var national = Browser(app)
            try await national.signIn("national")
            let tree = try await national.get("/admin/organisations")
            #expect(tree.status == .ok && tree.body.contains("<li><a href=\"/admin/organisations/\(world.mha.uuidString.lowercased())\">Ministry of Home Affairs</a>"))
            #expect(tree.body.contains("<details open><summary>1 organisation under it</summary>"))
            _ = try await national.get("/admin/organisations/new")
            let made = try await national.post("/admin/organisations/new", form: ["name": "Ministry of Cooperation", "code": "MOC", "type": "ministry", "sanctionedStrength": "400"])
            #expect(made.status == .seeOther)
            let ministry = try #require(try await Organisation.query(on: app.db).filter(\.$code == "MOC").first())
            let page = try await national.get("/admin/organisations/\(ministry.id!.uuidString.lowercased())?saved=created")
            #expect(page.body.contains("The organisation is created.") && page.body.contains("400"))
            let department = try await national.post("/admin/organisations/new", form: ["name": "Department of Cooperation", "code": "MOC-DOC", "type": "department",
                                                                                       "parentId": ministry.id!.uuidString.lowercased()])
            #expect(department.status == .seeOther)
            let child = try #require(try await Organisation.query(on: app.db).filter(\.$code == "MOC-DOC").first())
            #expect(child.path.hasPrefix(ministry.path))
            let duplicate = try await national.post("/admin/organisations/new", form: ["name": "Again", "code": "MOC", "type": "ministry"])
            #expect(duplicate.status == .conflict && duplicate.body.contains("value=\"Again\""))
            let hindi = try await national.get("/admin/organisations?lang=hi")
            #expect(hindi.body.contains("संगठन") && hindi.body.contains("मंत्रालय"))
        }
    }

    @Test func aStateAdminCannotCreateAMinistry() async throws {
        try await withApp { app, _ in
            var state = Browser(app)
            try await state.signIn("state.rajasthan")
            _ = try await state.get("/admin/organisations/new")
            let refused = try await state.post("/admin/organisations/new", form: ["name": "Ministry of Deserts", "code": "MOD", "type": "ministry"])
            #expect(refused.status == .forbidden && refused.body.contains("national admin"))
            #expect(try await Organisation.query(on: app.db).filter(\.$code == "MOD").count() == 0)
            let own = try await state.post("/admin/organisations/new", form: ["name": "Department of Water, Rajasthan", "code": "RJ-WATER", "type": "state_department",
                                                                             "stateCode": "8"])
            #expect(own.status == .seeOther, "a State department of its own State")
        }
    }

    @Test func anOrganisationMovesWithItsSubtreeButNeverUnderItsOwn() async throws {
        try await withApp { app, world in
            var national = Browser(app)
            try await national.signIn("national")
            let mha = world.mha.uuidString.lowercased()
            _ = try await national.get("/admin/organisations/\(mha)")
            let loop = try await national.post("/admin/organisations/\(mha)/move", form: ["parentCode": "MHA-DBM"])
            #expect(loop.status == .unprocessableEntity && loop.body.contains("one of this organisation&#39;s own organisations"))
            let before = try #require(try await Organisation.find(world.mha, on: app.db)).path
            #expect(before == "/\(mha)/", "nothing moved")
            // The department moves under Health, and its people's paths with it.
            let department = world.mhaDepartment.uuidString.lowercased()
            let moved = try await national.post("/admin/organisations/\(department)/move", form: ["parentCode": "MOHFW"])
            #expect(moved.status == .ok && moved.body.contains("is moved"))
            let now = try #require(try await Organisation.find(world.mhaDepartment, on: app.db))
            #expect(now.$parent.id == world.health && now.path == "/\(world.health.uuidString.lowercased())/\(department)/")
            let principal = try #require(try await Principal.load(userID: world.users["learner.mha"]!, on: app.db))
            #expect(principal.organisationPath == now.path)
            // An MDO admin cannot move what is not theirs, nor put theirs under someone else's.
            var mdo = Browser(app)
            try await mdo.signIn("mdo.health")
            _ = try await mdo.get("/admin/organisations/\(world.health.uuidString.lowercased())")
            let away = try await mdo.post("/admin/organisations/\(department)/move", form: ["parentCode": "MHA"])
            #expect(away.status == .unprocessableEntity || away.status == .forbidden)
            #expect(try await Organisation.find(world.mhaDepartment, on: app.db)?.$parent.id == world.health)
            var other = Browser(app)
            try await other.signIn("mdo.mha")
            _ = try await other.get("/admin/organisations/\(mha)")
            #expect(try await other.post("/admin/organisations/\(department)/move", form: ["parentCode": "MHA"]).status == .notFound)
        }
    }

    @Test func theCapacityBuildingUnitIsRecordedAndCounted() async throws {
        try await withApp { app, world in
            var mdo = Browser(app)
            try await mdo.signIn("mdo.mha")
            let mha = world.mha.uuidString.lowercased()
            var page = try await mdo.get("/admin/organisations/\(mha)")
            #expect(page.body.contains("Not formed yet"))
            let token = try await app.token("mdo.mha")
            var card = try await app.send(.GET, "/api/v1/insights/scorecard?scope=org:\(mha)", token: token).decoded(ScorecardDTO.self)
            #expect(card.items.first { $0.key == "cbu_formed" }?.value == 0)
            let tomorrow = IndiaDay.string(IndiaDay.of(Date()) + 1)
            let refused = try await mdo.post("/admin/organisations/\(mha)/unit", form: ["formedOn": tomorrow, "memberEmails": "learner.health@test.example.org\nnobody@x.org"])
            #expect(refused.status == .unprocessableEntity && refused.body.contains("is in the future") && refused.body.contains("no one in Ministry of Home Affairs"))
            #expect(try await CapacityBuildingUnit.query(on: app.db).count() == 0)
            page = try await mdo.post("/admin/organisations/\(mha)/unit", form: ["formedOn": "2025-04-01", "nodalOfficerEmail": "cbp.mha@test.example.org",
                                                                                "memberEmails": "learner.mha@test.example.org\ncreator.mha@test.example.org"])
            #expect(page.status == .ok && page.body.contains("2 members") && page.body.contains("Cbp.Mha"))
            card = try await app.send(.GET, "/api/v1/insights/scorecard?scope=org:\(mha)", token: token).decoded(ScorecardDTO.self)
            let formed = try #require(card.items.first { $0.key == "cbu_formed" })
            #expect(formed.value == 1 && formed.status == .green && formed.measure == .cbuFormed)
            let unit = try await app.send(.GET, "/api/v1/orgs/\(mha)/capacity-building-unit", token: token).decoded(CapacityBuildingUnitDTO.self)
            #expect(unit.formedOn == "2025-04-01" && unit.members.count == 2)
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.health)/capacity-building-unit", token: try await app.token("mdo.health")).status == .notFound)
        }
    }
}
