import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// `karmayogi bench-assistant`: on an empty database, measures the assistant's quality on the question set over the
/// starter documents and the competency framework (the corpus of `AssistantQualityTests`, and writes it to `--record`),
/// by words alone and, with the embedding sidecar (`EMBEDDINGS_URL`), hybrid; then adds `--courses` published courses
/// and `--documents` documents and measures quality again and the time of whole answers (`Assistant.ask` for a learner
/// with courses under way: freshness checks, ranking, the person's records, the courses that fit), without the sidecar
/// and, with `--hybrid-large`, with it (every English passage of the large corpus is embedded first, with progress).
/// For `Benchmarks/assistant`; prints one line per measurement.
struct AssistantBenchmarkCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "questions", help: "the question set (Tests/Fixtures/assistant-questions.json)") var questions: String?
        @Option(name: "record", help: "where to write the quality over the starter corpus (JSON)") var record: String?
        @Option(name: "courses", help: "published courses to add (default 10000)") var courses: Int?
        @Option(name: "documents", help: "documents to add (default 1000)") var documents: Int?
        @Option(name: "asks", help: "answers timed (default 2000)") var asks: Int?
        @Flag(name: "hybrid-large", help: "with the sidecar, embed the large corpus too and measure hybrid answers over it") var hybridLarge: Bool
    }

    var help: String { "Measures the assistant's recall@5, nDCG@10 and answer times in-process (for Benchmarks/assistant)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let database = app.db
        guard let path = signature.questions else { throw Abort(.badRequest, reason: "--questions: the question set's path") }
        let set = try AssistantQuality.QuestionSet.read(URL(fileURLWithPath: path))
        guard try await AssistantDocuments.all(on: database).isEmpty else { throw Abort(.badRequest, reason: "start from an empty database") }
        let author = UUID()
        for document in try AssistantDocuments.starter() {
            _ = try await AssistantDocuments.write(document, to: nil, by: author, now: Date(), on: database)
        }
        let starter = try await AssistantQuality.measure(set, semantic: false, app: app, on: database)
        context.console.print(Self.line("starter documents and the framework, by words", starter))
        var record = AssistantQuality.Record(lexical: starter)
        if app.embeddingSidecar != nil {
            try await Self.embed(app, context: context)
            let hybrid = try await AssistantQuality.measure(set, app: app, on: database)
            context.console.print(Self.line("starter documents and the framework, hybrid", hybrid))
            record.hybrid = hybrid
        }
        if let path = signature.record {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(record).write(to: URL(fileURLWithPath: path))
        }

        // Without --hybrid-large the large corpus is measured by words alone: the sidecar is let go, so that it fills
        // in no vectors while answers are timed.
        if !signature.hybridLarge { app.embeddingSidecar = nil }
        let courseCount = signature.courses ?? 10_000, documentCount = signature.documents ?? 1_000
        _ = try await GenerateCommand.addCourses(courseCount, seed: 22, on: database) { _ in }
        var sample = CatalogueSample(seed: 23)
        for number in 0..<documentCount {
            // A circular of five parts, each written like a course description, in the sample's languages.
            let parts = (0..<5).map { part in sample.course(number: number * 5 + part) }
            let body = parts.map { "# \($0.title)\n\($0.summary) \($0.description)" }.joined(separator: "\n\n")
            let input = AssistantDocumentInput(kind: number % 4 == 0 ? "policy" : "faq", title: "Circular \(number + 1): \(parts[0].title)",
                                               language: parts[0].language, body: body)
            _ = try await AssistantDocuments.write(input, to: nil, by: author, now: Date(), on: database)
        }
        let started = ContinuousClock.now
        let index = try await app.assistantKnowledge.current(app: app, on: database).index
        context.console.print("index of \(index.count) passages (\(courseCount) courses, \(documentCount) documents and the starter set added) built in "
            + "\(Int(InsightsBenchmarkCommand.milliseconds(ContinuousClock.now - started))) ms")
        // With the sidecar, every vector is made first: the answers by words are then timed with nothing running beside them.
        if app.embeddingSidecar != nil { try await Self.embed(app, context: context) }
        let large = try await AssistantQuality.measure(set, semantic: false, app: app, on: database)
        context.console.print(Self.line("with those added, by words", large))

        // A learner with three courses under way, whose records are read with every answer.
        let learners = try await GenerateCommand.addLearners(1, enrolledIn: 3, passwordHash: "-", on: database) { _ in }
        guard let id = try await Users.ids(ofEmails: learners.emails, on: database).values.first,
              let learner = try await Principal.load(userID: id, on: database)
        else { throw Abort(.internalServerError, reason: "the learner was not made") }
        let asks = signature.asks ?? 2_000
        func timeAnswers(semantic: Bool, _ ranking: String) async throws {
            var times: [Double] = []
            var known = 0
            for number in 0..<asks {
                let asked = set.questions[number % set.questions.count]
                let started = ContinuousClock.now
                let answer = try await Assistant.ask(asked.question, language: asked.language, for: learner, semantic: semantic, app: app, on: database)
                times.append(InsightsBenchmarkCommand.milliseconds(ContinuousClock.now - started))
                known += answer.known ? 1 : 0
            }
            context.console.print("answers \(ranking) over \(index.count) passages (\(known) of \(asks) known): p50 \(InsightsBenchmarkCommand.percentile(times, 0.5)) ms, "
                + "p99 \(InsightsBenchmarkCommand.percentile(times, 0.99)) ms, max \(InsightsBenchmarkCommand.percentile(times, 1)) ms")
        }
        try await timeAnswers(semantic: false, "by words")
        if app.embeddingSidecar != nil {
            context.console.print(Self.line("with those added, hybrid", try await AssistantQuality.measure(set, app: app, on: database)))
            try await timeAnswers(semantic: true, "hybrid")
        }
    }

    /// Waits for every English passage to have its vector from the sidecar (the server logs its progress), and says how long it took.
    static func embed(_ app: Application, context: CommandContext) async throws {
        let started = ContinuousClock.now
        let held = try await app.assistantKnowledge.embedded(app: app)
        context.console.print("\(held) passages embedded by the sidecar in \(Int(InsightsBenchmarkCommand.milliseconds(ContinuousClock.now - started))) ms")
    }

    static func line(_ corpus: String, _ quality: AssistantQuality) -> String {
        func share(_ value: Double) -> String { String(format: "%.3f", value) }
        return "quality over \(corpus): \(quality.questions) questions (\(quality.answerable) answerable): recall@5 \(share(quality.recallAt5)), "
            + "nDCG@10 \(share(quality.ndcgAt10)), recall@5 of the \(quality.paraphrases) paraphrased \(share(quality.paraphraseRecallAt5)), answered \(quality.answered) of \(quality.answerable), "
            + "\"I don't know\" to \(quality.unknownSaid) of \(quality.unanswerable) that nothing answers"
    }
}
