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
    var search: String
}

/// Karmayogi Saathi: answers a question with passages of the platform's own knowledge (FAQ and policy documents, course
/// descriptions, the competency framework, case studies, and the person's own plans and courses), each cited with its
/// link, and the courses that fit. No text is made up: the answer is passages, found and arranged.
enum Assistant {
    static let maxQuestionCharacters = 1_000
    /// Below this confidence the assistant says it does not know (chosen on the question set: see AssistantQualityTests).
    static let threshold = 0.5

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

    static func ask(_ question: String, language: String, for principal: Principal?, app: Application, on database: any Database) async throws -> AnswerDTO {
        let found = try await ranking(question, language: language, for: principal, app: app, on: database)
        let search = "/courses?q=" + (question.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "+", "=", "#"])) ?? "")
        guard found.confidence >= threshold, let best = found.hits.first else {
            return AnswerDTO(question: question, language: language, known: false, answer: [], courses: [], confidence: found.confidence, search: search)
        }
        // Up to three passages, one a document, each at least half as relevant as the best and covering as much of the question.
        var seen: Set<String> = []
        let answer = found.hits.filter { hit in
            hit.score >= best.score / 2 && hit.coverage >= threshold && seen.insert(hit.passage.document).inserted
        }.prefix(3).map { hit in
            AnswerPassageDTO(source: hit.passage.source, title: hit.passage.title, section: hit.passage.section, text: hit.passage.text,
                             link: hit.passage.link, language: hit.passage.language, score: (hit.score * 1000).rounded() / 1000)
        }
        var query = CatalogueQuery()
        query.text = question
        query.limit = 3
        let courses = try await app.catalogueSearch.search(query, on: database).cards.map { card in
            AnswerCourseDTO(id: card.id, title: card.title, summary: card.summary, language: card.language, link: "/courses/\(card.id.uuidString.lowercased())")
        }
        return AnswerDTO(question: question, language: language, known: true, answer: Array(answer), courses: courses,
                         confidence: (found.confidence * 1000).rounded() / 1000, search: search)
    }

    /// The ten passages that answer best, best first, with the confidence in the first: from the shared knowledge and,
    /// when someone asks, their own records.
    static func ranking(_ question: String, language: String, for principal: Principal?, app: Application, on database: any Database) async throws -> PassageIndex.Retrieval {
        let index = try await app.assistantKnowledge.current(app: app, on: database)
        var records: [Passage] = []
        if let principal { records = try await Self.records(of: principal, language: language, app: app, on: database) }
        return index.search(question, language: language, limit: 10, also: records.map(PassageIndex.Entry.init))
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

    private struct Held: Sendable {
        var signatures: [String: ChangeSignature] = [:]
        /// Each shelf's passages, counted, by document.
        var entries: [String: [String: [PassageIndex.Entry]]] = [:]
        var index = PassageIndex()
    }

    private struct State {
        var held = Held()
        var rebuilding: (target: [String: ChangeSignature], task: Task<Held, any Error>)?
    }

    private let state = NIOLockedValueBox(State())

    /// The index as of now. `database` answers the freshness checks; a rebuild reads through `app.db`, as it may outlive
    /// the request that began it while others wait for it.
    func current(app: Application, on database: any Database) async throws -> PassageIndex {
        var signatures: [String: ChangeSignature] = [:]
        for shelf in Self.shelves { signatures[shelf.name] = try await shelf.signature(database) }
        enum Next { case ready(PassageIndex), waitFor(Task<Held, any Error>) }
        let next: Next = state.withLockedValue { state in
            if state.held.signatures == signatures { return .ready(state.held.index) }
            if let running = state.rebuilding, running.target == signatures { return .waitFor(running.task) }
            let known = state.held
            let task = Self.rebuilding(known, to: signatures, app: app)
            state.rebuilding = (signatures, task)
            return .waitFor(task)
        }
        let task: Task<Held, any Error>
        switch next {
        case .ready(let index): return index
        case .waitFor(let running): task = running
        }
        let held = try await task.value
        state.withLockedValue { state in
            if state.rebuilding?.target == held.signatures { state.rebuilding = nil }
            if state.held.signatures != held.signatures { state.held = held }
        }
        return held.index
    }

    private static func rebuilding(_ known: Held, to signatures: [String: ChangeSignature], app: Application) -> Task<Held, any Error> {
        Task { try await rebuild(known, to: signatures, on: app.db) }
    }

    private static func rebuild(_ known: Held, to signatures: [String: ChangeSignature], on database: any Database) async throws -> Held {
        var fresh = known
        for shelf in shelves where known.signatures[shelf.name] != signatures[shelf.name] {
            let since = signatures[shelf.name]!.followsOn(known.signatures[shelf.name])
            if since == nil { fresh.entries[shelf.name] = [:] }
            for (document, passages) in try await shelf.passages(since, database) {
                fresh.entries[shelf.name, default: [:]][document] = passages.isEmpty ? nil : passages.map(PassageIndex.Entry.init)
            }
        }
        // In a fixed order (shelf, then document), so that ties rank the same on every server.
        fresh.index = PassageIndex(entries: shelves.flatMap { shelf in
            (fresh.entries[shelf.name] ?? [:]).sorted { $0.key < $1.key }.flatMap(\.value)
        })
        fresh.signatures = signatures
        return fresh
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
