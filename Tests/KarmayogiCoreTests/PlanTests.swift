import Foundation
import KarmayogiCore
import Testing

@Suite struct PlanRuleTests {
    let day: TimeInterval = 86_400
    let due = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func aPlanGoesFromDraftToLiveToRetired() {
        #expect(PlanState.draft.after(.publish) == .live)
        #expect(PlanState.live.after(.retire) == .retired)
        #expect(PlanState.live.after(.publish) == nil && PlanState.retired.after(.publish) == nil && PlanState.retired.after(.retire) == nil)
        #expect(PlanRule.changeableWhenLive == ["name", "assignment", "dueDate"])
    }

    @Test func assignmentIsResolvedForEachPerson() {
        let me = UUID()
        let ministry = "/m/", department = "/m/d/", elsewhere = "/x/"
        #expect(PlanAssignment.allStaff(includeSubtree: false).includes(userID: me, designation: nil, organisationPath: ministry, planOrganisationPath: ministry))
        #expect(!PlanAssignment.allStaff(includeSubtree: false).includes(userID: me, designation: nil, organisationPath: department, planOrganisationPath: ministry))
        #expect(PlanAssignment.allStaff(includeSubtree: true).includes(userID: me, designation: nil, organisationPath: department, planOrganisationPath: ministry))
        #expect(!PlanAssignment.allStaff(includeSubtree: true).includes(userID: me, designation: nil, organisationPath: elsewhere, planOrganisationPath: ministry))
        let officers = PlanAssignment.designations(["Section Officer"])
        #expect(officers.includes(userID: me, designation: "section  officer", organisationPath: department, planOrganisationPath: ministry))
        #expect(!officers.includes(userID: me, designation: "Director", organisationPath: department, planOrganisationPath: ministry))
        #expect(!officers.includes(userID: me, designation: "Section Officer", organisationPath: elsewhere, planOrganisationPath: ministry))
        #expect(PlanAssignment.users([me]).includes(userID: me, designation: nil, organisationPath: elsewhere, planOrganisationPath: ministry))
        #expect(PlanAssignment.designations([]).problems(field: "assignment").map(\.field) == ["assignment.designations"])
        #expect(PlanAssignment.users([me, me]).problems(field: "assignment").map(\.field) == ["assignment.userIds"])
    }

    @Test func standingFollowsEnrolmentCompletionAndTheDueDate() {
        #expect(PlanStanding.of(enrolledAt: nil, completedAt: nil, due: due, now: due - day) == .assigned)
        #expect(PlanStanding.of(enrolledAt: due - 5 * day, completedAt: nil, due: due, now: due - day) == .enrolled)
        #expect(PlanStanding.of(enrolledAt: due - 5 * day, completedAt: due - day, due: due, now: due + day) == .completedOnTime)
        #expect(PlanStanding.of(enrolledAt: due - 5 * day, completedAt: due + day, due: due, now: due + 2 * day) == .completedLate)
        #expect(PlanStanding.of(enrolledAt: due - 5 * day, completedAt: nil, due: due, now: due + day) == .overdue)
        #expect(PlanStanding.of(enrolledAt: nil, completedAt: nil, due: due, now: due + day) == .overdue)
    }

