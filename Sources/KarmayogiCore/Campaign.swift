import Crypto
import Foundation

/// What a learning week asks of each person: hours of learning, or a number of completions.
public struct CampaignGoal: Hashable, Sendable, Codable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case hours, completions }

    public var kind: Kind
    public var value: Double

    public init(kind: Kind, value: Double) {
        self.kind = kind
        self.value = value
    }

    /// Why the goal cannot be kept, if it cannot: a goal of zero or less, a fraction of a completion, more than a year.
    public var problem: FieldError? {
        guard value.isFinite, value > 0 else { return FieldError("goal.value", "must be more than zero") }
        switch kind {
        case .hours where value > 8_760: return FieldError("goal.value", "must be at most 8760 hours (a year)")
        case .completions where value != value.rounded(): return FieldError("goal.value", "must be a whole number of completions")
        case .completions where value > 10_000: return FieldError("goal.value", "must be at most 10000 completions")
        default: return nil
        }
    }

    /// Whether a person's learning in the campaign meets the goal.
    public func isReached(seconds: Int, completions: Int) -> Bool {
        switch kind {
        case .hours: Double(seconds) >= value * 3600 - 0.5
        case .completions: Double(completions) >= value
        }
    }
}

/// Where a campaign stands. Draft until published; then scheduled, live and closed by its dates (India days, both
/// ends included), or closed early by its owner.
public enum CampaignStage: String, Codable, Sendable, CaseIterable {
    case draft, scheduled, live, closed

    public static func of(published: Bool, closedEarly: Bool, startDay: Int, endDay: Int, today: Int) -> CampaignStage {
        if closedEarly { return .closed }
        guard published else { return .draft }
        if today < startDay { return .scheduled }
        return today <= endDay ? .live : .closed
    }

    /// Whether learning done on `day` counts for a published campaign not closed early.
    public static func counts(day: Int, startDay: Int, endDay: Int) -> Bool { (startDay...endDay).contains(day) }
}

public enum CampaignDates {
    /// Problems with a campaign's dates: an end before the start, a campaign longer than a year.
    public static func problems(startDay: Int, endDay: Int) -> [FieldError] {
        if endDay < startDay { return [FieldError("endDate", "must be on or after startDate")] }
        if endDay - startDay > 366 { return [FieldError("endDate", "a campaign lasts at most a year")] }
        return []
    }

    public static func overlap(_ a: ClosedRange<Int>, _ b: ClosedRange<Int>) -> Bool { a.overlaps(b) }
}

/// Organisations are ranked against others of their size: XS under 100 staff, S under 1,000, M under 10,000, L under
/// 1 lakh, XL above.
public enum SizeBucket: String, Codable, Sendable, CaseIterable, Comparable {
    case xs = "XS", s = "S", m = "M", l = "L", xl = "XL"

    public static func of(staff: Int) -> SizeBucket {
        switch staff {
        case ..<100: .xs
        case ..<1_000: .s
        case ..<10_000: .m
        case ..<100_000: .l
        default: .xl
        }
    }

    public static func < (a: SizeBucket, b: SizeBucket) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

public enum Standings {
    /// Competition ranks ("1, 2, 2, 4") of values already sorted best first.
    public static func ranks<Value: Equatable>(_ sorted: [Value]) -> [Int] {
        var ranks: [Int] = []
        for (index, value) in sorted.enumerated() {
            ranks.append(index > 0 && sorted[index - 1] == value ? ranks[index - 1] : index + 1)
        }
        return ranks
    }

    /// The share of `part` in `whole`, 0 when there is no whole, at most 1.
    public static func share(_ part: Int, of whole: Int) -> Double { whole > 0 ? min(1, Double(part) / Double(whole)) : 0 }
}

/// The code shown in the room during an event: six digits from an HMAC of the event's secret and the current window of
/// `period` seconds, so that it changes every few minutes, is different for every event and cannot be made without the
/// secret. A code of this window or the one before is accepted (someone typing as it changes).
public struct CheckInCode: Sendable {
    public static let period: TimeInterval = 180
    private let key: SymmetricKey

    public init(secret: String) { key = SymmetricKey(data: SHA256.hash(data: Data(secret.utf8))) }

    public static func window(at date: Date) -> Int { Int((date.timeIntervalSince1970 / period).rounded(.down)) }

