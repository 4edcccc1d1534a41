import Foundation
import KarmayogiCore
import Testing

@Suite struct CompetencyGapTests {
    let drafting = UUID(), rti = UUID(), ethics = UUID(), procedures = UUID()
    let sectionOfficer = GapSource(kind: .designation, name: "Section Officer")
    let plan = GapSource(kind: .plan, name: "MHA ACBP 2026-27", id: UUID())

    @Test func aGapIsTheHighestRequiredLevelLessTheHighestVerifiedOne() {
        let gaps = CompetencyGap.gaps(
            needs: [Need(competencyId: drafting, level: 2, source: sectionOfficer), Need(competencyId: drafting, level: 3, source: plan),
                    Need(competencyId: rti, level: 2, source: sectionOfficer), Need(competencyId: ethics, level: 1, source: sectionOfficer)],
            verified: [RoleRequirement(competencyId: drafting, level: 1), RoleRequirement(competencyId: drafting, level: 2),
                       RoleRequirement(competencyId: ethics, level: 4)])
        #expect(gaps == [CompetencyGap(competencyId: rti, required: 2, held: 0, sources: [sectionOfficer]),
                         CompetencyGap(competencyId: drafting, required: 3, held: 2, sources: [sectionOfficer, plan])])
        #expect(!gaps.contains { $0.competencyId == ethics }, "a competency already held at a higher level is no gap")
    }

    /// The hand-made case: a Section Officer lacking Noting and Drafting at level 3 gets the course that teaches
    /// it at level 3 first — before a shorter one below the level, one above it, and courses for a smaller gap.
    @Test func aSectionOfficerLackingNotingAndDraftingAtLevelThreeGetsTheLevelThreeCourseFirst() {
        let gaps = CompetencyGap.gaps(needs: [Need(competencyId: drafting, level: 3, source: sectionOfficer),
                                              Need(competencyId: procedures, level: 2, source: sectionOfficer)],
                                      verified: [RoleRequirement(competencyId: procedures, level: 1)])
        let atThree = UUID(), atTwo = UUID(), atFive = UUID(), forProcedures = UUID(), unrelated = UUID()
        let offers = [
            LearningOffer(kind: .course, id: atTwo, competencies: [RoleRequirement(competencyId: drafting, level: 2)], language: "hi", durationMinutes: 30),
            LearningOffer(kind: .course, id: atFive, competencies: [RoleRequirement(competencyId: drafting, level: 5)], language: "hi", durationMinutes: 120),
            LearningOffer(kind: .course, id: atThree, competencies: [RoleRequirement(competencyId: drafting, level: 3)], language: "hi", durationMinutes: 120),
            LearningOffer(kind: .course, id: forProcedures, competencies: [RoleRequirement(competencyId: procedures, level: 2)], language: "hi", durationMinutes: 20),
            LearningOffer(kind: .course, id: unrelated, competencies: [RoleRequirement(competencyId: ethics, level: 3)], language: "hi", durationMinutes: 10),
        ]
        let ranked = Recommender.recommend(for: gaps, from: offers, language: "hi")
        #expect(ranked.first?.offer.id == atThree)
        #expect(ranked.first?.closes == true && ranked.first?.gap.competencyId == drafting && ranked.first?.gap.size == 3)
        #expect(ranked.first?.factors.map(\.code) == [.gapSize, .exactLevel, .language, .duration])
        #expect(ranked.first?.score == 300 + 60 + 30 - 8)
        // The other drafting courses rank as alternatives (each a level's worth lower per better one before it): the one
        // above the level still before the smaller gap's course, the one below the level after it.
        #expect(ranked.map(\.offer.id) == [atThree, atFive, forProcedures, atTwo])
        #expect(ranked[1].factors.contains(RankFactor(.alternative, points: -100, value: 1)) && ranked[1].score == 262)
        #expect(ranked[2].score == 189)
        #expect(ranked[3].factors.contains(RankFactor(.alternative, points: -200, value: 2)) && ranked[3].closes == false)
        #expect(!ranked.contains { $0.offer.id == unrelated }, "a course for no gap is not recommended")
        #expect(Recommender.recommend(for: gaps, from: offers, language: "hi", excluding: [atThree]).first?.offer.id == atFive,
                "an enrolled course is left out; the next best for the gap takes its place")
    }

    @Test func languagePeersRatingsAndOtherGapsMoveAnOfferUpAndLengthMovesItDown() {
        let gaps = [CompetencyGap(competencyId: rti, required: 3, held: 0), CompetencyGap(competencyId: drafting, required: 2, held: 1)]
        let english = UUID(), hindi = UUID(), both = UUID()
        let offers = [
            LearningOffer(kind: .course, id: english, competencies: [RoleRequirement(competencyId: rti, level: 3)], language: "en", durationMinutes: 60),
            LearningOffer(kind: .course, id: hindi, competencies: [RoleRequirement(competencyId: rti, level: 3)], language: "hi", durationMinutes: 45),
        ]
        #expect(Recommender.recommend(for: gaps, from: offers, language: "hi").first?.offer.id == hindi)
        #expect(Recommender.recommend(for: gaps, from: offers, language: "en").first?.offer.id == english)

        // Peers of the designation who completed it and rated it well outweigh the language.
        var liked = offers
        liked[0].peerCompletions = 9
        liked[0].rating = 4.6
        liked[0].ratingCount = 12
        let ranked = Recommender.recommend(for: gaps, from: liked, language: "hi")
        #expect(ranked.first?.offer.id == english)
        #expect(ranked.first?.factors.contains(RankFactor(.peers, points: 25, value: 9)) == true)
        #expect(ranked.first?.factors.contains(RankFactor(.rating, points: 16, value: 46)) == true)
        // Two ratings are too few to count.
        liked[0].ratingCount = 2
        let fewRatings = Recommender.recommend(for: gaps, from: liked, language: "hi").first { $0.offer.id == english }
        #expect(fewRatings?.factors.contains { $0.code == .rating } == false && fewRatings?.factors.contains { $0.code == .peers } == true)

        // One course closing both gaps says so and earns for it.
        let combined = LearningOffer(kind: .course, id: both, competencies: [RoleRequirement(competencyId: rti, level: 3),
                                                                            RoleRequirement(competencyId: drafting, level: 2)],
                                     language: "hi", durationMinutes: 90)
        let top = Recommender.recommend(for: gaps, from: offers + [combined], language: "hi").first
        #expect(top?.offer.id == both && top?.alsoCloses == [drafting] && top?.factors.contains(RankFactor(.otherGaps, points: 25, value: 1)) == true)
        // A course at the level already held narrows nothing.
        let held = LearningOffer(kind: .course, id: UUID(), competencies: [RoleRequirement(competencyId: drafting, level: 1)], language: "hi", durationMinutes: 5)
        #expect(Recommender.recommend(for: gaps, from: [held], language: "hi").isEmpty)
    }

    @Test func theGapMapCountsPeopleByLevelAndTheClosingSetCoversMostWithFewest() {
        let people = [
            GapMap.Person(designation: "Section Officer", held: [drafting: 1]),
            GapMap.Person(designation: "section  officer", held: [drafting: 3, rti: 2]),
            GapMap.Person(designation: "Section Officer", held: [:]),
            GapMap.Person(designation: "Under Secretary", held: [rti: 1]),
            GapMap.Person(designation: "Driver", held: [:]),
        ]
        let cells = GapMap.cells(requirements: ["Section Officer": [RoleRequirement(competencyId: drafting, level: 3), RoleRequirement(competencyId: rti, level: 2)],
                                                "Under Secretary": [RoleRequirement(competencyId: rti, level: 3)]],
                                 people: people)
        #expect(cells.count == 3)
        #expect(cells[0] == GapMap.Cell(designation: "Section Officer", competencyId: drafting, required: 3, people: 3, lacking: 2, byHeld: [1, 1, 0]))
        #expect(cells[1] == GapMap.Cell(designation: "Section Officer", competencyId: rti, required: 2, people: 3, lacking: 2, byHeld: [2, 0]))
        #expect(cells[2] == GapMap.Cell(designation: "Under Secretary", competencyId: rti, required: 3, people: 1, lacking: 1, byHeld: [0, 1, 0]))

        let rtiThree = UUID(), rtiTwo = UUID(), draftingThree = UUID(), draftingTwo = UUID()
        let offers = [
            LearningOffer(kind: .course, id: rtiTwo, competencies: [RoleRequirement(competencyId: rti, level: 2)], language: "hi", durationMinutes: 10),
            LearningOffer(kind: .course, id: rtiThree, competencies: [RoleRequirement(competencyId: rti, level: 3)], language: "hi", durationMinutes: 60),
            LearningOffer(kind: .course, id: draftingTwo, competencies: [RoleRequirement(competencyId: drafting, level: 2)], language: "hi", durationMinutes: 10),
            LearningOffer(kind: .course, id: draftingThree, competencies: [RoleRequirement(competencyId: drafting, level: 3)], language: "hi", durationMinutes: 60),
        ]
        let chosen = GapMap.closingSet(cells, offers: offers)
        // RTI at level 3 closes both RTI cells (3 people); drafting at 3 the rest; drafting at 2 closes nothing.
        #expect(chosen.map(\.offerId) == [rtiThree, draftingThree])
        #expect(chosen.map(\.closes) == [3, 2] && chosen.last?.cumulative == 5)
        #expect(GapMap.closingSet(cells, offers: offers, limit: 1).count == 1)
    }
}
