import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct CompetencyDTO: Content {
    struct Level: Content {
        var level: Int
        var description: String
    }

    var id: UUID
    var key: String
    var area: CompetencyArea
    var theme: String
    var subTheme: String?
    var description: String
    var domain: String?
    var ownerOrganisationId: UUID?
    var status: Competency.Status
    var addedInVersion: Int
    var retiredInVersion: Int?
    var levels: [Level]

    init(_ competency: Competency) {
        id = competency.id!
        key = competency.key
        area = competency.area
        theme = competency.theme
        subTheme = competency.subTheme
        description = competency.description
        domain = competency.domain
        ownerOrganisationId = competency.ownerOrganisationID
        status = competency.status
        addedInVersion = competency.addedInVersion
        retiredInVersion = competency.retiredInVersion
        levels = ProficiencyLevel.range.map { level in
            Level(level: level, description: competency.levels?[String(level)] ?? ProficiencyLevel.generic[level]!)
        }
    }
}

struct NewCompetencyInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case area, theme, subTheme, description, domain, organisationId, levels }
    var area: CompetencyArea
    var theme: String
    var subTheme: String?
    var description: String
    var domain: String?
    var organisationId: UUID?
    var levels: [CompetencyDTO.Level]?
}

struct CommentInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case comment }
    var comment: String?
}

/// The competency framework: read by everyone, grown by the national admin (any area) and by MDO admins
/// (domain competencies of their own organisations), and changed only by retiring, never by deleting.
enum Competencies {
    /// Competencies by id, named as people read them ("Theme › Sub-theme").
    static func names(_ ids: [UUID], on database: any Database) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        return Dictionary(uniqueKeysWithValues: try await Competency.query(on: database).filter(\.$id ~~ Array(Set(ids))).all().map { ($0.id!, $0.displayName) })
    }

    /// Competencies by id (those that exist).
    static func byID(_ ids: [UUID], on database: any Database) async throws -> [UUID: Competency] {
        guard !ids.isEmpty else { return [:] }
        return Dictionary(uniqueKeysWithValues: try await Competency.query(on: database).filter(\.$id ~~ Array(Set(ids))).all().map { ($0.id!, $0) })
    }

    /// Competencies by id as a credential cites them: "Theme › Sub-theme", and the framework's code.
    static func labels(_ ids: [UUID], on database: any Database) async throws -> [UUID: (name: String, code: String)] {
        guard !ids.isEmpty else { return [:] }
        struct Row: Decodable { var id: UUID; var key: String; var theme: String; var sub_theme: String? }
        let rows = try await (database as! any SQLDatabase).select().columns("id", "key", "theme", "sub_theme").from(Competency.schema)
            .where("id", .in, SQLBind.group(Array(Set(ids)))).all(decoding: Row.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, ([$0.theme, $0.sub_theme].compactMap { $0 }.joined(separator: " › "), $0.key)) })
    }

    struct ListFilter {
        var area: CompetencyArea?
        var query: String?
        var includeRetired = false
    }

    static func list(_ filter: ListFilter, page: PageRequest, on database: any Database) async throws -> Page<CompetencyDTO> {
        let query = Competency.query(on: database)
        if let area = filter.area { query.filter(\.$area == area) }
        if !filter.includeRetired { query.filter(\.$status == .current) }
        if let text = filter.query?.trimmed, !text.isEmpty {
            let pattern = "%\(text)%", like = database.caseInsensitiveLike
            query.group(.or) { $0.filter(\.$theme, like, pattern).filter(\.$subTheme, like, pattern).filter(\.$description, like, pattern) }
        }
        let (rows, next) = page.slice(try await query.page(by: \.$key, page).all(), key: \.key, id: { $0.id! })
        return Page(items: rows.map(CompetencyDTO.init), nextCursor: next)
    }

    /// Which of `ids` are current and which retired.
    static func states(of ids: [UUID], on database: any Database) async throws -> (current: Set<UUID>, retired: Set<UUID>) {
        guard !ids.isEmpty else { return ([], []) }
        let found = try await Competency.query(on: database).filter(\.$id ~~ Array(Set(ids))).field(\.$id).field(\.$status).all()
        return (Set(found.filter { $0.status == .current }.map { $0.id! }), Set(found.filter { $0.status == .retired }.map { $0.id! }))
    }

    static func find(_ id: UUID, on database: any Database) async throws -> Competency {
        guard let competency = try await Competency.find(id, on: database) else { throw Problem.notFound("competency") }
        return competency
    }

    static func add(_ input: NewCompetencyInput, by principal: Principal, on database: any Database) async throws -> Competency {
        var errors: [FieldError] = []
        let theme = input.theme.trimmed, subTheme = input.subTheme?.trimmed.nilIfEmpty, description = input.description.trimmed
        if theme.isEmpty || theme.count > 200 { errors.append(.init("theme", "must be 1–200 characters")) }
        if let subTheme, subTheme.count > 200 { errors.append(.init("subTheme", "must be at most 200 characters")) }
        if description.isEmpty || description.count > 4000 { errors.append(.init("description", "must be 1–4000 characters")) }
        let domain = input.domain?.trimmed.nilIfEmpty
        if input.area == .domain, domain == nil { errors.append(.init("domain", "is required for a domain competency (e.g. Health, Revenue, Railways)")) }
        if input.area != .domain, domain != nil { errors.append(.init("domain", "applies to domain competencies only")) }
        var levels: [String: String]?
        if let given = input.levels {
            let numbers = given.map(\.level)
            if Set(numbers) != Set(ProficiencyLevel.range) || numbers.count != 5 {
                errors.append(.init("levels", "describe each of the levels 1–5 exactly once"))
            } else if given.contains(where: { $0.description.trimmed.isEmpty }) {
                errors.append(.init("levels", "each level needs a description"))
            } else {
                levels = Dictionary(uniqueKeysWithValues: given.map { (String($0.level), $0.description.trimmed) })
            }
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }

        var owner: Organisation?
        if input.area == .domain {
            if let organisationId = input.organisationId {
                owner = try? await Organisations.visible(organisationId, to: principal, on: database)
                if owner == nil { throw Problem.invalid("organisationId", "no organisation with that id is visible to you") }
            }
            let allowed = principal.access.isNationalAdmin
                || owner.map { principal.access.allows(.addDomainCompetencies, on: $0.placement) } == true
            guard allowed else {
                throw Problem(.forbidden, owner == nil ? "Name the organisation whose domain this is (organisationId)."
                    : "Only that organisation's MDO admin (or a national admin) may add its domain competencies.",
                              errors: owner == nil ? [.init("organisationId", "is required unless you are a national admin")] : [])
            }
        } else {
            guard principal.access.isNationalAdmin else {
                throw Problem(.forbidden, "Behavioural and functional competencies belong to the national framework; only a national admin may add them.")
            }
            if input.organisationId != nil { throw Problem.invalid("organisationId", "applies to domain competencies only") }
        }
        let entry = CompetencyEntry(area: input.area, theme: theme, subTheme: subTheme, description: description)
        let key = entry.key(inDomain: domain)
        if try await Competency.query(on: database).filter(\.$key == key).count() > 0 {
            throw Problem(.conflict, "The framework already has this competency (\(key)).", errors: [.init("theme", "already exists")])
        }
        let ownerID = owner?.id, describedLevels = levels
        return try await database.transaction { database in
            try await Competency.add(entry, domain: domain, owner: ownerID, levels: describedLevels, by: principal.userID, on: database)
        }
    }

    static func retire(_ id: UUID, comment: String?, by principal: Principal, on database: any Database) async throws -> Competency {
        let competency = try await find(id, on: database)
        var allowed = principal.access.isNationalAdmin
        if !allowed, competency.area == .domain, let ownerID = competency.ownerOrganisationID,
           let owner = try await Organisation.find(ownerID, on: database) {
            allowed = principal.access.allows(.addDomainCompetencies, on: owner.placement)
        }
        guard allowed else { throw Problem.forbidden }
        guard competency.status == .current else {
            throw Problem(.conflict, "This competency was already retired in framework version \(competency.retiredInVersion ?? 0).")
        }
        if let comment, comment.count > 2000 { throw Problem.invalid("comment", "must be at most 2000 characters") }
        return try await database.transaction { database in
            let note = comment?.trimmed.nilIfEmpty.map { ": \($0)" } ?? ""
            competency.retiredInVersion = try await FrameworkVersion.next("retired \(competency.key)\(note)", by: principal.userID, on: database)
            competency.status = .retired
            try await competency.save(on: database)
            return competency
        }
    }
}

