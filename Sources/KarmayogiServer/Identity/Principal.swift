import Fluent
import Foundation
import JWT
import KarmayogiCore
import SQLKit
import Vapor

/// The signed-in person as every endpoint sees them: who, where in the tree, and what their grants reach.
struct Principal: Authenticatable, Sendable {
    var userID: UUID
    var name: String
    var organisationID: UUID
    var organisationPath: String
    var stateCode: Int?
    var language: String
    var access: Access

    static func load(userID: UUID, on database: any Database) async throws -> Principal? {
        let sql = database as! any SQLDatabase
        struct Row: Decodable {
            var name: String
            var organisation_id: UUID
            var path: String
            var state_code: Int?
            var language: String
            var status: String
        }
        guard let row = try await sql.select()
            .column(SQLColumn("name", table: "u")).column(SQLColumn("organisation_id", table: "u"))
            .column(SQLColumn("path", table: "o")).column(SQLColumn("state_code", table: "u"))
            .column(SQLColumn("language", table: "u")).column(SQLColumn("status", table: "u"))
            .from(SQLAlias(SQLIdentifier(User.schema), as: SQLIdentifier("u")))
            .join(SQLAlias(SQLIdentifier(Organisation.schema), as: SQLIdentifier("o")), on: SQLColumn("id", table: "o"), .equal, SQLColumn("organisation_id", table: "u"))
            .where(SQLColumn("id", table: "u"), .equal, SQLBind(userID))
            .first(decoding: Row.self),
            row.status == User.Status.active.rawValue
        else { return nil }
        return Principal(userID: userID, name: row.name, organisationID: row.organisation_id, organisationPath: row.path,
                         stateCode: row.state_code, language: row.language, access: Access(grants: try await grants(of: userID, on: database)))
    }

    static func grants(of userID: UUID, on database: any Database) async throws -> [Grant] {
        struct Row: Decodable {
            var role: String
            var state_code: Int?
            var path: String?
        }
        let rows = try await (database as! any SQLDatabase).select()
            .column(SQLColumn("role", table: "g")).column(SQLColumn("state_code", table: "g")).column(SQLColumn("path", table: "o"))
            .from(SQLAlias(SQLIdentifier(RoleGrantRecord.schema), as: SQLIdentifier("g")))
            .join(SQLAlias(SQLIdentifier(Organisation.schema), as: SQLIdentifier("o")), method: SQLJoinMethod.left,
                  on: SQLColumn("id", table: "o"), .equal, SQLColumn("organisation_id", table: "g"))
            .where(SQLColumn("user_id", table: "g"), .equal, SQLBind(userID))
            .all(decoding: Row.self)
        return rows.compactMap { row in
            guard let role = Role(rawValue: row.role) else { return nil }
            if let path = row.path { return Grant(role: role, target: .organisation(path: path)) }
            if let state = row.state_code { return Grant(role: role, target: .state(code: state)) }
            return role == .nationalAdmin ? Grant(role: role, target: .nation) : nil
        }
    }
}

extension Request {
    func principal() throws -> Principal {
        guard let principal = auth.get(Principal.self) else { throw Problem.unauthorised }
        return principal
    }
}

/// The claims of a short-lived access token.
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Accepts `Authorization: Bearer <access token>`; a token that is present but bad is refused with the reason.
struct BearerAuthenticator: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let token = request.headers.bearerAuthorization?.token {
            let claims: AccessClaims
            do {
                claims = try await request.jwt.verify(token, as: AccessClaims.self)
            } catch let error as JWTError where error.errorType == .claimVerificationFailure {
                throw Problem(.unauthorized, "The access token has expired; get a new one from POST /api/v1/auth/refresh.")
            } catch {
                throw Problem(.unauthorized, "The access token is not valid: it is malformed or not signed by this platform.")
            }
            guard let userID = UUID(uuidString: claims.sub.value),
                  let principal = try await Principal.load(userID: userID, on: request.db)
            else { throw Problem(.unauthorized, "The account behind this token is no longer active.") }
            request.auth.login(principal)
        }
        return try await next.respond(to: request)
    }
}

/// Random secrets handed to people (refresh and activation tokens); only their hashes are stored.
enum SecretToken {
    static func make() -> String {
        Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Keys the server makes on first run and keeps in its own database, so that every instance
/// on the same database signs alike.
enum ServerKeys {
    static func value(named name: String, on database: any Database, make: () -> String) async throws -> String {
        let sql = database as! any SQLDatabase
        struct Row: Decodable { var value: String }
        if let row = try await sql.select().column("value").from("server_keys").where("name", .equal, name).first(decoding: Row.self) {
            return row.value
        }
        let value = make()
        try await sql.insert(into: "server_keys").columns("name", "value").values(SQLBind(name), SQLBind(value))
            .ignoringConflicts(with: ["name"]).run()
        let stored = try await sql.select().column("value").from("server_keys").where("name", .equal, name).first(decoding: Row.self)
        return stored?.value ?? value
    }
}
