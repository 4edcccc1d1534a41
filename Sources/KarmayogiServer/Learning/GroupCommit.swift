import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Group commit for the progress hot path: writes that arrive while a transaction is running wait, and then
/// all go into the next transaction together, so a thousand concurrent updates cost a few commits rather
/// than a thousand. When one write in a group fails, the group is rolled back and each write is retried on its
/// own, so one bad write never loses the others. The group is applied as one (`ProgressWrite.apply`: a statement per
/// table, not per write), and what it adds to the rollups is written once, last (so a group takes the counters' row
/// locks in one sweep, in key order).
actor GroupCommit {
    /// Weak: the application holds this, and a test's application must go when the test ends.
    private weak var app: Application?
    private let database: any Database
    private let maximumGroup: Int
    private var waiting: [(write: ProgressWrite, done: CheckedContinuation<ProgressAnswer, any Error>)] = []
    private var draining = false
    /// How many transactions ran and how many writes they held, for /metrics and the benchmark.
    private(set) var transactions = 0
    private(set) var writes = 0
    /// For tests: the next group's transaction fails after its writes ran, as a lost connection would make it.
    private var failNextGroup = false

    /// For tests: every transaction holding a write of these people fails, as a write the database refuses would.
    private var refused: Set<UUID> = []

    struct InjectedFailure: Error {}

    /// The longest a group's transaction is waited for.
    static let deadline = 5.0

    func failingNextGroup() { failNextGroup = true }

    func refusing(writesOf userID: UUID) { refused.insert(userID) }

    init(app: Application, maximumGroup: Int = 200) {
        self.app = app
        self.database = app.db
        self.maximumGroup = maximumGroup
    }

    func commit(_ write: ProgressWrite) async throws -> ProgressAnswer {
        try await withCheckedThrowingContinuation { done in
            waiting.append((write, done))
            if !draining {
                draining = true
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        while !waiting.isEmpty {
            guard let app else {
                for entry in waiting { entry.done.resume(throwing: Problem(.serviceUnavailable, "The server is shutting down.")) }
                waiting = []
                break
            }
            let group = Array(waiting.prefix(maximumGroup))
            waiting.removeFirst(group.count)
            transactions += 1
            writes += group.count
            let refused = refused
            let fails = failNextGroup || group.contains { refused.contains($0.write.userID) }
            failNextGroup = false
            do {
                // A group that gets no answer in time (a connection that died without saying so in a failover) is
                // answered 503 and left behind: the writes after it must not wait for it. Its writes carry keys, so
                // sending them again is safe whether it commits later or not.
                let answers = try await Deadline.run(seconds: Self.deadline) { [database, app] in
                    try await database.transaction { database in
                        let (answers, counts) = try await ProgressWrite.apply(group.map(\.write), app: app, on: database)
                        try await counts.write(on: database)
                        if fails { throw InjectedFailure() }
                        return answers
                    }
                }
                for (entry, answer) in zip(group, answers) { entry.done.resume(returning: answer) }
            } catch let passed as Deadline.Passed {
                app.logger.warning("progress: a group of \(group.count) writes got no answer from the database (\(passed)); answered 503")
                for entry in group { entry.done.resume(throwing: DatabaseFault.problem("the database did not answer in time")) }
            } catch where DatabaseFault.reason(of: error) != nil {
                // The database itself failed (a lost connection, a failover): trying each write alone would only fail
                // again, one pool timeout after another, while the writes behind wait. All are answered with the fault.
                for entry in group { entry.done.resume(throwing: error) }
            } catch {
                for entry in group {
                    do {
                        // Alone, and again while another writer holds the database: each try starts from the database.
                        entry.done.resume(returning: try await Deadline.run(seconds: Self.deadline) { [app, database, refused] in
                            try await WriteRetry.run {
                                try await database.transaction { database in
                                    let answer = try await entry.write.applied(app: app, on: database)
                                    if refused.contains(entry.write.userID) { throw InjectedFailure() }
                                    return answer
                                }
                            }
                        })
                    } catch { entry.done.resume(throwing: error) }
                }
            }
        }
        draining = false
    }
}

extension Application {
    private struct GroupCommitKey: StorageKey { typealias Value = GroupCommit }

    /// Made once by `configure`.
    var progressCommits: GroupCommit {
        get { storage[GroupCommitKey.self]! }
        set { storage[GroupCommitKey.self] = newValue }
    }
}
