import Foundation
import KarmayogiCore
import Testing

@Suite struct ProgressMergeTests {
    let course = UUID()
    let items = (0..<4).map { _ in UUID() }

    /// Updates as players send them: several items, any status and percentage, each with its own key.
    func updates(_ generator: inout SeededGenerator, count: Int) -> [ProgressUpdate] {
        (0..<count).map { index in
            ProgressUpdate(courseId: course, itemId: items.randomElement(using: &generator)!,
                           status: ItemStatus.allCases.randomElement(using: &generator)!,
                           percent: Double(Int.random(in: 0...100, using: &generator)), secondsSpent: Int.random(in: 0...600, using: &generator),
                           clientTime: Date(timeIntervalSince1970: Double(Int.random(in: 0...1_000_000, using: &generator))), key: "k\(index)")
        }
    }

    @Test(arguments: 0..<200) func replayingAndReorderingGiveTheSameState(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let sent = updates(&generator, count: Int.random(in: 1...30, using: &generator))
        var inOrder = ProgressLedger()
        for update in sent { inOrder.apply(update) }
        // The same updates shuffled, some sent again (a retry after a lost answer), some many times.
        var delivered = sent + (0..<Int.random(in: 0...20, using: &generator)).map { _ in sent.randomElement(using: &generator)! }
        delivered.shuffle(using: &generator)
        var shuffled = ProgressLedger()
        for update in delivered { shuffled.apply(update) }
        #expect(shuffled == inOrder)
        for item in items {
            let mine = sent.filter { $0.itemId == item }
            #expect(shuffled.items[item]?.secondsSpent ?? 0 == mine.map(\.secondsSpent).reduce(0, +), "seconds count once per key")
            #expect(shuffled.items[item]?.status ?? .notStarted == mine.map(\.status).max() ?? .notStarted)
        }
    }

    @Test(arguments: 0..<100) func statusAndPercentageNeverGoDown(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        var ledger = ProgressLedger()
        for update in updates(&generator, count: 40) {
            let before = ledger.items[update.itemId] ?? ItemProgress()
            ledger.apply(update)
            let after = ledger.items[update.itemId]!
            #expect(after.status >= before.status && after.percent >= before.percent && after.secondsSpent >= before.secondsSpent)
            #expect(after.status != .completed || after.percent == 100, "a completed item is at 100%")
        }
    }

    @Test func aLateUpdateChangesNothing() {
        var progress = ItemProgress()
        let item = items[0]
        progress.merge(ProgressUpdate(courseId: course, itemId: item, status: .completed, percent: 100, secondsSpent: 300, key: "a"), firstTimeForKey: true)
        progress.merge(ProgressUpdate(courseId: course, itemId: item, status: .inProgress, percent: 40, secondsSpent: 0, key: "b"), firstTimeForKey: true)
        #expect(progress == ItemProgress(status: .completed, percent: 100, secondsSpent: 300))
    }

    @Test func badUpdatesAreNamed() {
        #expect(ProgressUpdate.problems(status: 3, percent: 150, secondsSpent: -1, key: "", field: "updates[0]").map(\.field)
                == ["updates[0].status", "updates[0].percent", "updates[0].secondsSpent", "updates[0].key"])
        #expect(ProgressUpdate.problems(status: nil, percent: -1, secondsSpent: 10, key: nil, field: "u").map(\.field) == ["u.status", "u.percent", "u.key"])
        #expect(ProgressUpdate.problems(status: 2, percent: 100, secondsSpent: 0, key: "x", field: "u").isEmpty)
    }

    @Test func aCourseCompletesWhenEveryRequiredItemDoes() {
        let ids = (0..<3).map { _ in UUID() }
        let content = CourseContent(title: "t", summary: "", description: "", keywords: [], language: "en", durationMinutes: 10, competencies: [], modules: [
            .init(id: UUID(), title: "m", items: [
                .init(id: ids[0], title: "a", kind: .video, durationMinutes: 5, required: true),
                .init(id: ids[1], title: "b", kind: .link, durationMinutes: 5, required: false, url: "https://x.in"),
                .init(id: ids[2], title: "c", kind: .document, durationMinutes: 5, required: true),
            ]),
        ])
        #expect(!CompletionRule.isComplete(content, completed: [ids[0], ids[1]]))
        #expect(CompletionRule.percent(content, completed: [ids[0], ids[1]]) == 50)
        #expect(CompletionRule.isComplete(content, completed: [ids[0], ids[2]]))
        #expect(CompletionRule.percent(content, completed: [ids[0], ids[2]]) == 100)
    }
}

