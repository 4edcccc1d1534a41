import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A talk, webinar or workshop: online (a link the platform hands out and logs) or at a venue, with registration, a
/// rule for attendance, and a certificate for those who attended.
final class Event: Model, @unchecked Sendable {
    static let schema = "events"

    enum Kind: String, Codable, Sendable, CaseIterable { case talk, webinar, workshop }
    enum Registration: String, Codable, Sendable, CaseIterable {
        /// Anyone signed in may register.
        case open
        /// People are nominated by the organisers or by their MDO admins.
        case nomination
    }
    enum Status: String, Codable, Sendable { case scheduled, cancelled }

    @ID(key: .id) var id: UUID?
    @Field(key: "title") var title: String
    @Field(key: "title_hi") var titleHi: String
    @Enum(key: "kind") var kind: Kind
    /// JSON: the speakers' names (and roles), in order.
    @Field(key: "speakers") var speakers: String
    @Field(key: "description") var description: String
    /// JSON: the competencies (and levels) attendance shows.
    @Field(key: "claims") var competencies: String
    @Field(key: "starts_at") var startsAt: Date
    @Field(key: "ends_at") var endsAt: Date
    @OptionalField(key: "capacity") var capacity: Int?
    @Field(key: "registered") var registered: Int
    @OptionalField(key: "online_url") var onlineURL: String?
    @OptionalField(key: "venue") var venue: String?
    @OptionalField(key: "state_code") var stateCode: Int?
    @OptionalField(key: "district_code") var districtCode: Int?
    @Enum(key: "registration") var registration: Registration
    @Enum(key: "rule_kind") var ruleKind: AttendanceRule.Kind
    @Field(key: "rule_minutes") var ruleMinutes: Int
    @Field(key: "organiser_id") var organiserID: UUID
    @Field(key: "created_by") var createdBy: UUID
    /// The key the check-in codes are made from; never shown.
    @Field(key: "secret") var secret: String
    @Enum(key: "status") var status: Status
    /// When attendance was last decided and certificates issued (after the end, and again after a late sheet).
    @OptionalField(key: "settled_at") var settledAt: Date?
    /// Set when attendance must be decided (again): the end passed, or a sheet arrived after it.
    @Field(key: "needs_settling") var needsSettling: Bool
    /// The recording, published as an on-demand course.
    @OptionalField(key: "recording_course_id") var recordingCourseID: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var rule: AttendanceRule { AttendanceRule(kind: ruleKind, minutes: ruleMinutes) }
    var minutes: Int { Int(endsAt.timeIntervalSince(startsAt) / 60) }
    var claims: [RoleRequirement] { (try? JSONDecoder().decode([RoleRequirement].self, from: Data(competencies.utf8))) ?? [] }
    var speakerList: [EventSpeaker] { (try? JSONDecoder().decode([EventSpeaker].self, from: Data(speakers.utf8))) ?? [] }
    /// People may open the link and check in from a quarter of an hour before the start.
    var doorsOpen: Date { startsAt.addingTimeInterval(-15 * 60) }
}

struct EventSpeaker: Codable, Sendable, Equatable {
    var name: String
    var role: String?
}

