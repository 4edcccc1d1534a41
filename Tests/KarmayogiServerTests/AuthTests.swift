import Fluent
import Foundation
import JWT
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

@Suite struct AuthTests {
    @Test func loginGivesTokensThatOpenMe() async throws {
        try await withApp { app, world in
            // MUT
            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "MDO.MHA@test.example.org", "password": TestWorld.password])
            // validate
            #expect(login.status == .ok)
            #expect(login.json["expiresIn"] as? Int == 900)
            #expect((login.json["refreshToken"] as? String)?.count ?? 0 >= 40)
            let me = try await app.send(.GET, "/api/v1/me", token: login.json["accessToken"] as? String)
            #expect(me.status == .ok)
            #expect(me.json["id"] as? String == world.users["mdo.mha"]!.uuidString)
            #expect(me.json["organisationName"] as? String == "Ministry of Home Affairs")
            let roles = (me.json["roles"] as? [[String: Any]] ?? []).compactMap { $0["role"] as? String }
            #expect(roles == ["learner", "mdo_admin"])
        }
    }

    @Test func wrongEmailAndWrongPasswordAnswerAlike() async throws {
        try await withApp { app, _ in
            let wrongPassword = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "mdo.mha@test.example.org", "password": "nope"])
            let unknownEmail = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "nobody@test.example.org", "password": "nope"])
            #expect(wrongPassword.status == .unauthorized)
            #expect(wrongPassword.isProblem)
            #expect(wrongPassword.status == unknownEmail.status)
            #expect(wrongPassword.body == unknownEmail.body)
        }
    }

    @Test func repeatedFailuresAreSlowedDownPerAccount() async throws {
        try await withApp { app, _ in
            // The clock stands still: the 2 s wait after the fifth failure must not run out on a busy machine.
            let frozen = Date()
            app.clock = PlatformClock { frozen }
            for _ in 0..<5 {
                let reply = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "cbp.mha@test.example.org", "password": "wrong"])
                #expect(reply.status == .unauthorized)
            }
            // Even the right password waits now.
            let blocked = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "cbp.mha@test.example.org", "password": TestWorld.password])
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers.first(name: .retryAfter) ?? "") ?? 0 >= 1)
            // Another account is not affected.
            #expect(try await app.send(.POST, "/api/v1/auth/login", json: ["email": "mdo.mha@test.example.org", "password": TestWorld.password]).status == .ok)
        }
    }

    @Test func missingForgedExpiredAndMalformedTokensAreRefused() async throws {
        try await withApp { app, world in
            #expect(try await app.send(.GET, "/api/v1/me").status == .unauthorized)
            let claims = AccessClaims(sub: .init(value: world.users["national"]!.uuidString), exp: .init(value: Date().addingTimeInterval(600)), iat: .init(value: Date()), ver: 0)
            let otherKeys = JWTKeyCollection()
            await otherKeys.add(hmac: HMACKey(from: "a secret that is not the platform's"), digestAlgorithm: .sha256)
            let forged = try await otherKeys.sign(claims)
            let forgedReply = try await app.send(.GET, "/api/v1/me", token: forged)
            #expect(forgedReply.status == .unauthorized && forgedReply.isProblem)
            var old = claims
            old.exp = .init(value: Date().addingTimeInterval(-60))
            let expired = try await app.jwt.keys.sign(old)
            let expiredReply = try await app.send(.GET, "/api/v1/me", token: expired)
            #expect(expiredReply.status == .unauthorized)
            #expect((expiredReply.json["detail"] as? String)?.contains("expired") == true)
            #expect(try await app.send(.GET, "/api/v1/me", token: "not.a.token").status == .unauthorized)
            let valid = try await app.jwt.keys.sign(claims)
            var tampered = Array(valid)
            let middle = valid.firstIndex(of: ".")!.utf16Offset(in: valid) + 5
            tampered[middle] = tampered[middle] == "A" ? "B" : "A"
            #expect(try await app.send(.GET, "/api/v1/me", token: String(tampered)).status == .unauthorized)
            #expect(try await app.send(.GET, "/api/v1/me", token: valid).status == .ok)
        }
    }

    @Test func aTokenVerifiedOnceStillExpiresAndIsEndedBySignOut() async throws {
        try await withApp { app, world in
            let national = world.users["national"]!
            let claims = AccessClaims(sub: .init(value: national.uuidString), exp: .init(value: Date().addingTimeInterval(3)), iat: .init(value: Date()), ver: 0)
            let brief = try await app.jwt.keys.sign(claims)
            let first = try await app.send(.GET, "/api/v1/me", token: brief)
            #expect(first.status == .ok)
            #expect(try first.decoded(UserDTO.self).id == national, "\(first.body)")
            try await Task.sleep(for: .seconds(3.5))
            let later = try await app.send(.GET, "/api/v1/me", token: brief)
            #expect(later.status == .unauthorized && later.json["detail"] as? String == "The access token has expired; get a new one from POST /api/v1/auth/refresh.")

            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "national@test.example.org", "password": TestWorld.password])
            let token = login.json["accessToken"] as! String
            #expect(try await app.send(.GET, "/api/v1/me", token: token).status == .ok)
            #expect(try await app.send(.POST, "/api/v1/auth/logout", token: token, json: ["refreshToken": login.json["refreshToken"] as! String]).status == .noContent)
            let ended = try await app.send(.GET, "/api/v1/me", token: token)
            #expect(ended.status == .unauthorized && (ended.json["detail"] as? String)?.contains("sign-out") == true, "\(ended.body)")
        }
    }

    @Test func refreshRotatesAndReuseRevokesTheFamily() async throws {
        try await withApp { app, _ in
            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "learner.mha@test.example.org", "password": TestWorld.password])
            let first = login.json["refreshToken"] as! String
            let refreshed = try await app.send(.POST, "/api/v1/auth/refresh", json: ["refreshToken": first])
            #expect(refreshed.status == .ok)
            let second = refreshed.json["refreshToken"] as! String
            #expect(second != first)
            #expect(try await app.send(.GET, "/api/v1/me", token: refreshed.json["accessToken"] as? String).status == .ok)
            // The spent token comes back: stolen. Both it and its successor stop working.
            let reused = try await app.send(.POST, "/api/v1/auth/refresh", json: ["refreshToken": first])
            #expect(reused.status == .unauthorized)
            #expect(reused.fields == ["refreshToken"])
            #expect(try await app.send(.POST, "/api/v1/auth/refresh", json: ["refreshToken": second]).status == .unauthorized)
            #expect(try await app.send(.POST, "/api/v1/auth/refresh", json: ["refreshToken": "made-up"]).status == .unauthorized)
        }
    }

    @Test func logoutRevokesTheRefreshToken() async throws {
        try await withApp { app, _ in
            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "learner.mha@test.example.org", "password": TestWorld.password])
            let refresh = login.json["refreshToken"] as! String
            #expect(try await app.send(.POST, "/api/v1/auth/logout", json: ["refreshToken": refresh]).status == .noContent)
            #expect(try await app.send(.POST, "/api/v1/auth/refresh", json: ["refreshToken": refresh]).status == .unauthorized)
        }
    }

    @Test func onboardedUserActivatesWithTheTokenFromTheOutbox() async throws {
        try await withApp { app, world in
            let admin = try await app.token("mdo.mha")
            let created = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users", token: admin,
                                             json: ["name": "Asha Verma", "email": "asha@test.example.org", "designation": "Section Officer"])
            #expect(created.status == .created)
            #expect(created.json["status"] as? String == "pending")
            let message = try #require(try await OutboxMessage.query(on: app.db).filter(\.$recipient == "asha@test.example.org").first())
            #expect(message.kind == "activation")
            let token = try #require(message.body.split(separator: "token=").last.map { String($0.prefix { !$0.isWhitespace }) })
            // A pending account cannot sign in yet.
            #expect(try await app.send(.POST, "/api/v1/auth/login", json: ["email": "asha@test.example.org", "password": "jaggery tea at dawn"]).status == .unauthorized)
            let weak = try await app.send(.POST, "/api/v1/auth/activate", json: ["token": token, "password": "password"])
            #expect(weak.status == .unprocessableEntity && weak.fields == ["password"])
            let activated = try await app.send(.POST, "/api/v1/auth/activate", json: ["token": token, "password": "jaggery tea at dawn"])
            #expect(activated.status == .ok)
            #expect((activated.json["user"] as? [String: Any])?["status"] as? String == "active")
            #expect(try await app.send(.POST, "/api/v1/auth/activate", json: ["token": token, "password": "Karmayogi@2027"]).status == .unprocessableEntity)
            #expect(try await app.send(.POST, "/api/v1/auth/login", json: ["email": "asha@test.example.org", "password": "jaggery tea at dawn"]).status == .ok)
        }
    }
}

