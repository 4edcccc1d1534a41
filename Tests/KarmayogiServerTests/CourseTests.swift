import Fluent
import Foundation
import Testing
import Vapor
@testable import KarmayogiServer

/// A course as a provider's creator writes it.
/// A file sent to a course as its author would (multipart, with its kind).
/// Sends `bytes` as the `file` of a multipart form (with `kind` when given) to the course's `files` or `packages`.
func upload(_ app: Application, course: String, token: String, kind: String?, name: String, bytes: [UInt8], to endpoint: String = "files") async throws -> Reply {
    let boundary = "----files"
    var body = Array((kind.map { "--\(boundary)\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n\($0)\r\n" } ?? "").utf8)
    body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
    body += bytes + Array("\r\n--\(boundary)--\r\n".utf8)
    var headers = HTTPHeaders()
    headers.bearerAuthorization = BearerAuthorization(token: token)
    headers.contentType = .init(type: "multipart", subType: "form-data", parameters: ["boundary": boundary])
    var reply: Reply?
    try await app.testing().test(.POST, "/api/v1/courses/\(course)/\(endpoint)", headers: headers, body: ByteBuffer(bytes: body)) {
        reply = Reply(status: $0.status, headers: $0.headers, body: $0.body.string)
    }
    return reply!
}

func courseBody(_ world: TestWorld, competency: String, title: String = "Noting and Drafting in e-Office", modules: [[String: Any]]? = nil) -> [String: Any] {
    [
        "title": title, "summary": "Write clear notes and drafts in e-Office.", "description": "For section officers.",
        "keywords": ["e-office", "noting", "ई-ऑफिस"], "language": "hi", "providerId": world.mha.uuidString, "durationMinutes": 120,
        "competencies": [["competencyId": competency, "level": 2]],
        "modules": modules ?? [["title": "Noting", "items": [
            ["title": "Why notes matter", "kind": "video", "durationMinutes": 12, "required": true],
            ["title": "Manual of Office Procedure", "kind": "link", "durationMinutes": 30, "required": false, "url": "https://example.gov.in/mop.pdf"],
        ]]],
    ]
}

@Suite struct CourseWorkflowTests {
    func competency(_ app: Application) async throws -> String {
        try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
    }

