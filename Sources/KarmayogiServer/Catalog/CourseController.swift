import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct CourseDTO: Content {
    var id: UUID
    var providerId: UUID
    var status: Course.Status
    var version: Int
    var state: CourseState
    var latestVersion: Int
    var publishedVersion: Int?
    var title: String
    var summary: String
    var description: String
    var keywords: [String]
    var language: String
    var durationMinutes: Int
    var competencies: [RoleRequirement]
    var modules: [CourseContent.Module]
    var updatedAt: Date?
    /// Present where the catalogue shows it: the course page and search results.
    var rating: RatingSummaryDTO?
    /// The same course in other languages (published ones; for its provider's people, all).
    var translations: [Translation]?

    struct Translation: Content {
        var id: UUID
        var language: String
        var title: String
    }

    /// `withQuestions`: for the provider's people; everyone else sees an assessment's rules but not its questions and answers.
    init(_ course: Course, _ version: CourseVersion, withQuestions: Bool = true) {
        id = course.id!
        providerId = course.$provider.id
        status = course.status
        self.version = version.version
        state = version.state
        latestVersion = course.latestVersion
        publishedVersion = course.publishedVersion
        title = version.content.title
        summary = version.content.summary
        description = version.content.description
        keywords = version.content.keywords
        language = version.content.language
        durationMinutes = version.content.durationMinutes
        competencies = version.content.competencies
        modules = withQuestions ? version.content.modules : version.content.modules.map { module in
            var module = module
            for index in module.items.indices { module.items[index].assessment?.questions = [] }
            return module
        }
        updatedAt = version.updatedAt
    }
}

struct CourseInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable {
        case title, summary, description, keywords, language, providerId, durationMinutes, competencies, modules, translationOf
    }
    var title: String
    var summary: String?
    var description: String?
    var keywords: [String]?
    var language: String
    var providerId: UUID?
    var durationMinutes: Int
    var competencies: [RoleRequirement]?
    var modules: [CourseContent.Module]?
    /// Creating: the course this one is a translation of.
    var translationOf: UUID?

    var content: CourseContent {
        CourseContent(title: title.trimmed, summary: summary?.trimmed ?? "", description: description?.trimmed ?? "",
                      keywords: (keywords ?? []).map(\.trimmed), language: Language.named(language)?.code ?? language,
                      durationMinutes: durationMinutes, competencies: competencies ?? [], modules: modules ?? [])
    }
}

extension CourseInput {
    /// The input that saves `content` as it is (the course editor's pages change content, then save it this way).
    init(_ content: CourseContent) {
        self.init(title: content.title, summary: content.summary, description: content.description, keywords: content.keywords,
                  language: content.language, durationMinutes: content.durationMinutes, competencies: content.competencies, modules: content.modules)
    }
}

/// A page of the catalogue: the courses, how many match in all, and the counts behind each filter.
struct CataloguePage: Content {
    var items: [CourseCard]
    var nextCursor: NextCursor
    var total: Int
    var facets: [String: [String: Int]]
}

struct CourseTransitionDTO: Content {
    var version: Int
    var action: CourseAction
    var from: CourseState
    var to: CourseState
    var by: UUID
    var comment: String?
    var at: Date?
}

/// The course catalogue's authoring side: providers' people draft, review and publish versions; a
/// published version never changes, and every step is recorded.
enum Courses {
    static func staff(_ principal: Principal?, of provider: Organisation) -> Bool {
        principal?.access.allows(.authorCourses, on: provider.placement) ?? false
    }

    /// The course and the version the caller should see: provider staff the latest, everyone else the published one.
    static func visible(_ id: UUID, to principal: Principal?, on database: any Database) async throws -> (Course, CourseVersion) {
        guard let course = try await Course.query(on: database).filter(\.$id == id).with(\.$provider).first() else { throw Problem.notFound("course") }
        let number = staff(principal, of: course.provider) ? course.latestVersion : course.publishedVersion
        guard let number, let version = try await version(number, of: id, on: database) else { throw Problem.notFound("course") }
        return (course, version)
    }

