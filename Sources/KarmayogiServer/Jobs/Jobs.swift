import Fluent
import Foundation
import KarmayogiCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Background work that outlives a request (a bulk upload today; report exports and scheduled work as they come),
/// done by exactly one node of the cluster. A job is a row: the node that claims it holds a lease, renews it while it
/// works, and marks it done; a node that dies stops renewing, and when the lease runs out another node claims the job
/// and does it again from the start (every kind of job is written to be done twice with one outcome). Claiming is one
/// statement that skips rows another node is claiming at that moment (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite
/// has one writer). New jobs are announced on PostgreSQL (`NOTIFY`) so idle nodes look at once; every node also looks
/// every few seconds, which is what finds the jobs of a node that died.
enum Jobs {
    static let table = "jobs"
    static let channel = "karmayogi_jobs"

    enum Status: String, Codable, Sendable { case queued, running, done, failed }

    struct Claimed: Sendable {
        var id: UUID
        var kind: String
        var subject: UUID
        var attempts: Int
    }

    /// Adds a job for this subject, or puts one that ended back in the queue (the subject has work again); a job queued
    /// or running is left as it is. Call it in the transaction that stores the subject, so neither exists without the other.
    @discardableResult
    static func enqueue(_ kind: String, subject: UUID, at now: Date, on database: any Database) async throws -> UUID {
        let sql = database as! any SQLDatabase
        let id = UUID()
        try await sql.raw("""
            INSERT INTO \(ident: table) (id, kind, subject_id, status, attempts, created_at, updated_at)
            VALUES (\(bind: id), \(bind: kind), \(bind: subject), \(bind: Status.queued.rawValue), 0, \(bind: now), \(bind: now))
            ON CONFLICT (kind, subject_id) DO UPDATE SET status = \(bind: Status.queued.rawValue), claimed_by = NULL, lease_until = NULL,
                failure = NULL, updated_at = \(bind: now)
            WHERE \(ident: table).status IN (\(bind: Status.done.rawValue), \(bind: Status.failed.rawValue))
            """).run()
        if sql.dialect.name == "postgresql" { try await sql.raw("SELECT pg_notify(\(bind: channel), \(bind: kind))").run() }
        struct Row: Decodable { var id: UUID }
        return try await sql.select().column("id").from(table).where("kind", .equal, SQLBind(kind)).where("subject_id", .equal, SQLBind(subject))
            .first(decoding: Row.self)?.id ?? id
    }

    /// Claims the oldest job that is queued, or whose node stopped renewing its lease; or, with `only`, that one job.
    static func claim(kinds: [String], by node: String, lease: TimeInterval, at now: Date, only: UUID? = nil,
                      on database: any Database) async throws -> Claimed? {
        guard !kinds.isEmpty else { return nil }
        return try await database.transaction { database in
            let sql = database as! any SQLDatabase
            let claimable: SQLQueryString = """
                (\(ident: "status") = \(bind: Status.queued.rawValue) OR (\(ident: "status") = \(bind: Status.running.rawValue) AND \(ident: "lease_until") < \(bind: now)))
                """
            let skipLocked: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
            let which: SQLQueryString = only.map { "\(ident: "id") = \(bind: $0) AND " } ?? ""
            struct Row: Decodable { var id: UUID; var kind: String; var subject_id: UUID; var attempts: Int }
            // The claim is checked again by the update itself: on PostgreSQL a row changed since the inner select read
            // it is read again there, so two nodes never both hold one job.
            let row = try await sql.raw("""
                UPDATE \(ident: table) SET \(ident: "status") = \(bind: Status.running.rawValue), \(ident: "claimed_by") = \(bind: node),
                    \(ident: "lease_until") = \(bind: now.addingTimeInterval(lease)), \(ident: "attempts") = \(ident: "attempts") + 1, \(ident: "updated_at") = \(bind: now)
                WHERE \(ident: "id") = (SELECT \(ident: "id") FROM \(ident: table) WHERE \(which)\(ident: "kind") IN (\(binds: kinds)) AND \(claimable)
                    ORDER BY \(ident: "created_at") LIMIT 1\(skipLocked))
                AND \(claimable)
                RETURNING \(ident: "id"), \(ident: "kind"), \(ident: "subject_id"), \(ident: "attempts")
                """).first(decoding: Row.self)
            return row.map { Claimed(id: $0.id, kind: $0.kind, subject: $0.subject_id, attempts: $0.attempts) }
        }
    }

    /// Extends a lease this node holds; false when it no longer holds it (another node took the job over).
    static func renew(_ id: UUID, by node: String, lease: TimeInterval, at now: Date, on database: any Database) async throws -> Bool {
        struct Row: Decodable { var id: UUID }
        return try await (database as! any SQLDatabase).raw("""
            UPDATE \(ident: table) SET \(ident: "lease_until") = \(bind: now.addingTimeInterval(lease)), \(ident: "updated_at") = \(bind: now)
            WHERE \(ident: "id") = \(bind: id) AND \(ident: "claimed_by") = \(bind: node) AND \(ident: "status") = \(bind: Status.running.rawValue)
            RETURNING \(ident: "id")
            """).first(decoding: Row.self) != nil
    }

