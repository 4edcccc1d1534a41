import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A provider's blended programme: online courses and sessions, run in batches, with a route for approving places.
final class Programme: Model, @unchecked Sendable {
    static let schema = "programmes"

    @ID(key: .id) var id: UUID?
    @Field(key: "title") var title: String
    @Field(key: "title_hi") var titleHi: String
    @Field(key: "description") var description: String
    @Field(key: "provider_id") var providerID: UUID
    @Enum(key: "route") var route: ApprovalRoute
    /// JSON: the online courses every participant completes, in order.
    @Field(key: "course_ids") var courses: String
    @Field(key: "minimum_attendance") var minimumAttendance: Int
    /// JSON: the competencies (and levels) completing it shows.
    @Field(key: "claims") var competencies: String
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var courseIDs: [UUID] { (try? JSONDecoder().decode([UUID].self, from: Data(courses.utf8))) ?? [] }
    var completion: ProgrammeCompletion { ProgrammeCompletion(minimumAttendancePercent: minimumAttendance) }
    var claims: [RoleRequirement] { (try? JSONDecoder().decode([RoleRequirement].self, from: Data(competencies.utf8))) ?? [] }
}

/// One run of a programme: dates, a place, seats and trainers.
final class ProgrammeBatch: Model, @unchecked Sendable {
    static let schema = "programme_batches"

    @ID(key: .id) var id: UUID?
    @Field(key: "programme_id") var programmeID: UUID
    @Field(key: "name") var name: String
    @Field(key: "start_day") var startDay: Int
    @Field(key: "end_day") var endDay: Int
    @OptionalField(key: "state_code") var stateCode: Int?
    @OptionalField(key: "district_code") var districtCode: Int?
    @OptionalField(key: "venue") var venue: String?
    @Field(key: "seats") var seats: Int
    /// Seats taken (nominations enrolled or completed), kept by the statement that takes or frees one.
    @Field(key: "taken") var taken: Int
    /// JSON: the trainers' user ids.
    @Field(key: "trainer_ids") var trainers: String
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    /// When the batch was last looked at for completions (`ProgrammeCompletions`); nil asks for a look.
    @OptionalField(key: "completion_checked_at") var completionCheckedAt: Date?

    init() {}

    var days: BatchDays { BatchDays(start: startDay, end: endDay) }
    var trainerIDs: [UUID] { (try? JSONDecoder().decode([UUID].self, from: Data(trainers.utf8))) ?? [] }
}

/// A person's place (or wish for one) in a batch, and every step it took.
final class Nomination: Model, @unchecked Sendable {
    static let schema = "programme_nominations"

    @ID(key: .id) var id: UUID?
    @Field(key: "batch_id") var batchID: UUID
    @Field(key: "programme_id") var programmeID: UUID
    @Field(key: "user_id") var userID: UUID
    @Enum(key: "status") var status: NominationStatus
    /// The batch's dates, kept here so that a person's batches are checked for overlap in one read.
    @Field(key: "start_day") var startDay: Int
    @Field(key: "end_day") var endDay: Int
    /// When every approval was given: the waitlist's order.
    @OptionalField(key: "approved_at") var approvedAt: Date?
    /// JSON: the courses this nomination enrolled the person in (not those they were enrolled in already), which
    /// leaving the batch un-enrols.
    @Field(key: "courses_enrolled") var coursesEnrolled: String
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var enrolledCourseIDs: [UUID] { (try? JSONDecoder().decode([UUID].self, from: Data(coursesEnrolled.utf8))) ?? [] }
}