    /// Each course's title as learners last saw it: its published version, or its latest when never published.
    static func titles(_ ids: [UUID], on database: any Database) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        struct Row: Decodable { var id: UUID; var title: String }
        let rows = try await (database as! any SQLDatabase).select()
            .column(SQLColumn("id", table: "c")).column(SQLColumn("title", table: "v"))
            .from(SQLAlias(SQLIdentifier(Course.schema), as: SQLIdentifier("c")))
            .join(SQLAlias(SQLIdentifier(CourseVersion.schema), as: SQLIdentifier("v")),
                  on: SQLBinaryExpression(SQLBinaryExpression(SQLColumn("course_id", table: "v"), .equal, SQLColumn("id", table: "c")), .and,
                                          SQLBinaryExpression(SQLColumn("version", table: "v"), .equal,
                                                              SQLFunction("COALESCE", args: SQLColumn("published_version", table: "c"), SQLColumn("latest_version", table: "c")))))
            .where(SQLColumn("id", table: "c"), .in, SQLBind.group(ids)).all(decoding: Row.self)
        return Dictionary(rows.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first })
    }

    /// Every version's title, for reports that name the version each learner took.
    static func versionTitles(on sql: any SQLDatabase) async throws -> [CourseVersionKey: String] {
        let rows = try await sql.rows(sql.select().columns("course_id", "version", "title").from(CourseVersion.schema).query) { cells in
            (CourseVersionKey(course: try cells.id(0), version: try cells.int(1) ?? 0), try cells.string(2) ?? "")
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    /// Each course's provider (the organisation that offers it).
    static func providerIDs(of courses: [UUID], on database: any Database) async throws -> [UUID: UUID] {
        guard !courses.isEmpty else { return [:] }
        struct Row: Decodable { var id: UUID; var provider_id: UUID }
        return Dictionary(uniqueKeysWithValues: try await (database as! any SQLDatabase).select().column("id").column("provider_id").from(Course.schema)
            .where("id", .in, SQLBind.group(Array(Set(courses)))).all(decoding: Row.self).map { ($0.id, $0.provider_id) })
    }

    /// The version learners enrol in, when the course is published (read without model decoding: enrolment's hot path).
    /// The published courses of these providers, as (provider, course) pairs.
    static func published(by providers: [UUID], on database: any Database) async throws -> [(provider: UUID, course: UUID)] {
        guard !providers.isEmpty else { return [] }
        struct Row: Decodable { var id: UUID; var provider_id: UUID }
        return try await (database as! any SQLDatabase).select().column("id").column("provider_id").from(Course.schema)
            .where("provider_id", .in, SQLBind.group(providers)).where("status", .equal, SQLBind(Course.Status.published.rawValue))
            .all(decoding: Row.self).map { ($0.provider_id, $0.id) }
    }

    static func publishedVersion(of course: UUID, on database: any Database) async throws -> Int? {
        struct Row: Decodable { var published_version: Int? }
        return try await (database as! any SQLDatabase).select().column("published_version").from(Course.schema)
            .where("id", .equal, SQLBind(course)).where("status", .equal, SQLBind(Course.Status.published.rawValue))
            .first(decoding: Row.self)?.published_version
    }

    static func version(_ number: Int, of course: UUID, on database: any Database) async throws -> CourseVersion? {
        try await CourseVersion.query(on: database).filter(\.$course.$id == course).filter(\.$version == number).first()
    }

    static func checked(_ input: CourseInput, provider: UUID, on database: any Database) async throws -> CourseContent {
        let content = input.content
        let (current, retired) = try await Competencies.states(of: content.competencies.map(\.competencyId), on: database)
        var problems = content.problems(current: current, retired: retired)
        let cases = content.caseItems
        if !cases.isEmpty {
            let published = try await CaseStudies.published(cases.map(\.caseID), on: database)
            problems += cases.filter { !published.contains($0.caseID) }.map { FieldError($0.field, "no published case study has this id") }
        }
        problems += try await Packages.problems(of: content, provider: provider, on: database)
        problems += try await LTITools.problems(of: content, provider: provider, on: database)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        return content.identified()
    }

    static func create(_ input: CourseInput, by principal: Principal, on database: any Database) async throws -> (Course, CourseVersion) {
        guard let providerID = input.providerId else { throw Problem.invalid("providerId", "is required: the organisation that offers the course") }
        guard let provider = try? await Organisations.visible(providerID, to: principal, on: database) else {
            throw Problem.invalid("providerId", "no organisation with that id is visible to you")
        }
        guard principal.access.holds(.contentCreator, on: provider.placement) else {
            throw Problem(.forbidden, "Only a content creator of \(provider.name) may draft its courses.")
        }
        let content = try await checked(input, provider: providerID, on: database)
        var source: (Course, CourseVersion)?
        if let original = input.translationOf {
            source = try? await visible(original, to: principal, on: database)
            guard let source else { throw Problem.invalid("translationOf", "no course with that id is visible to you") }
            if source.1.content.language == content.language {
                throw Problem.invalid("language", "a translation must be in another language than the course it translates")
            }
        }
        let family = source?.0.familyID
        return try await database.transaction { database in
            let course = Course()
            course.id = UUID()
            course.familyID = family ?? course.id!
            course.$provider.id = providerID
            course.createdBy = principal.userID
            course.status = .draft
            course.latestVersion = 1
            try await course.create(on: database)
            let version = CourseVersion(course: course.id!, version: 1, content: content, by: principal.userID)
            try await version.create(on: database)
            return (course, version)
        }
    }

    /// Saves new content: into the draft in the works, or, when the latest version is published, as a new draft version.
    static func update(_ id: UUID, with input: CourseInput, by principal: Principal, on database: any Database) async throws -> (Course, CourseVersion) {
        let (course, latest) = try await visible(id, to: principal, on: database)
        guard principal.access.holds(.contentCreator, on: course.provider.placement) else { throw Problem.forbidden }
        if let providerId = input.providerId, providerId != course.$provider.id {
            throw Problem.invalid("providerId", "a course stays with its provider")
        }
        if input.translationOf != nil { throw Problem.invalid("translationOf", "is given when a translation is created") }
        switch latest.state {
        case .inReview, .approved:
            throw Problem(.conflict, "Version \(latest.version) is \(latest.state == .inReview ? "in review" : "approved"); a reviewer must reject it back to draft before it changes.")
        case .draft, .published, .retired, .superseded:
            break
        }
        let content = try await checked(input, provider: course.$provider.id, on: database)
        return try await database.transaction { database in
            if latest.state == .draft {
                latest.content = content
                latest.title = content.title
                latest.language = content.language
                try await latest.save(on: database)
                return (course, latest)
            }
            latest.isLatest = false
            try await latest.save(on: database)
            course.latestVersion += 1
            try await course.save(on: database)
            let version = CourseVersion(course: course.id!, version: course.latestVersion, content: content, by: principal.userID)
            try await version.create(on: database)
            return (course, version)
        }
    }

    static func transition(_ id: UUID, _ action: CourseAction, comment: String?, by principal: Principal,
                           on database: any Database) async throws -> (Course, CourseVersion) {
        let (course, latest) = try await visible(id, to: principal, on: database)
        guard principal.access.holds(action.role, on: course.provider.placement) else {
            throw Problem(.forbidden, "To \(action.rawValue) a course you need the \(action.role.rawValue) role for \(course.provider.name).")
        }
        guard let next = action.next(from: latest.state) else {
            throw Problem(.conflict, "Version \(latest.version) is \(latest.state.rawValue); it cannot be \(action.rawValue == "submit" ? "submitted" : action.rawValue + "d") from there.")
        }
        if action == .submit || action == .publish {
            let problems = latest.content.publishProblems
            if !problems.isEmpty { throw Problem.invalid(problems) }
        }
        if let comment, comment.count > 2000 { throw Problem.invalid("comment", "must be at most 2,000 characters") }
        if action == .reject, comment?.trimmed.isEmpty ?? true {
            throw Problem.invalid("comment", "say what must change, so the creator can mend it")
        }
        return try await database.transaction { database in
            let from = latest.state
            latest.state = next
            if action == .publish {
                if let previous = course.publishedVersion, let old = try await version(previous, of: id, on: database) {
                    old.state = .superseded
                    try await old.save(on: database)
                }
                latest.publishedAt = Date()
                course.publishedVersion = latest.version
                course.status = .published
                try await Enrolments.move(course: id, to: latest.version, on: database)
            }
            if action == .retire { course.status = .retired }
            try await latest.save(on: database)
            try await course.save(on: database)
            let record = CourseTransition()
            record.courseID = id
            record.version = latest.version
            record.action = action
            record.from = from
            record.to = next
            record.byUser = principal.userID
            record.comment = comment?.trimmed.nilIfEmpty
            try await record.create(on: database)
            return (course, latest)
        }
    }

    struct ListFilter {
        var query: String?
        var language: String?
        var providerId: UUID?
    }

    /// For providers' people: the latest version of every course within their authoring reach, drafts included.
    static func authoring(_ filter: ListFilter, page: PageRequest, for principal: Principal?, on database: any Database) async throws -> Page<CourseDTO> {
        guard let principal else { throw Problem.unauthorised }
        let reach = principal.access.reach(of: .authorCourses)
        guard !reach.isEmpty else { throw Problem(.forbidden, "The authoring view is for providers' content creators, reviewers and publishers.") }
        let query = CourseVersion.query(on: database).join(Course.self, on: \CourseVersion.$course.$id == \Course.$id).filter(\.$isLatest == true)
        if !reach.everything {
            query.join(Organisation.self, on: \Course.$provider.$id == \Organisation.$id).group(.or) { group in
                for path in reach.organisationPaths { group.filter(Organisation.self, \.$path =~ path) }
                if !reach.stateCodes.isEmpty { group.filter(Organisation.self, \.$stateCode ~~ Array(reach.stateCodes)) }
            }
        }
        if let language = filter.language { query.filter(\.$language == language) }
        if let providerId = filter.providerId { query.filter(Course.self, \.$provider.$id == providerId) }
        if let text = filter.query?.trimmed, !text.isEmpty { query.filter(\.$title, database.caseInsensitiveLike, "%\(text)%") }
        let (rows, next) = page.slice(try await query.page(by: \.$title, page).all(), key: \.title, id: { $0.id! })
        return Page(items: try rows.map { CourseDTO(try $0.joined(Course.self), $0) }, nextCursor: next)
    }

    /// The other language versions of a course that the caller may see.
    static func translations(of course: Course, for principal: Principal?, on database: any Database) async throws -> [CourseDTO.Translation] {
        let family = try await Course.query(on: database).filter(\.$familyID == course.familyID).filter(\.$id != course.id!).with(\.$provider).all()
        var translations: [CourseDTO.Translation] = []
        for sibling in family {
            let number = staff(principal, of: sibling.provider) ? sibling.latestVersion : (sibling.status == .published ? sibling.publishedVersion : nil)
            guard let number, let version = try await version(number, of: sibling.id!, on: database) else { continue }
            translations.append(.init(id: sibling.id!, language: version.language, title: version.title))
        }
        return translations.sorted { $0.language < $1.language }
    }

    /// The published catalogue, searched and filtered through the in-memory index, which also holds the page's cards.
    static func search(_ query: CatalogueQuery, app: Application, on database: any Database) async throws -> CataloguePage {
        let (result, cards) = try await app.catalogueSearch.search(query, on: database)
        let end = query.offset + result.ids.count
        let next = end < result.total ? Cursor(key: String(end), id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))).encoded : nil
        return CataloguePage(items: cards, nextCursor: NextCursor(next), total: result.total, facets: result.facets)
    }

    static func history(_ id: UUID, for principal: Principal, on database: any Database) async throws -> [CourseTransitionDTO] {
        let (course, _) = try await visible(id, to: principal, on: database)
        guard staff(principal, of: course.provider) else { throw Problem.notFound("course") }
        return try await CourseTransition.query(on: database).filter(\.$courseID == id).sort(\.$createdAt).all().map {
            CourseTransitionDTO(version: $0.version, action: $0.action, from: $0.from, to: $0.to, by: $0.byUser, comment: $0.comment, at: $0.createdAt)
        }
    }
}

