import Foundation
import Testing
import Vapor
@testable import KarmayogiServer

/// What is beyond the caller's reach is answered exactly as what does not exist: the same status and the same detail,
/// so that nobody learns which organisations, plans, grants or people there are by asking.
@Suite struct ExistenceTests {
    /// Asks for `path` with the id of something real but out of reach, and with an id of nothing, and compares.
    func expectSameAnswer(_ app: Application, token: String, _ method: HTTPMethod = .GET, at path: (UUID) -> String,
                          outOfReach: UUID, json: [String: Any]? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let hidden = try await app.send(method, path(outOfReach), token: token, json: json)
        let missing = try await app.send(method, path(UUID()), token: token, json: json)
        #expect(hidden.status == missing.status, "\(path(outOfReach)): \(hidden.body) / \(missing.body)", sourceLocation: sourceLocation)
        #expect(hidden.json["detail"] as? String == missing.json["detail"] as? String,
                "\(path(outOfReach)): \(hidden.body) / \(missing.body)", sourceLocation: sourceLocation)
        #expect(hidden.status.code >= 400, "\(path(outOfReach)) answered \(hidden.status)", sourceLocation: sourceLocation)
    }

    @Test func organisationsPeoplePlansAndGrantsOutOfReachLookAbsent() async throws {
        try await withApp { app, world in
            // The Ministry of Health and its people and plans are beyond an MHA admin.
            let national = try await app.token("national")
            let (course, _) = try await publishedCourse(app, world)
            // A CBP admin of the Ministry of Health makes its plan; the national admin gives a report grant there.
            let planner = world.users["mdo.health"]!
            let promoted = try await app.send(.PATCH, "/api/v1/users/\(planner)", token: national, json: ["roles": ["mdo_admin", "cbp_admin"]])
            try #require(promoted.status == .ok, "\(promoted.body)")
            let plan = try await app.send(.POST, "/api/v1/orgs/\(world.health)/plans", token: try await app.token("mdo.health"),
                                          json: ["name": "Health plan", "year": 2026, "courseIds": [course], "assignment": ["allStaff": true], "dueDate": "2027-03-31"])
            let planID = try #require((plan.json["id"] as? String).flatMap(UUID.init(uuidString:)), "\(plan.body)")
            let learner = world.users["learner.health"]!
            let until = String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(86400 * 30)).prefix(10))
            let grant = try await app.send(.POST, "/api/v1/orgs/\(world.health)/report-grants", token: national,
                                           json: ["userId": learner.uuidString, "until": until])
            let grantID = try #require((grant.json["id"] as? String).flatMap(UUID.init(uuidString:)), "\(grant.body)")

            let mha = try await app.token("mdo.mha")
            let health = world.health
            for kind in ["users", "enrolments", "assessment-results", "course-competencies", "plan-compliance"] {
                try await expectSameAnswer(app, token: mha, at: { "/api/v1/reports/\(kind).csv?scope=org:\($0)" }, outOfReach: health)
            }
            try await expectSameAnswer(app, token: mha, at: { "/api/v1/insights/summary?scope=org:\($0)" }, outOfReach: health)
            try await expectSameAnswer(app, token: mha, at: { "/api/v1/insights/scorecard?scope=org:\($0)" }, outOfReach: health)
            try await expectSameAnswer(app, token: mha, at: { "/api/v1/orgs/\($0)" }, outOfReach: health)
            try await expectSameAnswer(app, token: mha, at: { "/api/v1/orgs/\($0)/users" }, outOfReach: health)
            try await expectSameAnswer(app, token: mha, .POST, at: { "/api/v1/orgs/\($0)/users" }, outOfReach: health,
                                       json: ["name": "Asha Verma", "email": "asha.reach@test.example.org"])
            try await expectSameAnswer(app, token: mha, at: { "/api/v1/orgs/\($0)/plans" }, outOfReach: health)
            try await expectSameAnswer(app, token: mha, at: { "/api/v1/orgs/\($0)/report-grants" }, outOfReach: health)
            try await expectSameAnswer(app, token: mha, .POST, at: { "/api/v1/orgs/\($0)/report-grants" }, outOfReach: health,
                                       json: ["userId": learner.uuidString, "until": "2026-12-31"])
            try await expectSameAnswer(app, token: mha, at: { "/api/v1/users/\($0)" }, outOfReach: learner)
            try await expectSameAnswer(app, token: mha, .PATCH, at: { "/api/v1/users/\($0)" }, outOfReach: learner, json: ["designation": "Clerk"])
            try await expectSameAnswer(app, token: mha, at: { "/api/v1/plans/\($0)" }, outOfReach: planID)
            try await expectSameAnswer(app, token: mha, at: { "/api/v1/plans/\($0)/compliance" }, outOfReach: planID)
            try await expectSameAnswer(app, token: mha, .POST, at: { "/api/v1/plans/\($0)/publish" }, outOfReach: planID)
            try await expectSameAnswer(app, token: mha, .DELETE, at: { "/api/v1/report-grants/\($0)" }, outOfReach: grantID)
        }
    }
}
