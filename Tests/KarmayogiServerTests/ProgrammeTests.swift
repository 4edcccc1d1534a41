import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import SQLKit
import Testing
import Vapor
import VaporTesting

@Suite struct ProgrammeTests {
    /// A programme with one online course and a batch of two seats, by the MHA's CBP admin (its coordinator).
    private func programme(_ app: Application, _ world: TestWorld, route: String, seats: Int = 2, clock: TestClock,
                           from: Int = 10, to: Int = 12) async throws -> (programme: String, batch: String, course: String) {
        let course = try await publishedCourse(app, world)
        let coordinator = try await app.token("cbp.mha")
        let created = try await app.send(.POST, "/api/v1/programmes", token: coordinator, json: [
            "title": "Leadership for district officers", "titleHi": "ज़िला अधिकारियों के लिए नेतृत्व", "providerId": world.mha.uuidString,
            "approvalRoute": route, "courseIds": [course.id], "minimumAttendancePercent": 75])
        #expect(created.status == .created, "\(created.body)")
        let programme = try created.decoded(ProgrammeDTO.self)
        #expect(programme.mayCoordinate && programme.approvalRoute.rawValue == route && programme.providerName == "Ministry of Home Affairs")
        let today = IndiaDay.of(clock.now)
        let batch = try await app.send(.POST, "/api/v1/programmes/\(programme.id)/batches", token: coordinator, json: [
            "name": "Batch \(from)", "startDate": IndiaDay.string(today + from), "endDate": IndiaDay.string(today + to), "seats": seats,
            "stateCode": 8, "venue": "HCM RIPA, Jaipur", "trainerIds": [world.users["mdo.mha"]!.uuidString]])
        #expect(batch.status == .created, "\(batch.body)")
        return (programme.id.uuidString, try batch.decoded(BatchDTO.self).id.uuidString, course.id)
    }

    private func status(_ reply: Reply) throws -> NominationStatus { try reply.decoded(NominationDTO.self).status }