@Suite struct SignInThrottleTests {
    /// Requests over a real socket from 127.0.0.1, a trusted proxy here, each saying which address it forwards.
    func signIn(_ app: Application, _ key: String, password: String, from address: String) async throws -> Reply {
        try await app.send(.POST, "/api/v1/auth/login", json: ["email": "\(key)@test.example.org", "password": password],
                           headers: ["X-Forwarded-For": "6.6.6.6, \(address)"], over: .running(hostname: "127.0.0.1", port: 0))
    }

    @Test func failuresSlowThatAccountFromThatAddressButNotFromAFreshOne() async throws {
        try await withApp(adjusting: { (settings: inout Settings) in settings.trustedProxies = [AddressRange("127.0.0.1")!] }) { app, _ in
            // The clock stands still: the 2 s wait after the fifth failure must not run out on a busy machine.
            let frozen = Date()
            app.clock = PlatformClock { frozen }
            for _ in 0..<5 {
                #expect(try await signIn(app, "cbp.mha", password: "wrong password", from: "198.51.100.1").status == .unauthorized)
            }
            let blocked = try await signIn(app, "cbp.mha", password: TestWorld.password, from: "198.51.100.1")
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers.first(name: .retryAfter) ?? "") ?? 0 >= 1)
            // The owner, from their own office: the right password still works.
            #expect(try await signIn(app, "cbp.mha", password: TestWorld.password, from: "198.51.100.2").status == .ok)
        }
    }

    @Test func oneAddressTryingManyAccountsIsSlowedToo() async throws {
        try await withApp(adjusting: { (settings: inout Settings) in settings.trustedProxies = [AddressRange("127.0.0.0/8")!] }) { app, _ in
            // The clock stands still: the wait after the last free failure must not run out on a busy machine.
            let frozen = Date()
            app.clock = PlatformClock { frozen }
            for index in 0..<50 {
                let reply = try await signIn(app, "nobody\(index)", password: "wrong password", from: "203.0.113.7")
                #expect(reply.status == .unauthorized)
            }
            #expect(try await signIn(app, "mdo.mha", password: TestWorld.password, from: "203.0.113.7").status == .tooManyRequests)
            #expect(try await signIn(app, "mdo.mha", password: TestWorld.password, from: "203.0.113.8").status == .ok)
        }
    }

    @Test func forwardedAddressesAreIgnoredFromAnUntrustedPeer() async throws {
        try await withApp { app, _ in
            let frozen = Date()
            app.clock = PlatformClock { frozen }
            // No trusted proxies: every try below comes from 127.0.0.1, whatever the header says.
            for index in 0..<5 {
                _ = try await signIn(app, "cbp.mha", password: "wrong password", from: "198.51.100.\(index)")
            }
            #expect(try await signIn(app, "cbp.mha", password: TestWorld.password, from: "198.51.100.99").status == .tooManyRequests)
        }
    }
}

