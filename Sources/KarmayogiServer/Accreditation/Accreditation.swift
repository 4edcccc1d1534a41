import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A version of the NSCSTI framework, as the national admin set it (`AccreditationFramework` as JSON).
final class AccreditationFrameworkVersion: Model, @unchecked Sendable {
    static let schema = "accreditation_frameworks"

    @ID(key: .id) var id: UUID?
    @Field(key: "version") var version: Int
    @Field(key: "body") var body: String
    @OptionalField(key: "created_by") var createdBy: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var framework: AccreditationFramework {
        (try? JSONDecoder().decode(AccreditationFramework.self, from: Data(body.utf8))) ?? .starting
    }
}

/// An institute's application for accreditation, from its self-assessment to the decision.
final class AccreditationRecord: Model, @unchecked Sendable {
    static let schema = "accreditations"

    @ID(key: .id) var id: UUID?
    @Field(key: "institute_id") var instituteID: UUID
    @Field(key: "institute_path") var institutePath: String
    @OptionalField(key: "state_code") var stateCode: Int?
    @Field(key: "framework_version") var frameworkVersion: Int
    @Enum(key: "stage") var stage: AccreditationStage
    /// JSON: the answers to the framework's profile questions, in order.
    @Field(key: "profile") var profile: String
    /// JSON: the institute's own score per metric.
    @Field(key: "self_scores") var selfScores: String
    /// JSON: the moderated score per metric the decision was made on.
    @OptionalField(key: "final_scores") var finalScores: String?
    @OptionalField(key: "percent") var percent: Double?
    @OptionalField(key: "stars") var stars: Int?
    @OptionalField(key: "decision_note") var decisionNote: String?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "valid_until") var validUntil: Int?
    @OptionalField(key: "previous_id") var previousID: UUID?
    @Field(key: "created_by") var createdBy: UUID
    @OptionalField(key: "submitted_at") var submittedAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var placement: Placement { Placement(organisationPath: institutePath, stateCodes: stateCode.map { [$0] } ?? []) }
}

/// Evidence for a metric: a link, a stored file, or a figure the platform filled in.
final class AccreditationEvidence: Model, @unchecked Sendable {
    static let schema = "accreditation_evidence"

    enum Kind: String, Codable { case link, file, figure }

    @ID(key: .id) var id: UUID?
    @Field(key: "accreditation_id") var accreditationID: UUID
    @Field(key: "metric_key") var metricKey: String
    @Enum(key: "kind") var kind: Kind
    @Field(key: "value") var value: String
    @Field(key: "note") var note: String
    @OptionalField(key: "added_by") var addedBy: UUID?
    @Field(key: "added_at") var addedAt: Date

    init() {}
}

/// An assessor assigned to a phase of an application.
final class AccreditationAssessor: Model, @unchecked Sendable {
    static let schema = "accreditation_assessors"

    @ID(key: .id) var id: UUID?
    @Field(key: "accreditation_id") var accreditationID: UUID
    @Field(key: "user_id") var userID: UUID
    @Enum(key: "phase") var phase: AssessmentPhase
    @Field(key: "assigned_by") var assignedBy: UUID
    @Field(key: "assigned_at") var assignedAt: Date
    /// JSON: the assessor's score per metric, once sent.
    @OptionalField(key: "scores") var scores: String?
    @OptionalField(key: "scored_at") var scoredAt: Date?

    init() {}
}

/// An action of a quality improvement plan (for 0–2 stars), followed to re-assessment.
final class AccreditationAction: Model, @unchecked Sendable {
    static let schema = "accreditation_actions"

    @ID(key: .id) var id: UUID?
    @Field(key: "accreditation_id") var accreditationID: UUID
    @Field(key: "position") var position: Int
    @Field(key: "action") var action: String
    @Field(key: "due_day") var dueDay: Int
    @OptionalField(key: "done_at") var doneAt: Date?

    init() {}
}

