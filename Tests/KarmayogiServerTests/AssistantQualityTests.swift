import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// The question set (Tests/Fixtures/assistant-questions.json): over two hundred questions in English and Hindi, each with
/// the passage that answers it, asked of the starter documents and the competency framework. Recall@5, nDCG@10 and the
/// share answered may not fall more than 5 points below the values recorded in Tests/Fixtures/assistant-quality.json
/// (which `Benchmarks/assistant` writes), by words alone and, where the embedding sidecar runs, hybrid; and every
/// question nothing answers must get "I don't know".
@Suite struct AssistantQualityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    func expectHolds(_ quality: AssistantQuality, _ recorded: AssistantQuality, _ ranking: String) {
        #expect(quality.recallAt5 >= recorded.recallAt5 - 0.05, "\(ranking): recall@5 \(quality.recallAt5), recorded \(recorded.recallAt5); missed: \(quality.missed.prefix(20))")
        #expect(quality.ndcgAt10 >= recorded.ndcgAt10 - 0.05, "\(ranking): nDCG@10 \(quality.ndcgAt10), recorded \(recorded.ndcgAt10)")
        // Answered (not "I don't know") as often as recorded, within 5 points.
        #expect(Double(quality.answered) / Double(quality.answerable) >= Double(recorded.answered) / Double(recorded.answerable) - 0.05,
                "\(ranking): answered \(quality.answered) of \(quality.answerable), recorded \(recorded.answered) of \(recorded.answerable)")
        #expect(quality.unknownSaid == quality.unanswerable, "\(ranking): answered what nothing answers: \(quality.wronglyKnown)")
    }

    @Test func recallAtFiveHoldsOnTheQuestionSet() async throws {
        let set = try AssistantQuality.QuestionSet.read(Self.fixtures.appendingPathComponent("assistant-questions.json"))
        let recorded = try JSONDecoder().decode(AssistantQuality.Record.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("assistant-quality.json")))
        #expect(set.questions.count >= 200)
        #expect(Set(set.questions.map(\.language)).isSuperset(of: ["en", "hi"]))
        let sidecar = TestSidecar.url
        if TestSidecar.required { #expect(sidecar != nil, "the embedding sidecar did not start") }
        try await withApp(adjusting: { $0.embeddingsURL = sidecar }) { app, _ in
            let national = try await app.token("national")
            let starter = try AssistantDocuments.starter()
            #expect(starter.count >= 20)
            for document in starter {
                let added = try await app.send(.POST, "/api/v1/assistant/documents", token: national,
                                               json: ["kind": document.kind!, "title": document.title!, "language": document.language!, "body": document.body!])
                #expect(added.status == .created, "\(document.title!): \(added.body)")
            }
            expectHolds(try await AssistantQuality.measure(set, semantic: false, app: app, on: app.db), recorded.lexical, "by words")
            if sidecar != nil {
                #expect(try await app.assistantKnowledge.embedded(app: app) > 0)
                let recordedHybrid = try #require(recorded.hybrid, "assistant-quality.json records no hybrid quality: run Benchmarks/assistant")
                expectHolds(try await AssistantQuality.measure(set, app: app, on: app.db), recordedHybrid, "hybrid")
            }
            // Asked through the API, an answerable question is answered, with the right passage cited.
            let reply = try await app.send(.POST, "/api/v1/assistant/ask", token: try await app.token("learner.mha"),
                                           json: ["question": "मुझे प्रमाणपत्र कब मिलेगा?", "language": "hi"])
            let answer = try reply.decoded(AnswerDTO.self)
            #expect(answer.known)
            #expect(answer.answer.first?.section == "प्रमाणपत्र कब मिलता है")
        }
    }
}
