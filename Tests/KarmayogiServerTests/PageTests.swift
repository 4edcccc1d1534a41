import Fluent
import Foundation
import Testing
import Vapor
@testable import KarmayogiServer

/// A browser without JavaScript: keeps cookies, reads the CSRF token off forms, follows nothing by itself.
struct Browser {
    let app: Application
    var cookies: [String: String] = [:]
    var csrf: String?

    init(_ app: Application) { self.app = app }

    var cookieHeader: String { cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    mutating func get(_ path: String) async throws -> Reply {
        try await send(.GET, path, form: nil)
    }

    mutating func post(_ path: String, form: [String: String], withCSRF: Bool = true) async throws -> Reply {
        var fields = form
        if withCSRF, let csrf { fields["csrf"] = csrf }
        return try await send(.POST, path, form: fields)
    }

    /// JSON, as the page's script sends it, with the session's CSRF token in its header (or without).
    mutating func post(_ path: String, json: [String: Any], withCSRF: Bool = true) async throws -> Reply {
        var headers = HTTPHeaders()
        headers.add(name: .cookie, value: cookieHeader)
        headers.contentType = .json
        if withCSRF, let csrf { headers.add(name: "X-CSRF-Token", value: csrf) }
        var reply: Reply?
        try await app.testing().test(.POST, path, headers: headers, body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))) { response in
            reply = Reply(status: response.status, headers: response.headers, body: response.body.string)
        }
        return reply!
    }

    /// A form whose names may repeat (checkboxes), with the session's CSRF token.
    mutating func post(_ path: String, pairs: [(String, String)]) async throws -> Reply {
        let body = (pairs + [("csrf", csrf ?? "")]).map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&")
        return try await send(.POST, path, body: ByteBuffer(string: body), type: .urlEncodedForm)
    }

    /// A form with a file, as a browser sends it (multipart), with the session's CSRF token.
    mutating func post(_ path: String, multipart fields: [String: String], file: (field: String, name: String, bytes: [UInt8])?) async throws -> Reply {
        let boundary = "----browser"
        var body: [UInt8] = []
        for (name, value) in fields.merging(["csrf": csrf ?? ""], uniquingKeysWith: { first, _ in first }) {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        if let file {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            body += file.bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return try await send(.POST, path, body: ByteBuffer(bytes: body), type: .init(type: "multipart", subType: "form-data", parameters: ["boundary": boundary]))
    }

    private mutating func send(_ method: HTTPMethod, _ path: String, form: [String: String]?) async throws -> Reply {
        let body = form.map { form in
            ByteBuffer(string: form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&"))
        }
        return try await send(method, path, body: body, type: form == nil ? nil : .urlEncodedForm)
    }

    private mutating func send(_ method: HTTPMethod, _ path: String, body: ByteBuffer?, type: HTTPMediaType?) async throws -> Reply {
        var headers = HTTPHeaders()
        headers.add(name: .accept, value: "text/html")
        if !cookies.isEmpty { headers.add(name: .cookie, value: cookieHeader) }
        if let type { headers.contentType = type }
        var reply: Reply?
        try await app.testing().test(method, path, headers: headers, body: body) { response in
            reply = Reply(status: response.status, headers: response.headers, body: response.body.string)
        }
        for cookie in reply!.headers[.setCookie] {
            let pair = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            if pair.count == 2 { cookies[String(pair[0])] = String(pair[1]) }
        }
        if let range = reply!.body.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) {
            csrf = String(reply!.body[range].split(separator: "\"")[3])
        }
        return reply!
    }

    mutating func signIn(_ key: String) async throws {
        _ = try await get("/login")
        let reply = try await post("/login", form: ["email": "\(key)@test.example.org", "password": TestWorld.password, "next": "/"])
        guard reply.status == .seeOther else { throw TestFailure("page sign-in failed: \(reply.status)") }
    }
}

@Suite struct PageTests {
    @Test func signInNeedsTheFormsCSRFToken() async throws {
        try await withApp { app, _ in
            var browser = Browser(app)
            let form = try await browser.get("/login")
            #expect(form.status == .ok && form.body.contains("name=\"csrf\""))
            let session = try #require(form.headers[.setCookie].first { $0.hasPrefix("karmayogi-session=") })
            #expect(session.contains("HttpOnly") && session.contains("SameSite=Lax"))
            let forged = try await browser.post("/login", form: ["email": "national@test.example.org", "password": TestWorld.password], withCSRF: false)
            #expect(forged.status == .forbidden)
            let wrong = try await browser.post("/login", form: ["email": "national@test.example.org", "password": "nope"])
            #expect(wrong.status == .unauthorized && wrong.body.contains("role=\"alert\""))
            let signedIn = try await browser.post("/login", form: ["email": "national@test.example.org", "password": TestWorld.password, "next": "/\\evil.example"])
            #expect(signedIn.status == .seeOther && signedIn.headers.first(name: .location) == "/", "never sent off the site")
            let home = try await browser.get("/")
            #expect(home.status == .ok && home.body.contains("National") && home.body.contains("Ministry of Home Affairs"))
        }
    }

    @Test func pagesNeedASignIn() async throws {
        try await withApp { app, _ in
            var browser = Browser(app)
            let home = try await browser.get("/admin/users")
            #expect(home.status == .seeOther && home.headers.first(name: .location)?.hasPrefix("/login") == true)
        }
    }

    @Test func hindiIsOneClickAway() async throws {
        try await withApp { app, _ in
            var browser = Browser(app)
            let hindi = try await browser.get("/login?lang=hi")
            #expect(hindi.body.contains("<html lang=\"hi\">") && hindi.body.contains("साइन इन"))
            let remembered = try await browser.get("/login")
            #expect(remembered.body.contains("<html lang=\"hi\">"), "the choice is remembered")
            let english = try await browser.get("/login?lang=en")
            #expect(english.body.contains("<html lang=\"en\">") && english.body.contains("Sign in"))
        }
    }

    @Test func catalogueHasEveryMessageInBothLanguages() {
        let english = Set(Catalogue.messages("en").keys), hindi = Set(Catalogue.messages("hi").keys)
        #expect(!english.isEmpty)
        #expect(english.subtracting(hindi).isEmpty, "missing in Hindi: \(english.subtracting(hindi).sorted())")
        #expect(hindi.subtracting(english).isEmpty, "missing in English: \(hindi.subtracting(english).sorted())")
    }

    @Test func adminCreatesSomeoneAndTheirNameIsShownEscaped() async throws {
        try await withApp { app, world in
            var browser = Browser(app)
            try await browser.signIn("mdo.mha")
            let page = try await browser.get("/admin/users?org=\(world.mha)")
            #expect(page.status == .ok && page.body.contains("Mdo.Mha"))
            let created = try await browser.post("/admin/users?org=\(world.mha)", form: ["name": "<script>alert('x')</script>", "email": "xss@test.example.org", "language": "hi"])
            #expect(created.status == .created)
            #expect(!created.body.contains("<script>alert"))
            #expect(created.body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
            let invalid = try await browser.post("/admin/users?org=\(world.mha)", form: ["name": "", "email": "bad"])
            #expect(invalid.status == .unprocessableEntity && invalid.body.contains("role=\"alert\""))
            let search = try await browser.get("/admin/users?org=\(world.mha)&q=xss")
            #expect(search.body.contains("xss@test.example.org") && !search.body.contains("mdo.mha@test.example.org"))
        }
    }

    @Test func bulkUploadShowsLivePerRowResults() async throws {
        try await withApp { app, world in
            var browser = Browser(app)
            try await browser.signIn("mdo.mha")
            _ = try await browser.get("/admin/users?org=\(world.mha)")
            let csv = "name,email\nGood,good@test.example.org\nBad,not-an-email\n"
            let sent = try await browser.post("/admin/uploads?org=\(world.mha)", multipart: [:], file: ("file", "staff.csv", Array(csv.utf8)))
            #expect(sent.status == .seeOther)
            let location = sent.headers.first(name: .location)
            let path = try #require(location)
            var page = try await browser.get(path)
            for _ in 0..<600 where page.body.contains("http-equiv=\"refresh\"") {
                try await Task.sleep(for: .milliseconds(50))
                page = try await browser.get(path)
            }
            #expect(page.body.contains("Completed"))
            #expect(page.body.contains("<td>3</td><td><code>email</code></td>"))
            #expect(page.body.contains("not a valid e-mail address"))
        }
    }

    @Test func activationPageSignsTheNewPersonIn() async throws {
        try await withApp { app, world in
            let admin = try await app.token("mdo.mha")
            _ = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users", token: admin, json: ["name": "New Person", "email": "new@test.example.org"])
            let message = try await OutboxMessage.query(on: app.db).first()!
            let token = String(message.body.split(separator: "token=")[1].prefix { !$0.isWhitespace })
            var browser = Browser(app)
            let form = try await browser.get("/activate?token=\(token)")
            #expect(form.body.contains("value=\"\(token)\""))
            let weak = try await browser.post("/activate", form: ["token": token, "password": "weak"])
            #expect(weak.status == .unprocessableEntity)
            let done = try await browser.post("/activate", form: ["token": token, "password": "jaggery tea at dawn"])
            #expect(done.status == .seeOther)
            #expect(try await browser.get("/").body.contains("Namaste, New"))
        }
    }
}


@Suite struct CompetencyPageTests {
    @Test func anyoneBrowsesTheFramework() async throws {
        try await withApp { app, _ in
            var browser = Browser(app)
            let framework = try await browser.get("/competencies?area=behavioural")
            #expect(framework.status == .ok)
            #expect(framework.body.contains("Self-Awareness") && !framework.body.contains("Project Management"))
            let search = try await browser.get("/competencies?q=kpis")
            #expect(search.body.contains("Project KPIs Monitoring"))
            let id = try await app.send(.GET, "/api/v1/competencies?q=Self-Analysis").items[0]["id"] as! String
            let one = try await browser.get("/competencies/\(id)")
            #expect(one.body.contains("Self-Analysis") && one.body.contains("<th scope=\"row\">Level 5 · Expert</th>"))
            let hindi = try await browser.get("/competencies?lang=hi")
            #expect(hindi.body.contains("दक्षता ढाँचा") && hindi.body.contains("व्यवहारिक"))
        }
    }

    @Test func anAdminMapsADesignationOnItsPage() async throws {
        try await withApp { app, world in
            var browser = Browser(app)
            try await browser.signIn("mdo.mha")
            let id = try await app.send(.GET, "/api/v1/competencies?q=Self-Analysis").items[0]["id"] as! String
            let page = try await browser.get("/designations/Section%20Officer?org=\(world.mha)")
            #expect(page.status == .ok && page.body.contains("No competencies are mapped"))
            let saved = try await browser.post("/designations/Section%20Officer?org=\(world.mha)", form: ["add": id, "addLevel": "4"])
            #expect(saved.status == .ok && saved.body.contains("Saved."))
            #expect(saved.body.contains("Self-Analysis"))
            let list = try await browser.get("/designations?org=\(world.mha)")
            #expect(list.body.contains("Section Officer"))
            let api = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/designations/Section%20Officer", token: try await app.token("mdo.mha"))
            #expect((api.json["competencies"] as? [[String: Any]])?.first?["level"] as? Int == 4)
            let bad = try await browser.post("/designations/Section%20Officer?org=\(world.mha)", form: ["competency[0]": id, "level[0]": "9"])
            #expect(bad.status == .unprocessableEntity && bad.body.contains("role=\"alert\""))
            let removed = try await browser.post("/designations/Section%20Officer?org=\(world.mha)", form: ["competency[0]": id, "level[0]": "4", "remove[0]": "1"])
            #expect(removed.body.contains("No competencies are mapped"))
        }
    }

    @Test func learnersSeeButCannotChangeTheirDesignation() async throws {
        try await withApp { app, world in
            var browser = Browser(app)
            try await browser.signIn("learner.mha")
            let page = try await browser.get("/designations/Section%20Officer?org=\(world.mha)")
            #expect(page.status == .ok && !page.body.contains("Add a competency"))
            let change = try await browser.post("/designations/Section%20Officer?org=\(world.mha)", form: ["add": UUID().uuidString, "addLevel": "2"])
            #expect(change.status == .forbidden)
        }
    }
}

@Suite struct CataloguePageTests {
    @Test func learnersFindAndOpenACourse() async throws {
        try await withApp { app, world in
            let found = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]
            let competency = found["id"] as! String
            let competencyName = [found["theme"] as? String, found["subTheme"] as? String].compactMap { $0 }.joined(separator: " › ")
            let id = try await CatalogueSearchTests().publish(app, world, title: "<i>Drafting</i> letters", language: "hi", competency: competency, kind: "document")
            _ = try await app.send(.POST, "/api/v1/courses/\(id)/enrol", token: try await app.token("learner.mha"))
            _ = try await app.send(.POST, "/api/v1/courses/\(id)/ratings", token: try await app.token("learner.mha"), json: ["stars": 4, "text": "Clear <script>x</script>"])
            var browser = Browser(app)
            let all = try await browser.get("/courses")
            #expect(all.status == .ok && all.body.contains("1 course<") && all.body.contains("&lt;i&gt;Drafting&lt;/i&gt; letters"))
            #expect(all.body.contains("<span>Ministry of Home Affairs</span>"), "the card names the provider")
            #expect(all.body.contains("Rated 4.0 of 5 · 1 rating"), "and its rating")
            #expect(all.body.contains("\(competencyName) · level 2"), "and its competencies")
            #expect(all.body.contains("हिन्दी (1)"), "facet counts beside the options")
            let none = try await browser.get("/courses?q=nothing&kind=video")
            #expect(none.body.contains("0 courses"))
            let page = try await browser.get("/courses/\(id)")
            #expect(page.status == .ok)
            #expect(page.body.contains(competencyName) && page.body.contains("Watch"))
            #expect(page.body.contains("Clear &lt;script&gt;x&lt;/script&gt;") && !page.body.contains("<script>x"))
            #expect(page.body.contains("Rated 4.0 of 5 · 1 rating"))
        }
    }
}

