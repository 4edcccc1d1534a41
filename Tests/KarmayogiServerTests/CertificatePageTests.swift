import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// Certificates anyone can check: the page carries a QR code of its verification address and prints alone; the
/// credential downloads as JSON and as its JWS; /verify takes whatever a person has and answers in their language.
@Suite struct CertificatePageTests {
    @Test func thePageCarriesAQRCodeOfItsVerificationAddressAndTheDownloads() async throws {
        try await withApp { app, world in
            let (id, _) = try await CertificateTests().completed(app, world)
            var visitor = Browser(app)
            let page = try await visitor.get("/certificates/\(id)")
            #expect(page.status == .ok)
            let address = "\(app.settings.publicURL)/verify?id=\(id.lowercased())"
            let drawn = try QRCode(text: address).svg(title: "Scan to verify this certificate")
            #expect(page.body.contains(drawn), "the page's QR code is that of \(address)")
            #expect(page.body.contains("Certificate number <strong>\(id.lowercased())</strong>"))

            let json = try await visitor.get("/certificates/\(id)/credential.json")
            #expect(json.status == .ok && json.headers.contentType == .json)
            #expect(json.headers.first(name: .contentDisposition) == "attachment; filename=\"karmayogi-certificate-\(id.lowercased()).json\"")
            let credential = try JSONSerialization.jsonObject(with: Data(json.body.utf8)) as? [String: Any]
            #expect((credential?["id"] as? String)?.hasSuffix(id) == true)
            var asked = HTTPHeaders()
            asked.replaceOrAdd(name: .accept, value: "application/vc+ld+json")
            try await app.testing().test(.GET, "/certificates/\(id)/credential.json", headers: asked) { response in
                #expect(response.headers.contentType?.description == "application/vc+ld+json")
            }
            let jws = try await visitor.get("/certificates/\(id)/credential.jwt")
            #expect(jws.status == .ok && jws.headers.contentType?.description == "application/jwt")
            #expect(jws.body.split(separator: ".").count == 3)
            // What was downloaded verifies.
            _ = try await visitor.get("/verify")
            #expect(try await visitor.post("/verify", form: ["credential": jws.body]).body.contains("badge success"))
            #expect(try await visitor.post("/verify", form: ["credential": json.body]).body.contains("badge success"))
            #expect(try await visitor.get("/certificates/\(UUID())/credential.jwt").status == .notFound)
        }
    }

    @Test func verifyTakesANumberAnAddressOrAQRCodesTextInTheReadersLanguage() async throws {
        try await withApp { app, world in
            let (id, _) = try await CertificateTests().completed(app, world)
            var visitor = Browser(app)
            _ = try await visitor.get("/verify")
            let compact = id.lowercased().replacingOccurrences(of: "-", with: "")
            for sent in [id, id.lowercased(), " \(compact) ", "\(app.settings.publicURL)/verify?id=\(id.lowercased())",
                         "https://karmayogi.example.org/certificates/\(id)"] {
                let answer = try await visitor.post("/verify", form: ["credential": sent])
                #expect(answer.body.contains("<span class=\"badge success\">Valid</span>"), "\(sent)")
                #expect(answer.body.contains("href=\"/certificates/\(id)\""))
            }
            let unknown = try await visitor.post("/verify", form: ["credential": UUID().uuidString])
            #expect(unknown.body.contains("badge danger") && unknown.body.contains("no certificate with this number was issued by this platform"))
            #expect(try await visitor.post("/verify", form: ["credential": "hello"]).body.contains("this is not a certificate number"))

            // Revoked: when and why, in Hindi for a Hindi reader.
            let revoked = try await app.send(.POST, "/api/v1/certificates/\(id)/revoke", token: try await app.token("publisher.mha"), json: ["reason": "गलती से जारी"])
            #expect(revoked.status == .ok)
            let hindi = try await visitor.get("/verify?id=\(id)&lang=hi")
            #expect(hindi.body.contains("<span class=\"badge warning\">रद्द</span>") || hindi.body.contains("badge warning"))
            #expect(hindi.body.contains("को रद्द किया गया: गलती से जारी"))
            #expect(hindi.body.contains(Formats.date(Date(), Catalogue.all["hi"]!)))
            #expect(!hindi.body.contains("revoked on"))
            // The API takes a number too, and answers in English.
            let api = try await app.send(.POST, "/api/v1/certificates/verify", json: ["credential": id.lowercased()])
            #expect(api.json["status"] as? String == "revoked")
            #expect((api.json["reasons"] as? [String])?.first?.hasPrefix("revoked on ") == true)
        }
    }

    @Test func theCertificatePrintsAloneOnALandscapeA4Page() async throws {
        try await withApp { app, _ in
            var browser = Browser(app)
            let css = try await browser.get(Assets.url("style.css")).body
            let print = try #require(css.range(of: "@media print{")).upperBound
            let rules = css[print...]
            #expect(rules.contains("@page{size:A4 landscape"))
            #expect(rules.contains(".site,.skip,footer,.crumbs,.no-print,.actions{display:none!important}"))
        }
    }
}
