import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

@Suite struct ProgrammePageTests {
    @Test func aLearnerAppliesAdminsDecideInBulkAndATrainerMarksTheRoster() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let coordinator = try await app.token("cbp.mha")
            let programme = try await app.send(.POST, "/api/v1/programmes", token: coordinator, json: [
                "title": "District leadership", "titleHi": "ज़िला नेतृत्व", "providerId": world.mha.uuidString, "approvalRoute": "both"]).decoded(ProgrammeDTO.self)
            let today = IndiaDay.of(clock.now)
            let batch = try await app.send(.POST, "/api/v1/programmes/\(programme.id)/batches", token: coordinator, json: [
                "name": "Jaipur batch", "startDate": IndiaDay.string(today), "endDate": IndiaDay.string(today + 2), "seats": 5, "stateCode": 8,
                "trainerIds": [world.users["reviewer.mha"]!.uuidString]]).decoded(BatchDTO.self)
            // A session begun today (ten minutes ago, or at midnight if sooner): today's, whatever the hour the test runs.
            let begun = max(IndiaDay.start(today), clock.now.addingTimeInterval(-600))
            let session = try await app.send(.POST, "/api/v1/batches/\(batch.id)/sessions", token: coordinator, json: [
                "title": "Citizen first", "startsAt": Formats.iso(begun), "endsAt": Formats.iso(begun.addingTimeInterval(3_600))])
                .decoded(SessionDTO.self)
            let programmePath = "/programmes/\(programme.id.uuidString.lowercased())"

            // The learner finds the programme and applies from its page.
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            #expect(try await learner.get("/programmes").body.contains("District leadership"))
            _ = try await learner.get(programmePath)
            let applied = try await learner.post("\(programmePath)/apply", form: ["batchId": batch.id.uuidString.lowercased()])
            #expect(applied.status == .ok && applied.body.contains("Your application is recorded: Applied."), "\(applied.body)")
            let again = try await learner.post("\(programmePath)/apply", form: ["batchId": batch.id.uuidString.lowercased()])
            #expect(again.status == .unprocessableEntity && again.body.contains("already has a nomination"))

            // The MDO admin approves it among those awaiting them; nothing chosen is a clear refusal.
            var admin = Browser(app)
            try await admin.signIn("mdo.mha")
            let waiting = try await admin.get("/nominations")
            #expect(waiting.body.contains("Learner.Mha") && waiting.body.contains("Jaipur batch"))
            let nomination = try #require(try await app.send(.GET, "/api/v1/batches/\(batch.id)/nominations", token: coordinator).decoded(Page<NominationDTO>.self).items.first)
            #expect(try await admin.post("/nominations", pairs: [("action", "approve")]).status == .unprocessableEntity)
            let approved = try await admin.post("/nominations", pairs: [("ids[]", nomination.id.uuidString.lowercased()), ("action", "approve"), ("reason", "Due for posting")])
            #expect(approved.status == .ok && approved.body.contains("1 approved."), "\(approved.body)")
            #expect(!(try await admin.get("/nominations").body.contains("Learner.Mha")), "decided: no longer awaiting the MDO admin")

            // The coordinator approves it from the batch's page: the learner is enrolled.
            var coordinating = Browser(app)
            try await coordinating.signIn("cbp.mha")
            let batchPath = "/batches/\(batch.id.uuidString.lowercased())"
            #expect(try await coordinating.get(batchPath).body.contains("Nominated"))
            let enrolled = try await coordinating.post("\(batchPath)/decide", pairs: [("ids[]", nomination.id.uuidString.lowercased()), ("action", "approve")])
            #expect(enrolled.status == .ok && enrolled.body.contains("1 approved.") && enrolled.body.contains("Enrolled"))
            let mine = try await learner.get("/programmes")
            #expect(mine.body.contains("Enrolled") && mine.body.contains("Citizen first"), "the place and the schedule")
            // Someone with no part in the batch finds no such page.
            var stranger = Browser(app)
            try await stranger.signIn("learner.jaipur")
            #expect(try await stranger.get(batchPath).status == .notFound)

            // The trainer sees today's session, marks the learner present with a reason, on the roster.
            var trainer = Browser(app)
            try await trainer.signIn("reviewer.mha")
            #expect(try await trainer.get("/programmes").body.contains("Sessions you train today"))
            let sessionPath = "/sessions/\(session.id.uuidString.lowercased())"
            clock.move(by: 900)
            #expect(try await trainer.get(sessionPath).body.contains("Learner.Mha"))
            let noReason = try await trainer.post("\(sessionPath)/mark", form: ["userId": world.users["learner.mha"]!.uuidString.lowercased(), "reason": " "])
            #expect(noReason.status == .unprocessableEntity)
            let marked = try await trainer.post("\(sessionPath)/mark", form: ["userId": world.users["learner.mha"]!.uuidString.lowercased(), "reason": "Phone had no data"])
            #expect(marked.status == .ok && marked.body.contains("Attendance marked.") && marked.body.contains("Marked by hand"), "\(marked.body)")
            #expect(try await stranger.get(sessionPath).status == .notFound)

