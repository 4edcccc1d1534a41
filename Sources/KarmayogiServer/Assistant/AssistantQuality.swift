import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// How well the assistant finds what answers a question set: recall@5 and nDCG@10 over the questions something answers,
/// and how many of those nothing answers got "I don't know". Measured by `AssistantQualityTests` in CI and by
/// `karmayogi bench-assistant`.
struct AssistantQuality: Codable {
    var questions = 0
    var answerable = 0
    var recallAt5 = 0.0
    var ndcgAt10 = 0.0
    /// Answerable questions the assistant answered (its confidence at or above the threshold).
    var answered = 0
    var unanswerable = 0
    var unknownSaid = 0
    /// Recall@5 over the questions written to avoid the answering passage's words.
    var paraphrases = 0
    var paraphraseRecallAt5 = 0.0
    /// The answerable questions whose passage was not among the first five.
    var missed: [String] = []
    /// The questions nothing answers that were answered all the same.
    var wronglyKnown: [String] = []
    /// Hybrid only: how near in meaning a question nothing answers came to a passage (the highest cosine), which
    /// `Assistant.semanticThreshold` must stay above.
    var nearestUnanswerable: Double?

    /// What `Benchmarks/assistant` records (Tests/Fixtures/assistant-quality.json) and `AssistantQualityTests` holds to: the
    /// quality of the lexical ranking, and of the hybrid one with the embedding sidecar.
    struct Record: Codable {
        var lexical: AssistantQuality
        var hybrid: AssistantQuality?
    }

    /// A question set (Tests/Fixtures/assistant-questions.json): each question, its language, and the document title and
    /// section of each passage that answers it (none: nothing should).
    struct QuestionSet: Decodable {
        struct Question: Decodable {
            struct Answer: Decodable { var title: String; var section: String }
            var question: String
            var language: String
            var answers: [Answer]
            /// Written to avoid the answering passage's words.
            var paraphrase: Bool?
        }
        var questions: [Question]

        static func read(_ url: URL) throws -> QuestionSet {
            try JSONDecoder().decode(QuestionSet.self, from: Data(contentsOf: url))
        }
    }

    /// `semantic`: with the embedding sidecar's ranking fused in, where it runs.
    static func measure(_ set: QuestionSet, semantic: Bool = true, app: Application, on database: any Database) async throws -> AssistantQuality {
        var quality = AssistantQuality()
        var recall = 0.0, ndcg = 0.0
        for asked in set.questions {
            let (question, answers) = (asked.question, asked.answers)
            quality.questions += 1
            let found = try await Assistant.ranking(question, language: asked.language, for: nil, semantic: semantic, app: app, on: database)
            let known = Assistant.known(found)
            guard !answers.isEmpty else {
                if let similarity = found.similarity { quality.nearestUnanswerable = max(quality.nearestUnanswerable ?? -1, similarity) }
                quality.unanswerable += 1
                if known { quality.wronglyKnown.append(question) } else { quality.unknownSaid += 1 }
                continue
            }
            quality.answerable += 1
            if known { quality.answered += 1 }
            let relevant = found.hits.map { hit in answers.contains { $0.title == hit.passage.title && $0.section == hit.passage.section } }
            let atFive = RetrievalQuality.recall(relevant, answers: answers.count, at: 5)
            if atFive == 0 { quality.missed.append(question) }
            if asked.paraphrase == true {
                quality.paraphrases += 1
                quality.paraphraseRecallAt5 += atFive
            }
            recall += atFive
            ndcg += RetrievalQuality.ndcg(relevant, answers: answers.count, at: 10)
        }
        if quality.answerable > 0 {
            quality.recallAt5 = recall / Double(quality.answerable)
            quality.ndcgAt10 = ndcg / Double(quality.answerable)
        }
        if quality.paraphrases > 0 { quality.paraphraseRecallAt5 /= Double(quality.paraphrases) }
        return quality
    }
}
