import Fluent
import Foundation
import KarmayogiCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// A course as a catalogue listing shows it: all but the module tree. The index holds one per published
/// course, so a page of results is answered from memory, ratings included: a rating that changes the summary moves
/// the course's `updated_at`, which brings the card up to date.
struct CourseCard: Content {
    var id: UUID
    var providerId: UUID
    var version: Int
    var title: String
    var summary: String
    var keywords: [String]
    var language: String
    var durationMinutes: Int
    var competencies: [RoleRequirement]
    var kinds: [ContentKind]
    var itemCount: Int
    var publishedAt: Date
    var rating: RatingSummaryDTO?
}

/// The published catalogue as a search index held in memory. Before each search it asks for the latest
/// change to any course (one index lookup) and compares it with the one it was built from; when another
/// request, or another server on the same database, has changed courses since, it loads just those.
final class CatalogueSearch: Sendable {
    private struct State {
        var index = CatalogueIndex()
        var cards: [UUID: CourseCard] = [:]
        /// The competency areas each course covers.
        var areas: [UUID: Set<CompetencyArea>] = [:]
        var signature: Signature?
        /// Each card's JSON as last answered, for its version and rating.
        var encoded: [UUID: (version: Int, rating: RatingSummaryDTO?, json: ByteBuffer)] = [:]
    }

    struct Signature: Decodable, Equatable {
        var latest: Date?
    }

    private let state = NIOLockedValueBox(State())

    /// The matching courses' cards, in order, with the total and the facet counts.
    func search(_ query: CatalogueQuery, on database: any Database) async throws -> (result: CatalogueResult, cards: [CourseCard]) {
        let (index, cards) = try await current(on: database)
        let result = index.search(query)
        return (result, result.ids.compactMap { cards[$0] })
    }