    @Test func bothApprovalsThenASeatAndTheCoursesEnrolment() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let (_, batch, course) = try await programme(app, world, route: "both", clock: clock)
            let learner = try await app.token("learner.mha"), mdo = try await app.token("mdo.mha"), coordinator = try await app.token("cbp.mha")
            let applied = try await app.send(.POST, "/api/v1/batches/\(batch)/nominations", token: learner)
            #expect(applied.status == .created, "\(applied.body)")
            let nomination = try applied.decoded(Page<NominationDTO>.self).items[0]
            #expect(nomination.status == .applied)
            let id = nomination.id.uuidString
            // The coordinator may not decide before the MDO admin; the learner may not approve at all.
            #expect(try await app.send(.POST, "/api/v1/nominations/\(id)/approve", token: coordinator).status == .forbidden)
            #expect(try await app.send(.POST, "/api/v1/nominations/\(id)/approve", token: learner).status == .forbidden)
            // An admin of another ministry sees nothing: out of reach answers like nothing.
            #expect(try await app.send(.POST, "/api/v1/nominations/\(id)/approve", token: try await app.token("mdo.health")).status == .notFound)
            #expect(try status(try await app.send(.POST, "/api/v1/nominations/\(id)/approve", token: mdo, json: ["reason": "Due for promotion"])) == .nominated)
            #expect(try await app.send(.POST, "/api/v1/nominations/\(id)/approve", token: mdo).status == .forbidden)
            let approved = try await app.send(.POST, "/api/v1/nominations/\(id)/approve", token: coordinator)
            let dto = try approved.decoded(NominationDTO.self)
            #expect(dto.status == .enrolled, "a free seat is taken at once")
            #expect(dto.steps.map(\.to) == [.applied, .nominated, .approved, .enrolled])
            #expect(dto.steps[1].reason == "Due for promotion" && dto.steps[1].actor == "mdo_admin" && dto.steps[1].byUserId == world.users["mdo.mha"]!)
            // The seat gave the programme's course.
            let mine = try await app.send(.GET, "/api/v1/me/enrolments", token: learner)
            #expect(mine.items.contains { $0["courseId"] as? String == course && $0["status"] as? String == "active" })
            // Withdrawing frees the seat and leaves the course the batch enrolled them in.
            #expect(try status(try await app.send(.POST, "/api/v1/nominations/\(id)/withdraw", token: learner)) == .withdrawn)
            #expect(try await app.send(.POST, "/api/v1/nominations/\(id)/withdraw", token: learner).status == .conflict, "twice")
            let after = try await app.send(.GET, "/api/v1/me/enrolments", token: learner)
            #expect(!after.items.contains { $0["courseId"] as? String == course && $0["status"] as? String == "active" })
            let batches = try await app.send(.GET, "/api/v1/programmes/\(dto.programmeId)/batches", token: learner).decoded(Page<BatchDTO>.self)
            #expect(batches.items[0].seatsTaken == 0)
            let report = try await ProgrammeCheck.run(on: app.db)
            #expect(report.findings.isEmpty, "\(report.findings)")
        }
    }

    @Test func theWaitlistPromotesTheNextWhenOneWithdraws() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let (_, batch, _) = try await programme(app, world, route: "coordinator", seats: 1, clock: clock)
            let coordinator = try await app.token("cbp.mha")
            let people = ["learner.mha", "mdo.mha", "publisher.mha"].map { world.users[$0]!.uuidString }
            let made = try await app.send(.POST, "/api/v1/batches/\(batch)/nominations", token: coordinator, json: ["userIds": people])
            #expect(made.status == .created, "\(made.body)")
            let nominations = try made.decoded(Page<NominationDTO>.self).items.sorted { people.firstIndex(of: $0.userId.uuidString)! < people.firstIndex(of: $1.userId.uuidString)! }
            // A coordinator's nomination is every approval: the first takes the one seat, the others wait in order.
            let listed = try await app.send(.GET, "/api/v1/batches/\(batch)/nominations", token: coordinator).decoded(Page<NominationDTO>.self).items
            let byID = Dictionary(uniqueKeysWithValues: listed.map { ($0.id, $0) })
            #expect(nominations.map { byID[$0.id]!.status } == [.enrolled, .approved, .approved])
            #expect(nominations.map { byID[$0.id]!.waitlistPosition } == [nil, 1, 2])
            // The learner sees only their own.
            let own = try await app.send(.GET, "/api/v1/batches/\(batch)/nominations", token: try await app.token("learner.mha")).decoded(Page<NominationDTO>.self)
            #expect(own.items.map(\.userId) == [world.users["learner.mha"]!])
            #expect(try status(try await app.send(.POST, "/api/v1/nominations/\(nominations[0].id)/withdraw", token: try await app.token("learner.mha"))) == .withdrawn)
            let promoted = try await app.send(.GET, "/api/v1/batches/\(batch)/nominations", token: coordinator).decoded(Page<NominationDTO>.self).items
            #expect(promoted.first { $0.id == nominations[1].id }?.status == .enrolled, "the next on the waitlist takes the seat")
            #expect(promoted.first { $0.id == nominations[2].id }?.waitlistPosition == 1)
            #expect(try await ProgrammeCheck.run(on: app.db).findings.isEmpty)
        }
    }

    @Test func badInputChangesNothing() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let (programme, first, _) = try await programme(app, world, route: "none", clock: clock, from: 10, to: 12)
            let coordinator = try await app.token("cbp.mha"), learner = try await app.token("learner.mha")
            let today = IndiaDay.of(clock.now)
            // A second batch overlapping the first, and a third after both: the check looks at every batch held.
            var second = "", third = ""
            for (from, to) in [(12, 14), (20, 21)] {
                let reply = try await app.send(.POST, "/api/v1/programmes/\(programme)/batches", token: coordinator, json: [
                    "name": "Batch \(from)", "startDate": IndiaDay.string(today + from), "endDate": IndiaDay.string(today + to), "seats": 5])
                if from == 12 { second = try reply.decoded(BatchDTO.self).id.uuidString } else { third = try reply.decoded(BatchDTO.self).id.uuidString }
            }
            #expect(try await app.send(.POST, "/api/v1/batches/\(first)/nominations", token: learner).status == .created)
            #expect(try await app.send(.POST, "/api/v1/batches/\(third)/nominations", token: learner).status == .created)
            let overlap = try await app.send(.POST, "/api/v1/batches/\(second)/nominations", token: learner)
            #expect(overlap.status == .unprocessableEntity && overlap.fields == ["userId"] && overlap.body.contains("holds Batch 10 ("), "\(overlap.body)")
            #expect(try await app.send(.POST, "/api/v1/batches/\(first)/nominations", token: learner).fields == ["userId"], "twice")
            // Seats of zero, dates backwards, an unknown trainer.
            let bad = try await app.send(.POST, "/api/v1/programmes/\(programme)/batches", token: coordinator, json: [
                "name": "Bad", "startDate": IndiaDay.string(today + 5), "endDate": IndiaDay.string(today + 4), "seats": 0, "trainerIds": [UUID().uuidString]])
            #expect(Set(bad.fields) == ["seats", "endDate", "trainerIds[0]"], "\(bad.body)")
            // A learner neither makes batches nor nominates; an admin of another ministry cannot nominate MHA's people.
            #expect(try await app.send(.POST, "/api/v1/programmes/\(programme)/batches", token: learner, json: [
                "name": "Mine", "startDate": IndiaDay.string(today + 30), "endDate": IndiaDay.string(today + 30), "seats": 5]).status == .forbidden)
            let beyond = try await app.send(.POST, "/api/v1/batches/\(third)/nominations", token: try await app.token("mdo.health"),
                                            json: ["userIds": [world.users["mdo.mha"]!.uuidString]])
            #expect(beyond.fields == ["userIds[0]"] && beyond.body.contains("no person you may nominate"))
            let unknown = try await app.send(.POST, "/api/v1/batches/\(third)/nominations", token: coordinator, json: ["userIds": [UUID().uuidString]])
            #expect(unknown.fields == ["userIds[0]"] && unknown.body.contains("no person you may nominate"), "out of reach answers like nobody")
            #expect(try await app.send(.POST, "/api/v1/programmes", token: coordinator, json: ["title": "X", "providerId": world.health.uuidString]).fields == ["providerId"])
            #expect(try await app.send(.POST, "/api/v1/programmes", token: coordinator, json: ["title": "X", "providerId": world.mha.uuidString, "extra": 1]).fields == ["extra"])
            // Nothing of the refused requests was stored: two nominations, three batches.
            let nominations = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM programme_nominations").first(decodingColumn: "n", as: Int.self)
            #expect(nominations == 2)
            #expect(try await app.send(.GET, "/api/v1/programmes/\(programme)/batches", token: learner).items.count == 3)
            #expect(try await ProgrammeCheck.run(on: app.db).findings.isEmpty)
        }
    }
}