    @Test func aCourseGoesFromDraftToTheCatalogueWithEveryStepRecorded() async throws {
        try await withApp { app, world in
            let creator = try await app.token("creator.mha"), reviewer = try await app.token("reviewer.mha")
            let publisher = try await app.token("publisher.mha"), learner = try await app.token("learner.health")
            let created = try await app.send(.POST, "/api/v1/courses", token: creator, json: courseBody(world, competency: try await competency(app)))
            #expect(created.status == .created)
            #expect(created.json["state"] as? String == "draft" && created.json["version"] as? Int == 1)
            let items = ((created.json["modules"] as? [[String: Any]])?.first?["items"] as? [[String: Any]]) ?? []
            #expect(items.count == 2 && items.allSatisfy { $0["id"] is String }, "items get ids")
            let id = created.json["id"] as! String
            #expect(try await app.send(.GET, "/api/v1/courses/\(id)", token: learner).status == .notFound, "drafts are not public")
            #expect(try await app.send(.GET, "/api/v1/courses").items.isEmpty)
            let drafts = try await app.send(.GET, "/api/v1/courses?view=authoring", token: reviewer)
            #expect(drafts.items.count == 1)

            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/submit", token: creator, body: "", contentType: .json).json["state"] as? String == "in_review",
                    "an empty body is no comment")
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/approve", token: creator).status == .forbidden)
            let bare = try await app.send(.POST, "/api/v1/courses/\(id)/reject", token: reviewer)
            #expect(bare.status == .unprocessableEntity && bare.fields == ["comment"])
            let rejected = try await app.send(.POST, "/api/v1/courses/\(id)/reject", token: reviewer, json: ["comment": "Add a module on drafting."])
            #expect(rejected.json["state"] as? String == "draft")
            var revised = courseBody(world, competency: try await competency(app))
            revised["modules"] = (created.json["modules"] as! [[String: Any]]) + [["title": "Drafting", "items": [["title": "Letters", "kind": "document", "durationMinutes": 20, "required": true]]]]
            let saved = try await app.send(.PUT, "/api/v1/courses/\(id)", token: creator, json: revised)
            #expect(saved.status == .ok && saved.json["version"] as? Int == 1 && (saved.json["modules"] as? [Any])?.count == 2)
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/submit", token: creator).status == .ok)
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/approve", token: reviewer).status == .ok)
            let published = try await app.send(.POST, "/api/v1/courses/\(id)/publish", token: publisher)
            #expect(published.json["state"] as? String == "published" && published.json["status"] as? String == "published")

            let catalogue = try await app.send(.GET, "/api/v1/courses?language=hi")
            #expect(catalogue.items.map { $0["id"] as? String } == [id])
            #expect(try await app.send(.GET, "/api/v1/courses/\(id)", token: learner).status == .ok)
            let history = try await app.send(.GET, "/api/v1/courses/\(id)/history", token: reviewer)
            #expect(history.items.map { "\($0["action"]!):\($0["from"]!)→\($0["to"]!)" } == [
                "submit:draft→in_review", "reject:in_review→draft", "submit:draft→in_review", "approve:in_review→approved", "publish:approved→published",
            ])
            #expect(history.items[1]["comment"] as? String == "Add a module on drafting.")
            #expect(try await app.send(.GET, "/api/v1/courses/\(id)/history", token: learner).status == .notFound)
        }
    }

    @Test func aPublishedVersionNeverChanges() async throws {
        try await withApp { app, world in
            let creator = try await app.token("creator.mha"), reviewer = try await app.token("reviewer.mha"), publisher = try await app.token("publisher.mha")
            let created = try await app.send(.POST, "/api/v1/courses", token: creator, json: courseBody(world, competency: try await competency(app)))
            let id = created.json["id"] as! String
            for (token, action) in [(creator, "submit"), (reviewer, "approve"), (publisher, "publish")] {
                #expect(try await app.send(.POST, "/api/v1/courses/\(id)/\(action)", token: token).status == .ok)
            }
            var edit = courseBody(world, competency: try await competency(app), title: "Noting and Drafting in e-Office (2026)")
            edit["modules"] = created.json["modules"]
            let draft = try await app.send(.PUT, "/api/v1/courses/\(id)", token: creator, json: edit)
            #expect(draft.json["version"] as? Int == 2 && draft.json["state"] as? String == "draft")
            let firstItem = { (reply: Reply) in ((reply.json["modules"] as? [[String: Any]])?.first?["items"] as? [[String: Any]])?.first?["id"] as? String }
            #expect(firstItem(draft) == firstItem(created), "an item keeps its id across versions")
            let learnerSees = try await app.send(.GET, "/api/v1/courses/\(id)", token: try await app.token("learner.health"))
            #expect(learnerSees.json["version"] as? Int == 1 && learnerSees.json["title"] as? String == "Noting and Drafting in e-Office")
            for (token, action) in [(creator, "submit"), (reviewer, "approve"), (publisher, "publish")] {
                #expect(try await app.send(.POST, "/api/v1/courses/\(id)/\(action)", token: token).status == .ok)
            }
            let now = try await app.send(.GET, "/api/v1/courses/\(id)")
            #expect(now.json["version"] as? Int == 2 && now.json["publishedVersion"] as? Int == 2)
            let versions = try await CourseVersion.query(on: app.db).sort(\.$version).all()
            #expect(versions.map(\.state) == [.superseded, .published])
            #expect(versions[0].content.title == "Noting and Drafting in e-Office", "version 1 is as it was published")
            let retired = try await app.send(.POST, "/api/v1/courses/\(id)/retire", token: publisher)
            #expect(retired.json["status"] as? String == "retired")
            #expect(try await app.send(.GET, "/api/v1/courses").items.isEmpty, "hidden from the catalogue")
            #expect(try await app.send(.GET, "/api/v1/courses/\(id)").status == .ok, "still readable for those enrolled")
        }
    }

    @Test func badCoursesAndStepsChangeNothing() async throws {
        try await withApp { app, world in
            let creator = try await app.token("creator.mha")
            let known = try await competency(app)
            var unknown = courseBody(world, competency: UUID().uuidString)
            #expect(try await app.send(.POST, "/api/v1/courses", token: creator, json: unknown).fields == ["competencies[0].competencyId"])
            for level in [0, 6] {
                unknown = courseBody(world, competency: known)
                unknown["competencies"] = [["competencyId": known, "level": level]]
                #expect(try await app.send(.POST, "/api/v1/courses", token: creator, json: unknown).fields == ["competencies[0].level"])
            }
            #expect(try await app.send(.POST, "/api/v1/courses", token: try await app.token("learner.mha"), json: courseBody(world, competency: known)).status == .forbidden)
            #expect(try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"),
                                       json: courseBody(world, competency: known).merging(["providerId": world.health.uuidString]) { $1 }).status == .unprocessableEntity)
            #expect(try await Course.query(on: app.db).count() == 0)

            let empty = try await app.send(.POST, "/api/v1/courses", token: creator, json: courseBody(world, competency: known, modules: []))
            #expect(empty.status == .created, "an empty draft may be saved")
            let id = empty.json["id"] as! String
            let submit = try await app.send(.POST, "/api/v1/courses/\(id)/submit", token: creator)
            #expect(submit.status == .unprocessableEntity && submit.fields == ["modules"])
            let emptyModule = courseBody(world, competency: known, modules: [["title": "Empty", "items": []]])
            _ = try await app.send(.PUT, "/api/v1/courses/\(id)", token: creator, json: emptyModule)
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/submit", token: creator).fields.contains("modules[0].items"))
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/publish", token: try await app.token("publisher.mha")).status == .conflict)
            _ = try await app.send(.PUT, "/api/v1/courses/\(id)", token: creator, json: courseBody(world, competency: known))
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/submit", token: creator).status == .ok)
            #expect(try await app.send(.PUT, "/api/v1/courses/\(id)", token: creator, json: courseBody(world, competency: known)).status == .conflict)
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/submit", token: creator).status == .conflict)
            #expect(try await CourseTransition.query(on: app.db).count() == 1, "only the one allowed step was recorded")
        }
    }

    @Test func scriptInTextIsStoredAsGivenAndLongQueriesAreRefused() async throws {
        try await withApp { app, world in
            let body = courseBody(world, competency: try await competency(app), title: "<script>alert('x')</script> Drafting")
            let created = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: body)
            #expect(created.json["title"] as? String == "<script>alert('x')</script> Drafting")
            let long = try await app.send(.GET, "/api/v1/courses?q=" + String(repeating: "a", count: 10_000))
            #expect(long.status == .unprocessableEntity && long.fields == ["q"])
            #expect(try await app.send(.GET, "/api/v1/courses?view=authoring").status == .unauthorized)
            #expect(try await app.send(.GET, "/api/v1/courses?view=authoring", token: try await app.token("learner.mha")).status == .forbidden)
        }
    }
}