@Suite struct ReviewPageTests {
    @Test func reviewersAndPublishersTakeTheirStepsOnThePage() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let creator = try await app.token("creator.mha")
            let id = try await app.send(.POST, "/api/v1/courses", token: creator, json: courseBody(world, competency: competency, title: "Records <Management>")).json["id"] as! String
            _ = try await app.send(.POST, "/api/v1/courses/\(id)/submit", token: creator)

            var reviewer = Browser(app)
            try await reviewer.signIn("reviewer.mha")
            let queue = try await reviewer.get("/review")
            #expect(queue.body.contains("Records &lt;Management&gt;") && queue.body.contains("/review/\(id)/approve"))
            #expect(!queue.body.contains("/review/\(id)/publish"))
            let confirm = try await reviewer.get("/review/\(id)/reject")
            #expect(confirm.status == .ok && confirm.body.contains("Send Records &lt;Management&gt; back to its author?") && confirm.body.contains("class=\"danger\""))
            #expect(try await app.send(.GET, "/api/v1/courses/\(id)", token: creator).json["state"] as? String == "in_review", "asking changes nothing")
            let noComment = try await reviewer.post("/review/\(id)/reject", form: [:])
            #expect(noComment.status == .unprocessableEntity && noComment.body.contains("role=\"alert\""))
            let approved = try await reviewer.post("/review/\(id)/approve", form: [:])
            #expect(approved.status == .ok && approved.body.contains("is now approved"))
            #expect(try await reviewer.post("/review/\(id)/publish", form: [:]).status == .forbidden)

