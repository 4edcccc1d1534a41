import Fluent
import Foundation
import JWT
import KarmayogiCore
import SQLKit
import Vapor

/// Failed sign-ins, counted in the database so that every app node sees them: per account and address (a few free
/// tries, then a doubling wait), and per address across accounts with a higher threshold. A person who mistyped
/// is never locked out of their account from a fresh address, and one address cannot try password after password.
enum SignInThrottle {
    static let perAccountAndAddress = LoginThrottle()
    static let perAddress: LoginThrottle = {
        var throttle = LoginThrottle()
        throttle.freeFailures = 50
        return throttle
    }()
    static let table = "sign_in_failures"

    struct Keys {
        var accountAndAddress: String
        var address: String

        init(email: String, address: String) {
            accountAndAddress = "account:\(email)|address:\(address)"
            self.address = "address:\(address)"
        }
    }

    private struct Row: Decodable {
        var key: String
        var failures: Int
        var last_failure_at: Double
    }

    /// Seconds to wait before another try is heard, or `nil`.
    static func retryAfter(_ keys: Keys, now: Date = Date(), on database: any Database) async throws -> TimeInterval? {
        let rows = try await (database as! any SQLDatabase).select().columns("key", "failures", "last_failure_at").from(table)
            .where("key", .in, SQLBind.group([keys.accountAndAddress, keys.address])).all(decoding: Row.self)
        return rows.compactMap { row in
            let throttle = row.key == keys.address ? perAddress : perAccountAndAddress
            return throttle.retryAfter(.init(failures: row.failures, lastFailure: Date(timeIntervalSince1970: row.last_failure_at)), now: now)
        }.max()
    }

    /// Counts a failure under both keys, in one statement each, so that racing nodes never lose a count.
    static func fail(_ keys: Keys, now: Date = Date(), on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for key in [keys.accountAndAddress, keys.address] {
            let forgetBefore = now.timeIntervalSince1970 - perAccountAndAddress.window - perAccountAndAddress.maximumDelay
            try await sql.raw("""
                INSERT INTO \(ident: table) (\(ident: "key"), \(ident: "failures"), \(ident: "last_failure_at")) VALUES (\(bind: key), 1, \(bind: now.timeIntervalSince1970))
                ON CONFLICT (\(ident: "key")) DO UPDATE SET
                \(ident: "failures") = CASE WHEN \(ident: table).\(ident: "last_failure_at") < \(bind: forgetBefore) THEN 1 ELSE \(ident: table).\(ident: "failures") + 1 END,
                \(ident: "last_failure_at") = \(bind: now.timeIntervalSince1970)
                """).run()
        }
        // Old rows are of no use; the odd failure clears them so the table stays as small as the attacks of the last half hour.
        if Int.random(in: 0..<100) == 0 {
            try await sql.delete(from: table).where("last_failure_at", .lessThan, SQLBind(now.timeIntervalSince1970 - 2 * 3600)).run()
        }
    }

    static func succeed(_ keys: Keys, on database: any Database) async throws {
        try await (database as! any SQLDatabase).delete(from: table).where("key", .equal, SQLBind(keys.accountAndAddress)).run()
    }
}

extension Application {
    private struct DecoyHashKey: StorageKey { typealias Value = String }

