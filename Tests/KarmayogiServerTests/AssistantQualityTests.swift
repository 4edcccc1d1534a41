import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// The question set (Tests/Fixtures/assistant-questions.json): over two hundred questions in English and Hindi, each with
/// the passage that answers it, asked of the starter documents and the competency framework. Recall@5 may not fall more
/// than 5 points below the value recorded in Tests/Fixtures/assistant-quality.json (which `Benchmarks/assistant`
/// writes), and every question nothing answers must get "I don't know".
@Suite struct AssistantQualityTests {
    struct Recorded: Decodable {
        var recallAt5: Double
        var ndcgAt10: Double
        var answered: Int
        var answerable: Int
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test func recallAtFiveHoldsOnTheQuestionSet() async throws {
        let set = try AssistantQuality.QuestionSet.read(Self.fixtures.appendingPathComponent("assistant-questions.json"))
        let recorded = try JSONDecoder().decode(Recorded.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("assistant-quality.json")))
        #expect(set.questions.count >= 200)
        #expect(Set(set.questions.map(\.language)).isSuperset(of: ["en", "hi"]))
        try await withApp { app, _ in
            let national = try await app.token("national")
            let starter = try AssistantDocuments.starter()
            #expect(starter.count >= 20)
            for document in starter {
                let added = try await app.send(.POST, "/api/v1/assistant/documents", token: national,
                                               json: ["kind": document.kind!, "title": document.title!, "language": document.language!, "body": document.body!])
                #expect(added.status == .created, "\(document.title!): \(added.body)")
            }
            let quality = try await AssistantQuality.measure(set, app: app, on: app.db)
            #expect(quality.recallAt5 >= recorded.recallAt5 - 0.05, "recall@5 \(quality.recallAt5), recorded \(recorded.recallAt5); missed: \(quality.missed.prefix(20))")
            #expect(quality.ndcgAt10 >= recorded.ndcgAt10 - 0.05, "nDCG@10 \(quality.ndcgAt10), recorded \(recorded.ndcgAt10)")
            // Answered (not "I don't know") as often as recorded, within 5 points.
            #expect(Double(quality.answered) / Double(quality.answerable) >= Double(recorded.answered) / Double(recorded.answerable) - 0.05,
                    "answered \(quality.answered) of \(quality.answerable), recorded \(recorded.answered) of \(recorded.answerable)")
            #expect(quality.unknownSaid == quality.unanswerable, "answered what nothing answers: \(quality.wronglyKnown)")
            // Asked through the API, an answerable question is answered, with the right passage cited.
            let reply = try await app.send(.POST, "/api/v1/assistant/ask", token: try await app.token("learner.mha"),
                                           json: ["question": "मुझे प्रमाणपत्र कब मिलेगा?", "language": "hi"])
            let answer = try reply.decoded(AnswerDTO.self)
            #expect(answer.known)
            #expect(answer.answer.first?.section == "प्रमाणपत्र कब मिलता है")
        }
    }
}