struct CourseController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let courses = routes.grouped("courses")
        courses.post(use: Self.create)
        courses.get(use: Self.list)
        courses.get(":id", use: Self.read)
        courses.put(":id", use: Self.update)
        courses.get(":id", "history", use: Self.history)
        for action in CourseAction.allCases {
            courses.post(":id", PathComponent(stringLiteral: action.rawValue)) { request in try await Self.transition(request, action) }
        }
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let (course, version) = try await Courses.create(try request.decodeStrict(CourseInput.self), by: try request.principal(), on: request.db)
        return try await CourseDTO(course, version).encodeResponse(status: .created, for: request)
    }

    /// The catalogue (searched, filtered, faceted), or with `view=authoring` the courses one works on.
    @Sendable static func list(_ request: Request) async throws -> Response {
        let text = request.queryValues["q"] ?? ""
        if text.count > 200 { throw Problem.invalid("q", "must be at most 200 characters") }
        var language: String?
        if let code = request.queryValues["language"] {
            guard let known = Language.named(code) else { throw Problem.invalid("language", "is not one of the platform's languages") }
            language = known.code
        }
        var providerId: UUID?
        if let id = request.queryValues["providerId"] {
            guard let parsed = UUIDText.parse(id) else { throw Problem.invalid("providerId", "must be a UUID") }
            providerId = parsed
        }
        let view = request.queryValues["view"] ?? "catalogue"
        guard view == "catalogue" || view == "authoring" else { throw Problem.invalid("view", "must be catalogue or authoring") }
        var query = CatalogueQuery()
        query.text = text
        query.language = language
        query.providerId = providerId
        var errors: [FieldError] = []
        if let area = request.queryValues["area"] {
            query.area = CompetencyArea(rawValue: area)
            if query.area == nil { errors.append(.init("area", "must be behavioural, functional or domain")) }
        }
        if let id = request.queryValues["competencyId"] {
            query.competencyId = UUIDText.parse(id)
            if query.competencyId == nil { errors.append(.init("competencyId", "must be a UUID")) }
        }
        if let kind = request.queryValues["kind"] {
            query.kind = ContentKind(rawValue: kind)
            if query.kind == nil { errors.append(.init("kind", "must be one of \(ContentKind.allCases.map(\.rawValue).joined(separator: ", "))")) }
        }
        for (field, keyPath) in [("minDuration", \CatalogueQuery.minDuration), ("maxDuration", \CatalogueQuery.maxDuration)] {
            if let value = request.queryValues[field] {
                guard let minutes = Int(value), minutes >= 0 else { errors.append(.init(field, "must be a whole number of minutes")); continue }
                query[keyPath: keyPath] = minutes
            }
        }
        if let min = query.minDuration, let max = query.maxDuration, min > max { errors.append(.init("minDuration", "must not exceed maxDuration")) }
        if let sort = request.queryValues["sort"] {
            query.sort = CatalogueQuery.Sort(rawValue: sort) ?? .relevance
            if CatalogueQuery.Sort(rawValue: sort) == nil { errors.append(.init("sort", "must be relevance, popularity, rating or newest")) }
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        // Every filter is checked in both views; the authoring view uses q, language and providerId.
        if view == "authoring" {
            let page = try await Courses.authoring(.init(query: text, language: language, providerId: providerId), page: try PageRequest(request),
                                                   for: request.auth.get(Principal.self), on: request.db)
            return try await page.encodeResponse(for: request)
        }
        let page = try PageRequest(request, defaultLimit: 20, maximum: 100)
        if let cursor = page.cursor {
            guard let offset = Int(cursor.key), offset >= 0 else { throw Problem.invalid("cursor", "is not a cursor this list handed out") }
            query.offset = offset
        }
        query.limit = page.limit
        if !errors.isEmpty { throw Problem.invalid(errors) }
        return try request.application.catalogueSearch.response(try await Courses.search(query, app: request.application, on: request.db))
    }

    @Sendable static func read(_ request: Request) async throws -> CourseDTO {
        let principal = request.auth.get(Principal.self)
        let (course, version) = try await Courses.visible(try request.id(of: "course"), to: principal, on: request.db)
        var dto = CourseDTO(course, version, withQuestions: Courses.staff(principal, of: course.provider))
        dto.rating = try await Ratings.summaries(of: [course.id!], on: request.db)[course.id!] ?? .unrated
        dto.translations = try await Courses.translations(of: course, for: principal, on: request.db)
        return dto
    }

    @Sendable static func update(_ request: Request) async throws -> CourseDTO {
        let input = try request.decodeStrict(CourseInput.self)
        let (course, version) = try await Courses.update(try request.id(of: "course"), with: input, by: try request.principal(), on: request.db)
        return CourseDTO(course, version)
    }

    @Sendable static func history(_ request: Request) async throws -> Page<CourseTransitionDTO> {
        Page(items: try await Courses.history(try request.id(of: "course"), for: try request.principal(), on: request.db), nextCursor: nil)
    }

    static func transition(_ request: Request, _ action: CourseAction) async throws -> CourseDTO {
        let principal = try request.principal()
        let comment = try request.decodeStrictIfPresent(CommentInput.self)?.comment
        let (course, version) = try await Courses.transition(try request.id(of: "course"), action, comment: comment, by: principal, on: request.db)
        return CourseDTO(course, version)
    }
}

/// One version of one course.
struct CourseVersionKey: Hashable, Sendable {
    var course: UUID
    var version: Int
}