@Suite struct ProgrammeSessionTests {
    @Test func aTrainerShowsACodeAndAParticipantChecksIn() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let course = try await publishedCourse(app, world)
            let coordinator = try await app.token("cbp.mha"), trainer = try await app.token("mdo.mha")
            let learner = try await app.token("learner.mha"), outsider = try await app.token("learner.health")
            let today = IndiaDay.of(clock.now)
            let programme = try await app.send(.POST, "/api/v1/programmes", token: coordinator, json: [
                "title": "Jan Seva module", "providerId": world.mha.uuidString, "approvalRoute": "none", "courseIds": [course.id]]).decoded(ProgrammeDTO.self)
            let batch = try await app.send(.POST, "/api/v1/programmes/\(programme.id)/batches", token: coordinator, json: [
                "name": "Jaipur, day one", "startDate": IndiaDay.string(today), "endDate": IndiaDay.string(today + 2), "seats": 30,
                "trainerIds": [world.users["mdo.mha"]!.uuidString]]).decoded(BatchDTO.self)
            #expect(try await app.send(.POST, "/api/v1/batches/\(batch.id)/nominations", token: learner).status == .created)
            // Two sessions, one begun today and one tomorrow (the batch runs to the day after, whatever the hour the test
            // runs); a session outside the batch's days is refused.
            let now = clock.now
            var sessions: [SessionDTO] = []
            for (start, title) in [(max(IndiaDay.start(today), now.addingTimeInterval(-600)), "Citizen first"), (now.addingTimeInterval(86_400), "Grievances")] {
                let made = try await app.send(.POST, "/api/v1/batches/\(batch.id)/sessions", token: coordinator, json: [
                    "title": title, "startsAt": Formats.iso(start), "endsAt": Formats.iso(start.addingTimeInterval(5_400)), "venue": "Room 2"])
                #expect(made.status == .created, "\(made.body)")
                sessions.append(try made.decoded(SessionDTO.self))
            }
            let outside = try await app.send(.POST, "/api/v1/batches/\(batch.id)/sessions", token: coordinator, json: [
                "title": "Late", "startsAt": Formats.iso(now.addingTimeInterval(9 * 86_400)), "endsAt": Formats.iso(now.addingTimeInterval(9 * 86_400 + 3_600))])
            #expect(outside.fields == ["startsAt"])
            let session = sessions[0].id.uuidString
            // Only the batch's trainers and the coordinators see the code; it is not shown for tomorrow's session yet.
            #expect(try await app.send(.GET, "/api/v1/sessions/\(session)/attendance-code", token: learner).status == .forbidden)
            #expect(try await app.send(.GET, "/api/v1/sessions/\(sessions[1].id)/attendance-code", token: trainer).status == .conflict)
            let code = try await app.send(.GET, "/api/v1/sessions/\(session)/attendance-code", token: trainer).decoded(AttendanceCodeDTO.self)
            #expect(code.periodSeconds == 30 && code.url.hasSuffix("/attend?token=\(code.token)"))
            // Forged, of another session, by someone without a seat: refused; then the participant's scan, once.
            var forged = code.token
            forged.removeLast()
            forged.append(code.token.last == "A" ? "B" : "A")
            #expect(try await app.send(.POST, "/api/v1/attendance/scan", token: learner, json: ["token": forged]).fields == ["token"])
            #expect(try await app.send(.POST, "/api/v1/attendance/scan", token: outsider, json: ["token": code.token]).status == .forbidden)
            let scanned = try await app.send(.POST, "/api/v1/attendance/scan", token: learner, json: ["token": code.token])
            #expect(scanned.status == .created, "\(scanned.body)")
            #expect(try await app.send(.POST, "/api/v1/attendance/scan", token: learner, json: ["token": code.token]).status == .conflict, "twice")
            // A hall scanning at once: the scans share transactions, and each is answered by its own row: one of a
            // participant's ten taps is recorded, the other nine find it recorded; an outsider's ten are refused.
            let jaipur = try await app.token("learner.jaipur")
            #expect(try await app.send(.POST, "/api/v1/batches/\(batch.id)/nominations", token: jaipur).status == .created)
            let before = (await app.scanCommits.transactions, await app.scanCommits.writes)
            let hall = try await withThrowingTaskGroup(of: (Bool, HTTPStatus).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        (index % 2 == 0, try await app.send(.POST, "/api/v1/attendance/scan", token: index % 2 == 0 ? jaipur : outsider, json: ["token": code.token]).status)
                    }
                }
                return try await group.reduce(into: [(Bool, HTTPStatus)]()) { $0.append($1) }
            }
            #expect(hall.filter { $0.0 }.map(\.1).sorted { $0.code < $1.code } == [.created] + Array(repeating: .conflict, count: 9))
            #expect(hall.filter { !$0.0 }.allSatisfy { $0.1 == .forbidden })
            let (transactions, writes) = (await app.scanCommits.transactions - before.0, await app.scanCommits.writes - before.1)
            #expect(writes == 20 && transactions < 20, "scans that waited were grouped (\(transactions) transactions)")
            let present = try await app.send(.GET, "/api/v1/sessions/\(session)/attendance", token: trainer).decoded(Page<SessionAttendanceDTO>.self).items
            #expect(Set(present.map(\.userId)) == [world.users["learner.mha"]!, world.users["learner.jaipur"]!])
            // In a browser: the trainer's page shows the QR code and renews itself; the code's address, opened on a
            // phone by someone with a seat, records attendance with one tap (here the participant was recorded already).
            var trainerBrowser = Browser(app)
            try await trainerBrowser.signIn("mdo.mha")
            let screen = try await trainerBrowser.get("/sessions/\(session)/code")
            #expect(screen.status == .ok && screen.body.contains("<svg") && screen.headers.first(name: "Refresh") == "30")
            var phone = Browser(app)
            try await phone.signIn("publisher.mha")
            let path = String(code.url.dropFirst(app.settings.publicURL.count))
            let confirm = try await phone.get(path)
            #expect(confirm.status == .ok && confirm.body.contains("Citizen first") && confirm.body.contains("name=\"token\""))
            let refused = try await phone.post("/attend", form: ["token": code.token])
            #expect(refused.status == .forbidden && refused.body.contains("no seat"), "not a participant")
            var learnerBrowser = Browser(app)
            try await learnerBrowser.signIn("learner.mha")
            _ = try await learnerBrowser.get(path)
            let again = try await learnerBrowser.post("/attend", form: ["token": code.token])
            #expect(again.status == .conflict && again.body.contains("recorded already"))

            // A code a minute old has expired.
            clock.move(by: 61)
            let old = try await app.send(.POST, "/api/v1/attendance/scan", token: learner, json: ["token": code.token])
            #expect(old.fields == ["token"] && old.body.contains("expired"))

            // Tomorrow's session: a hand mark needs a reason; the sheet names every bad row and stores nothing then.
            let tomorrow = sessions[1].id.uuidString
            clock.move(by: 86_400)
            #expect(try await app.send(.POST, "/api/v1/sessions/\(tomorrow)/attendance", token: trainer,
                                       json: ["userId": world.users["learner.mha"]!.uuidString, "reason": " "]).fields == ["reason"])
            let sheet = try await app.send(.POST, "/api/v1/sessions/\(tomorrow)/attendance", token: trainer,
                                           body: "email,reason\nlearner.mha@test.example.org,phone died\nnobody@test.example.org,\nlearner.health@test.example.org,\n",
                                           contentType: .init(type: "text", subType: "csv"))
            #expect(sheet.status == .unprocessableEntity && sheet.fields == ["email", "email"], "\(sheet.body)")
            #expect(try await app.send(.GET, "/api/v1/sessions/\(tomorrow)/attendance", token: trainer).items.isEmpty, "nothing stored")
            let good = try await app.send(.POST, "/api/v1/sessions/\(tomorrow)/attendance", token: trainer,
                                          body: "email,reason\nlearner.mha@test.example.org,phone died\n", contentType: .init(type: "text", subType: "csv"))
            #expect(try good.decoded(SheetOutcome.self).recorded == 1)
            let ledger = try await app.send(.GET, "/api/v1/sessions/\(tomorrow)/attendance", token: trainer).decoded(Page<SessionAttendanceDTO>.self).items
            #expect(ledger.map(\.how) == ["sheet"] && ledger[0].reason == "phone died" && ledger[0].byUserId == world.users["mdo.mha"]!)
            // The participant sees their own rows; the counts show on the sessions (two scanned the first, one was on the sheet).
            #expect(try await app.send(.GET, "/api/v1/sessions/\(session)/attendance", token: learner).items.count == 1)
            let listed = try await app.send(.GET, "/api/v1/batches/\(batch.id)/sessions", token: learner).decoded(Page<SessionDTO>.self).items
            #expect(listed.map(\.attended) == [2, 1] && listed.allSatisfy { !$0.mayMark })
            // Marks by hand end seven days after the batch.
            clock.move(by: 8 * 86_400)
            #expect(try await app.send(.POST, "/api/v1/sessions/\(tomorrow)/attendance", token: trainer,
                                       json: ["userId": world.users["learner.mha"]!.uuidString, "reason": "late entry"]).status == .conflict)
        }
    }
}

