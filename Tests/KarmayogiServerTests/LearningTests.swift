import Fluent
import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

/// A published course with two required items and an optional one; answers its id and its items' ids.
func publishedCourse(_ app: Application, _ world: TestWorld, title: String = "Disaster management basics") async throws -> (id: String, items: [String]) {
    let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
    let body = courseBody(world, competency: competency, title: title, modules: [
        ["title": "Plan", "items": [["title": "Video", "kind": "video", "durationMinutes": 20, "required": true],
                                    ["title": "Reading", "kind": "link", "durationMinutes": 10, "required": false, "url": "https://ndma.gov.in"]]],
        ["title": "Act", "items": [["title": "Drill", "kind": "offline", "durationMinutes": 60, "required": true]]],
    ])
    let created = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: body)
    let id = created.json["id"] as! String
    for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
        guard try await app.send(.POST, "/api/v1/courses/\(id)/\(action)", token: try await app.token(key)).status == .ok else { throw TestFailure("\(action) failed") }
    }
    let items = (created.json["modules"] as! [[String: Any]]).flatMap { $0["items"] as! [[String: Any]] }.map { $0["id"] as! String }
    return (id, items)
}

func update(_ course: String, _ item: String, status: Int, percent: Double = 0, seconds: Int = 0, key: String) -> [String: Any] {
    ["courseId": course, "itemId": item, "status": status, "percent": percent, "secondsSpent": seconds, "key": key, "clientTime": "2026-11-23T10:00:00Z"]
}

@Suite struct EnrolmentTests {
    @Test func aLearnerEnrolsOnceLeavesAndResumes() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            let learner = try await app.token("learner.mha")
            let first = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            #expect(first.status == .created && first.json["status"] as? String == "active" && first.json["version"] as? Int == 1)
            let again = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            #expect(again.status == .ok && again.json["id"] as? String == first.json["id"] as? String)
            let mine = try await app.send(.GET, "/api/v1/me/enrolments", token: learner)
            #expect(mine.items.count == 1 && mine.items[0]["title"] as? String == "Disaster management basics" && mine.json["nextCursor"] is NSNull)

            _ = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[0], status: 1, percent: 30, seconds: 90, key: "a")]])
            #expect(try await app.send(.DELETE, "/api/v1/courses/\(course)/enrol", token: learner).json["status"] as? String == "left")
            #expect(try await app.send(.GET, "/api/v1/me/enrolments", token: learner).items.isEmpty)
            let whileAway = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[0], status: 2, key: "b")]])
            #expect(whileAway.status == .unprocessableEntity && whileAway.fields == ["updates[0].courseId"])
            let back = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            #expect(back.status == .ok && back.json["status"] as? String == "active" && back.json["secondsSpent"] as? Int == 90, "resumes where it was left")
            #expect(try await app.send(.DELETE, "/api/v1/courses/\(UUID())/enrol", token: learner).status == .notFound)
        }
    }

    @Test func enrollingTwiceAtOnceMakesOneEnrolment() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world)
            let learner = try await app.token("learner.mha")
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<8 { group.addTask { try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner).status } }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1 && statuses.filter { $0 == .ok }.count == 7)
            #expect(try await Enrolment.query(on: app.db).count() == 1)
            #expect(try await KarmaEntry.query(on: app.db).filter(\.$reason == .firstEnrolment).count() == 1)
        }
    }

    @Test func selfEnrolmentsArrivingTogetherAreWrittenTogetherAndEachAnsweredRight() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world)
            let people = ["learner.mha", "learner.health", "learner.jaipur", "health.in.rajasthan"]
            var signedIn: [String: String] = [:]
            for person in people { signedIn[person] = try await app.token(person) }
            let tokens = signedIn
            // Four people, each sending four at once: one is created for each, and the other three find it.
            let answers = try await withThrowingTaskGroup(of: (String, HTTPStatus, EnrolmentDTO).self) { group in
                for person in people {
                    for _ in 0..<4 {
                        group.addTask {
                            let reply = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: tokens[person]!)
                            return (person, reply.status, try reply.decoded(EnrolmentDTO.self))
                        }
                    }
                }
                return try await group.reduce(into: [(String, HTTPStatus, EnrolmentDTO)]()) { $0.append($1) }
            }
            for person in people {
                let own = answers.filter { $0.0 == person }
                #expect(own.filter { $0.1 == .created }.count == 1 && own.filter { $0.1 == .ok }.count == 3, "\(person)")
                #expect(Set(own.map(\.2.id)).count == 1 && own.allSatisfy { $0.2.userId == world.users[person]! && $0.2.status == .active }, "\(person)")
            }
            #expect(try await Enrolment.query(on: app.db).count() == 4)
            #expect(try await KarmaEntry.query(on: app.db).filter(\.$reason == .firstEnrolment).count() == 4)
            #expect(try await counters(app, .nation).enrolments == 4)
            #expect(try await counters(app, .nation, course: course).enrolments == 4)

            // One who left comes back with two requests at once: both find the enrolment, taken up again.
            #expect(try await app.send(.DELETE, "/api/v1/courses/\(course)/enrol", token: tokens["learner.mha"]!).status == .ok)
            let back = try await withThrowingTaskGroup(of: (HTTPStatus, EnrolmentDTO).self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        let reply = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: tokens["learner.mha"]!)
                        return (reply.status, try reply.decoded(EnrolmentDTO.self))
                    }
                }
                return try await group.reduce(into: [(HTTPStatus, EnrolmentDTO)]()) { $0.append($1) }
            }
            #expect(back.allSatisfy { $0.0 == .ok && $0.1.status == .active }, "\(back.map(\.0))")
            #expect(try await Enrolment.query(on: app.db).count() == 4)
        }
    }

    @Test func onlyPublishedCoursesAndAdminsWithinReach() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world)
            let draft = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"),
                                           json: courseBody(world, competency: try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String))
            #expect(try await app.send(.POST, "/api/v1/courses/\(draft.json["id"] as! String)/enrol", token: try await app.token("learner.mha")).status == .notFound)
            let learnerMHA = try await app.send(.GET, "/api/v1/me", token: try await app.token("learner.mha")).json["id"] as! String
            let learnerHealth = try await app.send(.GET, "/api/v1/me", token: try await app.token("learner.health")).json["id"] as! String
            let byAdmin = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: try await app.token("mdo.mha"), json: ["userIds": [learnerMHA, learnerHealth]])
            #expect(byAdmin.status == .ok)
            #expect(byAdmin.items.map { $0["outcome"] as? String } == ["enrolled", "rejected"], "the other ministry's learner is out of reach")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: try await app.token("learner.mha"), json: ["userIds": [learnerHealth]]).status == .forbidden)
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: try await app.token("mdo.mha"), json: ["userIds": []]).fields == ["userIds"])
            #expect(try await app.send(.GET, "/api/v1/me/enrolments", token: try await app.token("learner.mha")).items.count == 1)
            #expect(try await app.send(.GET, "/api/v1/me/enrolments", token: try await app.token("learner.health")).items.isEmpty)
        }
    }
}

