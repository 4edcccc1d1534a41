import Crypto
import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// An issued certificate: the credential exactly as signed, its JWS, and whether the issuing side revoked it.
final class Certificate: Model, @unchecked Sendable {
    static let schema = "certificates"

    @ID(key: .id) var id: UUID?
    /// The completed enrolment a course's certificate is for; nil for an event's.
    @OptionalField(key: "enrolment_id") var enrolmentID: UUID?
    @Field(key: "user_id") var userID: UUID
    @OptionalField(key: "course_id") var courseID: UUID?
    /// The event attended, for an event's certificate.
    @OptionalField(key: "event_id") var eventID: UUID?
    @OptionalField(key: "batch_id") var batchID: UUID?
    @OptionalField(key: "qualification_id") var qualificationID: UUID?
    @Field(key: "provider_id") var providerID: UUID
    @Field(key: "title") var title: String
    @Field(key: "issued_at") var issuedAt: Date
    @Field(key: "credential") var credential: String
    @Field(key: "jws") var jws: String
    @Field(key: "kid") var kid: String
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "revoked_by") var revokedBy: UUID?
    @OptionalField(key: "revocation_reason") var revocationReason: String?

    init() {}
}

struct CreateCertificates: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Certificate.schema)
            .id()
            .field("enrolment_id", .uuid, .required, .references(Enrolment.schema, "id"))
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("course_id", .uuid, .required)
            .field("provider_id", .uuid, .required)
            .field("title", .string, .required)
            .field("issued_at", .datetime, .required)
            .field("credential", .string, .required)
            .field("jws", .string, .required)
            .field("kid", .string, .required)
            .field("revoked_at", .datetime)
            .field("revoked_by", .uuid)
            .field("revocation_reason", .string)
            .unique(on: "enrolment_id")
            .create()
        try await database.index("certificates_user", on: Certificate.schema, columns: ["user_id", "issued_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Certificate.schema).delete()
    }
}

/// Certificates for attending events as well as for completing courses: the enrolment and course become optional and
/// the event is named. SQLite cannot relax a column, so there the table is copied into a new one (nothing refers to it).
struct AllowEventCertificates: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            try await sql.raw("ALTER TABLE certificates ALTER COLUMN enrolment_id DROP NOT NULL").run()
            try await sql.raw("ALTER TABLE certificates ALTER COLUMN course_id DROP NOT NULL").run()
            try await sql.raw("ALTER TABLE certificates ADD COLUMN event_id UUID").run()
        } else {
            try await sql.raw("""
                CREATE TABLE certificates_new (id UUID PRIMARY KEY, enrolment_id UUID REFERENCES enrolments (id), user_id UUID NOT NULL REFERENCES users (id),
                course_id UUID, provider_id UUID NOT NULL, title TEXT NOT NULL, issued_at REAL NOT NULL, credential TEXT NOT NULL, jws TEXT NOT NULL,
                kid TEXT NOT NULL, revoked_at REAL, revoked_by UUID, revocation_reason TEXT, event_id UUID)
                """).run()
            try await sql.raw("""
                INSERT INTO certificates_new (id, enrolment_id, user_id, course_id, provider_id, title, issued_at, credential, jws, kid, revoked_at, revoked_by, revocation_reason)
                SELECT id, enrolment_id, user_id, course_id, provider_id, title, issued_at, credential, jws, kid, revoked_at, revoked_by, revocation_reason FROM certificates
                """).run()
            try await sql.raw("DROP TABLE certificates").run()
            try await sql.raw("ALTER TABLE certificates_new RENAME TO certificates").run()
            try await sql.raw("CREATE UNIQUE INDEX certificates_enrolment ON certificates (enrolment_id)").run()
            try await database.index("certificates_user", on: "certificates", columns: ["user_id", "issued_at"])
            try await database.index("certificates_issued_at", on: "certificates", columns: ["issued_at"])
        }
        try await sql.raw("CREATE UNIQUE INDEX certificates_event_person ON certificates (event_id, user_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX certificates_event_person").run()
    }
}

