import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A training cascade (the Jan Seva shape): lead trainers certify master trainers, who run one-day batches from the
/// cascade's template that certify participants.
final class Cascade: Model, @unchecked Sendable {
    static let schema = "cascades"

    @ID(key: .id) var id: UUID?
    @Field(key: "title") var title: String
    @Field(key: "title_hi") var titleHi: String
    @Field(key: "description") var description: String
    @Field(key: "provider_id") var providerID: UUID
    /// JSON: the modules of a one-day batch (`CascadeTemplate`).
    @Field(key: "modules") var modules: String
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var template: CascadeTemplate { CascadeTemplate(modules: (try? JSONDecoder().decode([CascadeTemplate.Module].self, from: Data(modules.utf8))) ?? []) }
}

/// A batch of a cascade: a lead trainer's training of master trainers, or a master trainer's one-day batch for participants.
final class CascadeBatch: Model, @unchecked Sendable {
    static let schema = "cascade_batches"

    @ID(key: .id) var id: UUID?
    @Field(key: "cascade_id") var cascadeID: UUID
    /// The tier the batch certifies: master or participant.
    @Enum(key: "tier") var tier: CascadeTier
    @Field(key: "trainer_id") var trainerID: UUID
    @Field(key: "start_day") var startDay: Int
    @Field(key: "end_day") var endDay: Int
    @Field(key: "state_code") var stateCode: Int
    @OptionalField(key: "district_code") var districtCode: Int?
    @OptionalField(key: "venue") var venue: String?
    /// The organisation that hosts it (the trainer's), as a materialised path: the batch counts in each of its scopes.
    @Field(key: "organisation_path") var organisationPath: String
    @Field(key: "seats") var seats: Int
    /// People recorded as attending, kept by the statement that records them.
    @Field(key: "attended") var attended: Int
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var scopeKeys: [String] {
        InsightScope.scopes(organisationPath: organisationPath, stateCode: stateCode, districtCode: districtCode).map(\.key)
    }
}

/// A trainer's batches of the day, in every cascade, for their phone.
struct IndexCascadeBatchesByTrainer: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.index("cascade_batches_by_trainer", on: "cascade_batches", columns: ["trainer_id", "start_day"])
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "cascade_batches_by_trainer").run()
    }
}

struct CreateCascades: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("cascades")
            .id()
            .field("title", .string, .required)
            .field("title_hi", .string, .required)
            .field("description", .string, .required)
            .field("provider_id", .uuid, .required)
            .field("modules", .string, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema("cascade_batches")
            .id()
            .field("cascade_id", .uuid, .required)
            .field("tier", .string, .required)
            .field("trainer_id", .uuid, .required)
            .field("start_day", .int, .required)
            .field("end_day", .int, .required)
            .field("state_code", .int, .required)
            .field("district_code", .int)
            .field("venue", .string)
            .field("organisation_path", .string, .required)
            .field("seats", .int, .required)
            .field("attended", .int, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.index("cascade_batches_trainer", on: "cascade_batches", columns: ["cascade_id", "trainer_id", "start_day"])
        try await database.index("cascade_batches_day", on: "cascade_batches", columns: ["cascade_id", "start_day"])
        // The certification tree: each person certified once per tier in a cascade, by whom and in which batch, where
        // they counted then, and (for trainers) how many batches they have run.
        try await database.schema("cascade_certifications")
            .field("cascade_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("tier", .string, .required)
            .field("certified_by", .uuid, .required)
            .field("batch_id", .uuid)
            .field("day", .int, .required)
            .field("state_code", .int)
            .field("district_code", .int)
            .field("organisation_path", .string, .required)
            .field("batches_run", .int, .required)
            .field("at", .datetime, .required)
            .compositeIdentifier(over: "cascade_id", "user_id", "tier")
            .create()
        try await database.index("cascade_certifications_load", on: "cascade_certifications", columns: ["cascade_id", "tier", "batches_run"])
        try await database.index("cascade_certifications_state", on: "cascade_certifications", columns: ["cascade_id", "tier", "state_code", "batches_run"])
        try await database.index("cascade_certifications_district", on: "cascade_certifications", columns: ["cascade_id", "tier", "district_code", "batches_run"])
        try await database.index("cascade_certifications_organisation", on: "cascade_certifications", columns: ["cascade_id", "tier", "organisation_path"])
        try await database.index("cascade_certifications_by", on: "cascade_certifications", columns: ["cascade_id", "certified_by"])
        // Who attended which batch (a person may attend twice; they are certified once).
        try await database.schema("cascade_attendance")
            .field("batch_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("by_user", .uuid, .required)
            .field("at", .datetime, .required)
            .compositeIdentifier(over: "batch_id", "user_id")
            .create()
        // The reach counters per scope key and day (day 0: all days), written in the transaction that certifies.
        try await database.schema("cascade_reach")
            .field("cascade_id", .uuid, .required)
            .field("scope", .string, .required)
            .field("day", .int, .required)
            .field("lead_trainers", .int64, .required)
            .field("master_trainers", .int64, .required)
            .field("batches", .int64, .required)
            .field("participants", .int64, .required)
            .compositeIdentifier(over: "cascade_id", "scope", "day")
            .create()
    }

    func revert(on database: any Database) async throws {
        for table in ["cascade_reach", "cascade_attendance", "cascade_certifications", "cascade_batches", "cascades"] { try await database.schema(table).delete() }
    }
}

struct CascadeInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case title, titleHi, description, providerId, modules }

    static var nestedFields: [String: Set<String>] { [Fields.modules.stringValue: ["title", "titleHi", "minutes"]] }

    var title: String?
    var titleHi: String?
    var description: String?
    var providerId: UUID?
    var modules: [CascadeTemplate.Module]?
}