@Suite struct CatalogueSearchTests {
    /// Publishes a course straight through the workflow and returns its id.
    func publish(_ app: Application, _ world: TestWorld, title: String, language: String = "en", keywords: [String] = [],
                 competency: String, kind: String = "video", minutes: Int = 60) async throws -> String {
        var body = courseBody(world, competency: competency, title: title,
                              modules: [["title": "One", "items": [["title": "Watch", "kind": kind, "durationMinutes": 10, "required": true]]]])
        body["language"] = language
        body["keywords"] = keywords
        body["durationMinutes"] = minutes
        let created = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: body)
        let id = created.json["id"] as! String
        for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
            let reply = try await app.send(.POST, "/api/v1/courses/\(id)/\(action)", token: try await app.token(key))
            guard reply.status == .ok else { throw TestFailure("\(action) failed: \(reply.body)") }
        }
        return id
    }

    @Test func searchFindsCoursesInEveryScriptWithFacets() async throws {
        try await withApp { app, world in
            let behavioural = try await app.send(.GET, "/api/v1/competencies?q=Self-Analysis").items[0]["id"] as! String
            let functional = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let english = try await publish(app, world, title: "Office Procedure in e-Office", competency: functional, minutes: 45)
            let hindi = try await publish(app, world, title: "कार्यालय प्रक्रिया", language: "hi", keywords: ["ई-ऑफिस"], competency: functional, kind: "document", minutes: 90)
            let tamil = try await publish(app, world, title: "சுய பகுப்பாய்வு", language: "ta", competency: behavioural, minutes: 20)
            func ids(_ query: String) async throws -> [String] { try await app.send(.GET, "/api/v1/courses?\(query)").items.compactMap { $0["id"] as? String } }
            #expect(try await ids("q=%E0%A4%AA%E0%A5%8D%E0%A4%B0%E0%A4%95%E0%A5%8D%E0%A4%B0%E0%A4%BF%E0%A4%AF%E0%A4%BE") == [hindi], "प्रक्रिया")
            #expect(try await ids("q=OFFICE%20proc") == [english])
            #expect(try await ids("q=office+PROC&q=tamil") == [english], "+ is a space; a name given twice keeps its first value")
            #expect(try await ids("q=%E0%AE%9A%E0%AF%81%E0%AE%AF") == [tamil], "சுய")
            #expect(Set(try await ids("area=functional")) == [english, hindi])
            #expect(try await ids("competencyId=\(behavioural)") == [tamil])
            #expect(try await ids("kind=document") == [hindi])
            #expect(try await ids("minDuration=30&maxDuration=60") == [english])
            #expect(try await ids("language=hi") == [hindi])
            let all = try await app.send(.GET, "/api/v1/courses?sort=newest&limit=2").decoded(CataloguePage.self)
            #expect(all.total == 3 && all.items.count == 2)
            #expect(all.facets["language"] == ["en": 1, "hi": 1, "ta": 1])
            #expect(all.facets["area"] == ["functional": 2, "behavioural": 1])
            #expect(all.items.map(\.id) == [tamil, hindi].map { UUID(uuidString: $0)! } && all.items[1].kinds == [.document] && all.items[1].durationMinutes == 90)
            let rest = try await app.send(.GET, "/api/v1/courses?sort=newest&limit=2&cursor=\(all.nextCursor.value!)").decoded(CataloguePage.self)
            #expect(rest.items.count == 1 && rest.nextCursor.value == nil)
            #expect(Set((all.items + rest.items).map(\.id)) == Set([english, hindi, tamil].map { UUID(uuidString: $0)! }))
        }
    }

    @Test func theIndexFollowsPublishingAndRetiring() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            #expect(try await app.send(.GET, "/api/v1/courses?q=drafting").json["total"] as? Int == 0)
            let id = try await publish(app, world, title: "Drafting letters", competency: competency)
            #expect(try await app.send(.GET, "/api/v1/courses?q=drafting").json["total"] as? Int == 1)
            _ = try await app.send(.POST, "/api/v1/courses/\(id)/retire", token: try await app.token("publisher.mha"))
            #expect(try await app.send(.GET, "/api/v1/courses?q=drafting").json["total"] as? Int == 0)
            // Another server on the same database publishes it again: only the tables changed, and this index notices.
            let course = try await Course.find(UUID(uuidString: id)!, on: app.db)!
            let version = try await CourseVersion.query(on: app.db).filter(\.$course.$id == course.id!).first()!
            version.state = .published
            try await version.save(on: app.db)
            course.status = .published
            try await course.save(on: app.db)
            #expect(try await app.send(.GET, "/api/v1/courses?q=drafting").json["total"] as? Int == 1)
        }
    }

    @Test func badSearchParametersAreNamed() async throws {
        try await withApp { app, _ in
            let reply = try await app.send(.GET, "/api/v1/courses?area=cosmic&kind=hologram&minDuration=90&maxDuration=30&sort=best&competencyId=x")
            #expect(reply.status == .unprocessableEntity)
            #expect(Set(reply.fields) == ["area", "kind", "minDuration", "sort", "competencyId"])
            #expect(try await app.send(.GET, "/api/v1/courses?limit=500").fields == ["limit"])
            #expect(try await app.send(.GET, "/api/v1/courses?view=everything").fields == ["view"])
        }
    }
}

