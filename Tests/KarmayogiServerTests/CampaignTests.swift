import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
import VaporTesting

/// A clock a test moves by hand.
final class TestClock: Sendable {
    let box: NIOLockedValueBox<Date>
    init(_ date: Date = Date()) { box = NIOLockedValueBox(date) }
    var now: Date { box.withLockedValue { $0 } }
    func move(by seconds: TimeInterval) { box.withLockedValue { $0 = $0.addingTimeInterval(seconds) } }
    func install(on app: Application) { app.clock = PlatformClock { [box] in box.withLockedValue { $0 } } }
}

func campaignBody(name: String = "Karmayogi Saptah", state: Int? = nil, from: Int, to: Int, goal: [String: Any] = ["kind": "hours", "value": 1],
                  eligible: [String: Any]? = nil) -> [String: Any] {
    var body: [String: Any] = ["name": name, "nameHi": "कर्मयोगी सप्ताह", "startDate": IndiaDay.string(from), "endDate": IndiaDay.string(to), "goal": goal,
                               "organisationGoalPercent": 50, "banner": "Four hours of learning this week", "bannerHi": "इस सप्ताह चार घंटे सीखें"]
    if let state { body["stateCode"] = state }
    if let eligible { body["eligible"] = eligible }
    return body
}

@Suite struct CampaignTests {
    @Test func aLiveCampaignCountsLearningInItsTransactionDownToEveryScope() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let today = IndiaDay.of(clock.now)
            let (course, items) = try await publishedCourse(app, world)
            let national = try await app.token("national")
            let early = try await app.send(.POST, "/api/v1/campaigns", token: national, json: campaignBody(from: today, to: today + 5)).json["id"] as! String
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(early)/publish", token: national).fields == ["startDate"], "published before its first day")
            _ = try await app.send(.POST, "/api/v1/campaigns/\(early)/close", token: national)
            let created = try await app.send(.POST, "/api/v1/campaigns", token: national, json: campaignBody(from: today + 1, to: today + 6))
            #expect(created.status == .created && created.json["stage"] as? String == "draft")
            let id = created.json["id"] as! String
            let learner = try await app.token("learner.mha")
            #expect(try await app.send(.GET, "/api/v1/campaigns/\(id)", token: learner).status == .notFound, "a draft is its makers' only")
            let published = try await app.send(.POST, "/api/v1/campaigns/\(id)/publish", token: national)
            #expect(published.status == .ok && published.json["stage"] as? String == "scheduled")
            // Before its first day nothing counts.
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: try await app.token("learner.health"))
            clock.move(by: 86_400)
            #expect(try await app.send(.GET, "/api/v1/campaigns/\(id)", token: learner).json["stage"] as? String == "live")
            // The scheduled job records the move (once; the dates decide it).
            let moved = try await CampaignStages.move(app: app), again = try await CampaignStages.move(app: app)
            #expect(moved == 1 && again == 0)
            #expect(try await Campaign.find(UUID(uuidString: id)!, on: app.db)?.storedStage == .live)

            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner).status == .created)
            _ = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[0], status: 2, seconds: 1800, key: "a")]])
            var summary = try await app.send(.GET, "/api/v1/campaigns/\(id)/summary", token: learner).decoded(CampaignSummaryDTO.self)
            #expect(summary.enrolments == 1 && summary.participants == 1 && summary.learningHours == 0.5 && summary.goalReached == 0 && summary.completions == 0)
            var mine = try await app.send(.GET, "/api/v1/me/campaigns", token: learner).decoded(Page<MyCampaignDTO>.self).items
            #expect(mine.count == 1 && mine[0].done == 0.5 && !mine[0].reached && mine[0].goal.value == 1)

            // A replayed update adds nothing; the completing one adds the completion and the goal.
            _ = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[0], status: 2, seconds: 1800, key: "a")]])
            _ = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[2], status: 2, seconds: 1800, key: "b")]])
            summary = try await app.send(.GET, "/api/v1/campaigns/\(id)/summary?scope=org:\(world.mha)", token: learner).decoded(CampaignSummaryDTO.self)
            #expect(summary.completions == 1 && summary.learningHours == 1 && summary.goalReached == 1 && summary.participants == 1 && summary.organisationGoalMet != nil,
                    "the ministry counts its department's people")
            mine = try await app.send(.GET, "/api/v1/me/campaigns", token: learner).decoded(Page<MyCampaignDTO>.self).items
            #expect(mine[0].reached && mine[0].done == 1)
            let health = try await app.send(.GET, "/api/v1/campaigns/\(id)/summary?scope=org:\(world.health)", token: learner).decoded(CampaignSummaryDTO.self)
            #expect(health.enrolments == 0, "the enrolment before the campaign's first day does not count")

            // Someone in Rajasthan: their State and district count them.
            let jaipur = try await app.token("learner.jaipur")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: jaipur)
            _ = try await app.send(.POST, "/api/v1/progress", token: jaipur, json: ["updates": [update(course, items[0], status: 1, seconds: 600, key: "j")]])
            let state = try await app.send(.GET, "/api/v1/campaigns/\(id)/summary?scope=state:8", token: jaipur).decoded(CampaignSummaryDTO.self)
            #expect(state.participants == 1 && state.enrolments == 1 && state.learningHours == 0.2 && state.name == "Rajasthan")
            let district = Geography.reference.district(named: "Jaipur", inState: 8)!.code
            #expect(try await app.send(.GET, "/api/v1/campaigns/\(id)/summary?scope=district:\(district)", token: jaipur).decoded(CampaignSummaryDTO.self).participants == 1)
            let nation = try await app.send(.GET, "/api/v1/campaigns/\(id)/summary", token: jaipur).decoded(CampaignSummaryDTO.self)
            #expect(nation.participants == 2 && nation.enrolments == 2 && nation.completions == 1 && nation.goalReached == 1)

            // Leaderboards.
            let people = try await app.send(.GET, "/api/v1/campaigns/\(id)/leaderboard?kind=people", token: learner).decoded(CampaignLeaderboardDTO.self)
            #expect(people.items.map(\.name) == ["Learner.Mha"] && people.items[0].rank == 1 && people.items[0].reached == true)
            let states = try await app.send(.GET, "/api/v1/campaigns/\(id)/leaderboard?kind=states", token: learner).decoded(CampaignLeaderboardDTO.self)
            #expect(states.items.map(\.name) == ["Rajasthan"])
            let organisations = try await app.send(.GET, "/api/v1/campaigns/\(id)/leaderboard?kind=organisations", token: learner).decoded(CampaignLeaderboardDTO.self)
            #expect(Set(organisations.items.map(\.name)).isSuperset(of: ["Ministry of Home Affairs", "Department of Border Management"]) && organisations.items.allSatisfy { $0.bucket == .xs })
            #expect(try await app.send(.GET, "/api/v1/campaigns/\(id)/leaderboard?kind=districts", token: learner).status == .unprocessableEntity)
            #expect(try await app.send(.GET, "/api/v1/campaigns/\(id)/leaderboard?kind=people&scope=org:\(world.health)", token: learner).status == .unprocessableEntity,
                    "another organisation's people are not the learner's to see")

            // `rollups verify` recomputes the same from the learning's records.
            let check = try await CampaignCheck.run(repair: false, now: clock.now, on: app.db)
            #expect(check.campaigns == 1 && check.differences.isEmpty, "\(check.differences)")
            // A counter changed behind the platform's back is found, and rebuilt.
            try await (app.db as! any SQLDatabase).raw("UPDATE campaign_counters SET completed = completed + 5 WHERE scope = 'n'").run()
            #expect(try await CampaignCheck.run(repair: true, now: clock.now, on: app.db).differences.count == 1)
            #expect(try await CampaignCheck.run(repair: false, now: clock.now, on: app.db).differences.isEmpty)
        }
    }

    @Test func aStateCampaignCountsOnlyItsStateAndOnlyWhatItChose() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let today = IndiaDay.of(clock.now)
            let (course, items) = try await publishedCourse(app, world)
            let (other, otherItems) = try await publishedCourse(app, world, title: "Another course")
            let admin = try await app.token("state.rajasthan")
            let created = try await app.send(.POST, "/api/v1/campaigns", token: admin, json: campaignBody(name: "Rajasthan learning week", state: 8, from: today + 1, to: today + 6,
                                                                                                     goal: ["kind": "completions", "value": 1],
                                                                                                     eligible: ["kind": "chosen", "courseIds": [course]]))
            #expect(created.status == .created, "\(created.body)")
            let id = created.json["id"] as! String
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(id)/publish", token: admin).json["stage"] as? String == "scheduled")
            clock.move(by: 86_400)
            for (key, token) in [("learner.jaipur", try await app.token("learner.jaipur")), ("learner.mha", try await app.token("learner.mha"))] {
                for (c, i) in [(course, items), (other, otherItems)] {
                    _ = try await app.send(.POST, "/api/v1/courses/\(c)/enrol", token: token)
                    _ = try await app.send(.POST, "/api/v1/progress", token: token, json: ["updates": [update(c, i[0], status: 2, seconds: 60, key: "\(key)\(c)1"),
                                                                                                      update(c, i[2], status: 2, seconds: 60, key: "\(key)\(c)2")]])
                }
            }
            let summary = try await app.send(.GET, "/api/v1/campaigns/\(id)/summary", token: admin).decoded(CampaignSummaryDTO.self)
            #expect(summary.participants == 1 && summary.enrolments == 1 && summary.completions == 1 && summary.goalReached == 1 && summary.learningHours == 0,
                    "one person of Rajasthan, one chosen course: \(summary)")
            #expect(try await CampaignCheck.run(repair: false, now: clock.now, on: app.db).differences.isEmpty)

            // Competencies: a campaign counting the course's competency counts both courses (they claim the same one).
            let national = try await app.token("national")
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let byCompetency = try await app.send(.POST, "/api/v1/campaigns", token: national, json: campaignBody(from: today + 2, to: today + 2,
                                                                                                            eligible: ["kind": "competencies", "competencyIds": [competency]]))
            let second = byCompetency.json["id"] as! String
            _ = try await app.send(.POST, "/api/v1/campaigns/\(second)/publish", token: national)
            clock.move(by: 86_400)
            let learner = try await app.token("learner.health")
            for c in [course, other] { _ = try await app.send(.POST, "/api/v1/courses/\(c)/enrol", token: learner) }
            #expect(try await app.send(.GET, "/api/v1/campaigns/\(second)/summary", token: learner).decoded(CampaignSummaryDTO.self).enrolments == 2)
            #expect(try await CampaignCheck.run(repair: false, now: clock.now, on: app.db).differences.isEmpty)
        }
    }

    @Test func badCampaignsAreRefusedAndChangeNothing() async throws {
        try await withApp { app, world in
            let today = IndiaDay.of(Date())
            let national = try await app.token("national"), state = try await app.token("state.rajasthan"), learner = try await app.token("learner.mha")
            func post(_ token: String, _ body: [String: Any]) async throws -> Reply { try await app.send(.POST, "/api/v1/campaigns", token: token, json: body) }
            #expect(try await post(national, campaignBody(from: today + 3, to: today)).fields == ["endDate"])
            #expect(try await post(national, campaignBody(from: today, to: today + 1, goal: ["kind": "hours", "value": 0])).fields == ["goal.value"])
            #expect(try await post(national, campaignBody(from: today, to: today + 1, goal: ["kind": "completions", "value": -2])).fields == ["goal.value"])
            #expect(try await post(national, campaignBody(from: today, to: today + 1, eligible: ["kind": "chosen", "courseIds": [UUID().uuidString]])).fields == ["eligible.courseIds[0]"])
            #expect(try await post(state, campaignBody(from: today, to: today + 1)).status == .forbidden, "a State admin makes no national campaign")
            #expect(try await post(state, campaignBody(state: 9, from: today, to: today + 1)).status == .forbidden, "nor one for another State")
            #expect(try await post(learner, campaignBody(from: today, to: today + 1)).status == .forbidden)
            #expect(try await post(national, campaignBody(state: 99, from: today, to: today + 1)).fields == ["stateCode"])
            #expect(try await post(national, campaignBody(from: today, to: today + 1, goal: ["kind": "hours", "value": 4, "per": "week"])).fields == ["goal.per"])

            let first = try await post(national, campaignBody(from: today + 1, to: today + 6)).json["id"] as! String
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(first)/publish", token: national).status == .ok)
            let overlapping = try await post(national, campaignBody(name: "Another", from: today + 6, to: today + 8)).json["id"] as! String
            let refused = try await app.send(.POST, "/api/v1/campaigns/\(overlapping)/publish", token: national)
            #expect(refused.status == .conflict && refused.body.contains("overlap"), "two national campaigns may not overlap")
            #expect(try await app.send(.GET, "/api/v1/campaigns/\(overlapping)", token: national).json["stage"] as? String == "draft")
            // A State's campaign may overlap the national one.
            let stateCampaign = try await post(state, campaignBody(state: 8, from: today + 1, to: today + 2)).json["id"] as! String
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(stateCampaign)/publish", token: state).status == .ok)

            // Published: what it counts is fixed; closed: nothing changes.
            #expect(try await app.send(.PATCH, "/api/v1/campaigns/\(first)", token: national, json: ["goal": ["kind": "hours", "value": 8]]).fields == ["goal"])
            #expect(try await app.send(.PATCH, "/api/v1/campaigns/\(first)", token: national, json: ["banner": "Eight days left"]).json["banner"] as? String == "Eight days left")
            #expect(try await app.send(.PATCH, "/api/v1/campaigns/\(first)", token: state, json: ["banner": "x"]).status == .forbidden)
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(first)/close", token: national).json["stage"] as? String == "closed")
            let closed = try await app.send(.PATCH, "/api/v1/campaigns/\(first)", token: national, json: ["name": "Renamed"])
            #expect(closed.status == .conflict && closed.isProblem)
            #expect(try await app.send(.GET, "/api/v1/campaigns/\(first)", token: national).json["name"] as? String == "Karmayogi Saptah")
            #expect(try await app.send(.POST, "/api/v1/campaigns/\(first)/close", token: national).status == .conflict)
            #expect(try await app.send(.PATCH, "/api/v1/campaigns/\(first)", token: national, json: ["stateCode": 8]).fields == ["stateCode"])
            let listed = try await app.send(.GET, "/api/v1/campaigns?stage=scheduled", token: learner).decoded(Page<CampaignDTO>.self)
            #expect(listed.items.map(\.id.uuidString).map { $0.lowercased() } == [stateCampaign.lowercased()])
            #expect(try await app.send(.GET, "/api/v1/campaigns?stage=soon", token: learner).fields == ["stage"])
        }
    }

    @Test func theGeneratorLaysAPastNationalLearningWeekAndALiveOne() async throws {
        try await withBareApp { app in
            _ = try await NationalGenerator.run(NationalScale(scale: 0.000_02)!, seed: 3, learningWeeks: true, on: app.db, say: { _ in }, progress: { _, _, _ in })
            let campaigns = try await Campaign.query(on: app.db).sort(\.$startDay).all()
            let today = IndiaDay.of(Date())
            #expect(campaigns.map { $0.stage(today: today) } == [.closed, .live] && campaigns.allSatisfy { $0.stateCode == nil })
            let past = try await CampaignCounts.counters(of: campaigns[0].id!, scopes: ["n"], on: app.db as! any SQLDatabase)["n"]
            #expect((past?.participants ?? 0) > 10 && (past?.enrolments ?? 0) > (past?.participants ?? 0) && (past?.seconds ?? 0) > 0, "\(String(describing: past))")
            #expect(try await CampaignCheck.run(repair: false, now: Date(), on: app.db).differences.isEmpty)
        }
    }
}
