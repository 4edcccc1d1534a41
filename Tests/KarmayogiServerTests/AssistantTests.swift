import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// Karmayogi Saathi (issue 22) through the API and its pages: answers made of cited passages from documents the national
/// admins add, courses, the competency framework and the person's own records; "I don't know" when nothing answers;
/// bad questions and bad documents refused with nothing changed.
@Suite struct AssistantTests {
    let certificates = """
        # When a certificate is issued
        A certificate is issued automatically when you complete every required item of a course and pass its assessment.

        # Downloading a certificate
        Open My certificates to download each certificate as a PDF with a QR code and a verification link.
        """

    func addDocument(_ app: Application, _ body: [String: Any]) async throws -> AssistantDocumentDTO {
        let added = try await app.send(.POST, "/api/v1/assistant/documents", token: try await app.token("national"), json: body)
        #expect(added.status == .created, "\(added.body)")
        return try added.decoded(AssistantDocumentDTO.self)
    }

    func ask(_ app: Application, _ question: String, language: String = "en", as key: String = "learner.mha") async throws -> AnswerDTO {
        let reply = try await app.send(.POST, "/api/v1/assistant/ask", token: try await app.token(key), json: ["question": question, "language": language])
        #expect(reply.status == .ok, "\(reply.body)")
        return try reply.decoded(AnswerDTO.self)
    }

    @Test func anAnswerIsPassagesWithTheirSourcesAndTheCoursesThatFit() async throws {
        try await withApp { app, world in
            let document = try await addDocument(app, ["kind": "faq", "title": "Certificates", "language": "en", "body": certificates])
            #expect(document.passages == 2)
            let answer = try await ask(app, "How do I download my certificate as a PDF?")
            #expect(answer.known)
            #expect(answer.confidence == 1)
            let first = try #require(answer.answer.first)
            #expect(first.source == .faq)
            #expect(first.title == "Certificates")
            #expect(first.section == "Downloading a certificate")
            #expect(first.link == "/assistant/documents/\(document.id.uuidString.lowercased())#part-2")
            // The link's part is the cited heading on the document's page.
            var reader = Browser(app)
            try await reader.signIn("learner.mha")
            #expect(try await reader.get("/assistant/documents/\(document.id.uuidString.lowercased())").body.contains("<h2 id=\"part-2\">Downloading a certificate</h2>"))
            #expect(first.text.contains("QR code"))

            // The competency framework answers too, linking to the competency's page.
            let empathy = try await ask(app, "What does the empathy competency mean?")
            #expect(empathy.known)
            #expect(empathy.answer.first?.source == .competency)
            #expect(empathy.answer.first?.title == "Service Orientation › Empathy")
            #expect(empathy.answer.first?.link.hasPrefix("/competencies/") == true)

            // A published course is cited, and offered among the courses that fit.
            let body = courseBody(world, competency: try await competencyID(app), title: "Cyber hygiene for the office")
            let course = try await publishCourse(app, body)
            let cyber = try await ask(app, "cyber hygiene in the office")
            #expect(cyber.known)
            #expect(cyber.answer.first?.source == .course)
            #expect(cyber.answer.first?.link == "/courses/\(course.uuidString.lowercased())")
            #expect(cyber.courses.map(\.id) == [course])
        }
    }

    @Test func belowTheThresholdItSaysItDoesNotKnow() async throws {
        try await withApp { app, _ in
            _ = try await addDocument(app, ["kind": "faq", "title": "Certificates", "language": "en", "body": certificates])
            for (question, language) in [("What is the weather in Delhi tomorrow?", "en"), ("சான்றிதழை எப்படி பதிவிறக்குவது?", "ta"), ("!!! ???", "en")] {
                let answer = try await ask(app, question, language: language)
                #expect(!answer.known, "\(question)")
                #expect(answer.answer.isEmpty && answer.courses.isEmpty)
                #expect(answer.search.hasPrefix("/courses?q="))
            }
        }
    }

