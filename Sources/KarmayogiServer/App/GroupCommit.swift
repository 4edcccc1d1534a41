import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// A write that may share its transaction with others that arrive at the same time.
protocol GroupedWrite: Sendable {
    associatedtype Answer: Sendable
    /// Whose write it is (a test may make one person's writes fail).
    var userID: UUID { get }
    /// What the group of writes is called in the log.
    static var name: String { get }
    /// Applies the writes together in the caller's transaction (a statement per table for the group, not per write) and
    /// answers each, in order.
    static func apply(group: [Self], app: Application, on database: any Database) async throws -> [Answer]
}

/// Group commit for the hot write paths (learners' progress, QR check-ins): writes that arrive while a transaction is
/// running wait, and then all go into the next transaction together, so a thousand concurrent writes cost a few commits
/// rather than a thousand. When one write in a group fails, the group is rolled back and each write is retried on its
/// own, so one bad write never loses the others. The group is applied as one (`GroupedWrite.apply(group:)`).
actor GroupCommit<Write: GroupedWrite> {
    typealias Answer = Write.Answer
    /// Weak: the application holds this, and a test's application must go when the test ends.
    private weak var app: Application?
    private let database: any Database
    private let maximumGroup: Int
    private var waiting: [(write: Write, done: CheckedContinuation<Answer, any Error>)] = []
    private var draining = false
    /// How many transactions ran and how many writes they held, for /metrics and the benchmark.
    private(set) var transactions = 0
    private(set) var writes = 0
    /// For tests: the next group's transaction fails after its writes ran, as a lost connection would make it.
    private var failNextGroup = false

    /// For tests: every transaction holding a write of these people fails, as a write the database refuses would.
    private var refused: Set<UUID> = []

    struct InjectedFailure: Error {}

    /// The longest a group's transaction is waited for (`Settings.groupWriteWaitSeconds`).
    private let deadline: Double

    func failingNextGroup() { failNextGroup = true }

    func refusing(writesOf userID: UUID) { refused.insert(userID) }

    init(app: Application, maximumGroup: Int = 200) {
        self.app = app
        self.deadline = app.settings.groupWriteWaitSeconds
        self.database = app.db
        self.maximumGroup = maximumGroup
    }

    func commit(_ write: Write) async throws -> Answer {
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
                let answers = try await Deadline.run(seconds: deadline) { [database, app] in
                    try await database.transaction { database in
                        let answers = try await Write.apply(group: group.map(\.write), app: app, on: database)
                        if fails { throw InjectedFailure() }
                        return answers
                    }
                }
                for (entry, answer) in zip(group, answers) { entry.done.resume(returning: answer) }
            } catch let passed as Deadline.Passed {
                app.logger.warning("\(Write.name): a group of \(group.count) writes got no answer from the database (\(passed)); answered 503")
                for entry in group { entry.done.resume(throwing: DatabaseFault.problem("the database did not answer in time")) }
            } catch where DatabaseFault.reason(of: error) != nil {
                // The database itself failed (a lost connection, a failover): trying each write alone would only fail
                // again, one pool timeout after another, while the writes behind wait. All are answered with the fault.
                for entry in group { entry.done.resume(throwing: error) }
            } catch {
                for entry in group {
                    do {
                        // Alone, and again while another writer holds the database: each try starts from the database.
                        entry.done.resume(returning: try await Deadline.run(seconds: deadline) { [app, database, refused] in
                            try await WriteRetry.run {
                                try await database.transaction { database in
                                    let answer = try await Write.apply(group: [entry.write], app: app, on: database)[0]
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
