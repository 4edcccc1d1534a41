import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import SQLKit
import Testing
import Vapor
import VaporTesting

@Suite struct JourneyTests {
    /// A two-phase journey by the MHA's CBP admin: phase 1 a course, a coaching conversation and a milestone; phase 2 an
    /// exposure visit and a milestone (and an optional reading).
    private func journey(_ app: Application, _ world: TestWorld, course: String, today: Int) async throws -> JourneyDTO {
        let created = try await app.send(.POST, "/api/v1/journeys", token: try await app.token("cbp.mha"), json: [
            "title": "DAKSH cohort 1", "titleHi": "दक्ष समूह 1", "providerId": world.mha.uuidString, "startDate": IndiaDay.string(today),
            "phases": [["title": "Foundation", "months": 3], ["title": "Action learning", "titleHi": "क्रियात्मक अधिगम", "months": 9]],
            "activities": [
                ["phase": 0, "kind": "course", "title": "Leadership basics", "courseId": course],
                ["phase": 0, "kind": "coaching", "title": "First coaching conversation"],
                ["phase": 0, "kind": "milestone", "title": "Project charter"],
                ["phase": 1, "kind": "visit", "title": "Exposure visit to a district"],
                ["phase": 1, "kind": "milestone", "title": "Project report"],
                ["phase": 1, "kind": "coaching", "title": "An extra conversation", "required": false]]])
        #expect(created.status == .created, "\(created.body)")
        return try created.decoded(JourneyDTO.self)
    }

    private func activity(_ journey: JourneyDTO, _ phase: Int, _ kind: JourneyActivityKind) -> String {
        journey.phases[phase].activities.first { $0.kind == kind }!.id.uuidString
    }

