import Foundation

/// Days as the platform counts them: calendar days in India (IST, UTC+05:30, no daylight saving), numbered from
/// 1970-01-01 so that windows and ranges are integer arithmetic and a day is one indexed integer column.
public enum IndiaDay {
    public static let offset: TimeInterval = 5.5 * 3600

    public static func of(_ date: Date) -> Int { Int(((date.timeIntervalSince1970 + offset) / 86_400).rounded(.down)) }

    /// The first instant of a day.
    public static func start(_ day: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(day) * 86_400 - offset) }

    /// The last second of a day: a due date "2027-03-31" means up to 23:59:59 IST that day.
    public static func end(_ day: Int) -> Date { start(day + 1).addingTimeInterval(-1) }

    /// "2026-11-23".
    public static func string(_ day: Int) -> String {
        let parts = civil(day)
        return String(format: "%04d-%02d-%02d", parts.year, parts.month, parts.day)
    }

    /// Reads "YYYY-MM-DD" (a real calendar date), else nil.
    public static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let number = days(year: year, month: month, day: day)
        let back = civil(number)
        return back.month == month && back.day == day ? number : nil
    }

    public static func days(year: Int, month: Int, day: Int) -> Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(_ number: Int) -> (year: Int, month: Int, day: Int) {
        let z = number + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Monday of the day's week (1970-01-01 was a Thursday).
    public static func weekStart(_ day: Int) -> Int { day - ((day + 3) % 7 + 7) % 7 }

    /// The first day of the day's month.
    public static func monthStart(_ day: Int) -> Int {
        let parts = civil(day)
        return days(year: parts.year, month: parts.month, day: 1)
    }
}

/// What a dashboard looks at: the nation, a State, a district (by LGD code) or an organisation's subtree.
/// Its `key` names the rows the rollups keep for it, so every scope reads only its own counters.
public enum InsightScope: Hashable, Sendable {
    case nation
    case state(Int)
    case district(Int)
    case organisation(UUID)

    /// Reads `nation`, `state:{code}`, `district:{code}` or `org:{id}`; the reason when it does not parse.
    public static func parse(_ text: String) -> Result<InsightScope, FieldError> {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count) {
        case ("nation", 1): return .success(.nation)
        case ("state", 2): if let code = Int(parts[1]), code > 0 { return .success(.state(code)) }
        case ("district", 2): if let code = Int(parts[1]), code > 0 { return .success(.district(code)) }
        case ("org", 2): if let id = UUIDText.parse(parts[1]) { return .success(.organisation(id)) }
        default: break
        }
        return .failure(FieldError("scope", "must be nation, state:{LGD code}, district:{LGD code} or org:{organisation id}"))
    }

    public var key: String {
        switch self {
        case .nation: "n"
        case .state(let code): "s:\(code)"
        case .district(let code): "d:\(code)"
        case .organisation(let id): "o:\(id.uuidString.lowercased())"
        }
    }

    public var text: String {
        switch self {
        case .nation: "nation"
        case .state(let code): "state:\(code)"
        case .district(let code): "district:\(code)"
        case .organisation(let id): "org:\(id.uuidString.lowercased())"
        }
    }

    /// Every scope a person counts in: the nation, their State and district, and each organisation from the root of
    /// their tree down to their own (read from the materialised path "/root/…/own/").
    public static func scopes(organisationPath: String, stateCode: Int?, districtCode: Int?) -> [InsightScope] {
        var scopes: [InsightScope] = [.nation]
        if let stateCode { scopes.append(.state(stateCode)) }
        if let districtCode { scopes.append(.district(districtCode)) }
        for part in organisationPath.split(separator: "/") {
            if let id = UUIDText.parse(String(part)) { scopes.append(.organisation(id)) }
        }
        return scopes
    }
}

/// Active learners over rolling windows, kept as counters by the window's last day so that a dashboard reads one
/// row: a person active on `day` counts in the window of `length` days ending on e (day ≤ e < day + length) unless
/// another day they were active on already counts them there.
public enum ActiveWindows {
    public static let lengths = [1, 7, 30]

