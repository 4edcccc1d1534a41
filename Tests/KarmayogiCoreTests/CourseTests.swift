import Foundation
import Testing
@testable import KarmayogiCore

@Suite struct CourseRuleTests {
    let competency = UUID()

    func content(modules: [CourseContent.Module]) -> CourseContent {
        CourseContent(title: "Noting and Drafting", summary: "", description: "", keywords: ["noting"], language: "hi", durationMinutes: 90,
                      competencies: [RoleRequirement(competencyId: competency, level: 2)], modules: modules)
    }

    @Test func aCompleteCourseHasNoProblems() {
        let course = content(modules: [.init(title: "Basics", items: [.init(title: "Intro", kind: .video, durationMinutes: 10, required: true)])])
        #expect(course.problems(current: [competency], retired: []).isEmpty)
        #expect(course.publishProblems.isEmpty)
    }

    @Test func savingNamesEachBadField() {
        var course = content(modules: [.init(title: "", items: [.init(title: "Site", kind: .web, durationMinutes: -1, required: true)])])
        course.language = "xx"
        course.competencies = [RoleRequirement(competencyId: UUID(), level: 6)]
        let fields = course.problems(current: [competency], retired: []).map(\.field)
        #expect(fields == ["language", "competencies[0].competencyId", "competencies[0].level", "modules[0].title",
                           "modules[0].items[0].durationMinutes", "modules[0].items[0].url"])
    }

    @Test func publishingNeedsModulesWithRequiredItems() {
        #expect(content(modules: []).publishProblems.map(\.field) == ["modules"])
        let empty = content(modules: [.init(title: "Empty", items: [])])
        #expect(empty.publishProblems.map(\.field).contains("modules[0].items"))
        let optional = content(modules: [.init(title: "M", items: [.init(title: "I", kind: .document, durationMinutes: 5, required: false)])])
        #expect(optional.publishProblems.map(\.field) == ["modules"])
    }

    @Test func identifyingKeepsGivenIds() {
        let kept = UUID()
        let course = content(modules: [.init(title: "M", items: [.init(id: kept, title: "A", kind: .video, durationMinutes: 1, required: true),
                                                                .init(title: "B", kind: .video, durationMinutes: 1, required: true)])]).identified()
        #expect(course.modules[0].id != nil)
        #expect(course.modules[0].items[0].id == kept)
        #expect(course.modules[0].items[1].id != nil && course.modules[0].items[1].id != kept)
    }

    /// Every action from every state: only the workflow's own steps are allowed.
    @Test func workflowAllowsOnlyItsSteps() {
        var allowed: [String] = []
        for action in CourseAction.allCases {
            for state in CourseState.allCases {
                if let next = action.next(from: state) { allowed.append("\(action.rawValue): \(state.rawValue) → \(next.rawValue)") }
            }
        }
        #expect(allowed == ["submit: draft → in_review", "approve: in_review → approved", "reject: in_review → draft",
                            "reject: approved → draft", "publish: approved → published", "retire: published → retired"])
        #expect(CourseAction.approve.role == .contentReviewer && CourseAction.publish.role == .contentPublisher)
    }
}
