import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// A cohort journey (the DAKSH shape): phases over months, each with activities of different kinds, a cohort of
/// participants with mentors; a phase opens when the one before it is done, decided here.
final class Journey: Model, @unchecked Sendable {
    static let schema = "journeys"

    @ID(key: .id) var id: UUID?
    @Field(key: "title") var title: String
    @Field(key: "title_hi") var titleHi: String
    @Field(key: "description") var description: String
    @Field(key: "provider_id") var providerID: UUID
    @Field(key: "start_day") var startDay: Int
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

final class JourneyPhase: Model, @unchecked Sendable {
    static let schema = "journey_phases"

    @ID(key: .id) var id: UUID?
    @Field(key: "journey_id") var journeyID: UUID
    @Field(key: "position") var position: Int
    @Field(key: "title") var title: String
    @Field(key: "title_hi") var titleHi: String
    @Field(key: "months") var months: Int

    init() {}
}

final class JourneyActivity: Model, @unchecked Sendable {
    static let schema = "journey_activities"

    @ID(key: .id) var id: UUID?
    @Field(key: "journey_id") var journeyID: UUID
    @Field(key: "phase_id") var phaseID: UUID
    @Field(key: "position") var position: Int
    @Enum(key: "kind") var kind: JourneyActivityKind
    @Field(key: "title") var title: String
    @Field(key: "required") var required: Bool
    @OptionalField(key: "course_id") var courseID: UUID?
    @OptionalField(key: "session_id") var sessionID: UUID?

    init() {}
}

/// A member of a journey's cohort: a participant (with a mentor) or a mentor.
final class JourneyMember: Model, @unchecked Sendable {
    static let schema = "journey_members"

    @ID(key: .id) var id: UUID?
    @Field(key: "journey_id") var journeyID: UUID
    @Field(key: "user_id") var userID: UUID
    @Enum(key: "role") var role: JourneyRole
    @OptionalField(key: "mentor_id") var mentorID: UUID?
    @Field(key: "added_by") var addedBy: UUID
    @Field(key: "added_at") var addedAt: Date

    init() {}
}

/// What a member did of an activity recorded by a person: a coaching conversation or visit recorded, a milestone
/// submitted, accepted or returned.
final class JourneyRecord: Model, @unchecked Sendable {
    static let schema = "journey_records"

    @ID(key: .id) var id: UUID?
    @Field(key: "journey_id") var journeyID: UUID
    @Field(key: "activity_id") var activityID: UUID
    @Field(key: "user_id") var userID: UUID
    /// `recorded` for coaching and visits; a `MilestoneStatus` for milestones.
    @Field(key: "status") var status: String
    /// The member's submission, or the mentor's or coordinator's note.
    @OptionalField(key: "text") var text: String?
    @OptionalField(key: "link") var link: String?
    @Field(key: "by_user") var byUser: UUID
    @Field(key: "at") var at: Date
    @OptionalField(key: "reviewed_by") var reviewedBy: UUID?
    @OptionalField(key: "review_note") var reviewNote: String?
    @OptionalField(key: "reviewed_at") var reviewedAt: Date?

    init() {}