    /// The last days of the windows of `length` in which this activity is the person's first.
    public static func newWindowEnds(day: Int, length: Int, otherActiveDays: some Sequence<Int>) -> [Int] {
        let others = otherActiveDays.filter { $0 != day && abs($0 - day) < length }
        return (day..<(day + length)).filter { end in !others.contains { (end - length + 1)...end ~= $0 } }
    }

    /// From all of a person's active days, the window ends they count in, for each length (used to recompute).
    public static func windowEnds(of activeDays: [Int], length: Int) -> Set<Int> {
        var ends = Set<Int>()
        for day in activeDays { for end in day..<(day + length) { ends.insert(end) } }
        return ends
    }
}

/// How a time series groups days.
public enum SeriesInterval: String, CaseIterable, Sendable {
    case day, week, month

    public func bucket(_ day: Int) -> Int {
        switch self {
        case .day: day
        case .week: IndiaDay.weekStart(day)
        case .month: IndiaDay.monthStart(day)
        }
    }
}

/// Checks of a summary's period: "YYYY-MM-DD" days, `from` not after `to`, at most ten years.
public enum InsightPeriod {
    public static func problems(from: String?, to: String?) -> (from: Int?, to: Int?, errors: [FieldError]) {
        var errors: [FieldError] = []
        let start = from.flatMap(IndiaDay.parse), end = to.flatMap(IndiaDay.parse)
        if from != nil, start == nil { errors.append(.init("from", "must be a date, YYYY-MM-DD")) }
        if to != nil, end == nil { errors.append(.init("to", "must be a date, YYYY-MM-DD")) }
        if let start, let end {
            if start > end { errors.append(.init("from", "is after to")) }
            else if end - start > 3_660 { errors.append(.init("to", "a period is at most ten years")) }
        }
        return (start, end, errors)
    }
}

/// Where a person counts: their organisation's place in the tree, and their State and district (their own posting,
/// else their organisation's; the organisation's district only when the State is the organisation's).
public struct LearnerPlace: Hashable, Sendable {
    public let organisationPath: String
    public let stateCode: Int?
    public let districtCode: Int?
    /// The keys of `scopes`, made once: counting writes them for every event.
    public let scopeKeys: [String]

    public init(organisationPath: String, userState: Int?, userDistrict: Int?, organisationState: Int?, organisationDistrict: Int?) {
        self.organisationPath = organisationPath
        (stateCode, districtCode) = Self.area(userState: userState, userDistrict: userDistrict, organisationState: organisationState,
                                              organisationDistrict: organisationDistrict)
        scopeKeys = InsightScope.scopes(organisationPath: organisationPath, stateCode: stateCode, districtCode: districtCode).map(\.key)
    }

    /// The State and district a person counts in.
    public static func area(userState: Int?, userDistrict: Int?, organisationState: Int?, organisationDistrict: Int?) -> (stateCode: Int?, districtCode: Int?) {
        guard let userState else { return (organisationState, organisationDistrict) }
        return (userState, userDistrict ?? (userState == organisationState ? organisationDistrict : nil))
    }
}

/// The counters one rollup row keeps. Course rows keep the first four; the all-courses row keeps them all.
public struct RollupCounters: Equatable, Sendable {
    public var enrolments = 0
    public var completions = 0
    public var certificates = 0
    public var learningSeconds = 0
    public var registrations = 0
    /// People active on the day, in the 7 days and in the 30 days ending on it.
    public var active1 = 0
    public var active7 = 0
    public var active30 = 0

    public init(enrolments: Int = 0, completions: Int = 0, certificates: Int = 0, learningSeconds: Int = 0, registrations: Int = 0,
                active1: Int = 0, active7: Int = 0, active30: Int = 0) {
        self.enrolments = enrolments
        self.completions = completions
        self.certificates = certificates
        self.learningSeconds = learningSeconds
        self.registrations = registrations
        self.active1 = active1
        self.active7 = active7
        self.active30 = active30
    }

    public static let names = ["enrolments", "completions", "certificates", "learning_seconds", "registrations", "active1", "active7", "active30"]

    public var values: [Int] { [enrolments, completions, certificates, learningSeconds, registrations, active1, active7, active30] }