@Suite struct ProgressTests {
    @Test func progressMergesCountsOnceAndCompletesTheCourseWithEverythingAtOnce() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            let learner = try await app.token("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            let batch: [String: Any] = ["updates": [update(course, items[0], status: 2, percent: 100, seconds: 120, key: "k1"),
                                                    update(course, items[2], status: 1, percent: 40, seconds: 60, key: "k2")]]
            let sent = try await app.send(.POST, "/api/v1/progress", token: learner, json: batch)
            #expect(sent.status == .ok && (sent.json["results"] as? [[String: Any]])?.map { $0["outcome"] as? String } == ["applied", "applied"])
            #expect((sent.json["courses"] as? [[String: Any]])?.first?["percent"] as? Double == 50)
            let resent = try await app.send(.POST, "/api/v1/progress", token: learner, json: batch)
            #expect((resent.json["results"] as? [[String: Any]])?.map { $0["outcome"] as? String } == ["duplicate", "duplicate"])
            let late = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[0], status: 1, percent: 10, seconds: 5, key: "k3")]])
            #expect(late.status == .ok)
            let perItem = try await app.send(.GET, "/api/v1/me/enrolments/\(course)/progress", token: learner).items
            let first = perItem.first { $0["itemId"] as? String == items[0] }
            #expect(first?["status"] as? Int == 2 && first?["percent"] as? Double == 100 && first?["secondsSpent"] as? Int == 125, "never backwards; seconds once per key")
            #expect(try await app.send(.GET, "/api/v1/me/enrolments", token: learner).items.first?["secondsSpent"] as? Int == 185)

            let done = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[2], status: 2, percent: 100, seconds: 30, key: "k4")]])
            let state = (done.json["courses"] as? [[String: Any]])?.first
            #expect(state?["completedNow"] as? Bool == true && state?["status"] as? String == "completed" && state?["percent"] as? Double == 100)
            let enrolment = try await app.send(.GET, "/api/v1/me/enrolments?status=completed", token: learner).items.first
            #expect(enrolment?["creditedMinutes"] as? Int == 120 && enrolment?["completedAt"] is String)
            #expect(try await PassbookEntry.query(on: app.db).count() == 1, "the course's competency entered the passbook")
            let karma = try await app.send(.GET, "/api/v1/me/karma", token: learner).json
            #expect(karma["total"] as? Int == 15, "first sign-in 5, first enrolment 5, completion 5")
            // Completed once: more updates change nothing given.
            let again = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[1], status: 2, key: "k5")]])
            #expect((again.json["courses"] as? [[String: Any]])?.first?["completedNow"] as? Bool == false)
            #expect(try await app.send(.GET, "/api/v1/me/karma", token: learner).json["total"] as? Int == 15)
            #expect(try await app.send(.DELETE, "/api/v1/courses/\(course)/enrol", token: learner).status == .conflict)
        }
    }

    @Test func badUpdatesAreRejectedOneByOneAndChangeNothing() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            let (other, otherItems) = try await publishedCourse(app, world, title: "Not enrolled here")
            let learner = try await app.token("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            for (bad, field) in [(update(course, items[0], status: 1, percent: 150, key: "x1"), "updates[0].percent"),
                                 (update(course, items[0], status: 1, percent: -1, key: "x2"), "updates[0].percent"),
                                 (update(course, items[0], status: 1, seconds: -1, key: "x3"), "updates[0].secondsSpent"),
                                 (update(course, items[0], status: 3, key: "x4"), "updates[0].status"),
                                 (update(course, UUID().uuidString, status: 2, key: "x5"), "updates[0].itemId"),
                                 (update(course, otherItems[0], status: 2, key: "x6"), "updates[0].itemId"),
                                 (update(other, otherItems[0], status: 2, key: "x7"), "updates[0].courseId")] {
                let reply = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [bad]])
                #expect(reply.status == .unprocessableEntity && reply.fields == [field])
            }
            #expect(try await app.send(.GET, "/api/v1/me/enrolments/\(course)/progress", token: learner).items.isEmpty, "nothing was stored")
            let mixed = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [
                update(course, items[0], status: 1, percent: 150, key: "y1"), update(course, items[0], status: 1, percent: 20, seconds: 10, key: "y2"),
            ]])
            #expect(mixed.status == .ok && (mixed.json["results"] as? [[String: Any]])?.map { $0["outcome"] as? String } == ["rejected", "applied"])
            #expect(try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": []]).fields == ["updates"])
            #expect(try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[0], status: 1, key: "z")], "extra": 1]).fields == ["extra"])
            #expect(try await app.send(.POST, "/api/v1/progress", json: ["updates": [update(course, items[0], status: 1, key: "z")]]).status == .unauthorized)
        }
    }

    @Test func concurrentBatchesForOneItemAllCount() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            let learner = try await app.token("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await app.send(.POST, "/api/v1/progress", token: learner,
                                           json: ["updates": [update(course, items[0], status: index % 3, percent: Double(index * 5), seconds: 10, key: "c\(index)")]]).status
                    }
                }
                for try await status in group { #expect(status == .ok) }
            }
            let item = try await app.send(.GET, "/api/v1/me/enrolments/\(course)/progress", token: learner).items.first
            #expect(item?["secondsSpent"] as? Int == 200 && item?["status"] as? Int == 2 && item?["percent"] as? Double == 100)
        }
    }
}

