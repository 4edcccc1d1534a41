import Foundation
import KarmayogiCore
import Testing

@Suite struct CredentialReferenceTests {
    let id = UUID(uuidString: "0F8FAD5B-D9CB-469F-A165-70867728950E")!

    @Test func aNumberAnAddressOrAQRCodesTextNameTheCertificate() {
        for text in ["0f8fad5b-d9cb-469f-a165-70867728950e", " 0F8FAD5B-D9CB-469F-A165-70867728950E\n", "0f8fad5bd9cb469fa16570867728950e",
                     "https://karmayogi.example.org/verify?id=0f8fad5b-d9cb-469f-a165-70867728950e",
                     "http://127.0.0.1:8123/certificates/0F8FAD5B-D9CB-469F-A165-70867728950E",
                     "https://karmayogi.example.org/api/v1/certificates/0F8FAD5B-D9CB-469F-A165-70867728950E",
                     "/verify?lang=hi&id=0f8fad5b-d9cb-469f-a165-70867728950e"] {
            #expect(CredentialReference(text) == .certificate(id), "\(text)")
        }
    }

    @Test func signedAndPlainCredentialsAreToldApart() {
        #expect(CredentialReference("eyJhbGciOiJFZERTQSJ9.eyJpZCI6IngifQ.c2lnbmF0dXJl") == .jws("eyJhbGciOiJFZERTQSJ9.eyJpZCI6IngifQ.c2lnbmF0dXJl"))
        #expect(CredentialReference(" {\"id\": \"x\"} ") == .json("{\"id\": \"x\"}"))
    }

    @Test func anythingElseIsUnreadable() {
        for text in ["", "hello", "<script>nonsense</script>", "0f8fad5b-d9cb-469f-a165", "https://example.org/certificates/", "a.b", "a..c",
                     "https://example.org/verify?id=nonsense", "zz8fad5bd9cb469fa16570867728950e"] {
            #expect(CredentialReference(text) == .unreadable, "\(text)")
        }
    }
}
