import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
@testable import KarmayogiServer

@Suite struct OperationsTests {
    @Test func healthChecksTheDatabase() async throws {
        try await withApp { app, _ in
            let health = try await app.send(.GET, "/health")
            #expect(health.status == .ok)
            #expect(health.json["status"] as? String == "ok")
            #expect(["sqlite", "postgresql"].contains(health.json["database"] as? String))
        }
    }

    @Test func metricsAreServedInPrometheusFormat() async throws {
        try await withApp { app, _ in
            _ = try await app.send(.GET, "/api/v1/states")
            _ = try await app.send(.GET, "/health")
            let metrics = try await app.send(.GET, "/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.headers.contentType?.subType == "plain")
            #expect(metrics.body.contains("# TYPE http_requests_total counter"))
            #expect(metrics.body.contains("http_requests_total{method=\"GET\",path=\"/api/v1/states\",status=\"200\"}"))
            #expect(metrics.body.contains("http_request_duration_seconds_bucket"))
            #expect(metrics.body.contains("karmayogi_db_ping_seconds"))
            #expect(metrics.body.contains("karmayogi_db_pool_max_connections"))
        }
    }

    @Test func unknownPathsAreProblems() async throws {
        try await withApp { app, _ in
            let reply = try await app.send(.GET, "/api/v1/nothing-here")
            #expect(reply.status == .notFound && reply.isProblem)
            let wrongMethod = try await app.send(.DELETE, "/api/v1/orgs/\(UUID())")
            #expect(wrongMethod.status == .methodNotAllowed && wrongMethod.isProblem)
            #expect(wrongMethod.headers.first(name: .allow) == "GET, PATCH")
        }
    }

    @Test func geographyIsServedByLGDCode() async throws {
        try await withApp { app, _ in
            let states = try await app.send(.GET, "/api/v1/states")
            #expect(states.items.count == 36)
            #expect(states.items.reduce(0) { $0 + ($1["districtCount"] as? Int ?? 0) } == 784)
            let rajasthan = try await app.send(.GET, "/api/v1/states/8/districts")
            #expect(rajasthan.items.contains { $0["name"] as? String == "Jaipur" })
            #expect(try await app.send(.GET, "/api/v1/states/99/districts").status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/states/rajasthan/districts").status == .notFound)
        }
    }

    /// Every API route is described in the OpenAPI document, and everything described exists.
    @Test func openAPIDescribesEveryRoute() async throws {
        try await withApp { app, _ in
            let reply = try await app.send(.GET, "/api/v1/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.json["openapi"] as? String == "3.1.0")
            let paths = try #require(reply.json["paths"] as? [String: [String: Any]])
            var routed = Set<String>()
            for route in app.routes.all {
                let path = "/" + route.path.map { component -> String in
                    if case .parameter(let name) = component { return "{\(name)}" }
                    return component.description
                }.joined(separator: "/")
                guard path.hasPrefix("/api/") || path == "/health" || path == "/metrics" else { continue }
                let operation = "\(route.method.rawValue.lowercased()) \(path)"
                routed.insert(operation)
                #expect(paths[path]?[route.method.rawValue.lowercased()] != nil, "\(operation) is not in openapi.json")
            }
            let documented = Set(paths.flatMap { path, operations in
                operations.keys.filter { $0 != "parameters" }.map { "\($0) \(path)" }
            })
            #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed))")
        }
    }
}

@Suite struct SQLiteFileTests {
    @Test func aFileDatabaseRunsInWALMode() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("karmayogi-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let app = try await Application.make(.testing)
        var settings = Settings(environment: .testing, variables: [:])
        settings.sqlitePath = path
        do {
            try await configure(app, settings: settings)
            struct Mode: Decodable { var journal_mode: String }
            let mode = try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode").first(decoding: Mode.self)
            #expect(mode?.journal_mode == "wal")
            #expect(try await app.send(.GET, "/api/v1/states").items.count == 36)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// Transactions that read and then write, from connections on every event loop at once: on SQLite each takes its
    /// turn from its first statement, so none fails with "database is locked" and none works from a stale read.
    @Test func transactionsThatReadThenWriteTakeTurns() async throws {
        try await withBareApp { app in
            guard app.settings.databaseURL == nil else { return }
            let sql = app.db as! any SQLDatabase
            try await sql.raw("CREATE TABLE turn_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)").run()
            try await sql.raw("INSERT INTO turn_counter VALUES (1, 0)").run()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await app.db.transaction { database in
                            let sql = database as! any SQLDatabase
                            let n = try await sql.raw("SELECT n FROM turn_counter WHERE id = 1").first(decodingColumn: "n", as: Int.self) ?? -1
                            try await Task.sleep(for: .milliseconds(2))
                            try await sql.raw("UPDATE turn_counter SET n = \(bind: n + 1) WHERE id = 1").run()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let total = try await sql.raw("SELECT n FROM turn_counter WHERE id = 1").first(decodingColumn: "n", as: Int.self)
            #expect(total == 40)
        }
    }

    /// A dashboard reads on the event loop's reading connection: it sees what is committed while a write transaction
    /// holds the lock (WAL readers do not wait for the writer), and it cannot write.
    @Test func readingConnectionsDoNotWaitForTheWriter() async throws {
        try await withBareApp { app in
            guard app.settings.databaseURL == nil else { return }
            let sql = app.db as! any SQLDatabase
            try await sql.raw("CREATE TABLE read_probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)").run()
            try await sql.raw("INSERT INTO read_probe VALUES (1, 1)").run()
            let loops = Array(app.eventLoopGroup.makeIterator())
            let (readersDone, signal) = AsyncStream<[Int]>.makeStream()
            // The writer changes the row and then waits, holding the lock, until every loop's reader has read it.
            async let writer: Bool = app.db.transaction { database in
                try await (database as! any SQLDatabase).raw("UPDATE read_probe SET n = 2 WHERE id = 1").run()
                return try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask { for await _ in readersDone { return true }; return false }
                    group.addTask { try await Task.sleep(for: .seconds(20)); return false }
                    defer { group.cancelAll() }
                    return try await group.next()!
                }
            }
            var seen: [Int] = []
            for loop in loops {
                let reads = app.databases.database(.sqliteReads, logger: app.logger, on: loop)! as! any SQLDatabase
                seen.append(try await reads.raw("SELECT n FROM read_probe WHERE id = 1").first(decodingColumn: "n", as: Int.self) ?? -1)
                await #expect(throws: (any Error).self) { try await reads.raw("UPDATE read_probe SET n = 3 WHERE id = 1").run() }
            }
            signal.yield(seen)
            signal.finish()
            #expect(try await writer, "the readers had to wait for the writer's transaction to end")
            #expect(seen == Array(repeating: 1, count: loops.count))
            let committed = try await (app.db(.sqliteReads) as! any SQLDatabase).raw("SELECT n FROM read_probe WHERE id = 1").first(decodingColumn: "n", as: Int.self)
            #expect(committed == 2)
        }
    }
}

@Suite struct DemoWorldTests {
    @Test func theDemoWorldIsBuiltOnceAndItsSignInsWork() async throws {
        try await withBareApp { app in
            try await DemoWorld.seedIfEmpty(app)
            try await DemoWorld.seedIfEmpty(app)
            // 200 people, and the Viksit Panchayat pilot's 60 gram panchayats with three each.
            #expect(try await User.query(on: app.db).count() == 200 + 180, "built once, not twice")
            let sarpanch = try await app.send(.POST, "/api/v1/auth/login", json: ["email": DemoWorld.panchayatSignIn.email, "password": DemoWorld.password])
            #expect(sarpanch.status == .ok)
            #expect(Set(try await Organisation.query(on: app.db).all().compactMap(\.stateCode)).count >= 3)
            for signIn in DemoWorld.signIns {
                let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": signIn.email, "password": DemoWorld.password])
                #expect(login.status == .ok, "\(signIn.email) signs in")
                let roles = ((login.json["user"] as? [String: Any])?["roles"] as? [[String: Any]] ?? []).compactMap { $0["role"] as? String }
                #expect(roles.contains(signIn.role.rawValue))
            }
            #expect(try await DesignationRequirement.query(on: app.db).count() == DemoWorld.roleMappings.reduce(0) { $0 + $1.2.count })
            let catalogue = try await app.send(.GET, "/api/v1/courses?limit=1")
            #expect(catalogue.json["total"] as? Int == 60)
            let facets = catalogue.json["facets"] as? [String: [String: Int]]
            #expect((facets?["language"]?.count ?? 0) >= 6)
            #expect(Set(facets?["area"]?.keys.map { $0 } ?? []) == ["behavioural", "functional", "domain"])
            #expect(try await CourseVersion.query(on: app.db).filter(\.$state == .inReview).count() == 3)
            let learner = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "learner@karmayogi.example.org", "password": DemoWorld.password])
            let token = try #require(learner.json["accessToken"] as? String)
            let learning = try await app.send(.GET, "/api/v1/me/enrolments", token: token).items
            #expect(learning.count == 3 && learning.contains { ($0["percent"] as? Double ?? 0) > 0 }, "the demo learner has courses to continue")
            let ministry = try #require(try await Organisation.query(on: app.db).filter(\.$code == "MHA").first())
            let plans = try await Plan.query(on: app.db).filter(\.$organisationID == ministry.id!).all()
            #expect(plans.count == 1 && plans[0].state == .live, "the ministry's MDO admin has a live plan to follow")
        }
    }
}

@Suite struct GenerateTests {
    @Test func generatedLearnersAreEnrolledAndCanComplete() async throws {
        try await withApp { app, _ in
            let hash = try await app.password.async.hash("Generated@2026")
            var reported: [Int] = []
            let (emails, courses) = try await GenerateCommand.addLearners(3, enrolledIn: 4, passwordHash: hash, on: app.db) { reported.append($0) }
            #expect(emails.count == 3 && courses.count == 4 && courses.allSatisfy { $0.items.count == 2 } && reported == [3])
            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": emails[0], "password": "Generated@2026"])
            let token = try #require(login.json["accessToken"] as? String)
            #expect(try await app.send(.GET, "/api/v1/me/enrolments", token: token).items.count == 4)
            let done = try await app.send(.POST, "/api/v1/progress", token: token, json: ["updates": courses[0].items.enumerated().map { index, item in
                ["courseId": courses[0].id.uuidString, "itemId": item.uuidString, "status": 2, "key": "g\(index)"]
            }])
            #expect((done.json["courses"] as? [[String: Any]])?.first?["completedNow"] as? Bool == true)
        }
    }

    @Test func generatedCoursesArePublishedAndSearchable() async throws {
        try await withApp { app, _ in
            var reported: [Int] = []
            let provider = try await GenerateCommand.addCourses(1_200, seed: 7, on: app.db) { reported.append($0) }
            #expect(reported == [500, 1000, 1200], "progress after each batch")
            let catalogue = try await app.send(.GET, "/api/v1/courses?providerId=\(provider.id!)&limit=5")
            #expect(catalogue.json["total"] as? Int == 1_200)
            #expect(catalogue.items.count == 5)
            let languages = (catalogue.json["facets"] as? [String: [String: Int]])?["language"] ?? [:]
            #expect(languages.count == 6 && languages.values.reduce(0, +) == 1_200)
        }
    }
}
