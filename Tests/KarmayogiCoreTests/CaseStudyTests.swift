import Foundation
import Testing
@testable import KarmayogiCore

@Suite struct CaseDraftTests {
    func draft() -> CaseDraft {
        CaseDraft(title: "Jal Jeevan in Barmer", abstract: "Piped water to desert villages.", body: "The case.", teachingNote: "Ask the class…",
                  authors: ["A. Sharma"], stateCode: 8, sdgs: [6, 3], sector: "water_sanitation", year: 2023, language: "en", status: "completed",
                  coPublisher: "")
    }

    @Test func aCompleteDraftHasNoProblems() {
        #expect(draft().problems(in: geography, currentYear: 2026).isEmpty)
    }

    @Test func eachBadFieldIsNamed() {
        var bad = draft()
        bad.sdgs = [0, 18, 6]
        bad.stateCode = 99
        bad.sector = "mining"
        bad.year = 2031
        bad.language = "xx"
        bad.status = "abandoned"
        bad.authors = ["  "]
        bad.title = ""
        let fields = bad.problems(in: geography, currentYear: 2026).map(\.field)
        #expect(fields == ["title", "authors", "stateCode", "sdgs[0]", "sdgs[1]", "sector", "year", "language", "status"])
        bad = draft()
        bad.sdgs = []
        bad.stateCode = nil
        bad.year = nil
        #expect(bad.problems(in: geography, currentYear: 2026).map(\.field) == ["stateCode", "sdgs", "year"])
        bad.sdgs = [6, 6]
        #expect(bad.problems(in: geography, currentYear: 2026).contains(FieldError("sdgs", "names a goal twice")))
    }

    @Test func aSecondEditorPublishesWhatTheFirstSubmitted() {
        #expect(CaseAction.submit.next(from: .draft, bySubmitter: false) == .success(.inReview))
        #expect(CaseAction.publish.next(from: .inReview, bySubmitter: false) == .success(.published))
        #expect(CaseAction.publish.next(from: .inReview, bySubmitter: true).isFailure)
        #expect(CaseAction.sendBack.next(from: .inReview, bySubmitter: true) == .success(.draft))
        #expect(CaseAction.withdraw.next(from: .published, bySubmitter: false) == .success(.draft))
        #expect(CaseAction.publish.next(from: .draft, bySubmitter: false).isFailure, "a draft is reviewed before it is published")
        #expect(CaseAction.submit.next(from: .published, bySubmitter: false).isFailure)
    }
}

@Suite struct CaseIndexTests {
    let health = UUID(), water = UUID()

    var entries: [CaseEntry] {
        [CaseEntry(id: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!, title: "Jal Jeevan in Barmer", words: SearchText.words("Jal Jeevan in Barmer जल जीवन"),
                   stateCode: 8, sdgs: [6, 3], sector: "water_sanitation", year: 2023, competencies: [water], language: "en", status: "completed"),
         CaseEntry(id: UUID(uuidString: "00000000-0000-0000-0000-000000000002")!, title: "Mohalla clinics", words: SearchText.words("Mohalla clinics primary health"),
                   stateCode: 7, sdgs: [3], sector: "health", year: 2024, competencies: [health], language: "en", status: "completed"),
         CaseEntry(id: UUID(uuidString: "00000000-0000-0000-0000-000000000003")!, title: "स्वास्थ्य मित्र", words: SearchText.words("स्वास्थ्य मित्र ग्रामीण"),
                   stateCode: 8, sdgs: [3, 5], sector: "health", year: 2024, competencies: [health], language: "hi", status: "ongoing")]
    }

    @Test func filtersCombineAndEachFacetCountsUnderTheOthers() {
        var query = CaseQuery()
        query.sdg = 3
        query.stateCode = 8
        let result = CaseIndex.search(entries, query)
        #expect(result.ids.map { $0.uuidString.suffix(1) } == ["3", "1"], "newest year first")
        #expect(result.facets["state"] == ["8": 2, "7": 1], "the State facet counts under the SDG filter alone")
        #expect(result.facets["sdg"] == ["3": 2, "6": 1, "5": 1], "the SDG facet counts under the State filter alone")
        #expect(result.facets["sector"] == ["water_sanitation": 1, "health": 1])
        #expect(result.facets["status"] == ["completed": 1, "ongoing": 1])
    }

    @Test func wordsMatchInAnyScriptByPrefixOrOneSlip() {
        var query = CaseQuery()
        query.text = "स्वास्थ्य"
        #expect(CaseIndex.search(entries, query).ids.count == 1)
        query.text = "जल"
        #expect(CaseIndex.search(entries, query).ids.map { $0.uuidString.suffix(1) } == ["1"], "a short word matches whole")
        query.text = "clin"
        #expect(CaseIndex.search(entries, query).ids.map { $0.uuidString.suffix(1) } == ["2"])
        query.text = "barmre"
        #expect(CaseIndex.search(entries, query).ids.map { $0.uuidString.suffix(1) } == ["1"], "two letters swapped")
        query.text = "barmer health"
        #expect(CaseIndex.search(entries, query).ids.isEmpty, "every word must match")
        query.text = "in"
        #expect(CaseIndex.search(entries, query).ids.count == 1, "two letters match a whole word only")
    }

    @Test func coverageCountsACaseUnderEachOfItsGoals() {
        let cells = CaseIndex.coverage(entries)
        #expect(cells[3] == [8: 2, 7: 1] && cells[6] == [8: 1] && cells[5] == [8: 1] && cells[1] == nil)
    }
}