@Suite struct KarmaTests {
    @Test func completionsOutsideAPlanEarnFourTimesAMonth() async throws {
        try await withApp { app, world in
            let learner = try await app.token("learner.mha")
            for number in 1...5 {
                let (course, items) = try await publishedCourse(app, world, title: "Course \(number)")
                _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
                let done = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [
                    update(course, items[0], status: 2, key: "\(number)a"), update(course, items[2], status: 2, key: "\(number)b"),
                ]])
                #expect((done.json["courses"] as? [[String: Any]])?.first?["completedNow"] as? Bool == true)
            }
            let karma = try await app.send(.GET, "/api/v1/me/karma", token: learner).json
            let completions = (karma["items"] as? [[String: Any]] ?? []).filter { $0["reason"] as? String == "completion" }
            #expect(completions.count == 4 && karma["total"] as? Int == 5 + 5 + 4 * 5, "the fifth completion this month earns nothing")
            #expect(try await app.send(.GET, "/api/v1/me/certificates", token: learner).items.count == 5, "but it still has its certificate")
        }
    }

    @Test func ratingEarnsOnceAndTheLeaderboardRanksDensely() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world)
            let learner = try await app.token("learner.mha"), admin = try await app.token("mdo.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/ratings", token: learner, json: ["stars": 4])
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/ratings", token: learner, json: ["stars": 5])
            #expect(try await app.send(.GET, "/api/v1/me/karma", token: learner).json["total"] as? Int == 12, "sign-in 5, enrolment 5, one rating 2")
            let board = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/leaderboard", token: admin)
            let rows = board.items
            #expect(rows.first?["name"] as? String != nil && rows.first?["points"] as? Int == 12 && rows.first?["rank"] as? Int == 1)
            let ranks = rows.map { $0["rank"] as! Int }
            #expect(ranks == ranks.sorted() && Set(ranks).count == (ranks.last ?? 0), "dense: no rank is skipped")
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.mha)/leaderboard?month=2026-13", token: admin).fields == ["month"])
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.mha)/leaderboard", token: try await app.token("learner.health")).status == .notFound)
        }
    }
}

