import Foundation
import NIOConcurrencyHelpers
import NIOCore
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// The signed-in person is kept between requests (issue 16), and a change to them, their roles or their organisation is
/// seen by the very next request, on this node and (PostgreSQL) on every other.
@Suite struct PrincipalCacheTests {
    @Test func changesToAPersonAreSeenByTheirNextRequest() async throws {
        try await withApp { app, world in
            let learner = world.users["learner.mha"]!
            let token = try await app.token("learner.mha")
            let national = try await app.token("national")
            #expect(try await app.send(.GET, "/api/v1/me", token: token).decoded(UserDTO.self).roles.map(\.role) == [.learner])
            try await app.waitUntilKept(token: token)

            // A role given, then the organisation renamed, each seen at once.
            let given = try await app.send(.PATCH, "/api/v1/users/\(learner)", token: national, json: ["roles": ["cbp_admin"]])
            #expect(given.status == .ok)
            #expect(try await app.send(.GET, "/api/v1/me", token: token).decoded(UserDTO.self).roles.map(\.role).contains(.cbpAdmin))
            let renamed = try await app.send(.PATCH, "/api/v1/orgs/\(world.mhaDepartment)", token: national, json: ["name": "Department of Border Management"])
            #expect(renamed.status == .ok)
            #expect(try await app.send(.GET, "/api/v1/me", token: token).decoded(UserDTO.self).organisationName == "Department of Border Management")

            // The role taken away again.
            #expect(try await app.send(.PATCH, "/api/v1/users/\(learner)", token: national, json: ["roles": []]).status == .ok)
            #expect(try await app.send(.GET, "/api/v1/me", token: token).decoded(UserDTO.self).roles.map(\.role) == [.learner])

            // Deactivated: the token stops at once.
            let status = try await app.send(.POST, "/api/v1/users/\(learner)/status", token: national, json: ["status": "disabled", "reason": "Left the service"])
            #expect(status.status == .ok)
            #expect(try await app.send(.GET, "/api/v1/me", token: token).status == .unauthorized)
        }
    }

    @Test func aSignOutEndsTheTokenAtOnce() async throws {
        try await withApp { app, _ in
            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "learner.health@test.example.org", "password": TestWorld.password])
            let token = try #require(login.json["accessToken"] as? String), refresh = try #require(login.json["refreshToken"] as? String)
            #expect(try await app.send(.GET, "/api/v1/me", token: token).status == .ok)
            #expect(try await app.send(.POST, "/api/v1/auth/logout", json: ["refreshToken": refresh]).status.code < 300)
            #expect(try await app.send(.GET, "/api/v1/me", token: token).status == .unauthorized)
        }
    }

    /// The rules of keeping, on a clock the test moves.
    @Test func keepsForItsLifetimeAndNotWhatWasReadBeforeAChange() async throws {
        let clock = NIOLockedValueBox(NIODeadline.uptimeNanoseconds(1_000_000_000))
        let cache = PrincipalCache(needsListener: false, lifetime: .seconds(30), settle: .seconds(5), now: { clock.withLockedValue { $0 } })
        let id = UUID()
        let reads = NIOLockedValueBox(0)
        let person = Principal(me: UserDTO(id: id, name: "A", email: "a@x.org", phone: nil, employeeId: nil, designation: nil, organisationId: UUID(),
                                           organisationName: "O", stateCode: nil, districtCode: nil, language: "en", status: .active, roles: [], createdAt: nil),
                               organisationPath: "x", access: Access(grants: []),
                               place: LearnerPlace(organisationPath: "x", userState: nil, userDistrict: nil, organisationState: nil, organisationDistrict: nil),
                               tokenVersion: 0)
        func read() async throws -> Principal? {
            try await cache.principal(id) { reads.withLockedValue { $0 += 1 }; return person }
        }
        _ = try await read(); _ = try await read()
        #expect(reads.withLockedValue { $0 } == 1)
        clock.withLockedValue { $0 = $0 + .seconds(31) }
        _ = try await read()
        #expect(reads.withLockedValue { $0 } == 2, "read again once its lifetime is over")

        cache.forget([id])
        _ = try await read(); _ = try await read()
        #expect(reads.withLockedValue { $0 } == 4, "not kept while a change may still be committing")
        clock.withLockedValue { $0 = $0 + .seconds(6) }
        _ = try await read(); _ = try await read()
        #expect(reads.withLockedValue { $0 } == 5, "kept again once the change has settled")

        cache.heard("*")
        _ = try await read()
        #expect(reads.withLockedValue { $0 } == 6)
        let listening = PrincipalCache(needsListener: true)
        _ = try await listening.principal(id) { person }
        #expect(listening.count == 0, "keeps nothing until it hears the other nodes")
    }

    /// Two nodes on one PostgreSQL: a change made through one is seen by the other's next request.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TEST_DATABASE_URL"].map { !$0.isEmpty } ?? false))
    func anotherNodeHearsTheChange() async throws {
        try await withApp { first, world in
            var settings = first.settings
            settings.seedDemoWorld = false
            let second = try await Application.make(.testing)
            do {
                try await configure(second, settings: settings)
                let learner = world.users["learner.mha"]!
                let token = try await first.token("learner.mha")
                try await second.waitUntilKept(token: token)
                #expect(try await first.send(.PATCH, "/api/v1/users/\(learner)", token: try await first.token("national"), json: ["roles": ["cbp_admin"]]).status == .ok)
                var roles: [Role] = []
                for _ in 0..<100 {
                    roles = try await second.send(.GET, "/api/v1/me", token: token).decoded(UserDTO.self).roles.map(\.role)
                    if roles.contains(.cbpAdmin) { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(roles.contains(.cbpAdmin))
            } catch {
                try? await second.asyncShutdown()
                throw error
            }
            try await second.asyncShutdown()
        }
    }
}

extension Application {
    /// Asks for /me until this node keeps the person (on PostgreSQL, once it listens for other nodes' changes).
    func waitUntilKept(token: String) async throws {
        for _ in 0..<200 where principals.count == 0 {
            _ = try await send(.GET, "/api/v1/me", token: token)
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(principals.count >= 1)
    }
}