struct CreateAccreditation: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(AccreditationFrameworkVersion.schema)
            .id()
            .field("version", .int, .required)
            .field("body", .string, .required)
            .field("created_by", .uuid)
            .field("created_at", .datetime, .required)
            .unique(on: "version")
            .create()
        try await database.schema(AccreditationRecord.schema)
            .id()
            .field("institute_id", .uuid, .required)
            .field("institute_path", .string, .required)
            .field("state_code", .int)
            .field("framework_version", .int, .required)
            .field("stage", .string, .required)
            .field("profile", .string, .required)
            .field("self_scores", .string, .required)
            .field("final_scores", .string)
            .field("percent", .double)
            .field("stars", .int)
            .field("decision_note", .string)
            .field("decided_at", .datetime)
            .field("valid_until", .int)
            .field("previous_id", .uuid)
            .field("created_by", .uuid, .required)
            .field("submitted_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.index("accreditations_institute", on: AccreditationRecord.schema, columns: ["institute_id", "created_at"])
        try await database.index("accreditations_stage", on: AccreditationRecord.schema, columns: ["stage", "state_code"])
        try await database.schema(AccreditationEvidence.schema)
            .id()
            .field("accreditation_id", .uuid, .required)
            .field("metric_key", .string, .required)
            .field("kind", .string, .required)
            .field("value", .string, .required)
            .field("note", .string, .required)
            .field("added_by", .uuid)
            .field("added_at", .datetime, .required)
            .create()
        try await database.index("accreditation_evidence_of", on: AccreditationEvidence.schema, columns: ["accreditation_id", "metric_key"])
        try await database.schema(AccreditationAssessor.schema)
            .id()
            .field("accreditation_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("phase", .string, .required)
            .field("assigned_by", .uuid, .required)
            .field("assigned_at", .datetime, .required)
            .field("scores", .string)
            .field("scored_at", .datetime)
            .unique(on: "accreditation_id", "user_id", "phase")
            .create()
        try await database.index("accreditation_assessors_user", on: AccreditationAssessor.schema, columns: ["user_id"])
        try await database.schema(AccreditationAction.schema)
            .id()
            .field("accreditation_id", .uuid, .required)
            .field("position", .int, .required)
            .field("action", .string, .required)
            .field("due_day", .int, .required)
            .field("done_at", .datetime)
            .create()
        try await database.index("accreditation_actions_of", on: AccreditationAction.schema, columns: ["accreditation_id", "position"])
        // The framework a platform starts with, as version 1; a national admin publishes the next.
        let first = AccreditationFrameworkVersion()
        first.version = 1
        first.body = String(decoding: try JSONEncoder().encode(AccreditationFramework.starting), as: UTF8.self)
        first.createdAt = Date()
        try await first.create(on: database)
    }

    func revert(on database: any Database) async throws {
        for schema in [AccreditationAction.schema, AccreditationAssessor.schema, AccreditationEvidence.schema, AccreditationRecord.schema,
                       AccreditationFrameworkVersion.schema] {
            try await database.schema(schema).delete()
        }
    }
}

// MARK: Inputs and answers

struct FrameworkInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case pillars, profileQuestions, bands, validityYears }

    static var nestedFields: [String: Set<String>] {
        [Fields.pillars.stringValue: ["key", "title", "metrics"], Fields.bands.stringValue: ["stars", "minimumPercent"]]
    }

    var pillars: [AccreditationFramework.Pillar]?
    var profileQuestions: [String]?
    var bands: [AccreditationFramework.Band]?
    var validityYears: Int?
}

struct ApplicationInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case previousId }
    var previousId: UUID?
}

struct ApplicationPatch: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case profile, selfScores, action, actionsDone }
    var profile: [String]?
    var selfScores: [String: Int]?
    /// "submit": the self-assessment goes to the assessors.
    var action: String?
    /// Positions of the quality improvement plan's actions done.
    var actionsDone: [Int]?
}

struct EvidenceInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case metricKey, link, note }
    var metricKey: String?
    var link: String?
    var note: String?
}

struct AssessorInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case email, userId, phase }
    var email: String?
    var userId: UUID?
    var phase: AssessmentPhase?
}

struct ScoresInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case phase, scores }
    var phase: AssessmentPhase?
    var scores: [String: Int]?
}

struct AccreditationDecisionInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case moderatedScores, note, actions }
    static var nestedFields: [String: Set<String>] { [Fields.actions.stringValue: ["action", "dueDate"]] }

    struct Action: Codable {
        var action: String
        var dueDate: String
    }

    var moderatedScores: [String: Int]?
    var note: String?
    var actions: [Action]?
}

struct FrameworkDTO: Content {
    var version: Int
    var framework: AccreditationFramework
    var maximumTotal: Int
    var createdAt: Date
}

struct AccreditationDTO: Content {
    struct Evidence: Content {
        var id: UUID
        var metricKey: String
        var kind: String
        var value: String
        var note: String
        var addedAt: Date
    }

    struct Assessor: Content {
        var userId: UUID
        var name: String?
        var phase: AssessmentPhase
        var scores: [String: Int]?
        var scoredAt: Date?
    }

    struct Action: Content {
        var position: Int
        var action: String
        var dueDate: String
        var done: Bool
    }

    var id: UUID
    var instituteId: UUID
    var instituteName: String?
    var stateCode: Int?
    var frameworkVersion: Int
    var framework: AccreditationFramework
    var stage: AccreditationStage
    var profile: [String]
    var selfScores: [String: Int]
    var evidence: [Evidence]
    var assessors: [Assessor]
    var finalScores: [String: Int]?
    var percent: Double?
    var stars: Int?
    var decisionNote: String?
    var decidedAt: Date?
    var validUntil: String?
    var improvementPlan: [Action]
    var previousId: UUID?
    var submittedAt: Date?
    var updatedAt: Date
}

struct RegisterDTO: Content {
    struct Entry: Content {
        var accreditationId: UUID
        var instituteId: UUID
        var name: String
        var stateCode: Int?
        var stateName: String?
        var stars: Int
        var decidedAt: Date
        var validUntil: String
    }

    struct StateRow: Content {
        var stateCode: Int?
        var name: String
        /// Institutes by stars, 0 to 5.
        var byStars: [Int]
    }

    var items: [Entry]
    /// Accredited institutes by stars, 0 to 5.
    var byStars: [Int]
    var byState: [StateRow]
}