@Suite struct CertificateTests {
    static let samples = ContentFileTests.fixtures.appendingPathComponent("openbadges/samples")

    /// A learner who has completed a published course; answers the certificate's id.
    func completed(_ app: Application, _ world: TestWorld) async throws -> (certificate: String, course: String) {
        let (course, items) = try await publishedCourse(app, world)
        let learner = try await app.token("learner.mha")
        _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
        _ = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[0], status: 2, key: "a"), update(course, items[2], status: 2, key: "b")]])
        let mine = try await app.send(.GET, "/api/v1/me/certificates", token: learner)
        guard let id = mine.items.first?["id"] as? String else { throw TestFailure("no certificate: \(mine.body)") }
        return (id, course)
    }

    func verify(_ app: Application, _ credential: Any) async throws -> Reply {
        try await app.send(.POST, "/api/v1/certificates/verify", json: ["credential": credential])
    }

    @Test func completionIssuesAVerifiableCertificate() async throws {
        try await withApp { app, world in
            let (id, course) = try await completed(app, world)
            let shown = try await app.send(.GET, "/api/v1/certificates/\(id)")
            #expect(shown.status == .ok && shown.json["status"] as? String == "valid" && shown.json["courseId"] as? String == course)
            let credential = try #require(shown.json["credential"] as? [String: Any])
            #expect((credential["type"] as? [String]) == ["VerifiableCredential", "AchievementCredential"])
            #expect(((credential["credentialSubject"] as? [String: Any])?["achievement"] as? [String: Any])?["name"] as? String == "Disaster management basics")
            #expect((shown.json["verificationUrl"] as? String)?.hasSuffix("/certificates/\(id)") == true)
            #expect(try await PassbookEntry.query(on: app.db).first()?.certificateID?.uuidString == id, "the passbook names the certificate as evidence")

            let jws = try #require(shown.json["jws"] as? String)
            let valid = try await verify(app, jws)
            #expect(valid.json["status"] as? String == "valid" && valid.json["certificateId"] as? String == id)
            #expect(try await verify(app, credential).json["status"] as? String == "valid", "the JSON as issued")

            var renamed = credential
            renamed["name"] = "Advanced disaster management"
            let changedJSON = try await verify(app, renamed)
            #expect(changedJSON.json["status"] as? String == "invalid" && (changedJSON.json["reasons"] as? [String])?.first?.contains("differs") == true)
            var parts = jws.split(separator: ".").map(String.init)
            parts[1] = String(parts[1].prefix(10)) + (parts[1].dropFirst(10).first == "A" ? "B" : "A") + String(parts[1].dropFirst(11))
            let changedJWS = try await verify(app, parts.joined(separator: "."))
            #expect(changedJWS.json["status"] as? String == "invalid")
            #expect(try await verify(app, 42).fields == ["credential"])

            #expect(try await app.send(.POST, "/api/v1/certificates/\(id)/revoke", token: try await app.token("learner.mha"), json: ["reason": "mine"]).status == .forbidden)
            let revoked = try await app.send(.POST, "/api/v1/certificates/\(id)/revoke", token: try await app.token("publisher.mha"), json: ["reason": "Issued in error"])
            #expect(revoked.status == .ok && revoked.json["status"] as? String == "revoked")
            let afterwards = try await verify(app, jws)
            #expect(afterwards.json["status"] as? String == "revoked" && (afterwards.json["reasons"] as? [String])?.first?.contains("Issued in error") == true)
            #expect(try await app.send(.POST, "/api/v1/certificates/\(id)/revoke", token: try await app.token("publisher.mha"), json: ["reason": "again"]).status == .conflict)
            #expect(try await app.send(.GET, "/api/v1/certificates/\(UUID())").status == .notFound)
            let browser = try await app.send(.GET, "/api/v1/certificates/\(id)", headers: ["Accept": "text/html,application/xhtml+xml"])
            #expect(browser.status == .seeOther && browser.headers.first(name: .location) == "/certificates/\(id)")
        }
    }

    @Test func credentialsFromElsewhereAreJudgedNotTrusted() async throws {
        try await withApp { app, _ in
            let files = try FileManager.default.contentsOfDirectory(atPath: Self.samples.path).filter { $0.hasSuffix(".json") }
            #expect(files.count > 20)
            for file in files {
                let object = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.samples.appendingPathComponent(file)))
                let verdict = try await verify(app, object)
                #expect(verdict.status == .ok && verdict.json["status"] as? String == "invalid", "\(file)")
                #expect((verdict.json["reasons"] as? [String])?.contains { $0.contains("not issued by this platform") } == true, "\(file)")
            }
            let expired = try await verify(app, try JSONSerialization.jsonObject(with: Data(contentsOf: Self.samples.appendingPathComponent("simple-err-expired.json"))))
            #expect((expired.json["reasons"] as? [String])?.contains { $0.contains("expired") } == true)
            let foreignJWT = try String(contentsOf: Self.samples.appendingPathComponent("simple.jwt"), encoding: .utf8)
            let judged = try await verify(app, foreignJWT)
            #expect(judged.json["status"] as? String == "invalid" && !((judged.json["reasons"] as? [String]) ?? []).isEmpty)
        }
    }
}

