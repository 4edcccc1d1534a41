import Fluent
import Foundation
import KarmayogiCore
import NIOConcurrencyHelpers
import Vapor

struct AskInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case question, language }
    var question: String?
    var language: String?
}

struct AnswerPassageDTO: Content, Equatable {
    var source: KnowledgeSource
    var title: String
    var section: String?
    var text: String
    /// Where the whole of it is read.
    var link: String
    var language: String
    var score: Double
    /// The cosine between the question's and the passage's sentence vectors, when the embedding sidecar found it.
    var similarity: Double?
}

struct AnswerCourseDTO: Content, Equatable {
    var id: UUID
    var title: String
    var summary: String
    var language: String
    var link: String
}

struct AnswerDTO: Content {
    var question: String
    var language: String
    /// False when nothing the platform knows answers the question well enough: `answer` is then empty, and `search`
    /// says where to look instead.
    var known: Bool
    var answer: [AnswerPassageDTO]
    var courses: [AnswerCourseDTO]
    /// From 0 to 1: how much of the question the best passage covers, each word weighed by how rare it is.
    var confidence: Double
    /// With the embedding sidecar (English questions): the cosine of the passage whose meaning is nearest the question's.
    var similarity: Double?
    var search: String
}

/// Karmayogi Saathi: answers a question with passages of the platform's own knowledge (FAQ and policy documents, course
/// descriptions, the competency framework, case studies, and the person's own plans and courses), each cited with its
/// link, and the courses that fit. No text is made up: the answer is passages, found and arranged.
enum Assistant {
    static let maxQuestionCharacters = 1_000
    /// Below this confidence the assistant says it does not know (chosen on the question set: see AssistantQualityTests).
    static let threshold = 0.5
    /// With the embedding sidecar, a passage whose sentence vector is at least this near the question's answers it even
    /// when it shares few of its words. Chosen on the question set: the 21 questions nothing answers (among them ten
    /// near the platform's subject, such as pensions, leave or the civil services examination) come no nearer than
    /// 0.39, and the paraphrased questions' answers mostly lie between 0.35 and 0.65.
    static let semanticThreshold = 0.45

