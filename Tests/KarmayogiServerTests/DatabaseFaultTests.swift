import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
@testable import KarmayogiServer

/// A database that cannot be written: writes answer 503 with Retry-After and change nothing, `/health` says
/// `degraded` with the reason, and both recover by themselves when the fault clears.
@Suite struct DatabaseFaultTests {
    /// Makes the whole database refuse writes, or takes that back: SQLite's connections are made read-only;
    /// on PostgreSQL the test's own schema loses its write privileges.
    static func refuseWrites(_ refuse: Bool, on app: Application) async throws {
        if let schema = app.settings.databaseSchema, app.settings.databaseURL != nil {
            let sql = app.db as! any SQLDatabase
            let verb = refuse ? "REVOKE" : "GRANT"
            let direction = refuse ? "FROM" : "TO"
            try await sql.raw("\(unsafeRaw: verb) INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(ident: schema) \(unsafeRaw: direction) CURRENT_USER").run()
        } else {
            try await app.sqlitePragmas(["query_only = \(refuse ? "ON" : "OFF")"])
        }
    }

    static func organisationCount(_ app: Application) async throws -> Int {
        try await Organisation.query(on: app.db).count()
    }

    static func newMinistry(_ index: Int) -> [String: Any] {
        ["name": "Ministry of Faults \(index)", "code": "FAULT-\(index)", "type": "ministry"]
    }

    @Test func aDatabaseThatRefusesWritesAnswers503AndRecovers() async throws {
        try await withApp(adjusting: { $0.healthFaultWindow = 3 }) { app, _ in
            let token = try await app.token("national")
            #expect(try await app.send(.GET, "/health").status == .ok)
            let before = try await Self.organisationCount(app)

            try await Self.refuseWrites(true, on: app)
            let refused = try await app.send(.POST, "/api/v1/orgs", token: token, json: Self.newMinistry(1))
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.isProblem)
            #expect(refused.headers.first(name: .retryAfter) == String(DatabaseFault.retryAfter))
            #expect(refused.json["type"] as? String == "urn:karmayogi:database-unavailable")
            let health = try await app.send(.GET, "/health")
            #expect(health.status == .serviceUnavailable)
            #expect(health.json["status"] as? String == "degraded")
            #expect((health.json["reason"] as? String)?.isEmpty == false)
            // Reading goes on.
            #expect(try await app.send(.GET, "/api/v1/orgs", token: token).status == .ok)

            try await Self.refuseWrites(false, on: app)
            try await Task.sleep(for: .milliseconds(3_200))  // the fault window (3 s: wide enough for a loaded machine) has passed
            let recovered = try await app.send(.GET, "/health")
            #expect(recovered.status == .ok)
            #expect(recovered.json["status"] as? String == "ok")
            #expect(try await app.send(.POST, "/api/v1/orgs", token: token, json: Self.newMinistry(2)).status == .created)
            #expect(try await Self.organisationCount(app) == before + 1, "the refused write left nothing behind")
        }
    }

    /// A disk that fills up (SQLite's page limit stands in for it): writes that need room answer 503, health reports
    /// the fault though its own small write still fits, and once there is room again everything works.
    @Test func aFullDiskAnswers503AndRecovers() async throws {
        try await withApp(adjusting: { $0.healthFaultWindow = 3 }) { app, _ in
            guard app.settings.databaseURL == nil else { return }
            let token = try await app.token("national")
            let sql = app.db as! any SQLDatabase
            let pages = try await sql.raw("PRAGMA page_count").first(decodingColumn: "page_count", as: Int.self) ?? 0
            try await app.sqlitePragmas(["max_page_count = \(pages)"])
            var full: Reply?
            var created = 0
            for index in 0..<400 {
                let reply = try await app.send(.POST, "/api/v1/orgs", token: token, json: Self.newMinistry(index))
                if reply.status == .created { created += 1; continue }
                full = reply
                break
            }
            #expect(full?.status == .serviceUnavailable)
            #expect((full?.json["detail"] as? String)?.contains("disk is full") == true)
            let health = try await app.send(.GET, "/health")
            #expect(health.json["status"] as? String == "degraded")
            #expect((health.json["reason"] as? String)?.contains("disk is full") == true)

            try await app.sqlitePragmas(["max_page_count = 1073741823"])
            try await Task.sleep(for: .milliseconds(3_200))  // the fault window (3 s: wide enough for a loaded machine) has passed
            #expect(try await app.send(.GET, "/health").status == .ok)
            #expect(try await app.send(.POST, "/api/v1/orgs", token: token, json: Self.newMinistry(1000)).status == .created)
            #expect(try await Organisation.query(on: app.db).filter(\.$code ~~ "FAULT-").count() == created + 1)
        }
    }
}