/// Certificates for completing a programme's batch: one per person and batch.
/// Certificates for cohort journeys: a badge per phase and a certificate for the journey, one each per person.
struct AllowJourneyCertificates: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE certificates ADD COLUMN journey_part_id UUID").run()
        try await sql.raw("CREATE UNIQUE INDEX certificates_journey_part_person ON certificates (journey_part_id, user_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX certificates_journey_part_person").run()
    }
}

/// Certificates for NCVET qualifications: one per person and qualification.
struct AllowQualificationCertificates: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE certificates ADD COLUMN qualification_id UUID").run()
        try await sql.raw("CREATE UNIQUE INDEX certificates_qualification_person ON certificates (qualification_id, user_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX certificates_qualification_person").run()
    }
}

struct AllowBatchCertificates: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE certificates ADD COLUMN batch_id UUID").run()
        try await sql.raw("CREATE UNIQUE INDEX certificates_batch_person ON certificates (batch_id, user_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX certificates_batch_person").run()
    }
}

/// The platform's signing key for credentials: Ed25519, made on first run and kept in the database's
/// server keys (or given as `CREDENTIAL_KEY`, base64 of the 32-byte private key). Its id is derived from the public key.
struct CredentialKeys: Sendable {
    let privateKey: Curve25519.Signing.PrivateKey
    let kid: String
    let publicURL: String

    init(privateKey: Curve25519.Signing.PrivateKey, publicURL: String) {
        self.privateKey = privateKey
        kid = "ed25519-" + SHA256.hash(data: privateKey.publicKey.rawRepresentation).prefix(8).map { String(format: "%02x", $0) }.joined()
        self.publicURL = publicURL
    }

    static func load(settings: Settings, on database: any Database) async throws -> CredentialKeys {
        var encoded = settings.credentialKey ?? ""
        if settings.credentialKey == nil {
            encoded = try await ServerKeys.value(named: "credential-ed25519", on: database) { Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString() }
        }
        guard let raw = Data(base64Encoded: encoded), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw Abort(.internalServerError, reason: "The credential signing key is not base64 of a 32-byte Ed25519 private key.")
        }
        return CredentialKeys(privateKey: key, publicURL: settings.publicURL)
    }

    var verifying: [String: Curve25519.Signing.PublicKey] { [kid: privateKey.publicKey] }
    var issuer: OpenBadgeCredential.Profile { OpenBadgeCredential.profile(id: "\(publicURL)/issuer", name: "Karmayogi — Mission Karmayogi", url: publicURL) }
    /// What every certificate's id begins with; the certificate's UUID follows.
    var certificatePrefix: String { "\(publicURL)/api/v1/certificates/" }
    func certificateURL(_ id: UUID) -> String { certificatePrefix + id.uuidString }
    func pageURL(_ id: UUID) -> String { "\(publicURL)/certificates/\(id.uuidString)" }
    /// What a certificate's QR code holds: the public page that verifies it.
    func verifyURL(_ id: UUID) -> String { "\(publicURL)/verify?id=\(id.uuidString.lowercased())" }
}

extension Application {
    private struct CredentialKeysKey: StorageKey { typealias Value = CredentialKeys }

    var credentialKeys: CredentialKeys {
        get { storage[CredentialKeysKey.self]! }
        set { storage[CredentialKeysKey.self] = newValue }
    }
}

enum Certificates {
    /// A learner's latest certificates.
    /// A person's certificates of these ids that still stand (not revoked), as signed credentials.
    static func standing(_ ids: [UUID], of userID: UUID, on database: any Database) async throws -> [(credential: OpenBadgeCredential, jws: String)] {
        guard !ids.isEmpty else { return [] }
        return try await Certificate.query(on: database).filter(\.$id ~~ ids).filter(\.$userID == userID).filter(\.$revokedAt == nil).sort(\.$issuedAt).all()
            .compactMap { certificate in
                (try? JSONDecoder().decode(OpenBadgeCredential.self, from: Data(certificate.credential.utf8))).map { ($0, certificate.jws) }
            }
    }

    static func recent(of userID: UUID, limit: Int, on database: any Database) async throws -> [Certificate] {
        try await Certificate.query(on: database).filter(\.$userID == userID).sort(\.$issuedAt, .descending).limit(limit).all()
    }

