import Foundation

/// What kind of MoU a State/UT signed: the Mission's tripartite one (the State, the Capacity Building Commission and
/// Karmayogi Bharat), or one with either of them alone.
public enum MoUKind: String, Codable, CaseIterable, Sendable {
    case tripartite
    case commission
    case karmayogiBharat = "karmayogi_bharat"
}

/// Where an MoU stands: being drafted, signed and in force, expired at the end of its term, or ended early.
public enum MoUStatus: String, Codable, CaseIterable, Sendable {
    case proposed, signed, expired, terminated

    /// Whether it has been signed (an expired or terminated MoU was signed once).
    public var wasSigned: Bool { self != .proposed }
}

/// An MoU as a person records it, checked before it is kept.
public struct MoUDraft: Sendable {
    public var kind: MoUKind?
    public var status: MoUStatus?
    public var signedOn: String?
    public var validUntil: String?
    public var documents: [(title: String, url: String)]

    public init(kind: MoUKind?, status: MoUStatus?, signedOn: String?, validUntil: String?, documents: [(title: String, url: String)]) {
        (self.kind, self.status, self.signedOn, self.validUntil, self.documents) = (kind, status, signedOn, validUntil, documents)
    }

    /// Field errors, given the day it is recorded on; empty when it may be kept.
    public func problems(today: Int) -> [FieldError] {
        var errors: [FieldError] = []
        if kind == nil { errors.append(FieldError("kind", "is required: tripartite, commission or karmayogi_bharat")) }
        guard let status else { return errors + [FieldError("status", "is required: proposed, signed, expired or terminated")] }
        let signed = signedOn.flatMap(IndiaDay.parse)
        if signedOn != nil, signed == nil { errors.append(FieldError("signedOn", "must be a date, YYYY-MM-DD")) }
        if status.wasSigned, signedOn == nil { errors.append(FieldError("signedOn", "is required for an MoU that was signed")) }
        if !status.wasSigned, signedOn != nil { errors.append(FieldError("signedOn", "a proposed MoU is not signed yet")) }
        if let signed, signed > today { errors.append(FieldError("signedOn", "is in the future: record the MoU when it is signed")) }
        if let validUntil {
            if let until = IndiaDay.parse(validUntil) {
                if let signed, until <= signed { errors.append(FieldError("validUntil", "must be after the day it was signed")) }
                if status == .expired, until > today { errors.append(FieldError("validUntil", "an expired MoU's term has ended: the date is past")) }
            } else {
                errors.append(FieldError("validUntil", "must be a date, YYYY-MM-DD"))
            }
        }
        if documents.count > 20 { errors.append(FieldError("documents", "at most 20 documents")) }
        for (index, document) in documents.enumerated().prefix(20) {
            if document.title.trimmed.isEmpty || document.title.count > 200 { errors.append(FieldError("documents[\(index)].title", "must be 1–200 characters")) }
            if !Contact.isWebAddress(document.url) { errors.append(FieldError("documents[\(index)].url", "must be an https:// or http:// address")) }
        }
        return errors
    }
}

/// MoUs signed over time: by the end of each month from the first signing to `today`'s month, how many States/UTs had
/// signed one (each State counted once, at its first signing).
public enum MoUTimeline {
    public static func cumulative(firstSignings: [Int: Int], today: Int) -> [(month: String, states: Int)] {
        guard let first = firstSignings.values.min() else { return [] }
        let start = IndiaDay.civil(first), end = IndiaDay.civil(today)
        var points: [(String, Int)] = []
        var (year, month) = (start.year, start.month)
        while (year, month) <= (end.year, end.month) {
            let next = month == 12 ? (year + 1, 1) : (year, month + 1)
            let lastDay = IndiaDay.days(year: next.0, month: next.1, day: 1) - 1
            points.append((String(format: "%04d-%02d", year, month), firstSignings.values.filter { $0 <= lastDay }.count))
            (year, month) = next
        }
        return points
    }
}

/// One line of a State's capacity building plan: for a department of the State or one of its districts, how many
/// people are to be on the platform, how many course completions and learning hours in the year.
public struct StatePlanTarget: Codable, Equatable, Sendable {
    public var organisationId: UUID?
    public var districtCode: Int?
    public var onboarded: Int?
    public var completions: Int?
    public var hours: Int?

    public init(organisationId: UUID? = nil, districtCode: Int? = nil, onboarded: Int? = nil, completions: Int? = nil, hours: Int? = nil) {
        (self.organisationId, self.districtCode, self.onboarded, self.completions, self.hours) = (organisationId, districtCode, onboarded, completions, hours)
    }

    /// What the target is for, as a key that repeats when two lines name the same thing.
    public var subject: String { organisationId.map { "org:\($0.uuidString.lowercased())" } ?? "district:\(districtCode ?? 0)" }
}

public enum StatePlanRules {
    public static let maximumTargets = 1_000

    /// Field errors of a plan's year and targets (whether a department or district is the State's own is checked by the
    /// caller, who knows the organisations); empty when it may be kept.
    public static func problems(year: String?, targets: [StatePlanTarget], today: Int, geography: Geography, stateCode: Int) -> [FieldError] {
        var errors: [FieldError] = []
        if let year {
            let parts = year.split(separator: "-")
            if parts.count != 2 || parts[0].count != 4 || Int(parts[0]).map({ (Int(parts[1]) ?? -1) != ($0 + 1) % 100 || !(2000...2100).contains($0) }) ?? true {
                errors.append(FieldError("year", "must be a financial year, YYYY-YY (e.g. 2026-27)"))
            } else if let start = Int(parts[0]), start > Int(KPIPeriod.financialYear(of: today).prefix(4))! + 1 {
                errors.append(FieldError("year", "plans are made for this financial year or the next"))
            }
        } else {
            errors.append(FieldError("year", "is required: a financial year, YYYY-YY"))
        }
        if targets.count > maximumTargets { return errors + [FieldError("targets", "at most \(maximumTargets) targets")] }
        var seen: Set<String> = []
        for (index, target) in targets.enumerated() {
            let field = "targets[\(index)]"
            switch (target.organisationId, target.districtCode) {
            case (nil, nil), (.some, .some): errors.append(FieldError(field, "names either a department (organisationId) or a district (districtCode)"))
            case (nil, .some(let code)):
                if geography.district(code: code)?.stateCode != stateCode { errors.append(FieldError("\(field).districtCode", "no district of this State has LGD code \(code)")) }
            case (.some, nil): break
            }
            if !seen.insert(target.subject).inserted { errors.append(FieldError(field, "names the same department or district as an earlier target")) }
            if target.onboarded == nil, target.completions == nil, target.hours == nil {
                errors.append(FieldError(field, "sets at least one of onboarded, completions, hours"))
            }
            for (name, value) in [("onboarded", target.onboarded), ("completions", target.completions), ("hours", target.hours)] {
                if let value, !(0...100_000_000).contains(value) { errors.append(FieldError("\(field).\(name)", "must be from 0 to 100,000,000")) }
            }
        }
        return errors
    }
}

/// Where an Administrative Training Institute stands on the platform.
public enum ATIStatus: String, Codable, CaseIterable, Sendable {
    /// Known to the Mission, not yet an organisation on the platform.
    case notOnPlatform = "not_on_platform"
    /// On the platform, no course published yet.
    case onboarded
    /// On the platform with courses published.
    case publishing

    public static func of(onPlatform: Bool, coursesPublished: Int) -> ATIStatus {
        !onPlatform ? .notOnPlatform : coursesPublished > 0 ? .publishing : .onboarded
    }
}
