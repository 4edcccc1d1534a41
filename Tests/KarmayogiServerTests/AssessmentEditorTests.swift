import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// An author writes an assessment's questions on the page (every kind), reorders and removes them, imports a sheet all
/// or nothing, and previews the result; the course then goes to review with questions instead of stopping there.
@Suite struct AssessmentEditorTests {
    /// A draft course with one assessment item and no questions; answers the course's and the item's ids.
    func draftWithAnAssessment(_ app: Application, _ world: TestWorld) async throws -> (course: String, item: String) {
        let competency = try #require(try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items.first?["id"] as? String)
        let body = courseBody(world, competency: competency, title: "RTI in practice", modules: [
            ["title": "Learn", "items": [["title": "Reading", "kind": "link", "durationMinutes": 10, "required": true, "url": "https://rti.gov.in"],
                                         ["title": "Check yourself", "kind": "assessment", "durationMinutes": 15, "required": true]]],
        ])
        let created = try await app.send(.POST, "/api/v1/courses", token: try await app.token("creator.mha"), json: body)
        let course = try #require(created.json["id"] as? String, "\(created.body)")
        let items = (created.json["modules"] as? [[String: Any]] ?? []).flatMap { $0["items"] as? [[String: Any]] ?? [] }
        return (course, try #require(items.last?["id"] as? String))
    }

    /// The latest version of the course, as its author sees it.
    func latest(_ app: Application, _ course: String) async throws -> CourseVersion {
        let author = try #require(try await User.query(on: app.db).filter(\.$email == "creator.mha@test.example.org").first()?.id)
        return try await Courses.visible(UUID(uuidString: course)!, to: try await Principal.load(userID: author, on: app.db), on: app.db).1
    }

    func spec(_ app: Application, _ course: String) async throws -> AssessmentSpec? {
        try await latest(app, course).content.modules.flatMap(\.items).first { $0.kind == .assessment }?.assessment
    }

    @Test func anAuthorWritesEveryKindOfQuestionOnThePage() async throws {
        try await withApp { app, world in
            let (course, item) = try await draftWithAnAssessment(app, world)
            var browser = Browser(app)
            try await browser.signIn("creator.mha")
            let editor = try await browser.get("/author/courses/\(course)")
            #expect(editor.body.contains("/assessments/\(item.lowercased())") && editor.body.contains("assessment &#39;Check yourself&#39; has no questions yet"))
            let base = "/author/courses/\(course)/assessments/\(item)"
            var page = try await browser.get(base)
            #expect(page.status == .ok && page.body.contains("No questions yet."))

            // Refused, each with its reason, and nothing saved.
            let noRight = try await browser.post("\(base)/add", pairs: [("kind", "single"), ("text", "Which Act?"), ("options[]", "RTI Act"), ("options[]", "IT Act")])
            #expect(noRight.status == .unprocessableEntity && noRight.body.contains("tick the right answer"))
            #expect(noRight.body.contains(">Which Act?</textarea>") && noRight.body.contains("value=\"RTI Act\""), "what was written stays")
            let noNumber = try await browser.post("\(base)/add", pairs: [("kind", "numeric"), ("text", "How many days?"), ("answer", "")])
            #expect(noNumber.status == .unprocessableEntity && noNumber.body.contains("give the number that is right"))
            #expect(try await spec(app, course) == nil)

            // Every kind, saved.
            page = try await browser.post("\(base)/add", pairs: [("kind", "single"), ("text", "Which Act gives citizens access to information?"),
                                                                   ("options[]", "RTI Act 2005"), ("options[]", ""), ("options[]", "IT Act 2000"), ("right[]", "0"),
                                                                   ("explanation", "The Right to Information Act, 2005."), ("marks", "2")])
            #expect(page.status == .seeOther)
            _ = try await browser.post("\(base)/add", pairs: [("kind", "multiple"), ("text", "Which are exempt?"), ("options[]", "Cabinet papers"),
                                                               ("options[]", "Bus timetables"), ("options[]", "Security matters"), ("right[]", "0"), ("right[]", "2")])
            _ = try await browser.post("\(base)/add", pairs: [("kind", "true_false"), ("text", "A reply is due in 30 days."), ("truth", "true")])
            _ = try await browser.post("\(base)/add", pairs: [("kind", "numeric"), ("text", "Fee in rupees?"), ("answer", "10"), ("tolerance", "0")])
            var bank = try #require(try await spec(app, course))
            #expect(bank.questions.map(\.kind) == [.single, .multiple, .trueFalse, .numeric])
            #expect(bank.questions[0].options == ["RTI Act 2005", "IT Act 2000"] && bank.questions[0].correct == [0] && bank.questions[0].marks == 2)
            #expect(bank.questions[1].correct == [0, 2] && bank.questions[2].correct == [0] && bank.questions[3].answer == 10)
            #expect(bank.drawCount == 4, "a bank that draws all keeps drawing all")

            // Edited, moved up, removed.
            let numeric = bank.questions[3].id!.uuidString.lowercased()
            _ = try await browser.post("\(base)/save", pairs: [("questionId", numeric), ("text", "Application fee in rupees?"), ("answer", "10"), ("tolerance", "0.5")])
            _ = try await browser.post("\(base)/move", pairs: [("questionId", numeric)])
            _ = try await browser.post("\(base)/move", pairs: [("questionId", numeric), ("direction", "down")])
            #expect(try await spec(app, course)?.questions.last?.id?.uuidString.lowercased() == numeric, "moved down again, to the end")
            _ = try await browser.post("\(base)/move", pairs: [("questionId", numeric)])
            let asked = try await browser.post("\(base)/remove", pairs: [("questionId", bank.questions[1].id!.uuidString.lowercased())])
            #expect(asked.status == .ok && asked.body.contains("Remove the question “Which are exempt?”") && asked.body.contains("name=\"confirmed\""))
            #expect(try await spec(app, course)?.questions.count == 4, "asking removes nothing")
            _ = try await browser.post("\(base)/remove", pairs: [("questionId", bank.questions[1].id!.uuidString.lowercased()), ("confirmed", "1")])
            bank = try #require(try await spec(app, course))
            #expect(bank.questions.map(\.text) == ["Which Act gives citizens access to information?", "Application fee in rupees?", "A reply is due in 30 days."])
            #expect(bank.questions[1].tolerance == 0.5 && bank.drawCount == 3)

            // The preview shows them as a learner would, with the right ones ticked for the author.
            let preview = try await browser.get("\(base)/preview")
            #expect(preview.status == .ok && preview.body.contains("<legend>2. Application fee in rupees?</legend>") && preview.body.contains("RTI Act 2005 ✓"))
            #expect(preview.body.contains("disabled"))

            let hindi = try await browser.get("\(base)?lang=hi")
            #expect(hindi.body.contains("प्रश्न जोड़ें") && hindi.body.contains("स्प्रेडशीट से प्रश्न आयात करें"))
            _ = try await browser.get("\(base)?lang=en")

            // The course now goes to review, where its questions stay as they are.
            let submitted = try await browser.post("/author/courses/\(course)/submit", form: [:])
            #expect(submitted.status == .seeOther)
            #expect(try await latest(app, course).state == .inReview)
            let locked = try await browser.post("\(base)/remove", pairs: [("questionId", numeric), ("confirmed", "1")])
            let kept = try await spec(app, course)
            #expect(locked.status == .conflict && kept?.questions.count == 3)
        }
    }

    @Test func aSheetOfQuestionsIsTakenWholeOrNotAtAll() async throws {
        try await withApp { app, world in
            let (course, item) = try await draftWithAnAssessment(app, world)
            var browser = Browser(app)
            try await browser.signIn("creator.mha")
            let base = "/author/courses/\(course)/assessments/\(item)"
            _ = try await browser.get(base)
            let template = try await browser.get("/author/questions-template.csv")
            #expect(template.status == .ok && template.headers.contentType?.subType == "csv" && template.body.hasPrefix("kind,question,option1"))
            let bad = "kind,question,option1,option2,correct\nsingle,Good one,A,B,1\nsingle,No answer,A,B,\nnumeric,How many?,,,lots\n"
            let refused = try await browser.post("\(base)/import", multipart: [:], file: ("file", "questions.csv", Array(bad.utf8)))
            #expect(refused.status == .unprocessableEntity && refused.body.contains("line 3, correct") && refused.body.contains("line 4, correct"))
            #expect(try await spec(app, course) == nil, "nothing imported")
            let taken = try await browser.post("\(base)/import", multipart: [:], file: ("file", "questions.csv", Array(QuestionSheet.template.utf8)))
            #expect(taken.status == .seeOther)
            let bank = try #require(try await spec(app, course))
            #expect(bank.questions.count == 4 && bank.drawCount == 4 && Set(bank.questions.compactMap(\.id)).count == 4)
        }
    }

    @Test func othersCannotWriteTheQuestions() async throws {
        try await withApp { app, world in
            let (course, item) = try await draftWithAnAssessment(app, world)
            var outsider = Browser(app)
            try await outsider.signIn("learner.mha")
            #expect(try await outsider.get("/author/courses/\(course)/assessments/\(item)").status == .notFound)
            var reviewer = Browser(app)
            try await reviewer.signIn("reviewer.mha")
            let read = try await reviewer.get("/author/courses/\(course)/assessments/\(item)")
            #expect(read.status == .ok && !read.body.contains("Add the question"), "a reviewer reads, does not write")
            let refused = try await reviewer.post("/author/courses/\(course)/assessments/\(item)/add", pairs: [("kind", "true_false"), ("text", "x"), ("truth", "true")])
            #expect(refused.status == .conflict)
            #expect(try await spec(app, course) == nil)
            #expect(try await reviewer.get("/author/courses/\(course)/assessments/\(UUID())").status == .notFound)
        }
    }
}