struct CascadeDTO: Content {
    var id: UUID
    var title: String
    var titleHi: String
    var description: String
    var providerId: UUID
    var providerName: String?
    var modules: [CascadeTemplate.Module]
    var totals: CascadeReach
    var mayCoordinate: Bool
    var createdAt: Date
}

struct CascadePeopleInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case userIds, emails }
    var userIds: [UUID]?
    var emails: [String]?
}

struct CascadeBatchInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case tier, trainerId, startDate, endDate, stateCode, districtCode, venue, seats }
    /// The tier it certifies: `master` (a lead trainer's batch) or `participant` (a master trainer's one-day batch).
    var tier: CascadeTier?
    /// Left out, the signed-in person trains.
    var trainerId: UUID?
    var startDate: String?
    /// Only for master batches (a one-day batch ends on its day).
    var endDate: String?
    var stateCode: Int?
    var districtCode: Int?
    var venue: String?
    var seats: Int?
}

struct CascadeBatchDTO: Content {
    var id: UUID
    var cascadeId: UUID
    var tier: CascadeTier
    var trainerId: UUID
    var trainerName: String?
    var startDate: String
    var endDate: String
    var stateCode: Int
    var districtCode: Int?
    var venue: String?
    var seats: Int
    var attended: Int
    var modules: [CascadeTemplate.Module]
}

struct CascadeAttendanceDTO: Content {
    /// The batch; nil when the coordinator certified lead trainers.
    var batchId: UUID?
    /// People recorded now (not already recorded in this batch).
    var recorded: Int
    /// Of those, people certified now; the others were certified in this tier before and count once.
    var certified: Int
    var attended: Int
}

struct CascadeCertificationDTO: Content {
    var userId: UUID
    var name: String?
    var tier: CascadeTier
    var certifiedBy: UUID
    var certifiedByName: String?
    var batchId: UUID?
    var date: String
    var batchesRun: Int
    /// People this person certified in the cascade.
    var certifiedOthers: Int
}

struct CascadeReachDTO: Content {
    struct Area: Content {
        var scope: String
        var kind: String
        var name: String
        var reach: CascadeReach
    }

    struct Day: Content {
        var date: String
        var reach: CascadeReach
    }

    struct Load: Content {
        var batches: Int
        var trainers: Int
        /// The last bucket counts trainers with this many batches or more.
        var orMore: Bool
    }

    struct Trainer: Content {
        var userId: UUID
        var name: String?
        var batches: Int
    }

    var cascadeId: UUID
    var scope: String
    var name: String
    var totals: CascadeReach
    var areas: [Area]
    var days: [Day]
    /// Master trainers counted in the scope, by how many one-day batches they ran.
    var batchesPerTrainer: [Load]
    var busiestTrainers: [Trainer]
}
