import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct OrganisationDTO: Content {
    var id: UUID
    var name: String
    var code: String
    var type: OrganisationType
    var parentId: UUID?
    var stateCode: Int?
    var districtCode: Int?
    var sanctionedStrength: Int?
    var createdAt: Date?

    init(_ organisation: Organisation) {
        id = organisation.id!
        name = organisation.name
        code = organisation.code
        type = organisation.organisationType
        parentId = organisation.$parent.id
        stateCode = organisation.stateCode
        districtCode = organisation.districtCode
        sanctionedStrength = organisation.sanctionedStrength
        createdAt = organisation.createdAt
    }
}

struct OrganisationInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case name, code, type, parentId, stateCode, districtCode, sanctionedStrength }
    var name: String
    var code: String
    var type: OrganisationType
    var parentId: UUID?
    var stateCode: Int?
    var districtCode: Int?
    var sanctionedStrength: Int?
}

struct OrganisationPatch: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case name, code, districtCode, sanctionedStrength }
    var name: String?
    var code: String?
    var districtCode: Int?
    var sanctionedStrength: Int?
}

/// An organisation as reports name and place it.
struct OrganisationEntry: Sendable {
    var id: UUID
    var name: String
    var code: String
    var stateCode: Int?
    var districtCode: Int?
    var path: String
}

