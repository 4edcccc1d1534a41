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
    /// States' MoUs with the Mission and their ATIs on the platform.
    case states
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
    /// Whether the organisation's capacity building unit is formed (1) or not (0), from its record on the organisation's page.
    case cbuFormed = "cbu_formed"
    /// States/UTs with an MoU in force (for a State: 1 when it has one, else 0), from the MoU register.
    case mousInForce = "mous_in_force"
    /// ATIs on the platform as a share of the ATIs listed (percent).
    case atisOnPlatform = "atis_on_platform"
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
        case .atisOnPlatform: "more ATIs on the platform than listed: check the ATI list"
        case .competencyCoverage, .plansPrepared, .hoursPerPerson, .cbuFormed, .mousInForce, .manual: "a value over 100 %: check how it was recorded"
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

/// The period a recorded KPI value is for: a month ("2026-11") or a financial year, April to March ("2026-27").
public struct KPIPeriod: Equatable, Sendable {
    public let text: String
    /// First and last day (IndiaDay numbers).
    public let start: Int
    public let end: Int

    /// Reads a period, or says what is wrong with it; a period that has not started by `today` is refused.
    public static func read(_ raw: String, today: Int) -> Result<KPIPeriod, FieldError> {
        let text = raw.trimmed
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, let year = Int(parts[0]), (2000...2100).contains(year), let second = Int(parts[1]),
              parts[1].allSatisfy(\.isASCII)
        else { return .failure(.init("period", "must be a month (YYYY-MM, e.g. 2026-11) or a financial year (YYYY-YY, e.g. 2026-27)")) }
        let period: KPIPeriod
        if parts[1].count == 2, (1...12).contains(second) {
            // A month ("2026-11"); for the few years where both read alike ("2011-12"), the month.
            let next = second == 12 ? (year + 1, 1) : (year, second + 1)
            period = KPIPeriod(text: text, start: IndiaDay.days(year: year, month: second, day: 1), end: IndiaDay.days(year: next.0, month: next.1, day: 1) - 1)
        } else if parts[1].count == 2, second == (year + 1) % 100 {
            // A financial year: the second part is the year after, in two digits ("2026-27").
            period = KPIPeriod(text: text, start: IndiaDay.days(year: year, month: 4, day: 1), end: IndiaDay.days(year: year + 1, month: 4, day: 1) - 1)
        } else {
            return .failure(.init("period", "must be a month (YYYY-MM, e.g. 2026-11) or a financial year (YYYY-YY, e.g. 2026-27)"))
        }
        guard period.start <= today else { return .failure(.init("period", "has not started yet: values are recorded for periods under way or past")) }
        return .success(period)
    }

    /// The period a value is for when none is named: the month under way.
    public static func month(of day: Int) -> String {
        let date = IndiaDay.civil(day)
        return String(format: "%04d-%02d", date.year, date.month)
    }

    /// The financial year a day falls in ("2026-27").
    public static func financialYear(of day: Int) -> String {
        let date = IndiaDay.civil(day)
        let year = date.month >= 4 ? date.year : date.year - 1
        return String(format: "%04d-%02d", year, (year + 1) % 100)
    }
}
