import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

@Suite struct ScorecardTests {
    func items(_ reply: Reply) -> [String: [String: Any]] {
        Dictionary(uniqueKeysWithValues: (reply.json["items"] as? [[String: Any]] ?? []).map { ($0["key"] as! String, $0) })
    }

    @Test func anMDOsScorecardComesFromItsCountersPlansAndRecordedValues() async throws {
        try await withApp { app, world in
            _ = try await RollupCheck.run(repair: true, on: app.db)
            #expect(try Scorecards.bundledDefinitions().allSatisfy { $0.problems(field: "kpi").isEmpty })
            let (course, _) = try await publishedCourse(app, world)
            let mdo = try await app.token("mdo.mha")
            let path = "/api/v1/insights/scorecard?scope=org:\(world.mha)"
            var card = items(try await app.send(.GET, path, token: mdo))
            #expect(Set(card.keys) == ["cbu_formed", "mdo_onboarding", "acbp_prepared", "acbp_implemented", "content_coverage", "active_learners", "completion_rate", "learning_hours"])
            #expect(card["cbu_formed"]?["status"] as? String == "red" && card["cbu_formed"]?["value"] as? Double == 0, "no unit recorded yet")
            #expect(abs((card["mdo_onboarding"]?["value"] as? Double ?? 0) - 3.5) < 0.001 && card["mdo_onboarding"]?["status"] as? String == "red", "7 of 200")
            #expect(card["acbp_prepared"]?["value"] as? Double == 0 && card["acbp_prepared"]?["status"] as? String == "red")

            // The unit is recorded on the organisation, not typed in as a number.
            let typed = try await app.send(.POST, "/api/v1/kpis/cbu_formed/inputs", token: mdo, json: ["scope": "org:\(world.mha)", "value": 1])
            #expect(typed.status == .conflict)
            let unit = try await app.send(.PUT, "/api/v1/orgs/\(world.mha)/capacity-building-unit", token: mdo, json: ["formedOn": "2026-04-01"])
            #expect(unit.status == .ok, "\(unit.body)")
            let cbp = try await app.token("cbp.mha")
            let today = IndiaDay.civil(IndiaDay.of(Date()))
            var body = planBody(course)
            body["year"] = today.month >= 4 ? today.year : today.year - 1
            let plan = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/plans", token: cbp, json: body)
            _ = try await app.send(.POST, "/api/v1/plans/\(plan.json["id"] as! String)/publish", token: cbp)
            card = items(try await app.send(.GET, path, token: mdo))
            #expect(card["cbu_formed"]?["status"] as? String == "green")
            #expect(card["acbp_prepared"]?["status"] as? String == "green" && card["acbp_implemented"]?["value"] as? Double == 0)
            let coverage = try await app.send(.GET, path, token: mdo)
            #expect((coverage.json["competenciesWithoutCourses"] as? [[String: Any]])?.isEmpty == false)

            // The framework is data: a national admin changes a target and the colour follows.
            let national = try await app.token("national")
            var definition = try #require(try await app.send(.GET, "/api/v1/kpis", token: mdo).items.first { $0["key"] as? String == "mdo_onboarding" })
            definition["target"] = 3
            #expect(try await app.send(.PUT, "/api/v1/kpis/mdo_onboarding", token: national, json: definition).status == .ok)
            #expect(items(try await app.send(.GET, path, token: mdo))["mdo_onboarding"]?["status"] as? String == "green")
            definition["amberAt"] = 2
            #expect(try await app.send(.PUT, "/api/v1/kpis/mdo_onboarding", token: national, json: definition).fields == ["amberAt"])
            #expect(try await app.send(.PUT, "/api/v1/kpis/mdo_onboarding", token: mdo, json: definition).status == .forbidden)

            #expect(try await app.send(.POST, "/api/v1/kpis/mdo_onboarding/inputs", token: mdo, json: ["scope": "org:\(world.mha)", "value": 50]).status == .conflict)
            #expect(try await app.send(.POST, "/api/v1/kpis/platform_uptime/inputs", token: national, json: ["scope": "nation", "value": 150]).fields == ["value"])
            #expect(try await app.send(.POST, "/api/v1/kpis/platform_uptime/inputs", token: mdo, json: ["scope": "nation", "value": 99.9]).status == .forbidden)
            #expect(try await app.send(.PUT, "/api/v1/orgs/\(world.health)/capacity-building-unit", token: mdo, json: ["formedOn": "2026-04-01"]).status == .notFound)
            #expect(try await app.send(.POST, "/api/v1/kpis/nothing/inputs", token: national, json: ["scope": "nation", "value": 1]).status == .notFound)
        }
    }

    @Test func aStatesScorecardHasTheStatesKPIs() async throws {
        try await withApp { app, _ in
            let reply = try await app.send(.GET, "/api/v1/insights/scorecard?scope=state:8", token: try await app.token("state.rajasthan"))
            #expect(reply.status == .ok && reply.json["name"] as? String == "Rajasthan")
            let keys = Set(items(reply).keys)
            #expect(keys.contains("state_onboarding") && !keys.contains("cbu_formed") && !keys.contains("platform_uptime"))
            #expect(try await app.send(.GET, "/api/v1/insights/scorecard?scope=state:9", token: try await app.token("state.rajasthan")).status == .forbidden)
        }
    }
}