    /// Builds, signs and stores the certificate of a completed enrolment, in the caller's transaction.
    /// Signs and stores the certificate of a completed enrolment. The learner's name comes with the completion (it is
    /// the signed-in person's); the provider's and competencies' names are asked of their rooms.
    static func issue(for enrolment: Enrolment, learnerName: String, content: CourseContent, at now: Date, keys: CredentialKeys,
                      on database: any Database) async throws -> Certificate {
        guard let providerID = try await Courses.providerIDs(of: [enrolment.courseID], on: database)[enrolment.courseID],
              let providerName = try await Organisations.names([providerID], on: database)[providerID]
        else { throw Abort(.internalServerError, reason: "the enrolment's course or provider is missing") }
        let labels = try await Competencies.labels(content.competencies.map(\.competencyId), on: database)
        let id = UUID()
        let credential = OpenBadgeCredential(OpenBadgeCredential.Claim(
            credentialURL: keys.certificateURL(id), issuer: keys.issuer,
            provider: OpenBadgeCredential.profile(id: "\(keys.publicURL)/orgs/\(providerID.uuidString)", name: providerName),
            courseURL: "\(keys.publicURL)/courses/\(enrolment.courseID.uuidString)", courseTitle: content.title, courseSummary: content.summary,
            language: content.language, hours: (Double(content.durationMinutes) / 60 * 100).rounded() / 100,
            competencies: content.competencies.map { claim in
                let label = labels[claim.competencyId]
                return (name: label?.name ?? claim.competencyId.uuidString, level: claim.level,
                        url: "\(keys.publicURL)/competencies/\(claim.competencyId.uuidString)", code: label?.code ?? "")
            },
            learnerID: enrolment.userID.uuidString, learnerName: learnerName, salt: SecretToken.make(), completedAt: now))
        let payload = try credential.encoded()
        let certificate = Certificate()
        certificate.id = id
        certificate.enrolmentID = enrolment.id!
        certificate.userID = enrolment.userID
        certificate.courseID = enrolment.courseID
        certificate.providerID = providerID
        certificate.title = content.title
        certificate.issuedAt = now
        certificate.credential = String(decoding: payload, as: UTF8.self)
        certificate.jws = try CredentialJWS.sign(payload, kid: keys.kid, with: keys.privateKey)
        certificate.kid = keys.kid
        try await (database as! any SQLDatabase).insert(into: Certificate.schema)
            .columns("id", "enrolment_id", "user_id", "course_id", "provider_id", "title", "issued_at", "credential", "jws", "kid")
            .values(SQLBind(id), SQLBind(certificate.enrolmentID), SQLBind(certificate.userID), SQLBind(certificate.courseID), SQLBind(providerID),
                    SQLBind(certificate.title), SQLBind(now), SQLBind(certificate.credential), SQLBind(certificate.jws), SQLBind(certificate.kid))
            .run()
        return certificate
    }

    /// What a certificate for attendance says: what was attended (an event, or a programme's batch), who ran it, its
    /// competencies, and each person certified.
    struct Award: Sendable {
        enum Subject: Sendable {
            case event(UUID)
            case batch(UUID, programme: UUID)
            /// A phase of a cohort journey (a badge), or the whole journey (a certificate: `part` is the journey).
            case journey(part: UUID, journey: UUID)
            /// An NCVET qualification earned, with its credits and NSQF level.
            case qualification(UUID, credits: Double, nsqfLevel: Int)
        }

        var subject: Subject
        var title: String
        var summary: String
        var organiserID: UUID
        var organiserName: String
        var minutes: Int
        var competencies: [RoleRequirement]
        var endedAt: Date
        /// What earned it, in words ("present for at least 30 minutes").
        var rule: String

