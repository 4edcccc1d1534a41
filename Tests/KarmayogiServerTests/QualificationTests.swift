import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

@Suite struct QualificationTests {
    @Test func aLearnerEarnsAQualificationsCreditsOnceAndReadsThemOnTheTranscript() async throws {
        try await withApp { app, world in
            let national = try await app.token("national"), learner = try await app.token("learner.mha")
            let first = try await publishedCourse(app, world, title: "Disaster management basics")
            let second = try await publishedCourse(app, world, title: "Disaster response in districts")
            var body: [String: Any] = ["title": "Certificate in disaster management", "nsqfLevel": 9, "notionalHours": 150, "credits": 4,
                                       "courseIds": [first.id, second.id, first.id]]
            #expect(try await app.send(.POST, "/api/v1/qualifications", token: national, json: body).fields == ["nsqfLevel", "credits", "courseIds"])
            body["nsqfLevel"] = 0
            body["courseIds"] = [first.id, UUID().uuidString]
            #expect(try await app.send(.POST, "/api/v1/qualifications", token: national, json: body).fields == ["nsqfLevel", "credits", "courseIds[1]"])
            body["nsqfLevel"] = 4
            body["credits"] = 5
            body["courseIds"] = [first.id, second.id]
            #expect(try await app.send(.POST, "/api/v1/qualifications", token: learner, json: body).status == .forbidden)
            let made = try await app.send(.POST, "/api/v1/qualifications", token: national, json: body)
            let qualification = try made.decoded(QualificationDTO.self)
            #expect(made.status == .created && qualification.credits == 5, "\(made.body)")
            #expect(try await app.send(.GET, "/api/v1/qualifications", token: learner).decoded(Page<QualificationDTO>.self).items.count == 1)

            // Nothing until both courses are complete; then the ledger holds it once, however often it is read.
            func complete(_ course: (id: String, items: [String])) async throws {
                _ = try await app.send(.POST, "/api/v1/courses/\(course.id)/enrol", token: learner)
                let updates = course.items.enumerated().map { update(course.id, $1, status: 2, key: "\(course.id)-\($0)") }
                #expect(try await app.send(.POST, "/api/v1/progress", token: learner, json: ["updates": updates]).status == .ok)
            }
            try await complete(first)
            #expect(try await app.send(.GET, "/api/v1/me/credits", token: learner).decoded(CreditsDTO.self).items.isEmpty)
            try await complete(second)
            var certificates: Set<UUID?> = []
            for _ in 0..<2 {
                let ledger = try await app.send(.GET, "/api/v1/me/credits", token: learner).decoded(CreditsDTO.self)
                #expect(ledger.items.count == 1 && ledger.totalCredits == 5 && ledger.highestLevel == 4)
                certificates.insert(ledger.items.first?.certificateId)
            }
            // One certificate, stating the credits and the NSQF level in Open Badges 3.0's fields.
            let certificateID = try #require(certificates.count == 1 ? certificates.first ?? nil : nil)
            let certificate = try await app.send(.GET, "/api/v1/certificates/\(certificateID)").decoded(CertificateDTO.self)
            #expect(certificate.qualificationId == qualification.id)
            let credential = try JSONDecoder().decode(OpenBadgeCredential.self, from: Data(try await app.send(.GET, "/certificates/\(certificateID)/credential.json").body.utf8))
            let achievement = credential.credentialSubject.achievement
            #expect(achievement.creditsAvailable == 5 && credential.credentialSubject.creditsEarned == 5 && achievement.achievementType == "Certificate")
            #expect(achievement.alignment.first?.targetCode == "NSQF-4" && achievement.id.hasSuffix("/qualifications/\(qualification.id.uuidString.lowercased())"))
            #expect(try await app.send(.POST, "/api/v1/certificates/verify", json: ["credential": certificate.jws]).json["status"] as? String == "valid")

            // The transcript as a Comprehensive Learner Record, signed by the platform, holding that certificate.
            let signed = try await app.send(.GET, "/api/v1/me/credits/transcript", token: learner).decoded(TranscriptDTO.self)
            let keys = app.credentialKeys
            guard case .success(let payload) = CredentialJWS.verify(signed.jws, keys: [keys.kid: keys.privateKey.publicKey]) else {
                Issue.record("the transcript's signature does not verify"); return
            }
            let record = try JSONDecoder().decode(ClrTranscript.self, from: payload)
            #expect(record.type == ["VerifiableCredential", "ClrCredential"] && record.credentialSubject.achievement.first?.creditsAvailable == 5)
            #expect(record.credentialSubject.verifiableCredential.map(\.id) == ["data:application/vc+jwt,\(certificate.jws)"])
            var browser = Browser(app)
            try await browser.signIn("learner.mha")
            let transcript = try await browser.get("/my/credits")
            #expect(transcript.body.contains("Certificate in disaster management") && transcript.body.contains("Karmayogi Bharat"))
            #expect(transcript.body.contains("/certificates/\(certificateID.uuidString)"))
            let printed = try await browser.get("/certificates/\(certificateID.uuidString)")
            #expect(printed.body.contains("has earned the qualification") && printed.body.contains("NSQF level 4 · 5 credits"), "\(printed.body)")
            let download = try await browser.get("/my/transcript.jwt")
            #expect(download.headers.contentType?.subType == "vc+jwt" && download.body.split(separator: ".").count == 3)
            let page = try await browser.get("/qualifications/\(qualification.id.uuidString.lowercased())")
            #expect(page.body.contains("Disaster response in districts") && page.body.contains("Earned by completing 2 of these 2 courses"))
            let csv = try await browser.get("/my/credits.csv")
            #expect(csv.body.hasPrefix("qualification,awarding_body,nsqf_level,credits,earned_on\r\nCertificate in disaster management,Karmayogi Bharat,4,5.0,"), "\(csv.body)")
            #expect(try await browser.get("/my/credits?lang=hi").body.contains("अर्जित क्रेडिट"))
        }
    }
}