    static let recorded = "recorded"
    var isDone: Bool { status == Self.recorded || status == MilestoneStatus.accepted.rawValue }
}

struct CreateJourneys: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("journeys")
            .id()
            .field("title", .string, .required)
            .field("title_hi", .string, .required)
            .field("description", .string, .required)
            .field("provider_id", .uuid, .required)
            .field("start_day", .int, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema("journey_phases")
            .id()
            .field("journey_id", .uuid, .required)
            .field("position", .int, .required)
            .field("title", .string, .required)
            .field("title_hi", .string, .required)
            .field("months", .int, .required)
            .unique(on: "journey_id", "position")
            .create()
        try await database.schema("journey_activities")
            .id()
            .field("journey_id", .uuid, .required)
            .field("phase_id", .uuid, .required)
            .field("position", .int, .required)
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("required", .bool, .required)
            .field("course_id", .uuid)
            .field("session_id", .uuid)
            .create()
        try await database.index("journey_activities_journey", on: "journey_activities", columns: ["journey_id", "position"])
        try await database.schema("journey_members")
            .id()
            .field("journey_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("role", .string, .required)
            .field("mentor_id", .uuid)
            .field("added_by", .uuid, .required)
            .field("added_at", .datetime, .required)
            .unique(on: "journey_id", "user_id")
            .create()
        try await database.index("journey_members_mentor", on: "journey_members", columns: ["journey_id", "mentor_id"])
        try await database.index("journey_members_person", on: "journey_members", columns: ["user_id"])
        try await database.schema("journey_records")
            .id()
            .field("journey_id", .uuid, .required)
            .field("activity_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("status", .string, .required)
            .field("text", .string)
            .field("link", .string)
            .field("by_user", .uuid, .required)
            .field("at", .datetime, .required)
            .field("reviewed_by", .uuid)
            .field("review_note", .string)
            .field("reviewed_at", .datetime)
            .unique(on: "activity_id", "user_id")
            .create()
        try await database.index("journey_records_member", on: "journey_records", columns: ["journey_id", "user_id"])
        // The badge of each phase and the journey's certificate each member was given (part: a phase, or the journey).
        try await database.schema("journey_awards")
            .field("journey_id", .uuid, .required)
            .field("part_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("certificate_id", .uuid, .required)
            .field("at", .datetime, .required)
            .compositeIdentifier(over: "part_id", "user_id")
            .create()
        try await database.index("journey_awards_member", on: "journey_awards", columns: ["journey_id", "user_id"])
    }

    func revert(on database: any Database) async throws {
        for table in ["journey_awards", "journey_records", "journey_members", "journey_activities", "journey_phases", "journeys"] {
            try await database.schema(table).delete()
        }
    }
}

struct JourneyInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case title, titleHi, description, providerId, startDate, phases, activities }

    static var nestedFields: [String: Set<String>] {
        [Fields.phases.stringValue: ["title", "titleHi", "months"],
         Fields.activities.stringValue: ["phase", "kind", "title", "required", "courseId", "sessionId"]]
    }

    struct Phase: Codable {
        var title: String
        var titleHi: String?
        var months: Int
    }

    struct Activity: Codable {
        /// The position of its phase in `phases`, from 0.
        var phase: Int
        var kind: JourneyActivityKind
        var title: String
        var required: Bool?
        var courseId: UUID?
        var sessionId: UUID?
    }

    var title: String?
    var titleHi: String?
    var description: String?
    var providerId: UUID?
    var startDate: String?
    var phases: [Phase]?
    var activities: [Activity]?
}

struct JourneyActivityDTO: Content {
    var id: UUID
    var kind: JourneyActivityKind
    var title: String
    var required: Bool
    var courseId: UUID?
    var sessionId: UUID?
}

struct JourneyPhaseDTO: Content {
    var id: UUID
    var position: Int
    var title: String
    var titleHi: String
    var months: Int
    var startDate: String
    var activities: [JourneyActivityDTO]
}

struct JourneyDTO: Content {
    var id: UUID
    var title: String
    var titleHi: String
    var description: String
    var providerId: UUID
    var providerName: String?
    var startDate: String
    var endDate: String
    var phases: [JourneyPhaseDTO]
    var members: Int
    var mayCoordinate: Bool
    /// The signed-in person's part and (a participant's) progress.
    var myRole: JourneyRole?
    var myProgress: JourneyProgressDTO?
    var createdAt: Date
}

struct JourneyMembersInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case userIds, role, mentorId }
    var userIds: [UUID]?
    var role: JourneyRole?
    /// For participants: their mentor, a mentor of the journey.
    var mentorId: UUID?
}

struct JourneyActivityStateDTO: Content {
    var activityId: UUID
    var done: Bool
    /// For milestones: submitted, accepted or returned.
    var status: String?
    var text: String?
    var reviewNote: String?
}

struct JourneyProgressDTO: Content {
    var phasesCompleted: Int
    var phasesOpen: Int
    var activities: [JourneyActivityStateDTO]
    /// The badge (certificate id) of each completed phase, by phase id.
    var badges: [String: UUID]
    var certificateId: UUID?
}

struct JourneyMemberDTO: Content {
    var userId: UUID
    var name: String?
    var role: JourneyRole
    var mentorId: UUID?
    var mentorName: String?
    var progress: JourneyProgressDTO?
}

struct JourneyRecordInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case userId, note }
    var userId: UUID?
    var note: String?
}

struct MilestoneSubmitInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case text, link }
    var text: String?
    var link: String?
}

struct MilestoneReviewInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case userId, decision, note }
    var userId: UUID?
    /// accept or return.
    var decision: String?
    var note: String?
}
