import Crypto
import Foundation
import KarmayogiCore
import Testing

/// The Open Badges fixtures beside the repository (../shared/fixtures/openbadges): read there, never copied.
let openBadges = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/fixtures/openbadges")

/// Whether Python can import `modules`. CI installs what the tests use and sets `required` (e.g.
/// KARMAYOGI_REQUIRE_JSONSCHEMA=1), so there those tests always run; on a machine without the modules they are
/// skipped, and say so.
func pythonHas(_ modules: String, unless required: String) -> Bool {
    if ProcessInfo.processInfo.environment[required] == "1" { return true }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import \(modules)"]
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}

let schemaValidatorAvailable = pythonHas("jsonschema", unless: "KARMAYOGI_REQUIRE_JSONSCHEMA")

/// Validates JSON against the Open Badges 3.0 JSON Schema with Python's jsonschema (installed by .ci/run); answers the errors.
func schemaErrors(_ json: Data) throws -> [String] {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("credential-\(UUID().uuidString).json")
    try json.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1])); data = json.load(open(sys.argv[2]))
        for error in jsonschema.Draft201909Validator(schema).iter_errors(data): print(error.json_path, error.message)
        """, openBadges.appendingPathComponent("schema/achievementcredential.json").path, file.path]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    process.waitUntilExit()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard process.terminationStatus == 0 else { throw TestFailure("jsonschema could not run: \(text)") }
    return text.split(separator: "\n").map(String.init)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite struct CredentialTests {
    let key = Curve25519.Signing.PrivateKey()

    func credential(name: String = "Asha <Verma>") -> OpenBadgeCredential {
        OpenBadgeCredential(OpenBadgeCredential.Claim(
            credentialURL: "https://karmayogi.example.org/api/v1/certificates/6f1c", issuer: OpenBadgeCredential.profile(id: "https://karmayogi.example.org/issuer", name: "Karmayogi"),
            provider: OpenBadgeCredential.profile(id: "https://karmayogi.example.org/orgs/lbsnaa", name: "LBSNAA"), courseURL: "https://karmayogi.example.org/courses/1",
            courseTitle: "आपदा प्रबंधन", courseSummary: "", language: "hi", hours: 1.5,
            competencies: [(name: "Disaster Management", level: 2, url: "https://karmayogi.example.org/competencies/9", code: "F-12")],
            learnerID: "user-1", learnerName: name, salt: "pepper", completedAt: Date(timeIntervalSince1970: 1_790_000_000)))
    }

    @Test(.enabled(if: schemaValidatorAvailable, "needs Python's jsonschema (pip install jsonschema)"))
    func ourCredentialIsAValidOpenBadge() throws {
        let json = try credential().encoded()
        #expect(try schemaErrors(json) == [])
        let object = try JSONSerialization.jsonObject(with: json) as! [String: Any]
        #expect(CredentialShape.problems(object, now: Date()).isEmpty)
        #expect(try credential().encoded() == json, "the same credential is the same bytes")
    }

    @Test(.enabled(if: schemaValidatorAvailable, "needs Python's jsonschema (pip install jsonschema)"))
    func theSchemaCheckCanFail() throws {
        var object = try JSONSerialization.jsonObject(with: try credential().encoded()) as! [String: Any]
        object["type"] = ["VerifiableCredential"]
        object.removeValue(forKey: "validFrom")
        #expect(try schemaErrors(JSONSerialization.data(withJSONObject: object)).count >= 2)
    }

    @Test func theLearnerIsASaltedHashAndAName() {
        let subject = credential().credentialSubject
        #expect(subject.identifier[0].identityHash == OpenBadgeCredential.identityHash("user-1", salt: "pepper"))
        #expect(subject.identifier[0].identityHash.hasPrefix("sha256$") && !subject.identifier[0].identityHash.contains("user-1"))
        #expect(subject.identifier[1].identityType == "name" && subject.identifier[1].identityHash == "Asha <Verma>")
    }

    @Test func signedCredentialsVerifyAndTamperingIsCaught() throws {
        let payload = try credential().encoded()
        let jws = try CredentialJWS.sign(payload, kid: "k1", with: key)
        #expect(try CredentialJWS.verify(jws, keys: ["k1": key.publicKey]).get() == payload)
        // One character of the payload changed.
        let parts = jws.split(separator: ".").map(String.init)
        var changed = Array(parts[1])
        changed[40] = changed[40] == "A" ? "B" : "A"
        let tampered = [parts[0], String(changed), parts[2]].joined(separator: ".")
        #expect(CredentialJWS.verify(tampered, keys: ["k1": key.publicKey]) == .failure(.badSignature))
        // Signed by another key under our key's name, and under a name we do not know.
        let other = Curve25519.Signing.PrivateKey()
        #expect(CredentialJWS.verify(try CredentialJWS.sign(payload, kid: "k1", with: other), keys: ["k1": key.publicKey]) == .failure(.badSignature))
        #expect(CredentialJWS.verify(try CredentialJWS.sign(payload, kid: "k9", with: other), keys: ["k1": key.publicKey]) == .failure(.unknownKey("k9")))
        if case .failure(.malformed) = CredentialJWS.verify("not.a-jws", keys: ["k1": key.publicKey]) {} else { Issue.record("a non-JWS is malformed") }
    }

    @Test func theSamplesShapesAreJudgedSensibly() throws {
        func problems(_ name: String) throws -> [String] {
            let data = try Data(contentsOf: openBadges.appendingPathComponent("samples/\(name)"))
            return CredentialShape.problems(try JSONSerialization.jsonObject(with: data) as! [String: Any], now: Date())
        }
        #expect(try problems("simple.json").isEmpty)
        #expect(try problems("simple-err-context.json").contains { $0.contains("@context") })
        #expect(try problems("simple-err-expired.json").contains { $0.contains("expired") })
        #expect(try problems("simple-err-issued.json").contains { $0.contains("not valid before") })
        #expect(try problems("simple-err-credential-subject-type.json").contains { $0.contains("AchievementSubject") })
    }
}
