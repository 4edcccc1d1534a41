import Foundation
import Testing
@testable import KarmayogiCore

@Suite struct QuestionSheetTests {
    @Test func theTemplateReadsBackAsOneQuestionOfEachKind() throws {
        let questions = try QuestionSheet.read(Array(QuestionSheet.template.utf8)).get()
        #expect(questions.map(\.kind) == [.single, .multiple, .trueFalse, .numeric])
        #expect(questions[0].correct == [1] && questions[0].options?.count == 3 && questions[0].explanation?.hasPrefix("Article 312") == true)
        #expect(questions[1].correct == [0, 1, 2] && questions[1].marks == 2)
        #expect(questions[2].correct == [0] && questions[2].options == nil)
        #expect(questions[3].answer == 45 && questions[3].tolerance == 0)
        let spec = AssessmentSpec(questions: questions, drawCount: 4, timeLimitSeconds: 600, maxAttempts: 3, passPercent: 60)
        #expect(spec.problems(field: "assessment").isEmpty)
    }

    @Test func everyBadRowIsNamedAndNothingIsTaken() {
        let sheet = """
            kind,question,option1,option2,correct,marks
            single,Fine question,A,B,1,
            single,,A,B,3,
            essay,Write an essay,,,,
            true_false,Sky is blue,,,maybe,
            numeric,How many?,,,many,200
            multiple,Pick,A,B,,
            """
        guard case .failure(let problems) = QuestionSheet.read(Array(sheet.utf8)) else { Issue.record("a bad sheet was taken"); return }
        let named = problems.rows.map { "\($0.line):\($0.column)" }
        #expect(named == ["3:question", "3:correct", "4:kind", "5:correct", "6:correct", "6:marks", "7:correct"])
        let unknownColumn = QuestionSheet.read(Array("kind,question,answer\nsingle,Q,1\n".utf8))
        guard case .failure(let header) = unknownColumn else { Issue.record("an unknown column was taken"); return }
        #expect(header.rows.contains { $0.column == "answer" && $0.reason == "is not a column of the template" })
        guard case .failure(let empty) = QuestionSheet.read([]) else { Issue.record("an empty sheet was taken"); return }
        #expect(empty.rows.first?.reason.contains("empty") == true)
    }

    @Test func marksWeighTheScore() {
        let easy = AssessmentSpec.Question(id: UUID(), kind: .trueFalse, text: "Easy", correct: [0])
        let hard = AssessmentSpec.Question(id: UUID(), kind: .numeric, text: "Hard", answer: 42, marks: 3)
        let spec = AssessmentSpec(questions: [easy, hard], drawCount: 2, timeLimitSeconds: 600, maxAttempts: 3, passPercent: 60)
        let drawn = [DrawnQuestion(questionId: easy.id!, order: [0, 1]), DrawnQuestion(questionId: hard.id!, order: [])]
        #expect(AssessmentRule.score([GivenAnswer(questionId: easy.id!, choices: [0])], drawn: drawn, spec: spec).percent == 25)
        #expect(AssessmentRule.score([GivenAnswer(questionId: hard.id!, number: 42)], drawn: drawn, spec: spec).percent == 75)
        var bad = spec
        bad.questions[1].marks = 0
        #expect(bad.problems(field: "a").map(\.field) == ["a.questions[1].marks"])
    }
}