    @Test func aJourneyMustHaveRequiredWorkInEveryPhase() async throws {
        try await withApp { app, world in
            let token = try await app.token("cbp.mha")
            func attempt(_ activities: [[String: Any]], phases: [[String: Any]] = [["title": "One", "months": 3], ["title": "Two", "months": 3]]) async throws -> [String] {
                try await app.send(.POST, "/api/v1/journeys", token: token, json: ["title": "DAKSH", "providerId": world.mha.uuidString,
                                                                                  "startDate": "2026-12-01", "phases": phases, "activities": activities]).fields
            }
            #expect(try await attempt([["phase": 0, "kind": "coaching", "title": "Talk"]]) == ["phases[1]"])
            #expect(try await attempt([["phase": 0, "kind": "course", "title": "Course"], ["phase": 1, "kind": "visit", "title": "Visit"]]) == ["activities[0].courseId"])
            #expect(try await attempt([["phase": 0, "kind": "session", "title": "Session", "sessionId": UUID().uuidString],
                                       ["phase": 1, "kind": "visit", "title": "Visit"]]) == ["activities[0].sessionId"])
            #expect(try await attempt([["phase": 2, "kind": "visit", "title": "Visit"], ["phase": 0, "kind": "visit", "title": "Visit"],
                                       ["phase": 1, "kind": "visit", "title": "Visit"]]) == ["activities[0].phase"])
            #expect(try await attempt([["phase": 0, "kind": "visit", "title": "Visit"]], phases: [["title": "Long", "months": 40]]) == ["phases[0].months", "phases"])
            let list = try await app.send(.GET, "/api/v1/journeys", token: token).decoded(Page<JourneyDTO>.self)
            #expect(list.items.isEmpty, "nothing was stored")
        }
    }

    @Test func phasesOpenOnTheServerAndMentorsReviewTheirOwn() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let course = try await publishedCourse(app, world)
            let dto = try await journey(app, world, course: course.id, today: IndiaDay.of(clock.now))
            #expect(dto.phases.map(\.activities.count) == [3, 3] && dto.mayCoordinate)
            let id = dto.id.uuidString
            let coordinator = try await app.token("cbp.mha"), mentor = try await app.token("mdo.mha"), learner = try await app.token("learner.mha")
            let members = "/api/v1/journeys/\(id)/members"
            // The cohort: a mentor first, then participants each with a mentor of the journey.
            #expect(try await app.send(.POST, members, token: coordinator, json: ["userIds": [world.users["learner.mha"]!.uuidString], "role": "participant"]).fields == ["mentorId"])
            #expect(try await app.send(.POST, members, token: coordinator, json: ["userIds": [world.users["learner.mha"]!.uuidString], "role": "participant",
                                                                               "mentorId": world.users["mdo.mha"]!.uuidString]).fields == ["mentorId"])
            #expect(try await app.send(.POST, members, token: learner, json: ["userIds": [world.users["mdo.mha"]!.uuidString], "role": "mentor"]).status == .forbidden)
            #expect(try await app.send(.POST, members, token: coordinator, json: ["userIds": [world.users["mdo.mha"]!.uuidString], "role": "mentor"]).status == .created)
            let added = try await app.send(.POST, members, token: coordinator, json: [
                "userIds": [world.users["learner.mha"]!.uuidString, world.users["learner.health"]!.uuidString], "role": "participant",
                "mentorId": world.users["mdo.mha"]!.uuidString])
            #expect(added.status == .created, "\(added.body)")
            #expect(try await app.send(.POST, members, token: coordinator, json: ["userIds": [world.users["learner.mha"]!.uuidString], "role": "mentor"]).fields == ["userIds[0]"])
            // A participant sees their own row; a stranger sees no journey roster at all.
            #expect(try await app.send(.GET, members, token: learner).decoded(Page<JourneyMemberDTO>.self).items.map(\.userId) == [world.users["learner.mha"]!])
            #expect(try await app.send(.GET, members, token: try await app.token("learner.jaipur")).status == .notFound)
            let roster = try await app.send(.GET, members, token: mentor).decoded(Page<JourneyMemberDTO>.self).items
            #expect(roster.count == 3 && roster.filter { $0.role == .participant }.allSatisfy { $0.progress?.phasesOpen == 1 && $0.mentorName == "Mdo.Mha" })

            // Starting the second phase early is refused, whoever tries.
            let later = activity(dto, 1, .milestone), visit = activity(dto, 1, .visit)
            #expect(try await app.send(.POST, "/api/v1/milestones/\(later)/submit", token: learner, json: ["text": "Report"]).status == .conflict)
            #expect(try await app.send(.POST, "/api/v1/activities/\(visit)/record", token: coordinator,
                                       json: ["userId": world.users["learner.mha"]!.uuidString]).status == .conflict)

            // Phase 1: coaching by the mentor only; the milestone submitted, returned with a note, submitted again and accepted.
            let coaching = activity(dto, 0, .coaching), charter = activity(dto, 0, .milestone)
            #expect(try await app.send(.POST, "/api/v1/activities/\(coaching)/record", token: coordinator,
                                       json: ["userId": world.users["learner.mha"]!.uuidString]).status == .forbidden)
            let coached = try await app.send(.POST, "/api/v1/activities/\(coaching)/record", token: mentor,
                                             json: ["userId": world.users["learner.mha"]!.uuidString, "note": "Goals agreed"])
            #expect(coached.status == .created, "\(coached.body)")
            #expect(try await app.send(.POST, "/api/v1/activities/\(coaching)/record", token: mentor,
                                       json: ["userId": world.users["learner.mha"]!.uuidString]).status == .conflict, "once")
            #expect(try await app.send(.POST, "/api/v1/milestones/\(charter)/submit", token: learner, json: ["text": " "]).fields == ["text"])
            #expect(try await app.send(.POST, "/api/v1/milestones/\(charter)/submit", token: learner, json: ["text": "Charter", "link": "javascript:alert(1)"]).fields == ["link"])
            let submitted = try await app.send(.POST, "/api/v1/milestones/\(charter)/submit", token: learner,
                                               json: ["text": "Reduce pendency of RTI appeals by half", "link": "https://example.org/charter"])
            #expect(try submitted.decoded(JourneyProgressDTO.self).activities.first { $0.activityId.uuidString == charter }?.status == "submitted")
            #expect(try await app.send(.POST, "/api/v1/milestones/\(charter)/submit", token: learner, json: ["text": "Again"]).status == .conflict)
            let review = "/api/v1/milestones/\(charter)/review", person = world.users["learner.mha"]!.uuidString
            #expect(try await app.send(.POST, review, token: coordinator, json: ["userId": person, "decision": "accept"]).status == .forbidden, "not the mentor")
            #expect(try await app.send(.POST, review, token: learner, json: ["userId": person, "decision": "accept"]).status == .forbidden, "not their own")
            #expect(try await app.send(.POST, review, token: mentor, json: ["userId": person, "decision": "return"]).fields == ["note"])
            #expect(try await app.send(.POST, review, token: mentor, json: ["userId": person, "decision": "maybe"]).fields == ["decision"])
            let returned = try await app.send(.POST, review, token: mentor, json: ["userId": person, "decision": "return", "note": "Add a baseline"])
            #expect(try returned.decoded(JourneyProgressDTO.self).activities.first { $0.activityId.uuidString == charter }?.reviewNote == "Add a baseline")
            _ = try await app.send(.POST, "/api/v1/milestones/\(charter)/submit", token: learner, json: ["text": "With a baseline of 420 appeals"])
            let accepted = try await app.send(.POST, review, token: mentor, json: ["userId": person, "decision": "accept"]).decoded(JourneyProgressDTO.self)
            #expect(accepted.phasesCompleted == 0 && accepted.phasesOpen == 1, "the course is not complete yet")

            // Completing the course elsewhere opens phase 2 the next time the journey is read, with phase 1's badge.
            try await complete(app, course.id, course.items, as: "learner.mha")
            let read = try await app.send(.GET, "/api/v1/journeys/\(id)", token: learner).decoded(JourneyDTO.self)
            #expect(read.myRole == .participant && read.myProgress?.phasesCompleted == 1 && read.myProgress?.phasesOpen == 2)
            let badge = try #require(read.myProgress?.badges[dto.phases[0].id.uuidString.lowercased()])
            let credential = try await app.send(.GET, "/api/v1/certificates/\(badge)", token: learner)
            #expect(credential.status == .ok && credential.body.contains("Badge") && credential.body.contains("Foundation"), "\(credential.body.prefix(400))")

            // Phase 2: the visit by the coordinator, the report accepted: the journey's certificate; the optional talk is not needed.
            #expect(try await app.send(.POST, "/api/v1/activities/\(visit)/record", token: coordinator, json: ["userId": person]).status == .created)
            _ = try await app.send(.POST, "/api/v1/milestones/\(later)/submit", token: learner, json: ["text": "Appeals pending fell from 420 to 190"])
            let done = try await app.send(.POST, "/api/v1/milestones/\(later)/review", token: mentor, json: ["userId": person, "decision": "accept"])
                .decoded(JourneyProgressDTO.self)
            #expect(done.phasesCompleted == 2 && done.badges.count == 2 && done.certificateId != nil)
            // The other participant has not moved.
            let cohort = try await app.send(.GET, members, token: coordinator).decoded(Page<JourneyMemberDTO>.self).items
            #expect(cohort.first { $0.userId == world.users["learner.health"]! }?.progress?.phasesCompleted == 0)
        }
    }
}