@Suite struct TokenTests {
    @Test func aBadTokenIsIgnoredOnPublicEndpoints() async throws {
        try await withApp { app, _ in
            let stale = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad"
            #expect(try await app.send(.GET, "/api/v1/states", token: stale).status == .ok)
            #expect(try await app.send(.GET, "/api/v1/courses", token: stale).status == .ok)
            #expect(try await app.send(.POST, "/api/v1/certificates/verify", token: stale, json: ["credential": "x"]).status != .unauthorized)
            let login = try await app.send(.POST, "/api/v1/auth/login", token: stale, json: ["email": "learner.mha@test.example.org", "password": TestWorld.password])
            #expect(login.status == .ok)
            let refresh = try await app.send(.POST, "/api/v1/auth/refresh", token: stale, json: ["refreshToken": login.json["refreshToken"] as! String])
            #expect(refresh.status == .ok)
            // Where a sign-in is needed, the reason is given.
            let me = try await app.send(.GET, "/api/v1/me", token: stale)
            #expect(me.status == .unauthorized)
            #expect((me.json["detail"] as? String)?.contains("not valid") == true)
        }
    }

    @Test func signingOutEndsTheAccessTokensIssuedBefore() async throws {
        try await withApp { app, _ in
            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "learner.mha@test.example.org", "password": TestWorld.password])
            let tokens = try login.decoded(SessionTokens.self)
            #expect(try await app.send(.GET, "/api/v1/me", token: tokens.accessToken).status == .ok)
            #expect(try await app.send(.POST, "/api/v1/auth/logout", json: ["refreshToken": tokens.refreshToken]).status == .noContent)
            let after = try await app.send(.GET, "/api/v1/me", token: tokens.accessToken)
            #expect(after.status == .unauthorized)
            #expect((after.json["detail"] as? String)?.contains("sign-out") == true)
            // A new sign-in works at once.
            let again = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "learner.mha@test.example.org", "password": TestWorld.password])
            #expect(try await app.send(.GET, "/api/v1/me", token: try again.decoded(SessionTokens.self).accessToken).status == .ok)
        }
    }

    @Test func aReusedRefreshTokenEndsTheAccessTokensOfItsFamily() async throws {
        try await withApp { app, _ in
            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": "learner.mha@test.example.org", "password": TestWorld.password])
            let first = try login.decoded(SessionTokens.self)
            let second = try await app.send(.POST, "/api/v1/auth/refresh", json: ["refreshToken": first.refreshToken]).decoded(SessionTokens.self)
            #expect(try await app.send(.GET, "/api/v1/me", token: second.accessToken).status == .ok)
            // The thief replays the first refresh token.
            #expect(try await app.send(.POST, "/api/v1/auth/refresh", json: ["refreshToken": first.refreshToken]).status == .unauthorized)
            #expect(try await app.send(.GET, "/api/v1/me", token: second.accessToken).status == .unauthorized)
            #expect(try await app.send(.POST, "/api/v1/auth/refresh", json: ["refreshToken": second.refreshToken]).status == .unauthorized)
        }
    }
}