@Suite struct PassbookTests {
    @Test func coursesAndApprovedDeclarationsFillThePassbook() async throws {
        try await withApp { app, world in
            _ = try await CertificateTests().completed(app, world)
            let learner = try await app.token("learner.mha"), admin = try await app.token("mdo.mha")
            var passbook = try await app.send(.GET, "/api/v1/me/passbook", token: learner).items
            #expect(passbook.count == 1 && passbook[0]["level"] as? Int == 2)
            let evidence = (passbook[0]["evidence"] as? [[String: Any]])?.first
            #expect(evidence?["source"] as? String == "course" && evidence?["certificateId"] is String && evidence?["status"] as? String == "verified")

            let ethics = try await app.send(.GET, "/api/v1/competencies?q=Self-Analysis").items[0]["id"] as! String
            let declared = try await app.send(.POST, "/api/v1/me/passbook/declarations", token: learner, json: ["competencyId": ethics, "level": 3, "note": "Ran the unit's workshops"])
            #expect(declared.status == .created && declared.json["status"] as? String == "unverified")
            #expect(try await app.send(.POST, "/api/v1/me/passbook/declarations", token: learner, json: ["competencyId": ethics, "level": 4]).status == .conflict)
            #expect(try await app.send(.POST, "/api/v1/me/passbook/declarations", token: learner, json: ["competencyId": ethics, "level": 6]).fields == ["level"])
            #expect(try await app.send(.POST, "/api/v1/me/passbook/declarations", token: learner, json: ["competencyId": UUID().uuidString, "level": 2]).fields == ["competencyId"])
            passbook = try await app.send(.GET, "/api/v1/me/passbook", token: learner).items
            let onlyDeclared = try #require(passbook.first { $0["competencyId"] as? String == ethics })
            #expect(onlyDeclared["level"] == nil && (onlyDeclared["evidence"] as? [[String: Any]])?.first?["status"] as? String == "unverified", "declared only: no level yet")

            let waiting = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/declarations", token: admin)
            let id = try #require(waiting.items.first?["id"] as? String)
            #expect(waiting.items.count == 1 && waiting.items[0]["userName"] as? String != nil)
            #expect(try await app.send(.POST, "/api/v1/declarations/\(id)/approve", token: try await app.token("mdo.health"), json: ["note": "ok"]).status == .notFound)
            #expect(try await app.send(.POST, "/api/v1/declarations/\(id)/approve", token: learner, json: ["note": "me"]).status == .notFound, "not one's own")
            #expect(try await app.send(.POST, "/api/v1/declarations/\(id)/approve", token: admin, json: ["note": " "]).fields == ["note"])
            let approved = try await app.send(.POST, "/api/v1/declarations/\(id)/approve", token: admin, json: ["note": "Seen the workshop reports"])
            #expect(approved.status == .ok && approved.json["status"] as? String == "verified")
            #expect(try await app.send(.POST, "/api/v1/declarations/\(id)/reject", token: admin, json: ["note": "changed my mind"]).status == .conflict)
            passbook = try await app.send(.GET, "/api/v1/me/passbook", token: learner).items
            #expect(passbook.first { $0["competencyId"] as? String == ethics }?["level"] as? Int == 3)
        }
    }
}

@Suite struct RepublishingTests {
    @Test func aNewVersionMovesLearnersOnTheirWayAndUncompletesNobody() async throws {
        try await withApp { app, world in
            let (_, course) = try await CertificateTests().completed(app, world)
            let other = try await app.token("learner.health")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: other)
            let creator = try await app.token("creator.mha")
            var body = try await app.send(.GET, "/api/v1/courses/\(course)", token: creator).json
            var modules = body["modules"] as! [[String: Any]]
            modules.append(["title": "Review", "items": [["title": "Case study", "kind": "document", "durationMinutes": 30, "required": true]]])
            body = ["title": body["title"]!, "summary": body["summary"]!, "language": body["language"]!, "durationMinutes": 150,
                    "competencies": body["competencies"]!, "modules": modules]
            #expect(try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: body).json["version"] as? Int == 2)
            for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
                #expect(try await app.send(.POST, "/api/v1/courses/\(course)/\(action)", token: try await app.token(key)).status == .ok)
            }
            let done = try await app.send(.GET, "/api/v1/me/enrolments?status=completed", token: try await app.token("learner.mha")).items
            #expect(done.count == 1 && done[0]["version"] as? Int == 1 && done[0]["creditedMinutes"] as? Int == 120, "completed stays completed, on its version")
            let onTheWay = try await app.send(.GET, "/api/v1/me/enrolments", token: other).items
            #expect(onTheWay.first?["version"] as? Int == 2 && onTheWay.first?["status"] as? String == "active")
        }
    }
}