            // In Hindi, no English message is left on these pages.
            let allowed = try await HindiEverywhereTests.dataWords(app)
            var problems: [String] = []
            for (browser, path) in [(learner, "/programmes"), (learner, programmePath), (admin, "/nominations"), (coordinating, batchPath), (trainer, sessionPath)] {
                var reader = browser
                let page = try await reader.get(path + "?lang=hi")
                #expect(page.status == .ok, "\(path)")
                problems += HindiEverywhereTests.englishIn(page.body, allowed: allowed.union(["citizen", "first", "district", "leadership", "jaipur", "batch"])).map { "\(path): \($0)" }
            }
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }
    @Test func aCoordinatorMakesAProgrammeABatchASessionAndNominatesByEmail() async throws {
        try await withApp { app, world in
            var coordinator = Browser(app)
            try await coordinator.signIn("cbp.mha")
            #expect(try await coordinator.get("/programmes").body.contains("href=\"/programmes/new\""))
            _ = try await coordinator.get("/programmes/new")
            let missing = try await coordinator.post("/programmes/new", form: ["title": "", "providerId": world.mha.uuidString.lowercased(), "approvalRoute": "coordinator",
                                                                            "minimumAttendancePercent": "80"])
            #expect(missing.status == .unprocessableEntity && missing.body.contains("<code>title</code>"))
            let made = try await coordinator.post("/programmes/new", form: ["title": "Cyber hygiene for district offices", "providerId": world.mha.uuidString.lowercased(),
                                                                         "approvalRoute": "coordinator", "minimumAttendancePercent": "80"])
            let programmePath = try #require(made.headers.first(name: .location))
            let page = try await coordinator.get(programmePath)
            #expect(page.body.contains("Cyber hygiene for district offices") && page.body.contains("Add a batch"))
            let today = IndiaDay.of(Date())
            var batch: [String: String] = ["name": "Bhopal", "startDate": IndiaDay.string(today + 3), "endDate": IndiaDay.string(today + 4), "stateCode": "23",
                                           "venue": "RCVP Noronha Academy", "seats": "0", "trainers": "reviewer.mha@test.example.org"]
            #expect(try await coordinator.post("\(programmePath)/batches", form: batch).status == .unprocessableEntity)
            batch["seats"] = "20"
            let added = try await coordinator.post("\(programmePath)/batches", form: batch)
            let batchPath = try #require(added.headers.first(name: .location), "\(added.status) \(added.body.prefix(300))")
            _ = try await coordinator.get(batchPath)
            let unknown = try await coordinator.post("\(batchPath)/nominate", form: ["emails": "learner.mha@test.example.org, nobody@test.example.org"])
            #expect(unknown.status == .unprocessableEntity && unknown.body.contains("nobody@test.example.org"))
            let nominated = try await coordinator.post("\(batchPath)/nominate", form: ["emails": "learner.mha@test.example.org\nlearner.health@test.example.org"])
            #expect(nominated.status == .ok && nominated.body.contains("2 nominated.") && nominated.body.contains("Enrolled"), "\(nominated.body.prefix(400))")
            let session = try await coordinator.post("\(batchPath)/sessions", form: ["title": "Passwords and phishing", "startsAt": "\(IndiaDay.string(today + 3))T10:00",
                                                                                    "endsAt": "\(IndiaDay.string(today + 3))T12:00", "venue": "Hall 1"])
            #expect(session.status == .ok && session.body.contains("The session is added.") && session.body.contains("Passwords and phishing"), "\(session.body.prefix(400))")
            let learnerSchedule = try await app.send(.GET, "/api/v1/batches/\(batchPath.split(separator: "/").last!)/sessions", token: try await app.token("learner.mha"))
            #expect(learnerSchedule.items.count == 1)
            // A learner makes no programmes; the form is not theirs.
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            #expect(try await learner.get("/programmes/new").status == .forbidden)
            let hindi = try await coordinator.get("/programmes/new?lang=hi")
            #expect(HindiEverywhereTests.englishIn(hindi.body, allowed: try await HindiEverywhereTests.dataWords(app)).isEmpty)
        }
    }
}
