import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A course of a provider. Its content lives in versions: one may be published (what learners see),
/// and a newer one may be in the works; a published version never changes.
final class Course: Model, @unchecked Sendable {
    static let schema = "courses"

    enum Status: String, Codable, Sendable {
        /// Never published yet.
        case draft
        case published
        /// Hidden from the catalogue; enrolments and certificates stay.
        case retired
    }

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    // reference fields
    @Parent(key: "provider_id") var provider: Organisation
    @Field(key: "created_by") var createdBy: UUID
    /// Courses that are the same course in other languages share a family (the first one's id).
    @Field(key: "family_id") var familyID: UUID

    // data fields
    @Field(key: "status") var status: Status
    @Field(key: "latest_version") var latestVersion: Int
    @OptionalField(key: "published_version") var publishedVersion: Int?

    init() {}
}

final class CourseVersion: Model, @unchecked Sendable {
    static let schema = "course_versions"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    // reference fields
    @Parent(key: "course_id") var course: Course
    @Field(key: "created_by") var createdBy: UUID

    // data fields
    @Field(key: "version") var version: Int
    /// The newest version of its course: what the provider's people work on.
    @Field(key: "is_latest") var isLatest: Bool
    @Field(key: "state") var state: CourseState
    @Field(key: "title") var title: String
    @Field(key: "language") var language: String
    @Field(key: "content") var content: CourseContent
    @OptionalField(key: "published_at") var publishedAt: Date?

    init() {}

    init(course: UUID, version: Int, content: CourseContent, by user: UUID) {
        self.$course.id = course
        self.version = version
        isLatest = true
        state = .draft
        title = content.title
        language = content.language
        self.content = content
        createdBy = user
    }
}

/// Who moved a course version from which state to which, when, and why.
final class CourseTransition: Model, @unchecked Sendable {
    static let schema = "course_transitions"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "course_id") var courseID: UUID
    @Field(key: "version") var version: Int
    @Field(key: "action") var action: CourseAction
    @Field(key: "from_state") var from: CourseState
    @Field(key: "to_state") var to: CourseState
    @Field(key: "by_user") var byUser: UUID
    @OptionalField(key: "comment") var comment: String?

    init() {}
}

struct CreateCourses: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Course.schema)
            .id()
            .field("provider_id", .uuid, .required, .references(Organisation.schema, "id"))
            .field("created_by", .uuid, .required)
            .field("family_id", .uuid, .required)
            .field("status", .string, .required)
            .field("latest_version", .int, .required)
            .field("published_version", .int)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.index("courses_provider", on: Course.schema, columns: ["provider_id", "status"])
        try await database.index("courses_family", on: Course.schema, columns: ["family_id"])
        try await database.schema(CourseVersion.schema)
            .id()
            .field("course_id", .uuid, .required, .references(Course.schema, "id"))
            .field("created_by", .uuid, .required)
            .field("version", .int, .required)
            .field("is_latest", .bool, .required)
            .field("state", .string, .required)
            .field("title", .string, .required)
            .field("language", .string, .required)
            .field("content", .json, .required)
            .field("published_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "course_id", "version")
            .create()
        try await database.index("course_versions_latest", on: CourseVersion.schema, columns: ["is_latest", "title"])
        try await database.schema(CourseTransition.schema)
            .id()
            .field("course_id", .uuid, .required, .references(Course.schema, "id"))
            .field("version", .int, .required)
            .field("action", .string, .required)
            .field("from_state", .string, .required)
            .field("to_state", .string, .required)
            .field("by_user", .uuid, .required)
            .field("comment", .string)
            .field("created_at", .datetime)
            .create()
        try await database.index("course_transitions_course", on: CourseTransition.schema, columns: ["course_id", "version"])
    }

    func revert(on database: any Database) async throws {
        for table in [CourseTransition.schema, CourseVersion.schema, Course.schema] { try await database.schema(table).delete() }
    }
}

/// The catalogue index asks, before each search, for the latest change to any course: an index answers that without a scan.
struct IndexCourseChanges: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.index("courses_updated", on: Course.schema, columns: ["updated_at"])
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "courses_updated").run()
    }
}