@Suite struct AssessmentTests {
    nonisolated(unsafe) static let bank: [[String: Any]] = [
        ["kind": "single", "text": "Which Act gives citizens the right to information?", "options": ["RTI Act, 2005", "IT Act, 2000", "Companies Act, 2013"], "correct": [0]],
        ["kind": "multiple", "text": "Which are scheduled languages?", "options": ["Bodo", "Latin", "Santali", "Esperanto"], "correct": [0, 2]],
        ["kind": "true_false", "text": "NDMA is chaired by the Prime Minister.", "correct": [0]],
        ["kind": "numeric", "text": "How many States and UTs are there?", "answer": 36, "tolerance": 0],
    ]

    /// A published course whose required items are a video and an assessment (3 of 4 questions, 60 s, 2 attempts, pass at 60%).
    func course(_ app: Application, _ world: TestWorld) async throws -> (id: String, video: String, assessment: String) {
        let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
        let body = courseBody(world, competency: competency, title: "RTI basics", modules: [["title": "Learn and check", "items": [
            ["title": "Video", "kind": "video", "durationMinutes": 10, "required": true],
            ["title": "Quiz", "kind": "assessment", "durationMinutes": 10, "required": true,
             "assessment": ["questions": Self.bank, "drawCount": 3, "timeLimitSeconds": 60, "maxAttempts": 2, "passPercent": 60]],
        ]]])
        let created = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: body)
        let id = try #require(created.json["id"] as? String, "\(created.body)")
        for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/\(action)", token: try await app.token(key)).status == .ok)
        }
        let items = (created.json["modules"] as! [[String: Any]])[0]["items"] as! [[String: Any]]
        return (id, items[0]["id"] as! String, items[1]["id"] as! String)
    }

    /// The right (or wrong) answers to an attempt's questions, worked out from the bank by the options' text.
    func answers(_ attempt: [String: Any], right: Bool) -> [[String: Any]] {
        (attempt["questions"] as! [[String: Any]]).map { question in
            let bank = Self.bank.first { $0["text"] as? String == question["text"] as? String }!
            let id = question["id"] as! String
            if bank["kind"] as? String == "numeric" { return ["questionId": id, "number": right ? 36 : 28] }
            let bankOptions = bank["options"] as? [String] ?? ["True", "False"]
            let correctTexts = Set((bank["correct"] as! [Int]).map { bankOptions[$0] })
            let shown = question["options"] as! [String]
            let positions = shown.indices.filter { correctTexts.contains(shown[$0]) == right }
            return ["questionId": id, "choices": right ? positions : [positions[0]]]
        }
    }

    @Test func attemptsAreDrawnTimedScoredAndTheBestCounts() async throws {
        try await withApp { app, world in
            let (course, video, assessment) = try await course(app, world)
            let learner = try await app.token("learner.mha")
            #expect(try await app.send(.POST, "/api/v1/assessments/\(assessment)/attempts", token: learner).status == .notFound, "enrol first")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            let seen = try await app.send(.GET, "/api/v1/courses/\(course)", token: learner).json
            let quiz = ((seen["modules"] as! [[String: Any]])[0]["items"] as! [[String: Any]])[1]["assessment"] as? [String: Any]
            #expect((quiz?["questions"] as? [Any])?.isEmpty == true && quiz?["maxAttempts"] as? Int == 2, "learners see the rules, not the bank")
            let cheat = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, assessment, status: 2, key: "cheat")]])
            #expect(cheat.status == .unprocessableEntity && cheat.fields == ["updates[0].status"])

            let first = try await app.send(.POST, "/api/v1/assessments/\(assessment)/attempts", token: learner)
            #expect(first.status == .created && (first.json["questions"] as? [Any])?.count == 3 && (first.json["secondsLeft"] as? Int ?? 0) > 50)
            #expect(!first.body.contains("\"correct") && !first.body.contains("\"answer\""), "no answers before submission")
            #expect(try await app.send(.POST, "/api/v1/assessments/\(assessment)/attempts", token: learner).json["id"] as? String == first.json["id"] as? String,
                    "the open attempt is answered again")
            let attempt = first.json["id"] as! String
            let stray = try await app.send(.POST, "/api/v1/attempts/\(attempt)/submit", token: learner, json: ["answers": [["questionId": UUID().uuidString, "choices": [0]]]])
            #expect(stray.status == .unprocessableEntity && stray.fields == ["answers[0].questionId"])
            #expect(try await app.send(.POST, "/api/v1/attempts/\(attempt)/submit", token: try await app.token("learner.health"), json: ["answers": []]).status == .notFound)
            let failed = try await app.send(.POST, "/api/v1/attempts/\(attempt)/submit", token: learner, json: ["answers": answers(first.json, right: false)])
            #expect(failed.status == .ok && failed.json["passed"] as? Bool == false && failed.json["percent"] as? Double == 0)
            #expect(failed.json["results"] == nil, "failing on purpose shows no right answers while attempts remain (showAnswers: afterLastAttempt)")
            #expect(try await app.send(.POST, "/api/v1/attempts/\(attempt)/submit", token: learner, json: ["answers": answers(first.json, right: true)]).status == .conflict)

            _ = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, video, status: 2, key: "v")]])
            let second = try await app.send(.POST, "/api/v1/assessments/\(assessment)/attempts", token: learner)
            #expect(second.status == .created && second.json["attemptNumber"] as? Int == 2)
            let passed = try await app.send(.POST, "/api/v1/attempts/\(second.json["id"] as! String)/submit", token: learner, json: ["answers": answers(second.json, right: true)])
            #expect(passed.json["passed"] as? Bool == true && passed.json["percent"] as? Double == 100)
            #expect((passed.json["results"] as? [[String: Any]])?.count == 3, "the last attempt shows each question's result and right answer: \(passed.body)")
            let enrolment = try await app.send(.GET, "/api/v1/me/enrolments?status=completed", token: learner).items
            #expect(enrolment.count == 1, "passing the last required item completed the course")
            let karma = try await app.send(.GET, "/api/v1/me/karma", token: learner).json
            #expect(karma["total"] as? Int == 20, "sign-in, enrolment, completion, and 5 more for the passed assessment")
            let third = try await app.send(.POST, "/api/v1/assessments/\(assessment)/attempts", token: learner)
            #expect(third.status == .conflict && (third.json["detail"] as? String)?.contains("all 2 attempts") == true)
        }
    }

    @Test func aLateSubmissionIsRefusedAndChangesNothing() async throws {
        try await withApp { app, world in
            let (course, _, assessment) = try await course(app, world)
            let learner = try await app.token("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            let started = try await app.send(.POST, "/api/v1/assessments/\(assessment)/attempts", token: learner).json
            let attempt = try #require(try await AssessmentAttempt.find(UUID(uuidString: started["id"] as! String)!, on: app.db))
            attempt.deadline = Date().addingTimeInterval(-60)
            try await attempt.save(on: app.db)
            let late = try await app.send(.POST, "/api/v1/attempts/\(attempt.id!)/submit", token: learner, json: ["answers": answers(started, right: true)])
            #expect(late.status == .conflict && (late.json["detail"] as? String)?.contains("ran out") == true)
            let stored = try await AssessmentAttempt.find(attempt.id!, on: app.db)
            #expect(stored?.submittedAt == nil && stored?.passed == false)
        }
    }

    @Test func aBankWithMistakesIsRefusedAndACourseCannotGoToReviewWithoutOne() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let creator = try await app.token("creator.mha")
            let bad = courseBody(world, competency: competency, modules: [["title": "M", "items": [
                ["title": "Quiz", "kind": "assessment", "durationMinutes": 10, "required": true,
                 "assessment": ["questions": [["kind": "single", "text": "?", "options": ["a", "b"], "correct": [5]]], "drawCount": 2, "timeLimitSeconds": 60, "maxAttempts": 1, "passPercent": 50]],
            ]]])
            let refused = try await app.send(.POST, "/api/v1/courses", token: creator, json: bad)
            #expect(refused.status == .unprocessableEntity && Set(refused.fields) == ["modules[0].items[0].assessment.drawCount", "modules[0].items[0].assessment.questions[0].correct"])
            let empty = courseBody(world, competency: competency, modules: [["title": "M", "items": [["title": "Quiz", "kind": "assessment", "durationMinutes": 10, "required": true]]]])
            let id = try await app.send(.POST, "/api/v1/courses", token: creator, json: empty).json["id"] as! String
            let submit = try await app.send(.POST, "/api/v1/courses/\(id)/submit", token: creator)
            #expect(submit.status == .unprocessableEntity && submit.fields == ["modules[0].items[0].assessment"])
        }
    }
}

