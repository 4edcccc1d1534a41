import Crypto
import Foundation

/// Who must approve a place on a blended programme's batch, set per programme.
public enum ApprovalRoute: String, Codable, Sendable, CaseIterable {
    /// Nobody: an application is approved as it is made.
    case none
    /// The admin of the person's organisation (MDO).
    case mdo
    /// The programme's coordinator.
    case coordinator
    /// The MDO admin first, then the coordinator.
    case both
}

/// Where a nomination stands. `applied` waits for the MDO admin, `nominated` for the coordinator, `approved` for a
/// seat (the waitlist, in the order of approval); `enrolled` holds a seat; `rejected` and `withdrawn` hold none.
public enum NominationStatus: String, Codable, Sendable, CaseIterable {
    case applied, nominated, approved, enrolled, completed, rejected, withdrawn

    /// Whether the person has (or waits for) a place in the batch: such batches may not overlap in dates.
    public var isActive: Bool { self != .rejected && self != .withdrawn }
    /// Whether the person holds one of the batch's seats.
    public var holdsSeat: Bool { self == .enrolled || self == .completed }
}

/// Who acts on a nomination, as far as the rules of the route care.
public enum NominationActor: String, Codable, Sendable {
    /// The nominee.
    case learner
    /// An admin whose reach covers the nominee's organisation.
    case mdoAdmin = "mdo_admin"
    /// A coordinator of the programme's provider.
    case coordinator
}

public enum NominationAction: String, Codable, Sendable {
    case apply, nominate, approve, reject, withdraw
}

/// The nomination state machine: every step is decided here, and the server records each with who and why.
/// Seats are not its business: an approved nomination is enrolled by `Seats` when one is free.
public enum NominationFlow {
    public enum Refusal: Error, Equatable {
        /// The actor may not take this step on this nomination (out of their part in the route).
        case notYours(FieldError)
        /// The step does not follow from where the nomination stands.
        case conflict(FieldError)
    }

    /// The status a new nomination starts in: an application by the nominee, or a nomination by an MDO admin (which
    /// counts as the MDO admin's approval) or a coordinator (which counts as every approval).
    public static func start(_ action: NominationAction, by actor: NominationActor, route: ApprovalRoute) throws(Refusal) -> NominationStatus {
        switch (action, actor) {
        case (.apply, .learner):
            switch route {
            case .none: return .approved
            case .mdo, .both: return .applied
            case .coordinator: return .nominated
            }
        case (.nominate, .mdoAdmin):
            return route == .none || route == .mdo ? .approved : .nominated
        case (.nominate, .coordinator):
            return .approved
        case (.apply, _):
            throw .notYours(FieldError("userId", "only the person themself applies; an admin or coordinator nominates"))
        default:
            throw .notYours(FieldError("action", "a learner applies for themself; an MDO admin or the programme's coordinator nominates"))
        }
    }

    /// The status after `action` by `actor`. `isSelf` says whether the actor is the nominee (nobody approves or rejects
    /// their own nomination, whatever roles they hold).
    public static func next(from status: NominationStatus, _ action: NominationAction, by actor: NominationActor, isSelf: Bool,
                            route: ApprovalRoute) throws(Refusal) -> NominationStatus {
        switch action {
        case .apply, .nominate:
            throw .conflict(FieldError("action", "this person already has a nomination for this batch"))
        case .withdraw:
            guard status.isActive, status != .completed else {
                throw .conflict(FieldError("status", "a \(status.rawValue) nomination cannot be withdrawn"))
            }
            return .withdrawn
        case .approve, .reject:
            if isSelf { throw .notYours(FieldError("nomination", "nobody approves or rejects their own nomination")) }
            let decided: NominationStatus
            switch (status, actor) {
            case (.applied, .mdoAdmin) where route == .mdo || route == .both:
                decided = route == .both ? .nominated : .approved
            case (.applied, .coordinator) where route == .mdo || route == .both:
                throw .notYours(FieldError("nomination", "the nominee's MDO admin decides first on this programme"))
            case (.nominated, .coordinator):
                decided = .approved
            case (.nominated, .mdoAdmin):
                throw .notYours(FieldError("nomination", "the programme's coordinator decides this nomination"))
            case (_, .learner):
                throw .notYours(FieldError("nomination", "a learner may only withdraw"))
            default:
                throw .conflict(FieldError("status", "a \(status.rawValue) nomination awaits no decision"))
            }
            return action == .approve ? decided : .rejected
        }
    }
}

