import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// `karmayogi generate --courses N`: fills the database in bulk (not through the API) with published courses
/// in six languages from one generated provider, showing progress. `--learners N --enrolments M`: N learners
/// (password `--password`), each enrolled in the same M generated courses of two required videos, for the
/// progress benchmark; `--manifest FILE` writes their e-mails and the courses' item ids as JSON. The
/// national-scale generator of people, organisations and enrolments (`--scale`) builds on this.
struct GenerateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "courses", help: "how many published courses to add (default 1000)") var courses: Int?
        @Option(name: "seed", help: "the same seed gives the same data (default 2026)") var seed: Int?
        @Option(name: "learners", help: "how many learners to add, enrolled in --enrolments courses each") var learners: Int?
        @Option(name: "enrolments", help: "how many courses each generated learner is enrolled in (default 100)") var enrolments: Int?
        @Option(name: "password", help: "the generated learners' password (default Karmayogi@2026)") var password: String?
        @Option(name: "manifest", help: "write the learners' e-mails and the courses' item ids to this JSON file") var manifest: String?
        @Option(name: "scale", help: "a nation at this fraction of its size (1.0: 15 million people, 80 million enrolments, 4,400 courses)") var scale: Double?
        @Flag(name: "learning-weeks", help: "with --scale: a past national learning week of the published shape, and a national one live from today") var learningWeeks: Bool
        @Option(name: "cascade", help: "a training cascade of the published Jan Seva shape at this fraction (1.0: 822 lead trainers, 15,820 master trainers, 25,388 batches, 7.68 lakh participants), drawn from the people present (after --scale, if given)") var cascade: Double?
    }

    /// What the progress benchmark needs to know about generated learners.
    struct Manifest: Codable {
        struct CourseItems: Codable {
            var id: UUID
            var items: [UUID]
        }

        var password: String
        var emails: [String]
        var courses: [CourseItems]
    }

    var help: String { "Adds generated data in bulk, for benchmarks and trials." }

    func run(using context: CommandContext, signature: Signature) async throws {
        var cascade: CascadeShape?
        if let fraction = signature.cascade {
            guard let shape = CascadeShape.scaled(fraction) else { throw Problem(.badRequest, "--cascade: a fraction of the published cascade, more than 0 and at most 1") }
            cascade = shape
        }
        if let scale = signature.scale {
            guard let nation = NationalScale(scale: scale) else { throw Problem(.badRequest, "--scale: a fraction of the nation, more than 0 and at most 1") }
            let console = context.console
            console.print("A nation at scale \(scale): \(nation.peopleCount) people, about \(nation.enrolmentCount) enrolments, \(nation.courseCount) courses.")
            // A bulk load: a large page cache, the statement journals in memory, and no waiting for the disk (a
            // generation cut short is started again, not recovered).
            try await context.application.sqlitePragmas(["cache_size = -4000000", "temp_store = MEMORY", "synchronous = OFF"])
            let started = Date()
            let totals = try await NationalGenerator.run(nation, seed: UInt64(signature.seed ?? 2026), learningWeeks: signature.learningWeeks, on: context.application.db,
                                                         say: { console.print("\n\($0)…") },
                                                         progress: { what, done, total in
                                                             console.output("\r\(Self.bar(done, of: total)) \(done)/\(total) \(what)".consoleText(), newLine: false)
                                                         })
            let seconds = Date().timeIntervalSince(started)
            console.print("\nAdded \(totals.organisations) organisations, \(totals.people) people, \(totals.courses) courses, \(totals.enrolments) enrolments "
                + "(\(totals.completions) completed), \(totals.plans) plans and \(totals.otherRows) rows of learning days, active days and rollups "
                + "in \(String(format: "%.1f", seconds)) s: \(Int(Double(totals.rows) / max(seconds, 0.001))) rows a second.")
            if let cascade { try await Self.addCascade(cascade, context: context) }
            return
        }
        if let cascade {
            try await context.application.sqlitePragmas(["cache_size = -4000000", "temp_store = MEMORY", "synchronous = OFF"])
            try await Self.addCascade(cascade, context: context)
            if signature.learners == nil && signature.courses == nil { return }
        }
        if let learners = signature.learners {
            let each = signature.enrolments ?? 100
            guard (1...100_000).contains(learners), (1...10_000).contains(each) else {
                throw Problem(.badRequest, "--learners: 1 to 100,000; --enrolments: 1 to 10,000")
            }
            let password = signature.password ?? DemoWorld.password
            let hash = try await context.application.password.async.hash(password)
            let started = Date()
            let manifest = try await Self.addLearners(learners, enrolledIn: each, passwordHash: hash, on: context.application.db) { done in
                context.console.output("\r\(Self.bar(done, of: learners)) \(done)/\(learners) learners".consoleText(), newLine: false)
            }
            if let path = signature.manifest {
                try JSONEncoder().encode(Manifest(password: password, emails: manifest.emails, courses: manifest.courses)).write(to: URL(fileURLWithPath: path))
            }
            context.console.print("\nAdded \(learners) learners enrolled in \(each) courses each (\(learners * each) enrolments) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
            if signature.courses == nil { return }
        }
        let count = signature.courses ?? 1000
        guard (1...1_000_000).contains(count) else { throw Problem(.badRequest, "--courses: give a number from 1 to 1,000,000") }
        let started = Date()
        let provider = try await Self.addCourses(count, seed: UInt64(signature.seed ?? 2026), on: context.application.db) { done in
            context.console.output("\r\(Self.bar(done, of: count)) \(done)/\(count) courses".consoleText(), newLine: false)
        }
        let seconds = Date().timeIntervalSince(started)
        context.console.print("\nAdded \(count) published courses from \(provider.name) in \(String(format: "%.1f", seconds)) s (\(Int(Double(count) / max(seconds, 0.001))) a second).")
    }

    /// Adds a cascade of this shape, showing progress.
    static func addCascade(_ shape: CascadeShape, context: CommandContext) async throws {
        let console = context.console
        console.print("A cascade of \(shape.leads) lead trainers, \(shape.masters) master trainers, \(shape.batches) one-day batches and \(shape.participants) participants.")
        let started = Date()
        let totals = try await CascadeGenerator.run(shape, on: context.application.db) { what, done, total in
            console.output("\r\(Self.bar(done, of: total)) \(done)/\(total) \(what)   ".consoleText(), newLine: false)
        }
        console.print("\nAdded cascade \(totals.cascade): \(totals.certified) certifications, \(totals.batches) batches, \(totals.rows) rows "
            + "in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
    }

    /// Adds `count` published courses from a new provider, 500 to a transaction, telling `progress` how many are in.
    static func addCourses(_ count: Int, seed: UInt64, on database: any Database, progress: (Int) -> Void) async throws -> Organisation {
        var sample = CatalogueSample(seed: seed)
        let provider = Organisation(name: "Generated Course Provider \(UUID().uuidString.prefix(8))", code: "GEN-\(UUID().uuidString.prefix(8))",
                                    type: .courseProvider, parent: nil, stateCode: nil, districtCode: nil, sanctionedStrength: nil)
        try await provider.create(on: database)
        let author = try await User.query(on: database).first()?.id ?? UUID()
        let competencies = Dictionary(grouping: try await Competency.query(on: database).filter(\.$status == .current).all(), by: \.area)
            .mapValues { $0.map { $0.id! } }
        // Each course covers a competency of an area drawn in the mix of the platform's curated catalogue for urban local
        // bodies (60 functional, 60 domain, 30 behavioural courses), among the areas the framework has.
        let areas = [CompetencyArea.functional, .functional, .domain, .domain, .behavioural].filter { competencies[$0] != nil }
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
                    competencies: areas.randomElement(using: &sample.generator).map { area in
                        [RoleRequirement(competencyId: competencies[area]!.randomElement(using: &sample.generator)!, level: 2)]
                    } ?? [],
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

    /// Adds a provider's `courses` published courses (two required videos and an optional link each), an
    /// organisation of `count` active learners, and an enrolment of every learner in every one of those courses.
    static func addLearners(_ count: Int, enrolledIn courses: Int, passwordHash: String, on database: any Database,
                            progress: (Int) -> Void) async throws -> (emails: [String], courses: [Manifest.CourseItems]) {
        let tag = UUID().uuidString.prefix(8).lowercased()
        let organisation = Organisation(name: "Generated learners \(tag)", code: "GEN-L-\(tag)", type: .ministry, parent: nil, stateCode: nil,
                                        districtCode: nil, sanctionedStrength: count)
        try await organisation.create(on: database)
        let competency = try await Competency.query(on: database).filter(\.$status == .current).first()?.id
        let now = Date()
        var manifest: [Manifest.CourseItems] = []
        var courseRows: [[any SQLExpression]] = [], versionRows: [[any SQLExpression]] = []
        for number in 0..<courses {
            let id = UUID()
            let content = CourseContent(
                title: "Benchmark course \(number + 1)", summary: "Generated for the progress benchmark.", description: "", keywords: [], language: "en",
                durationMinutes: 30, competencies: competency.map { [RoleRequirement(competencyId: $0, level: 2)] } ?? [],
                modules: [.init(title: "Module", items: [.init(title: "Part one", kind: .video, durationMinutes: 10, required: true),
                                                         .init(title: "Part two", kind: .video, durationMinutes: 10, required: true),
                                                         .init(title: "Further reading", kind: .link, durationMinutes: 10, required: false, url: "https://example.org")])]
            ).identified()
            manifest.append(.init(id: id, items: content.modules[0].items.prefix(2).map { $0.id! }))
            courseRows.append([SQLBind(id), SQLBind(organisation.id!), SQLBind(organisation.id!), SQLBind(id), SQLBind(Course.Status.published.rawValue),
                               SQLBind(1), SQLBind(1), SQLBind(now), SQLBind(now)])
            versionRows.append([SQLBind(UUID()), SQLBind(id), SQLBind(organisation.id!), SQLBind(1), SQLBind(true), SQLBind(CourseState.published.rawValue),
                                SQLBind(content.title), SQLBind("en"), SQLBind(content), SQLBind(now), SQLBind(now), SQLBind(now)])
        }
        try await database.transaction { [courseRows, versionRows] database in
            let sql = database as! any SQLDatabase
            for start in stride(from: 0, to: courseRows.count, by: 500) {
                try await sql.insert(into: Course.schema).columns("id", "provider_id", "created_by", "family_id", "status", "latest_version",
                                                                  "published_version", "created_at", "updated_at").rows(Array(courseRows[start..<min(start + 500, courseRows.count)])).run()
                try await sql.insert(into: CourseVersion.schema).columns("id", "course_id", "created_by", "version", "is_latest", "state", "title",
                                                                         "language", "content", "published_at", "created_at", "updated_at")
                    .rows(Array(versionRows[start..<min(start + 500, versionRows.count)])).run()
            }
        }
        var emails: [String] = []
        let courseItems = manifest
        for start in stride(from: 0, to: count, by: 100) {
            emails += try await database.transaction { database in
                var added: [String] = []
                // Counted as the platform counts a registration and an enrolment, so `rollups verify` is exact afterwards.
                var tally = RollupTally()
                let day = IndiaDay.of(now)
                for number in start..<min(start + 100, count) {
                    let user = User()
                    user.$organisation.id = organisation.id!
                    user.name = "Learner \(number + 1)"
                    user.email = "learner\(number + 1).\(tag)@generated.example.org"
                    user.language = "en"
                    user.status = .active
                    user.passwordHash = passwordHash
                    try await user.create(on: database)
                    added.append(user.email)
                    let rows: [[any SQLExpression]] = courseItems.map { course in
                        [SQLBind(UUID()), SQLBind(user.id!), SQLBind(course.id), SQLBind(organisation.id!), SQLBind(1), SQLBind(Enrolment.Status.active.rawValue),
                         SQLBind(0.0), SQLBind(0), SQLBind(now), SQLBind(user.id!), SQLBind(now)]
                    }
                    for chunk in stride(from: 0, to: rows.count, by: 500) {
                        try await (database as! any SQLDatabase).insert(into: Enrolment.schema)
                            .columns("id", "user_id", "course_id", "organisation_id", "version", "status", "percent", "seconds_spent", "enrolled_at", "enrolled_by", "updated_at")
                            .rows(Array(rows[chunk..<min(chunk + 500, rows.count)])).run()
                    }
                    let place = Rollups.place(of: user, in: organisation)
                    tally.add(RollupCounters(registrations: 1), place: place, day: IndiaDay.of(user.createdAt ?? now))
                    for course in courseItems { tally.add(RollupCounters(enrolments: 1), place: place, day: day, course: course.id) }
                    if !courseItems.isEmpty {
                        try await Rollups.activity(of: user.id!, place: place, day: day, seconds: [:], into: &tally, on: database)
                    }
                }
                try await Rollups.write(tally, on: database)
                return added
            }
            progress(min(start + 100, count))
        }
        return (emails, manifest)
    }

    static func bar(_ done: Int, of total: Int) -> String {
        let filled = total == 0 ? 30 : done * 30 / total
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "]"
    }
}
