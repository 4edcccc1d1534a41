import Fluent
import Foundation
import Testing
import Vapor
@testable import KarmayogiServer

@Suite struct CompetencyFrameworkTests {
    @Test func theNationalFrameworkIsLoadedAndSearchable() async throws {
        try await withApp { app, _ in
            var all: [[String: Any]] = []
            var cursor: String?
            repeat {
                let reply = try await app.send(.GET, "/api/v1/competencies?limit=200\(cursor.map { "&cursor=\($0)" } ?? "")")
                #expect(reply.status == .ok)
                all += reply.items
                cursor = reply.json["nextCursor"] as? String
            } while cursor != nil
            #expect(all.count == 149)
            let behavioural = try await app.send(.GET, "/api/v1/competencies?area=behavioural&limit=200")
            #expect(behavioural.items.filter { $0["subTheme"] == nil || $0["subTheme"] is NSNull }.count == 13)
            let search = try await app.send(.GET, "/api/v1/competencies?q=PROJECT%20KPIS")
            #expect(search.items.map { $0["key"] as? String } == ["functional/project management/project kpis monitoring"])
            let one = try await app.send(.GET, "/api/v1/competencies/\(search.items[0]["id"] as! String)")
            #expect((one.json["levels"] as? [[String: Any]])?.count == 5)
            #expect(one.json["addedInVersion"] as? Int == 1)
            #expect(try await app.send(.GET, "/api/v1/competencies?area=cosmic").fields == ["area"])
            #expect(try await app.send(.GET, "/api/v1/competencies/\(UUID())").status == .notFound)
        }
    }

    @Test func domainCompetenciesComeFromTheNationOrTheirOwnMDO() async throws {
        try await withApp { app, world in
            let body: [String: Any] = ["area": "domain", "theme": "Border Area Development", "description": "Plans and runs development in border areas.",
                                       "domain": "Border Management", "organisationId": world.mha.uuidString]
            let created = try await app.send(.POST, "/api/v1/competencies", token: try await app.token("mdo.mha"), json: body)
            #expect(created.status == .created)
            #expect(created.json["key"] as? String == "domain/border management/border area development")
            #expect(created.json["addedInVersion"] as? Int == 2)
            let other = try await app.send(.POST, "/api/v1/competencies", token: try await app.token("mdo.health"),
                                           json: body.merging(["theme": "Other"]) { $1 })
            #expect(other.status == .unprocessableEntity && other.fields == ["organisationId"])
            let functional = try await app.send(.POST, "/api/v1/competencies", token: try await app.token("mdo.mha"),
                                                json: ["area": "functional", "theme": "Filing", "description": "x"])
            #expect(functional.status == .forbidden)
            let twice = try await app.send(.POST, "/api/v1/competencies", token: try await app.token("national"), json: body)
            #expect(twice.status == .conflict)
            let badLevels = try await app.send(.POST, "/api/v1/competencies", token: try await app.token("national"),
                                               json: ["area": "functional", "theme": "Filing", "description": "x", "levels": [["level": 6, "description": "y"]]])
            #expect(badLevels.fields == ["levels"])
            #expect(try await Competency.query(on: app.db).count() == 150)
        }
    }

    @Test func retiredCompetenciesStayButCannotBeMapped() async throws {
        try await withApp { app, world in
            let national = try await app.token("national")
            func keys(_ query: String) async throws -> [String] { try await app.send(.GET, "/api/v1/competencies?\(query)").items.compactMap { $0["key"] as? String } }
            let found = try await app.send(.GET, "/api/v1/competencies?q=Data%20Protection").items
            let target = try #require(found.first { $0["key"] as? String == "functional/data protection" }?["id"] as? String)
            #expect(try await app.send(.POST, "/api/v1/competencies/\(target)/retire", token: try await app.token("mdo.mha")).status == .forbidden)
            let retired = try await app.send(.POST, "/api/v1/competencies/\(target)/retire", token: national, json: ["comment": "merged into Cyber Security"])
            #expect(retired.status == .ok && retired.json["status"] as? String == "retired" && retired.json["retiredInVersion"] as? Int == 2)
            #expect(try await app.send(.POST, "/api/v1/competencies/\(target)/retire", token: national).status == .conflict)
            #expect(try await app.send(.GET, "/api/v1/competencies/\(target)").status == .ok, "still there for old evidence")
            #expect(!(try await keys("q=Data%20Protection")).contains("functional/data protection"))
            #expect(try await keys("q=Data%20Protection&includeRetired=true").contains("functional/data protection"))
            let mapping = try await app.send(.PUT, "/api/v1/orgs/\(world.mha)/designations/Section%20Officer", token: try await app.token("mdo.mha"),
                                             json: ["competencies": [["competencyId": target, "level": 2]]])
            #expect(mapping.status == .unprocessableEntity && mapping.fields == ["competencies[0].competencyId"])
        }
    }
}

