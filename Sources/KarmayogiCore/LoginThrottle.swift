import Foundation

/// How repeated failed sign-ins are slowed down: a few free tries, then a wait that doubles with
/// each further failure, up to a cap. Kept per account and per network address.
public struct LoginThrottle: Sendable, Equatable {
    public var freeFailures = 5
    public var firstDelay: TimeInterval = 2
    public var maximumDelay: TimeInterval = 15 * 60
    /// Failures older than this are forgotten.
    public var window: TimeInterval = 15 * 60

    public init() {}

    public struct Record: Sendable, Equatable {
        public var failures: Int
        public var lastFailure: Date

        public init(failures: Int, lastFailure: Date) {
            self.failures = failures
            self.lastFailure = lastFailure
        }
    }

    /// Seconds to wait before another attempt is heard, or `nil` when one may be made now.
    public func retryAfter(_ record: Record?, now: Date) -> TimeInterval? {
        guard let record = current(record, now: now), record.failures >= freeFailures else { return nil }
        let delay = min(maximumDelay, firstDelay * pow(2, Double(record.failures - freeFailures)))
        let wait = record.lastFailure.addingTimeInterval(delay).timeIntervalSince(now)
        return wait > 0 ? wait : nil
    }

    public func failing(_ record: Record?, now: Date) -> Record {
        Record(failures: (current(record, now: now)?.failures ?? 0) + 1, lastFailure: now)
    }

    private func current(_ record: Record?, now: Date) -> Record? {
        guard let record, now.timeIntervalSince(record.lastFailure) < window + maximumDelay else { return nil }
        return record
    }
}
