import Foundation
import Vapor

/// Where the platform's code takes the time from: the system's clock, or a clock a test sets.
struct PlatformClock: Sendable {
    var now: @Sendable () -> Date

    static let system = PlatformClock { Date() }
}

extension Application {
    private struct ClockKey: StorageKey { typealias Value = PlatformClock }

    /// The system's clock unless a test gave another.
    var clock: PlatformClock {
        get { storage[ClockKey.self] ?? .system }
        set { storage[ClockKey.self] = newValue }
    }
}