@Suite struct RatingTests {
    @Test func oneEditableRatingPerLearnerWithAnIncrementalSummary() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let id = try await CatalogueSearchTests().publish(app, world, title: "Rated course", competency: competency)
            let path = "/api/v1/courses/\(id)/ratings"
            // The catalogue answers its cards from what it encoded before, so long as neither the version nor the rating changed.
            #expect(try await app.send(.GET, "/api/v1/courses?sort=rating").decoded(CataloguePage.self).items.first?.rating == .unrated)
            let notEnrolled = try await app.send(.POST, path, token: try await app.token("learner.mha"), json: ["stars": 5])
            #expect(notEnrolled.status == .forbidden && notEnrolled.json["detail"] as? String == "Only a learner enrolled in the course may rate it; enrol first.")
            for key in ["learner.mha", "learner.health"] {
                #expect(try await app.send(.POST, "/api/v1/courses/\(id)/enrol", token: try await app.token(key)).status == .created)
            }
            let first = try await app.send(.POST, path, token: try await app.token("learner.mha"), json: ["stars": 5, "text": "<b>Very</b> useful"])
            #expect(first.status == .created && first.json["text"] as? String == "<b>Very</b> useful")
            #expect(try await app.send(.POST, path, token: try await app.token("learner.health"), json: ["stars": 2]).status == .created)
            let changed = try await app.send(.POST, path, token: try await app.token("learner.mha"), json: ["stars": 4, "text": "Useful"])
            #expect(changed.status == .ok)
            let page = try await app.send(.GET, path)
            let summary = page.json["summary"] as? [String: Any]
            #expect(summary?["count"] as? Int == 2 && summary?["average"] as? Double == 3)
            #expect(summary?["histogram"] as? [Int] == [0, 1, 0, 1, 0])
            #expect(page.items.count == 2 && page.items.first?["stars"] as? Int == 4, "newest first")
            #expect(try await CourseRating.query(on: app.db).count() == 2)
            let course = try await app.send(.GET, "/api/v1/courses/\(id)")
            #expect((course.json["rating"] as? [String: Any])?["count"] as? Int == 2)
            let sorted = try await app.send(.GET, "/api/v1/courses?sort=rating").decoded(CataloguePage.self)
            #expect(sorted.items.first?.rating == RatingSummaryDTO(average: 3, count: 2, histogram: [0, 1, 0, 1, 0]))
        }
    }

    @Test func badRatingsChangeNothing() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let id = try await CatalogueSearchTests().publish(app, world, title: "Rated course", competency: competency)
            let token = try await app.token("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(id)/enrol", token: token)
            for body: [String: Any] in [["stars": 0], ["stars": 6], ["stars": 3, "text": String(repeating: "x", count: 2001)], ["stars": "five"]] {
                #expect(try await app.send(.POST, "/api/v1/courses/\(id)/ratings", token: token, json: body).status == .unprocessableEntity)
            }
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/ratings", json: ["stars": 3]).status == .unauthorized)
            let draft = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: courseBody(world, competency: competency))
            #expect(try await app.send(.POST, "/api/v1/courses/\(draft.json["id"] as! String)/ratings", token: token, json: ["stars": 3]).status == .notFound)
            #expect(try await CourseRating.query(on: app.db).count() == 0)
        }
    }
}

