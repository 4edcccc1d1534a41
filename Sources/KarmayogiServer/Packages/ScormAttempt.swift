import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// One learner's attempt at one SCORM item: the run-time data the SCO committed, where it left (exit), the time
/// it spent, and the launch that may talk for it now (a token, kept as its hash, that expires).
final class ScormAttempt: Model, @unchecked Sendable {
    static let schema = "scorm_attempts"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "course_id") var courseID: UUID
    @Field(key: "item_id") var itemID: UUID
    @Field(key: "package_id") var packageID: UUID
    @Field(key: "activity") var activity: String
    @Field(key: "number") var number: Int
    /// JSON: element → value, as the SCO set them.
    @Field(key: "data") var data: String
    @Field(key: "exit") var exit: String
    @Field(key: "seconds") var seconds: Int
    @Field(key: "commits") var commits: Int
    @Field(key: "completed") var completed: Bool
    @OptionalField(key: "launch_token") var launchToken: String?
    @OptionalField(key: "launch_expires_at") var launchExpiresAt: Date?
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var values: [String: String] { (try? JSONDecoder().decode([String: String].self, from: Data(data.utf8))) ?? [:] }
}

struct CreateScormAttempts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ScormAttempt.schema)
            .id()
            .field("user_id", .uuid, .required)
            .field("course_id", .uuid, .required)
            .field("item_id", .uuid, .required)
            .field("package_id", .uuid, .required)
            .field("activity", .string, .required)
            .field("number", .int, .required)
            .field("data", .string, .required)
            .field("exit", .string, .required)
            .field("seconds", .int, .required)
            .field("commits", .int, .required)
            .field("completed", .bool, .required)
            .field("launch_token", .string)
            .field("launch_expires_at", .datetime)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id", "item_id", "number")
            .unique(on: "launch_token")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ScormAttempt.schema).delete()
    }
}
