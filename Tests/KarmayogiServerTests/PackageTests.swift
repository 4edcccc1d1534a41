import Fluent
import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import VaporTesting
import ZIPFoundation

@Suite struct PackageTests {
    func fixture(_ path: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: ContentFileTests.fixtures.appendingPathComponent("scorm/" + path)))
    }

    /// A fresh content store in a folder of its own, and a draft course of the MHA's provider.
    func setUp(_ app: Application, _ world: TestWorld) async throws -> (course: String, creator: String, root: URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("packages-\(UUID().uuidString)")
        app.contentStore = DirectoryContentStore(root: root)
        let creator = try await app.token("creator.mha")
        let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
        let course = try await app.send(.POST, "/api/v1/courses", token: creator, json: courseBody(world, competency: competency)).json["id"] as! String
        return (course, creator, root)
    }

    func storedFiles(_ root: URL) -> [String] {
        (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
    }

    @Test func aPackageIsCheckedUnpackedAndItsActivitiesBecomeItems() async throws {
        try await withApp { app, world in
            let (course, creator, root) = try await setUp(app, world)
            defer { try? FileManager.default.removeItem(at: root) }
            let reply = try await upload(app, course: course, token: creator, kind: nil, name: "golf.zip",
                                         bytes: try fixture("scorm2004/SequencingForcedSequential_SCORM20043rdEdition.zip"), to: "packages")
            #expect(reply.status == .created)
            let package = try reply.decoded(ContentPackageDTO.self)
            #expect(package.standard == "scorm_2004_3rd" && package.standardTitle == "SCORM 2004 3rd Edition")
            #expect(package.activities.map(\.identifier) == ["playing_item", "etuqiette_item", "handicapping_item", "havingfun_item", "assessment_item"])
            #expect(package.activities.allSatisfy(\.sco) && package.warnings.isEmpty && package.fileName == "golf.zip")

            let stored = try #require(try await ContentPackage.find(package.id, on: app.db))
            for activity in package.activities {
                let path = String(activity.launch.prefix { $0 != "?" && $0 != "#" })
                #expect(app.contentStore.packageFile(stored.archiveSHA256, path: path) != nil, "\(path) was unpacked")
            }
            #expect(app.contentStore.packageFile(stored.archiveSHA256, path: "../../etc/passwd") == nil)

            #expect(try await app.send(.GET, "/api/v1/packages/\(package.id)", token: creator).decoded(ContentPackageDTO.self).activities.count == 5)
            #expect(try await app.send(.GET, "/api/v1/packages/\(package.id)", token: try await app.token("learner.mha")).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/packages/\(package.id)", token: try await app.token("mdo.health")).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/packages/\(UUID())", token: creator).status == .notFound)

            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            func items(_ urls: [String]) -> [String: Any] {
                courseBody(world, competency: competency, modules: [["title": "Golf", "items": urls.map {
                    ["title": "Golf", "kind": "scorm", "durationMinutes": 20, "required": true, "url": $0]
                }]])
            }
            let saved = try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: items(package.activities.map(\.reference)))
            #expect(saved.status == .ok)
            let missing = try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: items(["scorm:\(package.id.uuidString.lowercased())/no_such_item"]))
            #expect(missing.fields == ["modules[0].items[0].url"])
            #expect(try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: items(["scorm:\(UUID().uuidString)/playing_item"])).fields
                    == ["modules[0].items[0].url"])
            #expect(try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: items(["content:abc"])).fields == ["modules[0].items[0].url"])

            let foreign = ContentPackage()
            foreign.id = UUID()
            foreign.providerID = world.health
            foreign.standard = stored.standard
            foreign.title = stored.title
            foreign.archiveSHA256 = stored.archiveSHA256
            foreign.structure = stored.structure
            foreign.uploadedBy = world.users["mdo.health"]!
            foreign.fileName = "theirs.zip"
            foreign.createdAt = Date()
            try await foreign.create(on: app.db)
            let theirs = try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: items(["scorm:\(foreign.id!.uuidString)/playing_item"]))
            #expect(theirs.fields == ["modules[0].items[0].url"], "another provider's package is out of reach")

            let again = try await upload(app, course: course, token: creator, kind: nil, name: "again.zip",
                                         bytes: try fixture("scorm2004/SequencingForcedSequential_SCORM20043rdEdition.zip"), to: "packages")
            #expect(again.status == .created && storedFiles(root).filter { $0.hasPrefix("packages/") && !$0.dropFirst(9).contains("/") }.count == 1,
                    "the same archive is unpacked once")
        }
    }

    @Test func aBadPackageIsRefusedWithItsReasonsAndLeavesNothingBehind() async throws {
        try await withApp { app, world in
            let (course, creator, root) = try await setUp(app, world)
            defer { try? FileManager.default.removeItem(at: root) }
            func refused(_ bytes: [UInt8]) async throws -> [String] {
                let reply = try await upload(app, course: course, token: creator, kind: nil, name: "bad.zip", bytes: bytes, to: "packages")
                #expect(reply.status == .unprocessableEntity && reply.fields.allSatisfy { $0 == "file" })
                return (reply.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
            }
            let page = Data("<html></html>".utf8)
            func zip(_ entries: [(String, Data, Entry.EntryType)]) throws -> [UInt8] {
                let archive = try Archive(data: Data(), accessMode: .create, pathEncoding: nil)
                for (path, bytes, type) in entries {
                    try archive.addEntry(with: path, type: type, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
                        bytes.subdata(in: Int(position)..<Int(position) + size)
                    }
                }
                return [UInt8](archive.data!)
            }
            let manifest = try Data(contentsOf: ContentFileTests.fixtures.appendingPathComponent("scorm/scorm2004/adl-cts-manifests/LMSTestPackage_API.imsmanifest.xml"))
            #expect(try await refused(try zip([("imsmanifest.xml", manifest, .file), ("../../escape.html", page, .file)]))
                    == ["the package's entry ‘../../escape.html’ would be written outside the package's folder"])
            #expect(try await refused(try zip([("imsmanifest.xml", manifest, .file), ("/tmp/abs.html", page, .file)])).first?.contains("outside") == true)
            #expect(try await refused(try zip([("imsmanifest.xml", manifest, .file), ("link.html", Data("/etc/passwd".utf8), .symlink)])).first?.contains("symbolic link") == true)
            #expect(try await refused(try zip([("zeros.bin", Data(count: 30 << 20), .file)])).first?.contains("ZIP bomb") == true)
            #expect(try await refused(try fixture("aicc/aicc.zip")).first?.contains("AICC") == true)
            #expect(try await refused(try fixture("invalid/MalformedXml_SCORM12.zip")).first?.contains("not well-formed") == true)
            #expect(try await refused(try fixture("invalid/MissingRequiredFields_SCORM12.zip")) == ["the organization ‘default_org’ has no <title>"])
            #expect(try await refused(Array("%PDF-1.4 not a zip".utf8)) == ["the file is neither a ZIP archive nor a cmi5.xml course structure"])
            #expect(try await ContentPackage.query(on: app.db).count() == 0)
            #expect(storedFiles(root).isEmpty, "nothing refused was kept: \(storedFiles(root))")

            #expect(try await upload(app, course: course, token: try await app.token("reviewer.mha"), kind: nil, name: "a.zip",
                                     bytes: try fixture("scorm12/ContentPackagingSingleSCO_SCORM12.zip"), to: "packages").status == .forbidden)
            #expect(try await upload(app, course: course, token: try await app.token("learner.mha"), kind: nil, name: "a.zip",
                                     bytes: try fixture("scorm12/ContentPackagingSingleSCO_SCORM12.zip"), to: "packages").status == .notFound)
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/packages", token: creator, json: ["file": "x"]).status == .unsupportedMediaType)
            app.settings.contentMaxBytes = 1024
            let large = try await upload(app, course: course, token: creator, kind: nil, name: "big.zip",
                                         bytes: try fixture("scorm12/ContentPackagingSingleSCO_SCORM12.zip"), to: "packages")
            #expect(large.status == .payloadTooLarge && large.isProblem)
            #expect(try await ContentPackage.query(on: app.db).count() == 0)
        }
    }

    @Test func anAuthorUploadsAPackageInTheEditorAndSeesWhatWasFound() async throws {
        try await withApp { app, world in
            let (course, _, root) = try await setUp(app, world)
            defer { try? FileManager.default.removeItem(at: root) }
            var browser = Browser(app)
            try await browser.signIn("creator.mha")
            let editor = try await browser.get("/author/courses/\(course)")
            #expect(editor.status == .ok)
            let author = try #require(try await User.query(on: app.db).filter(\.$email == "creator.mha@test.example.org").first()?.id)
            func content() async throws -> CourseContent {
                try await Courses.visible(UUID(uuidString: course)!, to: try await Principal.load(userID: author, on: app.db), on: app.db).1.content
            }
            let module = try #require(try await content().modules.first?.id).uuidString
            let before = try await content().modules[0].items.count

            let added = try await browser.post("/author/courses/\(course)/add-item", multipart: ["moduleId": module, "title": "", "kind": "scorm", "durationMinutes": "15", "required": "1"],
                                               file: ("file", "golf-multi.zip", try fixture("scorm2004/SequencingSimpleRemediation_SCORM20043rdEdition.zip")))
            #expect(added.status == .seeOther)
            let location = try #require(added.headers.first(name: .location))
            #expect(location.contains("package=") && location.hasSuffix("#package"))
            let items = try await content().modules[0].items
            #expect(items.count > before + 1 && items.dropFirst(before).allSatisfy { $0.kind == .scorm && $0.url?.hasPrefix("scorm:") == true && $0.durationMinutes == 15 })
            let shown = try await browser.get(String(location.prefix { $0 != "#" }))
            #expect(shown.body.contains("What the package golf-multi.zip holds") && shown.body.contains("SCORM 2004 3rd Edition"))
            #expect(shown.body.contains("SCO: reports progress"))

            let refused = try await browser.post("/author/courses/\(course)/add-item", multipart: ["moduleId": module, "title": "Bad", "kind": "scorm", "durationMinutes": "15"],
                                                 file: ("file", "bad.zip", try fixture("invalid/MissingRequiredFields_SCORM12.zip")))
            #expect(refused.status == .unprocessableEntity && refused.body.contains("the organization ‘default_org’ has no &lt;title&gt;"))
            #expect(try await content().modules[0].items.count == items.count, "a refused package adds nothing")

            let hindi = try await browser.get(String(location.prefix { $0 != "#" }) + "&lang=hi")
            #expect(hindi.body.contains("पैकेज golf-multi.zip में क्या है"))
        }
    }

    /// A published course of one required SCORM item from `fixture`, and its item's id.
    func publishedScormCourse(_ app: Application, _ world: TestWorld, _ fixture: String) async throws -> (course: String, item: String) {
        let (course, creator, _) = try await setUp(app, world)
        let package = try await upload(app, course: course, token: creator, kind: nil, name: "golf.zip", bytes: try self.fixture(fixture), to: "packages")
            .decoded(ContentPackageDTO.self)
        let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
        let saved = try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: courseBody(world, competency: competency, modules: [
            ["title": "Golf", "items": [["title": "Golf", "kind": "scorm", "durationMinutes": 20, "required": true, "url": package.activities[0].reference]]],
        ]))
        for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
            guard try await app.send(.POST, "/api/v1/courses/\(course)/\(action)", token: try await app.token(key)).status == .ok else { throw TestFailure("\(action) failed") }
        }
        let item = try #require((saved.json["modules"] as? [[String: Any]])?.first.flatMap { ($0["items"] as? [[String: Any]])?.first?["id"] as? String })
        return (course, item)
    }

    @Test func aForcedOrderKeepsEachPartShutUntilTheOneBeforeIsSatisfied() async throws {
        try await withApp { app, world in
            let (course, creator, root) = try await setUp(app, world)
            defer { try? FileManager.default.removeItem(at: root) }
            let package = try await upload(app, course: course, token: creator, kind: nil, name: "forced.zip",
                                           bytes: try fixture("scorm2004/SequencingForcedSequential_SCORM20043rdEdition.zip"), to: "packages")
                .decoded(ContentPackageDTO.self)
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let saved = try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: courseBody(world, competency: competency, modules: [
                ["title": "Golf", "items": package.activities.map { ["title": $0.title, "kind": "scorm", "durationMinutes": 10, "required": true, "url": $0.reference] }],
            ]))
            for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
                #expect(try await app.send(.POST, "/api/v1/courses/\(course)/\(action)", token: try await app.token(key)).status == .ok)
            }
            let items = try #require((saved.json["modules"] as? [[String: Any]])?.first?["items"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: try await app.token("learner.mha")).status == .created)
            var browser = Browser(app)
            try await browser.signIn("learner.mha")
            var page = try await browser.get("/learn/\(course)")
            #expect(page.body.contains("/play/\(items[0])\"") && !page.body.contains("/play/\(items[1])\""))
            #expect(page.body.contains("Opens once the part before it is done"))
            #expect(try await browser.get("/learn/\(course)/play/\(items[1])").status == .conflict, "a shut part does not launch")

            let token = try #require(launchToken(try await browser.get("/learn/\(course)/play/\(items[0])")))
            let early = try await browser.get("/learn/\(course)/play/\(items[0])/next")
            #expect(early.headers.first(name: .location) == "/learn/\(course)#item-\(items[0])", "nothing to continue to yet")
            let next = try await browser.get("/learn/\(course)/play/\(items[0])")
            let second = try #require(launchToken(next))
            _ = token
            let done = try await app.send(.POST, "/scorm/\(second)/commit", json: ["values": [["cmi.completion_status", "completed"], ["cmi.success_status", "passed"],
                                                                                             ["adl.nav.request", "continue"]], "finish": true])
            #expect(done.status == .ok)
            let moved = try await browser.get("/learn/\(course)/play/\(items[0])/next")
            #expect(moved.headers.first(name: .location) == "/learn/\(course)/play/\(items[1])", "continue leads to the part now open")
            page = try await browser.get("/learn/\(course)")
            #expect(page.body.contains("/play/\(items[1])\"") && !page.body.contains("/play/\(items[2])\""))
            #expect(try await browser.get("/learn/\(course)/play/\(items[1])").status == .ok)
            let back = try await browser.get("/learn/\(course)/play/\(items[1])/previous")
            #expect(back.headers.first(name: .location) == "/learn/\(course)/play/\(items[0])")
        }
    }

    func launchToken(_ page: Reply) -> String? {
        guard let range = page.body.range(of: #"/scorm/[A-Za-z0-9_-]{43}/"#, options: .regularExpression) else { return nil }
        return String(page.body[range].dropFirst("/scorm/".count).dropLast())
    }

    func launchData(_ app: Application, _ token: String) async throws -> ScormRuntimeController.Launch {
        let frame = try await app.send(.GET, "/scorm/\(token)/")
        #expect(frame.status == .ok && frame.headers.first(name: .setCookie) == nil, "the runtime neither reads nor sets a cookie")
        let start = try #require(frame.body.range(of: "<script type=\"application/json\" id=\"scorm-launch\">")).upperBound
        let end = try #require(frame.body.range(of: "</script>", range: start..<frame.body.endIndex)).lowerBound
        return try JSONDecoder().decode(ScormRuntimeController.Launch.self, from: Data(frame.body[start..<end].utf8))
    }

    @Test func anAppLaunchesASCORMItemThroughTheAPI() async throws {
        try await withApp { app, world in
            let (course, item) = try await publishedScormCourse(app, world, "scorm12/RuntimeBasicCalls_SCORM12.zip")
            let learner = try await app.token("learner.mha")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/items/\(item)/launch", token: learner).status == .conflict, "enrol first")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner).status == .created)
            let launched = try await app.send(.POST, "/api/v1/courses/\(course)/items/\(item)/launch", token: learner).decoded(ItemLaunchDTO.self)
            #expect(launched.kind == "scorm" && launched.url.contains("/scorm/") && launched.expiresAt > Date())
            let path = try #require(URLComponents(string: launched.url)?.path)
            let token = String(path.split(separator: "/")[1])
            #expect(try await launchData(app, token).values["cmi.core.entry"] == "ab-initio", "the runtime answers the launch")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/items/\(UUID())/launch", token: learner).status == .notFound)
        }
    }

    @Test func overlappingCommitsOfOneLaunchAreAllKept() async throws {
        try await withApp { app, world in
            let (course, item) = try await publishedScormCourse(app, world, "scorm12/RuntimeBasicCalls_SCORM12.zip")
            let learner = try await app.token("learner.mha")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner).status == .created)
            let launched = try await app.send(.POST, "/api/v1/courses/\(course)/items/\(item)/launch", token: learner).decoded(ItemLaunchDTO.self)
            let token = String(try #require(URLComponents(string: launched.url)?.path).split(separator: "/")[1])
            // Eight commits at once, each of its own element: every one is kept, none written over another.
            let sent = [("cmi.core.lesson_location", "page-7"), ("cmi.suspend_data", "visited=1-7"), ("cmi.core.score.raw", "64"),
                        ("cmi.core.score.min", "0"), ("cmi.core.score.max", "100"), ("cmi.student_preference.audio", "1"),
                        ("cmi.student_preference.speed", "10"), ("cmi.student_preference.text", "1")]
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for (element, value) in sent {
                    group.addTask { try await app.send(.POST, "/scorm/\(token)/commit", json: ["values": [[element, value]]]).status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses)")
            let values = try await launchData(app, token).values
            for (element, value) in sent { #expect(values[element] == value, "\(element)") }
        }
    }

    @Test func aLearnerPlaysASCOThatIsTrackedResumedAndCompletesTheCourse() async throws {
        try await withApp { app, world in
            let (course, item) = try await publishedScormCourse(app, world, "scorm12/RuntimeBasicCalls_SCORM12.zip")
            let learner = try await app.token("learner.mha")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner).status == .created)
            var browser = Browser(app)
            try await browser.signIn("learner.mha")
            let player = try await browser.get("/learn/\(course)")
            #expect(player.body.contains("/learn/\(course)/play/\(item)") && !player.body.contains("name=\"itemId\" value=\"\(item)\""),
                    "a SCORM item is played, not marked done by hand")
            let page = try await browser.get("/learn/\(course)/play/\(item)")
            #expect(page.status == .ok)
            #expect(page.headers.first(name: "Content-Security-Policy")?.contains("frame-src http") == true)
            let token = try #require(launchToken(page))

            var launch = try await launchData(app, token)
            #expect(launch.version == "scorm_1.2" && launch.values["cmi.core.entry"] == "ab-initio" && launch.values["cmi.core.lesson_status"] == "not attempted")
            #expect(launch.values["cmi.core.student_name"] == "Learner.Mha" && launch.definitions.contains { $0.name == "cmi.core.lesson_status" })
            let file = try await app.send(.GET, launch.launch)
            #expect(file.status == .ok && file.headers.first(name: "Content-Security-Policy")?.hasPrefix("sandbox allow-scripts") == true)
            #expect(try await app.send(.GET, "/scorm/\(token)/files/%2E%2E/%2E%2E/etc/passwd").status == .notFound)
            #expect(try await app.send(.GET, "/scorm/\(String(repeating: "A", count: 43))/").status == .notFound)

            func commit(_ values: [[String]], finish: Bool = false) async throws -> Reply {
                try await app.send(.POST, "/scorm/\(token)/commit", json: ["values": values, "finish": finish])
            }
            let refused = try await commit([["cmi.core.lesson_location", "p2"], ["cmi.core.student_id", "someone-else"], ["cmi.core.score.raw", "250"]])
            #expect(refused.status == .unprocessableEntity && refused.fields == ["values[1]", "values[2]"])
            #expect(try await launchData(app, token).values["cmi.core.lesson_location"] == nil, "a refused commit changes nothing")
            #expect(try await app.send(.POST, "/scorm/\(token)/commit", body: "{not json", contentType: .json).status == .unprocessableEntity)

            let kept = try await commit([["cmi.core.lesson_location", "page-3"], ["cmi.suspend_data", "visited=1,2,3"], ["cmi.core.lesson_status", "incomplete"],
                                         ["cmi.core.exit", "suspend"], ["cmi.core.session_time", "0000:02:30"]], finish: true)
            #expect(kept.status == .ok && kept.json["status"] as? Int == 1)

            let again = try await browser.get("/learn/\(course)/play/\(item)")
            let second = try #require(launchToken(again))
            let retired = try await app.send(.GET, "/scorm/\(token)/")
            #expect(second != token && retired.status == .notFound, "a new launch retires the old token")
            launch = try await launchData(app, second)
            #expect(launch.values["cmi.core.entry"] == "resume" && launch.values["cmi.core.lesson_location"] == "page-3")
            #expect(launch.values["cmi.suspend_data"] == "visited=1,2,3" && launch.values["cmi.core.total_time"] == "0000:02:30")
            #expect(launch.values["cmi.core.exit"] == nil && launch.values["cmi.core.session_time"] == nil)

            let done = try await app.send(.POST, "/scorm/\(second)/commit", json: ["values": [["cmi.core.score.raw", "90"], ["cmi.core.lesson_status", "completed"],
                                                                                             ["cmi.core.exit", ""], ["cmi.core.session_time", "0000:01:00"]], "finish": true])
            #expect(done.status == .ok && done.json["status"] as? Int == 2 && done.json["score"] as? Double == 90)
            let mine = try await app.send(.GET, "/api/v1/me/enrolments", token: learner).items.first { $0["courseId"] as? String == course }
            #expect(mine?["status"] as? String == "completed", "the SCO's completion completes the course: \(String(describing: mine))")
            let attempt = try #require(try await ScormAttempt.query(on: app.db).first())
            #expect(attempt.seconds == 210 && attempt.completed)

            app.clock = PlatformClock { Date().addingTimeInterval(9 * 3600) }
            #expect(try await app.send(.GET, "/scorm/\(second)/").status == .notFound, "a launch expires")
            app.clock = .system
            let third = try #require(launchToken(try await browser.get("/learn/\(course)/play/\(item)")))
            #expect(try await launchData(app, third).values["cmi.core.entry"] == "ab-initio", "a finished, completed attempt starts a new one")
            #expect(try await ScormAttempt.query(on: app.db).count() == 2)

            var outsider = Browser(app)
            try await outsider.signIn("learner.health")
            #expect(try await outsider.get("/learn/\(course)/play/\(item)").status == .seeOther, "someone not enrolled is sent to the course")
        }
    }
}
