import Crypto
import Foundation

/// An Open Badges 3.0 `AchievementCredential` (a W3C Verifiable Credential 2.0) for a completed course.
/// Encoded with sorted keys, so the same credential is always the same bytes.
public struct OpenBadgeCredential: Codable, Equatable, Sendable {
    public static let contexts = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]

    public struct Profile: Codable, Equatable, Sendable {
        public var id: String
        public var type = ["Profile"]
        public var name: String
        public var url: String?
    }

    public struct IdentityObject: Codable, Equatable, Sendable {
        public var type = "IdentityObject"
        public var identityType: String
        public var hashed: Bool
        public var identityHash: String
        public var salt: String?
    }

    public struct Alignment: Codable, Equatable, Sendable {
        public var type = ["Alignment"]
        public var targetName: String
        public var targetUrl: String
        public var targetDescription: String?
        public var targetFramework: String?
        public var targetCode: String?
    }

    public struct Criteria: Codable, Equatable, Sendable {
        public var narrative: String
    }

    public struct Achievement: Codable, Equatable, Sendable {
        public var id: String
        public var type = ["Achievement"]
        public var achievementType = "Course"
        public var name: String
        public var description: String
        public var criteria: Criteria
        public var alignment: [Alignment]
        public var inLanguage: String
        public var creator: Profile
        /// The credits a qualification is worth (NCVET: 30 notional hours make one).
        public var creditsAvailable: Double?
    }

    public struct Subject: Codable, Equatable, Sendable {
        public var type = ["AchievementSubject"]
        public var identifier: [IdentityObject]
        public var achievement: Achievement
        public var activityEndDate: String
        public var creditsEarned: Double?
    }

    public var context = contexts
    public var id: String
    public var type = ["VerifiableCredential", "AchievementCredential"]
    public var issuer: Profile
    public var validFrom: String
    public var name: String
    public var credentialSubject: Subject

    enum CodingKeys: String, CodingKey {
        case context = "@context", id, type, issuer, validFrom, name, credentialSubject
    }

    /// What a course completion certifies, in the words the credential uses.
    public struct Claim: Sendable {
        public var credentialURL: String
        public var issuer: Profile
        public var provider: Profile
        public var courseURL: String
        public var courseTitle: String
        public var courseSummary: String
        public var language: String
        public var hours: Double
        public var competencies: [(name: String, level: Int, url: String, code: String)]
        public var learnerID: String
        public var learnerName: String
        public var salt: String
        public var completedAt: Date
        /// What was achieved (OB 3.0's achievement types) and how; a course's completion unless set.
        public var achievementType = "Course"
        public var criteria = "Completed every required item of the course on the Karmayogi platform."
        /// For an NCVET qualification: its credits (stated as available and as earned, in place of hours) and NSQF level.
        public var qualification: (credits: Double, nsqfLevel: Int)?

        public init(credentialURL: String, issuer: Profile, provider: Profile, courseURL: String, courseTitle: String, courseSummary: String, language: String,
                    hours: Double, competencies: [(name: String, level: Int, url: String, code: String)], learnerID: String, learnerName: String,
                    salt: String, completedAt: Date) {
            self.credentialURL = credentialURL
            self.issuer = issuer
            self.provider = provider
            self.courseURL = courseURL
            self.courseTitle = courseTitle
            self.courseSummary = courseSummary
            self.language = language
            self.hours = hours
            self.competencies = competencies
            self.learnerID = learnerID
            self.learnerName = learnerName
            self.salt = salt
            self.completedAt = completedAt
        }
    }

    /// The OB3 identity hash: "sha256$" and the hex SHA-256 of the value followed by the salt.
    public static func identityHash(_ value: String, salt: String) -> String {
        "sha256$" + SHA256.hash(data: Data((value + salt).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public static func profile(id: String, name: String, url: String? = nil) -> Profile { Profile(id: id, name: name, url: url) }

    public init(_ claim: Claim) {
        let time = ISO8601DateFormatter().string(from: claim.completedAt)
        id = claim.credentialURL
        issuer = claim.issuer
        validFrom = time
        name = claim.courseTitle
        credentialSubject = Subject(
            identifier: [
                IdentityObject(identityType: "systemId", hashed: true, identityHash: Self.identityHash(claim.learnerID, salt: claim.salt), salt: claim.salt),
                IdentityObject(identityType: "name", hashed: false, identityHash: claim.learnerName, salt: nil),
            ],
            achievement: Achievement(
                id: claim.courseURL, name: claim.courseTitle, description: claim.courseSummary.isEmpty ? claim.courseTitle : claim.courseSummary,
                criteria: Criteria(narrative: claim.criteria),
                alignment: claim.competencies.map {
                    Alignment(targetName: $0.name, targetUrl: $0.url, targetDescription: "Proficiency level \($0.level) of 5",
                              targetFramework: "Karmayogi Competency Model", targetCode: $0.code)
                },
                inLanguage: claim.language, creator: claim.provider),
            activityEndDate: time, creditsEarned: claim.hours)
        credentialSubject.achievement.achievementType = claim.achievementType
        if let qualification = claim.qualification {
            credentialSubject.achievement.creditsAvailable = qualification.credits
            credentialSubject.creditsEarned = qualification.credits
            credentialSubject.achievement.alignment.insert(Self.nsqf(level: qualification.nsqfLevel), at: 0)
        }
    }

    /// A qualification's place in the National Skills Qualifications Framework, as an alignment.
    public static func nsqf(level: Int) -> Alignment {
        Alignment(targetName: "NSQF level \(level)", targetUrl: "https://ncvet.gov.in/nsqf/", targetDescription: "Level \(level) of the 8 levels of the National Skills Qualifications Framework",
                  targetFramework: "National Skills Qualifications Framework", targetCode: "NSQF-\(level)")
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// VC-JOSE: a credential secured as a compact JWS whose payload is the credential itself,
/// signed with Ed25519 (`alg` EdDSA, `typ` vc+jwt, `cty` vc).
public enum CredentialJWS {
    public struct Header: Codable, Equatable, Sendable {
        public var alg: String
        public var kid: String
        public var typ: String?
        public var cty: String?
    }

    public enum Failure: Error, Equatable, Sendable {
        case malformed(String)
        case unknownKey(String)
        case badSignature
    }

    public static func sign(_ payload: Data, kid: String, with key: Curve25519.Signing.PrivateKey) throws -> String {
        let header = try JSONEncoder().encode(Header(alg: "EdDSA", kid: kid, typ: "vc+jwt", cty: "vc"))
        let input = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        return input + "." + Base64URL.encode(try key.signature(for: Data(input.utf8)))
    }

    /// The payload of a JWS signed by one of `keys` (by `kid`), or why it is not.
    public static func verify(_ jws: String, keys: [String: Curve25519.Signing.PublicKey]) -> Result<Data, Failure> {
        let parts = jws.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(parts[0]), let payload = Base64URL.decode(parts[1]), let signature = Base64URL.decode(parts[2])
        else { return .failure(.malformed("not a compact JWS (three base64url parts separated by dots)")) }
        guard let header = try? JSONDecoder().decode(Header.self, from: headerData) else { return .failure(.malformed("its header is not a JOSE header with alg and kid")) }
        guard header.alg == "EdDSA" else { return .failure(.malformed("signed with \(header.alg), not EdDSA (Ed25519)")) }
        guard let key = keys[header.kid] else { return .failure(.unknownKey(header.kid)) }
        guard key.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8)) else { return .failure(.badSignature) }
        return .success(payload)
    }
}

/// What a verifier can tell about a credential without its issuer's database: its form, and its dates.
public enum CredentialShape {
    /// Reasons the JSON is not a usable Open Badges 3.0 credential (empty when it is one).
    public static func problems(_ json: [String: Any], now: Date) -> [String] {
        var problems: [String] = []
        let contexts = (json["@context"] as? [Any])?.compactMap { $0 as? String } ?? []
        if !contexts.contains("https://www.w3.org/ns/credentials/v2") && !contexts.contains("https://www.w3.org/2018/credentials/v1") {
            problems.append("its @context does not name the W3C Verifiable Credentials context")
        }
        if !contexts.contains(where: { $0.hasPrefix("https://purl.imsglobal.org/spec/ob/v3p0/context") }) {
            problems.append("its @context does not name the Open Badges 3.0 context")
        }
        let types = (json["type"] as? [Any])?.compactMap { $0 as? String } ?? []
        if !types.contains("VerifiableCredential") || !(types.contains("OpenBadgeCredential") || types.contains("AchievementCredential")) {
            problems.append("its type is not VerifiableCredential with OpenBadgeCredential or AchievementCredential")
        }
        let subject = json["credentialSubject"] as? [String: Any]
        let subjectTypes = (subject?["type"] as? [Any])?.compactMap { $0 as? String } ?? []
        if subject == nil || !subjectTypes.contains("AchievementSubject") { problems.append("its credentialSubject is not an AchievementSubject") }
        if json["issuer"] == nil { problems.append("it names no issuer") }
        let formatter = ISO8601DateFormatter()
        func date(_ key: String) -> Date? { (json[key] as? String).flatMap { formatter.date(from: $0) } }
        if let from = date("validFrom") ?? date("issuanceDate"), from > now { problems.append("it is not valid before \(formatter.string(from: from))") }
        if let until = date("validUntil") ?? date("expirationDate"), until < now { problems.append("it expired on \(formatter.string(from: until))") }
        return problems
    }
}

/// A learner's transcript as a Comprehensive Learner Record 2.0 `ClrCredential` (a W3C Verifiable Credential 2.0):
/// the achievements earned, and each one's own signed credential enveloped (VC-JOSE), so a verifier can check them one
/// by one as well as the transcript as a whole.
public struct ClrTranscript: Codable, Equatable, Sendable {
    public static let contexts = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
                                  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]

    public struct Enveloped: Codable, Equatable, Sendable {
        public var context = "https://www.w3.org/ns/credentials/v2"
        public var id: String
        public var type = "EnvelopedVerifiableCredential"

        enum CodingKeys: String, CodingKey { case context = "@context", id, type }
    }

    public struct Subject: Codable, Equatable, Sendable {
        public var type = ["ClrSubject"]
        public var identifier: [OpenBadgeCredential.IdentityObject]
        public var achievement: [OpenBadgeCredential.Achievement]
        public var verifiableCredential: [Enveloped]
    }

    public var context = contexts
    public var id: String
    public var type = ["VerifiableCredential", "ClrCredential"]
    public var issuer: OpenBadgeCredential.Profile
    public var validFrom: String
    public var name: String
    public var credentialSubject: Subject

    enum CodingKeys: String, CodingKey {
        case context = "@context", id, type, issuer, validFrom, name, credentialSubject
    }

    /// `credentials` are the learner's achievement credentials with the compact JWS that secures each.
    public init(id: String, issuer: OpenBadgeCredential.Profile, learnerID: String, learnerName: String, salt: String, issuedAt: Date,
                credentials: [(credential: OpenBadgeCredential, jws: String)]) {
        self.id = id
        self.issuer = issuer
        validFrom = ISO8601DateFormatter().string(from: issuedAt)
        name = "Transcript of \(learnerName)"
        credentialSubject = Subject(
            identifier: [
                .init(identityType: "systemId", hashed: true, identityHash: OpenBadgeCredential.identityHash(learnerID, salt: salt), salt: salt),
                .init(identityType: "name", hashed: false, identityHash: learnerName, salt: nil),
            ],
            achievement: credentials.map(\.credential.credentialSubject.achievement),
            verifiableCredential: credentials.map { Enveloped(id: "data:application/vc+jwt,\($0.jws)") })
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