@Suite struct GroupCommitTests {
    @Test func concurrentWritesShareTransactionsAndOneFailureLosesNoOther() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            let learners = ["learner.mha", "learner.health", "learner.jaipur"]
            var tokens: [String: String] = [:]
            for learner in learners {
                tokens[learner] = try await app.token(learner)
                _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: tokens[learner])
            }
            let before = (await app.progressCommits.transactions, await app.progressCommits.writes)
            let sent = tokens
            // Every transaction that holds one of this learner's writes fails; the others' writes are retried alone.
            await app.progressCommits.refusing(writesOf: world.users["learner.jaipur"]!)
            let replies = try await withThrowingTaskGroup(of: (String, HTTPStatus).self) { group in
                for index in 0..<45 {
                    let learner = learners[index % 3]
                    group.addTask {
                        let reply = try await app.send(.POST, "/api/v1/progress", token: sent[learner],
                                                       json: ["updates": [update(course, items[0], status: 1, percent: Double(index), seconds: 10, key: "k\(index)")]])
                        return (learner, reply.status)
                    }
                }
                return try await group.reduce(into: [(String, HTTPStatus)]()) { $0.append($1) }
            }
            #expect(replies.filter { $0.0 != "learner.jaipur" }.allSatisfy { $0.1 == .ok })
            #expect(replies.filter { $0.0 == "learner.jaipur" }.allSatisfy { $0.1 != .ok })
            let (transactions, writes) = (await app.progressCommits.transactions - before.0, await app.progressCommits.writes - before.1)
            #expect(writes == 45 && transactions < 45, "writes that waited were grouped (\(transactions) transactions)")
            // Each accepted second counted once: 15 updates of 10 s for each learner whose writes were taken, none for the other.
            for learner in learners {
                let seconds = try await app.send(.GET, "/api/v1/me/enrolments", token: tokens[learner]).decoded(KarmayogiServer.Page<EnrolmentDTO>.self).items.first?.secondsSpent
                #expect(seconds == (learner == "learner.jaipur" ? 0 : 150), "\(learner)")
            }
        }
    }
}