@Suite struct AlignmentTests {
    @Test func aCourseCarriesHoursCreditsAndAnNSQFLevelSetForItsAwardingBody() async throws {
        try await withApp { app, world in
            let national = try await app.token("national"), learner = try await app.token("learner.mha"), publisher = try await app.token("publisher.mha")
            let course = try await publishedCourse(app, world, title: "Disaster management basics")
            let path = "/api/v1/courses/\(course.id)/nsqf"
            #expect(try await app.send(.GET, path, token: learner).status == .notFound, "not aligned yet")
            #expect(try await app.send(.PUT, path, token: national, json: ["notionalHours": 60, "credits": 3, "nsqfLevel": 0]).fields == ["nsqfLevel", "credits"])
            #expect(try await app.send(.PUT, path, token: national, json: ["notionalHours": 60, "nsqfLevel": 9]).fields == ["nsqfLevel"])
            #expect(try await app.send(.PUT, path, token: publisher, json: ["notionalHours": 60, "nsqfLevel": 4]).status == .forbidden)
            #expect(try await app.send(.PUT, "/api/v1/courses/\(UUID())/nsqf", token: national, json: ["notionalHours": 60, "nsqfLevel": 4]).status == .notFound)
            let set = try await app.send(.PUT, path, token: national, json: ["notionalHours": 60, "credits": 2, "nsqfLevel": 4]).decoded(AlignmentDTO.self)
            #expect(set.credits == 2 && set.awardingBody == "Karmayogi Bharat")
            let changed = try await app.send(.PUT, path, token: national, json: ["notionalHours": 45, "nsqfLevel": 5, "awardingBody": "NCVET-recognised body"])
            #expect(try changed.decoded(AlignmentDTO.self).credits == 1.5)
            #expect(try await app.send(.GET, path, token: learner).decoded(AlignmentDTO.self).nsqfLevel == 5)
            var browser = Browser(app)
            try await browser.signIn("learner.mha")
            #expect(try await browser.get("/courses/\(course.id)").body.contains("NSQF level 5 · 1.5 credits (45 notional hours)"))
        }
    }
}
