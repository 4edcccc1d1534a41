import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// One competency of the framework. Never deleted: a retired competency keeps its id and meaning for the
/// evidence that names it, and leaves the catalogue of what may be newly mapped.
final class Competency: Model, @unchecked Sendable {
    static let schema = "competencies"

    enum Status: String, Codable, Sendable { case current, retired }

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    // reference fields
    @OptionalField(key: "owner_organisation_id") var ownerOrganisationID: UUID?

    // data fields
    @Field(key: "key") var key: String
    @Field(key: "area") var area: CompetencyArea
    @Field(key: "theme") var theme: String
    @OptionalField(key: "sub_theme") var subTheme: String?
    @Field(key: "description") var description: String
    @OptionalField(key: "domain") var domain: String?
    /// Descriptions of levels 1–5 where this competency has its own (JSON object "1".."5"); else the generic ones.
    @OptionalField(key: "levels") var levels: [String: String]?
    @Field(key: "status") var status: Status
    @Field(key: "added_in_version") var addedInVersion: Int
    @OptionalField(key: "retired_in_version") var retiredInVersion: Int?

    /// "Theme › Sub-theme", as pages and certificates name it.
    var displayName: String { [theme, subTheme].compactMap { $0 }.joined(separator: " › ") }

    init() {}

    init(_ entry: CompetencyEntry, domain: String?, owner: UUID?, levels: [String: String]?, version: Int) {
        id = UUID()
        key = entry.key(inDomain: domain)
        area = entry.area
        theme = entry.theme
        subTheme = entry.subTheme
        description = entry.description
        self.domain = domain
        ownerOrganisationID = owner
        self.levels = levels
        status = .current
        addedInVersion = version
    }

    /// Adds a competency to the framework, as a version of its own.
    static func add(_ entry: CompetencyEntry, domain: String?, owner: UUID?, levels: [String: String]? = nil, by user: UUID?,
                    on database: any Database) async throws -> Competency {
        let version = try await FrameworkVersion.next("added \(entry.key(inDomain: domain))", by: user, on: database)
        let competency = Competency(entry, domain: domain, owner: owner, levels: levels, version: version)
        try await competency.create(on: database)
        return competency
    }
}

/// The framework's history: each change makes a new version, so evidence can say which framework it was judged by.
final class FrameworkVersion: Model, @unchecked Sendable {
    static let schema = "competency_framework_versions"

    @ID(custom: "version", generatedBy: .user) var id: Int?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "changed_by") var changedBy: UUID?
    @Field(key: "change") var change: String

    init() {}

    init(version: Int, change: String, by user: UUID?) {
        id = version
        self.change = change
        changedBy = user
    }

    /// Records a change as the next version, inside the caller's transaction.
    static func next(_ change: String, by user: UUID?, on database: any Database) async throws -> Int {
        let current = try await FrameworkVersion.query(on: database).max(\.$id) ?? 0
        let version = FrameworkVersion(version: current + 1, change: change, by: user)
        try await version.create(on: database)
        return current + 1
    }
}

/// A designation's needs in one organisation: a competency at a minimum level.
final class DesignationRequirement: Model, @unchecked Sendable {
    static let schema = "designation_competencies"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Parent(key: "organisation_id") var organisation: Organisation
    @Parent(key: "competency_id") var competency: Competency
    @OptionalField(key: "updated_by") var updatedBy: UUID?
    @Field(key: "designation") var designation: String
    @Field(key: "designation_key") var designationKey: String
    @Field(key: "level") var level: Int

    init() {}
}

struct CreateCompetencies: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Competency.schema)
            .id()
            .field("owner_organisation_id", .uuid, .references(Organisation.schema, "id"))
            .field("key", .string, .required)
            .field("area", .string, .required)
            .field("theme", .string, .required)
            .field("sub_theme", .string)
            .field("description", .string, .required)
            .field("domain", .string)
            .field("levels", .json)
            .field("status", .string, .required)
            .field("added_in_version", .int, .required)
            .field("retired_in_version", .int)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "key")
            .create()
        try await database.index("competencies_area_theme", on: Competency.schema, columns: ["area", "theme"])
        try await database.schema(FrameworkVersion.schema)
            .field("version", .int, .identifier(auto: false))
            .field("changed_by", .uuid)
            .field("change", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await database.schema(DesignationRequirement.schema)
            .id()
            .field("organisation_id", .uuid, .required, .references(Organisation.schema, "id"))
            .field("competency_id", .uuid, .required, .references(Competency.schema, "id"))
            .field("updated_by", .uuid)
            .field("designation", .string, .required)
            .field("designation_key", .string, .required)
            .field("level", .int, .required)
            .field("updated_at", .datetime)
            .unique(on: "organisation_id", "designation_key", "competency_id")
            .create()

        // The national framework is the first version.
        guard let url = Bundle.module.url(forResource: "kcm-competencies", withExtension: "csv", subdirectory: "Resources") else {
            throw Abort(.internalServerError, reason: "the bundled Resources/kcm-competencies.csv is missing")
        }
        let entries = try CompetencyEntry.framework(csv: try String(contentsOf: url, encoding: .utf8))
        let version = try await FrameworkVersion.next("Karmayogi Competency Model: \(entries.count) behavioural and functional competencies",
                                                      by: nil, on: database)
        var insert = (database as! any SQLDatabase).insert(into: Competency.schema)
            .columns("id", "key", "area", "theme", "sub_theme", "description", "status", "added_in_version", "created_at", "updated_at")
        let now = Date()
        for entry in entries {
            insert = insert.values(SQLBind(UUID()), SQLBind(entry.key), SQLBind(entry.area.rawValue), SQLBind(entry.theme), SQLBind(entry.subTheme),
                                   SQLBind(entry.description), SQLBind(Competency.Status.current.rawValue), SQLBind(version), SQLBind(now), SQLBind(now))
        }
        try await insert.run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(DesignationRequirement.schema).delete()
        try await database.schema(FrameworkVersion.schema).delete()
        try await database.schema(Competency.schema).delete()
    }
}