    /// The question and language checked: a clear 422 for each wrong field.
    static func checked(_ input: AskInput, defaultLanguage: String) throws -> (question: String, language: String) {
        var errors: [FieldError] = []
        let question = (input.question ?? "").trimmed
        if question.isEmpty { errors.append(.init("question", "is required: what you want to know")) }
        else if question.count > maxQuestionCharacters { errors.append(.init("question", "is at most \(maxQuestionCharacters) characters (it has \(question.count))")) }
        var language = defaultLanguage
        if let given = input.language {
            if let known = Language.named(given) { language = known.code }
            else { errors.append(.init("language", "is not a language code the platform knows (en, hi, ta, …)")) }
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        return (question, language)
    }

    static func ask(_ question: String, language: String, for principal: Principal?, semantic: Bool = true,
                    app: Application, on database: any Database) async throws -> AnswerDTO {
        let found = try await ranking(question, language: language, for: principal, semantic: semantic, app: app, on: database)
        let search = "/courses?q=" + (question.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "+", "=", "#"])) ?? "")
        let similarity = found.similarity.map { ($0 * 1000).rounded() / 1000 }
        guard known(found) else {
            return AnswerDTO(question: question, language: language, known: false, answer: [], courses: [], confidence: found.confidence,
                             similarity: similarity, search: search)
        }
        // Up to three passages, one a document, in the ranking's order: each covering enough of the question and at least
        // half as relevant as the lexically best, or near enough in meaning.
        let best = found.hits.map(\.score).max() ?? 0
        var seen: Set<String> = []
        let answer = found.hits.filter { hit in
            ((hit.score >= best / 2 && hit.coverage >= threshold) || (hit.similarity ?? 0) >= semanticThreshold) && seen.insert(hit.passage.document).inserted
        }.prefix(3).map { hit in
            AnswerPassageDTO(source: hit.passage.source, title: hit.passage.title, section: hit.passage.section, text: hit.passage.text,
                             link: hit.passage.link, language: hit.passage.language, score: (hit.score * 1000).rounded() / 1000,
                             similarity: hit.similarity.map { ($0 * 1000).rounded() / 1000 })
        }
        var query = CatalogueQuery()
        query.text = question
        query.limit = 3
        let courses = try await app.catalogueSearch.search(query, on: database).cards.map { card in
            AnswerCourseDTO(id: card.id, title: card.title, summary: card.summary, language: card.language, link: "/courses/\(card.id.uuidString.lowercased())")
        }
        return AnswerDTO(question: question, language: language, known: true, answer: Array(answer), courses: courses,
                         confidence: (found.confidence * 1000).rounded() / 1000, similarity: similarity, search: search)
    }

    /// Whether something answers the question: the lexically best passage covers enough of it, or (with the sidecar) a
    /// passage is near enough in meaning.
    static func known(_ found: PassageIndex.Retrieval) -> Bool {
        !found.hits.isEmpty && (found.confidence >= threshold || (found.similarity ?? 0) >= semanticThreshold)
    }

    /// The ten passages that answer best, best first, with the confidence in the first: from the shared knowledge and,
    /// when someone asks, their own records.
    /// With `semantic` (and the sidecar running), the ranking is hybrid: the lexical one fused with the passages whose
    /// sentence vectors are nearest the question's.
    static func ranking(_ question: String, language: String, for principal: Principal?, semantic: Bool = true,
                        app: Application, on database: any Database) async throws -> PassageIndex.Retrieval {
        let knowledge = try await app.assistantKnowledge.current(app: app, on: database)
        var records: [Passage] = []
        if let principal { records = try await Self.records(of: principal, language: language, app: app, on: database) }
        var query: PassageIndex.SemanticQuery?
        if semantic, knowledge.vectors.held > 0, PassageVectors.readable(question), let sidecar = app.embeddingSidecar,
           let vector = await sidecar.embed([question], timeout: sidecar.questionTimeout, client: app.client)?.first {
            query = .init(vector: vector, vectors: knowledge.vectors)
        }
        return knowledge.index.search(question, language: language, limit: 10, also: records.map(PassageIndex.Entry.init), semantic: query)
    }

    /// The person's own records as passages, in their language: each live plan (when due, how many courses are left),
    /// each course under way, the certificates they hold.
    static func records(of principal: Principal, language: String, app: Application, on database: any Database) async throws -> [Passage] {
        let t = Catalogue.all[language] ?? Catalogue.all["en"]!
        var passages: [Passage] = []
        func record(_ key: String, _ title: String, _ text: String, link: String) {
            passages.append(Passage(document: "record:\(key)", source: .record, title: title, text: text, link: link, language: t.language))
        }
        for plan in try await Plans.mine(principal, on: database) where plan.standing != .completedOnTime && plan.standing != .completedLate {
            let left = plan.courses.filter { $0.standing != .completedOnTime && $0.standing != .completedLate }.compactMap(\.title)
            let due = IndiaDay.parse(plan.dueDate).map { Formats.date(IndiaDay.start($0), t) } ?? plan.dueDate
            record("plan:\(plan.id)", plan.name, t("assistant.record.plan", ["plan": plan.name, "date": due, "standing": t("standing.\(plan.standing.rawValue)"),
                                                                   "courses": left.joined(separator: ", ")]), link: "/my/plans")
        }
        let underWay = try await Enrolments.underWay(of: principal.userID, limit: 20, on: database)
        let titles = try await Courses.titles(underWay.map(\.courseID), on: database)
        for enrolment in underWay {
            record("enrolment:\(enrolment.courseID)", titles[enrolment.courseID] ?? "", t("assistant.record.underWay", ["course": titles[enrolment.courseID] ?? "",
                                                                                     "percent": Formats.number(Int(enrolment.percent.rounded(.down)))]),
                   link: "/learn/\(enrolment.courseID.uuidString)")
        }
        for certificate in try await Certificates.recent(of: principal.userID, limit: 20, on: database) {
            record("certificate:\(certificate.id!)", certificate.title, t("assistant.record.certificate", ["title": certificate.title, "date": Formats.date(certificate.issuedAt, t)]),
                   link: "/certificates/\(certificate.id!.uuidString)")
        }
        return passages
    }
}

/// The assistant's index of everything but the person's own records, held in memory. Before each question it asks each
/// source for its change signature (one indexed look-up each); when one has moved, it reads only that source's rows
/// changed since (all of them when a row is gone) and builds the index again from the passages it holds. So a document
/// added on another server on the same database is answered from at once. One rebuild runs at a time: questions that
/// meet the same change wait for it rather than each doing the work.
///
/// With the embedding sidecar, the passages' sentence vectors are read the same way from `assistant_embeddings`, and
/// passages that have none yet are sent to the sidecar in the background, a few at a time, and kept there for every node.
final class AssistantKnowledge: Sendable {
    struct Shelf: Sendable {
        var name: String
        var signature: @Sendable (any Database) async throws -> ChangeSignature
        var passages: @Sendable (_ changedSince: Date?, any Database) async throws -> [String: [Passage]]
    }

