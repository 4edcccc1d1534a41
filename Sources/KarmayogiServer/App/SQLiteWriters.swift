import Fluent
import FluentSQLiteDriver
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SQLiteKit
import Vapor

/// SQLite lets one connection write at a time, and its driver waits for the lock by spinning on a thread of the pool
/// that every query needs. Two transactions that each read and then write can so deadlock, or one fails with
/// "database is locked". Here every transaction of the process takes its turn in one queue and begins with
/// `BEGIN IMMEDIATE`, so it holds the write lock from its first statement: transactions never wait inside SQLite for
/// each other, and a single statement outside a transaction waits at most for the one transaction that is running.
/// (Several app nodes share PostgreSQL, never an SQLite file, so a queue in the process is enough.)
struct SerialisedSQLiteWrites: DatabaseConfiguration {
    var base: any DatabaseConfiguration
    /// The longest a transaction waits for its turn before the request is answered 503.
    var turnTimeout: Duration = .seconds(30)

    var middleware: [any AnyModelMiddleware] {
        get { base.middleware }
        set { base.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        Driver(base: base.makeDriver(for: databases), queue: WriterQueue(timeout: turnTimeout))
    }

    struct Driver: DatabaseDriver {
        var base: any DatabaseDriver
        var queue: WriterQueue

        func makeDatabase(with context: DatabaseContext) -> any Database {
            QueuedDatabase(base: base.makeDatabase(with: context), queue: queue, inTransaction: false)
        }

        func shutdown() { base.shutdown() }
        func shutdownAsync() async { await base.shutdownAsync() }
    }
}

/// A database whose transactions wait their turn in the process's writer queue; everything else passes through.
struct QueuedDatabase: Database, SQLDatabase {
    let base: any Database
    let queue: WriterQueue
    let inTransaction: Bool

    private var sql: any SQLDatabase { base as! any SQLDatabase }

    var context: DatabaseContext { base.context }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> {
        base.execute(query: query, onOutput: onOutput)
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> { base.execute(schema: schema) }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> { base.execute(enum: `enum`) }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        base.withConnection { connection in closure(QueuedDatabase(base: connection, queue: queue, inTransaction: inTransaction)) }
    }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        guard !inTransaction else { return closure(self) }
        let (base, queue) = (self.base, self.queue)
        let promise = base.eventLoop.makePromise(of: UncheckedBox<T>.self)
        Task {
            do {
                // The value crosses the queue in an unchecked box: it is made and used on this database's event loop.
                let box = try await queue.inTurn {
                    try await base.withConnection { connection -> EventLoopFuture<UncheckedBox<T>> in
                        connection.eventLoop.makeFutureWithTask {
                            let database = QueuedDatabase(base: connection, queue: queue, inTransaction: true)
                            let sql = connection as! any SQLDatabase
                            try await sql.raw("BEGIN IMMEDIATE").run()
                            do {
                                let box = try await closure(database).map { UncheckedBox(value: $0) }.get()
                                try await sql.raw("COMMIT").run()
                                return box
                            } catch {
                                try? await sql.raw("ROLLBACK").run()
                                throw error
                            }
                        }
                    }.get()
                }
                promise.succeed(box)
            } catch {
                promise.fail(error)
            }
        }
        return promise.futureResult.map { $0.value }
    }

    // SQLDatabase
    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { sql.version }
    /// SQLite's, made here: asking the database beneath casts and wraps it, and the serializer asks for every bind.
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { sql.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        sql.execute(sql: query, onRow)
    }

    /// Reads on the connection's own query (`SQLiteDatabase.run`), which hands each row over on the database's thread.
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        guard let sqlite = base as? any SQLiteDatabase else { return try await sql.execute(sql: query, onRow) }
        let decoder = SQLiteDataDecoder()
        try await sqlite.run(query, serializedFor: self) { onRow($0.sql(decoder: decoder)) }
    }
}

private struct UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
}

/// One turn at a time, first come first served; a turn not given within the timeout is a 503, never a hang.
final class WriterQueue: Sendable {
    private struct State {
        var busy = false
        var next = 0
        var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let state = NIOLockedValueBox(State())
    let timeout: Duration

    init(timeout: Duration) { self.timeout = timeout }

    func inTurn<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await work()
    }

    private func acquire() async throws {
        let id: Int? = state.withLockedValue { state in
            if !state.busy { state.busy = true; return nil }
            state.next += 1
            return state.next
        }
        guard let id else { return }
        let timeout = self.timeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.giveUp(id)
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            state.withLockedValue { state in
                if state.busy {
                    state.waiting.append((id, continuation))
                } else {
                    // Released between taking the number and waiting.
                    state.busy = true
                    continuation.resume()
                }
            }
        }
    }

    private func giveUp(_ id: Int) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, any Error>? in
            guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiting.remove(at: index).continuation
        }
        var problem = Problem(.serviceUnavailable, "The database is busy with other changes; try again in a few seconds.")
        problem.retryAfter = 5
        waiter?.resume(throwing: problem)
    }

    private func release() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, any Error>? in
            if state.waiting.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        waiter?.resume()
    }
}
