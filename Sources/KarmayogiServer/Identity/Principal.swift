import Fluent
import Foundation
import JWT
import KarmayogiCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// The signed-in person as every endpoint sees them: who, where in the tree, and what their grants reach.
/// Loaded with two queries per request, and enough to answer `GET /me` without more.
struct Principal: Authenticatable, Sendable {
    let me: UserDTO
    var organisationPath: String
    var access: Access
    /// Where the person counts in the rollups.
    var place: LearnerPlace
    /// Access tokens issued with an older version than this were ended (sign-out, a stolen refresh token).
    var tokenVersion: Int
    /// When the password was last set by a reset link: web sessions signed in before it end.
    var passwordChangedAt: Date? = nil
    /// `me` as `GET /me` answers it, encoded when the person is read: the node keeps the person, and this with them.
    var meJSON: ByteBuffer? = nil

    var userID: UUID { me.id }
    var organisationID: UUID { me.organisationId }

    /// Read with SQLKit into plain values: this runs on every signed-in request, and model decoding is its largest cost.
    static func load(userID: UUID, on database: any Database) async throws -> Principal? {
        struct Row: Decodable {
            var id: UUID, name: String, email: String, phone: String?, employee_id: String?, designation: String?
            var organisation_id: UUID, state_code: Int?, district_code: Int?, language: String, status: String, created_at: Date?, token_version: Int
            var password_changed_at: Date?
            var organisation_name: String, path: String, organisation_state: Int?, organisation_district: Int?
        }
        let sql = database as! any SQLDatabase
        let users = SQLIdentifier(User.schema), organisations = SQLIdentifier(Organisation.schema)
        guard let row = try await sql.select()
            .columns(["id", "name", "email", "phone", "employee_id", "designation", "organisation_id", "state_code", "district_code", "language", "status", "created_at", "token_version", "password_changed_at"]
                .map { SQLColumn(SQLIdentifier($0), table: users) })
            .column(SQLColumn(SQLIdentifier("name"), table: organisations), as: "organisation_name")
            .column(SQLColumn(SQLIdentifier("path"), table: organisations))
            .column(SQLColumn(SQLIdentifier("state_code"), table: organisations), as: "organisation_state")
            .column(SQLColumn(SQLIdentifier("district_code"), table: organisations), as: "organisation_district")
            .from(users).join(organisations, on: SQLColumn(SQLIdentifier("id"), table: organisations), .equal, SQLColumn(SQLIdentifier("organisation_id"), table: users))
            .where(SQLColumn(SQLIdentifier("id"), table: users), .equal, SQLBind(userID))
            .first(decoding: Row.self),
            row.status == User.Status.active.rawValue
        else { return nil }
        let held = try await grants(of: [userID], on: database)[userID] ?? []
        let me = UserDTO(id: row.id, name: row.name, email: row.email, phone: row.phone, employeeId: row.employee_id, designation: row.designation,
                         organisationId: row.organisation_id, organisationName: row.organisation_name, stateCode: row.state_code,
                         districtCode: row.district_code, language: row.language, status: .active,
                         roles: Users.roles(in: row.organisation_id, held: held.map(\.role)), createdAt: row.created_at)
        var json = ByteBuffer(), headers = HTTPHeaders()
        try ContentConfiguration.global.requireEncoder(for: .json).encode(me, to: &json, headers: &headers)
        return Principal(me: me, organisationPath: row.path, access: Access(grants: held.compactMap(\.grant)),
                         place: LearnerPlace(organisationPath: row.path, userState: row.state_code, userDistrict: row.district_code,
                                             organisationState: row.organisation_state, organisationDistrict: row.organisation_district),
                         tokenVersion: row.token_version, passwordChangedAt: row.password_changed_at, meJSON: json)
    }

    /// The person signed in to this request: kept by this node (`PrincipalCache`) or read.
    static func signedIn(_ userID: UUID, on request: Request) async throws -> Principal? {
        try await request.application.principals.principal(userID) { try await load(userID: userID, on: request.db) }
    }

    /// The roles people hold, each as shown to them and as the scope rule reads it.
    static func grants(of userIDs: [UUID], on database: any Database) async throws -> [UUID: [(role: RoleDTO, grant: Grant?)]] {
        guard !userIDs.isEmpty else { return [:] }
        struct Row: Decodable {
            var user_id: UUID
            var role: String
            var organisation_id: UUID?
            var state_code: Int?
            var path: String?
        }
        let rows = try await (database as! any SQLDatabase).select()
            .column(SQLColumn("user_id", table: "g")).column(SQLColumn("role", table: "g")).column(SQLColumn("organisation_id", table: "g"))
            .column(SQLColumn("state_code", table: "g")).column(SQLColumn("path", table: "o"))
            .from(SQLAlias(SQLIdentifier(RoleGrantRecord.schema), as: SQLIdentifier("g")))
            .join(SQLAlias(SQLIdentifier(Organisation.schema), as: SQLIdentifier("o")), method: SQLJoinMethod.left,
                  on: SQLColumn("id", table: "o"), .equal, SQLColumn("organisation_id", table: "g"))
            .where(SQLColumn("user_id", table: "g"), .in, SQLBind.group(userIDs))
            .all(decoding: Row.self)
        var held: [UUID: [(role: RoleDTO, grant: Grant?)]] = [:]
        for row in rows {
            guard let role = Role(rawValue: row.role) else { continue }
            let grant: Grant? = if let path = row.path { Grant(role: role, target: .organisation(path: path)) }
                else if let state = row.state_code { Grant(role: role, target: .state(code: state)) }
                else if role == .nationalAdmin { Grant(role: role, target: .nation) }
                else { nil }
            held[row.user_id, default: []].append((RoleDTO(role: role, organisationId: row.organisation_id, stateCode: row.state_code), grant))
        }
        return held
    }
}

