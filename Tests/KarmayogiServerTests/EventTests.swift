import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import SQLKit
import Testing
import Vapor
import VaporTesting

func eventBody(_ world: TestWorld, title: String = "Karmayogi Talk: Citizen first", startsIn: TimeInterval = 1800, minutes: Int = 60, clock: TestClock,
               extra: [String: Any] = [:]) -> [String: Any] {
    var body: [String: Any] = [
        "title": title, "titleHi": "कर्मयोगी वार्ता: नागरिक पहले", "kind": "talk",
        "speakers": [["name": "Dr. A. Sharma", "role": "Secretary"]], "description": "How service delivery starts with the citizen.",
        "startsAt": Formats.iso(clock.now.addingTimeInterval(startsIn)), "endsAt": Formats.iso(clock.now.addingTimeInterval(startsIn + Double(minutes) * 60)),
        "onlineUrl": "https://meet.example.gov.in/talk-1", "organiserId": world.mha.uuidString,
        "attendanceRule": ["kind": "minutes", "minutes": 30],
    ]
    for (key, value) in extra { body[key] = value }
    return body
}

@Suite struct EventTests {
    @Test func aLearnerJoinsATalkAndIsCertifiedAfterItsEnd() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let organiser = try await app.token("mdo.mha"), learner = try await app.token("learner.mha"), other = try await app.token("learner.health")
            // A learning week that counts every event, live today.
            let national = try await app.token("national")
            let today = IndiaDay.of(clock.now)
            let campaign = try await app.send(.POST, "/api/v1/campaigns", token: national, json: campaignBody(from: today + 1, to: today + 7)).json["id"] as! String
            _ = try await app.send(.POST, "/api/v1/campaigns/\(campaign)/publish", token: national)
            clock.move(by: 86_400)

            let created = try await app.send(.POST, "/api/v1/events", token: organiser,
                                             json: eventBody(world, clock: clock, extra: ["competencies": [["competencyId": competency, "level": 2]], "capacity": 2]))
            #expect(created.status == .created, "\(created.body)")
            let event = try created.decoded(EventDTO.self)
            #expect(event.phase == "upcoming" && event.online && event.mayManage && event.attendanceRule.minutes == 30)
            let id = event.id.uuidString
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/join", token: learner).status == .forbidden, "not registered")
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/register", token: learner).status == .created)
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/register", token: learner).json["items"].map { ($0 as! [[String: Any]])[0]["outcome"] as? String } == "already registered")
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/register", token: other).status == .created)
            let full = try await app.send(.POST, "/api/v1/events/\(id)/register", token: try await app.token("learner.jaipur"))
            #expect(full.status == .conflict && full.body.contains("full"), "beyond capacity")
            #expect(try await app.send(.GET, "/api/v1/events/\(id)", token: learner).json["registered"] as? Int == 2)
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/join", token: learner).status == .conflict, "too early")

            // The event runs: the learner opens the link through the platform, checks in, leaves after 40 minutes.
            clock.move(by: 1800)
            let join = try await app.send(.POST, "/api/v1/events/\(id)/join", token: learner)
            #expect(join.status == .ok && join.json["url"] as? String == "https://meet.example.gov.in/talk-1")
            #expect(try await app.send(.GET, "/api/v1/events/\(id)/check-in-code", token: learner).status == .forbidden)
            let code = try await app.send(.GET, "/api/v1/events/\(id)/check-in-code", token: organiser).json["code"] as! String
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/check-in", token: learner, json: ["code": String(code.reversed()) == code ? "000000" : String(code.reversed())]).fields == ["code"])
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/check-in", token: learner, json: ["code": code]).status == .created)
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/check-in", token: learner, json: ["code": code]).status == .conflict, "twice")
            // Another event's code does not check anyone in here.
            let second = try await app.send(.POST, "/api/v1/events", token: organiser, json: eventBody(world, title: "Second", startsIn: -60, clock: clock)).json["id"] as! String
            let otherCode = try await app.send(.GET, "/api/v1/events/\(second)/check-in-code", token: organiser).json["code"] as! String
            _ = try await app.send(.POST, "/api/v1/events/\(second)/register", token: other)
            if otherCode != code {
                #expect(try await app.send(.POST, "/api/v1/events/\(id)/check-in", token: other, json: ["code": otherCode]).fields == ["code"])
            }
            clock.move(by: 40 * 60)
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/leave", token: learner).status == .noContent)
            // The other registrant opens the link for the last twenty minutes only.
            _ = try await app.send(.POST, "/api/v1/events/\(id)/join", token: other)
            clock.move(by: 10 * 60)
            // A code from 13 minutes ago has expired.
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/check-in", token: other, json: ["code": code]).fields == ["code"])
            clock.move(by: 20 * 60)  // past the end; the other never left
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/register", token: other).status == .conflict, "after the end")