    public init(values: [Int]) {
        self.init(enrolments: values[0], completions: values[1], certificates: values[2], learningSeconds: values[3], registrations: values[4],
                  active1: values[5], active7: values[6], active30: values[7])
    }

    public var isZero: Bool { self == RollupCounters() }

    // Field by field, not through `values`: recomputing the rollups adds millions of these.
    public static func + (left: RollupCounters, right: RollupCounters) -> RollupCounters {
        RollupCounters(enrolments: left.enrolments + right.enrolments, completions: left.completions + right.completions,
                       certificates: left.certificates + right.certificates, learningSeconds: left.learningSeconds + right.learningSeconds,
                       registrations: left.registrations + right.registrations, active1: left.active1 + right.active1,
                       active7: left.active7 + right.active7, active30: left.active30 + right.active30)
    }

    public static func += (left: inout RollupCounters, right: RollupCounters) { left = left + right }

    /// The counters a course row keeps (activity and registrations belong to people, not courses).
    public var courseShare: RollupCounters {
        RollupCounters(enrolments: enrolments, completions: completions, certificates: certificates, learningSeconds: learningSeconds)
    }
}

/// What one transaction adds to the rollups, gathered as it goes and written once at its end, in key order (so
/// concurrent transactions take the rows' locks in the same order and never wait on each other in a circle).
public struct RollupTally: Sendable {
    public struct Key: Hashable, Comparable, Sendable {
        public var scope: String
        public var day: Int
        /// `RollupTally.allCourses` for the row that counts every course.
        public var course: UUID

        public init(scope: String, day: Int, course: UUID) {
            self.scope = scope
            self.day = day
            self.course = course
        }

        public static func < (left: Key, right: Key) -> Bool {
            if left.scope != right.scope { return left.scope < right.scope }
            if left.day != right.day { return left.day < right.day }
            return withUnsafeBytes(of: left.course.uuid) { a in withUnsafeBytes(of: right.course.uuid) { b in a.lexicographicallyPrecedes(b) } }
        }
    }

    public static let allCourses = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    /// The "day" of the row that counts each scope's registrations of all time: "registered up to a day" is then that
    /// row less the few days after it, whatever the length of the history.
    public static let allTime = -1

    public private(set) var rows: [Key: RollupCounters] = [:]

    public init() {}

    /// Counts for a person's every scope: the all-courses row of the day, and, when there is a course, the course's row
    /// of the month (its first day): per course a month is fine enough for "the most completed courses", and it keeps
    /// the table small (scopes × days, plus scopes × months × courses).
    public mutating func add(_ counters: RollupCounters, place: LearnerPlace, day: Int, course: UUID? = nil) {
        Self.spread(counters, day: day, course: course) { day, course, counters in
            for key in place.scopeKeys { rows[Key(scope: key, day: day, course: course ?? Self.allCourses), default: RollupCounters()] += counters }
        }
    }

    /// The rows of each scope a count goes to: the day's all-courses row (`course` nil), the course's row of the month,
    /// and for registrations the all-time row.
    @inline(__always)
    static func spread(_ counters: RollupCounters, day: Int, course: UUID?, into row: (Int, UUID?, RollupCounters) -> Void) {
        guard !counters.isZero else { return }
        row(day, nil, counters)
        if let course {
            let share = counters.courseShare
            if !share.isZero { row(IndiaDay.monthStart(day), course, share) }
        }
        if counters.registrations > 0 { row(allTime, nil, RollupCounters(registrations: counters.registrations)) }
    }

    /// A tally of millions of counts (recomputing the rollups): each is added under small integer keys for its
    /// place's scopes, and the scope names are written once per row at the end, rather than hashed for every count.
    public struct Builder: Sendable {
        private struct Slot: Hashable { var scope: Int32; var day: Int32; var course: Int32 }
        private var scopes: [String] = [], scopeNumbers: [String: Int32] = [:]
        private var courses: [UUID] = [], courseNumbers: [UUID: Int32] = [:]
        /// The scope numbers of each place, by the place's number.
        private var places: [[Int32]] = []
        private var rows: [Slot: RollupCounters] = [:]

