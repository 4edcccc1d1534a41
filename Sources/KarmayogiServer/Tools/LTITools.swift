import CryptoExtras
import Crypto
import Fluent
import Foundation
import JWTKit
import KarmayogiCore
import Vapor

/// The platform's key for LTI messages: RSA 2048 (LTI 1.3 signs with RS256), made on first run and kept in the
/// database's server keys so that every node signs with it. Its public half is published at /lti/jwks.json.
struct LTIKeys: Sendable {
    let privateKey: _RSA.Signing.PrivateKey
    let kid: String

    init(privateKey: _RSA.Signing.PrivateKey) {
        self.privateKey = privateKey
        kid = "rsa-" + SHA256.hash(data: privateKey.publicKey.derRepresentation).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    static func load(on database: any Database) async throws -> LTIKeys {
        let pem = try await ServerKeys.value(named: "lti-rsa", on: database) { (try? _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation) ?? "" }
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) else {
            throw Abort(.internalServerError, reason: "The LTI signing key in server_keys is not an RSA private key in PEM.")
        }
        return LTIKeys(privateKey: key)
    }

    /// A compact JWS (RS256) of the claims.
    func sign(_ claims: [String: Any]) throws -> String {
        let header = try JSONSerialization.data(withJSONObject: ["alg": "RS256", "typ": "JWT", "kid": kid], options: [.sortedKeys])
        let payload = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])
        let input = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        let signature = try privateKey.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5)
        return input + "." + Base64URL.encode(signature.rawRepresentation)
    }

    /// The public key set a tool verifies our messages with.
    var jwks: [String: Any] {
        let primitives = try? privateKey.publicKey.getKeyPrimitives()
        let (modulus, exponent) = (primitives?.modulus ?? Data(), primitives?.publicExponent ?? Data())
        return ["keys": [["kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
                          "n": Base64URL.encode(modulus), "e": Base64URL.encode(exponent)]]]
    }
}

extension Application {
    private struct LTIKeysKey: StorageKey { typealias Value = LTIKeys }

    var ltiKeys: LTIKeys {
        get { storage[LTIKeysKey.self]! }
        set { storage[LTIKeysKey.self] = newValue }
    }
}

/// Registered tools: who registers them, which courses they serve, and the platform's side of their configuration.
enum LTITools {
    /// A tool that serves courses of `provider` (registered on it or an organisation above it) and is not revoked.
    static func usable(_ toolID: UUID, byProviderAt path: String, on database: any Database) async throws -> LTITool? {
        guard let tool = try await LTITool.find(toolID, on: database), tool.revokedAt == nil, path.hasPrefix(tool.organisationPath) else { return nil }
        return tool
    }

    /// Why each LTI item of `content` cannot launch as `provider`'s course: a tool that does not exist, was revoked,
    /// or was registered for other organisations.
    static func problems(of content: CourseContent, provider: UUID, on database: any Database) async throws -> [FieldError] {
        let items = content.toolItems
        guard !items.isEmpty else { return [] }
        let path = try await Organisations.find(provider, on: database)?.path ?? "-"
        var problems: [FieldError] = []
        for (field, toolID) in items where try await usable(toolID, byProviderAt: path, on: database) == nil {
            problems.append(FieldError(field, "no LTI tool registered for this course's provider (or an organisation above it) has this id"))
        }
        return problems
    }

    /// The organisation whose tools `principal` manages: its admins' (national admins reach every one).
    static func manageable(_ organisationID: UUID, by principal: Principal, on database: any Database) async throws -> Organisation {
        try await Organisations.managed(organisationID, by: principal, on: database, else: "An organisation's LTI tools are registered by its admins.")
    }

    /// The organisation's tools in force, oldest first.
    static func registered(on organisationID: UUID, on database: any Database) async throws -> [LTITool] {
        try await LTITool.query(on: database).filter(\.$organisationID == organisationID).filter(\.$revokedAt == nil).sort(\.$createdAt).all()
    }