    static let shelves: [Shelf] = [
        Shelf(name: "documents", signature: AssistantDocuments.knowledgeSignature, passages: { try await AssistantDocuments.knowledge(changedSince: $0, on: $1) }),
        Shelf(name: "catalogue", signature: Courses.knowledgeSignature, passages: { try await Courses.knowledge(changedSince: $0, on: $1) }),
        Shelf(name: "framework", signature: Competencies.knowledgeSignature, passages: { try await Competencies.knowledge(changedSince: $0, on: $1) }),
        Shelf(name: "cases", signature: CaseStudies.knowledgeSignature, passages: { try await CaseStudies.knowledge(changedSince: $0, on: $1) }),
    ]
    /// Passages sent to the sidecar in one request while filling in: small, so that questions asked meanwhile are not
    /// kept waiting behind a long batch.
    static let embeddingBatch = 16

    /// What the index is built from: each source's signature, and the sidecar's model with its vectors' signature.
    struct Target: Equatable, Sendable {
        var signatures: [String: ChangeSignature] = [:]
        var model: String?
        var dimensions = 0
        var embeddings: ChangeSignature?
    }

    /// The index and the passages' vectors (none without the sidecar).
    struct Knowledge: Sendable {
        var index = PassageIndex()
        var vectors = PassageVectors()
        /// Passages the sidecar's model reads that have no vector yet, one a text.
        var unembedded: [(hash: String, text: String)] = []
    }

    private struct Held: Sendable {
        var target = Target()
        /// Each shelf's passages, counted, by document.
        var entries: [String: [String: [PassageIndex.Entry]]] = [:]
        /// The hash of each of the index's passages the model reads (nil for the others), in the index's order.
        var hashes: [String?] = []
        var vectorsByHash: [String: [Float]] = [:]
        var knowledge = Knowledge()
    }

    private struct State {
        var held = Held()
        var rebuilding: (target: Target, task: Task<Held, any Error>)?
        var embedding: Task<Void, Never>?
        var warming: Task<Void, Never>?
        var stopped = false
    }

    private let state = NIOLockedValueBox(State())

    /// The index as of now. `database` answers the freshness checks; a rebuild reads through `app.db`, as it may outlive
    /// the request that began it while others wait for it.
    func current(app: Application, on database: any Database) async throws -> Knowledge {
        var wanted = Target()
        for shelf in Self.shelves { wanted.signatures[shelf.name] = try await shelf.signature(database) }
        if let sidecar = app.embeddingSidecar, let health = await sidecar.health(client: app.client) {
            (wanted.model, wanted.dimensions) = (health.model, health.dimensions)
            wanted.embeddings = try await AssistantEmbeddings.signature(on: database)
        }
        let target = wanted
        enum Next { case ready(Knowledge), waitFor(Task<Held, any Error>) }
        let next: Next = state.withLockedValue { state in
            if state.held.target == target { return .ready(state.held.knowledge) }
            if let running = state.rebuilding, running.target == target { return .waitFor(running.task) }
            let known = state.held
            let task = Task { try await Self.rebuild(known, to: target, on: app.db) }
            state.rebuilding = (target, task)
            return .waitFor(task)
        }
        let knowledge: Knowledge
        switch next {
        case .ready(let ready): knowledge = ready
        case .waitFor(let task):
            let held = try await task.value
            state.withLockedValue { state in
                if state.rebuilding?.target == held.target { state.rebuilding = nil }
                if state.held.target != held.target { state.held = held }
            }
            knowledge = held.knowledge
        }
        if let model = target.model, !knowledge.unembedded.isEmpty { fillIn(knowledge.unembedded, model: model, app: app) }
        return knowledge
    }

    /// Waits until every passage the sidecar's model reads has its vector (or the sidecar stops answering), and
    /// answers how many have one: for the benchmark and the tests, which measure the hybrid ranking whole.
    func embedded(app: Application) async throws -> Int {
        var held = -1
        while true {
            let knowledge = try await current(app: app, on: app.db)
            guard let running = state.withLockedValue({ $0.embedding }), knowledge.vectors.held > held else { return knowledge.vectors.held }
            held = knowledge.vectors.held
            await running.value
        }
    }

    /// Builds the index (and starts the sidecar on the passages without a vector) in the background as the server
    /// starts, so that its first question does not wait for it.
    func warm(app: Application) {
        state.withLockedValue { state in
            guard !state.stopped, state.warming == nil else { return }
            state.warming = Task {
                do { _ = try await self.current(app: app, on: app.db) } catch {
                    app.logger.warning("assistant: the index was not built at start: \(String(reflecting: error))")
                }
            }
        }
    }