@Suite struct TranslationTests {
    @Test func languageVersionsLinkEachOther() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let english = try await CatalogueSearchTests().publish(app, world, title: "Stress Management", competency: competency)
            let creator = try await app.token("creator.mha")
            var hindiBody = courseBody(world, competency: competency, title: "तनाव प्रबंधन")
            hindiBody["translationOf"] = english
            let hindi = try await app.send(.POST, "/api/v1/courses", token: creator, json: hindiBody)
            #expect(hindi.status == .created)
            let hindiID = hindi.json["id"] as! String
            let before = try await app.send(.GET, "/api/v1/courses/\(english)")
            #expect((before.json["translations"] as? [Any])?.isEmpty == true, "a draft translation is not shown to learners")
            #expect((before.json["rating"] as? [String: Any])?["count"] as? Int == 0, "an unrated course says so")
            for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
                #expect(try await app.send(.POST, "/api/v1/courses/\(hindiID)/\(action)", token: try await app.token(key)).status == .ok)
            }
            let fromEnglish = try await app.send(.GET, "/api/v1/courses/\(english)").json["translations"] as? [[String: Any]]
            #expect(fromEnglish?.map { $0["language"] as? String } == ["hi"])
            let fromHindi = try await app.send(.GET, "/api/v1/courses/\(hindiID)").json["translations"] as? [[String: Any]]
            #expect(fromHindi?.map { $0["title"] as? String } == ["Stress Management"])

            var sameLanguage = courseBody(world, competency: competency)
            sameLanguage["language"] = "en"
            sameLanguage["translationOf"] = english
            #expect(try await app.send(.POST, "/api/v1/courses", token: creator, json: sameLanguage).fields == ["language"])
            hindiBody["translationOf"] = UUID().uuidString
            #expect(try await app.send(.POST, "/api/v1/courses", token: creator, json: hindiBody).fields == ["translationOf"])
            #expect(try await app.send(.PUT, "/api/v1/courses/\(hindiID)", token: creator, json: hindiBody).fields == ["translationOf"])
        }
    }
}