        fileprivate var column: String {
            switch subject {
            case .event: "event_id"
            case .batch: "batch_id"
            case .journey: "journey_part_id"
            case .qualification: "qualification_id"
            }
        }
        fileprivate var id: UUID {
            switch subject {
            case .event(let id), .batch(let id, _), .journey(let id, _), .qualification(let id, _, _): id
            }
        }
        fileprivate var isPhaseBadge: Bool { if case .journey(let part, let journey) = subject { part != journey } else { false } }
        /// Open Badges 3.0's achievement type: a journey's phase gives a badge, the journey a certificate.
        fileprivate var achievementType: String {
            switch subject {
            case .journey: isPhaseBadge ? "Badge" : "Certificate"
            case .qualification: "Certificate"
            case .event, .batch: "Achievement"
            }
        }
        fileprivate func url(_ base: String) -> String {
            switch subject {
            case .event(let id): "\(base)/events/\(id.uuidString)"
            case .batch(_, let programme): "\(base)/programmes/\(programme.uuidString)"
            case .journey(_, let journey): "\(base)/journeys/\(journey.uuidString)"
            case .qualification(let id, _, _): "\(base)/qualifications/\(id.uuidString.lowercased())"
            }
        }
        fileprivate var criteria: String {
            switch subject {
            case .event: "Attended the event on the Karmayogi platform by its attendance rule (\(rule))."
            case .batch: "Completed a batch of the programme on the Karmayogi platform (\(rule))."
            case .journey: "Completed \(isPhaseBadge ? "a phase of the cohort journey" : "the cohort journey") on the Karmayogi platform (\(rule))."
            case .qualification: "Met the qualification's rule on the Karmayogi platform (\(rule))."
            }
        }
    }

    /// Signs and stores the certificates of people who attended, in the caller's transaction, one statement for them
    /// all; answers each person's certificate id. Nobody is given two for one event or batch (the unique key decides).
    static func issue(for award: Award, attendees: [(userID: UUID, name: String)], at now: Date, keys: CredentialKeys,
                      on database: any Database) async throws -> [UUID: UUID] {
        guard !attendees.isEmpty else { return [:] }
        let labels = try await Competencies.labels(award.competencies.map(\.competencyId), on: database)
        let competencies = award.competencies.map { claim in
            let label = labels[claim.competencyId]
            return (name: label?.name ?? claim.competencyId.uuidString, level: claim.level,
                    url: "\(keys.publicURL)/competencies/\(claim.competencyId.uuidString)", code: label?.code ?? "")
        }
        let sql = database as! any SQLDatabase
        var issued: [UUID: UUID] = [:]
        var insert = sql.insert(into: Certificate.schema)
            .columns("id", "user_id", award.column, "provider_id", "title", "issued_at", "credential", "jws", "kid")
        for attendee in attendees {
            let id = UUID()
            var claim = OpenBadgeCredential.Claim(
                credentialURL: keys.certificateURL(id), issuer: keys.issuer,
                provider: OpenBadgeCredential.profile(id: "\(keys.publicURL)/orgs/\(award.organiserID.uuidString)", name: award.organiserName),
                courseURL: award.url(keys.publicURL), courseTitle: award.title, courseSummary: award.summary,
                language: "en", hours: (Double(award.minutes) / 60 * 100).rounded() / 100, competencies: competencies,
                learnerID: attendee.userID.uuidString, learnerName: attendee.name, salt: SecretToken.make(), completedAt: award.endedAt)
            claim.achievementType = award.achievementType
            claim.criteria = award.criteria
            if case .qualification(_, let credits, let level) = award.subject { claim.qualification = (credits, level) }
            let payload = try OpenBadgeCredential(claim).encoded()
            insert = insert.values(SQLBind(id), SQLBind(attendee.userID), SQLBind(award.id), SQLBind(award.organiserID), SQLBind(award.title),
                                   SQLBind(now), SQLBind(String(decoding: payload, as: UTF8.self)),
                                   SQLBind(try CredentialJWS.sign(payload, kid: keys.kid, with: keys.privateKey)), SQLBind(keys.kid))
            issued[attendee.userID] = id
        }
        try await insert.run()
        return issued
    }

    struct Verdict: Content {
        /// valid, invalid or revoked.
        var status: String
        /// Why, in English (the API's language); `notes` hold the same for a page in the reader's language.
        var reasons: [String]
        var certificateId: UUID?
        var credential: [String: JSONValue]?
        var notes: [Note] = []

        enum CodingKeys: String, CodingKey { case status, reasons, certificateId, credential }

        init(_ status: String, _ notes: [Note], certificateId: UUID? = nil, credential: [String: JSONValue]? = nil) {
            self.status = status
            self.notes = notes
            reasons = notes.map { $0.text(Catalogue.all["en"]!) }
            self.certificateId = certificateId
            self.credential = credential
        }