    /// Ends this node's hold on a job: done, failed (with why), or back in the queue (this node is stopping).
    static func release(_ id: UUID, by node: String, as status: Status, failure: String? = nil, at now: Date, on database: any Database) async throws {
        try await (database as! any SQLDatabase).update(table)
            .set("status", to: SQLBind(status.rawValue)).set("claimed_by", to: SQLLiteral.null).set("lease_until", to: SQLLiteral.null)
            .set("failure", to: SQLBind(failure)).set("updated_at", to: SQLBind(now))
            .set("finished_at", to: status == .queued ? SQLLiteral.null as any SQLExpression : SQLBind(now))
            .where("id", .equal, SQLBind(id)).where("claimed_by", .equal, SQLBind(node)).run()
    }

    /// The subject of recurring work (one row per kind).
    static let recurring = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1))

    struct State: Decodable, Sendable {
        var status: Status
        var claimed_by: String?
        var attempts: Int
    }

    static func state(of kind: String, subject: UUID, on database: any Database) async throws -> State? {
        try await (database as! any SQLDatabase).select().columns("status", "claimed_by", "attempts").from(table)
            .where("kind", .equal, SQLBind(kind)).where("subject_id", .equal, SQLBind(subject)).first(decoding: State.self)
    }
}

/// The job table, as it was first made (frozen: it names its columns and calls nothing that may change).
struct CreateJobs: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("jobs")
            .field("id", .uuid, .identifier(auto: false))
            .field("kind", .string, .required)
            .field("subject_id", .uuid, .required)
            .field("status", .string, .required)
            .field("claimed_by", .string)
            .field("lease_until", .datetime)
            .field("attempts", .int, .required)
            .field("failure", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("finished_at", .datetime)
            .unique(on: "kind", "subject_id")
            .create()
        try await database.index("jobs_claimable", on: "jobs", columns: ["status", "created_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("jobs").delete()
    }
}

/// This node's side of the jobs: it claims what it can do, runs each claimed job in a task of its own while renewing its
/// lease, and stops (putting its jobs back in the queue) when the server stops. Handlers are registered by kind.
final class JobRunner: Sendable {
    typealias Handler = @Sendable (_ subject: UUID, _ hint: (any Sendable)?, _ app: Application) async throws -> Void

    /// Who holds a claim: host, process and a random part, so that a restarted process is a new node.
    let node: String
    let lease: TimeInterval
    let poll: TimeInterval
    let capacity: Int
    private struct State {
        var handlers: [String: Handler] = [:]
        var running: [UUID: (subject: UUID, task: Task<Void, Never>)] = [:]
        var loop: Task<Void, Never>?
        var wake: AsyncStream<Void>.Continuation?
        var stopping = false
        /// Recurring kinds and how often each node puts them in the queue.
        var recurring: [(kind: String, every: TimeInterval)] = []
        var tickers: [Task<Void, Never>] = []
    }
    private let state = NIOLockedValueBox(State())

    init(lease: TimeInterval, poll: TimeInterval, capacity: Int = 2) {
        node = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(SecretToken.make().prefix(6))"
        self.lease = lease
        self.poll = poll
        self.capacity = capacity
    }

    func register(_ kind: String, _ handler: @escaping Handler) {
        state.withLockedValue { $0.handlers[kind] = handler }
    }

    /// Work done again and again (deciding attendance after events end): every node puts it in the queue every
    /// `interval` seconds, which does nothing while it is queued or running, so one node at a time does each pass.
    func every(_ interval: TimeInterval, kind: String) {
        state.withLockedValue { $0.recurring.append((kind, interval)) }
    }

    /// Puts recurring work in the queue now, and looks for it at once.
    func schedule(_ kind: String, at now: Date, on database: any Database) async throws {
        try await Jobs.enqueue(kind, subject: Jobs.recurring, at: now, on: database)
        wake()
    }

    /// Looks for jobs now and every `poll` seconds, and whenever `wake` is called (a job was added here or announced).
    func start(app: Application) {
        if app.settings.scheduledWork {
            let tickers = state.withLockedValue { $0.recurring }.map { recurring in
                Task { [self] in
                    while !Task.isCancelled {
                        do { try await schedule(recurring.kind, at: app.clock.now(), on: app.db) } catch {
                            app.logger.warning("jobs: cannot schedule \(recurring.kind) (\(String(reflecting: error)))")
                        }
                        try? await Task.sleep(for: .milliseconds(Int(recurring.every * 1000)))
                    }
                }
            }
            state.withLockedValue { $0.tickers = tickers }
        }
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let poll = self.poll
        let loop = Task { [self] in
            let ticker = Task {
                while !Task.isCancelled {
                    continuation.yield()
                    try? await Task.sleep(for: .milliseconds(Int(poll * 1000)))
                }
            }
            for await _ in stream {
                if Task.isCancelled { break }
                await claimWhatFits(app: app)
            }
            ticker.cancel()
        }
        state.withLockedValue { state in
            state.loop = loop
            state.wake = continuation
        }
    }

    func wake() { _ = state.withLockedValue { $0.wake }?.yield() }

    /// Claims jobs while this node has room for them.
    func claimWhatFits(app: Application) async {
        while true {
            let (kinds, room) = state.withLockedValue { state in (Array(state.handlers.keys).sorted(), !state.stopping && state.running.count < capacity) }
            guard room else { return }
            do {
                guard let job = try await Jobs.claim(kinds: kinds, by: node, lease: lease, at: app.clock.now(), on: app.db) else { return }
                run(job, hint: nil, app: app)
            } catch {
                app.logger.warning("jobs: cannot claim (\(String(reflecting: error)))")
                return
            }
        }
    }

    /// Claims one job this node has just added and runs it here with what the request already knows (`hint`), if no
    /// other node claimed it first.
    func claimNow(_ id: UUID, hint: (any Sendable)?, app: Application) async throws {
        let kinds = state.withLockedValue { Array($0.handlers.keys) }
        if let job = try await Jobs.claim(kinds: kinds, by: node, lease: lease, at: app.clock.now(), only: id, on: app.db) {
            run(job, hint: hint, app: app)
        }
    }

    private func run(_ job: Jobs.Claimed, hint: (any Sendable)?, app: Application) {
        let node = self.node, lease = self.lease
        state.withLockedValue { state in
            guard let handler = state.handlers[job.kind] else { return }
            let task = Task.detached { [self] in
                let work = Task { try await handler(job.subject, hint, app) }
                // The lease is renewed while the work goes on; losing it (another node took over) stops the work here.
                let renewal = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(Int(lease * 1000 / 3)))
                        if Task.isCancelled { return }
                        let held = (try? await Jobs.renew(job.id, by: node, lease: lease, at: app.clock.now(), on: app.db)) ?? true
                        if !held {
                            app.logger.warning("jobs: \(job.kind) \(job.subject) was taken over by another node; stopping it here")
                            work.cancel()
                            return
                        }
                    }
                }
                let outcome = await withTaskCancellationHandler { await work.result } onCancel: { work.cancel() }
                renewal.cancel()
                let stopping = self.state.withLockedValue { $0.stopping }
                do {
                    switch outcome {
                    case .success where stopping, .failure(is CancellationError):
                        try await Jobs.release(job.id, by: node, as: .queued, at: app.clock.now(), on: app.db)
                    case .success:
                        try await Jobs.release(job.id, by: node, as: .done, at: app.clock.now(), on: app.db)
                    case .failure(let error):
                        app.logger.report(error: error)
                        try await Jobs.release(job.id, by: node, as: .failed, failure: String(describing: error), at: app.clock.now(), on: app.db)
                    }
                } catch {
                    app.logger.warning("jobs: cannot record how \(job.kind) \(job.subject) ended (\(String(reflecting: error))); its lease will run out")
                }
                self.finished(job.id)
            }
            state.running[job.id] = (job.subject, task)
        }
    }

    private func finished(_ id: UUID) {
        let wake = state.withLockedValue { state in
            state.running[id] = nil
            return state.wake
        }
        wake?.yield()
    }

    /// Waits for the work this node is doing on a subject, if any.
    func wait(forSubject subject: UUID) async {
        let tasks = state.withLockedValue { $0.running.values.filter { $0.subject == subject }.map(\.task) }
        for task in tasks { await task.value }
    }

    /// Stops looking for jobs, stops the running ones between their steps and puts them back in the queue.
    func stop() async {
        let loop = state.withLockedValue { state -> Task<Void, Never>? in
            state.stopping = true
            for ticker in state.tickers { ticker.cancel() }
            state.wake?.finish()
            defer { state.loop = nil }
            return state.loop
        }
        // The loop first: a claim it was making when asked to stop may still start a job, which is then stopped too
        // (taken before the loop ended, the list of running work could miss it, and it would run on after shutdown).
        loop?.cancel()
        await loop?.value
        let tasks = state.withLockedValue { $0.running.values.map(\.task) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}

/// Starts the node's job runner with the server, and stops it (putting its jobs back) when the server stops.
struct JobsLifecycle: LifecycleHandler {
    func didBootAsync(_ application: Application) async throws {
        application.jobs.start(app: application)
    }

    func shutdownAsync(_ application: Application) async {
        await application.jobs.stop()
    }
}

extension Application {
    private struct JobRunnerKey: StorageKey { typealias Value = JobRunner }

    /// Made once by `configure`.
    var jobs: JobRunner {
        get { storage[JobRunnerKey.self]! }
        set { storage[JobRunnerKey.self] = newValue }
    }
}
