import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Group commit for the progress hot path: writes that arrive while a transaction is running wait, and then
/// all go into the next transaction together, so a thousand concurrent updates cost a few commits rather
/// than a thousand. When one write in a group fails, the group is rolled back and each write is retried on its
/// own, so one bad write never loses the others. What the writes add to the rollups is written once, last, for the
/// whole group (so a group takes the counters' row locks in one sweep, in key order).
actor GroupCommit {
    typealias Write = @Sendable (any Database) async throws -> (ProgressAnswer, RollupTally)

    private let database: any Database
    private let maximumGroup: Int
    private var waiting: [(write: Write, done: CheckedContinuation<ProgressAnswer, any Error>)] = []
    private var draining = false
    /// How many transactions ran and how many writes they held, for /metrics and the benchmark.
    private(set) var transactions = 0
    private(set) var writes = 0
    /// For tests: the next group's transaction fails after its writes ran, as a lost connection would make it.
    private var failNextGroup = false

    struct InjectedFailure: Error {}

    func failingNextGroup() { failNextGroup = true }

    init(database: any Database, maximumGroup: Int = 200) {
        self.database = database
        self.maximumGroup = maximumGroup
    }

    func commit(_ write: @escaping Write) async throws -> ProgressAnswer {
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
            let group = Array(waiting.prefix(maximumGroup))
            waiting.removeFirst(group.count)
            transactions += 1
            writes += group.count
            let fails = failNextGroup
            failNextGroup = false
            do {
                let answers = try await database.transaction { database in
                    var answers: [ProgressAnswer] = []
                    var tally = RollupTally()
                    for entry in group {
                        let (answer, counted) = try await entry.write(database)
                        answers.append(answer)
                        tally.merge(counted)
                    }
                    try await Rollups.write(tally, on: database)
                    if fails { throw InjectedFailure() }
                    return answers
                }
                for (entry, answer) in zip(group, answers) { entry.done.resume(returning: answer) }
            } catch {
                for entry in group {
                    do {
                        // Alone, and again while another writer holds the database: each try starts from the database.
                        entry.done.resume(returning: try await WriteRetry.run { [database] in
                            try await database.transaction { database in
                                let (answer, tally) = try await entry.write(database)
                                try await Rollups.write(tally, on: database)
                                return answer
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
