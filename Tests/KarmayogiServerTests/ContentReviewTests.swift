import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// A reviewer sees what they approve: the video and the PDF inline, links in a new tab, the assessment's questions and its
/// preview, what changed since the published version, and comments on each item; every step is confirmed first.
@Suite struct ContentReviewTests {
    @Test func aReviewerOpensEverythingComparesAndComments() async throws {
        try await withApp { app, world in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("content-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            app.contentStore = DirectoryContentStore(root: root)
            let creator = try await app.token("creator.mha")
            let competency = try #require(try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items.first?["id"] as? String)
            let draft = try await app.send(.POST, "/api/v1/courses", token: creator, json: courseBody(world, competency: competency, title: "Grievance redress"))
            let course = try #require(draft.json["id"] as? String)
            let pdf = try await upload(app, course: course, token: creator, kind: "document", name: "circular.pdf", bytes: Array("%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj\n".utf8))
            let video = try await upload(app, course: course, token: creator, kind: "video", name: "talk.mp4",
                                         bytes: [0, 0, 0, 0x18] + Array("ftypmp42".utf8) + [UInt8](repeating: 0, count: 64))
            let pdfRef = try #require(pdf.json["reference"] as? String, "\(pdf.body)"), videoRef = try #require(video.json["reference"] as? String, "\(video.body)")
            let quiz: [String: Any] = ["questions": [["kind": "true_false", "text": "CPGRAMS is the grievance portal.", "correct": [0], "explanation": "It is."]],
                                       "drawCount": 1, "timeLimitSeconds": 600, "maxAttempts": 3, "passPercent": 60]
            var body = courseBody(world, competency: competency, title: "Grievance redress", modules: [
                ["title": "Learn", "items": [["title": "The talk", "kind": "video", "durationMinutes": 20, "required": true, "url": videoRef],
                                             ["title": "The circular", "kind": "document", "durationMinutes": 10, "required": true, "url": pdfRef],
                                             ["title": "CPGRAMS", "kind": "link", "durationMinutes": 5, "required": false, "url": "https://pgportal.gov.in"],
                                             ["title": "Check", "kind": "assessment", "durationMinutes": 10, "required": true, "assessment": quiz]]],
            ])
            let saved = try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: body)
            #expect(saved.status == .ok, "\(saved.body)")
            for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
                #expect(try await app.send(.POST, "/api/v1/courses/\(course)/\(action)", token: try await app.token(key)).status == .ok)
            }
            // Version 2 changes the circular's title and drops the link.
            var modules = try #require(try await app.send(.GET, "/api/v1/courses/\(course)", token: creator).json["modules"] as? [[String: Any]])
            var items = try #require(modules[0]["items"] as? [[String: Any]])
            items[1]["title"] = "The new circular"
            items.remove(at: 2)
            modules[0]["items"] = items
            body["modules"] = modules
            #expect(try await app.send(.PUT, "/api/v1/courses/\(course)", token: creator, json: body).status == .ok)
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/submit", token: creator).status == .ok)

            var reviewer = Browser(app)
            try await reviewer.signIn("reviewer.mha")
            let page = try await reviewer.get("/review/\(course)")
            #expect(page.status == .ok)
            let videoHref = "/content/\(videoRef.dropFirst("content:".count))", pdfHref = "/content/\(pdfRef.dropFirst("content:".count))"
            #expect(page.body.contains("<video controls preload=\"metadata\" src=\"\(videoHref)\">"))
            #expect(page.body.contains("<iframe class=\"document\" src=\"\(pdfHref)\""))
            #expect(page.body.contains("CPGRAMS is the grievance portal.") && page.body.contains("/preview\" target=\"_blank\""))
            #expect(page.body.contains("The new circular: title changed.") && page.body.contains("Item removed: CPGRAMS."))
            #expect(try await reviewer.get(pdfHref).headers.contentType == .pdf, "the PDF opens inline")

            // A comment on an item stays with the version; an empty one is refused.
            let circular = try #require((items[1]["id"] as? String)?.lowercased())
            let empty = try await reviewer.post("/review/\(course)/comments", form: ["itemId": circular, "text": " "])
            #expect(empty.status == .unprocessableEntity)
            let commented = try await reviewer.post("/review/\(course)/comments", form: ["itemId": circular, "text": "Cite the circular's number."])
            #expect(commented.status == .seeOther)
            #expect(try await reviewer.get("/review/\(course)").body.contains("Cite the circular&#39;s number."))
            #expect(try await ReviewComment.query(on: app.db).filter(\.$itemID == UUID(uuidString: circular)).count() == 1)
            var author = Browser(app)
            try await author.signIn("creator.mha")
            let editor = try await author.get("/author/courses/\(course)")
            #expect(editor.body.contains("<strong>The new circular</strong>: Cite the circular&#39;s number."), "the author reads what the reviewer said")

            // Approving is confirmed on its own page first; then done.
            let confirm = try await reviewer.get("/review/\(course)/approve")
            #expect(confirm.body.contains("Approve Grievance redress?") && confirm.body.contains("action=\"/review/\(course)/approve\""))
            let approved = try await reviewer.post("/review/\(course)/approve", form: ["comment": ""])
            #expect(approved.status == .ok && approved.body.contains("is now approved"))

            // Someone outside the provider sees nothing, as if it were not there.
            var outsider = Browser(app)
            try await outsider.signIn("mdo.health")
            #expect(try await outsider.get("/review/\(course)").status == .notFound)
            _ = try await outsider.get("/")
            #expect(try await outsider.post("/review/\(course)/comments", form: ["text": "hello"]).status == .notFound)
            #expect(try await ReviewComment.query(on: app.db).count() == 1)

            let hindi = try await reviewer.get("/review/\(course)?lang=hi")
            #expect(hindi.body.contains("प्रकाशित संस्करण के बाद क्या बदला") && hindi.body.contains("नए टैब में खोलें"))
        }
    }
}
