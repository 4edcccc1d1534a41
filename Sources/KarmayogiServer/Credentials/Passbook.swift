import Fluent
import Foundation
import KarmayogiCore
import Vapor

struct PassbookDTO: Content {
    struct Evidence: Content {
        var id: UUID
        var source: PassbookEntry.Source
        var status: PassbookEntry.Status
        var level: Int
        var courseId: UUID?
        var certificateId: UUID?
        var note: String?
        var date: Date?
    }

    struct Item: Content {
        var competencyId: UUID
        var theme: String
        var subTheme: String?
        var area: CompetencyArea
        /// The highest level reached with verified evidence (a course, or an approved declaration); nil while only declared.
        var level: Int?
        var evidence: [Evidence]
    }

    var items: [Item]
}

struct DeclarationInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case competencyId, level, note }
    var competencyId: UUID
    var level: Int
    var note: String?
}

struct DecisionInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case note }
    var note: String
}

struct DeclarationDTO: Content {
    var id: UUID
    var userId: UUID
    var userName: String?
    var competencyId: UUID
    var level: Int
    var status: PassbookEntry.Status
    var note: String?
    var declaredAt: Date?
}

enum Passbook {
    static func of(_ userID: UUID, on database: any Database) async throws -> PassbookDTO {
        let entries = try await PassbookEntry.query(on: database).filter(\.$userID == userID).sort(\.$createdAt).all()
        let competencies = try await Competency.query(on: database).filter(\.$id ~~ Array(Set(entries.map(\.competencyID)))).all()
        let named = Dictionary(uniqueKeysWithValues: competencies.map { ($0.id!, $0) })
        let items: [PassbookDTO.Item] = Dictionary(grouping: entries, by: \.competencyID).compactMap { id, entries in
            guard let competency = named[id] else { return nil }
            let verified = entries.filter { $0.status == .verified }.map(\.level)
            return PassbookDTO.Item(
                competencyId: id, theme: competency.theme, subTheme: competency.subTheme, area: competency.area, level: verified.max(),
                evidence: entries.map { .init(id: $0.id!, source: $0.source, status: $0.status, level: $0.level, courseId: $0.courseID,
                                              certificateId: $0.certificateID, note: $0.note, date: $0.createdAt) })
        }
        return PassbookDTO(items: items.sorted { ($0.level ?? 0, $1.theme) > ($1.level ?? 0, $0.theme) })
    }

    /// A learner says they hold a competency at a level; it stays unverified until their MDO admin approves it.
    static func declare(_ input: DeclarationInput, by principal: Principal, on database: any Database) async throws -> PassbookEntry {
        var errors: [FieldError] = []
        if !ProficiencyLevel.range.contains(input.level) { errors.append(.init("level", "must be a level from 1 to 5")) }
        let note = input.note?.trimmed ?? ""
        if note.count > 1000 { errors.append(.init("note", "must be at most 1,000 characters")) }
        let (current, _) = try await Competencies.states(of: [input.competencyId], on: database)
        if !current.contains(input.competencyId) { errors.append(.init("competencyId", "is not a current competency of the framework")) }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        let pending = try await PassbookEntry.query(on: database).filter(\.$userID == principal.userID).filter(\.$competencyID == input.competencyId)
            .filter(\.$source == .declared).filter(\.$status == .unverified).count()
        guard pending == 0 else { throw Problem(.conflict, "You already declared this competency; your MDO admin has not decided on it yet.") }
        let entry = PassbookEntry(user: principal.userID, competency: input.competencyId, level: input.level, source: .declared, status: .unverified)
        entry.note = note.isEmpty ? nil : note
        try await entry.create(on: database)
        return entry
    }