@Suite struct ProgrammeCompletionTests {
    @Test func participantsWhoMeetTheRuleAreCertifiedAfterTheBatch() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let coordinator = try await app.token("cbp.mha"), trainer = try await app.token("mdo.mha")
            let today = IndiaDay.of(clock.now)
            let made = try await app.send(.POST, "/api/v1/programmes", token: coordinator, json: [
                "title": "Rashtriya Karmayogi Jan Seva", "providerId": world.mha.uuidString, "approvalRoute": "none", "minimumAttendancePercent": 50,
                "competencies": [["competencyId": competency, "level": 2]]])
            #expect(made.status == .created, "\(made.body)")
            let programme = try made.decoded(ProgrammeDTO.self)
            #expect(programme.competencies.map(\.level) == [2])
            // The batch's days hold both sessions (now and two hours on) whatever the time of day the test runs.
            let lastDay = IndiaDay.of(clock.now.addingTimeInterval(3 * 3600))
            let batch = try await app.send(.POST, "/api/v1/programmes/\(programme.id)/batches", token: coordinator, json: [
                "name": "One day", "startDate": IndiaDay.string(today), "endDate": IndiaDay.string(lastDay), "seats": 40,
                "trainerIds": [world.users["mdo.mha"]!.uuidString]]).decoded(BatchDTO.self)
            let people = ["learner.mha", "publisher.mha"]
            _ = try await app.send(.POST, "/api/v1/batches/\(batch.id)/nominations", token: coordinator, json: ["userIds": people.map { world.users[$0]!.uuidString }])
            var sessions: [SessionDTO] = []
            for hour in [0.0, 2] {
                let start = clock.now.addingTimeInterval(hour * 3600)
                sessions.append(try await app.send(.POST, "/api/v1/batches/\(batch.id)/sessions", token: coordinator, json: [
                    "title": "Module \(Int(hour))", "startsAt": Formats.iso(start), "endsAt": Formats.iso(start.addingTimeInterval(3600))]).decoded(SessionDTO.self))
            }
            // The learner scans into the first of the two sessions (half, as the rule asks); the other attends none.
            let code = try await app.send(.GET, "/api/v1/sessions/\(sessions[0].id)/attendance-code", token: trainer).decoded(AttendanceCodeDTO.self)
            #expect(try await app.send(.POST, "/api/v1/attendance/scan", token: try await app.token("learner.mha"), json: ["token": code.token]).status == .created)
            // Before the batch's end nothing is decided.
            #expect(try await ProgrammeCompletions.completeDue(app: app) == 0)
            clock.move(by: IndiaDay.start(lastDay + 1).timeIntervalSince(clock.now) + 3600)
            #expect(try await ProgrammeCompletions.completeDue(app: app) == 1)
            #expect(try await ProgrammeCompletions.completeDue(app: app) == 0, "looked at once a day, and nobody twice")