    @Test func aPersonsOwnRecordsAnswerWhatIsDueAndWhatIsUnderWay() async throws {
        try await withApp { app, world in
            let course = try await publishCourse(app, courseBody(world, competency: try await competencyID(app), title: "Manual of Office Procedure"))
            let learner = try await app.token("learner.mha")
            #expect([.ok, .created].contains(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner).status))
            let answer = try await ask(app, "Which course am I doing and how much is done?")
            #expect(answer.known)
            let record = try #require(answer.answer.first { $0.source == .record })
            #expect(record.text.contains("Manual of Office Procedure"))
            #expect(record.link == "/learn/\(course.uuidString)")
            // Another person's question never sees these records.
            let other = try await ask(app, "Which course am I doing and how much is done?", as: "learner.health")
            #expect(!other.answer.contains { $0.source == .record })
        }
    }

    @Test func badQuestionsAreRefusedAndUnknownScriptsAreNotErrors() async throws {
        try await withApp { app, _ in
            let learner = try await app.token("learner.mha")
            for (body, field) in [(["question": ""], "question"), (["question": "   "], "question"),
                                  (["question": String(repeating: "प्रश्न ", count: 2_000)], "question"),
                                  (["question": "certificate", "language": "xx"], "language")] as [([String: String], String)] {
                let reply = try await app.send(.POST, "/api/v1/assistant/ask", token: learner, json: body)
                #expect(reply.status == .unprocessableEntity, "\(body)")
                #expect(reply.fields == [field])
            }
            #expect(try await app.send(.POST, "/api/v1/assistant/ask", token: learner, json: ["question": "x", "mood": "curious"]).status == .unprocessableEntity)
            #expect(try await app.send(.POST, "/api/v1/assistant/ask", token: learner, body: "{\"question\":", contentType: .json).status == .badRequest)
            #expect(try await app.send(.POST, "/api/v1/assistant/ask", json: ["question": "certificate"]).status == .unauthorized)
        }
    }

