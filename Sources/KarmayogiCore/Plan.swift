import Foundation

/// An Annual Capacity Building Plan's rules: its life (draft → live → retired), who it is assigned to (resolved
/// when read, never written per person), what a live plan may still change, and how a person stands against it.
public enum PlanState: String, Codable, CaseIterable, Sendable {
    case draft, live, retired

    /// The state an action leads to, or nil when it is not allowed from here.
    public func after(_ action: PlanAction) -> PlanState? {
        switch (self, action) {
        case (.draft, .publish): .live
        case (.live, .retire), (.draft, .retire): .retired
        default: nil
        }
    }
}

public enum PlanAction: String, Codable, CaseIterable, Sendable {
    case publish, retire
}

/// To whom a plan is assigned: all staff of the organisation (optionally its whole subtree), some designations, or named people.
public enum PlanAssignment: Codable, Equatable, Sendable {
    case allStaff(includeSubtree: Bool)
    case designations([String])
    case users([UUID])

    /// Whether a person (their organisation's path, the plan's organisation path, their designation and id) is assigned.
    public func includes(userID: UUID, designation: String?, organisationPath: String, planOrganisationPath: String) -> Bool {
        switch self {
        case .allStaff(let subtree):
            subtree ? organisationPath.hasPrefix(planOrganisationPath) : organisationPath == planOrganisationPath
        case .designations(let names):
            organisationPath.hasPrefix(planOrganisationPath)
                && designation.map { mine in names.contains { Designation.key($0) == Designation.key(mine) } } == true
        case .users(let ids):
            ids.contains(userID)
        }
    }

    public func problems(field: String) -> [FieldError] {
        switch self {
        case .allStaff: return []
        case .designations(let names):
            if names.isEmpty || names.count > 200 { return [.init("\(field).designations", "name 1 to 200 designations")] }
            return names.enumerated().compactMap { index, name in
                name.trimmed.isEmpty || name.count > 200 ? .init("\(field).designations[\(index)]", "must be 1–200 characters") : nil
            }
        case .users(let ids):
            if ids.isEmpty || ids.count > 10_000 { return [.init("\(field).userIds", "name 1 to 10,000 people")] }
            return Set(ids).count == ids.count ? [] : [.init("\(field).userIds", "names a person twice")]
        }
    }
}

/// How one assigned person stands against a plan's course.
public enum PlanStanding: String, Codable, CaseIterable, Sendable {
    /// Assigned, not enrolled, and the due date has not passed.
    case assigned
    case enrolled
    case completedOnTime = "completed_on_time"
    case completedLate = "completed_late"
    /// Not completed, and the due date has passed.
    case overdue

    public static func of(enrolledAt: Date?, completedAt: Date?, due: Date, now: Date) -> PlanStanding {
        if let completedAt { return completedAt <= due ? .completedOnTime : .completedLate }
        if now > due { return .overdue }
        return enrolledAt == nil ? .assigned : .enrolled
    }
}

public enum PlanRule {
    /// The fields a live plan may still change; everything else is fixed once it is published.
    public static let changeableWhenLive: Set<String> = ["name", "assignment", "dueDate"]

    /// Karma for completing a course from one's plan: 5, less 1 for each month (or part of one) past the due date, never below 0.
    public static func planBonus(completedAt: Date, due: Date, calendar: Calendar = Calendar(identifier: .gregorian)) -> Int {
        guard completedAt > due else { return 5 }
        let months = calendar.dateComponents([.month, .day, .second], from: due, to: completedAt)
        let late = (months.month ?? 0) + ((months.day ?? 0) > 0 || (months.second ?? 0) > 0 ? 1 : 0)
        return max(0, 5 - max(late, 1))
    }

    /// Problems with a plan's own fields: name, year, courses, due date (not in the past when set or changed).
    public static func problems(name: String, year: Int, courseCount: Int, due: Date, now: Date) -> [FieldError] {
        var errors: [FieldError] = []
        if name.trimmed.isEmpty || name.count > 200 { errors.append(.init("name", "must be 1–200 characters")) }
        if !(2020...2100).contains(year) { errors.append(.init("year", "must be a year from 2020 to 2100")) }
        if !(1...500).contains(courseCount) { errors.append(.init("courseIds", "name 1 to 500 courses")) }
        if due < now { errors.append(.init("dueDate", "is in the past")) }
        return errors
    }
}