    /// Made by `configure` at the platform's bcrypt cost.
    var decoyPasswordHash: String {
        get { storage[DecoyHashKey.self]! }
        set { storage[DecoyHashKey.self] = newValue }
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

    static func signIn(email: String, password: String, on request: Request) async throws -> User {
        let email = Contact.email(email) ?? email.trimmed.lowercased()
        let keys = SignInThrottle.Keys(email: String(email.prefix(320)), address: request.clientAddress)
        if let wait = try await SignInThrottle.retryAfter(keys, now: request.application.clock.now(), on: request.db) {
            var problem = Problem(.tooManyRequests, "Too many failed sign-ins; try again in \(Int(wait.rounded(.up))) seconds.")
            problem.retryAfter = Int(wait.rounded(.up))
            throw problem
        }
        let user = try await User.query(on: request.db).filter(\.$email == email).first()
        // With no account, a decoy hash of the same cost is checked, so a wrong e-mail takes as long as a wrong password.
        let hash = user?.passwordHash ?? request.application.decoyPasswordHash
        let matches = (try? await request.password.async.verify(password, created: hash)) ?? false
        guard let user, matches, user.passwordHash != nil, user.status == .active else {
            try await SignInThrottle.fail(keys, now: request.application.clock.now(), on: request.db)
            throw wrongCredentials
        }
        try await SignInThrottle.succeed(keys, on: request.db)
        user.lastLoginAt = Date()
        try await request.db.transaction { database in
            // Not through the model: the time of a sign-in is not part of what a sign-in carries, so the person stays kept.
            try await (database as! any SQLDatabase).update(User.schema).set("last_login_at", to: SQLBind(user.lastLoginAt))
                .where("id", .equal, SQLBind(user.id!)).run()
            try await Karma.give(.firstLogin, to: user.id!, in: user.$organisation.id, on: database)
        }
        return user
    }

    /// A new access token and the first refresh token of a new family.
    static func issueTokens(for user: User, family: UUID = UUID(), on request: Request) async throws -> SessionTokens {
        let lifetime = request.application.settings.accessTokenLifetime
        let now = Date()
        let claims = AccessClaims(sub: .init(value: user.id!.uuidString), exp: .init(value: now.addingTimeInterval(lifetime)), iat: .init(value: now),
                                  ver: user.tokenVersion)
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
            try await revokeFamily(record.familyID, of: record.$user.id, cache: request.application.principals, on: request.db)
            throw Problem(.unauthorized, "This refresh token was already used, so it may have been stolen: every session of this sign-in is now revoked. Sign in again.",
                          errors: [.init("refreshToken", "was used before")])
        }
        guard let user = try await User.find(record.$user.id, on: request.db), user.status == .active else { throw invalid }
        return try await issueTokens(for: user, family: record.familyID, on: request)
    }

    /// Ends a sign-in: its refresh tokens, and (by raising the person's token version) the access tokens issued before.
    /// Other devices' access tokens end too; they keep their refresh tokens and get new access tokens from them.
    static func revokeFamily(_ family: UUID, of userID: UUID, cache: PrincipalCache, on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await sql.update(RefreshToken.schema).set("revoked_at", to: SQLBind(Date()))
                .where("family_id", .equal, SQLBind(family)).where("revoked_at", .is, SQLLiteral.null).run()
            try await sql.update(User.schema).set("token_version", to: SQLRaw("token_version + 1")).where("id", .equal, SQLBind(userID)).run()
            try await database.peopleChanged(.people([userID]), cache: cache)
        }
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
        let user = try await Authentication.signIn(email: input.email, password: input.password, on: request)
        return try await Authentication.issueTokens(for: user, on: request)
    }

    @Sendable static func refresh(_ request: Request) async throws -> SessionTokens {
        try await Authentication.refresh(try request.decodeStrict(RefreshInput.self).refreshToken, on: request)
    }

    @Sendable static func logout(_ request: Request) async throws -> HTTPStatus {
        let input = try request.decodeStrict(RefreshInput.self)
        if let record = try await RefreshToken.query(on: request.db).filter(\.$tokenHash == SecretToken.hash(input.refreshToken)).first() {
            try await Authentication.revokeFamily(record.familyID, of: record.$user.id, cache: request.application.principals, on: request.db)
        }
        return .noContent
    }

    @Sendable static func activate(_ request: Request) async throws -> SessionTokens {
        let input = try request.decodeStrict(ActivateInput.self)
        let user = try await Authentication.activate(token: input.token, password: input.password, on: request)
        return try await Authentication.issueTokens(for: user, on: request)
    }

    @Sendable static func me(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        guard let json = principal.meJSON else { return try await principal.me.encodeResponse(for: request) }
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(buffer: json))
    }
}