@Suite struct KarmaRuleTests {
    @Test func completionsOutsideThePlanEarnFourTimesAMonth() {
        #expect(KarmaRule.completion(assessmentPassed: false, planBonus: nil, unplannedEarnedThisMonth: 0) == [.init(.completion, 5)])
        #expect(KarmaRule.completion(assessmentPassed: true, planBonus: nil, unplannedEarnedThisMonth: 3) == [.init(.completion), .init(.assessmentPassed)])
        #expect(KarmaRule.completion(assessmentPassed: true, planBonus: nil, unplannedEarnedThisMonth: 4).isEmpty)
        #expect(KarmaRule.completion(assessmentPassed: false, planBonus: 5, unplannedEarnedThisMonth: 9) == [.init(.plannedCompletion), .init(.planBonus, 5)])
        #expect(KarmaRule.completion(assessmentPassed: true, planBonus: 3, unplannedEarnedThisMonth: 9)
            == [.init(.plannedCompletion), .init(.planBonus, 3), .init(.assessmentPassed)])
        #expect(KarmaRule.completion(assessmentPassed: false, planBonus: 0, unplannedEarnedThisMonth: 0) == [.init(.plannedCompletion)])
        #expect(KarmaReason.allCases.map(\.points) == [5, 5, 2, 5, 5, 5, 5, 5, 5])
    }

    @Test func ranksAreDense() {
        #expect(KarmaRule.denseRanks([30, 50, 30, 10, 50]) == [2, 1, 2, 3, 1])
        #expect(KarmaRule.denseRanks([]) == [])
    }
}

@Suite struct AssessmentRuleTests {
    let spec = AssessmentSpec(questions: [
        .init(kind: .single, text: "Capital of India?", options: ["Mumbai", "New Delhi", "Kolkata", "Chennai"], correct: [1]),
        .init(kind: .multiple, text: "Scheduled languages?", options: ["Hindi", "Tamil", "Latin", "Bodo"], correct: [0, 1, 3]),
        .init(kind: .trueFalse, text: "The RTI Act is from 2005.", correct: [0]),
        .init(kind: .numeric, text: "Days in a leap year?", answer: 366, tolerance: 0),
    ], drawCount: 3, timeLimitSeconds: 600, maxAttempts: 2, passPercent: 60).identified()

    @Test(arguments: 0..<50) func drawingShufflesOptionsAndScoringFollowsThem(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let drawn = AssessmentRule.draw(spec, using: &generator)
        #expect(drawn.count == 3 && Set(drawn.map(\.questionId)).count == 3)
        let bank = Dictionary(uniqueKeysWithValues: spec.questions.map { ($0.id!, $0) })
        var right: [GivenAnswer] = [], wrong: [GivenAnswer] = []
        for shown in drawn {
            let question = bank[shown.questionId]!
            #expect(shown.order.sorted() == Array(question.shownOptions.indices), "a permutation of the options")
            if question.kind == .numeric {
                right.append(.init(questionId: shown.questionId, number: 366))
                wrong.append(.init(questionId: shown.questionId, number: 365))
            } else {
                let positions = shown.order.indices.filter { question.correct!.contains(shown.order[$0]) }
                right.append(.init(questionId: shown.questionId, choices: positions))
                wrong.append(.init(questionId: shown.questionId, choices: [shown.order.indices.first { !positions.contains($0) }!]))
            }
        }
        let passed = AssessmentRule.score(right, drawn: drawn, spec: spec)
        #expect(passed.percent == 100 && passed.passed)
        let failed = AssessmentRule.score(wrong, drawn: drawn, spec: spec)
        #expect(failed.percent == 0 && !failed.passed && failed.questions.allSatisfy { !$0.correct })
        #expect(AssessmentRule.score(Array(right.prefix(2)), drawn: drawn, spec: spec).percent == 66.7, "unanswered is wrong; 2 of 3 passes at 60")
    }

    @Test func answersOutsideTheAttemptAreNamed() {
        var generator = SeededGenerator(seed: 1)
        let drawn = AssessmentRule.draw(spec, using: &generator)
        let missing = spec.questions.first { question in !drawn.contains { $0.questionId == question.id } }!
        let problems = AssessmentRule.problems([
            .init(questionId: missing.id!, choices: [0]), .init(questionId: drawn[0].questionId, choices: [9]), .init(questionId: drawn[0].questionId, choices: [0]),
        ], drawn: drawn, spec: spec)
        #expect(problems.map(\.field) == ["answers[0].questionId", "answers[1].choices", "answers[2].questionId"])
    }

    @Test func aBadBankIsRefused() {
        let bad = AssessmentSpec(questions: [.init(kind: .single, text: "?", options: ["only one"], correct: [3]), .init(kind: .numeric, text: " ")],
                                 drawCount: 5, timeLimitSeconds: 5, maxAttempts: 0, passPercent: 101)
        #expect(Set(bad.problems(field: "a").map(\.field)) == ["a.drawCount", "a.timeLimitSeconds", "a.maxAttempts", "a.passPercent", "a.questions[0].options",
                                                              "a.questions[0].correct", "a.questions[1].text", "a.questions[1].answer"])
        #expect(spec.problems(field: "a").isEmpty)
    }
}
