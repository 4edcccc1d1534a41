import Foundation
import KarmayogiCore
import Testing

@Suite struct CompetencyGapTests {
    let drafting = UUID(), rti = UUID(), ethics = UUID(), excel = UUID()

    @Test func aGapIsTheRequiredLevelLessTheHighestVerifiedOne() {
        let gaps = CompetencyGap.gaps(
            required: [RoleRequirement(competencyId: drafting, level: 3), RoleRequirement(competencyId: rti, level: 2),
                       RoleRequirement(competencyId: ethics, level: 1)],
            verified: [RoleRequirement(competencyId: drafting, level: 1), RoleRequirement(competencyId: drafting, level: 2),
                       RoleRequirement(competencyId: ethics, level: 4)])
        #expect(gaps == [CompetencyGap(competencyId: rti, required: 2, held: 0), CompetencyGap(competencyId: drafting, required: 3, held: 2)])
        #expect(gaps.first?.competencyId == rti, "the largest gap first")
        #expect(!gaps.contains { $0.competencyId == ethics }, "a competency already held at a higher level is no gap")
    }

    @Test func theBestCourseReachesTheLevelInMyLanguageAndIsShort() {
        let gaps = [CompetencyGap(competencyId: rti, required: 3, held: 0), CompetencyGap(competencyId: drafting, required: 2, held: 1)]
        let low = UUID(), englishLong = UUID(), hindiLong = UUID(), hindiShort = UUID(), enrolled = UUID(), draftingCourse = UUID()
        let candidates = [
            CompetencyGap.Candidate(courseId: low, competencies: [RoleRequirement(competencyId: rti, level: 1)], language: "hi", durationMinutes: 10),
            CompetencyGap.Candidate(courseId: englishLong, competencies: [RoleRequirement(competencyId: rti, level: 3)], language: "en", durationMinutes: 60),
            CompetencyGap.Candidate(courseId: hindiLong, competencies: [RoleRequirement(competencyId: rti, level: 4)], language: "hi", durationMinutes: 240),
            CompetencyGap.Candidate(courseId: hindiShort, competencies: [RoleRequirement(competencyId: rti, level: 3)], language: "hi", durationMinutes: 45),
            CompetencyGap.Candidate(courseId: enrolled, competencies: [RoleRequirement(competencyId: drafting, level: 2)], language: "hi", durationMinutes: 5),
            CompetencyGap.Candidate(courseId: draftingCourse, competencies: [RoleRequirement(competencyId: drafting, level: 1),
                                                                             RoleRequirement(competencyId: rti, level: 2)], language: "hi", durationMinutes: 30),
        ]
        let chosen = CompetencyGap.recommend(for: gaps, from: candidates, language: "hi", excluding: [enrolled])
        #expect(chosen.map(\.courseId) == [hindiShort])
        #expect(chosen.first?.closes == true && chosen.first?.gap.competencyId == rti)
        // A course at the level already held narrows nothing: drafting at level 1 is not offered to someone at level 1.
        #expect(!chosen.contains { $0.courseId == draftingCourse })
        // In English, the English course of the right level wins over a shorter Hindi one.
        #expect(CompetencyGap.recommend(for: gaps, from: candidates, language: "en").first?.courseId == englishLong)
        // With nothing reaching the level, the best that narrows the gap is offered, and says it does not close it.
        let narrowing = CompetencyGap.recommend(for: gaps, from: [candidates[0]], language: "hi")
        #expect(narrowing.first?.courseId == low && narrowing.first?.closes == false)
    }
}
