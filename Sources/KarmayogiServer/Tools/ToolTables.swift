import Fluent
import Foundation
import Vapor

/// An LTI 1.3 tool an organisation's admins registered. It serves the courses of the organisation and everything
/// below it (a tool registered on the national organisation serves every course).
final class LTITool: Model, @unchecked Sendable {
    static let schema = "lti_tools"

    @ID(key: .id) var id: UUID?
    @Field(key: "organisation_id") var organisationID: UUID
    /// The organisation's path when the tool was registered: the courses it serves are those of providers below it.
    @Field(key: "organisation_path") var organisationPath: String
    @Field(key: "name") var name: String
    /// What the platform calls the tool in its messages (`aud`), and the tool calls itself in its assertions.
    @Field(key: "client_id") var clientID: String
    @Field(key: "deployment_id") var deploymentID: String
    /// Where a launch begins (OIDC third-party initiated login).
    @Field(key: "login_url") var loginURL: String
    /// Where the id_token is posted: the tool's one redirect URI, and the target of every link.
    @Field(key: "launch_url") var launchURL: String
    /// The tool's keys: a JWKS address, or a key set given when it was registered.
    @OptionalField(key: "jwks_url") var jwksURL: String?
    @OptionalField(key: "jwks") var jwks: String?
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}
}

/// A launch a learner began: the secret in the tool's `lti_message_hint`, good once and for a few minutes.
final class LTILaunch: Model, @unchecked Sendable {
    static let schema = "lti_launches"

    @ID(key: .id) var id: UUID?
    @Field(key: "hint_hash") var hintHash: String
    @Field(key: "tool_id") var toolID: UUID
    @Field(key: "user_id") var userID: UUID
    @Field(key: "course_id") var courseID: UUID
    @Field(key: "item_id") var itemID: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?

    init() {}
}

/// An access token a tool was given for the services (client credentials grant), kept only as a hash.
final class LTIAccessToken: Model, @unchecked Sendable {
    static let schema = "lti_access_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "tool_id") var toolID: UUID
    /// The granted scopes, space-separated.
    @Field(key: "scopes") var scopes: String
    @Field(key: "expires_at") var expiresAt: Date

    init() {}
}

/// The `jti` of every client assertion a tool used, until it expires: a second use is refused (replay).
final class LTIAssertion: Model, @unchecked Sendable {
    static let schema = "lti_assertions"

    @ID(key: .id) var id: UUID?
    @Field(key: "tool_id") var toolID: UUID
    @Field(key: "jti") var jti: String
    @Field(key: "expires_at") var expiresAt: Date

    init() {}
}

/// A column of a course's gradebook a tool keeps (AGS line item). One tied to a resource link (an item) turns its
/// scores into the learners' progress on that item.
final class LTILineItem: Model, @unchecked Sendable {
    static let schema = "lti_line_items"

    @ID(key: .id) var id: UUID?
    @Field(key: "tool_id") var toolID: UUID
    @Field(key: "course_id") var courseID: UUID
    /// The course item (the resource link) it belongs to, if any.
    @OptionalField(key: "item_id") var itemID: UUID?
    @Field(key: "label") var label: String
    @Field(key: "score_maximum") var scoreMaximum: Double
    @OptionalField(key: "resource_id") var resourceID: String?
    @OptionalField(key: "tag") var tag: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A learner's latest score on a line item.
final class LTIScoreRecord: Model, @unchecked Sendable {
    static let schema = "lti_scores"

    @ID(key: .id) var id: UUID?
    @Field(key: "line_item_id") var lineItemID: UUID
    @Field(key: "user_id") var userID: UUID
    @OptionalField(key: "score_given") var scoreGiven: Double?
    @OptionalField(key: "score_maximum") var scoreMaximum: Double?
    @Field(key: "activity_progress") var activityProgress: String
    @Field(key: "grading_progress") var gradingProgress: String
    @OptionalField(key: "comment") var comment: String?
    @Field(key: "timestamp") var timestamp: Date

    init() {}
}

struct CreateLTITools: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("lti_tools")
            .id()
            .field("organisation_id", .uuid, .required)
            .field("organisation_path", .string, .required)
            .field("name", .string, .required)
            .field("client_id", .string, .required)
            .field("deployment_id", .string, .required)
            .field("login_url", .string, .required)
            .field("launch_url", .string, .required)
            .field("jwks_url", .string)
            .field("jwks", .string)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .unique(on: "client_id")
            .create()
        try await database.schema("lti_launches")
            .id()
            .field("hint_hash", .string, .required)
            .field("tool_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("course_id", .uuid, .required)
            .field("item_id", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "hint_hash")
            .create()
        try await database.schema("lti_access_tokens")
            .id()
            .field("token_hash", .string, .required)
            .field("tool_id", .uuid, .required)
            .field("scopes", .string, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await database.schema("lti_assertions")
            .id()
            .field("tool_id", .uuid, .required)
            .field("jti", .string, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "tool_id", "jti")
            .create()
        try await database.schema("lti_line_items")
            .id()
            .field("tool_id", .uuid, .required)
            .field("course_id", .uuid, .required)
            .field("item_id", .uuid)
            .field("label", .string, .required)
            .field("score_maximum", .double, .required)
            .field("resource_id", .string)
            .field("tag", .string)
            .field("created_at", .datetime, .required)
            .create()
        try await database.index("lti_line_items_context", on: "lti_line_items", columns: ["tool_id", "course_id", "item_id"])
        try await database.schema("lti_scores")
            .id()
            .field("line_item_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("score_given", .double)
            .field("score_maximum", .double)
            .field("activity_progress", .string, .required)
            .field("grading_progress", .string, .required)
            .field("comment", .string)
            .field("timestamp", .datetime, .required)
            .unique(on: "line_item_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        for table in ["lti_scores", "lti_line_items", "lti_assertions", "lti_access_tokens", "lti_launches", "lti_tools"] {
            try await database.schema(table).delete()
        }
    }
}
