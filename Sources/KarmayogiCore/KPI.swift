import Foundation

/// The Monitoring & Evaluation framework's areas.
public enum KPIArea: String, Codable, CaseIterable, Sendable {
    case capacityBuildingUnits = "capacity_building_units"
    case onboarding
    case plans
    case content
    case engagement
    case platformHealth = "platform_health"
    case commission
}

/// What a KPI measures: a figure the platform computes from its own counters, or one people record (`manual`).
public enum KPIMeasure: String, Codable, CaseIterable, Sendable {
    /// Registered people as a share of sanctioned strength (percent).
    case onboardedShare = "onboarded_share"
    /// Plans prepared (live or retired) for the current year.
    case plansPrepared = "plans_prepared"
    /// Of the person–course pairs assigned by live plans, the share completed (percent).
    case plansCompleted = "plans_completed"
    /// Competencies of the framework with at least one published course (percent).
    case competencyCoverage = "competency_coverage"
    /// People active in the last 30 days as a share of those registered (percent).
    case activeShare = "active_share"
    /// Completions per enrolment over the last 365 days (percent).
    case completionRate = "completion_rate"
    /// Learning hours per registered person over the last 365 days.
    case hoursPerPerson = "hours_per_person"
    /// A value recorded by an admin (the latest one counts).
    case manual
}

public enum KPIStatus: String, Codable, Sendable {
    case green, amber, red
    /// No value yet.
    case none
    /// The value cannot be right (a share over 100 %): shown as it is, never as on target, with its likely cause.
    case check
}

extension KPIMeasure {
    /// Why a share of this measure would come out over 100 %: what to look at first.
    public var likelyCauseOfExcess: String {
        switch self {
        case .onboardedShare: "more registered than sanctioned: check the sanctioned strength"
        case .activeShare: "more active than registered: check the people's organisations and postings"
        case .completionRate: "more completions than enrolments in the period: enrolments made before it completed in it"
        case .plansCompleted: "more completions than assignments: check the plans' assignments"
        case .competencyCoverage, .plansPrepared, .hoursPerPerson, .manual: "a value over 100 %: check how it was recorded"
        }
    }
}

/// One KPI as the framework defines it; the platform keeps these as data (a file it starts from, a table admins edit).
public struct KPIDefinition: Codable, Equatable, Sendable {
    public var key: String
    public var area: KPIArea
    public var name: String
    public var definition: String
    public var unit: String
    public var measure: KPIMeasure
    public var target: Double
    /// Amber from this share of the way to the target (e.g. 0.75), red below it.
    public var amberAt: Double
    public var higherIsBetter: Bool
    /// "mdo", "state", "nation": the scopes it is reported for.
    public var appliesTo: [String]

    public init(key: String, area: KPIArea, name: String, definition: String, unit: String, measure: KPIMeasure, target: Double, amberAt: Double,
                higherIsBetter: Bool, appliesTo: [String]) {
        self.key = key
        self.area = area
        self.name = name
        self.definition = definition
        self.unit = unit
        self.measure = measure
        self.target = target
        self.amberAt = amberAt
        self.higherIsBetter = higherIsBetter
        self.appliesTo = appliesTo
    }

    /// Red, amber or green: at or beyond the target is green; within `amberAt` of the way there amber; else red.
    public func status(of value: Double?) -> KPIStatus {
        guard let value else { return .none }
        if unit == "percent", value > 100 { return .check }
        if higherIsBetter {
            if value >= target { return .green }
            return value >= target * amberAt ? .amber : .red
        }
        if value <= target { return .green }
        return amberAt > 0 && value <= target / amberAt ? .amber : .red
    }

    public func problems(field: String) -> [FieldError] {
        var errors: [FieldError] = []
        if key.isEmpty || key.count > 64 || !key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            errors.append(.init("\(field).key", "must be 1–64 letters, digits or underscores"))
        }
        if name.trimmed.isEmpty || name.count > 200 { errors.append(.init("\(field).name", "must be 1–200 characters")) }
        if definition.trimmed.isEmpty || definition.count > 2_000 { errors.append(.init("\(field).definition", "must be 1–2,000 characters")) }
        if !target.isFinite || target < 0 { errors.append(.init("\(field).target", "must be a number, 0 or more")) }
        if !(0...1).contains(amberAt) { errors.append(.init("\(field).amberAt", "must be between 0 and 1")) }
        if appliesTo.isEmpty || !appliesTo.allSatisfy({ ["mdo", "state", "nation"].contains($0) }) {
            errors.append(.init("\(field).appliesTo", "must name mdo, state or nation"))
        }
        return errors
    }
}
