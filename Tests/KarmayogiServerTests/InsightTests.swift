import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

@Suite struct SummaryTests {
    @Test func aStateAdminSeesTheirStateItsDistrictsAndDepartments() async throws {
        try await withApp { app, world in
            _ = try await RollupCheck.run(repair: true, on: app.db)
            let (course, items) = try await publishedCourse(app, world)
            try await complete(app, course, items, as: "learner.jaipur")
            let jaipur = Geography.reference.district(named: "Jaipur", inState: 8)!.code
            let state = try await app.token("state.rajasthan")

            let summary = try await app.send(.GET, "/api/v1/insights/summary?scope=state:8", token: state)
            #expect(summary.status == .ok, "\(summary.body)")
            let json = summary.json
            #expect(json["name"] as? String == "Rajasthan" && json["enrolments"] as? Int == 1 && json["completions"] as? Int == 1)
            #expect(json["certificates"] as? Int == 1 && json["completionRate"] as? Double == 1 && json["activeLearners30"] as? Int == 1)
            #expect(abs((json["learningHours"] as? Double ?? 0) - 600.0 / 3600) < 0.0001)
            let functional = (json["topCourses"] as? [String: Any])?["functional"] as? [[String: Any]] ?? []
            #expect(functional.first?["courseId"] as? String == course && functional.first?["completions"] as? Int == 1)
            let children = json["breakdown"] as? [[String: Any]] ?? []
            let district = children.first { $0["scope"] as? String == "district:\(jaipur)" }
            #expect(district?["name"] as? String == "Jaipur" && district?["enrolments"] as? Int == 1 && district?["kind"] as? String == "district")
            #expect(children.contains { $0["scope"] as? String == "org:\(world.rajasthan.uuidString.lowercased())" && $0["kind"] as? String == "organisation" })
            let series = json["series"] as? [[String: Any]] ?? []
            #expect(series.count == 30 && json["interval"] as? String == "day")
            #expect(series.last?["start"] as? String == day(0) && series.last?["completions"] as? Int == 1 && series.last?["activeLearners"] as? Int == 1)

            let inDistrict = try await app.send(.GET, "/api/v1/insights/summary?scope=district:\(jaipur)", token: state)
            #expect(inDistrict.json["completions"] as? Int == 1)
            #expect((inDistrict.json["breakdown"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Jaipur Municipal Corporation"])
            let weekly = try await app.send(.GET, "/api/v1/insights/summary?scope=state:8&from=\(day(-90))&to=\(day(0))", token: state)
            #expect(weekly.json["interval"] as? String == "week" && weekly.json["enrolments"] as? Int == 1)
            let monthly = try await app.send(.GET, "/api/v1/insights/summary?scope=state:8&from=\(day(-90))&interval=month", token: state)
            #expect((monthly.json["series"] as? [[String: Any]])?.last?["start"] as? String == IndiaDay.string(IndiaDay.monthStart(IndiaDay.of(Date()))))

            #expect(try await app.send(.GET, "/api/v1/insights/summary?scope=state:23", token: state).status == .forbidden, "another State")
            #expect(try await app.send(.GET, "/api/v1/insights/summary?scope=nation", token: state).status == .forbidden)
            #expect(try await app.send(.GET, "/api/v1/insights/summary?scope=org:\(world.mha)", token: state).status == .unprocessableEntity, "beyond reach, as if it did not exist")
        }
    }