struct CompetencyController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let competencies = routes.grouped("competencies")
        competencies.get(use: Self.list)
        competencies.post(use: Self.add)
        competencies.get(":id", use: Self.read)
        competencies.post(":id", "retire", use: Self.retire)
    }

    @Sendable static func list(_ request: Request) async throws -> Page<CompetencyDTO> {
        var filter = Competencies.ListFilter()
        if let text = request.query[String.self, at: "area"] {
            guard let area = CompetencyArea(rawValue: text) else { throw Problem.invalid("area", "must be behavioural, functional or domain") }
            filter.area = area
        }
        filter.query = request.query[String.self, at: "q"]
        if let query = filter.query, query.unicodeScalars.count > 200 { throw Problem.invalid("q", "must be at most 200 characters (Unicode code points)") }
        if let text = request.query[String.self, at: "includeRetired"] {
            guard let value = Bool(text) else { throw Problem.invalid("includeRetired", "must be true or false") }
            filter.includeRetired = value
        }
        return try await Competencies.list(filter, page: try PageRequest(request), on: request.db)
    }

    @Sendable static func read(_ request: Request) async throws -> CompetencyDTO {
        CompetencyDTO(try await Competencies.find(try request.id(of: "competency"), on: request.db))
    }

    @Sendable static func add(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let competency = try await Competencies.add(try request.decodeStrict(NewCompetencyInput.self), by: principal, on: request.db)
        return try await CompetencyDTO(competency).encodeResponse(status: .created, for: request)
    }

    @Sendable static func retire(_ request: Request) async throws -> CompetencyDTO {
        let principal = try request.principal()
        let comment = try request.decodeStrictIfPresent(CommentInput.self)?.comment
        return CompetencyDTO(try await Competencies.retire(try request.id(of: "competency"), comment: comment, by: principal, on: request.db))
    }
}