    /// A page of the catalogue as the API answers it (a `CataloguePage`), each card's JSON encoded once for its version
    /// and rating and kept while neither changes (encoding the cards was a third of a search's time).
    func response(_ page: CataloguePage) throws -> Response {
        let encoder = try ContentConfiguration.global.requireEncoder(for: .json)
        func json(_ value: some Encodable) throws -> ByteBuffer {
            var buffer = ByteBuffer(), headers = HTTPHeaders()
            try encoder.encode(value, to: &buffer, headers: &headers)
            return buffer
        }
        let kept = state.withLockedValue { state in
            page.items.map { card in state.encoded[card.id].flatMap { $0.version == card.version && $0.rating == card.rating ? $0.json : nil } }
        }
        var made: [(card: CourseCard, json: ByteBuffer)] = []
        var body = ByteBuffer()
        body.writeStaticString("{\"items\":[")
        for (position, (card, held)) in zip(page.items, kept).enumerated() {
            if position > 0 { body.writeStaticString(",") }
            var cardJSON = try held ?? {
                let fresh = try json(card)
                made.append((card, fresh))
                return fresh
            }()
            body.writeBuffer(&cardJSON)
        }
        body.writeStaticString("],\"nextCursor\":")
        if let next = page.nextCursor.value { body.writeJSONString(next) } else { body.writeStaticString("null") }
        body.writeString(",\"total\":\(page.total),\"facets\":{")
        // Written here rather than by the encoder, which spent as long on these counts as on the cards.
        for (position, (name, counts)) in page.facets.enumerated() {
            if position > 0 { body.writeStaticString(",") }
            body.writeJSONString(name)
            body.writeStaticString(":{")
            for (place, (value, count)) in counts.enumerated() {
                if place > 0 { body.writeStaticString(",") }
                body.writeJSONString(value)
                body.writeString(":\(count)")
            }
            body.writeStaticString("}")
        }
        body.writeStaticString("}}")
        if !made.isEmpty {
            state.withLockedValue { state in
                // Only for cards still in the index (a refresh may have come between the search and now).
                for (card, json) in made where state.cards[card.id]?.version == card.version { state.encoded[card.id] = (card.version, card.rating, json) }
            }
        }
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(buffer: body))
    }

    /// The published version of a course, as of now, or nil when it is not published.
    func publishedVersion(of courseID: UUID, on database: any Database) async throws -> Int? {
        _ = try await current(on: database)
        return state.withLockedValue { $0.cards[courseID]?.version }
    }

    /// Every published course's card, as of now.
    func cards(on database: any Database) async throws -> [UUID: CourseCard] {
        try await current(on: database).cards
    }

    /// Every published course's card and the competency areas it covers, as of now (one freshness check for both).
    func cardsAndAreas(on database: any Database) async throws -> (cards: [UUID: CourseCard], areas: [UUID: Set<CompetencyArea>]) {
        _ = try await current(on: database)
        return state.withLockedValue { ($0.cards, $0.areas) }
    }

    /// The index and cards, brought up to date with the database first.
    private func current(on database: any Database) async throws -> (index: CatalogueIndex, cards: [UUID: CourseCard]) {
        let signature = try await Self.signature(on: database)
        let known = state.withLockedValue { $0 }
        if known.signature != signature {
            var fresh = known
            // Every change moves `updated_at` forward, so a known signature means: apply what changed since its latest change.
            // (Going backwards means the database was replaced: load it all.)
            let since = known.signature?.latest.flatMap { held in signature.latest.map { $0 >= held } == true ? held : nil }
            try await Self.load(into: &fresh, changedSince: since, on: database)
            fresh.index.prepare()
            fresh.signature = signature
            state.withLockedValue { $0 = fresh }
        }
        // Searched outside the lock: the index is copy-on-write, so taking it is a reference, and searches run in parallel.
        return state.withLockedValue { ($0.index, $0.cards) }
    }

    private static let signatureQuery: SQLQueryString = "SELECT MAX(updated_at) AS latest FROM \(ident: Course.schema)"

    private static func signature(on database: any Database) async throws -> Signature {
        // As text, so the statement is not built anew for every search.
        try await (database as! any SQLDatabase).raw(signatureQuery).first(decoding: Signature.self) ?? Signature(latest: nil)
    }

    /// All published courses, or only those changed at or after `since`: those published are (re)entered, the others leave.
    private static func load(into state: inout State, changedSince since: Date?, on database: any Database) async throws {
        if let since {
            let changed = try await Course.query(on: database).filter(\.$updatedAt >= since).field(\.$id).field(\.$status).all()
            for course in changed where course.status != .published {
                state.index.remove(course.id!)
                state.cards[course.id!] = nil
                state.areas[course.id!] = nil
                state.encoded[course.id!] = nil
            }
        } else {
            state = State()
        }
        let query = CourseVersion.query(on: database).join(Course.self, on: \CourseVersion.$course.$id == \Course.$id)
            .filter(\.$state == .published).filter(Course.self, \.$status == .published)
        if let since { query.filter(Course.self, \.$updatedAt >= since) }
        let versions = try await query.all()
        let areas = Dictionary(uniqueKeysWithValues: try await Competency.query(on: database).field(\.$id).field(\.$area).all().map { ($0.id!, $0.area) })
        let ratings = try await Ratings.summaries(of: versions.map { $0.$course.id }, on: database)
        for version in versions {
            let course = try version.joined(Course.self)
            let content = version.content
            let items = content.modules.flatMap(\.items)
            state.encoded[course.id!] = nil
            state.areas[course.id!] = Set(content.competencies.compactMap { areas[$0.competencyId] })
            state.cards[course.id!] = CourseCard(
                id: course.id!, providerId: course.$provider.id, version: version.version, title: content.title, summary: content.summary,
                keywords: content.keywords, language: content.language, durationMinutes: content.durationMinutes, competencies: content.competencies,
                kinds: ContentKind.allCases.filter { kind in items.contains { $0.kind == kind } }, itemCount: items.count,
                publishedAt: version.publishedAt ?? version.updatedAt ?? Date(), rating: ratings[course.id!] ?? .unrated)
            state.index.upsert(CatalogueEntry(
                id: course.id!, title: content.title, summary: content.summary, description: content.description, keywords: content.keywords,
                language: content.language, providerId: course.$provider.id,
                competencies: Dictionary(content.competencies.compactMap { requirement in areas[requirement.competencyId].map { (requirement.competencyId, $0) } },
                                         uniquingKeysWith: { first, _ in first }),
                kinds: Set(items.map(\.kind)), durationMinutes: content.durationMinutes,
                rating: ratings[course.id!]?.average ?? 0,
                publishedAt: version.publishedAt ?? version.updatedAt ?? Date()))
        }
    }
}

extension Application {
    private struct CatalogueSearchKey: StorageKey { typealias Value = CatalogueSearch }

    /// Made once by `configure`: one index per process.
    var catalogueSearch: CatalogueSearch {
        get { storage[CatalogueSearchKey.self]! }
        set { storage[CatalogueSearchKey.self] = newValue }
    }
}