/// The organisation tree: who may see and shape which part of it.
enum Organisations {
    /// Organisations' names by id (those that exist).
    static func names(_ ids: [UUID], on database: any Database) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        struct Row: Decodable { var id: UUID; var name: String }
        return Dictionary(uniqueKeysWithValues: try await (database as! any SQLDatabase).select().column("id").column("name").from(Organisation.schema)
            .where("id", .in, SQLBind.group(Array(Set(ids)))).all(decoding: Row.self).map { ($0.id, $0.name) })
    }

    /// Every organisation, for reports and walks that place people: a few thousand rows, read once per report.
    static func directory(on sql: any SQLDatabase) async throws -> [OrganisationEntry] {
        try await sql.rows(sql.select().columns("id", "name", "code", "state_code", "district_code", "path").from(Organisation.schema).query) { cells in
            OrganisationEntry(id: try cells.id(0), name: try cells.string(1) ?? "", code: try cells.string(2) ?? "",
                              stateCode: try cells.int(3), districtCode: try cells.int(4), path: try cells.string(5) ?? "/")
        }
    }

    /// The organisation with this code, if there is one.
    static func id(ofCode code: String, on database: any Database) async throws -> UUID? {
        try await Organisation.query(on: database).filter(\.$code == code).first()?.id
    }

    /// A State's organisations of one type (its departments, its training institutes), by name.
    static func ofState(_ code: Int, type: OrganisationType, on database: any Database) async throws -> [Organisation] {
        try await Organisation.query(on: database).filter(\.$stateCode == code).filter(\.$type == type.rawValue).sort(\.$name).limit(1_000).all()
    }

    /// The organisations of these ids that exist.
    static func located(_ ids: [UUID], on database: any Database) async throws -> [Organisation] {
        guard !ids.isEmpty else { return [] }
        return try await Organisation.query(on: database).filter(\.$id ~~ Array(Set(ids))).all()
    }

    static func find(_ id: UUID, on database: any Database) async throws -> Organisation? {
        try await Organisation.find(id, on: database)
    }

    /// Training institutes by name: all of them (`within` nil), or those in the given subtrees.
    static func trainingInstitutes(within paths: [String]?, limit: Int = 500, on database: any Database) async throws -> [Organisation] {
        let query = Organisation.query(on: database).filter(\.$type == OrganisationType.trainingInstitute.rawValue)
        if let paths {
            guard !paths.isEmpty else { return [] }
            query.group(.or) { group in for path in paths { group.filter(\.$path =~ path) } }
        }
        return try await query.sort(\.$name).limit(limit).all()
    }

    /// An organisation the principal may see (its own, its ancestors, or any within reach), else 404.
    static func visible(_ id: UUID, to principal: Principal, on database: any Database) async throws -> Organisation {
        guard let organisation = try await Organisation.find(id, on: database),
              principal.organisationPath.hasPrefix(organisation.path)
                || principal.access.allows(.viewOrganisations, on: organisation.placement)
        else { throw Problem.notFound("organisation") }
        return organisation
    }

    /// An organisation the principal administers (national admins reach every one); 403 with `reason` for one they
    /// only see, 404 for one out of sight.
    static func managed(_ id: UUID, by principal: Principal, on database: any Database, else reason: String) async throws -> Organisation {
        let organisation = try await visible(id, to: principal, on: database)
        guard principal.access.allows(.manageOrganisations, on: organisation.placement) else { throw Problem(.forbidden, reason) }
        return organisation
    }

    static func create(_ input: OrganisationInput, by principal: Principal, on database: any Database) async throws -> Organisation {
        var parent: Organisation?
        if let parentId = input.parentId {
            parent = try? await visible(parentId, to: principal, on: database)
            if parent == nil { throw Problem.invalid("parentId", "no organisation with that id is visible to you") }
        }
        let stateCode = input.stateCode ?? parent?.stateCode
        let draft = OrganisationDraft(name: input.name.trimmed, code: input.code.trimmed, type: input.type,
                                      parent: parent.map { ($0.organisationType, $0.stateCode) }, stateCode: stateCode,
                                      districtCode: input.districtCode, sanctionedStrength: input.sanctionedStrength)
        let problems = draft.problems(in: .reference)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let organisation = Organisation(name: draft.name, code: draft.code, type: draft.type, parent: parent,
                                        stateCode: stateCode, districtCode: draft.districtCode, sanctionedStrength: draft.sanctionedStrength)
        guard principal.access.allows(.manageOrganisations, on: organisation.placement) else {
            throw Problem(.forbidden, parent == nil
                ? "Only a national admin (or a State's admin, for that State) may create an organisation at the top of the tree."
                : "Your roles do not allow creating organisations there.")
        }
        try await ensureCodeIsFree(draft.code, except: nil, on: database)
        try await organisation.create(on: database)
        return organisation
    }

    static func update(_ id: UUID, with patch: OrganisationPatch, by principal: Principal, on database: any Database) async throws -> Organisation {
        let organisation = try await visible(id, to: principal, on: database)
        guard principal.access.allows(.manageOrganisations, on: organisation.placement) else { throw Problem.forbidden }
        let parent = try await organisation.$parent.get(on: database)
        let draft = OrganisationDraft(name: patch.name?.trimmed ?? organisation.name, code: patch.code?.trimmed ?? organisation.code,
                                      type: organisation.organisationType, parent: parent.map { ($0.organisationType, $0.stateCode) },
                                      stateCode: organisation.stateCode, districtCode: patch.districtCode ?? organisation.districtCode,
                                      sanctionedStrength: patch.sanctionedStrength ?? organisation.sanctionedStrength)
        let problems = draft.problems(in: .reference)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        if draft.code != organisation.code { try await ensureCodeIsFree(draft.code, except: id, on: database) }
        organisation.name = draft.name
        organisation.code = draft.code
        organisation.districtCode = draft.districtCode
        organisation.sanctionedStrength = draft.sanctionedStrength
        try await organisation.save(on: database)
        return organisation
    }

    /// Moves an organisation, and everything under it, under another parent (or to the top of the tree): within the
    /// admin's reach at both ends, by the tree's rules, never under its own organisations.
    static func move(_ id: UUID, under parentID: UUID?, by principal: Principal, on database: any Database) async throws -> Organisation {
        let organisation = try await visible(id, to: principal, on: database)
        guard principal.access.allows(.manageOrganisations, on: organisation.placement) else { throw Problem.notFound("organisation") }
        var parent: Organisation?
        if let parentID {
            parent = try? await visible(parentID, to: principal, on: database)
            if parent == nil { throw Problem.invalid("parentId", "no organisation with that id is visible to you") }
        }
        let current = try await organisation.$parent.get(on: database)
        if let problem = OrganisationMove.problem(moving: organisation.path, currentParentPath: current?.path, to: parent?.path) { throw Problem.invalid([problem]) }
        let draft = OrganisationDraft(name: organisation.name, code: organisation.code, type: organisation.organisationType,
                                      parent: parent.map { ($0.organisationType, $0.stateCode) }, stateCode: organisation.stateCode,
                                      districtCode: organisation.districtCode, sanctionedStrength: organisation.sanctionedStrength)
        let problems = draft.problems(in: .reference).filter { $0.field == "parentId" || $0.field == "stateCode" }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let newPath = OrganisationMove.newPath(of: organisation.path, under: parent?.path)
        let landing = Placement(organisationPath: newPath, stateCodes: organisation.stateCode.map { [$0] } ?? [])
        guard principal.access.allows(.manageOrganisations, on: landing) else {
            throw Problem(.forbidden, parent == nil ? "Only a national admin (or a State's admin, for that State) may put an organisation at the top of the tree."
                                                    : "Your roles do not reach the organisation you chose as the new parent.")
        }
        let oldPath = organisation.path
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            // Every path under the old one takes the new prefix, in one statement (the cut is a number, not a value sent).
            try await sql.update(Organisation.schema)
                .set("path", to: SQLQueryString("\(bind: newPath) || SUBSTR(\(ident: "path"), \(unsafeRaw: String(oldPath.count + 1)))"))
                .where("path", .like, SQLBind(oldPath + "%")).run()
            // Through the model, so the change is announced to the signed-in people's caches (`OrganisationChangeMiddleware`).
            organisation.$parent.id = parentID
            organisation.path = newPath
            try await organisation.save(on: database)
        }
        return try await Organisation.find(id, on: database)!
    }

    private static func ensureCodeIsFree(_ code: String, except id: UUID?, on database: any Database) async throws {
        let taken = try await Organisation.query(on: database).filter(\.$code == code).first()
        if let taken, taken.id != id { throw Problem(.conflict, "Another organisation already has code \(code).", errors: [.init("code", "is taken")]) }
    }

    struct ListFilter {
        var type: OrganisationType?
        var stateCode: Int?
        var parentId: UUID?
        var query: String?
    }

    static func list(_ filter: ListFilter, page: PageRequest, for principal: Principal, on database: any Database) async throws -> Page<OrganisationDTO> {
        let query = Organisation.query(on: database)
        let reach = principal.access.reach(of: .viewOrganisations)
        if !reach.everything {
            let ownLineage = principal.organisationPath.split(separator: "/").compactMap { UUIDText.parse(String($0)) }
            query.group(.or) { group in
                group.filter(\.$id ~~ ownLineage)
                for path in reach.organisationPaths { group.filter(\.$path =~ path) }
                if !reach.stateCodes.isEmpty { group.filter(\.$stateCode ~~ Array(reach.stateCodes)) }
            }
        }
        if let type = filter.type { query.filter(\.$type == type.rawValue) }
        if let stateCode = filter.stateCode { query.filter(\.$stateCode == stateCode) }
        if let parentId = filter.parentId { query.filter(\.$parent.$id == parentId) }
        if let text = filter.query?.trimmed, !text.isEmpty {
            query.group(.or) { $0.filter(\.$name, database.caseInsensitiveLike, "%\(text)%").filter(\.$code == text) }
        }
        let (rows, next) = page.slice(try await query.page(by: \.$name, page).all(), key: \.name, id: { $0.id! })
        return Page(items: rows.map(OrganisationDTO.init), nextCursor: next)
    }
}

