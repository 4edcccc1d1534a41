import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// `karmayogi bench-assistant`: on an empty database, measures the assistant's quality on the question set over the
/// starter documents and the competency framework (the corpus of `AssistantQualityTests`, and writes it to `--record`);
/// then adds `--courses` published courses and `--documents` documents and measures quality again and the time of
/// whole answers (`Assistant.ask` for a learner with courses under way: freshness checks, ranking, the person's records,
/// the courses that fit). For `Benchmarks/assistant`; prints one line per measurement.
struct AssistantBenchmarkCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "questions", help: "the question set (Tests/Fixtures/assistant-questions.json)") var questions: String?
        @Option(name: "record", help: "where to write the quality over the starter corpus (JSON)") var record: String?
        @Option(name: "courses", help: "published courses to add (default 10000)") var courses: Int?
        @Option(name: "documents", help: "documents to add (default 1000)") var documents: Int?
        @Option(name: "asks", help: "answers timed (default 2000)") var asks: Int?
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
        let starter = try await AssistantQuality.measure(set, app: app, on: database)
        context.console.print(Self.line("starter documents and the framework", starter))
        if let record = signature.record {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(starter).write(to: URL(fileURLWithPath: record))
        }

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
        let index = try await app.assistantKnowledge.current(app: app, on: database)
        context.console.print("index of \(index.count) passages (\(courseCount) courses, \(documentCount) documents and the starter set added) built in "
            + "\(Int(InsightsBenchmarkCommand.milliseconds(ContinuousClock.now - started))) ms")
        let large = try await AssistantQuality.measure(set, app: app, on: database)
        context.console.print(Self.line("with those added", large))

        // A learner with three courses under way, whose records are read with every answer.
        let learners = try await GenerateCommand.addLearners(1, enrolledIn: 3, passwordHash: "-", on: database) { _ in }
        guard let id = try await Users.ids(ofEmails: learners.emails, on: database).values.first,
              let learner = try await Principal.load(userID: id, on: database)
        else { throw Abort(.internalServerError, reason: "the learner was not made") }
        let asks = signature.asks ?? 2_000
        var times: [Double] = []
        var known = 0
        for number in 0..<asks {
            let asked = set.questions[number % set.questions.count]
            let (question, language) = (asked.question, asked.language)
            let started = ContinuousClock.now
            let answer = try await Assistant.ask(question, language: language, for: learner, app: app, on: database)
            times.append(InsightsBenchmarkCommand.milliseconds(ContinuousClock.now - started))
            known += answer.known ? 1 : 0
        }
        context.console.print("answers over \(index.count) passages (\(known) of \(asks) known): p50 \(InsightsBenchmarkCommand.percentile(times, 0.5)) ms, "
            + "p99 \(InsightsBenchmarkCommand.percentile(times, 0.99)) ms, max \(InsightsBenchmarkCommand.percentile(times, 1)) ms")
    }

    static func line(_ corpus: String, _ quality: AssistantQuality) -> String {
        func share(_ value: Double) -> String { String(format: "%.3f", value) }
        return "quality over \(corpus): \(quality.questions) questions (\(quality.answerable) answerable): recall@5 \(share(quality.recallAt5)), "
            + "nDCG@10 \(share(quality.ndcgAt10)), answered \(quality.answered) of \(quality.answerable), "
            + "\"I don't know\" to \(quality.unknownSaid) of \(quality.unanswerable) that nothing answers"
    }
}