/// A batch's seats: who of the waitlist is enrolled when seats are free, first approved first.
public enum Seats {
    /// Problems with a number of seats: zero or less, or more than a hall could hold.
    public static func problem(_ seats: Int, field: String = "seats") -> FieldError? {
        guard seats > 0 else { return FieldError(field, "must be at least 1") }
        return seats > 10_000 ? FieldError(field, "must be at most 10000") : nil
    }

    /// How many of `waiting` (in their order) take a seat, with `holding` of `seats` already taken.
    public static func promote(seats: Int, holding: Int, waiting: Int) -> Int { max(0, min(waiting, seats - holding)) }
}

/// A batch's dates, India days with both ends included.
public struct BatchDays: Hashable, Sendable, Codable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public var range: ClosedRange<Int> { start...max(start, end) }

    public static func problems(start: Int, end: Int) -> [FieldError] {
        if end < start { return [FieldError("endDate", "must be on or after startDate")] }
        if end - start > 366 { return [FieldError("endDate", "a batch lasts at most a year")] }
        return []
    }

    /// The first of the batches a person holds whose dates overlap these: every one is checked, not only the last.
    public func firstOverlap<ID>(in held: [(id: ID, days: BatchDays)]) -> ID? {
        held.first { $0.days.range.overlaps(range) }?.id
    }
}

/// The attendance code a trainer's phone shows for one session as a QR code: a token signed for that session and a
/// 30-second window, accepted in its own window and the one after (a scan that began just before the change).
public struct AttendanceToken: Sendable {
    public static let period: TimeInterval = 30
    private let key: SymmetricKey

    public init(secret: String) { key = SymmetricKey(data: SHA256.hash(data: Data("attendance-token:\(secret)".utf8))) }

    public enum Refusal: Error, Equatable {
        /// Not a token this platform made, or altered.
        case forged
        /// Made for another session.
        case otherSession
        /// Its window has passed.
        case expired
    }

    public static func window(at date: Date) -> Int { Int((date.timeIntervalSince1970 / period).rounded(.down)) }

    public func token(session: UUID, at date: Date) -> String { token(session: session, window: Self.window(at: date)) }

    public func token(session: UUID, window: Int) -> String {
        let body = "\(session.uuidString.lowercased()).\(window)"
        return "\(body).\(signature(body))"
    }

    /// The window of a scanned token meant for `session`, or why it is refused.
    public func check(_ token: String, session: UUID, at date: Date) throws(Refusal) -> Int {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let window = Int(parts[1]), parts[2].utf8.count == 43,
              constantTimeEqual(Array(parts[2].utf8), Array(signature("\(parts[0]).\(parts[1])").utf8))
        else { throw .forged }
        guard UUIDText.parse(String(parts[0])) == session else { throw .otherSession }
        let now = Self.window(at: date)
        guard window == now || window == now - 1 else { throw .expired }
        return window
    }

    /// When the token shown now stops being accepted.
    public static func expiry(at date: Date) -> Date { Date(timeIntervalSince1970: TimeInterval(window(at: date) + 2) * period) }

    private func signature(_ body: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: key)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A programme's completion rule: at least `minimumAttendancePercent` of the batch's sessions attended, and every
/// online course of the programme complete.
public struct ProgrammeCompletion: Hashable, Sendable, Codable {
    public var minimumAttendancePercent: Int

    public init(minimumAttendancePercent: Int) { self.minimumAttendancePercent = minimumAttendancePercent }

    public var problem: FieldError? {
        (0...100).contains(minimumAttendancePercent) ? nil : FieldError("minimumAttendancePercent", "must be from 0 to 100")
    }

    public func isMet(attended: Int, sessions: Int, coursesComplete: Int, courses: Int) -> Bool {
        guard coursesComplete >= courses else { return false }
        guard sessions > 0 else { return true }
        return attended * 100 >= minimumAttendancePercent * sessions
    }
}

/// How long after a batch's last day a trainer may still mark attendance by hand.
public enum ManualMarks {
    public static let daysAfterBatch = 7

    public static func allowed(today: Int, batchEnd: Int) -> Bool { today <= batchEnd + daysAfterBatch }
}