            var publisher = Browser(app)
            try await publisher.signIn("publisher.mha")
            #expect(try await publisher.get("/review").body.contains("/review/\(id)/publish"))
            let published = try await publisher.post("/review/\(id)/publish", form: [:])
            #expect(published.body.contains("is now published") && published.body.contains("Nothing is waiting."))
            #expect(try await app.send(.GET, "/api/v1/courses/\(id)").json["state"] as? String == "published")
            #expect(try await publisher.post("/review/\(id)/delete", form: [:]).status == .notFound)
        }
    }
}

@Suite struct CourseEditorPageTests {
    /// The draft as the API shows it to its creator.
    func draft(_ app: Application, _ id: String) async throws -> [String: Any] {
        try await app.send(.GET, "/api/v1/courses/\(id)", token: try await app.token("creator.mha")).json
    }

    func items(_ course: [String: Any]) -> [[String: Any]] {
        (course["modules"] as? [[String: Any]] ?? []).flatMap { $0["items"] as? [[String: Any]] ?? [] }
    }

    @Test func aCreatorBuildsACourseOnThePagesAndSendsItForReview() async throws {
        try await withApp { app, world in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("editor-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            app.contentStore = DirectoryContentStore(root: root)
            var creator = Browser(app)
            try await creator.signIn("creator.mha")
            let list = try await creator.get("/author")
            #expect(list.status == .ok && list.body.contains("value=\"\(world.mha.uuidString)\""), "the creator's organisation is offered as provider")

            let created = try await creator.post("/author/courses", form: ["providerId": world.mha.uuidString, "title": "Pension <rules>", "language": "hi", "durationMinutes": "90"])
            #expect(created.status == .seeOther)
            let path = try #require(created.headers.first(name: .location)?.split(separator: "?").first.map(String.init))
            let id = String(path.split(separator: "/").last!)
            var page = try await creator.get(path)
            #expect(page.body.contains("Pension &lt;rules&gt;") && page.body.contains("a course needs at least one module"), "the page says what stands before review")
            #expect(!page.body.contains("\(path)/submit"))

            // Competencies come from the framework; a level outside 1–5 is refused and changes nothing.
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let tooHigh = try await creator.post("\(path)/add-competency", form: ["competencyId": competency, "level": "6"])
            #expect(tooHigh.status == .unprocessableEntity && tooHigh.body.contains("role=\"alert\""))
            #expect((try await draft(app, id)["competencies"] as? [Any])?.isEmpty == true)
            #expect(try await creator.post("\(path)/add-competency", form: ["competencyId": UUID().uuidString, "level": "2"]).status == .unprocessableEntity)
            #expect(try await creator.post("\(path)/add-competency", form: ["competencyId": competency, "level": "3"]).status == .seeOther)
            #expect((try await draft(app, id)["competencies"] as? [[String: Any]])?.first?["level"] as? Int == 3)

            #expect(try await creator.post("\(path)/add-module", form: ["title": "Basics"]).status == .seeOther)
            let module = try #require((try await draft(app, id)["modules"] as? [[String: Any]])?.first?["id"] as? String)
            // A file is checked by its bytes: a ZIP sent as a document is refused, a PDF is stored and referenced.
            let zip = try [UInt8](Data(contentsOf: ContentFileTests.fixtures.appendingPathComponent("scorm/aicc/aicc.zip")))
            let fake = try await creator.post("\(path)/add-item", multipart: ["moduleId": module, "title": "Rules", "kind": "document", "durationMinutes": "20", "required": "1"],
                                              file: ("file", "rules.pdf", zip))
            #expect(fake.status == .unprocessableEntity && fake.body.contains("its bytes are a ZIP archive"))
            #expect(items(try await draft(app, id)).isEmpty)
            let pdf = Array("%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj\n".utf8)
            #expect(try await creator.post("\(path)/add-item", multipart: ["moduleId": module, "title": "Rules", "kind": "document", "durationMinutes": "20", "required": "1"],
                                           file: ("file", "rules.pdf", pdf)).status == .seeOther)
            let noAddress = try await creator.post("\(path)/add-item", multipart: ["moduleId": module, "title": "Portal", "kind": "link", "durationMinutes": "5"], file: nil)
            #expect(noAddress.status == .unprocessableEntity && noAddress.body.contains("modules[0].items[1].url"))
            #expect(try await creator.post("\(path)/add-item", multipart: ["moduleId": module, "title": "Portal", "kind": "link", "durationMinutes": "5", "url": "https://pensionersportal.gov.in"],
                                           file: nil).status == .seeOther)
            var saved = items(try await draft(app, id))
            #expect(saved.map { $0["title"] as? String } == ["Rules", "Portal"])
            #expect((saved[0]["url"] as? String)?.hasPrefix("content:") == true && saved[0]["required"] as? Bool == true && saved[1]["required"] as? Bool == false)
            let file = try await creator.get("/content/\((saved[0]["url"] as! String).dropFirst("content:".count))")
            #expect(file.status == .ok && file.body.hasPrefix("%PDF") && file.headers.contentType == .pdf, "served by its hash, as what its bytes are")
            var stranger = Browser(app)
            #expect(try await stranger.get("/content/\((saved[0]["url"] as! String).dropFirst("content:".count))").status == .seeOther, "for people signed in")

            // Reorder and edit items; the ids stay, so progress on them would too.
            let portal = saved[1]["id"] as! String
            #expect(try await creator.post("\(path)/move-item", form: ["itemId": portal]).status == .seeOther)
            #expect(try await creator.post("\(path)/save-item", form: ["itemId": portal, "title": "Pensioners' portal", "kind": "link", "durationMinutes": "8",
                                                                      "required": "1", "url": "https://pensionersportal.gov.in"]).status == .seeOther)
            saved = items(try await draft(app, id))
            #expect(saved.map { $0["title"] as? String } == ["Pensioners' portal", "Rules"] && saved[0]["id"] as? String == portal && saved[0]["durationMinutes"] as? Int == 8)
            #expect(try await creator.post("\(path)/remove-item", form: ["itemId": UUID().uuidString]).status == .conflict, "an item that is gone is named, not guessed")
            let asked = try await creator.post("\(path)/remove-item", form: ["itemId": portal])
            #expect(asked.status == .ok && asked.body.contains("Remove “Pensioners&#39; portal”?") && asked.body.contains("class=\"danger\""))
            #expect(items(try await draft(app, id)).count == 2, "asking removes nothing")

            let details = try await creator.post("\(path)/details", form: ["title": "Pension rules", "summary": "CCS (Pension) Rules", "description": "", "keywords": "pension, पेंशन",
                                                                           "language": "hi", "durationMinutes": "ninety"])
            #expect(details.status == .unprocessableEntity && details.body.contains("durationMinutes"))
            #expect(try await draft(app, id)["title"] as? String == "Pension <rules>")

            page = try await creator.get(path)
            #expect(page.body.contains("\(path)/submit"))
            #expect(try await creator.post("\(path)/submit", form: [:]).status == .seeOther)
            #expect(try await draft(app, id)["state"] as? String == "in_review")
            page = try await creator.get(path)
            #expect(page.body.contains("only after a reviewer sends it back") && !page.body.contains("\(path)/add-module"))
            #expect(try await creator.post("\(path)/add-module", form: ["title": "More"]).status == .conflict)
            #expect((try await draft(app, id)["modules"] as? [Any])?.count == 1)
        }
    }

    @Test func othersMayLookOrNotSeeItAtAll() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let id = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: courseBody(world, competency: competency)).json["id"] as! String
            var reviewer = Browser(app)
            try await reviewer.signIn("reviewer.mha")
            let look = try await reviewer.get("/author/courses/\(id)")
            #expect(look.status == .ok && look.body.contains("only a content creator") && !look.body.contains("/add-module"))
            #expect(try await reviewer.post("/author/courses/\(id)/add-module", form: ["title": "Mine"]).status == .forbidden)
            #expect(try await reviewer.get("/author").body.contains("Start a new course") == false, "no provider to draft for")

            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            #expect(try await learner.get("/author/courses/\(id)").status == .notFound)
            #expect(try await learner.post("/author/courses/\(id)/add-module", form: ["title": "Mine"]).status == .notFound)
            #expect((try await app.send(.GET, "/api/v1/courses/\(id)", token: try await app.token("creator.mha")).json["modules"] as? [Any])?.count == 1)
        }
    }

    @Test func editingAPublishedCourseMakesANewDraftWhileLearnersKeepThePublishedOne() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let id = try await CatalogueSearchTests().publish(app, world, title: "Leave rules", competency: competency)
            var creator = Browser(app)
            try await creator.signIn("creator.mha")
            let page = try await creator.get("/author/courses/\(id)")
            #expect(page.body.contains("Saving a change starts a new draft version"))
            #expect(try await creator.post("/author/courses/\(id)/add-module", form: ["title": "Leave travel concession"]).status == .seeOther)
            let mine = try await app.send(.GET, "/api/v1/courses/\(id)", token: try await app.token("creator.mha")).json
            #expect(mine["version"] as? Int == 2 && mine["state"] as? String == "draft" && (mine["modules"] as? [Any])?.count == 2)
            let learners = try await app.send(.GET, "/api/v1/courses/\(id)", token: try await app.token("learner.health")).json
            #expect(learners["version"] as? Int == 1 && (learners["modules"] as? [Any])?.count == 1)
        }
    }
}

