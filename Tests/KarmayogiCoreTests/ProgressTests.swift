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
        #expect(KarmaRule.completion(assessmentPassed: false, inPlan: false, unplannedEarnedThisMonth: 0) == [.completion])
        #expect(KarmaRule.completion(assessmentPassed: true, inPlan: false, unplannedEarnedThisMonth: 3) == [.completion, .assessmentPassed])
        #expect(KarmaRule.completion(assessmentPassed: true, inPlan: false, unplannedEarnedThisMonth: 4).isEmpty)
        #expect(KarmaRule.completion(assessmentPassed: false, inPlan: true, unplannedEarnedThisMonth: 9) == [.completion])
        #expect(KarmaReason.allCases.map(\.points) == [5, 5, 2, 5, 5])
    }

    @Test func ranksAreDense() {
        #expect(KarmaRule.denseRanks([30, 50, 30, 10, 50]) == [2, 1, 2, 3, 1])
        #expect(KarmaRule.denseRanks([]) == [])
    }
}