@Suite struct JourneyPageTests {
    @Test func theParticipantSubmitsTheMentorAcceptsAndTheCohortPageShowsIt() async throws {
        try await withApp { app, world in
            let coordinator = try await app.token("cbp.mha")
            let created = try await app.send(.POST, "/api/v1/journeys", token: coordinator, json: [
                "title": "DAKSH cohort 2", "titleHi": "दक्ष समूह 2", "providerId": world.mha.uuidString, "startDate": IndiaDay.string(IndiaDay.of(Date())),
                "phases": [["title": "Foundation", "titleHi": "आधार", "months": 2], ["title": "Exposure", "titleHi": "भ्रमण", "months": 2]],
                "activities": [["phase": 0, "kind": "milestone", "title": "Charter"], ["phase": 1, "kind": "visit", "title": "Visit"]]]).decoded(JourneyDTO.self)
            let id = created.id.uuidString.lowercased(), charter = created.phases[0].activities[0].id.uuidString.lowercased()
            let visit = created.phases[1].activities[0].id.uuidString.lowercased(), person = world.users["learner.mha"]!.uuidString.lowercased()
            // The coordinator makes the roster on the journey's page: a mentor, then a participant with that mentor.
            var coordinating = Browser(app)
            try await coordinating.signIn("cbp.mha")
            #expect(try await coordinating.get("/journeys/\(id)").body.contains("action=\"/journeys/\(id)/members\""))
            let mentorAdded = try await coordinating.post("/journeys/\(id)/members", form: ["emails": "mdo.mha@test.example.org", "role": "mentor"])
            #expect(mentorAdded.status == .ok && mentorAdded.body.contains("1 added."), "\(mentorAdded.body)")
            let noMentor = try await coordinating.post("/journeys/\(id)/members", form: ["emails": "learner.mha@test.example.org", "role": "participant", "mentorId": ""])
            #expect(noMentor.status == .unprocessableEntity && noMentor.body.contains("<code>mentorId</code>"))
            let mentorID = world.users["mdo.mha"]!.uuidString.lowercased()
            let added = try await coordinating.post("/journeys/\(id)/members", form: ["emails": "learner.mha@test.example.org", "role": "participant", "mentorId": mentorID])
            #expect(added.status == .ok && added.body.contains("1 added.") && added.body.contains("Learner.Mha"), "\(added.body)")
            let twice = try await coordinating.post("/journeys/\(id)/members", form: ["emails": "learner.mha@test.example.org", "role": "participant", "mentorId": mentorID])
            #expect(twice.status == .unprocessableEntity && twice.body.contains("learner.mha@test.example.org: is a member of this journey already"), "\(twice.body)")
            #expect(try await app.send(.GET, "/api/v1/journeys/\(id)/members", token: coordinator).decoded(Page<JourneyMemberDTO>.self).items.count == 2)
            // Only its coordinators add people.
            var outsider = Browser(app)
            try await outsider.signIn("learner.jaipur")
            _ = try await outsider.get("/journeys/\(id)")
            #expect(try await outsider.post("/journeys/\(id)/members", form: ["emails": "learner.jaipur@test.example.org", "role": "mentor"]).status == .forbidden)
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            let page = try await learner.get("/journeys/\(id)")
            #expect(page.body.contains("action=\"/journeys/\(id)/milestones/\(charter)/submit\"") && page.body.contains("Opens when the phase before it is done"))
            #expect(try await learner.post("/journeys/\(id)/milestones/\(charter)/submit", form: ["text": ""]).status == .unprocessableEntity)
            let submitted = try await learner.post("/journeys/\(id)/milestones/\(charter)/submit", form: ["text": "Halve the backlog", "link": ""])
            #expect(submitted.status == .ok && submitted.body.contains("Awaiting your mentor"), "\(submitted.body)")
            _ = try await coordinating.get("/journeys/\(id)")
            #expect(try await coordinating.post("/journeys/\(id)/activities/\(visit)/record", form: ["userId": person]).status == .conflict, "phase 2 is closed")
            var mentor = Browser(app)
            try await mentor.signIn("mdo.mha")
            let cohort = try await mentor.get("/journeys/\(id)")
            #expect(cohort.body.contains("Halve the backlog") && cohort.body.contains("<strong>Learner.Mha</strong>"))
            let accepted = try await mentor.post("/journeys/\(id)/milestones/\(charter)/review", form: ["userId": person, "decision": "accept"])
            #expect(accepted.status == .ok && accepted.body.contains("Accepted.") && accepted.body.contains("1/2"), "\(accepted.body)")
            let recorded = try await coordinating.post("/journeys/\(id)/activities/\(visit)/record", form: ["userId": person, "note": "Visited BHEL Haridwar"])
            #expect(recorded.status == .ok && recorded.body.contains("Recorded.") && recorded.body.contains("2/2"))
            let finished = try await learner.get("/journeys/\(id)")
            #expect(finished.body.contains("Badge earned") && finished.body.contains("your certificate"))
            // Someone outside the cohort sees the journey's phases, not its people.
            var stranger = Browser(app)
            try await stranger.signIn("learner.jaipur")
            let outside = try await stranger.get("/journeys/\(id)")
            #expect(outside.status == .ok && !outside.body.contains("Learner.Mha") && outside.body.contains("Foundation"))
            let allowed = try await HindiEverywhereTests.dataWords(app)
            for (browser, path) in [(learner, "/journeys/\(id)"), (mentor, "/journeys/\(id)"), (learner, "/journeys")] {
                var reader = browser
                let hindi = try await reader.get(path + "?lang=hi")
                let english = HindiEverywhereTests.englishIn(hindi.body, allowed: allowed.union(["charter", "visit", "halve", "the", "backlog", "visited", "bhel", "haridwar"]))
                #expect(hindi.status == .ok && english.isEmpty, "\(path): \(english)")
            }
        }
    }
}