        public init() {}

        /// Numbers a place, for `add`.
        public mutating func number(_ place: LearnerPlace) -> Int {
            places.append(place.scopeKeys.map { key in
                if let number = scopeNumbers[key] { return number }
                scopes.append(key)
                scopeNumbers[key] = Int32(scopes.count - 1)
                return Int32(scopes.count - 1)
            })
            return places.count - 1
        }

        public mutating func add(_ counters: RollupCounters, place: Int, day: Int, course: UUID? = nil) {
            let courseNumber: Int32 = course.map { course in
                if let number = courseNumbers[course] { return number }
                courses.append(course)
                courseNumbers[course] = Int32(courses.count - 1)
                return Int32(courses.count - 1)
            } ?? -1
            let scopes = places[place]
            RollupTally.spread(counters, day: day, course: course) { day, course, counters in
                for scope in scopes { rows[Slot(scope: scope, day: Int32(day), course: course == nil ? -1 : courseNumber), default: RollupCounters()] += counters }
            }
        }

        public var tally: RollupTally {
            var tally = RollupTally()
            tally.rows.reserveCapacity(rows.count)
            for (slot, counters) in rows {
                tally.rows[Key(scope: scopes[Int(slot.scope)], day: Int(slot.day), course: slot.course < 0 ? RollupTally.allCourses : courses[Int(slot.course)])] = counters
            }
            return tally
        }
    }

    public mutating func merge(_ other: RollupTally) {
        for (key, counters) in other.rows { rows[key, default: RollupCounters()] += counters }
    }

    /// Only the rows of some days (the others left out).
    public func filter(days: ClosedRange<Int>) -> RollupTally {
        var tally = RollupTally()
        tally.rows = rows.filter { days.contains($0.key.day) }
        return tally
    }

    public var sorted: [(key: Key, counters: RollupCounters)] { rows.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    public var isEmpty: Bool { rows.isEmpty }
}

/// The best few of each group by a total over several rankings (a course's completions over the months of a period),
/// read from the top of each ranking rather than by adding up everything (the threshold algorithm). An item not yet met
/// in a ranking has at most the last value read there, so once a group's last place is above the sum of those last
/// values, nothing unread can overtake it: the cost follows how deep the answer lies, not how many items there are.
public enum TopTotals {
    /// One ranking as read: values from the highest down, and whether it was read to its end.
    public struct Ranking: Sendable {
        public var values: [Int]
        public var complete: Bool

        public init(values: [Int], complete: Bool) {
            self.values = values
            self.complete = complete
        }
    }

    /// The best `count` of each group by total (highest first, ties in the order of the ids), or nil when the rankings
    /// must be read deeper to be sure. `totals` holds the exact total of every item met in any ranking (with no
    /// rankings, the totals of all items); `groups(of:)` the groups an item counts in (none: it is left out), and
    /// `sizes` how many items each group has in all: a group all of whose items were met is settled too.
    public static func settle<ID: Comparable, Group: Hashable>(rankings: [Ranking], totals: [ID: Int], count: Int, sizes: [Group: Int],
                                                               groups: (ID) -> [Group]) -> [Group: [(id: ID, total: Int)]]? {
        let unread = rankings.reduce(0) { $0 + ($1.complete ? 0 : $1.values.last ?? 0) }
        let readToTheEnd = rankings.allSatisfy(\.complete)
        var members: [Group: [(id: ID, total: Int)]] = [:], met: [Group: Int] = [:]
        for (id, total) in totals {
            for group in groups(id) {
                met[group, default: 0] += 1
                if total > 0 { members[group, default: []].append((id, total)) }
            }
        }
        var best: [Group: [(id: ID, total: Int)]] = [:]
        for (group, size) in sizes {
            let top = (members[group] ?? []).sorted { $0.total != $1.total ? $0.total > $1.total : $0.id < $1.id }.prefix(count)
            guard readToTheEnd || (top.count == count && top.last!.total > unread) || met[group, default: 0] >= size else { return nil }
            best[group] = Array(top)
        }
        return best
    }
}
