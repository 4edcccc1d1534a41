import Foundation

/// Why karma points were given; each reason has its points, kept in the ledger with the points given.
public enum KarmaReason: String, Codable, CaseIterable, Sendable {
    case firstLogin = "first_login"
    case firstEnrolment = "first_enrolment"
    case rating
    case completion
    case assessmentPassed = "assessment_passed"

    public var points: Int {
        switch self {
        case .firstLogin, .firstEnrolment, .completion, .assessmentPassed: 5
        case .rating: 2
        }
    }
}

public enum KarmaRule {
    /// Completions of courses outside the learner's plan earn points at most this many times a calendar month.
    public static let unplannedCompletionsPerMonth = 4

    /// What a completion earns: 5, and 5 more when the course's assessment was passed; nothing once the
    /// month's unplanned completions have earned their share.
    public static func completion(assessmentPassed: Bool, inPlan: Bool, unplannedEarnedThisMonth: Int) -> [KarmaReason] {
        if !inPlan, unplannedEarnedThisMonth >= unplannedCompletionsPerMonth { return [] }
        return assessmentPassed ? [.completion, .assessmentPassed] : [.completion]
    }

    /// Dense ranking, highest total first: equal totals share a rank and the next total takes the next rank.
    public static func denseRanks(_ totals: [Int]) -> [Int] {
        let distinct = Array(Set(totals)).sorted(by: >)
        let rank = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0 + 1) })
        return totals.map { rank[$0]! }
    }
}
