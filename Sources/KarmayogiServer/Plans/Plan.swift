import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// An organisation's Annual Capacity Building Plan: courses, to whom they are assigned, and by when.
/// Who is assigned is resolved when read; only people named one by one are kept as rows (`plan_people`).
final class Plan: Model, @unchecked Sendable {
    static let schema = "plans"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    // reference fields
    @Field(key: "organisation_id") var organisationID: UUID
    @Field(key: "created_by") var createdBy: UUID

    // data fields
    @Field(key: "name") var name: String
    @Field(key: "year") var year: Int
    @Field(key: "state") var state: PlanState
    /// The last day (IST) to complete the plan's courses on time.
    @Field(key: "due_day") var dueDay: Int
    @Field(key: "assignment") var assignment: AssignmentColumn
    @OptionalField(key: "published_at") var publishedAt: Date?
    @OptionalField(key: "retired_at") var retiredAt: Date?

    init() {}

    /// The moment after which completing is late.
    var due: Date { IndiaDay.end(dueDay) }

    /// JSON in one column (a struct, so PostgreSQL stores it as one jsonb value).
    struct AssignmentColumn: Codable, Sendable {
        var value: PlanAssignment
    }
}

/// A plan's change once made: who changed which field from what to what.
struct PlanChangeDTO: Content {
    var at: Date
    var by: UUID
    var byName: String?
    var field: String
    var before: String?
    var after: String?
    var comment: String?
}

struct CreatePlans: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Plan.schema)
            .id()
            .field("organisation_id", .uuid, .required, .references(Organisation.schema, "id"))
            .field("created_by", .uuid, .required)
            .field("name", .string, .required)
            .field("year", .int, .required)
            .field("state", .string, .required)
            .field("due_day", .int, .required)
            .field("assignment", .json, .required)
            .field("published_at", .datetime)
            .field("retired_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.index("plans_organisation", on: Plan.schema, columns: ["organisation_id", "state"])
        try await database.schema("plan_courses")
            .field("plan_id", .uuid, .required, .references(Plan.schema, "id", onDelete: .cascade))
            .field("course_id", .uuid, .required, .references(Course.schema, "id"))
            .field("position", .int, .required)
            .compositeIdentifier(over: "plan_id", "course_id")
            .create()
        try await database.schema("plan_people")
            .field("plan_id", .uuid, .required, .references(Plan.schema, "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .compositeIdentifier(over: "plan_id", "user_id")
            .create()
        try await database.index("plan_people_user", on: "plan_people", columns: ["user_id"])
        try await database.schema("plan_changes")
            .id()
            .field("plan_id", .uuid, .required, .references(Plan.schema, "id", onDelete: .cascade))
            .field("changed_by", .uuid, .required)
            .field("field", .string, .required)
            .field("before", .string)
            .field("after", .string)
            .field("comment", .string)
            .field("changed_at", .datetime, .required)
            // Changes made together share a time; this keeps them in the order they were listed.
            .field("position", .int, .required)
            .create()
        try await database.index("plan_changes_plan", on: "plan_changes", columns: ["plan_id", "changed_at"])
    }

    func revert(on database: any Database) async throws {
        for table in ["plan_changes", "plan_people", "plan_courses", Plan.schema] { try await database.schema(table).delete() }
    }
}