    /// The tools in force that serve the courses of a provider at `path`: those registered on it or above it.
    static func available(toProviderAt path: String, on database: any Database) async throws -> [LTITool] {
        try await LTITool.query(on: database).filter(\.$revokedAt == nil).sort(\.$name).limit(1_000).all().filter { path.hasPrefix($0.organisationPath) }
    }

    /// Registers a tool on an organisation its admin manages, after every field is checked.
    static func register(_ input: LTIToolInput, on organisationID: UUID, by principal: Principal, request: Request) async throws -> LTITool {
        let organisation = try await manageable(organisationID, by: principal, on: request.db)
        var problems: [FieldError] = []
        let name = input.name?.trimmed ?? ""
        if !(1...120).contains(name.count) { problems.append(FieldError("name", "must be 1–120 characters")) }
        if let problem = LTI.addressProblem(input.loginUrl) { problems.append(FieldError("loginUrl", problem)) }
        if let problem = LTI.addressProblem(input.launchUrl) { problems.append(FieldError("launchUrl", problem)) }
        var jwksText: String?
        switch (input.jwksUrl, input.jwks) {
        case (nil, nil), (.some, .some):
            problems.append(FieldError("jwksUrl", "give the tool's keys once: its JWKS address (jwksUrl) or the key set itself (jwks)"))
        case (let url?, nil):
            if let problem = LTI.addressProblem(url) { problems.append(FieldError("jwksUrl", problem)) }
        case (nil, let set?):
            jwksText = String(decoding: try JSONEncoder().encode(set), as: UTF8.self)
            if let problem = keySetProblem(jwksText!).problem { problems.append(FieldError("jwks", problem)) }
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let tool = LTITool()
        (tool.organisationID, tool.organisationPath, tool.name) = (organisation.id!, organisation.path, name)
        (tool.clientID, tool.deploymentID) = ("kt-" + SecretToken.make().prefix(20), UUID().uuidString.lowercased())
        (tool.loginURL, tool.launchURL, tool.jwksURL, tool.jwks) = (input.loginUrl!, input.launchUrl!, input.jwksUrl, jwksText)
        (tool.createdBy, tool.createdAt) = (principal.userID, request.application.clock.now())
        try await tool.create(on: request.db)
        return tool
    }

    /// Revokes a tool; one out of the principal's reach answers as one that does not exist.
    static func revoke(_ id: UUID, by principal: Principal, request: Request) async throws -> LTITool {
        guard let tool = try await LTITool.find(id, on: request.db) else { throw Problem.notFound("tool") }
        do {
            _ = try await manageable(tool.organisationID, by: principal, on: request.db)
        } catch let problem as Problem where problem.statusCode == 404 || problem.statusCode == 403 {
            throw Problem.notFound("tool")
        }
        if tool.revokedAt == nil {
            tool.revokedAt = request.application.clock.now()
            try await tool.save(on: request.db)
        }
        return tool
    }

    /// The key set of a tool, from what was registered or from its JWKS address (fetched each time: a tool may turn
    /// its keys over, and assertions come once an hour).
    static func keySet(of tool: LTITool, client: any Client) async throws -> JWKS {
        var text = tool.jwks
        if text == nil, let url = tool.jwksURL {
            let response = try await client.get(URI(string: url)) { $0.timeout = .seconds(10) }
            guard response.status == .ok, let body = response.body, body.readableBytes <= 256 * 1024 else {
                throw Problem(.badRequest, "The tool's key set could not be read from \(url) (HTTP \(response.status.code)).")
            }
            text = String(buffer: body)
        }
        guard let text, let jwks = keySetProblem(text).set else { throw Problem(.badRequest, "The tool's key set is not a JWKS with an RSA key.") }
        return jwks
    }

    /// A key set as JWTKit reads it, or why it cannot be used: checked as JSON first, so that nothing a library could
    /// stop the process on reaches it.
    static func keySetProblem(_ text: String) -> (set: JWKS?, problem: String?) {
        guard text.utf8.count <= 64 * 1024, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let keys = object["keys"] as? [[String: Any]], (1...20).contains(keys.count)
        else { return (nil, "must be a JSON Web Key Set: an object with 1–20 keys") }
        for (index, key) in keys.enumerated() {
            guard key["kty"] as? String == "RSA", let kid = key["kid"] as? String, (1...200).contains(kid.count), let n = key["n"] as? String, let e = key["e"] as? String, !n.isEmpty, !e.isEmpty, n.count <= 2048, e.count <= 16
            else { return (nil, "keys[\(index)]: must be an RSA public key with its id (kty RSA, kid, n and e)") }
            if let alg = key["alg"], alg as? String != "RS256" { return (nil, "keys[\(index)].alg: LTI 1.3 tools sign with RS256") }
            guard let modulus = Base64URL.decode(Substring(n)), modulus.count >= 256 else { return (nil, "keys[\(index)].n: an RSA modulus of at least 2048 bits, base64url") }
            guard Base64URL.decode(Substring(e)) != nil else { return (nil, "keys[\(index)].e: the exponent, base64url") }
        }
        guard let set = try? JSONDecoder().decode(JWKS.self, from: Data(text.utf8)) else { return (nil, "must be a JSON Web Key Set") }
        return (set, nil)
    }
}

struct LTIToolInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case name, loginUrl, launchUrl, jwksUrl, jwks }
    var name: String?
    var loginUrl: String?
    var launchUrl: String?
    var jwksUrl: String?
    var jwks: JSONValue?
}