@Suite struct LostConnectionTests {
    /// PostgreSQL ends this server's connections (an administrator, a restarted server, a proxy that drops them): what
    /// was in flight may fail as 503, and the server reconnects by itself, losing nothing it acknowledged.
    @Test func theServerReconnectsAfterItsConnectionsEnd() async throws {
        try await withApp(adjusting: { $0.healthFaultWindow = 3 }) { app, _ in
            guard app.settings.databaseURL != nil else { return }
            let token = try await app.token("national")
            var pids: [Int] = []
            for eventLoop in app.eventLoopGroup.makeIterator() {
                let sql = app.databases.database(logger: app.logger, on: eventLoop) as! any SQLDatabase
                if let pid = try await sql.raw("SELECT pg_backend_pid() AS pid").first(decodingColumn: "pid", as: Int.self) { pids.append(pid) }
            }
            // One connection ends the others (a backend cannot reliably end itself mid-statement).
            let killer = app.databases.database(logger: app.logger, on: app.eventLoopGroup.next()) as! any SQLDatabase
            let others = pids.map(String.init).joined(separator: ",")
            // (OFFSET 0 keeps the planner from ending the killer's own backend before the filter has left it out.)
            let ended = try await killer.raw("""
                SELECT pid FROM (SELECT pid FROM pg_stat_activity WHERE pid IN (\(unsafeRaw: others)) AND pid <> pg_backend_pid() OFFSET 0) AS others
                WHERE pg_terminate_backend(pid)
                """).all(decodingColumn: "pid", as: Int.self)
            #expect(!ended.isEmpty)
            try await Task.sleep(for: .milliseconds(100))
            var answers: [HTTPStatus] = []
            for index in 0..<6 {
                answers.append(try await app.send(.POST, "/api/v1/orgs", token: token, json: DatabaseFaultTests.newMinistry(index)).status)
            }
            #expect(answers.allSatisfy { $0 == .created || $0 == .serviceUnavailable }, "\(answers)")
            #expect(answers.last == .created)
            // The ended connections were replaced: none of them answers any more.
            for eventLoop in app.eventLoopGroup.makeIterator() {
                let sql = app.databases.database(logger: app.logger, on: eventLoop) as! any SQLDatabase
                let pid = try await sql.raw("SELECT pg_backend_pid() AS pid").first(decodingColumn: "pid", as: Int.self)
                #expect(pid.map { !ended.contains($0) } == true)
            }
            try await Task.sleep(for: .milliseconds(3_200))  // the fault window (3 s: wide enough for a loaded machine) has passed
            #expect(try await app.send(.GET, "/health").status == .ok)
            let stored = try await Organisation.query(on: app.db).filter(\.$code ~~ "FAULT-").count()
            #expect(stored == answers.filter { $0 == .created }.count)
        }
    }

    /// A failover as a request meets it: its connection ends under it (here the request's own backend is ended, once).
    /// A read, or a write marked repeatable, is run again on a new connection and answered as if nothing happened; any
    /// other write is answered 503 with Retry-After; and with no time to wait, the read is a 503 too.
    @Test func readsAndRepeatableWritesRideOutALostConnection() async throws {
        for budget in [15.0, 0] {
            try await withBareApp(adjusting: { $0.failoverRetrySeconds = budget }) { app in
                guard app.settings.databaseURL != nil else { return }
                let runs = NIOLockedValueBox([String: Int]())
                @Sendable func losingItsConnectionOnce(_ request: Request) async throws -> String {
                    let run = runs.withLockedValue { runs in runs[request.url.path, default: 0] += 1; return runs[request.url.path]! }
                    let sql = request.db as! any SQLDatabase
                    if run == 1 { try await sql.raw("SELECT pg_terminate_backend(pg_backend_pid())").run() }
                    return "run \(run)"
                }
                app.get("test", "read", use: losingItsConnectionOnce)
                app.post("test", "repeatable", use: losingItsConnectionOnce).repeatable()
                app.post("test", "once", use: losingItsConnectionOnce)
                let read = try await app.send(.GET, "/test/read")
                let repeatable = try await app.send(.POST, "/test/repeatable")
                let once = try await app.send(.POST, "/test/once")
                if budget > 0 {
                    #expect(read.status == .ok && read.body == "run 2", "\(read.status) \(read.body)")
                    #expect(repeatable.status == .ok && repeatable.body == "run 2", "\(repeatable.status) \(repeatable.body)")
                } else {
                    #expect(read.status == .serviceUnavailable)
                }
                #expect(once.status == .serviceUnavailable && once.headers.first(name: "Retry-After") != nil, "\(once.status) \(once.body)")
                #expect(runs.withLockedValue { $0["/test/once"] } == 1)
            }
        }
    }
}

