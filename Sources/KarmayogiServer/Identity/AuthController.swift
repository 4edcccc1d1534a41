import Fluent
import Foundation
import JWT
import KarmayogiCore
import SQLKit
import Vapor

/// Failed sign-ins per account and per address, held in memory (one server instance's view).
actor SignInAttempts {
    private let throttle = LoginThrottle()
    private var records: [String: LoginThrottle.Record] = [:]

    func retryAfter(_ keys: [String], now: Date = Date()) -> TimeInterval? {
        keys.compactMap { throttle.retryAfter(records[$0], now: now) }.max()
    }

    func fail(_ keys: [String], now: Date = Date()) {
        for key in keys { records[key] = throttle.failing(records[key], now: now) }
        if records.count > 100_000 { records = records.filter { throttle.retryAfter($0.value, now: now) != nil } }
    }

    func succeed(_ key: String) { records[key] = nil }
}

extension Application {
    private struct SignInAttemptsKey: StorageKey { typealias Value = SignInAttempts }

    /// Made once by `configure`; never created on first use, where two concurrent requests could each make one.
    var signInAttempts: SignInAttempts {
        get { storage[SignInAttemptsKey.self]! }
        set { storage[SignInAttemptsKey.self] = newValue }
    }
}

struct LoginInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case email, password }
    var email: String
    var password: String
}

struct RefreshInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case refreshToken }
    var refreshToken: String
}

struct ActivateInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case token, password }
    var token: String
    var password: String
}

struct SessionTokens: Content {
    var accessToken: String
    var refreshToken: String
    var expiresIn: Int
    var user: UserDTO
}

/// Signing in, keeping a sign-in alive, and activating an onboarded account.
enum Authentication {
    static let wrongCredentials = Problem(.unauthorized, "The e-mail address or password is not right.")
    /// Checked when no account matches, so that a wrong e-mail takes as long as a wrong password.
    private static let decoyHash = try! Bcrypt.hash("decoy password that matches nothing", cost: 12)

    static func signIn(email: String, password: String, address: String?, on request: Request) async throws -> User {
        let email = Contact.email(email) ?? email.trimmed.lowercased()
        let keys = ["account:\(email)"] + (address.map { ["address:\($0)"] } ?? [])
        if let wait = await request.application.signInAttempts.retryAfter(keys) {
            var problem = Problem(.tooManyRequests, "Too many failed sign-ins; try again in \(Int(wait.rounded(.up))) seconds.")
            problem.retryAfter = Int(wait.rounded(.up))
            throw problem
        }
        let user = try await User.query(on: request.db).filter(\.$email == email).first()
        let hash = user?.passwordHash ?? decoyHash
        let matches = (try? await request.password.async.verify(password, created: hash)) ?? false
        guard let user, matches, user.passwordHash != nil, user.status == .active else {
            await request.application.signInAttempts.fail(keys)
            throw wrongCredentials
        }
        await request.application.signInAttempts.succeed("account:\(email)")
        user.lastLoginAt = Date()
        try await request.db.transaction { database in
            try await user.save(on: database)
            try await Karma.give(.firstLogin, to: user.id!, in: user.$organisation.id, on: database)
        }
        return user
    }

    /// A new access token and the first refresh token of a new family.
    static func issueTokens(for user: User, family: UUID = UUID(), on request: Request) async throws -> SessionTokens {
        let lifetime = request.application.settings.accessTokenLifetime
        let now = Date()
        let claims = AccessClaims(sub: .init(value: user.id!.uuidString), exp: .init(value: now.addingTimeInterval(lifetime)), iat: .init(value: now))
        let accessToken = try await request.jwt.sign(claims)
        let refreshToken = SecretToken.make()
        let record = RefreshToken()
        record.$user.id = user.id!
        record.familyID = family
        record.tokenHash = SecretToken.hash(refreshToken)
        record.expiresAt = now.addingTimeInterval(request.application.settings.refreshTokenLifetime)
        try await record.create(on: request.db)
        return SessionTokens(accessToken: accessToken, refreshToken: refreshToken, expiresIn: Int(lifetime),
                             user: try await Users.dto(user, on: request.db))
    }

