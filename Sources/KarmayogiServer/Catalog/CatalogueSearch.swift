import Fluent
import Foundation
import KarmayogiCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// The published catalogue as a search index held in memory. Before each search it compares a cheap
/// signature of the courses table (count, latest change) with the one it was built from; when another
/// request, or another server on the same database, has changed courses since, it loads just those.
final class CatalogueSearch: Sendable {
    private struct State {
        var index = CatalogueIndex()
        var signature: Signature?
    }

    struct Signature: Decodable, Equatable {
        var count: Int
        var latest: Date?
    }

    private let state = NIOLockedValueBox(State())

    func search(_ query: CatalogueQuery, on database: any Database) async throws -> CatalogueResult {
        let signature = try await Self.signature(on: database)
        let (held, known) = state.withLockedValue { ($0.signature, $0.index) }
        if held != signature {
            var index = known
            // Courses are never deleted, so a known signature means: apply what changed since its latest change.
            let since = held.flatMap { $0.count <= signature.count ? $0.latest : nil }
            try await Self.load(into: &index, changedSince: since, on: database)
            index.prepare()
            state.withLockedValue { $0 = State(index: index, signature: signature) }
        }
        // Searched outside the lock: the index is copy-on-write, so taking it is a reference, and searches run in parallel.
        let index = state.withLockedValue { $0.index }
        return index.search(query)
    }

    private static func signature(on database: any Database) async throws -> Signature {
        try await (database as! any SQLDatabase).select()
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count")
            .column(SQLFunction("MAX", args: SQLColumn("updated_at")), as: "latest")
            .from(Course.schema).first(decoding: Signature.self) ?? Signature(count: 0, latest: nil)
    }

    /// All published courses, or only those changed at or after `since`: those published are (re)entered, the others leave.
    private static func load(into index: inout CatalogueIndex, changedSince since: Date?, on database: any Database) async throws {
        if let since {
            let changed = try await Course.query(on: database).filter(\.$updatedAt >= since).field(\.$id).field(\.$status).all()
            for course in changed where course.status != .published { index.remove(course.id!) }
        } else {
            index = CatalogueIndex()
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
            index.upsert(CatalogueEntry(
                id: course.id!, title: content.title, summary: content.summary, description: content.description, keywords: content.keywords,
                language: content.language, providerId: course.$provider.id,
                competencies: Dictionary(content.competencies.compactMap { requirement in areas[requirement.competencyId].map { (requirement.competencyId, $0) } },
                                         uniquingKeysWith: { first, _ in first }),
                kinds: Set(content.modules.flatMap { $0.items.map(\.kind) }), durationMinutes: content.durationMinutes,
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
