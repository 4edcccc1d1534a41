import Fluent
import Foundation
import SQLKit
import Vapor

/// One xAPI statement as the learning record store keeps it: the statement as stored (with its id, `stored`,
/// `authority` and `version`), and the values its queries filter on. Each provider's statements are its own.
final class XAPIStatementRecord: Model, @unchecked Sendable {
    static let schema = "xapi_statements"

    /// The statement's id (a UUID), lower-case.
    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "provider_id") var providerID: UUID
    /// The actor's identifier (`XAPIStatement.identifier(ofActor:)`).
    @Field(key: "actor") var actor: String
    @Field(key: "verb") var verb: String
    /// The object's id when it is an Activity.
    @OptionalField(key: "activity") var activity: String?
    /// The object's identifier when it is an Agent or identified Group.
    @OptionalField(key: "object_agent") var objectAgent: String?
    /// The statement a voiding statement or a StatementRef names.
    @OptionalField(key: "object_statement") var objectStatement: String?
    @OptionalField(key: "registration") var registration: String?
    /// Every activity and agent the statement mentions anywhere, each between bars (`|a|b|`), for the related_ filters.
    @Field(key: "related_activities") var relatedActivities: String
    @Field(key: "related_agents") var relatedAgents: String
    @Field(key: "voided") var voided: Bool
    /// When it was stored, in milliseconds since 1970: exact on every database, so pages end and begin exactly.
    @Field(key: "stored") var storedMillis: Int64

    var stored: Date { Date(timeIntervalSince1970: Double(storedMillis) / 1000) }
    /// The statement as JSON, as it is answered.
    @Field(key: "body") var body: String
    @Field(key: "credential_id") var credentialID: UUID

    init() {}
}

/// A document of the State, Activity Profile or Agent Profile resource.
final class XAPIDocument: Model, @unchecked Sendable {
    static let schema = "xapi_documents"

    enum Kind: String, Codable { case state, activityProfile = "activity_profile", agentProfile = "agent_profile" }

    @ID(key: .id) var id: UUID?
    @Field(key: "provider_id") var providerID: UUID
    @Enum(key: "kind") var kind: Kind
    /// The activity (state and activity profile), else "".
    @Field(key: "activity") var activity: String
    /// The agent's identifier (state and agent profile), else "".
    @Field(key: "agent") var agent: String
    /// The registration (state only), else "".
    @Field(key: "registration") var registration: String
    @Field(key: "document_id") var documentID: String
    @Field(key: "content_type") var contentType: String
    @Field(key: "content") var content: Data
    @Field(key: "etag") var etag: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// A provider's key and secret for the LRS, issued by its admins: only the secret's hash is kept.
final class XAPICredential: Model, @unchecked Sendable {
    static let schema = "xapi_credentials"

    @ID(key: .id) var id: UUID?
    @Field(key: "provider_id") var providerID: UUID
    @Field(key: "name") var name: String
    @Field(key: "key") var key: String
    @Field(key: "secret_hash") var secretHash: String
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}
}

/// A learner's launch of an xAPI item: the credentials the content reports with (key `launch-<id>`, the token as
/// secret, kept hashed) and what its statements are about, so that they become the learner's progress.
final class XAPILaunch: Model, @unchecked Sendable {
    static let schema = "xapi_launches"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "provider_id") var providerID: UUID
    @Field(key: "user_id") var userID: UUID
    @Field(key: "course_id") var courseID: UUID
    @Field(key: "item_id") var itemID: UUID
    @Field(key: "activity") var activity: String
    @Field(key: "registration") var registration: String
    @Field(key: "actor") var actor: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    /// "xapi", or "cmi5" for a session of an assignable unit.
    @Field(key: "kind") var kind: String
    /// cmi5: the session's id, the fetch URL's one-time token (hashed) and when it was used.
    @OptionalField(key: "session_id") var sessionID: String?
    @OptionalField(key: "fetch_hash") var fetchHash: String?
    @OptionalField(key: "fetched_at") var fetchedAt: Date?
    /// cmi5: launched, initialized, terminated or abandoned.
    @Field(key: "state") var state: String
    @OptionalField(key: "package_id") var packageID: UUID?
    /// cmi5: what the AU reported in this session.
    @Field(key: "completed") var completed: Bool
    @Field(key: "passed") var passed: Bool
    @Field(key: "failed") var failed: Bool

    init() {}

    static let cmi5 = "cmi5"
    var isCmi5: Bool { kind == Self.cmi5 }
}