/// A registered tool, with what its developer configures on their side.
struct LTIToolDTO: Content {
    var id: UUID
    var organisationId: UUID
    var name: String
    var clientId: String
    var deploymentId: String
    var loginUrl: String
    var launchUrl: String
    var jwksUrl: String?
    var createdAt: Date
    var revokedAt: Date?
    /// The platform's side: issuer, where the tool sends the login's authentication request, its token requests,
    /// and where our keys are.
    var platform: Platform

    struct Platform: Content {
        var issuer: String
        var authorizationUrl: String
        var tokenUrl: String
        var jwksUrl: String
    }

    init(_ tool: LTITool, publicURL: String) {
        (id, organisationId, name, clientId, deploymentId) = (tool.id!, tool.organisationID, tool.name, tool.clientID, tool.deploymentID)
        (loginUrl, launchUrl, jwksUrl, createdAt, revokedAt) = (tool.loginURL, tool.launchURL, tool.jwksURL, tool.createdAt, tool.revokedAt)
        platform = Platform(issuer: publicURL, authorizationUrl: publicURL + "/lti/authorize", tokenUrl: publicURL + "/lti/token",
                            jwksUrl: publicURL + "/lti/jwks.json")
    }
}

struct LTIToolController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("orgs", ":id", "lti-tools", use: Self.register)
        routes.get("orgs", ":id", "lti-tools", use: Self.list)
        routes.delete("lti-tools", ":id", use: Self.revoke)
    }


    @Sendable static func register(_ request: Request) async throws -> Response {
        let input = try request.decodeStrict(LTIToolInput.self)
        let tool = try await LTITools.register(input, on: try request.id(of: "organisation"), by: try request.principal(), request: request)
        return try await LTIToolDTO(tool, publicURL: request.application.settings.publicURL).encodeResponse(status: .created, for: request)
    }

    @Sendable static func list(_ request: Request) async throws -> Page<LTIToolDTO> {
        let organisation = try await LTITools.manageable(try request.id(of: "organisation"), by: try request.principal(), on: request.db)
        let tools = try await LTITools.registered(on: organisation.id!, on: request.db)
        return Page(items: tools.map { LTIToolDTO($0, publicURL: request.application.settings.publicURL) }, nextCursor: nil)
    }

    @Sendable static func revoke(_ request: Request) async throws -> LTIToolDTO {
        let tool = try await LTITools.revoke(try request.id(of: "tool"), by: try request.principal(), request: request)
        return LTIToolDTO(tool, publicURL: request.application.settings.publicURL)
    }
}