@Suite struct CaseItemTests {
    @Test func aCourseItemNamesACaseByReferenceOrByItsAddress() {
        let id = UUID(uuidString: "5c1b0c9e-7d2a-4f5e-9d51-0a8f7e0c1b2d")!
        #expect(CaseItemReference.caseID("case:5c1b0c9e-7d2a-4f5e-9d51-0a8f7e0c1b2d") == id)
        #expect(CaseItemReference.caseID("https://igot.example.gov.in/cases/5C1B0C9E-7D2A-4F5E-9D51-0A8F7E0C1B2D?lang=hi") == id)
        #expect(CaseItemReference.caseID("/cases/coverage") == nil && CaseItemReference.caseID("case:42") == nil)
        #expect(CaseItemReference.reference(id) == "case:5c1b0c9e-7d2a-4f5e-9d51-0a8f7e0c1b2d")
        func content(_ url: String?) -> CourseContent {
            CourseContent(title: "Water", summary: "", description: "", keywords: [], language: "en", durationMinutes: 60, competencies: [],
                          modules: [.init(title: "Cases", items: [.init(title: "Barmer", kind: .caseStudy, durationMinutes: 30, required: true, url: url)])])
        }
        #expect(content("case:5c1b0c9e-7d2a-4f5e-9d51-0a8f7e0c1b2d").problems(current: [], retired: []).isEmpty)
        #expect(content("case:5c1b0c9e-7d2a-4f5e-9d51-0a8f7e0c1b2d").caseItems.map(\.field) == ["modules[0].items[0].url"])
        #expect(content("case:5c1b0c9e-7d2a-4f5e-9d51-0a8f7e0c1b2d").modules[0].items[0].href == "/cases/5c1b0c9e-7d2a-4f5e-9d51-0a8f7e0c1b2d")
        for bad in [nil, "https://example.org/cases/5c1b0c9e-7d2a-4f5e-9d51-0a8f7e0c1b2d", "case:nothing"] {
            #expect(content(bad).problems(current: [], retired: []).map(\.field) == ["modules[0].items[0].url"], "\(bad ?? "no url")")
        }
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}

@Suite struct AccreditationRuleTests {
    @Test func starsFollowTheBandsAndScoresStayWithinTheirMaximum() {
        let framework = AccreditationFramework.starting
        #expect(framework.problems().isEmpty && framework.maximumTotal == 100)
        #expect([0.0, 29.9, 30, 44.9, 45, 60, 75, 89.9, 90, 100].map { framework.stars(percent: $0) } == [0, 0, 1, 1, 2, 3, 4, 4, 5, 5])
        var scores = Dictionary(uniqueKeysWithValues: framework.metrics.map { ($0.key, $0.maxScore) })
        #expect(framework.problems(of: scores).isEmpty && framework.percent(of: scores) == 100)
        scores["campus"] = 11
        scores["unknown"] = 1
        scores.removeValue(forKey: "vision")
        #expect(framework.problems(of: scores).map(\.field) == ["scores.unknown", "scores.vision", "scores.campus"])
    }

    @Test func anAssessorIsIndependentOfTheInstitutesTreeAndState() {
        #expect(AssessorIndependence.conflict(assessorPath: "/a/b/", assessorState: 23, institutePath: "/a/b/", instituteState: 8) != nil)
        #expect(AssessorIndependence.conflict(assessorPath: "/a/", assessorState: nil, institutePath: "/a/b/", instituteState: 8) != nil, "its parent department")
        #expect(AssessorIndependence.conflict(assessorPath: "/c/", assessorState: 8, institutePath: "/a/b/", instituteState: 8) == "is from the institute's own State")
        #expect(AssessorIndependence.conflict(assessorPath: "/c/", assessorState: 23, institutePath: "/a/b/", instituteState: 8) == nil)
    }
}

@Suite struct QualificationRuleTests {
    @Test func creditsComeFromNotionalHoursAndLevelsAreOneToEight() {
        #expect(NSQF.credits(hours: 150) == 5 && NSQF.credits(hours: 45) == 1.5 && NSQF.credits(hours: 100) == 3.33)
        #expect(NSQF.problems(level: 4, hours: 150, credits: 5).isEmpty && NSQF.problems(level: 4, hours: 150, credits: nil).isEmpty)
        #expect(NSQF.problems(level: 0, hours: 150, credits: 4).map(\.field) == ["nsqfLevel", "credits"])
        #expect(NSQF.problems(level: 9, hours: nil, credits: nil).map(\.field) == ["nsqfLevel", "notionalHours"])
    }

    @Test func aQualificationIsEarnedByEnoughOfItsCourses() {
        let (a, b, c) = (UUID(), UUID(), UUID())
        #expect(QualificationRule(courseIDs: [a, b, c], minimumCourses: nil).isMet(byCompleted: [a, b]) == false)
        #expect(QualificationRule(courseIDs: [a, b, c], minimumCourses: 2).isMet(byCompleted: [a, c, UUID()]))
        #expect(QualificationRule(courseIDs: [a, a], minimumCourses: 3).problems.map(\.field) == ["courseIds", "minimumCourses"])
    }
}

@Suite struct SubtreeTests {
    @Test func theSubtreesWhereARoleIsHeld() {
        let access = Access(grants: [Grant(role: .caseEditor, target: .organisation(path: "/a/")), Grant(role: .mdoAdmin, target: .organisation(path: "/b/")),
                                     Grant(role: .caseEditor, target: .organisation(path: "/c/"))])
        #expect(access.subtrees(holding: .caseEditor) == ["/a/", "/c/"] && access.subtrees(holding: .faculty) == [])
        #expect(Access(grants: [Grant(role: .nationalAdmin, target: .nation)]).subtrees(holding: .caseEditor) == nil)
    }
}