struct CreateLearningRecordStore: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("xapi_statements")
            .field("id", .string, .identifier(auto: false))
            .field("provider_id", .uuid, .required)
            .field("actor", .string, .required)
            .field("verb", .string, .required)
            .field("activity", .string)
            .field("object_agent", .string)
            .field("object_statement", .string)
            .field("registration", .string)
            .field("related_activities", .string, .required)
            .field("related_agents", .string, .required)
            .field("voided", .bool, .required)
            .field("stored", .int64, .required)
            .field("body", .string, .required)
            .field("credential_id", .uuid, .required)
            .create()
        try await database.schema("xapi_documents")
            .id()
            .field("provider_id", .uuid, .required)
            .field("kind", .string, .required)
            .field("activity", .string, .required)
            .field("agent", .string, .required)
            .field("registration", .string, .required)
            .field("document_id", .string, .required)
            .field("content_type", .string, .required)
            .field("content", .data, .required)
            .field("etag", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "provider_id", "kind", "activity", "agent", "registration", "document_id")
            .create()
        try await database.schema("xapi_credentials")
            .id()
            .field("provider_id", .uuid, .required)
            .field("name", .string, .required)
            .field("key", .string, .required)
            .field("secret_hash", .string, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .unique(on: "key")
            .create()
        try await database.schema("xapi_launches")
            .id()
            .field("token_hash", .string, .required)
            .field("provider_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("course_id", .uuid, .required)
            .field("item_id", .uuid, .required)
            .field("activity", .string, .required)
            .field("registration", .string, .required)
            .field("actor", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("kind", .string, .required)
            .field("session_id", .string)
            .field("fetch_hash", .string)
            .field("fetched_at", .datetime)
            .field("state", .string, .required)
            .field("package_id", .uuid)
            .field("completed", .bool, .required)
            .field("passed", .bool, .required)
            .field("failed", .bool, .required)
            .create()
        try await database.index("xapi_launches_learner", on: "xapi_launches", columns: ["user_id", "item_id", "state"])
        try await database.index("xapi_launches_fetch", on: "xapi_launches", columns: ["fetch_hash"])
        for (name, columns) in [("xapi_statements_stored", ["provider_id", "stored", "id"]), ("xapi_statements_actor", ["provider_id", "actor", "stored"]),
                                ("xapi_statements_verb", ["provider_id", "verb", "stored"]), ("xapi_statements_activity", ["provider_id", "activity", "stored"]),
                                ("xapi_statements_registration", ["provider_id", "registration", "stored"]),
                                ("xapi_statements_target", ["provider_id", "object_statement"])] {
            try await database.index(name, on: "xapi_statements", columns: columns)
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["xapi_launches", "xapi_credentials", "xapi_documents", "xapi_statements"] { try await database.schema(table).delete() }
    }
}

/// Each filter of a statements query leads an index that ends in (stored, id), the order pages are read in, so a
/// filtered page is found without sorting or walking the store; the agent as the object gets one too. Replaces the
/// indexes that ended in `stored` alone, which SQLite's planner passed over for the time-ordered index (1.8 s for a
/// page over a million statements).
struct IndexStatementFilters: AsyncMigration {
    static let columns = ["actor", "verb", "activity", "registration", "object_agent"]

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for column in Self.columns {
            try await sql.create(index: "xapi_statements_by_\(column)").on("xapi_statements")
                .column("provider_id").column(column).column("stored").column("id").run()
        }
        for column in ["actor", "verb", "activity", "registration"] { try await sql.raw("DROP INDEX \(ident: "xapi_statements_\(column)")").run() }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for column in ["actor", "verb", "activity", "registration"] {
            try await sql.create(index: "xapi_statements_\(column)").on("xapi_statements").column("provider_id").column(column).column("stored").run()
        }
        for column in Self.columns { try await sql.raw("DROP INDEX \(ident: "xapi_statements_by_\(column)")").run() }
    }
}
