import Fluent
import Foundation
import KarmayogiCore
import Vapor

final class Organisation: Model, @unchecked Sendable {
    static let schema = "organisations"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    // reference fields
    @OptionalParent(key: "parent_id") var parent: Organisation?
    /// "/root-id/…/own-id/": the subtree of an organisation is every path it prefixes.
    @Field(key: "path") var path: String

    // data fields
    @Field(key: "name") var name: String
    @Field(key: "code") var code: String
    @Field(key: "type") var type: String
    @OptionalField(key: "state_code") var stateCode: Int?
    @OptionalField(key: "district_code") var districtCode: Int?
    @OptionalField(key: "sanctioned_strength") var sanctionedStrength: Int?

    init() {}

    init(id: UUID = UUID(), name: String, code: String, type: OrganisationType, parent: Organisation?,
         stateCode: Int?, districtCode: Int?, sanctionedStrength: Int?) {
        self.id = id
        self.name = name
        self.code = code
        self.type = type.rawValue
        self.$parent.id = parent?.id
        self.path = (parent?.path ?? "/") + id.uuidString.lowercased() + "/"
        self.stateCode = stateCode
        self.districtCode = districtCode
        self.sanctionedStrength = sanctionedStrength
    }

    var organisationType: OrganisationType { OrganisationType(rawValue: type) ?? .organisation }
    var placement: Placement { Placement(organisationPath: path, stateCodes: stateCode.map { [$0] } ?? []) }
}

struct CreateOrganisations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Organisation.schema)
            .id()
            .field("parent_id", .uuid, .references(Organisation.schema, "id"))
            .field("path", .string, .required)
            .field("name", .string, .required)
            .field("code", .string, .required)
            .field("type", .string, .required)
            .field("state_code", .int, .references("states", "code"))
            .field("district_code", .int, .references("districts", "code"))
            .field("sanctioned_strength", .int)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "code")
            .create()
        try await database.index("organisations_path", on: Organisation.schema, columns: ["path"])
        try await database.index("organisations_parent", on: Organisation.schema, columns: ["parent_id"])
        try await database.index("organisations_state", on: Organisation.schema, columns: ["state_code", "name"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Organisation.schema).delete()
    }
}
