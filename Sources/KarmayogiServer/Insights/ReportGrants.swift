import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct ReportGrantInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case userId, until }
    var userId: UUID
    /// The last day (IST) the access lasts, "YYYY-MM-DD", at most 90 days ahead.
    var until: String
}

struct ReportGrantDTO: Content {
    var id: UUID
    var organisationId: UUID
    var userId: UUID
    var userName: String?
    var grantedBy: UUID
    var until: String
    var createdAt: Date?
    var revokedAt: Date?
}

/// An MDO admin lets a leader of the organisation (a Secretary, a Joint Secretary) download its reports for a while,
/// without giving them a role.
final class ReportGrant: Model, @unchecked Sendable {
    static let schema = "report_grants"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "organisation_id") var organisationID: UUID
    @Field(key: "user_id") var userID: UUID
    @Field(key: "granted_by") var grantedBy: UUID
    /// The last day (IST) of the access.
    @Field(key: "until_day") var untilDay: Int
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}
}

struct CreateReportGrants: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ReportGrant.schema)
            .id()
            .field("organisation_id", .uuid, .required, .references(Organisation.schema, "id"))
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("granted_by", .uuid, .required)
            .field("until_day", .int, .required)
            .field("revoked_at", .datetime)
            .field("created_at", .datetime)
            .create()
        try await database.index("report_grants_user", on: ReportGrant.schema, columns: ["user_id"])
    }

    func revert(on database: any Database) async throws { try await database.schema(ReportGrant.schema).delete() }
}

enum ReportGrants {
    static let longest = 90

    /// Whether the person holds a live grant on the organisation or one of its ancestors.
    static func holds(_ userID: UUID, on organisation: Organisation, on database: any Database) async throws -> Bool {
        let today = IndiaDay.of(Date())
        let grants = try await ReportGrant.query(on: database).filter(\.$userID == userID).filter(\.$revokedAt == nil).filter(\.$untilDay >= today).all()
        guard !grants.isEmpty else { return false }
        let paths = try await Organisation.query(on: database).filter(\.$id ~~ grants.map(\.organisationID)).all().map(\.path)
        return paths.contains { organisation.path.hasPrefix($0) }
    }

    /// The organisation, if the principal may hand out access to its reports (its MDO admins).
    static func grantable(_ organisationID: UUID, by principal: Principal, on database: any Database) async throws -> Organisation {
        let organisation = try await Organisations.visible(organisationID, to: principal, on: database)
        guard principal.access.holds(.mdoAdmin, on: organisation.placement) else {
            throw Problem(.forbidden, "Access to an organisation's reports is given by its MDO admins.")
        }
        return organisation
    }

    static func create(_ input: ReportGrantInput, on organisationID: UUID, by principal: Principal, on database: any Database) async throws -> ReportGrant {
        let organisation = try await grantable(organisationID, by: principal, on: database)
        var errors: [FieldError] = []
        let today = IndiaDay.of(Date())
        let until = IndiaDay.parse(input.until)
        if let until {
            if until < today { errors.append(.init("until", "is in the past")) }
            else if until > today + longest { errors.append(.init("until", "may be at most \(longest) days ahead")) }
        } else {
            errors.append(.init("until", "must be a date, YYYY-MM-DD"))
        }
        let person = try await PlanPerson.load(input.userId, on: database)
        if person.map({ !$0.organisationPath.hasPrefix(organisation.path) }) ?? true {
            errors.append(.init("userId", "is not a person in \(organisation.name) or below it"))
        }
        if input.userId == principal.userID { errors.append(.init("userId", "is you; your role already reaches the reports")) }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        let grant = ReportGrant()
        grant.organisationID = organisation.id!
        grant.userID = input.userId
        grant.grantedBy = principal.userID
        grant.untilDay = until!
        try await grant.create(on: database)
        return grant
    }

    static func dtos(_ grants: [ReportGrant], on database: any Database) async throws -> [ReportGrantDTO] {
        let names = Dictionary(uniqueKeysWithValues: try await User.query(on: database).filter(\.$id ~~ Set(grants.map(\.userID))).all().map { ($0.id!, $0.name) })
        return grants.map { ReportGrantDTO(id: $0.id!, organisationId: $0.organisationID, userId: $0.userID, userName: names[$0.userID], grantedBy: $0.grantedBy,
                                           until: IndiaDay.string($0.untilDay), createdAt: $0.createdAt, revokedAt: $0.revokedAt) }
    }
}

struct ReportController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        for kind in Reports.Kind.allCases {
            routes.get("reports", "\(kind.rawValue).csv") { try await Reports.response(kind, $0) }
        }
        routes.post("orgs", ":id", "report-grants", use: Self.grant)
        routes.get("orgs", ":id", "report-grants", use: Self.grants)
        routes.delete("report-grants", ":id", use: Self.revoke)
    }

    @Sendable static func grant(_ request: Request) async throws -> Response {
        let grant = try await ReportGrants.create(try request.decodeStrict(ReportGrantInput.self), on: try request.id(of: "organisation"),
                                                  by: try request.principal(), on: request.db)
        return try await ReportGrants.dtos([grant], on: request.db)[0].encodeResponse(status: .created, for: request)
    }

    /// The grants still in force.
    @Sendable static func grants(_ request: Request) async throws -> Page<ReportGrantDTO> {
        let organisation = try await ReportGrants.grantable(try request.id(of: "organisation"), by: try request.principal(), on: request.db)
        let grants = try await ReportGrant.query(on: request.db).filter(\.$organisationID == organisation.id!).filter(\.$revokedAt == nil)
            .filter(\.$untilDay >= IndiaDay.of(Date())).sort(\.$untilDay).all()
        return Page(items: try await ReportGrants.dtos(grants, on: request.db), nextCursor: nil)
    }

    @Sendable static func revoke(_ request: Request) async throws -> ReportGrantDTO {
        let principal = try request.principal()
        guard let grant = try await ReportGrant.find(try request.id(of: "report grant"), on: request.db) else { throw Problem.notFound("report grant") }
        do {
            _ = try await ReportGrants.grantable(grant.organisationID, by: principal, on: request.db)
        } catch let problem as Problem where problem.statusCode == 404 {
            // A grant in an organisation out of sight is one that does not exist, not a clue to that organisation.
            throw Problem.notFound("report grant")
        }
        if grant.revokedAt == nil {
            grant.revokedAt = Date()
            try await grant.save(on: request.db)
        }
        return try await ReportGrants.dtos([grant], on: request.db)[0]
    }
}
