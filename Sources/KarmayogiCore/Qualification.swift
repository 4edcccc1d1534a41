import Foundation

/// NCVET's rules for qualifications: NSQF levels 1–8, and credits from notional hours (30 hours make 1 credit).
public enum NSQF {
    public static let levels = 1...8
    public static let hoursPerCredit = 30

    /// The credits notional hours make, to two decimal places.
    public static func credits(hours: Int) -> Double {
        (Double(hours) / Double(hoursPerCredit) * 100).rounded() / 100
    }

    /// Field errors of a qualification's level, hours and (when stated) credits; empty when they agree.
    public static func problems(level: Int?, hours: Int?, credits: Double?) -> [FieldError] {
        var errors: [FieldError] = []
        if let level {
            if !levels.contains(level) { errors.append(FieldError("nsqfLevel", "\(level) is no NSQF level: they are 1 to 8")) }
        } else {
            errors.append(FieldError("nsqfLevel", "is required: an NSQF level, 1 to 8"))
        }
        guard let hours else { return errors + [FieldError("notionalHours", "is required")] }
        if !(1...20_000).contains(hours) {
            errors.append(FieldError("notionalHours", "must be from 1 to 20,000 hours"))
        } else if let credits, abs(credits - Self.credits(hours: hours)) > 0.005 {
            let expected = Self.credits(hours: hours)
            errors.append(FieldError("credits", "\(credits) disagrees with \(hours) notional hours, which make \(expected) (30 hours a credit)"))
        }
        return errors
    }
}

/// What earns a qualification: at least `minimumCourses` of its courses completed (all of them when not said).
public struct QualificationRule: Sendable, Equatable {
    public var courseIDs: [UUID]
    public var minimumCourses: Int

    public init(courseIDs: [UUID], minimumCourses: Int?) {
        self.courseIDs = courseIDs
        self.minimumCourses = minimumCourses ?? courseIDs.count
    }

    public var problems: [FieldError] {
        var errors: [FieldError] = []
        if courseIDs.isEmpty || courseIDs.count > 50 { errors.append(FieldError("courseIds", "bundle 1–50 courses")) }
        if Set(courseIDs).count != courseIDs.count { errors.append(FieldError("courseIds", "names a course twice")) }
        if minimumCourses < 1 || minimumCourses > courseIDs.count {
            errors.append(FieldError("minimumCourses", "must be from 1 to the \(courseIDs.count) courses bundled"))
        }
        return errors
    }

    public func isMet(byCompleted completed: Set<UUID>) -> Bool {
        courseIDs.filter(completed.contains).count >= minimumCourses
    }
}