extension Request {
    /// The signed-in person; without one, 401 with the reason a sent token was not taken, if one was sent.
    func principal() throws -> Principal {
        guard let principal = auth.get(Principal.self) else { throw storage[RefusedToken.self] ?? Problem.unauthorised }
        return principal
    }
}

/// Why the bearer token of this request was not taken: kept for the endpoints that need a sign-in.
private struct RefusedToken: StorageKey { typealias Value = Problem }

/// The claims of a short-lived access token.
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    /// The person's token version when it was issued.
    var ver: Int

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Answers 401 first at every endpoint that the API's description says needs a sign-in, so a request without one learns
/// that before anything else about it (its body or query is not looked at).
struct SignInRequired: AsyncMiddleware {
    private let operations: Set<String>

    /// The operations of the OpenAPI document whose security asks for a bearer token.
    init(document: Data) {
        let paths = ((try? JSONSerialization.jsonObject(with: document)) as? [String: Any])?["paths"] as? [String: [String: Any]] ?? [:]
        var operations: Set<String> = []
        for (path, methods) in paths {
            let segments = path.split(separator: "/").map { $0.hasPrefix("{") ? "*" : String($0) }
            for (method, operation) in methods {
                let security = (operation as? [String: Any])?["security"] as? [[String: Any]] ?? []
                if !security.isEmpty, security.allSatisfy({ $0["bearer"] != nil }) {
                    operations.insert(Self.key(method, segments))
                }
            }
        }
        self.operations = operations
    }

    private static func key(_ method: String, _ segments: [String]) -> String {
        method.uppercased() + " /" + segments.joined(separator: "/")
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let route = request.route {
            let segments = route.path.map { component in if case .constant(let word) = component { word } else { "*" } }
            if operations.contains(Self.key(route.method.rawValue, segments)) { _ = try request.principal() }
        }
        return try await next.respond(to: request)
    }
}

/// Accepts `Authorization: Bearer <access token>`. A token that is bad, expired or ended signs nobody in, so public
/// endpoints answer as to anyone; an endpoint that needs a sign-in answers 401 with the reason (`Request.principal()`).
struct BearerAuthenticator: AsyncMiddleware {
    let verified: VerifiedTokens

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let token = request.headers.bearerAuthorization?.token {
            do {
                request.auth.login(try await principal(for: token, on: request))
            } catch let problem as Problem {
                request.storage[RefusedToken.self] = problem
            }
        }
        return try await next.respond(to: request)
    }

    private func principal(for token: String, on request: Request) async throws -> Principal {
        let expired = Problem(.unauthorized, "The access token has expired; get a new one from POST /api/v1/auth/refresh.")
        let claims: VerifiedTokens.Claims
        if let known = verified.claims(of: token) {
            guard known.expires > Date() else { throw expired }
            claims = known
        } else {
            let read: AccessClaims
            do {
                read = try await request.jwt.verify(token, as: AccessClaims.self)
            } catch let error as JWTError where error.errorType == .claimVerificationFailure {
                throw expired
            } catch {
                throw Problem(.unauthorized, "The access token is not valid: it is malformed or not signed by this platform.")
            }
            guard let userID = UUIDText.parse(read.sub.value) else { throw Problem(.unauthorized, "The account behind this token is no longer active.") }
            claims = .init(userID: userID, version: read.ver, expires: read.exp.value)
            verified.keep(token, claims)
        }
        guard let principal = try await Principal.signedIn(claims.userID, on: request)
        else { throw Problem(.unauthorized, "The account behind this token is no longer active.") }
        guard claims.version == principal.tokenVersion else {
            throw Problem(.unauthorized, "This access token was ended by a sign-out; sign in again or refresh.")
        }
        return principal
    }
}

/// Access tokens this node has verified, with what they say: verifying one (its signature, then its claims' JSON) was a
/// tenth of a signed-in request. Only the signature is skipped: expiry is checked at every use, and whether the token
/// was ended against the person as kept (`PrincipalCache`). Held up to `capacity`, then started again.
final class VerifiedTokens: Sendable {
    struct Claims: Sendable {
        var userID: UUID
        var version: Int
        var expires: Date
    }

    private let tokens = NIOLockedValueBox([String: Claims]())
    let capacity: Int

    init(capacity: Int = 50_000) { self.capacity = capacity }

    func claims(of token: String) -> Claims? { tokens.withLockedValue { $0[token] } }

    func keep(_ token: String, _ claims: Claims) {
        tokens.withLockedValue { tokens in
            if tokens.count >= capacity { tokens.removeAll(keepingCapacity: true) }
            tokens[token] = claims
        }
    }
}

/// Random secrets handed to people (refresh and activation tokens); only their hashes are stored.
enum SecretToken {
    /// 256 random bits as 43 characters of base64url. (Onboarding makes one per person, so this stays cheap.)
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) } }
        return Base64URL.encode(bytes)
    }

    static func hash(_ token: String) -> String { hex(SHA256.hash(data: Array(token.utf8))) }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var text: [UInt8] = []
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
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
