import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// `karmayogi generate --courses N`: fills the database in bulk (not through the API) with published courses
/// in six languages from one generated provider, showing progress. The national-scale generator of people,
/// organisations and enrolments (`--scale`) builds on this.
struct GenerateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "courses", help: "how many published courses to add (default 1000)") var courses: Int?
        @Option(name: "seed", help: "the same seed gives the same data (default 2026)") var seed: Int?
    }

    var help: String { "Adds generated data in bulk, for benchmarks and trials." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let count = signature.courses ?? 1000
        guard (1...1_000_000).contains(count) else { throw Problem(.badRequest, "--courses: give a number from 1 to 1,000,000") }
        let started = Date()
        let provider = try await Self.addCourses(count, seed: UInt64(signature.seed ?? 2026), on: context.application.db) { done in
            context.console.output("\r\(Self.bar(done, of: count)) \(done)/\(count) courses".consoleText(), newLine: false)
        }
        let seconds = Date().timeIntervalSince(started)
        context.console.print("\nAdded \(count) published courses from \(provider.name) in \(String(format: "%.1f", seconds)) s (\(Int(Double(count) / max(seconds, 0.001))) a second).")
    }

    /// Adds `count` published courses from a new provider, 500 to a transaction, telling `progress` how many are in.
    static func addCourses(_ count: Int, seed: UInt64, on database: any Database, progress: (Int) -> Void) async throws -> Organisation {
        var sample = CatalogueSample(seed: seed)
        let provider = Organisation(name: "Generated Course Provider \(UUID().uuidString.prefix(8))", code: "GEN-\(UUID().uuidString.prefix(8))",
                                    type: .courseProvider, parent: nil, stateCode: nil, districtCode: nil, sanctionedStrength: nil)
        try await provider.create(on: database)
        let author = try await User.query(on: database).first()?.id ?? UUID()
        let competencies = try await Competency.query(on: database).filter(\.$status == .current).all().map { $0.id! }
        for start in stride(from: 0, to: count, by: 500) {
            let now = Date()
            var courses: [[any SQLExpression]] = []
            var versions: [[any SQLExpression]] = []
            for number in start..<min(start + 500, count) {
                let made = sample.course(number: number)
                let id = UUID()
                let content = CourseContent(
                    title: made.title, summary: made.summary, description: made.description, keywords: made.keywords, language: made.language,
                    durationMinutes: made.minutes,
                    competencies: competencies.isEmpty ? [] : [RoleRequirement(competencyId: competencies.randomElement(using: &sample.generator)!, level: 2)],
                    modules: [.init(title: "Module", items: [.init(title: "Lesson", kind: ContentKind.allCases.randomElement(using: &sample.generator)!,
                                                                   durationMinutes: made.minutes, required: true, url: "https://example.org/lesson")])]
                ).identified()
                courses.append([SQLBind(id), SQLBind(provider.id!), SQLBind(author), SQLBind(id), SQLBind(Course.Status.published.rawValue),
                                SQLBind(1), SQLBind(1), SQLBind(now), SQLBind(now)])
                versions.append([SQLBind(UUID()), SQLBind(id), SQLBind(author), SQLBind(1), SQLBind(true), SQLBind(CourseState.published.rawValue),
                                 SQLBind(made.title), SQLBind(made.language), SQLBind(content),
                                 SQLBind(now), SQLBind(now), SQLBind(now)])
            }
            try await database.transaction { [courses, versions] database in
                let sql = database as! any SQLDatabase
                try await sql.insert(into: Course.schema).columns("id", "provider_id", "created_by", "family_id", "status", "latest_version",
                                                                  "published_version", "created_at", "updated_at").rows(courses).run()
                try await sql.insert(into: CourseVersion.schema).columns("id", "course_id", "created_by", "version", "is_latest", "state", "title",
                                                                         "language", "content", "published_at", "created_at", "updated_at").rows(versions).run()
            }
            progress(min(start + 500, count))
        }
        return provider
    }

    static func bar(_ done: Int, of total: Int) -> String {
        let filled = total == 0 ? 30 : done * 30 / total
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "]"
    }
}