    /// Stops the background work (the warm-up, the sidecar's filling in) as the server stops.
    func stop() async {
        let tasks = state.withLockedValue { state in
            state.stopped = true
            return [state.warming, state.embedding].compactMap { $0 }
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// Sends the passages without a vector to the sidecar in the background, unless that is under way already.
    private func fillIn(_ unembedded: [(hash: String, text: String)], model: String, app: Application) {
        guard let sidecar = app.embeddingSidecar else { return }
        state.withLockedValue { state in
            guard state.embedding == nil, !state.stopped else { return }
            let logger = app.logger
            state.embedding = Task { [weak self] in
                var done = 0, reported = 0
                logger.notice("assistant: embedding \(unembedded.count) passages with \(model)")
                for start in stride(from: 0, to: unembedded.count, by: Self.embeddingBatch) where !Task.isCancelled {
                    let batch = Array(unembedded[start..<min(start + Self.embeddingBatch, unembedded.count)])
                    guard let vectors = await sidecar.embed(batch.map(\.text), timeout: .seconds(120), client: app.client) else {
                        logger.warning("assistant: the embedding sidecar stopped answering after \(done) of \(unembedded.count) passages; the rest wait for it")
                        break
                    }
                    do {
                        try await AssistantEmbeddings.store(Array(zip(batch.map(\.hash), vectors)).map { (hash: $0.0, vector: $0.1) },
                                                            model: model, now: Date(), on: app.db)
                    } catch {
                        logger.warning("assistant: embeddings not stored: \(String(reflecting: error))")
                        break
                    }
                    done += batch.count
                    if done * 10 / unembedded.count > reported || done == unembedded.count {
                        reported = done * 10 / unembedded.count
                        logger.notice("assistant: \(done) of \(unembedded.count) passages embedded")
                    }
                }
                self?.state.withLockedValue { $0.embedding = nil }
            }
        }
    }

    private static func rebuild(_ known: Held, to target: Target, on database: any Database) async throws -> Held {
        var fresh = known
        var passagesMoved = false
        for shelf in shelves where known.target.signatures[shelf.name] != target.signatures[shelf.name] {
            passagesMoved = true
            let since = target.signatures[shelf.name]!.followsOn(known.target.signatures[shelf.name])
            if since == nil { fresh.entries[shelf.name] = [:] }
            for (document, passages) in try await shelf.passages(since, database) {
                fresh.entries[shelf.name, default: [:]][document] = passages.isEmpty ? nil : passages.map(PassageIndex.Entry.init)
            }
        }
        if passagesMoved {
            // In a fixed order (shelf, then document), so that ties rank the same on every server.
            fresh.knowledge.index = PassageIndex(entries: shelves.flatMap { shelf in
                (fresh.entries[shelf.name] ?? [:]).sorted { $0.key < $1.key }.flatMap(\.value)
            })
            fresh.hashes = fresh.knowledge.index.passages.map { AssistantEmbeddings.embeddable($0) ? AssistantEmbeddings.hash(of: $0) : nil }
        }
        var vectorsMoved = false
        if let model = target.model, let signature = target.embeddings {
            let since = model == known.target.model ? signature.followsOn(known.target.embeddings) : nil
            if since == nil { fresh.vectorsByHash = [:] }
            if since == nil || signature != known.target.embeddings {
                fresh.vectorsByHash.merge(try await AssistantEmbeddings.vectors(model: model, changedSince: since, on: database)) { $1 }
                vectorsMoved = true
            }
        } else if known.target.model != nil {
            fresh.vectorsByHash = [:]
            vectorsMoved = true
        }
        if passagesMoved || vectorsMoved {
            let (passages, hashes, vectors) = (fresh.knowledge.index.passages, fresh.hashes, fresh.vectorsByHash)
            fresh.knowledge.vectors = PassageVectors(dimensions: target.dimensions, count: passages.count) { hashes[$0].flatMap { vectors[$0] } }
            var seen: Set<String> = []
            fresh.knowledge.unembedded = target.model == nil ? [] : passages.indices.compactMap { number in
                guard let hash = hashes[number], vectors[hash] == nil, seen.insert(hash).inserted else { return nil }
                return (hash, AssistantEmbeddings.text(of: passages[number]))
            }
        }
        fresh.target = target
        return fresh
    }
}

/// Warms the assistant's index when the server starts (`serve`, not the other commands or the tests), and stops its
/// background work when the server stops.
struct AssistantLifecycle: LifecycleHandler {
    func didBootAsync(_ application: Application) async throws {
        let command = application.environment.arguments.dropFirst().first
        guard application.environment != .testing, command == nil || command == "serve" || command?.hasPrefix("-") == true else { return }
        application.assistantKnowledge.warm(app: application)
    }

    func shutdownAsync(_ application: Application) async {
        await application.assistantKnowledge.stop()
    }
}

extension Application {
    private struct AssistantKnowledgeKey: StorageKey { typealias Value = AssistantKnowledge }

    /// Made once by `configure`: one index per process.
    var assistantKnowledge: AssistantKnowledge {
        get { storage[AssistantKnowledgeKey.self]! }
        set { storage[AssistantKnowledgeKey.self] = newValue }
    }
}