    public func code(window: Int) -> String {
        let mac = Array(HMAC<SHA256>.authenticationCode(for: withUnsafeBytes(of: Int64(window).bigEndian) { Data($0) }, using: key))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let number = (UInt32(mac[offset] & 0x7f) << 24 | UInt32(mac[offset + 1]) << 16 | UInt32(mac[offset + 2]) << 8 | UInt32(mac[offset + 3])) % 1_000_000
        return String(format: "%06u", number)
    }

    public func code(at date: Date) -> String { code(window: Self.window(at: date)) }

    /// The window a typed code belongs to, if it is this window's or the one before's.
    public func accepts(_ typed: String, at date: Date) -> Int? {
        let typed = typed.filter { !$0.isWhitespace }
        let now = Self.window(at: date)
        return [now, now - 1].first { code(window: $0) == typed }
    }

    /// When the code shown now stops being accepted.
    public static func expiry(at date: Date) -> Date {
        Date(timeIntervalSince1970: TimeInterval(window(at: date) + 2) * period)
    }
}

/// How attendance at an event is decided.
public struct AttendanceRule: Hashable, Sendable, Codable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Present for at least `minutes` of the event (from the join log or an uploaded sheet).
        case minutes
        /// Checked in with the code shown during the event.
        case checkIn = "check_in"
    }

    public var kind: Kind
    public var minutes: Int

    public init(kind: Kind, minutes: Int = 0) {
        self.kind = kind
        self.minutes = minutes
    }

    public func problem(eventMinutes: Int) -> FieldError? {
        guard kind == .minutes else { return nil }
        if minutes <= 0 { return FieldError("attendanceRule.minutes", "must be more than zero") }
        if minutes > eventMinutes { return FieldError("attendanceRule.minutes", "must be at most the event's length (\(eventMinutes) minutes)") }
        return nil
    }

    public func attended(minutes present: Int, checkedIn: Bool) -> Bool {
        switch kind {
        case .minutes: present >= minutes
        case .checkIn: checkedIn
        }
    }

    /// Whole minutes covered by the intervals within [start, end): overlaps count once, an interval still open ends at `end`.
    public static func minutesPresent(_ intervals: [(from: Date, to: Date?)], start: Date, end: Date) -> Int {
        let clipped = intervals.compactMap { interval -> (Date, Date)? in
            let from = max(interval.from, start), to = min(interval.to ?? end, end)
            return from < to ? (from, to) : nil
        }.sorted { $0.0 < $1.0 }
        var total: TimeInterval = 0
        var current: (Date, Date)?
        for interval in clipped {
            if let open = current, interval.0 <= open.1 {
                current = (open.0, max(open.1, interval.1))
            } else {
                if let open = current { total += open.1.timeIntervalSince(open.0) }
                current = interval
            }
        }
        if let open = current { total += open.1.timeIntervalSince(open.0) }
        return Int((total / 60).rounded(.down))
    }
}

/// The National Learning Week of 2024 (Karmayogi Saptah), as published: 4.5 million enrolments, 3.2 million
/// completions and 3.8 million learning hours in a week, among 15 million people, with a goal of 4 hours each. The
/// generator lays a past week of this shape over a generated nation: per person, a share takes part, each participant
/// enrolling in a few courses that week.
public enum LearningWeekShape {
    public static let enrolmentsPerPerson = 4_500_000.0 / 15_000_000
    public static let completionsPerEnrolment = 3_200_000.0 / 4_500_000
    public static let secondsPerEnrolment = 3_800_000.0 * 3600 / 4_500_000
    /// Of everyone, the share who take part; participants enrol in 1 + a geometric number of courses, so that the mean
    /// over everyone is `enrolmentsPerPerson`.
    public static let participantShare = 0.2
    public static var extraPerParticipant: Double { enrolmentsPerPerson / participantShare - 1 }

    /// How many courses one person takes in the week: 0 for most, 1 + geometric for participants.
    public static func enrolments(using generator: inout some RandomNumberGenerator) -> Int {
        guard Double.random(in: 0..<1, using: &generator) < participantShare else { return 0 }
        var count = 1
        let more = extraPerParticipant / (1 + extraPerParticipant)
        while Double.random(in: 0..<1, using: &generator) < more, count < 20 { count += 1 }
        return count
    }

    /// Seconds learnt in one course that week: exponential around the published mean.
    public static func seconds(using generator: inout some RandomNumberGenerator) -> Int {
        Int(-log(1 - Double.random(in: 0..<0.999, using: &generator)) * secondsPerEnrolment)
    }
}