extension GroupCommitTests {
    /// One learner's requests grouped together each hear where the course stands.
    @Test func everyRequestOfAGroupIsToldItsCourses() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            let token = try await app.token("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: token)
            let answers = try await withThrowingTaskGroup(of: ProgressAnswer.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await app.send(.POST, "/api/v1/progress", token: token,
                                           json: ["updates": [update(course, items[0], status: 1, percent: Double(index), key: "same-\(index)")]])
                            .decoded(ProgressAnswer.self)
                    }
                }
                return try await group.reduce(into: [ProgressAnswer]()) { $0.append($1) }
            }
            #expect(answers.count == 20 && answers.allSatisfy { $0.courses.map(\.courseId.uuidString) == [course.uppercased()] })
        }
    }
}

@Suite struct ConcurrentAttemptTests {
    @Test func sixtyParallelStartsMakeOneAttemptAndAllAnswerIt() async throws {
        try await withApp { app, world in
            let (course, _, assessment) = try await AssessmentTests().course(app, world)
            let learner = try await app.token("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            // MUT
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<60 { group.addTask { try await app.send(.POST, "/api/v1/assessments/\(assessment)/attempts", token: learner) } }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            // validate
            #expect(replies.allSatisfy { $0.status == .created || $0.status == .ok }, "\(replies.map(\.status.code))")
            #expect(replies.filter { $0.status == .created }.count == 1)
            #expect(Set(replies.map { $0.json["id"] as? String }).count == 1)
            let stored = try await AssessmentAttempt.query(on: app.db).filter(\.$userID == world.users["learner.mha"]!).count()
            #expect(stored == 1)
        }
    }
}

@Suite struct GroupCommitRetryTests {
    @Test func aCompletionRetriedAfterItsGroupFailedStillIssuesEverything() async throws {
        try await withApp { app, world in
            // setup
            let (course, items) = try await publishedCourse(app, world)
            let learner = try await app.token("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner)
            _ = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[0], status: 2, key: "a")]])
            let karmaBefore = try await app.send(.GET, "/api/v1/me/karma", token: learner).json["total"] as? Int ?? 0
            await app.progressCommits.failingNextGroup()
            // MUT: the completing update's group fails once; the write is retried on its own
            let reply = try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": [update(course, items[2], status: 2, seconds: 60, key: "b")]])
            // validate: the answer and the database agree on everything the completion brings
            #expect(reply.status == .ok)
            let courses = reply.json["courses"] as? [[String: Any]] ?? []
            #expect(courses.first?["completedNow"] as? Bool == true, "\(reply.body)")
            let enrolments = try await app.send(.GET, "/api/v1/me/enrolments?status=completed", token: learner).items
            #expect(enrolments.count == 1)
            let certificates = try await app.send(.GET, "/api/v1/me/certificates", token: learner).items
            #expect(certificates.count == 1)
            let passbook = try await app.send(.GET, "/api/v1/me/passbook", token: learner).items
            let evidence = (passbook.first?["evidence"] as? [[String: Any]])?.first
            #expect(evidence?["certificateId"] as? String == certificates.first?["id"] as? String, "the passbook cites the certificate issued")
            let karmaAfter = try await app.send(.GET, "/api/v1/me/karma", token: learner).json["total"] as? Int ?? 0
            #expect(karmaAfter > karmaBefore)
            let seconds = try await app.send(.GET, "/api/v1/me/enrolments", token: learner).items.first?["secondsSpent"] as? Int
            #expect(seconds == 60, "the seconds count once although the write ran twice")
        }
    }
}