@Suite struct PhaseGateTests {
    @Test func aPhaseOpensWhenEveryRequiredActivityBeforeItIsDone() {
        let (a, b, c, d) = (UUID(), UUID(), UUID(), UUID())
        let gate = PhaseGate(required: [[a, b], [c], [d]])
        #expect(gate.open(done: []) == 1 && gate.completed(done: []) == 0)
        #expect(gate.open(done: [a]) == 1)
        #expect(gate.open(done: [a, b]) == 2 && gate.isOpen(phase: 1, done: [a, b]) && !gate.isOpen(phase: 2, done: [a, b]))
        #expect(gate.completed(done: [c, d]) == 0, "later work does not open anything while the first phase is undone")
        #expect(gate.completed(done: [a, b, c, d]) == 3 && gate.open(done: [a, b, c, d]) == 3)
    }

    @Test func milestonesGoBackAndForthWithTheMentorOnly() throws {
        #expect(try MilestoneFlow.submit(from: nil) == .submitted)
        #expect(try MilestoneFlow.submit(from: .returned) == .submitted)
        #expect(throws: MilestoneFlow.Refusal.self) { try MilestoneFlow.submit(from: .accepted) }
        #expect(try MilestoneFlow.review(from: .submitted, accept: false, isMentor: true) == .returned)
        #expect(throws: MilestoneFlow.Refusal.self) { try MilestoneFlow.review(from: .submitted, accept: true, isMentor: false) }
        #expect(throws: MilestoneFlow.Refusal.self) { try MilestoneFlow.review(from: .returned, accept: true, isMentor: true) }
    }
}