@Suite struct LearnerPageTests {
    @Test func aLearnerEnrolsLearnsAndGetsACertificateOnThePages() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            #expect(try await learner.get("/courses/\(course)").body.contains("/courses/\(course)/enrol"))
            let enrolled = try await learner.post("/courses/\(course)/enrol", form: [:])
            #expect(enrolled.status == .seeOther && enrolled.headers.first(name: .location) == "/learn/\(course)")
            var player = try await learner.get("/learn/\(course)")
            #expect(player.body.contains("id=\"item-\(items[0].uppercased())\"") || player.body.contains("id=\"item-\(items[0])\""))
            #expect(player.body.contains("Mark as done") && player.body.contains("https://ndma.gov.in"))
            #expect(player.body.contains("<script src=\"\(Assets.url("player.js"))\" defer></script>") && player.body.contains("data-csrf=\""))
            let script = try await learner.get(Assets.url("player.js"))
            #expect(script.status == .ok && script.body.contains("timeupdate") && script.headers.contentType?.subType == "javascript")
            // The script's report: JSON with the session's CSRF token in its header.
            #expect(try await learner.post("/learn/\(course)/progress", json: ["itemId": items[1], "status": 1, "percent": 30, "secondsSpent": 12, "key": "p1"],
                                           withCSRF: false).status == .forbidden)
            #expect(try await learner.post("/learn/\(course)/progress", json: ["itemId": items[1], "status": 1, "percent": 30, "secondsSpent": 12, "key": "p1"]).status == .ok)
            #expect(try await learner.post("/learn/\(course)/progress", json: ["itemId": items[1], "status": 1, "percent": 30, "secondsSpent": 12, "key": "p1"]).status == .ok)
            let reported = try await app.send(.GET, "/api/v1/me/enrolments/\(course)/progress", token: try await app.token("learner.mha")).items
            #expect(reported.first?["percent"] as? Double == 30 && reported.first?["secondsSpent"] as? Int == 12, "sent twice, counted once")
            #expect(try await learner.post("/learn/\(course)/done", form: ["itemId": items[0], "key": "form-1"]).status == .seeOther)
            #expect(try await learner.post("/learn/\(course)/done", form: ["itemId": items[0], "key": "form-1"]).status == .seeOther, "a resubmitted form counts once")
            #expect(try await learner.get("/my/learning").body.contains("50% done"))
            _ = try await learner.post("/learn/\(course)/done", form: ["itemId": items[2], "key": "form-2"])
            player = try await learner.get("/learn/\(course)")
            #expect(player.body.contains("You have completed this course."))
            let certificate = try #require(try await app.send(.GET, "/api/v1/me/certificates", token: try await app.token("learner.mha")).items.first?["id"] as? String)
            #expect(player.body.contains("/certificates/\(certificate)"))
            #expect(try await learner.get("/my/certificates").body.contains("/certificates/\(certificate)"))
            #expect(try await learner.get("/my/passbook").body.contains("Course certificate"))
            #expect(try await learner.get("/my/karma").body.contains("15 points in all"))
            let badDeclaration = try await learner.post("/my/passbook", form: ["competencyId": UUID().uuidString, "level": "3"])
            #expect(badDeclaration.status == .unprocessableEntity && badDeclaration.body.contains("role=\"alert\""))

            // Anyone may open and check the certificate.
            var visitor = Browser(app)
            let page = try await visitor.get("/certificates/\(certificate)")
            #expect(page.status == .ok && page.body.contains("This certificate is valid") && page.body.contains("Disaster management basics"))
            #expect(try await visitor.get("/verify?id=\(certificate)").body.contains("<span class=\"badge success\">Valid</span>"))
            let jws = try #require(try await app.send(.GET, "/api/v1/certificates/\(certificate)").json["jws"] as? String)
            _ = try await visitor.get("/verify")
            #expect(try await visitor.post("/verify", form: ["credential": jws]).body.contains("<span class=\"badge success\">Valid</span>"))
            #expect(try await visitor.post("/verify", form: ["credential": "<script>nonsense</script>"]).body.contains("<span class=\"badge danger\">Not valid</span>"))
        }
    }
}