struct CreateEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("events")
            .id()
            .field("title", .string, .required)
            .field("title_hi", .string, .required)
            .field("kind", .string, .required)
            .field("speakers", .string, .required)
            .field("description", .string, .required)
            .field("claims", .string, .required)
            .field("starts_at", .datetime, .required)
            .field("ends_at", .datetime, .required)
            .field("capacity", .int)
            .field("registered", .int, .required)
            .field("online_url", .string)
            .field("venue", .string)
            .field("state_code", .int)
            .field("district_code", .int)
            .field("registration", .string, .required)
            .field("rule_kind", .string, .required)
            .field("rule_minutes", .int, .required)
            .field("organiser_id", .uuid, .required)
            .field("created_by", .uuid, .required)
            .field("secret", .string, .required)
            .field("status", .string, .required)
            .field("settled_at", .datetime)
            .field("needs_settling", .bool, .required)
            .field("recording_course_id", .uuid)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.index("events_starts", on: "events", columns: ["starts_at"])
        try await database.index("events_settling", on: "events", columns: ["needs_settling", "ends_at"])
        try await database.schema("event_registrations")
            .field("event_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("how", .string, .required)
            .field("by_user", .uuid, .required)
            .field("at", .datetime, .required)
            .compositeIdentifier(over: "event_id", "user_id")
            .create()
        try await database.index("event_registrations_user", on: "event_registrations", columns: ["user_id"])
        // When each person had the live link open (through the platform), or was present by an uploaded sheet.
        try await database.schema("event_presence")
            .field("id", .uuid, .identifier(auto: false))
            .field("event_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("from_at", .datetime, .required)
            .field("to_at", .datetime)
            .field("source", .string, .required)
            .create()
        try await database.index("event_presence_person", on: "event_presence", columns: ["event_id", "user_id"])
        try await database.schema("event_checkins")
            .field("event_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("at", .datetime, .required)
            .field("code_window", .int64, .required)
            .compositeIdentifier(over: "event_id", "user_id")
            .create()
        // What was decided: minutes present, checked in, and the certificate of those who attended.
        try await database.schema("event_attendance")
            .field("event_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("minutes", .int, .required)
            .field("checked_in", .bool, .required)
            .field("attended", .bool, .required)
            .field("certificate_id", .uuid)
            .field("certified_at", .datetime)
            .field("ends_at", .datetime, .required)
            .compositeIdentifier(over: "event_id", "user_id")
            .create()
        try await database.index("event_attendance_certified", on: "event_attendance", columns: ["ends_at"])
    }

    func revert(on database: any Database) async throws {
        for table in ["event_attendance", "event_checkins", "event_presence", "event_registrations", "events"] { try await database.schema(table).delete() }
    }
}

struct EventInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable {
        case title, titleHi, kind, speakers, description, competencies, startsAt, endsAt, capacity, onlineUrl, venue, stateCode, districtCode
        case registration, attendanceRule, organiserId, recordingCourseId
    }

    static var nestedFields: [String: Set<String>] {
        [Fields.speakers.stringValue: ["name", "role"], Fields.attendanceRule.stringValue: ["kind", "minutes"],
         Fields.competencies.stringValue: ["competencyId", "level"]]
    }

    struct Rule: Codable, Sendable {
        var kind: AttendanceRule.Kind
        var minutes: Int?
    }

    var title: String?
    var titleHi: String?
    var kind: Event.Kind?
    var speakers: [EventSpeaker]?
    var description: String?
    var competencies: [RoleRequirement]?
    /// RFC 3339 (read here, not by the decoder, so that a time it cannot read is named as the field).
    var startsAt: String?
    var endsAt: String?
    var capacity: Int?
    var onlineUrl: String?
    var venue: String?
    var stateCode: Int?
    var districtCode: Int?
    var registration: Event.Registration?
    var attendanceRule: Rule?
    var organiserId: UUID?
    var recordingCourseId: UUID?
}

struct EventDTO: Content {
    var id: UUID
    var title: String
    var titleHi: String
    var kind: Event.Kind
    var speakers: [EventSpeaker]
    var description: String
    var competencies: [RoleRequirement]
    var startsAt: Date
    var endsAt: Date
    var capacity: Int?
    var registered: Int
    /// Given to registered people only, and only through `POST /events/{id}/join`; this says whether there is one.
    var online: Bool
    var venue: String?
    var stateCode: Int?
    var districtCode: Int?
    var registration: Event.Registration
    var attendanceRule: EventInput.Rule
    var organiserId: UUID
    var organiserName: String?
    var status: Event.Status
    /// upcoming, open (doors open, running), ended, cancelled.
    var phase: String
    var recordingCourseId: UUID?
    var settledAt: Date?
    /// The signed-in person's own part: registered, nominated or nil; and their attendance once decided.
    var myRegistration: String?
    var myAttendance: AttendanceDTO?
    var mayManage: Bool
}

struct AttendanceDTO: Content {
    var userId: UUID
    var name: String?
    var minutes: Int
    var checkedIn: Bool
    var attended: Bool
    var certificateId: UUID?
    var certifiedAt: Date?
}

struct RegistrationInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case userIds }
    var userIds: [UUID]
}

struct RegistrationDTO: Content {
    var eventId: UUID
    var userId: UUID
    var how: String
    var outcome: String
}

struct CheckInInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case code }
    var code: String
}

struct CheckInCodeDTO: Content {
    var eventId: UUID
    var code: String
    var expiresAt: Date
    var periodSeconds: Int
}

struct JoinDTO: Content {
    var eventId: UUID
    /// Where the live event is: open it now.
    var url: String
    var joinedAt: Date
}