struct CreateProgrammes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("programmes")
            .id()
            .field("title", .string, .required)
            .field("title_hi", .string, .required)
            .field("description", .string, .required)
            .field("provider_id", .uuid, .required)
            .field("route", .string, .required)
            .field("course_ids", .string, .required)
            .field("minimum_attendance", .int, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.index("programmes_provider", on: "programmes", columns: ["provider_id"])
        try await database.schema("programme_batches")
            .id()
            .field("programme_id", .uuid, .required)
            .field("name", .string, .required)
            .field("start_day", .int, .required)
            .field("end_day", .int, .required)
            .field("state_code", .int)
            .field("district_code", .int)
            .field("venue", .string)
            .field("seats", .int, .required)
            .field("taken", .int, .required)
            .field("trainer_ids", .string, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.index("programme_batches_programme", on: "programme_batches", columns: ["programme_id", "start_day"])
        try await database.schema("programme_nominations")
            .id()
            .field("batch_id", .uuid, .required)
            .field("programme_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("status", .string, .required)
            .field("start_day", .int, .required)
            .field("end_day", .int, .required)
            .field("approved_at", .datetime)
            .field("courses_enrolled", .string, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "batch_id", "user_id")
            .create()
        try await database.index("programme_nominations_person", on: "programme_nominations", columns: ["user_id", "start_day"])
        try await database.index("programme_nominations_waitlist", on: "programme_nominations", columns: ["batch_id", "status", "approved_at"])
        // Every step of every nomination: from, to, what, by whom (in which part), why, when.
        try await database.schema("programme_nomination_steps")
            .field("id", .uuid, .identifier(auto: false))
            .field("nomination_id", .uuid, .required)
            .field("from_status", .string)
            .field("to_status", .string, .required)
            .field("action", .string, .required)
            .field("actor", .string, .required)
            .field("by_user", .uuid, .required)
            .field("reason", .string)
            .field("at", .datetime, .required)
            .create()
        try await database.index("programme_nomination_steps_nomination", on: "programme_nomination_steps", columns: ["nomination_id", "at"])
    }

    func revert(on database: any Database) async throws {
        for table in ["programme_nomination_steps", "programme_nominations", "programme_batches", "programmes"] { try await database.schema(table).delete() }
    }
}

struct ProgrammeInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable {
        case title, titleHi, description, providerId, approvalRoute, courseIds, minimumAttendancePercent, competencies
    }

    static var nestedFields: [String: Set<String>] { [Fields.competencies.stringValue: ["competencyId", "level"]] }

    var title: String?
    var titleHi: String?
    var description: String?
    var providerId: UUID?
    var approvalRoute: ApprovalRoute?
    var courseIds: [UUID]?
    var minimumAttendancePercent: Int?
    var competencies: [RoleRequirement]?
}

struct ProgrammeDTO: Content {
    var id: UUID
    var title: String
    var titleHi: String
    var description: String
    var providerId: UUID
    var providerName: String?
    var approvalRoute: ApprovalRoute
    var courseIds: [UUID]
    var minimumAttendancePercent: Int
    var competencies: [RoleRequirement]
    /// Whether the signed-in person coordinates it (makes batches, decides nominations).
    var mayCoordinate: Bool
    var createdAt: Date
    var updatedAt: Date
}

struct BatchInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable {
        case name, startDate, endDate, stateCode, districtCode, venue, seats, trainerIds
    }

    var name: String?
    /// India days, YYYY-MM-DD (read here, so that a date it cannot read is named as the field).
    var startDate: String?
    var endDate: String?
    var stateCode: Int?
    var districtCode: Int?
    var venue: String?
    var seats: Int?
    var trainerIds: [UUID]?
}

struct BatchDTO: Content {
    var id: UUID
    var programmeId: UUID
    var name: String
    var startDate: String
    var endDate: String
    var stateCode: Int?
    var districtCode: Int?
    var venue: String?
    var seats: Int
    var seatsTaken: Int
    var waiting: Int
    var trainerIds: [UUID]
}

struct NominationInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case userIds, reason }
    /// People to nominate (MDO admins, coordinators); left out, the signed-in person applies.
    var userIds: [UUID]?
    var reason: String?
}

struct NominationDecisionInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case reason }
    var reason: String?
}

struct NominationStepDTO: Content {
    var from: NominationStatus?
    var to: NominationStatus
    var action: String
    var actor: String
    var byUserId: UUID
    var reason: String?
    var at: Date
}

struct NominationDTO: Content {
    var id: UUID
    var batchId: UUID
    var programmeId: UUID
    var userId: UUID
    var name: String?
    var status: NominationStatus
    /// For an approved nomination, its place on the batch's waitlist (1 is next).
    var waitlistPosition: Int?
    var startDate: String
    var endDate: String
    var steps: [NominationStepDTO]
}