@Suite struct DesignationTests {
    func competency(_ app: Application, _ query: String) async throws -> String {
        try await app.send(.GET, "/api/v1/competencies?q=\(query)").items[0]["id"] as! String
    }

    @Test func anMDOAdminMapsADesignationAndItsPeopleReadIt() async throws {
        try await withApp { app, world in
            let admin = try await app.token("mdo.mha")
            let noting = try await competency(app, "Self-Analysis")
            let path = "/api/v1/orgs/\(world.mha)/designations/Section%20Officer"
            let put = try await app.send(.PUT, path, token: admin, json: ["competencies": [["competencyId": noting, "level": 3]]])
            #expect(put.status == .ok)
            #expect((put.json["competencies"] as? [[String: Any]])?.first?["level"] as? Int == 3)
            let sameDesignation = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/designations/section%20%20officer", token: try await app.token("learner.mha"))
            #expect(sameDesignation.status == .ok)
            #expect(sameDesignation.json["designation"] as? String == "Section Officer")
            #expect((sameDesignation.json["competencies"] as? [[String: Any]])?.count == 1)
            let list = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/designations", token: admin)
            #expect(list.items.first { $0["designation"] as? String == "Section Officer" }?["competencyCount"] as? Int == 1)
        }
    }

    @Test func badMappingsAreRefusedAndChangeNothing() async throws {
        try await withApp { app, world in
            let admin = try await app.token("mdo.mha")
            let known = try await competency(app, "Self-Analysis")
            let path = "/api/v1/orgs/\(world.mha)/designations/Under%20Secretary"
            #expect(try await app.send(.PUT, path, token: admin, json: ["competencies": [["competencyId": known, "level": 2]]]).status == .ok)
            for bad: [[String: Any]] in [
                [["competencyId": UUID().uuidString, "level": 2]],
                [["competencyId": known, "level": 0]],
                [["competencyId": known, "level": 6]],
                [["competencyId": known, "level": 2], ["competencyId": known, "level": 3]],
            ] {
                let reply = try await app.send(.PUT, path, token: admin, json: ["competencies": bad])
                #expect(reply.status == .unprocessableEntity && reply.isProblem)
            }
            let unchanged = try await app.send(.GET, path, token: admin)
            #expect((unchanged.json["competencies"] as? [[String: Any]])?.first?["level"] as? Int == 2)
            #expect(try await app.send(.PUT, path, token: try await app.token("learner.mha"), json: ["competencies": []]).status == .forbidden)
            #expect(try await app.send(.PUT, "/api/v1/orgs/\(world.health)/designations/X", token: admin, json: ["competencies": []]).status == .notFound)
        }
    }

    @Test func aCSVImportAppliesWhollyOrNotAtAll() async throws {
        try await withApp { app, world in
            let admin = try await app.token("cbp.mha")
            let csv = HTTPMediaType(type: "text", subType: "csv")
            let path = "/api/v1/orgs/\(world.mha)/designations/import"
            let bad = try await app.send(.POST, path, token: admin, body: """
                designation,competency,level
                Section Officer,Self-Awareness,3
                Section Officer,No Such Thing,2
                Assistant Section Officer,functional/project management,9
                Section Officer,self-awareness,2
                """, contentType: csv)
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.fields == ["competency", "level", "competency"])
            #expect(try await DesignationRequirement.query(on: app.db).count() == 0)
            let good = try await app.send(.POST, path, token: admin, body: """
                designation,competency,level
                Section Officer,Self-Awareness,3
                Section Officer,functional/project management/project kpis monitoring,2
                Assistant Section Officer,Self-Awareness,1
                """, contentType: csv)
            #expect(good.status == .ok)
            #expect(good.json["requirements"] as? Int == 3)
            #expect(good.json["designations"] as? [String] == ["Assistant Section Officer", "Section Officer"])
            let noHeader = try await app.send(.POST, path, token: admin, body: "a,b\n", contentType: csv)
            #expect(noHeader.fields == ["file"])
        }
    }
}
