import Fluent
import Foundation
import Testing
import Vapor
@testable import KarmayogiServer

/// Forgot password: ask by e-mail, a one-time link that expires, a new password by the platform's rules, the same
/// answer whether the address exists or not, and every earlier sign-in ended.
@Suite struct PasswordResetTests {
    func link(_ app: Application, for email: String) async throws -> String? {
        try await OutboxMessage.query(on: app.db).filter(\.$kind == "password-reset").filter(\.$recipient == email).sort(\.$id).all()
            .last.flatMap { $0.body.firstMatch(of: /reset-password\?token=([A-Za-z0-9_-]+)/).map { String($0.1) } }
    }

    @Test func aLinkSetsANewPasswordOnceAndEndsEveryEarlierSignIn() async throws {
        try await withApp { app, _ in
            let email = "learner.mha@test.example.org"
            // Signed in elsewhere: a web session and an API refresh token.
            var elsewhere = Browser(app)
            try await elsewhere.signIn("learner.mha")
            let login = try await app.send(.POST, "/api/v1/auth/login", json: ["email": email, "password": TestWorld.password])
            let refresh = try #require(login.json["refreshToken"] as? String)
            let access = try #require(login.json["accessToken"] as? String)

            var browser = Browser(app)
            #expect(try await browser.get("/login").body.contains("href=\"/forgot-password\""))
            _ = try await browser.get("/forgot-password")
            let known = try await browser.post("/forgot-password", form: ["email": "Learner.MHA@test.example.org"])
            let unknown = try await browser.post("/forgot-password", form: ["email": "nobody@test.example.org"])
            #expect(known.status == .ok && unknown.status == .ok)
            #expect(known.body == unknown.body, "the same answer whether the address has an account or not")
            #expect(try await OutboxMessage.query(on: app.db).filter(\.$kind == "password-reset").count() == 1)
            let token = try #require(try await link(app, for: email))

            _ = try await browser.get("/reset-password?token=\(token)")
            let weak = try await browser.post("/reset-password", form: ["token": token, "password": "password1234"])
            #expect(weak.status == .unprocessableEntity && weak.body.contains("class=\"field-error\""))
            let done = try await browser.post("/reset-password", form: ["token": token, "password": "a new phrase for the new year"])
            #expect(done.status == .ok && done.body.contains("Your password is set"))
            _ = try await browser.get("/reset-password?token=\(token)")
            #expect(try await browser.post("/reset-password", form: ["token": token, "password": "another phrase entirely here"]).status == .unprocessableEntity,
                    "the link works once")

            // The old password no longer works; the new one does; every earlier sign-in has ended.
            #expect(try await app.send(.POST, "/api/v1/auth/login", json: ["email": email, "password": TestWorld.password]).status == .unauthorized)
            #expect(try await app.send(.POST, "/api/v1/auth/login", json: ["email": email, "password": "a new phrase for the new year"]).status == .ok)
            #expect(try await app.send(.POST, "/api/v1/auth/refresh", json: ["refreshToken": refresh]).status == .unauthorized)
            #expect(try await app.send(.GET, "/api/v1/me", token: access).status == .unauthorized)
            let old = try await elsewhere.get("/my/learning")
            #expect(old.status == .seeOther && old.headers.first(name: .location)?.hasPrefix("/login") == true)
        }
    }

    @Test func anExpiredLinkOrTooManyRequestsSetNothing() async throws {
        try await withApp { app, _ in
            let email = "learner.jaipur@test.example.org"
            var browser = Browser(app)
            _ = try await browser.get("/forgot-password")
            for _ in 0..<5 { _ = try await browser.post("/forgot-password", form: ["email": email]) }
            #expect(try await OutboxMessage.query(on: app.db).filter(\.$kind == "password-reset").count() == PasswordResets.perHour,
                    "no more than three links an hour to one address")
            let token = try #require(try await link(app, for: email))
            for reset in try await PasswordReset.query(on: app.db).all() {
                reset.expiresAt = Date().addingTimeInterval(-1)
                try await reset.save(on: app.db)
            }
            _ = try await browser.get("/reset-password?token=\(token)")
            let expired = try await browser.post("/reset-password", form: ["token": token, "password": "a new phrase for the new year"])
            #expect(expired.status == .unprocessableEntity && expired.body.contains("This link is unknown, already used or expired."))
            #expect(try await app.send(.POST, "/api/v1/auth/login", json: ["email": email, "password": TestWorld.password]).status == .ok)
        }
    }
}