        /// One reason, as a message of the catalogues (`verify.reason.*`).
        struct Note: Sendable {
            var key: String
            var values: [String: String] = [:]
            var date: Date?

            func text(_ t: Catalogue) -> String {
                var values = values
                if let date { values["date"] = Formats.date(date, t) }
                return t("verify.reason.\(key)", values)
            }
        }
    }

    /// Judges what someone pasted or scanned: a certificate's number or address is judged by the credential issued
    /// under it, exactly as its signed form would be.
    static func verify(_ reference: CredentialReference, keys: CredentialKeys, now: Date = Date(), on database: any Database) async throws -> Verdict {
        switch reference {
        case .certificate(let id):
            guard let certificate = try await Certificate.find(id, on: database) else { return Verdict("invalid", [Verdict.Note(key: "unknown")]) }
            return try await verify(jws: certificate.jws, json: nil, keys: keys, now: now, on: database)
        case .jws(let jws):
            return try await verify(jws: jws, json: nil, keys: keys, now: now, on: database)
        case .json(let text):
            return try await verify(jws: nil, json: Data(text.utf8), keys: keys, now: now, on: database)
        case .unreadable:
            return Verdict("invalid", [Verdict.Note(key: "unreadable")])
        }
    }

    /// Judges a credential sent as a compact JWS or as JSON: ours, unchanged and not revoked is valid; anything else says why not.
    static func verify(jws: String?, json: Data?, keys: CredentialKeys, now: Date = Date(), on database: any Database) async throws -> Verdict {
        typealias Note = Verdict.Note
        var payload: Data
        var signed = false
        if let jws {
            switch CredentialJWS.verify(jws, keys: keys.verifying) {
            case .success(let data):
                payload = data
                signed = true
            case .failure(.badSignature):
                return Verdict("invalid", [Note(key: "badSignature")])
            case .failure(.unknownKey(let kid)):
                return Verdict("invalid", [Note(key: "unknownKey", values: ["kid": kid])])
            case .failure(.malformed(let why)):
                return Verdict("invalid", [Note(key: "malformed", values: ["detail": why])])
            }
        } else {
            payload = json ?? Data()
        }
        guard let object = try? JSONSerialization.jsonObject(with: payload) as? [String: Any] else {
            return Verdict("invalid", [Note(key: "notJSON")])
        }
        var notes = CredentialShape.problems(object, now: now).map { Note(key: "shape", values: ["detail": $0]) }
        let shown = try? JSONDecoder().decode([String: JSONValue].self, from: payload)
        let prefix = keys.certificatePrefix
        guard let id = (object["id"] as? String).flatMap({ $0.hasPrefix(prefix) ? UUIDText.parse(String($0.dropFirst(prefix.count))) : nil }),
              let certificate = try await Certificate.find(id, on: database)
        else {
            let issuer = (object["issuer"] as? [String: Any])?["id"] as? String ?? object["issuer"] as? String ?? "unknown"
            let proof = ((object["proof"] as? [String: Any])?["type"] as? String) ?? ((object["proof"] as? [[String: Any]])?.first?["type"] as? String)
            notes.append(proof.map { Note(key: "foreignProof", values: ["issuer": issuer, "proof": $0]) } ?? Note(key: "foreign", values: ["issuer": issuer]))
            return Verdict("invalid", notes, credential: shown)
        }
        if !signed {
            // JSON without our signature: it must be, field for field, the credential we signed.
            let issued = try JSONSerialization.jsonObject(with: Data(certificate.credential.utf8)) as? NSDictionary
            if issued != (object as NSDictionary) { notes.append(Note(key: "differs")) }
        }
        if let revoked = certificate.revokedAt {
            let note = certificate.revocationReason.map { Note(key: "revoked", values: ["reason": $0], date: revoked) } ?? Note(key: "revokedNoReason", date: revoked)
            return Verdict("revoked", [note] + notes, certificateId: certificate.id, credential: shown)
        }
        return Verdict(notes.isEmpty ? "valid" : "invalid", notes, certificateId: certificate.id, credential: shown)
    }
}