            let learner = try await app.token("learner.mha")
            let certificates = try await app.send(.GET, "/api/v1/me/certificates", token: learner)
            let certificate = certificates.items.first { $0["batchId"] as? String == batch.id.uuidString }
            #expect(certificate?["title"] as? String == "Rashtriya Karmayogi Jan Seva", "\(certificates.body)")
            let passbook = try await app.send(.GET, "/api/v1/me/passbook", token: learner).decoded(PassbookDTO.self)
            #expect(passbook.items.flatMap(\.evidence).contains { $0.source == .programme && $0.level == 2 })
            let nominations = try await app.send(.GET, "/api/v1/batches/\(batch.id)/nominations", token: coordinator).decoded(Page<NominationDTO>.self).items
            #expect(Set(nominations.map { "\($0.userId == world.users["learner.mha"]! ? "learner" : "other"):\($0.status.rawValue)" }) == ["learner:completed", "other:enrolled"])
            #expect(nominations.first { $0.status == .completed }?.steps.last?.action == "complete")
            // The certificate verifies; the insights count it.
            let id = certificate?["id"] as? String ?? ""
            #expect(try await app.send(.POST, "/api/v1/certificates/verify", json: ["credential": id]).json["status"] as? String == "valid")
            let rollups = try await RollupCheck.run(repair: false, on: app.db)
            // (The test world's people were written directly, so only their registrations are uncounted.)
            #expect(rollups.differences.allSatisfy { $0.description.contains("registrations") }, "\(rollups.differences.map(\.description))")

            // A sheet a few days later puts the other person in the second session: the batch is looked at again.
            clock.move(by: 2 * 86_400)
            let sheet = try await app.send(.POST, "/api/v1/sessions/\(sessions[1].id)/attendance", token: trainer,
                                           body: "email\npublisher.mha@test.example.org\n", contentType: .init(type: "text", subType: "csv"))
            #expect(sheet.status == .ok, "\(sheet.body)")
            #expect(try await ProgrammeCompletions.completeDue(app: app) == 1)
            #expect(try await ProgrammeCheck.run(on: app.db).findings.isEmpty)
        }
    }
}