struct OrganisationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let orgs = routes.grouped("orgs")
        orgs.post(use: Self.create)
        orgs.get(use: Self.list)
        orgs.get(":id", use: Self.read)
        orgs.patch(":id", use: Self.update)
        orgs.post(":id", "move", use: Self.move)
        orgs.get(":id", "capacity-building-unit", use: Self.unit)
        orgs.put(":id", "capacity-building-unit", use: Self.recordUnit)
    }

    struct MoveInput: StrictInput {
        enum Fields: String, CodingKey, CaseIterable { case parentId }
        var parentId: UUID?
    }

    @Sendable static func move(_ request: Request) async throws -> OrganisationDTO {
        let input = try request.decodeStrict(MoveInput.self)
        return OrganisationDTO(try await Organisations.move(try request.id(of: "organisation"), under: input.parentId, by: try request.principal(), on: request.db))
    }

    @Sendable static func unit(_ request: Request) async throws -> CapacityBuildingUnitDTO {
        let organisation = try await Organisations.visible(try request.id(of: "organisation"), to: try request.principal(), on: request.db)
        guard let unit = try await CapacityBuildingUnits.of(organisation.id!, on: request.db) else { throw Problem.notFound("capacity building unit") }
        return unit
    }

    @Sendable static func recordUnit(_ request: Request) async throws -> CapacityBuildingUnitDTO {
        let input = try request.decodeStrict(CapacityBuildingUnitInput.self)
        return try await CapacityBuildingUnits.record(input, for: try request.id(of: "organisation"), by: try request.principal(), on: request.db)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let organisation = try await Organisations.create(try request.decodeStrict(OrganisationInput.self), by: principal, on: request.db)
        return try await OrganisationDTO(organisation).encodeResponse(status: .created, for: request)
    }

    @Sendable static func read(_ request: Request) async throws -> OrganisationDTO {
        OrganisationDTO(try await Organisations.visible(try request.id(of: "organisation"), to: try request.principal(), on: request.db))
    }

    @Sendable static func update(_ request: Request) async throws -> OrganisationDTO {
        let patch = try request.decodeStrict(OrganisationPatch.self)
        return OrganisationDTO(try await Organisations.update(try request.id(of: "organisation"), with: patch, by: try request.principal(), on: request.db))
    }

    @Sendable static func list(_ request: Request) async throws -> Page<OrganisationDTO> {
        var filter = Organisations.ListFilter()
        if let text = try? request.query.get(String.self, at: "type") {
            guard let type = OrganisationType(rawValue: text) else {
                throw Problem.invalid("type", "must be one of \(OrganisationType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.type = type
        }
        if let text = try? request.query.get(String.self, at: "stateCode") {
            guard let code = Int(text), request.geography.state(code: code) != nil else { throw Problem.invalid("stateCode", "is not the LGD code of a State/UT") }
            filter.stateCode = code
        }
        if let text = try? request.query.get(String.self, at: "parentId") {
            guard let id = UUIDText.parse(text) else { throw Problem.invalid("parentId", "must be a UUID") }
            filter.parentId = id
        }
        filter.query = try? request.query.get(String.self, at: "q")
        if let query = filter.query, query.count > 200 { throw Problem.invalid("q", "must be at most 200 characters") }
        return try await Organisations.list(filter, page: try PageRequest(request), for: try request.principal(), on: request.db)
    }
}
