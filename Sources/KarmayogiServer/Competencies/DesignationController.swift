import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct RequirementDTO: Content {
    var competencyId: UUID
    var level: Int
    var area: CompetencyArea?
    var theme: String?
    var subTheme: String?
    var status: Competency.Status?
}

struct DesignationDTO: Content {
    var organisationId: UUID
    var designation: String
    var competencies: [RequirementDTO]
    var updatedAt: Date?
}

struct DesignationSummaryDTO: Content {
    var designation: String
    var competencyCount: Int
    var people: Int
}

struct DesignationInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case competencies }
    var competencies: [RoleRequirement]
}

struct DesignationImportDTO: Content {
    var designations: [String]
    var requirements: Int
}

/// Role mapping: for each designation of an organisation, the competencies and minimum levels the role needs.
/// Readable by anyone who can see the organisation; changed by those who map competencies there.
enum Designations {
    static func find(_ name: String, in organisation: Organisation, on database: any Database) async throws -> DesignationDTO {
        let key = Designation.key(name)
        let rows = try await DesignationRequirement.query(on: database).filter(\.$organisation.$id == organisation.id!)
            .filter(\.$designationKey == key).with(\.$competency).all()
        let sorted = rows.sorted { ($0.competency.area.rawValue, $0.competency.key) < ($1.competency.area.rawValue, $1.competency.key) }
        return DesignationDTO(organisationId: organisation.id!, designation: rows.first?.designation ?? Designation.normalised(name),
                              competencies: sorted.map { RequirementDTO(competencyId: $0.competency.id!, level: $0.level, area: $0.competency.area,
                                                                        theme: $0.competency.theme, subTheme: $0.competency.subTheme,
                                                                        status: $0.competency.status) },
                              updatedAt: rows.compactMap(\.updatedAt).max())
    }

    /// What a designation of an organisation requires, competency by competency.
    static func requirements(of designation: String, in organisationID: UUID, on database: any Database) async throws -> [RoleRequirement] {
        try await DesignationRequirement.query(on: database).filter(\.$organisation.$id == organisationID)
            .filter(\.$designationKey == Designation.key(designation)).all()
            .map { RoleRequirement(competencyId: $0.$competency.id, level: $0.level) }
    }

    /// Every designation mapped in an organisation (as the organisation wrote it) and what each requires.
    static func all(in organisationID: UUID, on database: any Database) async throws -> [String: [RoleRequirement]] {
        let rows = try await DesignationRequirement.query(on: database).filter(\.$organisation.$id == organisationID).all()
        var names: [String: String] = [:]
        var mapped: [String: [RoleRequirement]] = [:]
        for row in rows {
            let name = names[row.designationKey] ?? row.designation
            names[row.designationKey] = name
            mapped[name, default: []].append(RoleRequirement(competencyId: row.$competency.id, level: row.level))
        }
        return mapped
    }

    static func summaries(in organisation: Organisation, on database: any Database) async throws -> [DesignationSummaryDTO] {
        let sql = database as! any SQLDatabase
        struct Mapped: Decodable { var designation: String; var count: Int }
        let mapped = try await sql.select().column("designation").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count")
            .from(DesignationRequirement.schema).where("organisation_id", .equal, SQLBind(organisation.id!))
            .groupBy("designation").all(decoding: Mapped.self)
        let held = try await sql.select().column("designation").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count")
            .from(User.schema).where("organisation_id", .equal, SQLBind(organisation.id!)).where("designation", .isNot, SQLLiteral.null)
            .groupBy("designation").all(decoding: Mapped.self)
        var summaries: [String: DesignationSummaryDTO] = [:]
        for row in mapped { summaries[Designation.key(row.designation)] = .init(designation: row.designation, competencyCount: row.count, people: 0) }
        for row in held {
            summaries[Designation.key(row.designation), default: .init(designation: Designation.normalised(row.designation), competencyCount: 0, people: 0)]
                .people += row.count
        }
        return summaries.values.sorted { $0.designation.lowercased() < $1.designation.lowercased() }
    }

    static func mappable(_ organisationID: UUID, by principal: Principal, on database: any Database) async throws -> Organisation {
        let organisation = try await Organisations.visible(organisationID, to: principal, on: database)
        guard principal.access.allows(.mapCompetencies, on: organisation.placement) else { throw Problem.forbidden }
        return organisation
    }

    /// Replaces what the designations need, all together or not at all.
    static func replace(_ mappings: [(designation: String, requirements: [RoleRequirement])], in organisation: Organisation,
                        by userID: UUID?, on database: any Database) async throws {
        try await database.transaction { database in
            for (designation, requirements) in mappings {
                let key = Designation.key(designation)
                try await DesignationRequirement.query(on: database).filter(\.$organisation.$id == organisation.id!)
                    .filter(\.$designationKey == key).delete()
                for requirement in requirements {
                    let row = DesignationRequirement()
                    row.$organisation.id = organisation.id!
                    row.$competency.id = requirement.competencyId
                    row.designation = Designation.normalised(designation)
                    row.designationKey = key
                    row.level = requirement.level
                    row.updatedBy = userID
                    try await row.create(on: database)
                }
            }
        }
    }

    static func checkName(_ designation: String) throws {
        let name = Designation.normalised(designation)
        if name.isEmpty || name.count > 200 { throw Problem.invalid("designation", "must be 1–200 characters") }
    }

