import Fluent
import Foundation
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