            let issued = try await EventSettling.settleDue(app: app)
            #expect(issued == 1)
            let attendance = try await app.send(.GET, "/api/v1/events/\(id)/attendance", token: organiser).decoded(Page<AttendanceDTO>.self).items
            let mine = attendance.first { $0.userId == world.users["learner.mha"] }!
            let theirs = attendance.first { $0.userId == world.users["learner.health"] }!
            #expect(mine.attended && mine.minutes == 40 && mine.checkedIn && mine.certificateId != nil)
            #expect(!theirs.attended && (19...20).contains(theirs.minutes) && theirs.certificateId == nil, "\(theirs)")
            #expect(try await app.send(.GET, "/api/v1/events/\(id)/attendance", token: learner).status == .forbidden)

            // The certificate is an Open Badges credential that verifies; the passbook and karma have it.
            let certificates = try await app.send(.GET, "/api/v1/me/certificates", token: learner).items
            let certificate = certificates.first { $0["eventId"] as? String == id.uppercased() || ($0["eventId"] as? String)?.lowercased() == id.lowercased() }
            #expect(certificate != nil && certificate?["title"] as? String == "Karmayogi Talk: Citizen first")
            let verdict = try await app.send(.POST, "/api/v1/certificates/verify", json: ["credential": certificate?["jws"] as? String ?? ""])
            #expect(verdict.json["status"] as? String == "valid", "\(verdict.body)")
            let passbook = try await app.send(.GET, "/api/v1/me/passbook", token: learner).json["items"] as? [[String: Any]] ?? []
            #expect(passbook.contains { ($0["evidence"] as? [[String: Any]])?.contains { $0["source"] as? String == "event" } == true })
            #expect(try await app.send(.GET, "/api/v1/me/karma", token: learner).json["total"] as? Int ?? 0 >= 5)
            #expect(try await app.send(.GET, "/api/v1/events/\(id)", token: learner).decoded(EventDTO.self).myAttendance?.certificateId == mine.certificateId)

            // Settling again issues nothing twice; the campaign counted the talk as a completion with its 40 minutes.
            #expect(try await EventSettling.settleDue(app: app) == 0)
            let summary = try await app.send(.GET, "/api/v1/campaigns/\(campaign)/summary", token: learner).decoded(CampaignSummaryDTO.self)
            #expect(summary.completions == 1 && summary.learningHours == 0.7 && summary.participants == 1)
            #expect(try await CampaignCheck.run(repair: false, now: clock.now, on: app.db).differences.isEmpty)
            _ = try await RollupCheck.run(repair: false, on: app.db)

