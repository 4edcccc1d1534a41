import Crypto
import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Who may talk to the LRS: keys and secrets a provider's admins issue (for their authoring tools, apps and other
/// LMSs), and the credentials of a learner's launch.
enum XAPICredentials {
    static let launchPrefix = "launch-"

    /// The client a request's HTTP Basic credentials name; 401 for anything else.
    static func client(for request: Request) async throws -> LRSClient {
        guard let basic = request.headers.basicAuthorization, !basic.username.isEmpty, basic.username.count <= 100, basic.password.count <= 200 else {
            throw Problem(.unauthorized, "Sign in to the LRS with HTTP Basic: a key and secret, or a launch's credentials.")
        }
        let refused = Problem(.unauthorized, "Those LRS credentials are not known, were revoked, or have expired.")
        let homePage = request.application.settings.publicURL
        if basic.username.hasPrefix(launchPrefix) {
            guard let id = UUIDText.parse(String(basic.username.dropFirst(launchPrefix.count))),
                  let launch = try await XAPILaunch.find(id, on: request.db),
                  launch.expiresAt > request.application.clock.now(), same(launch.tokenHash, SecretToken.hash(basic.password))
            else { throw refused }
            return LRSClient(providerID: launch.providerID, credentialID: id, name: "Karmayogi launch", key: basic.username, homePage: homePage,
                             launch: XAPILaunchContext(launchID: id, userID: launch.userID, courseID: launch.courseID, itemID: launch.itemID,
                                                       actor: launch.actor, activity: launch.activity, registration: launch.registration, kind: launch.kind))
        }
        guard let credential = try await XAPICredential.query(on: request.db).filter(\.$key == basic.username).filter(\.$revokedAt == nil).first(),
              same(credential.secretHash, SecretToken.hash(basic.password))
        else { throw refused }
        return LRSClient(providerID: credential.providerID, credentialID: credential.id!, name: credential.name, key: credential.key, homePage: homePage, launch: nil)
    }

    /// Compares two hashes in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The organisation whose credentials `principal` manages: its admins' (national admins reach every one).
    static func manageable(_ organisationID: UUID, by principal: Principal, on database: any Database) async throws -> Organisation {
        try await Organisations.managed(organisationID, by: principal, on: database, else: "An organisation's LRS credentials are issued by its admins.")
    }
}

struct XAPICredentialInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case name }
    var name: String?
}

/// A credential as listed: never its secret.
struct XAPICredentialDTO: Content {
    var id: UUID
    var organisationId: UUID
    var name: String
    var key: String
    var createdAt: Date
    var revokedAt: Date?
    /// Only in the answer that issues it: the secret is shown once and kept only as a hash.
    var secret: String?
    /// The LRS's address, for the client's configuration.
    var endpoint: String

    init(_ credential: XAPICredential, secret: String? = nil, endpoint: String) {
        (id, organisationId, name, key, createdAt, revokedAt) = (credential.id!, credential.providerID, credential.name, credential.key, credential.createdAt, credential.revokedAt)
        self.secret = secret
        self.endpoint = endpoint
    }
}

struct XAPICredentialController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("orgs", ":id", "xapi-credentials", use: Self.issue)
        routes.get("orgs", ":id", "xapi-credentials", use: Self.list)
        routes.delete("xapi-credentials", ":id", use: Self.revoke)
    }

    static func endpoint(_ request: Request) -> String { request.application.settings.publicURL + "/xapi/" }

    @Sendable static func issue(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let input = try request.decodeStrict(XAPICredentialInput.self)
        let organisation = try await XAPICredentials.manageable(try request.id(of: "organisation"), by: principal, on: request.db)
        let name = input.name?.trimmed ?? ""
        guard (1...120).contains(name.count) else { throw Problem.invalid("name", "must be 1–120 characters: what uses the key (an authoring tool, an app)") }
        let secret = SecretToken.make()
        let credential = XAPICredential()
        credential.providerID = organisation.id!
        credential.name = name
        credential.key = "kb-" + SecretToken.make().prefix(20)
        credential.secretHash = SecretToken.hash(secret)
        credential.createdBy = principal.userID
        credential.createdAt = request.application.clock.now()
        try await credential.create(on: request.db)
        return try await XAPICredentialDTO(credential, secret: secret, endpoint: endpoint(request)).encodeResponse(status: .created, for: request)
    }

    @Sendable static func list(_ request: Request) async throws -> Page<XAPICredentialDTO> {
        let organisation = try await XAPICredentials.manageable(try request.id(of: "organisation"), by: try request.principal(), on: request.db)
        let credentials = try await XAPICredential.query(on: request.db).filter(\.$providerID == organisation.id!).filter(\.$revokedAt == nil)
            .sort(\.$createdAt).all()
        return Page(items: credentials.map { XAPICredentialDTO($0, endpoint: endpoint(request)) }, nextCursor: nil)
    }

    @Sendable static func revoke(_ request: Request) async throws -> XAPICredentialDTO {
        let principal = try request.principal()
        guard let credential = try await XAPICredential.find(try request.id(of: "credential"), on: request.db) else { throw Problem.notFound("credential") }
        do {
            _ = try await XAPICredentials.manageable(credential.providerID, by: principal, on: request.db)
        } catch let problem as Problem where problem.statusCode == 404 || problem.statusCode == 403 {
            // A credential out of one's reach is one that does not exist.
            throw Problem.notFound("credential")
        }
        if credential.revokedAt == nil {
            credential.revokedAt = request.application.clock.now()
            try await credential.save(on: request.db)
        }
        return XAPICredentialDTO(credential, endpoint: endpoint(request))
    }
}