    /// The learner's MDO admin (or anyone who manages people where the learner is) approves or rejects a declaration, with a note.
    static func decide(_ id: UUID, approve: Bool, note: String, by principal: Principal, on database: any Database) async throws -> PassbookEntry {
        guard let entry = try await PassbookEntry.find(id, on: database), entry.source == .declared,
              let (user, organisation) = try? await Users.visible(entry.userID, to: principal, on: database),
              entry.userID != principal.userID || principal.access.isNationalAdmin
        else { throw Problem.notFound("declaration") }
        guard principal.access.allows(.manageUsers, on: Users.placement(of: user, in: organisation)) else { throw Problem.notFound("declaration") }
        let note = note.trimmed
        guard (1...1000).contains(note.count) else { throw Problem.invalid("note", "say what the decision rests on, in 1–1,000 characters") }
        guard entry.status == .unverified else { throw Problem(.conflict, "This declaration was already \(entry.status == .verified ? "approved" : "rejected").") }
        entry.status = approve ? .verified : .rejected
        entry.note = [entry.note, note].compactMap { $0 }.joined(separator: " — ")
        entry.decidedBy = principal.userID
        entry.decidedAt = Date()
        try await entry.save(on: database)
        return entry
    }

    /// The levels a person's passbook shows verified (by courses and approved declarations).
    static func verified(of userID: UUID, on database: any Database) async throws -> [RoleRequirement] {
        try await PassbookEntry.query(on: database).filter(\.$userID == userID).filter(\.$status == .verified).all()
            .map { RoleRequirement(competencyId: $0.competencyID, level: $0.level) }
    }

    /// Declarations waiting for a decision from anyone this person manages (the oldest thousand looked at).
    static func pending(for principal: Principal, on database: any Database) async throws -> [(entry: PassbookEntry, user: User)] {
        let entries = try await PassbookEntry.query(on: database).join(User.self, on: \PassbookEntry.$userID == \User.$id)
            .join(Organisation.self, on: \User.$organisation.$id == \Organisation.$id)
            .filter(\.$source == .declared).filter(\.$status == .unverified).sort(\.$createdAt).limit(1000).all()
        return try entries.compactMap { entry in
            let user = try entry.joined(User.self), organisation = try entry.joined(Organisation.self)
            guard user.id != principal.userID, principal.access.allows(.manageUsers, on: Users.placement(of: user, in: organisation)) else { return nil }
            return (entry, user)
        }
    }

    static func dto(_ entry: PassbookEntry, name: String? = nil) -> DeclarationDTO {
        DeclarationDTO(id: entry.id!, userId: entry.userID, userName: name, competencyId: entry.competencyID, level: entry.level, status: entry.status,
                       note: entry.note, declaredAt: entry.createdAt)
    }
}

struct PassbookController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("me", "passbook", use: Self.mine)
        routes.post("me", "passbook", "declarations", use: Self.declare)
        routes.get("orgs", ":id", "declarations", use: Self.pending)
        routes.post("declarations", ":id", "approve") { request in try await Self.decide(request, approve: true) }
        routes.post("declarations", ":id", "reject") { request in try await Self.decide(request, approve: false) }
    }

    @Sendable static func mine(_ request: Request) async throws -> PassbookDTO {
        try await Passbook.of(try request.principal().userID, on: request.db)
    }

    @Sendable static func declare(_ request: Request) async throws -> Response {
        let entry = try await Passbook.declare(try request.decodeStrict(DeclarationInput.self), by: try request.principal(), on: request.db)
        return try await Passbook.dto(entry).encodeResponse(status: .created, for: request)
    }

    /// Declarations waiting for a decision from people of an organisation's subtree that the caller manages.
    @Sendable static func pending(_ request: Request) async throws -> Page<DeclarationDTO> {
        let principal = try request.principal()
        let organisation = try await Organisations.visible(try request.id(of: "organisation"), to: principal, on: request.db)
        guard principal.access.allows(.manageUsers, on: organisation.placement) else { throw Problem.forbidden }
        let entries = try await PassbookEntry.query(on: request.db).join(User.self, on: \PassbookEntry.$userID == \User.$id)
            .join(Organisation.self, on: \User.$organisation.$id == \Organisation.$id)
            .filter(Organisation.self, \.$path =~ organisation.path)
            .filter(\.$source == .declared).filter(\.$status == .unverified).sort(\.$createdAt).limit(500).all()
        return Page(items: try entries.map { Passbook.dto($0, name: try $0.joined(User.self).name) }, nextCursor: nil)
    }

    static func decide(_ request: Request, approve: Bool) async throws -> DeclarationDTO {
        let input = try request.decodeStrict(DecisionInput.self)
        return Passbook.dto(try await Passbook.decide(try request.id(of: "declaration"), approve: approve, note: input.note, by: try request.principal(), on: request.db))
    }
}
