import Foundation
import Testing
@testable import KarmayogiCore

@Suite struct CourseChangesTests {
    func content() -> CourseContent {
        let video = CourseContent.Item(id: UUID(), title: "Video", kind: .video, durationMinutes: 20, required: true, url: "content:aaa")
        let reading = CourseContent.Item(id: UUID(), title: "Reading", kind: .link, durationMinutes: 10, required: false, url: "https://example.org")
        let quiz = CourseContent.Item(id: UUID(), title: "Quiz", kind: .assessment, durationMinutes: 10, required: true,
                                      assessment: AssessmentSpec(questions: [.init(id: UUID(), kind: .trueFalse, text: "Yes?", correct: [0])],
                                                                 drawCount: 1, timeLimitSeconds: 600, maxAttempts: 3, passPercent: 60))
        var content = CourseContent(title: "RTI", summary: "s", description: "d", keywords: [], language: "en", durationMinutes: 40,
                                    competencies: [RoleRequirement(competencyId: UUID(), level: 2)],
                                    modules: [.init(title: "One", items: [video, reading]), .init(title: "Two", items: [quiz])])
        for index in content.modules.indices { content.modules[index].id = UUID() }
        return content
    }

    @Test func aNeverPublishedCourseHasNothingToCompare() {
        #expect(CourseChange.changes(from: nil, to: content()).isEmpty)
    }

    @Test func sameContentHasNoChanges() {
        let same = content()
        #expect(CourseChange.changes(from: same, to: same).isEmpty)
    }

    @Test func everyKindOfChangeIsNamed() {
        let old = content()
        var new = old
        new.title = "RTI in practice"
        new.competencies[0].level = 3
        new.modules[0].items[0].url = "content:bbb"
        new.modules[0].items.swapAt(0, 1)
        new.modules[1].items[0].assessment?.questions[0].text = "Really?"
        new.modules[1].title = "Check"
        new.modules[0].items.append(.init(id: UUID(), title: "PDF", kind: .document, durationMinutes: 5, required: true, url: "content:ccc"))
        new.modules[0].items.remove(at: 0)
        let changes = CourseChange.changes(from: old, to: new)
        #expect(changes.contains(.field("title")))
        #expect(changes.contains(.competencyLevel(old.competencies[0].competencyId, from: 2, to: 3)))
        #expect(changes.contains(.itemChanged(old.modules[0].items[0].id!, title: "Video", parts: ["url"])))
        #expect(changes.contains(.itemChanged(old.modules[1].items[0].id!, title: "Quiz", parts: ["questions"])))
        #expect(changes.contains(.moduleRenamed(from: "Two", to: "Check")))
        #expect(changes.contains(.itemRemoved(title: "Reading")))
        #expect(changes.contains { if case .itemAdded(_, "PDF") = $0 { true } else { false } })
        #expect(Set(changes.compactMap(\.itemID)).count == 3)
    }
}