            // A sheet after the end: the other person was in the room after all; they are certified on the next pass.
            let sheet = "email,joined_at,left_at\nlearner.health@test.example.org,\(Formats.iso(event.startsAt)),\(Formats.iso(event.endsAt))\n"
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/attendance", token: organiser, body: sheet, contentType: .init(type: "text", subType: "csv")).status == .ok)
            #expect(try await EventSettling.settleDue(app: app) == 1)
            #expect(try await app.send(.PATCH, "/api/v1/events/\(id)", token: organiser, json: ["title": "Renamed"]).status == .conflict)
        }
    }

    @Test func badEventInputIsRefusedAndChangesNothing() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let organiser = try await app.token("mdo.mha"), learner = try await app.token("learner.mha")
            func create(_ token: String, _ extra: [String: Any]) async throws -> Reply {
                try await app.send(.POST, "/api/v1/events", token: token, json: eventBody(world, clock: clock, extra: extra))
            }
            #expect(try await create(organiser, ["endsAt": Formats.iso(clock.now)]).fields.contains("endsAt"))
            #expect(try await create(organiser, ["attendanceRule": ["kind": "minutes", "minutes": 90]]).fields == ["attendanceRule.minutes"])
            #expect(try await create(organiser, ["onlineUrl": "javascript:alert(1)"]).fields == ["onlineUrl"])
            #expect(try await create(organiser, ["capacity": 0]).fields == ["capacity"])
            #expect(try await create(learner, [:]).fields == ["organiserId"], "a learner organises nothing")
            #expect(try await create(organiser, ["organiserId": world.health.uuidString]).fields == ["organiserId"], "another ministry's")
            #expect(try await app.send(.GET, "/api/v1/events", token: learner).items.isEmpty, "nothing was stored")
            #expect(try await create(organiser, ["speakers": [["name": "A", "title": "Dr"]]]).fields == ["speakers[0].title"])
            #expect(try await app.send(.GET, "/api/v1/events?mine=maybe", token: learner).fields == ["mine"])

            let event = try await create(organiser, ["registration": "nomination"]).decoded(EventDTO.self)
            let id = event.id.uuidString
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/register", token: learner).status == .forbidden, "by nomination")
            let nominated = try await app.send(.POST, "/api/v1/events/\(id)/register", token: organiser, json: ["userIds": [world.users["learner.mha"]!.uuidString]])
            #expect(nominated.status == .created)
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/register", token: try await app.token("mdo.health"),
                                       json: ["userIds": [world.users["learner.mha"]!.uuidString]]).fields == ["userIds[0]"], "not their person")
            #expect(try await app.send(.GET, "/api/v1/events/\(id)", token: learner).json["myRegistration"] as? String == "nominated")

            // An attendance sheet with an unknown person and times outside the event: both named, nothing stored.
            let sheet = """
                email,joined_at,left_at
                nobody@example.org,\(Formats.iso(event.startsAt)),\(Formats.iso(event.endsAt))
                learner.mha@test.example.org,2020-01-01 10:00,2020-01-01 11:00
                learner.mha@test.example.org,soon,later
                """
            let refused = try await app.send(.POST, "/api/v1/events/\(id)/attendance", token: organiser, body: sheet, contentType: .init(type: "text", subType: "csv"))
            #expect(refused.status == .unprocessableEntity && refused.fields == ["email", "joined_at", "joined_at", "left_at"], "\(refused.body)")
            #expect(refused.body.contains("line 2") && refused.body.contains("line 3") && refused.body.contains("line 4"))
            #expect(try await app.send(.GET, "/api/v1/events/\(id)/attendance", token: organiser).decoded(Page<AttendanceDTO>.self).items.allSatisfy { $0.minutes == 0 })
            #expect(try await app.send(.GET, "/api/v1/events/\(UUID())", token: learner).status == .notFound)
            #expect(try await app.send(.POST, "/api/v1/events/\(id)/check-in", token: learner, json: ["code": "123456"]).status == .conflict, "not running yet")
        }
    }

    @Test func aTalksRecordingCountsForALearningWeekThatChoseTheTalk() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let (course, items) = try await publishedCourse(app, world, title: "Recording: Citizen first")
            let organiser = try await app.token("mdo.mha"), national = try await app.token("national"), learner = try await app.token("learner.mha")
            let event = try await app.send(.POST, "/api/v1/events", token: organiser, json: eventBody(world, clock: clock)).decoded(EventDTO.self)
            let today = IndiaDay.of(clock.now)
            let campaign = try await app.send(.POST, "/api/v1/campaigns", token: national,
                                              json: campaignBody(from: today + 1, to: today + 3, eligible: ["kind": "chosen", "eventIds": [event.id.uuidString]])).json["id"] as! String
            _ = try await app.send(.POST, "/api/v1/campaigns/\(campaign)/publish", token: national)
            clock.move(by: 86_400)
            _ = try await EventSettling.settleDue(app: app)
            let linked = try await app.send(.PATCH, "/api/v1/events/\(event.id)", token: organiser, json: ["recordingCourseId": course])
            #expect(linked.status == .ok && linked.json["recordingCourseId"] as? String == course.uppercased(), "\(linked.body)")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            _ = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[0], status: 2, seconds: 600, key: "r")]])
            let summary = try await app.send(.GET, "/api/v1/campaigns/\(campaign)/summary", token: learner).decoded(CampaignSummaryDTO.self)
            #expect(summary.enrolments == 1 && summary.participants == 1 && summary.learningHours == 0.2)
            #expect(try await CampaignCheck.run(repair: false, now: clock.now, on: app.db).differences.isEmpty)
            #expect(try await app.send(.PATCH, "/api/v1/events/\(event.id)", token: organiser, json: ["recordingCourseId": UUID().uuidString]).fields == ["recordingCourseId"])
        }
    }
}
