import Fluent
import Foundation
import KarmayogiCore
import NIOHTTP1
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import KarmayogiServer

/// A fresh server for one test, on in-memory SQLite, or on PostgreSQL in a schema of its own when
/// `TEST_DATABASE_URL` is set (so tests run in parallel on either database).
func withApp(adjusting adjust: (inout Settings) -> Void = { _ in }, _ test: (Application, TestWorld) async throws -> Void) async throws {
    try await withBareApp(adjusting: adjust) { app in try await test(app, try await TestWorld.build(on: app)) }
}

/// A fresh, migrated server with nobody in it.
func withBareApp(adjusting adjust: (inout Settings) -> Void = { _ in }, _ test: (Application) async throws -> Void) async throws {
    let app = try await Application.make(.testing)
    var settings = Settings(environment: .testing, variables: [:])
    let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
        settings.databaseURL = url
        settings.databaseSchema = schema
    } else {
        settings.sqlitePath = ":memory:"
    }
    adjust(&settings)
    do {
        try await configure(app, settings: settings)
        try await test(app)
    } catch {
        await cleanUp(app, schema: settings.databaseURL == nil ? nil : schema)
        throw error
    }
    await cleanUp(app, schema: settings.databaseURL == nil ? nil : schema)
}

private func cleanUp(_ app: Application, schema: String?) async {
    await app.jobs.stop()
    await app.assistantKnowledge.stop()
    if let schema {
        try? await (app.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
    }
    try? await app.asyncShutdown()
}

/// The organisations and people every server test starts from:
/// two ministries (one with a department), a Rajasthan State department, a Jaipur ULB, and a person in each role.
struct TestWorld {
    static let password = "Test@Password1"

    var mha: UUID
    var mhaDepartment: UUID
    var health: UUID
    var rajasthan: UUID
    var jaipurULB: UUID
    var users: [String: UUID]

    static func build(on app: Application) async throws -> TestWorld {
        let database = app.db
        func organisation(_ name: String, _ code: String, _ type: OrganisationType, parent: Organisation? = nil,
                          state: Int? = nil, district: Int? = nil) async throws -> Organisation {
            let organisation = Organisation(name: name, code: code, type: type, parent: parent, stateCode: state, districtCode: district,
                                            sanctionedStrength: 100)
            try await organisation.create(on: database)
            return organisation
        }
        let jaipur = Geography.reference.district(named: "Jaipur", inState: 8)!.code
        let mha = try await organisation("Ministry of Home Affairs", "MHA", .ministry)
        let department = try await organisation("Department of Border Management", "MHA-DBM", .department, parent: mha)
        let health = try await organisation("Ministry of Health and Family Welfare", "MOHFW", .ministry)
        let rajasthan = try await organisation("Department of Personnel, Rajasthan", "RJ-DOP", .stateDepartment, state: 8)
        let ulb = try await organisation("Jaipur Municipal Corporation", "JMC", .ulb, state: 8, district: jaipur)
        let hash = try await app.password.async.hash(password)

        var users: [String: UUID] = [:]
        func person(_ key: String, in organisation: Organisation, role: Role?, state: Int? = nil) async throws {
            let user = User()
            user.$organisation.id = organisation.id!
            user.name = key.capitalized
            user.email = "\(key)@test.example.org"
            user.language = "en"
            user.status = .active
            user.passwordHash = hash
            user.stateCode = state ?? organisation.stateCode
            try await user.create(on: database)
            if let role {
                try await Users.record(Users.grant(for: role, organisation: organisation, stateCode: user.stateCode)!, for: user.id!, by: nil, on: database)
            }
            users[key] = user.id!
        }
        try await person("national", in: mha, role: .nationalAdmin)
        try await person("mdo.mha", in: mha, role: .mdoAdmin)
        try await person("mdo.health", in: health, role: .mdoAdmin)
        try await person("cbp.mha", in: mha, role: .cbpAdmin)
        try await person("creator.mha", in: mha, role: .contentCreator)
        try await person("reviewer.mha", in: mha, role: .contentReviewer)
        try await person("publisher.mha", in: mha, role: .contentPublisher)
        try await person("state.rajasthan", in: rajasthan, role: .stateAdmin)
        try await person("learner.mha", in: department, role: nil)
        try await person("learner.health", in: health, role: nil, state: 23)
        try await person("health.in.rajasthan", in: health, role: nil, state: 8)
        try await person("learner.jaipur", in: ulb, role: nil)
        return TestWorld(mha: mha.id!, mhaDepartment: department.id!, health: health.id!, rajasthan: rajasthan.id!,
                         jaipurULB: ulb.id!, users: users)
    }
}

/// A JSON response, read back.
struct Reply {
    var status: HTTPStatus
    var headers: HTTPHeaders
    var body: String

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    var fields: [String] { (json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } }
    /// The body read as one of the API's own types.
    func decoded<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder.api.decode(T.self, from: Data(body.utf8)) }
    var isProblem: Bool { headers.contentType?.subType == "problem+json" && json["status"] as? Int == Int(status.code) && json["detail"] is String }
}

extension Application {
    /// Sends one request through the whole application and returns what came back.
    func send(_ method: HTTPMethod, _ path: String, token: String? = nil, json: Any? = nil, body: String? = nil, bytes: [UInt8]? = nil,
              contentType: HTTPMediaType? = nil, headers extra: HTTPHeaders = [:], over transport: Application.Method = .inMemory) async throws -> Reply {
        var headers = extra
        if let token { headers.bearerAuthorization = BearerAuthorization(token: token) }
        var buffer: ByteBuffer?
        if let json {
            buffer = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
            headers.contentType = .json
        } else if let body {
            buffer = ByteBuffer(string: body)
            headers.contentType = contentType ?? .plainText
        } else if let bytes {
            buffer = ByteBuffer(bytes: bytes)
            headers.contentType = contentType ?? .binary
        }
        var reply: Reply?
        try await testing(method: transport).test(method, path, headers: headers, body: buffer) { response in
            reply = Reply(status: response.status, headers: response.headers, body: response.body.string)
        }
        return reply!
    }

    func token(_ key: String) async throws -> String {
        let reply = try await send(.POST, "/api/v1/auth/login", json: ["email": "\(key)@test.example.org", "password": TestWorld.password])
        guard let token = reply.json["accessToken"] as? String else { throw TestFailure("login of \(key) failed: \(reply.status) \(reply.body)") }
        return token
    }

    /// Waits for a bulk upload to finish and returns its final state.
    func finishedUpload(_ path: String, token: String) async throws -> Reply {
        for _ in 0..<600 {
            let reply = try await send(.GET, path, token: token)
            if let status = reply.json["status"] as? String, status == "completed" || status == "failed" { return reply }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("upload \(path) did not finish")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
