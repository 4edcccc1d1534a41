import Fluent
import Foundation
import KarmayogiCore
import Vapor

final class User: Model, @unchecked Sendable {
    static let schema = "users"

    enum Status: String, Codable, Sendable {
        /// Onboarded, waiting for the person to choose a password with their activation token.
        case pending
        case active
        case disabled
    }

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    // reference fields
    @Parent(key: "organisation_id") var organisation: Organisation
    @OptionalField(key: "bulk_upload_id") var bulkUploadID: UUID?

    // data fields
    @Field(key: "name") var name: String
    @Field(key: "email") var email: String
    @OptionalField(key: "phone") var phone: String?
    @OptionalField(key: "employee_id") var employeeId: String?
    @OptionalField(key: "designation") var designation: String?
    @OptionalField(key: "state_code") var stateCode: Int?
    @OptionalField(key: "district_code") var districtCode: Int?
    @Field(key: "language") var language: String
    @Field(key: "status") var status: Status
    @OptionalField(key: "password_hash") var passwordHash: String?
    @OptionalField(key: "activation_token_hash") var activationTokenHash: String?
    @OptionalField(key: "activation_expires_at") var activationExpiresAt: Date?
    @OptionalField(key: "last_login_at") var lastLoginAt: Date?
    /// Raised to end every access token issued before (sign-out, a stolen refresh token).
    @Field(key: "token_version") var tokenVersion: Int

    init() {
        tokenVersion = 0
    }
}

/// A role held on an organisation's subtree, on a State, or (national admin) on the nation.
final class RoleGrantRecord: Model, @unchecked Sendable {
    static let schema = "role_grants"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    // reference fields
    @Parent(key: "user_id") var user: User
    @OptionalParent(key: "organisation_id") var organisation: Organisation?
    @OptionalField(key: "granted_by") var grantedBy: UUID?

    // data fields
    @Field(key: "role") var role: String
    @OptionalField(key: "state_code") var stateCode: Int?

    init() {}

    init(userID: UUID, role: Role, organisationID: UUID?, stateCode: Int?, grantedBy: UUID?) {
        self.$user.id = userID
        self.role = role.rawValue
        self.$organisation.id = organisationID
        self.stateCode = stateCode
        self.grantedBy = grantedBy
    }
}

/// One link in a chain of refresh tokens: each use hands out the next and spends this one;
/// spending one twice means it was stolen, and the whole family is revoked.
final class RefreshToken: Model, @unchecked Sendable {
    static let schema = "refresh_tokens"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Parent(key: "user_id") var user: User
    @Field(key: "family_id") var familyID: UUID
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}
}

/// Messages the platform owes people (activation and password-reset links), kept until a mailer sends them.
final class OutboxMessage: Model, @unchecked Sendable {
    static let schema = "outbox"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "kind") var kind: String
    @Field(key: "recipient") var recipient: String
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "subject") var subject: String
    @Field(key: "body") var body: String
    @OptionalField(key: "sent_at") var sentAt: Date?

    init() {}

    /// A message to a person, addressed to their e-mail.
    init(_ kind: String, to user: User, subject: String, body: String) {
        self.kind = kind
        recipient = user.email
        userID = user.id
        self.subject = subject
        self.body = body
    }
}

struct CreateIdentity: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(User.schema)
            .id()
            .field("organisation_id", .uuid, .required, .references(Organisation.schema, "id"))
            .field("bulk_upload_id", .uuid)
            .field("name", .string, .required)
            .field("email", .string, .required)
            .field("phone", .string)
            .field("employee_id", .string)
            .field("designation", .string)
            .field("state_code", .int, .references("states", "code"))
            .field("district_code", .int, .references("districts", "code"))
            .field("language", .string, .required)
            .field("status", .string, .required)
            .field("password_hash", .string)
            .field("activation_token_hash", .string)
            .field("activation_expires_at", .datetime)
            .field("last_login_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "email")
            .unique(on: "organisation_id", "employee_id")
            .create()
        try await database.index("users_organisation_name", on: User.schema, columns: ["organisation_id", "name"])
        try await database.index("users_state_name", on: User.schema, columns: ["state_code", "name"])
        try await database.index("users_activation", on: User.schema, columns: ["activation_token_hash"])

        try await database.schema(RoleGrantRecord.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("organisation_id", .uuid, .references(Organisation.schema, "id"))
            .field("granted_by", .uuid)
            .field("role", .string, .required)
            .field("state_code", .int, .references("states", "code"))
            .field("created_at", .datetime)
            .create()
        try await database.index("role_grants_user", on: RoleGrantRecord.schema, columns: ["user_id"])

        try await database.schema(RefreshToken.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("family_id", .uuid, .required)
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("revoked_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await database.index("refresh_tokens_family", on: RefreshToken.schema, columns: ["family_id"])

        try await database.schema(OutboxMessage.schema)
            .id()
            .field("kind", .string, .required)
            .field("recipient", .string, .required)
            .field("user_id", .uuid)
            .field("subject", .string, .required)
            .field("body", .string, .required)
            .field("sent_at", .datetime)
            .field("created_at", .datetime)
            .create()

        try await database.schema("server_keys")
            .field("name", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        for table in ["server_keys", OutboxMessage.schema, RefreshToken.schema, RoleGrantRecord.schema, User.schema] {
            try await database.schema(table).delete()
        }
    }
}

extension Database {
    /// `CREATE INDEX` on both dialects.
    func index(_ name: String, on table: String, columns: [String]) async throws {
        var index = (self as! any SQLDatabase).create(index: name).on(table)
        for column in columns { index = index.column(column) }
        try await index.run()
    }
}

import SQLKit

/// Access tokens carry the person's token version; signing out or a stolen refresh token raises it, which ends every
/// access token issued before. Failed sign-ins are counted in the database, so every app node sees the same counts.
struct HardenSignIn: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("users").field("token_version", .int, .required, .sql(.default(0))).update()
        try await database.schema("sign_in_failures")
            .field("key", .string, .identifier(auto: false))
            .field("failures", .int, .required)
            .field("last_failure_at", .double, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sign_in_failures").delete()
        try await database.schema("users").deleteField("token_version").update()
    }
}