    @Test func onlyNationalAdminsChangeDocumentsAndBadOnesChangeNothing() async throws {
        try await withApp { app, _ in
            let national = try await app.token("national")
            let document = try await addDocument(app, ["kind": "policy", "title": "Privacy", "language": "en", "body": "# Records\nAdministrators see their own organisation's records."])
            let path = "/api/v1/assistant/documents/\(document.id)"
            for key in ["learner.mha", "mdo.mha", "state.rajasthan"] {
                let token = try await app.token(key)
                #expect(try await app.send(.POST, "/api/v1/assistant/documents", token: token, json: ["kind": "faq", "title": "X", "language": "en", "body": "x"]).status == .forbidden)
                #expect(try await app.send(.PUT, path, token: token, json: ["title": "Changed"]).status == .forbidden)
                #expect(try await app.send(.DELETE, path, token: token).status == .forbidden)
                #expect(try await app.send(.GET, path, token: token).status == .ok)
            }
            // Wrong fields, every one named; nothing stored.
            let refused = try await app.send(.POST, "/api/v1/assistant/documents", token: national, json: ["kind": "memo", "title": "", "language": "klingon", "body": "# Only a heading"])
            #expect(refused.status == .unprocessableEntity)
            #expect(Set(refused.fields) == ["kind", "title", "language", "body"])
            #expect(try await app.send(.PUT, path, token: national, json: ["body": ""]).fields == ["body"])
            // A multipart change must bring the new file.
            #expect(try await app.send(.PUT, path, token: national, bytes: multipart(["title": "Renamed"], file: ("", [])),
                                       contentType: HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": "b0undary"])).fields == ["file"])
            // Files that are not text: refused by what their bytes are, whatever they are called.
            for (name, bytes) in [("policy.txt", Array("%PDF-1.7\n%âãÏÓ\n1 0 obj".utf8)), ("faq.md", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]),
                                  ("latin1.txt", [0x63, 0x61, 0x66, 0xE9, 0x0A])] as [(String, [UInt8])] {
                let reply = try await app.send(.POST, "/api/v1/assistant/documents", token: national, bytes: multipart(["kind": "faq", "title": "Upload", "language": "en"], file: (name, bytes)),
                                               contentType: HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": "b0undary"]))
                #expect(reply.status == .unprocessableEntity, "\(name)")
                #expect(reply.fields == ["file"], "\(name): \(reply.body)")
            }
            let listed = try await app.send(.GET, "/api/v1/assistant/documents", token: national).items
            #expect(listed.map { $0["title"] as? String } == ["Privacy"])
            #expect(listed.first?["body"] as? String == document.body)

            // A text file is read as the body; a change is answered from at once; a removed document no longer answers.
            let uploaded = try await app.send(.POST, "/api/v1/assistant/documents", token: national,
                                              bytes: multipart(["kind": "faq", "title": "Passwords", "language": "en"], file: ("passwords.md", Array("# Forgot your password\nChoose Forgot password on the sign-in page.".utf8))),
                                              contentType: HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": "b0undary"]))
            #expect(uploaded.status == .created, "\(uploaded.body)")
            let passwords = try uploaded.decoded(AssistantDocumentDTO.self)
            #expect(passwords.fileName == "passwords.md")
            #expect(try await ask(app, "I forgot my password").answer.first?.title == "Passwords")
            #expect(try await app.send(.PUT, "/api/v1/assistant/documents/\(passwords.id)", token: national,
                                       json: ["body": "# Resetting\nA reset link is sent to your email and works for one hour."]).status == .ok)
            #expect(try await ask(app, "how long does the reset link work?").answer.first?.section == "Resetting")
            #expect(try await app.send(.DELETE, "/api/v1/assistant/documents/\(passwords.id)", token: national).status == .noContent)
            #expect(try await ask(app, "how long does the reset link work?").known == false)
            #expect(try await app.send(.GET, "/api/v1/assistant/documents/\(passwords.id)", token: national).status == .notFound)
        }
    }

    @Test func aPDFsTextIsReadAndAScanIsRefusedWithItsReason() async throws {
        try await withApp { app, _ in
            let national = try await app.token("national")
            let type = HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": "b0undary"])
            let pdf = """
                %PDF-1.4
                1 0 obj
                << /Type /Page /Resources << /Font << /F1 2 0 R >> >> /Contents 3 0 R >>
                endobj
                2 0 obj
                << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>
                endobj
                3 0 obj
                << /Length 99 >>
                stream
                BT /F1 14 Tf 72 760 Td (Leave for training) Tj ET BT /F1 11 Tf 72 730 Td (Officers get special casual leave.) Tj ET
                endstream
                endobj
                trailer
                << >>
                %%EOF
                """
            let added = try await app.send(.POST, "/api/v1/assistant/documents", token: national,
                                           bytes: multipart(["kind": "policy", "title": "Training leave", "language": "en"], file: ("leave.pdf", Array(pdf.utf8))), contentType: type)
            #expect(added.status == .created, "\(added.body)")
            let document = try added.decoded(AssistantDocumentDTO.self)
            #expect(document.body == "Leave for training\nOfficers get special casual leave.")
            #expect(document.fileName == "leave.pdf")
            #expect(try await ask(app, "Do officers get special casual leave for training?").answer.first?.title == "Training leave")

            let scan = pdf.replacingOccurrences(of: "BT /F1 14 Tf 72 760 Td (Leave for training) Tj ET BT /F1 11 Tf 72 730 Td (Officers get special casual leave.) Tj ET",
                                                with: "q 595 0 0 842 0 0 cm /Im1 Do Q")
            let refused = try await app.send(.POST, "/api/v1/assistant/documents", token: national,
                                             bytes: multipart(["kind": "policy", "title": "Scanned", "language": "en"], file: ("scan.pdf", Array(scan.utf8))), contentType: type)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.fields == ["file"])
            #expect(refused.body.contains("scanned PDF"))
            #expect(try await AssistantDocuments.all(on: app.db).map(\.title) == ["Training leave"])
        }
    }

    @Test func theConversationPageWorksWithoutAScriptInEnglishAndHindi() async throws {
        try await withApp { app, _ in
            _ = try await addDocument(app, ["kind": "faq", "title": "Certificates", "language": "en", "body": certificates])
            _ = try await addDocument(app, ["kind": "faq", "title": "प्रमाणपत्र", "language": "hi", "body": "# प्रमाणपत्र कब मिलता है\nसभी आवश्यक सामग्री पूरी करने पर प्रमाणपत्र अपने आप जारी होता है।"])
            var browser = Browser(app)
            try await browser.signIn("learner.mha")
            let empty = try await browser.get("/assistant")
            #expect(empty.status == .ok)
            #expect(empty.body.contains("<textarea id=\"question\" name=\"question\""))
            #expect(!empty.body.contains("/admin/assistant"))

            let asked = try await browser.post("/assistant", form: ["question": "How do I download my certificate?"])
            #expect(asked.status == .seeOther)
            let page = try await browser.get("/assistant")
            #expect(page.body.contains("Open My certificates to download each certificate"))
            #expect(page.body.contains("Certificates › Downloading a certificate"))
            _ = try await browser.post("/assistant", form: ["question": "What is the weather in Delhi?"])
            let unknown = try await browser.get("/assistant")
            #expect(unknown.body.contains("I don&#39;t know") || unknown.body.contains("I don't know"))
            #expect(unknown.body.contains("href=\"/courses?q="))

            let refused = try await browser.post("/assistant", form: ["question": ""])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.contains("field-error"))

            let hindi = try await browser.get("/assistant?lang=hi")
            #expect(hindi.body.contains("कर्मयोगी साथी"))
            _ = try await browser.post("/assistant", form: ["question": "मुझे प्रमाणपत्र कब मिलेगा?"])
            let answered = try await browser.get("/assistant")
            #expect(answered.body.contains("अपने आप जारी होता है"))

            _ = try await browser.post("/assistant/clear", form: [:])
            #expect(try await browser.get("/assistant").body.contains(Catalogue.all["hi"]!("assistant.empty")))
            // Only national admins see the documents' page; for others it does not exist.
            #expect(try await browser.get("/admin/assistant").status == .notFound)
        }
    }

    @Test func nationalAdminsAddChangeAndRemoveDocumentsOnTheirPage() async throws {
        try await withApp { app, _ in
            var browser = Browser(app)
            try await browser.signIn("national")
            #expect(try await browser.get("/assistant").body.contains("href=\"/admin/assistant\""))
            let list = try await browser.get("/admin/assistant")
            #expect(list.status == .ok)
            let added = try await browser.post("/admin/assistant", multipart: ["title": "Karma points", "kind": "faq", "language": "en", "body": ""],
                                               file: ("file", "karma.txt", Array("# Earning\nKarma points are earned by completing courses.".utf8)))
            #expect(added.status == .created, "\(added.body)")
            let stored = try await AssistantDocuments.all(on: app.db)
            let id = try #require(stored.first?.id).uuidString.lowercased()
            #expect(stored.first?.fileName == "karma.txt")
            let refused = try await browser.post("/admin/assistant", multipart: ["title": "Scan", "kind": "faq", "language": "en", "body": ""],
                                                 file: ("file", "scan.txt", [0x25, 0x50, 0x44, 0x46, 0x2D, 0x31, 0x2E, 0x34, 0x0A]))
            #expect(refused.status == .unprocessableEntity)
            #expect(try await AssistantDocuments.all(on: app.db).count == 1)

            let edited = try await browser.post("/admin/assistant/\(id)", multipart: ["title": "Karma points explained", "kind": "faq", "language": "en", "body": ""], file: nil)
            #expect(edited.status == .ok)
            let changed = try await AssistantDocuments.find(UUID(uuidString: id)!, on: app.db)
            #expect(changed.title == "Karma points explained")
            #expect(changed.body.contains("Karma points are earned"))

            let asked = try await browser.post("/admin/assistant/\(id)/remove", form: [:])
            #expect(asked.body.contains("name=\"confirmed\""))
            #expect(try await AssistantDocuments.all(on: app.db).count == 1)
            _ = try await browser.post("/admin/assistant/\(id)/remove", form: ["confirmed": "1"])
            #expect(try await AssistantDocuments.all(on: app.db).isEmpty)
        }
    }

    // MARK: Helpers

    func multipart(_ fields: [String: String], file: (name: String, bytes: [UInt8])) -> [UInt8] {
        var body: [UInt8] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body += Array("--b0undary\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array("--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        return body + file.bytes + Array("\r\n--b0undary--\r\n".utf8)
    }

    func competencyID(_ app: Application) async throws -> String {
        try #require(try await app.send(.GET, "/api/v1/competencies?q=Empathy").items.first?["id"] as? String)
    }

    func publishCourse(_ app: Application, _ body: [String: Any]) async throws -> UUID {
        let created = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: body)
        let id = try #require(created.json["id"] as? String, "\(created.body)")
        for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/\(action)", token: try await app.token(key)).status == .ok)
        }
        return try #require(UUID(uuidString: id))
    }
}
