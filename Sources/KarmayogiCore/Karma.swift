import Foundation

/// Why karma points were given; each reason has its points, kept in the ledger with the points given.
public enum KarmaReason: String, Codable, CaseIterable, Sendable {
    case firstLogin = "first_login"
    case firstEnrolment = "first_enrolment"
    case rating
    case completion
    case assessmentPassed = "assessment_passed"
    /// Completing a course of one's plan: never capped, and it does not use up the month's unplanned completions.
    case plannedCompletion = "planned_completion"
    /// On top of a planned completion: 5, less 1 per month late (`PlanRule.planBonus`).
    case planBonus = "plan_bonus"
    /// Attending an event (a talk, webinar or workshop) by its attendance rule.
    case eventAttendance = "event_attendance"
    /// Completing a batch of a blended programme by its completion rule.
    case programmeCompletion = "programme_completion"

    /// The points a reason gives, where they do not depend on the case (the plan bonus does).
    public var points: Int {
        switch self {
        case .firstLogin, .firstEnrolment, .completion, .assessmentPassed, .plannedCompletion, .planBonus, .eventAttendance, .programmeCompletion: 5
        case .rating: 2
        }
    }
}

/// Points given for a reason.
public struct KarmaAward: Equatable, Sendable {
    public var reason: KarmaReason
    public var points: Int

    public init(_ reason: KarmaReason, _ points: Int? = nil) {
        self.reason = reason
        self.points = points ?? reason.points
    }
}

public enum KarmaRule {
    /// Completions of courses outside the learner's plan earn points at most this many times a calendar month.
    public static let unplannedCompletionsPerMonth = 4

    /// What a completion earns: 5, and 5 more when the course's assessment was passed. Outside a plan, nothing once
    /// the month's unplanned completions have earned their share; inside one (`planBonus` is the plan's bonus for
    /// this completion, see `PlanRule.planBonus`), never capped, plus the bonus when it is above 0.
    public static func completion(assessmentPassed: Bool, planBonus: Int?, unplannedEarnedThisMonth: Int) -> [KarmaAward] {
        var awards: [KarmaAward]
        if let planBonus {
            awards = [KarmaAward(.plannedCompletion)]
            if planBonus > 0 { awards.append(KarmaAward(.planBonus, planBonus)) }
        } else {
            if unplannedEarnedThisMonth >= unplannedCompletionsPerMonth { return [] }
            awards = [KarmaAward(.completion)]
        }
        if assessmentPassed { awards.append(KarmaAward(.assessmentPassed)) }
        return awards
    }

    /// Dense ranking, highest total first: equal totals share a rank and the next total takes the next rank.
    public static func denseRanks(_ totals: [Int]) -> [Int] {
        let distinct = Array(Set(totals)).sorted(by: >)
        let rank = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0 + 1) })
        return totals.map { rank[$0]! }
    }
}