@Suite struct AssessmentPageTests {
    @Test func aLearnerTakesTheAssessmentOnThePage() async throws {
        try await withApp { app, world in
            let (course, video, assessment) = try await AssessmentTests().course(app, world)
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            _ = try await learner.get("/courses/\(course)")
            #expect(try await learner.post("/courses/\(course)/enrol", form: [:]).status == .seeOther)
            #expect(try await learner.post("/learn/\(course)/done", form: ["itemId": video, "key": "v"]).status == .seeOther)
            let player = try await learner.get("/learn/\(course)")
            #expect(player.body.contains("/learn/\(course)/attempts/\(assessment)") || player.body.contains("/learn/\(course)/attempts/\(assessment.uppercased())"))
            let started = try await learner.post("/learn/\(course)/attempts/\(assessment)", form: [:])
            let path = try #require(started.headers.first(name: .location))
            let page = try await learner.get(path)
            #expect(page.status == .ok && page.body.contains("role=\"timer\"") && page.body.contains("data-deadline=\"") && page.body.contains("Submit my answers"))
            #expect(!page.body.contains("✓"), "no answers before submission")
            // The same open attempt, as the API shows it, tells the test which positions are right.
            let open = try await app.send(.POST, "/api/v1/assessments/\(assessment)/attempts", token: try await app.token("learner.mha")).json
            var pairs: [(String, String)] = []
            for answer in AssessmentTests().answers(open, right: true) {
                let name = "q-\((answer["questionId"] as! String).uppercased())"
                if let number = answer["number"] as? Int { pairs.append((name, String(number))) }
                for choice in answer["choices"] as? [Int] ?? [] { pairs.append((name, String(choice))) }
            }
            let submitted = try await learner.post(path, pairs: pairs)
            #expect(submitted.status == .seeOther)
            let result = try await learner.get(path)
            #expect(result.body.contains("Passed with 100%"))
            #expect(!result.body.contains("✓"), "one of two attempts used: no right answers yet")
            #expect(try await learner.get("/learn/\(course)").body.contains("You have completed this course."))
        }
    }