    /// A sheet of `designation,competency,level` rows; the competency by id, by key ("functional/noting and drafting")
    /// or by theme name. Every bad row is reported and then nothing is changed.
    static func importSheet(_ bytes: [UInt8], into organisation: Organisation, by principal: Principal, on database: any Database) async throws -> DesignationImportDTO {
        let rows: [CSVReader.Row]
        do { rows = try CSVReader(bytes: bytes).rows() } catch {
            throw Problem(.unprocessableEntity, "The file cannot be read: line \(error.line): \(error.reason).", errors: [.init("file", "line \(error.line): \(error.reason)")])
        }
        guard let header = rows.first?.fields.map({ $0.trimmed.lowercased() }) else { throw Problem.invalid("file", "is empty; expected designation,competency,level") }
        guard let designationColumn = header.firstIndex(of: "designation"), let competencyColumn = header.firstIndex(of: "competency"),
              let levelColumn = header.firstIndex(of: "level")
        else { throw Problem.invalid("file", "line 1: the header must name the columns designation, competency and level") }

        let all = try await Competency.query(on: database).all()
        let byID = Dictionary(uniqueKeysWithValues: all.map { ($0.id!, $0) })
        let byKey = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })
        let byTheme = Dictionary(grouping: all.filter { $0.subTheme == nil }, by: { $0.theme.lowercased() })
        var errors: [FieldError] = []
        var mappings: [String: (designation: String, requirements: [RoleRequirement], lines: [Int])] = [:]
        for row in rows.dropFirst() {
            guard row.fields.count == header.count else {
                errors.append(.init("file", "line \(row.line): has \(row.fields.count) columns, the header has \(header.count)"))
                continue
            }
            let designation = Designation.normalised(row.fields[designationColumn])
            let reference = row.fields[competencyColumn].trimmed
            let competency = UUIDText.parse(reference).flatMap { byID[$0] } ?? byKey[reference.lowercased()]
                ?? byTheme[reference.lowercased()].flatMap { $0.count == 1 ? $0[0] : nil }
            if designation.isEmpty || designation.count > 200 { errors.append(.init("designation", "line \(row.line): must be 1–200 characters")) }
            if competency == nil {
                errors.append(.init("competency", "line \(row.line): '\(reference)' is not a competency of the framework (give its id, key or theme)"))
            } else if competency?.status == .retired {
                errors.append(.init("competency", "line \(row.line): '\(reference)' is retired from the framework"))
            }
            guard let level = Int(row.fields[levelColumn].trimmed), ProficiencyLevel.isValid(level) else {
                errors.append(.init("level", "line \(row.line): must be a proficiency level from 1 to 5"))
                continue
            }
            guard let competency, competency.status == .current, !designation.isEmpty else { continue }
            let key = Designation.key(designation)
            var mapping = mappings[key] ?? (designation, [], [])
            if let twice = mapping.requirements.firstIndex(where: { $0.competencyId == competency.id }) {
                errors.append(.init("competency", "line \(row.line): \(competency.key) is already mapped for \(designation) on line \(mapping.lines[twice])"))
                continue
            }
            mapping.requirements.append(RoleRequirement(competencyId: competency.id!, level: level))
            mapping.lines.append(row.line)
            mappings[key] = mapping
        }
        if !errors.isEmpty {
            throw Problem(.unprocessableEntity, "\(errors.count) problem(s) in the file; nothing was changed.", errors: errors)
        }
        let ordered = mappings.values.sorted { $0.designation < $1.designation }
        try await replace(ordered.map { ($0.designation, $0.requirements) }, in: organisation, by: principal.userID, on: database)
        return DesignationImportDTO(designations: ordered.map(\.designation), requirements: ordered.reduce(0) { $0 + $1.requirements.count })
    }
}

struct DesignationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("orgs", ":id", "designations", use: Self.list)
        routes.on(.POST, "orgs", ":id", "designations", "import", body: .collect(maxSize: "4mb"), use: Self.importSheet)
        routes.get("orgs", ":id", "designations", ":designation", use: Self.read)
        routes.put("orgs", ":id", "designations", ":designation", use: Self.replace)
    }

    static func designation(_ request: Request) throws -> String {
        let name = request.parameters.get("designation") ?? ""
        try Designations.checkName(name)
        return name
    }

    @Sendable static func list(_ request: Request) async throws -> Page<DesignationSummaryDTO> {
        let organisation = try await Organisations.visible(try request.id(of: "organisation"), to: try request.principal(), on: request.db)
        return Page(items: try await Designations.summaries(in: organisation, on: request.db), nextCursor: nil)
    }

    @Sendable static func read(_ request: Request) async throws -> DesignationDTO {
        let organisation = try await Organisations.visible(try request.id(of: "organisation"), to: try request.principal(), on: request.db)
        return try await Designations.find(try designation(request), in: organisation, on: request.db)
    }

    @Sendable static func replace(_ request: Request) async throws -> DesignationDTO {
        let principal = try request.principal()
        let name = try designation(request)
        let input = try request.decodeStrict(DesignationInput.self)
        let organisation = try await Designations.mappable(try request.id(of: "organisation"), by: principal, on: request.db)
        let (current, retired) = try await Competencies.states(of: input.competencies.map(\.competencyId), on: request.db)
        let problems = RoleRequirement.problems(input.competencies, current: current, retired: retired)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        try await Designations.replace([(name, input.competencies)], in: organisation, by: principal.userID, on: request.db)
        return try await Designations.find(name, in: organisation, on: request.db)
    }

    @Sendable static func importSheet(_ request: Request) async throws -> DesignationImportDTO {
        let principal = try request.principal()
        guard let type = request.headers.contentType, type.subType == "csv" else {
            throw Problem(.unsupportedMediaType, "Send the sheet as the body with Content-Type: text/csv.")
        }
        let organisation = try await Designations.mappable(try request.id(of: "organisation"), by: principal, on: request.db)
        return try await Designations.importSheet(request.body.data.map { Array($0.readableBytesView) } ?? [], into: organisation,
                                                  by: principal, on: request.db)
    }
}