    @Test func theNationIsBrokenDownByStateAndAnOrganisationBySubOrganisation() async throws {
        try await withApp { app, world in
            _ = try await RollupCheck.run(repair: true, on: app.db)
            let (course, items) = try await publishedCourse(app, world)
            try await complete(app, course, items, as: "learner.mha")
            let nation = try await app.send(.GET, "/api/v1/insights/summary", token: try await app.token("national"))
            #expect(nation.json["scope"] as? String == "nation" && nation.json["completions"] as? Int == 1)
            let breakdown = nation.json["breakdown"] as? [[String: Any]] ?? []
            #expect(breakdown.filter { $0["kind"] as? String == "state" }.count == Geography.reference.states.count)
            #expect(Set(breakdown.filter { $0["kind"] as? String == "ministry" }.compactMap { $0["name"] as? String })
                    == ["Ministry of Home Affairs", "Ministry of Health and Family Welfare"], "the nation also by ministry")
            #expect(nation.json["registeredUsers"] as? Int == 12)

            let mdo = try await app.token("mdo.mha")
            let ministry = try await app.send(.GET, "/api/v1/insights/summary?scope=org:\(world.mha)", token: mdo)
            #expect(ministry.status == .ok && ministry.json["completions"] as? Int == 1)
            #expect(ministry.json["registeredUsers"] as? Int == 7 && ministry.json["sanctionedStrength"] as? Int == 200)
            #expect(abs((ministry.json["onboardedShare"] as? Double ?? 0) - 7.0 / 200) < 0.0001)
            let department = (ministry.json["breakdown"] as? [[String: Any]])?.first
            #expect(department?["name"] as? String == "Department of Border Management" && department?["completions"] as? Int == 1)
            #expect(try await app.send(.GET, "/api/v1/insights/summary?scope=org:\(world.health)", token: mdo).status == .unprocessableEntity, "beyond reach, as if it did not exist")
            #expect(try await app.send(.GET, "/api/v1/insights/summary?scope=nation", token: mdo).status == .forbidden)
            #expect(try await app.send(.GET, "/api/v1/insights/summary?scope=org:\(world.mha)", token: try await app.token("learner.mha")).status == .forbidden)
        }
    }

    /// Top courses, read month by month from the top for a month or a quarter and added up for longer periods, are the
    /// most completed published courses of each area that counting the completions themselves gives.
    @Test func topCoursesAreTheMostCompletedOfEachArea() async throws {
        try await withBareApp { app in
            _ = try await NationalGenerator.run(NationalScale(scale: 0.000_01)!, seed: 9, on: app.db, say: { _ in }, progress: { _, _, _ in })
            _ = try await NationalAdmins.ensure(email: "nation@test.example.org", passwordHash: try await app.password.async.hash(TestWorld.password),
                                                name: "Nation", on: app.db)
            let token = try await app.token("nation")
            let (cards, areas) = try await app.catalogueSearch.cardsAndAreas(on: app.db)
            let completions = try await Enrolment.query(on: app.db).filter(\.$completedAt != nil).all().map { ($0.courseID, IndiaDay.of($0.completedAt!)) }
            let today = IndiaDay.of(Date())
            for from in [today - 29, today - 200] {
                var counted: [UUID: Int] = [:]
                for (course, day) in completions where day >= IndiaDay.monthStart(from) && day <= today { counted[course, default: 0] += 1 }
                #expect(counted.count > 5, "the period has completions of several courses")
                let reply = try await app.send(.GET, "/api/v1/insights/summary?from=\(IndiaDay.string(from))", token: token)
                let top = reply.json["topCourses"] as? [String: [[String: Any]]] ?? [:]
                for area in CompetencyArea.allCases {
                    let expected = counted.filter { cards[$0.key] != nil && areas[$0.key]?.contains(area) == true }
                        .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(5)
                    if from == today - 200 { #expect(!expected.isEmpty, "the generated catalogue has completed \(area) courses") }
                    let listed = (top[area.rawValue] ?? []).map { (($0["courseId"] as? String).flatMap(UUID.init(uuidString:)), $0["completions"] as? Int) }
                    #expect(listed.map(\.0) == expected.map(\.key) && listed.map(\.1) == expected.map(\.value), "\(area) from \(IndiaDay.string(from))")
                }
            }
        }
    }

    @Test func badScopesAndPeriodsAreNamed() async throws {
        try await withApp { app, _ in
            let national = try await app.token("national")
            for (query, field) in [("scope=country", "scope"), ("scope=state:999", "scope"), ("scope=district:0", "scope"), ("scope=state:x", "scope"),
                                   ("scope=org:\(UUID())", "scope"), ("from=2026-12-01&to=2026-11-01", "from"), ("from=yesterday", "from"),
                                   ("to=2026-02-30", "to"), ("interval=hour", "interval"), ("from=2000-01-01&to=2020-01-01", "to")] {
                let reply = try await app.send(.GET, "/api/v1/insights/summary?\(query)", token: national)
                #expect(reply.status == .unprocessableEntity && reply.isProblem && reply.fields == [field], "\(query): \(reply.body)")
            }
            #expect(try await app.send(.GET, "/api/v1/insights/summary").status == .unauthorized)
        }
    }
}