    /// Fill an attempt's form with the right or wrong answers (numbers written with a fraction, as a person might).
    func pairs(_ app: Application, assessment: String, right: Bool) async throws -> [(String, String)] {
        let open = try await app.send(.POST, "/api/v1/assessments/\(assessment)/attempts", token: try await app.token("learner.mha")).json
        var pairs: [(String, String)] = []
        for answer in AssessmentTests().answers(open, right: right) {
            let name = "q-\((answer["questionId"] as! String).uppercased())"
            if let number = answer["number"] as? Int { pairs.append((name, "\(number).50")) }
            for choice in answer["choices"] as? [Int] ?? [] { pairs.append((name, String(choice))) }
        }
        return pairs
    }

    @Test func aFailedAttemptOffersTryAgainAndKeepsTheAnswersHidden() async throws {
        try await withApp { app, world in
            let (course, _, assessment) = try await AssessmentTests().course(app, world)
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            _ = try await learner.get("/courses/\(course)")
            _ = try await learner.post("/courses/\(course)/enrol", form: [:])
            let first = try #require(try await learner.post("/learn/\(course)/attempts/\(assessment)", form: [:]).headers.first(name: .location))
            let opened = try await learner.get(first)
            #expect(opened.body.contains("Attempt 1 of 2;"))
            #expect(try await learner.get(first + "?lang=hi").body.contains("2 में से प्रयास 1;"), "numbered the same way in Hindi")
            _ = try await learner.get(first + "?lang=en")
            let wrong = try await pairs(app, assessment: assessment, right: false)
            _ = try await learner.post(first, pairs: wrong)
            let failed = try await learner.get(first)
            #expect(failed.body.contains("Not passed"))
            #expect(failed.body.contains(">Try again</button>") && failed.body.contains("Attempts left: 1"))
            #expect(!failed.body.contains("✓") && !failed.body.contains("The answer is"), "no right answers after a failed attempt with one left")
            #expect(failed.body.contains("The right answers are shown after your last attempt."))
            if wrong.contains(where: { $0.1 == "28.50" }) {  // the numeric question was drawn
                #expect(failed.body.contains("value=\"28.5\""), "a number shows as entered")
            }

            // Try again: the second (last) attempt, which passes; the answers are shown now, and no more tries.
            let second = try #require(try await learner.post("/learn/\(course)/attempts/\(assessment)", form: [:]).headers.first(name: .location))
            #expect(second != first)
            #expect(try await learner.get(second).body.contains("Attempt 2 of 2;"))
            _ = try await learner.post(second, pairs: try await pairs(app, assessment: assessment, right: true))
            let passed = try await learner.get(second)
            #expect(passed.body.contains("Passed"))
            #expect(!passed.body.contains(">Try again</button>"))
        }
    }
}