@Suite struct ContentFileTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures")

    @Test func filesAreStoredByContentAndCheckedByTheirBytes() async throws {
        try await withApp { app, world in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("content-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            app.contentStore = DirectoryContentStore(root: root)
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let course = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: courseBody(world, competency: competency)).json["id"] as! String
            let creator = try await app.token("creator.mha")
            let package = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("scorm/aicc/aicc.zip")))
            let scorm = try await upload(app, course: course, token: creator, kind: "scorm", name: "package.zip", bytes: package)
            #expect(scorm.fields == ["kind"], "a SCORM package is imported, not kept as a file")
            let stored = try await upload(app, course: course, token: creator, kind: "xapi", name: "package.zip", bytes: package)
            #expect(stored.status == .created)
            #expect(stored.json["mediaType"] as? String == "application/zip" && stored.json["size"] as? Int == package.count)
            let reference = try #require(stored.json["reference"] as? String)
            let hash = String(reference.dropFirst("content:".count))
            #expect(try Data(contentsOf: try #require(app.contentStore.url(for: hash))) == Data(package))
            #expect(try await upload(app, course: course, token: creator, kind: "xapi", name: "again.zip", bytes: package).status == .created, "same bytes, one copy")
            #expect(try await ContentFile.query(on: app.db).count() == 1)

            let pdfThatIsAZip = try await upload(app, course: course, token: creator, kind: "document", name: "notes.pdf", bytes: package)
            #expect(pdfThatIsAZip.status == .unprocessableEntity && pdfThatIsAZip.fields == ["file"])
            #expect((pdfThatIsAZip.json["errors"] as? [[String: Any]])?.first?["reason"] as? String == "its bytes are a ZIP archive, not a PDF document as a document item needs")
            let script = try await upload(app, course: course, token: creator, kind: "video", name: "x.mp4", bytes: Array("<script>alert(1)</script>".utf8))
            #expect(script.status == .unprocessableEntity)
            #expect(try await upload(app, course: course, token: creator, kind: "link", name: "a.pdf", bytes: Array("%PDF-1.4".utf8)).fields == ["kind"])
            #expect(try await upload(app, course: course, token: try await app.token("learner.mha"), kind: "document", name: "a.pdf", bytes: Array("%PDF-1.4".utf8)).status == .notFound,
                    "a draft does not exist for a learner")
            #expect(try await upload(app, course: course, token: try await app.token("reviewer.mha"), kind: "document", name: "a.pdf", bytes: Array("%PDF-1.4".utf8)).status == .forbidden)
            #expect(try await upload(app, course: UUID().uuidString, token: creator, kind: "document", name: "a.pdf", bytes: Array("%PDF-1.4".utf8)).status == .notFound)

            app.settings.contentMaxBytes = 1024
            let large = try await upload(app, course: course, token: creator, kind: "document", name: "big.pdf", bytes: Array("%PDF-1.4".utf8) + [UInt8](repeating: 32, count: 200_000))
            #expect(large.status == .payloadTooLarge && large.isProblem)
            #expect(try await ContentFile.query(on: app.db).count() == 1, "nothing refused was kept")

            var body = courseBody(world, competency: competency)
            body["modules"] = [["title": "Package", "items": [["title": "xAPI", "kind": "xapi", "durationMinutes": 30, "required": true, "url": reference]]]]
            #expect(try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: body).status == .ok)
        }
    }
}
