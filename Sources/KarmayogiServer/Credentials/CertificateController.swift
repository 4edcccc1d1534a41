import Fluent
import Foundation
import KarmayogiCore
import Vapor

struct CertificateDTO: Content {
    var id: UUID
    /// The course completed, or (`eventId`) the event attended.
    var courseId: UUID?
    var eventId: UUID?
    /// For completing a programme's batch.
    var batchId: UUID?
    /// For earning an NCVET qualification.
    var qualificationId: UUID?
    var title: String
    var issuedAt: Date
    /// valid or revoked.
    var status: String
    var revokedAt: Date?
    var revocationReason: String?
    /// The printable page, which anyone may open to check it.
    var verificationUrl: String
    var jws: String
    var credential: [String: JSONValue]?

    init(_ certificate: Certificate, keys: CredentialKeys) {
        id = certificate.id!
        courseId = certificate.courseID
        eventId = certificate.eventID
        batchId = certificate.batchID
        qualificationId = certificate.qualificationID
        title = certificate.title
        issuedAt = certificate.issuedAt
        status = certificate.revokedAt == nil ? "valid" : "revoked"
        revokedAt = certificate.revokedAt
        revocationReason = certificate.revocationReason
        verificationUrl = keys.pageURL(certificate.id!)
        jws = certificate.jws
        credential = JSONValue.object(Data(certificate.credential.utf8))
    }
}

struct VerifyInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case credential }
    /// The compact JWS as a string, or the credential's JSON as an object.
    var credential: JSONValue
}

struct RevokeInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case reason }
    var reason: String
}

struct CertificateController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("certificates", ":id", use: Self.read)
        routes.post("certificates", "verify", use: Self.verify)
        routes.post("certificates", ":id", "revoke", use: Self.revoke)
        routes.get("me", "certificates", use: Self.mine)
    }

    /// Public: anyone holding the link may see a certificate and whether it still stands. A browser (asking for
    /// HTML first) is sent to the printable page; everyone else gets the JSON.
    @Sendable static func read(_ request: Request) async throws -> Response {
        guard let certificate = try await Certificate.find(try request.id(of: "certificate"), on: request.db) else { throw Problem.notFound("certificate") }
        if let first = request.headers.accept.first, first.mediaType == .html {
            return request.redirect(to: "/certificates/\(certificate.id!.uuidString)")
        }
        return try await CertificateDTO(certificate, keys: request.application.credentialKeys).encodeResponse(for: request)
    }

    @Sendable static func mine(_ request: Request) async throws -> Page<CertificateDTO> {
        let principal = try request.principal()
        let certificates = try await Certificate.query(on: request.db).filter(\.$userID == principal.userID).sort(\.$issuedAt, .descending).all()
        return Page(items: certificates.map { CertificateDTO($0, keys: request.application.credentialKeys) }, nextCursor: nil)
    }

    @Sendable static func verify(_ request: Request) async throws -> Certificates.Verdict {
        let input = try request.decodeStrict(VerifyInput.self)
        switch input.credential {
        case .string(let text):
            // A compact JWS, or a certificate's number or verification address.
            return try await Certificates.verify(CredentialReference(text), keys: request.application.credentialKeys, now: request.application.clock.now(), on: request.db)
        case .object:
            return try await Certificates.verify(jws: nil, json: try JSONEncoder().encode(input.credential), keys: request.application.credentialKeys, now: request.application.clock.now(), on: request.db)
        default:
            throw Problem.invalid("credential", "give the credential as its compact JWS, or a certificate's number or verification address (a string), or as its JSON (an object)")
        }
    }

    /// The issuing side (a publisher of the course's provider, or a national admin) revokes a certificate, saying why.
    @Sendable static func revoke(_ request: Request) async throws -> CertificateDTO {
        let principal = try request.principal()
        let input = try request.decodeStrict(RevokeInput.self)
        guard let certificate = try await Certificate.find(try request.id(of: "certificate"), on: request.db),
              let provider = try await Organisation.find(certificate.providerID, on: request.db)
        else { throw Problem.notFound("certificate") }
        guard principal.access.holds(.contentPublisher, on: provider.placement) else {
            throw Problem(.forbidden, "Only a content publisher of \(provider.name), which issued it, or a national admin may revoke this certificate.")
        }
        let reason = input.reason.trimmed
        guard (1...500).contains(reason.count) else { throw Problem.invalid("reason", "say why, in 1–500 characters") }
        guard certificate.revokedAt == nil else { throw Problem(.conflict, "This certificate is already revoked.") }
        certificate.revokedAt = Date()
        certificate.revokedBy = principal.userID
        certificate.revocationReason = reason
        try await certificate.save(on: request.db)
        return CertificateDTO(certificate, keys: request.application.credentialKeys)
    }
}