    @Test func thePlanBonusLosesOnePointAMonthLate() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func bonus(_ late: DateComponents) -> Int { PlanRule.planBonus(completedAt: calendar.date(byAdding: late, to: due)!, due: due, calendar: calendar) }
        #expect(PlanRule.planBonus(completedAt: due - day, due: due) == 5)
        #expect(PlanRule.planBonus(completedAt: due, due: due) == 5, "on the due date is on time")
        #expect(bonus(DateComponents(day: 1)) == 4)
        #expect(bonus(DateComponents(month: 1)) == 4)
        #expect(bonus(DateComponents(month: 1, day: 1)) == 3)
        #expect(bonus(DateComponents(month: 3, day: 2)) == 1)
        #expect(bonus(DateComponents(month: 7)) == 0, "never below nothing")
    }

    @Test func badPlansAreNamed() {
        let today = IndiaDay.parse("2026-11-23")!, course = UUID()
        #expect(PlanRule.problems(name: " ", year: 1999, courseIDs: [], dueDate: "2026-11-22", today: today).errors.map(\.field) == ["name", "year", "courseIds", "dueDate"])
        #expect(PlanRule.problems(name: nil, year: nil, courseIDs: [course, course], dueDate: "31/03/2027", today: today).errors.map(\.reason)
            == ["names a course twice", "must be a date, YYYY-MM-DD"])
        let good = PlanRule.problems(name: "ACBP 2026–27", year: 2026, courseIDs: [course], dueDate: "2027-03-31", today: today)
        #expect(good.errors.isEmpty && good.dueDay == IndiaDay.parse("2027-03-31"))
        #expect(PlanRule.problems(name: nil, year: nil, courseIDs: nil, dueDate: nil, today: today).errors.isEmpty, "nothing sent, nothing wrong")
    }
}

@Suite struct PlanWireTests {
    @Test func anAssignmentIsWrittenAsTheDesignSaysAndReadBack() throws {
        let people = [UUID(), UUID()]
        for assignment in [PlanAssignment.allStaff(includeSubtree: true), .designations(["Section Officer"]), .users(people)] {
            let data = try JSONEncoder().encode(assignment)
            #expect(try JSONDecoder().decode(PlanAssignment.self, from: data) == assignment)
        }
        let written = String(decoding: try JSONEncoder().encode(PlanAssignment.allStaff(includeSubtree: false)), as: UTF8.self)
        #expect(written.contains("\"allStaff\":true") && written.contains("\"includeSubtree\":false"))
    }

    @Test func anAssignmentNamingTwoKindsOrNoneIsRefusedWithTheField() throws {
        func field(_ result: Result<PlanAssignment, FieldError>) -> String? { if case .failure(let error) = result { error.field } else { nil } }
        #expect(field(PlanAssignment.read(allStaff: true, includeSubtree: nil, designations: ["A"], userIds: nil, field: "assignment")) == "assignment")
        #expect(field(PlanAssignment.read(allStaff: nil, includeSubtree: nil, designations: nil, userIds: nil, field: "assignment")) == "assignment")
        #expect(field(PlanAssignment.read(allStaff: nil, includeSubtree: true, designations: ["A"], userIds: nil, field: "assignment")) == "assignment.includeSubtree")
        #expect(field(PlanAssignment.read(allStaff: nil, includeSubtree: nil, designations: [" "], userIds: nil, field: "assignment")) == "assignment.designations[0]")
        #expect(try PlanAssignment.read(allStaff: nil, includeSubtree: nil, designations: ["  Under   Secretary "], userIds: nil, field: "a").get()
            == .designations(["Under Secretary"]))
    }
}

@Suite struct PlanSuggestionTests {
    @Test func theFewestCoursesCoverWhatTheDesignationRequiresAtItsLevel() {
        let ethics = UUID(), drafting = UUID(), finance = UUID(), law = UUID()
        let low = PlanSuggestion.Candidate(id: UUID(), gives: [ethics: 1, drafting: 3], completions: 900)
        let broad = PlanSuggestion.Candidate(id: UUID(), gives: [ethics: 2, drafting: 2, finance: 3], completions: 10)
        let popular = PlanSuggestion.Candidate(id: UUID(), gives: [finance: 3], completions: 5_000)
        let result = PlanSuggestion.cover(requirements: [ethics: 2, drafting: 2, finance: 2, law: 1], candidates: [low, broad, popular])
        #expect(result.courses == [broad.id])
        #expect(result.uncovered == [law])
        // Equal cover: the more completed course is chosen.
        let other = PlanSuggestion.Candidate(id: UUID(), gives: [finance: 4], completions: 1)
        #expect(PlanSuggestion.cover(requirements: [finance: 3], candidates: [other, popular]).courses == [popular.id])
        #expect(PlanSuggestion.cover(requirements: [:], candidates: [popular]).courses.isEmpty)
    }
}
