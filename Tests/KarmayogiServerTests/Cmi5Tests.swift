import Fluent
import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

/// cmi5 from the LMS's side, with the CATAPULT pre/post-test course (six AUs in two blocks): import, launch,
/// the fetch URL, LMS.LaunchData, the session's rules, abandoned sessions, moveOn, and the blocks and course satisfied.
@Suite struct Cmi5Tests {
    static let course = "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-preposttest"

    /// A published course of one cmi5 item per AU of the fixture; answers the course, its items in AU order, and the AU ids.
    func publishedCmi5Course(_ app: Application, _ world: TestWorld) async throws -> (course: String, items: [String], aus: [String]) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cmi5-\(UUID().uuidString)")
        app.contentStore = DirectoryContentStore(root: root)
        let creator = try await app.token("creator.mha")
        let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
        let course = try await app.send(.POST, "/api/v1/courses", token: creator, json: courseBody(world, competency: competency)).json["id"] as! String
        let bytes = try [UInt8](Data(contentsOf: ContentFileTests.fixtures.appendingPathComponent("cmi5/packages/pre_post_test_framed.zip")))
        let reply = try await upload(app, course: course, token: creator, kind: nil, name: "geology.zip", bytes: bytes, to: "packages")
        #expect(reply.status == .created, "\(reply.body)")
        let package = try reply.decoded(ContentPackageDTO.self)
        #expect(package.standard == "cmi5" && package.activities.count == 6 && package.activities.allSatisfy { $0.reference.hasPrefix("cmi5:") })
        #expect(package.activities[0].launch == "pre1.html" && package.title == "Introduction to Geology - Pre/Post Test")
        func body(_ items: [[String: Any]]) -> [String: Any] { courseBody(world, competency: competency, modules: [["title": "Geology", "items": items]]) }
        let wrongKind = try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator,
                                           json: body([["title": "Pre", "kind": "scorm", "durationMinutes": 5, "required": true, "url": package.activities[0].reference]]))
        #expect(wrongKind.fields == ["modules[0].items[0].url"], "a cmi5 AU is not a SCORM item")
        let saved = try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: body(package.activities.map {
            ["title": $0.title, "kind": "cmi5", "durationMinutes": 10, "required": true, "url": $0.reference]
        }))
        #expect(saved.status == .ok)
        for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/\(action)", token: try await app.token(key)).status == .ok)
        }
        let items = ((saved.json["modules"] as! [[String: Any]])[0]["items"] as! [[String: Any]]).map { $0["id"] as! String }
        return (course, items, package.activities.map(\.identifier))
    }

    /// An AU's side of one session: the launch's parameters, its credentials from the fetch URL, its statements.
    struct AU {
        var app: Application
        var parameters: [String: String]
        var client: XAPIClient!
        var actor: [String: Any]
        var session = ""

        init(_ app: Application, launch: ItemLaunchDTO) throws {
            self.app = app
            let components = try #require(URLComponents(string: launch.url))
            parameters = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            actor = try #require(try JSONSerialization.jsonObject(with: Data((parameters["actor"] ?? "").utf8)) as? [String: Any])
            session = launch.sessionId ?? ""
        }

        var fetchPath: String { String(parameters["fetch"]!.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" }) }

        mutating func fetch() async throws -> [String: Any] {
            let reply = try await app.send(.POST, fetchPath)
            if let token = reply.json["auth-token"] as? String {
                let pair = String(decoding: Data(base64Encoded: token)!, as: UTF8.self).split(separator: ":", maxSplits: 1).map(String.init)
                client = XAPIClient(app: app, key: pair[0], secret: pair[1])
            }
            return reply.json
        }

        func said(_ verb: String, score: Double? = nil, session: String? = nil) -> [String: Any] {
            var statement: [String: Any] = [
                "actor": actor, "verb": ["id": verb], "object": ["id": parameters["activityId"]!],
                "context": ["registration": parameters["registration"]!, "extensions": [Cmi5Sessions.sessionExtension: session ?? self.session],
                            "contextActivities": ["category": [["id": Cmi5Sessions.category]]]],
            ]
            if let score { statement["result"] = ["score": ["scaled": score], "success": score >= 0.5] }
            if verb == Cmi5Sessions.Verb.completed { statement["result"] = ["completion": true, "duration": "PT5M"] }
            return statement
        }

        func send(_ verb: String, score: Double? = nil) async throws -> HTTPStatus {
            try await client.send(.POST, "/xapi/statements", json: said(verb, score: score)).status
        }
    }

    func launch(_ app: Application, _ course: String, _ item: String, _ token: String) async throws -> ItemLaunchDTO {
        let reply = try await app.send(.POST, "/api/v1/courses/\(course)/items/\(item)/launch", token: token)
        #expect(reply.status == .created, "\(reply.body)")
        return try reply.decoded(ItemLaunchDTO.self)
    }

    @Test func anAUIsLaunchedAndItsSessionKeptAsCmi5Says() async throws {
        try await withApp { app, world in
            let (course, items, aus) = try await publishedCmi5Course(app, world)
            let learner = try await app.token("learner.mha")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/items/\(items[0])/launch", token: learner).status == .conflict, "enrol first")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner).status == .created)
            let launched = try await launch(app, course, items[0], learner)
            var au = try AU(app, launch: launched)
            #expect(launched.kind == "cmi5" && launched.url.contains("/cmi5/") && launched.url.contains("/files/pre1.html?"))
            #expect(au.parameters["activityId"] == aus[0] && au.parameters["endpoint"]?.hasSuffix("/xapi/") == true && au.parameters["registration"] == launched.registration)
            let filePath = try #require(URLComponents(string: launched.url)?.path)
            #expect(try await app.send(.GET, filePath).status == .ok, "the AU's file is served for its launch")

            let first = try await au.fetch()
            #expect(first["auth-token"] is String)
            let second = try await au.fetch()
            #expect(second["error-code"] as? String == "1" && second["auth-token"] == nil, "the fetch URL gives the token once")

            let agent = query(au.actor)
            let data = try await au.client.send(.GET, "/xapi/activities/state?activityId=\(aus[0])&agent=\(agent)&registration=\(launched.registration)&stateId=LMS.LaunchData")
            #expect(data.status == .ok && data.json["moveOn"] as? String == "Passed" && data.json["launchMode"] as? String == "Normal")
            #expect(((data.json["contextTemplate"] as? [String: Any])?["extensions"] as? [String: Any])?[Cmi5Sessions.sessionExtension] as? String == launched.sessionId)

            #expect(try await au.send(Cmi5Sessions.Verb.completed) == .forbidden, "nothing before initialized")
            var stranger = au.said(Cmi5Sessions.Verb.initialized)
            stranger["actor"] = ["mbox": "mailto:someone@else.in"]
            #expect(try await au.client.send(.POST, "/xapi/statements", json: stranger).status == .forbidden, "a session's statements are the learner's")
            #expect(try await au.client.send(.POST, "/xapi/statements", json: au.said(Cmi5Sessions.Verb.initialized, session: "other")).status == .forbidden)
            #expect(try await au.send(Cmi5Sessions.Verb.initialized) == .ok)
            #expect(try await au.send(Cmi5Sessions.Verb.passed, score: 0.8) == .ok)
            #expect(try await au.send(Cmi5Sessions.Verb.terminated) == .ok)
            #expect(try await au.send(Cmi5Sessions.Verb.completed) == .forbidden, "nothing after terminated")
            let mine = client(au).list(try await au.client.send(.GET, "/xapi/statements?registration=\(launched.registration)"))
            #expect(Set(mine.compactMap { ($0["verb"] as? [String: Any])?["id"] as? String }) ==
                    [Cmi5Sessions.Verb.launched, Cmi5Sessions.Verb.initialized, Cmi5Sessions.Verb.passed, Cmi5Sessions.Verb.terminated])

            // A session left open is abandoned when the AU is launched again; its credentials then write nothing.
            var open = try AU(app, launch: try await launch(app, course, items[1], learner))
            _ = try await open.fetch()
            #expect(try await open.send(Cmi5Sessions.Verb.initialized) == .ok)
            var again = try AU(app, launch: try await launch(app, course, items[1], learner))
            #expect(again.session != open.session && again.parameters["registration"] == open.parameters["registration"], "one registration per course")
            #expect(try await open.send(Cmi5Sessions.Verb.completed) == .forbidden, "an abandoned session's statements are refused")
            let admin = try await XAPIClient.issue(app, for: world.mha, by: "mdo.mha")
            let abandoned = admin.list(try await admin.send(.GET, "/xapi/statements?verb=\(Cmi5Sessions.Verb.abandoned)"))
            #expect(abandoned.count == 1 && ((abandoned[0]["context"] as? [String: Any])?["extensions"] as? [String: Any])?[Cmi5Sessions.sessionExtension] as? String == open.session)
            _ = try await again.fetch()
            #expect(try await again.send(Cmi5Sessions.Verb.initialized) == .ok)
            #expect(try await again.send(Cmi5Sessions.Verb.completed) == .ok)
            #expect(try await again.send(Cmi5Sessions.Verb.terminated) == .ok)

            // The rest of the course: when every AU's moveOn is met, the course is satisfied and complete.
            let status = { try await app.send(.GET, "/api/v1/me/enrolments", token: learner).items.first { $0["courseId"] as? String == course }?["status"] as? String }
            for item in items.dropFirst(2) {
                #expect(try await status() == "active")
                var next = try AU(app, launch: try await launch(app, course, item, learner))
                _ = try await next.fetch()
                #expect(try await next.send(Cmi5Sessions.Verb.initialized) == .ok)
                #expect(try await next.send(Cmi5Sessions.Verb.passed, score: 0.9) == .ok)
                #expect(try await next.send(Cmi5Sessions.Verb.terminated) == .ok)
            }
            #expect(try await status() == "completed")
            let satisfied = admin.list(try await admin.send(.GET, "/xapi/statements?verb=\(Cmi5Sessions.Verb.satisfied)"))
            let objects = satisfied.compactMap { ($0["object"] as? [String: Any])?["id"] as? String }
            #expect(objects.count == 3 && Set(objects) == [Self.course + "/block1", Self.course + "/block2", Self.course], "each block, then the course")

            // Another learner's launch reads only their own statements.
            let other = try await app.token("learner.health")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: other).status == .created)
            var theirs = try AU(app, launch: try await launch(app, course, items[0], other))
            _ = try await theirs.fetch()
            let seen = client(theirs).list(try await theirs.client.send(.GET, "/xapi/statements"))
            #expect(seen.count == 1 && (seen[0]["verb"] as? [String: Any])?["id"] as? String == Cmi5Sessions.Verb.launched)
            #expect(try await theirs.client.send(.GET, "/xapi/activities/state?activityId=\(aus[0])&agent=\(agent)&registration=\(launched.registration)&stateId=LMS.LaunchData").status == .forbidden)
        }
    }

    func client(_ au: AU) -> XAPIClient { au.client }

    @Test func badCmi5UploadsAreRefusedWithTheirReasons() async throws {
        try await withApp { app, world in
            let creator = try await app.token("creator.mha")
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let course = try await app.send(.POST, "/api/v1/courses", token: creator, json: courseBody(world, competency: competency)).json["id"] as! String
            for name in ["lts/invalid/202-1-relative-url-no-zip.xml", "lts/invalid/205-3-duplicated-au.xml", "lts/invalid/210-1-no-cmi5-xml.zip", "lts/invalid/209-1-not-a-zip.zip"] {
                let bytes = try [UInt8](Data(contentsOf: ContentFileTests.fixtures.appendingPathComponent("cmi5/" + name)))
                let reply = try await upload(app, course: course, token: creator, kind: nil, name: String(name.split(separator: "/").last!), bytes: bytes, to: "packages")
                #expect(reply.status == .unprocessableEntity && reply.fields.allSatisfy { $0 == "file" } && !reply.fields.isEmpty, "\(name): \(reply.body)")
            }
            #expect(try await ContentPackage.query(on: app.db).count() == 0)
            let standalone = try [UInt8](Data(contentsOf: ContentFileTests.fixtures.appendingPathComponent("cmi5/lts/valid/import/101-one-thousand-aus.xml")))
            let reply = try await upload(app, course: course, token: creator, kind: nil, name: "thousand.xml", bytes: standalone, to: "packages")
            let thousand = try reply.decoded(ContentPackageDTO.self)
            #expect(reply.status == .created && thousand.activities.count == 1001)
        }
    }
}
