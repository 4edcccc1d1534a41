import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Runs a write that may lose a race to another writer, again, a bounded number of times: a unique key taken a moment
/// ago by a concurrent writer (on PostgreSQL, or a statement outside SQLite's writer queue) is a constraint failure
/// that the next try sees as existing data. Each try must start from the database.
enum WriteRetry {
    static func run<Value: Sendable>(attempts: Int = 8, _ write: @Sendable () async throws -> Value) async throws -> Value {
        var attempt = 1
        while true {
            do {
                return try await write()
            } catch where attempt < attempts && isContention(error) {
                // A short, growing, jittered wait, so racing writers fall out of step.
                let milliseconds = Int.random(in: 10...(20 << min(attempt, 6)))
                try await Task.sleep(for: .milliseconds(milliseconds))
                attempt += 1
            }
        }
    }

    static func isContention(_ error: any Error) -> Bool {
        if let database = error as? any DatabaseError, database.isConstraintFailure { return true }
        let text = String(describing: error)
        return text.contains("database is locked") || text.contains("SQLITE_BUSY")
    }
}

/// Waits for an operation at most so long: past the deadline the caller gets `Deadline.Passed` and goes on, while the
/// operation is left to end by itself (a database call cannot be taken back once sent; a transaction left waiting rolls
/// back or commits on its own, and a write with a key is safe to send again either way). For loops that must never stop
/// on one stuck call, such as the progress group commit.
enum Deadline {
    struct Passed: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no answer within \(seconds) s" }
    }

    static func run<Value: Sendable>(seconds: Double, _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let settled = NIOLockedValueBox(false)
        let first: @Sendable () -> Bool = { settled.withLockedValue { settled in defer { settled = true }; return !settled } }
        return try await withCheckedThrowingContinuation { (done: CheckedContinuation<Value, any Error>) in
            let timer = Task {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                if first() { done.resume(throwing: Passed(seconds: seconds)) }
            }
            Task {
                do {
                    let value = try await operation()
                    if first() { done.resume(returning: value) }
                } catch {
                    if first() { done.resume(throwing: error) }
                }
                timer.cancel()
            }
        }
    }
}