@Suite struct RedirectTests {
    @Test func signInFollowsOnlyPathsOnThisSite() async throws {
        try await withApp { app, _ in
            let hostile = ["//evil.example", "/\\evil.example", "https://evil.example", "/%0d%0aSet-Cookie:%20x=1", "/%09/evil.example",
                           "/%2F%2Fevil.example", "\t/x"]
            for next in hostile {
                var browser = Browser(app)
                _ = try await browser.get("/login")
                let reply = try await browser.post("/login", form: ["email": "learner.mha@test.example.org", "password": TestWorld.password, "next": next])
                #expect(reply.status == .seeOther)
                #expect(reply.headers.first(name: .location) == "/", "\(next.debugDescription)")
            }
            var browser = Browser(app)
            _ = try await browser.get("/login")
            let reply = try await browser.post("/login", form: ["email": "learner.mha@test.example.org", "password": TestWorld.password, "next": "/my/learning?tab=2"])
            #expect(reply.headers.first(name: .location) == "/my/learning?tab=2")
        }
    }

    @Test func theSignInFormCarriesOnlyALocalNext() async throws {
        try await withApp { app, _ in
            var browser = Browser(app)
            let page = try await browser.get("/login?next=%2F%2Fevil.example")
            #expect(page.body.contains(#"name="next" value="/""#))
            let asked = try await browser.get("/admin/users?org=abc&q=a%20b")
            #expect(asked.status == .seeOther)
            #expect(asked.headers.first(name: .location) == "/login?next=%2Fadmin%2Fusers%3Forg%3Dabc%26q%3Da%2520b")
        }
    }
}