    static func refresh(_ token: String, on request: Request) async throws -> SessionTokens {
        let invalid = Problem(.unauthorized, "The refresh token is not valid; sign in again.",
                              errors: [.init("refreshToken", "is unknown, expired or revoked")])
        guard let record = try await RefreshToken.query(on: request.db).filter(\.$tokenHash == SecretToken.hash(token)).first(),
              record.revokedAt == nil, record.expiresAt > Date()
        else { throw invalid }
        let sql = request.db as! any SQLDatabase
        // Spend the token only if nobody has: of two racing uses, one wins and the other is a reuse.
        let spent = try await sql.update(RefreshToken.schema).set("used_at", to: SQLBind(Date()))
            .where("id", .equal, SQLBind(record.id!)).where("used_at", .is, SQLLiteral.null)
            .returning("id").all()
        guard !spent.isEmpty else {
            try await revokeFamily(record.familyID, on: request.db)
            throw Problem(.unauthorized, "This refresh token was already used, so it may have been stolen: every session of this sign-in is now revoked. Sign in again.",
                          errors: [.init("refreshToken", "was used before")])
        }
        guard let user = try await User.find(record.$user.id, on: request.db), user.status == .active else { throw invalid }
        return try await issueTokens(for: user, family: record.familyID, on: request)
    }

    static func revokeFamily(_ family: UUID, on database: any Database) async throws {
        try await (database as! any SQLDatabase).update(RefreshToken.schema).set("revoked_at", to: SQLBind(Date()))
            .where("family_id", .equal, SQLBind(family)).where("revoked_at", .is, SQLLiteral.null).run()
    }

    static func activate(token: String, password: String, on request: Request) async throws -> User {
        guard let user = try await User.query(on: request.db).filter(\.$activationTokenHash == SecretToken.hash(token)).first(),
              user.status == .pending, let expiry = user.activationExpiresAt, expiry > Date()
        else { throw Problem.invalid("token", "is unknown, already used or expired; ask your organisation's admin for a new one") }
        if let problem = PasswordPolicy.platform.problem(with: password) { throw Problem.invalid("password", problem) }
        user.passwordHash = try await request.password.async.hash(password)
        user.status = .active
        user.activationTokenHash = nil
        user.activationExpiresAt = nil
        try await user.save(on: request.db)
        return user
    }
}

struct AuthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let auth = routes.grouped("auth")
        auth.post("login", use: Self.login)
        auth.post("refresh", use: Self.refresh)
        auth.post("logout", use: Self.logout)
        auth.post("activate", use: Self.activate)
        routes.get("me", use: Self.me)
    }

    @Sendable static func login(_ request: Request) async throws -> SessionTokens {
        let input = try request.decodeStrict(LoginInput.self)
        let user = try await Authentication.signIn(email: input.email, password: input.password,
                                                   address: request.remoteAddress?.ipAddress, on: request)
        return try await Authentication.issueTokens(for: user, on: request)
    }

    @Sendable static func refresh(_ request: Request) async throws -> SessionTokens {
        try await Authentication.refresh(try request.decodeStrict(RefreshInput.self).refreshToken, on: request)
    }

    @Sendable static func logout(_ request: Request) async throws -> HTTPStatus {
        let input = try request.decodeStrict(RefreshInput.self)
        if let record = try await RefreshToken.query(on: request.db).filter(\.$tokenHash == SecretToken.hash(input.refreshToken)).first() {
            try await Authentication.revokeFamily(record.familyID, on: request.db)
        }
        return .noContent
    }

    @Sendable static func activate(_ request: Request) async throws -> SessionTokens {
        let input = try request.decodeStrict(ActivateInput.self)
        let user = try await Authentication.activate(token: input.token, password: input.password, on: request)
        return try await Authentication.issueTokens(for: user, on: request)
    }

    @Sendable static func me(_ request: Request) async throws -> UserDTO {
        try request.principal().me
    }
}
