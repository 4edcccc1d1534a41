import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A learning week: a national one (national admins) or a State's (its State admins), counting the learning done
/// between its dates against a goal per person.
final class Campaign: Model, @unchecked Sendable {
    static let schema = "campaigns"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "name_hi") var nameHi: String
    /// The State of a State's campaign; nil for a national one.
    @OptionalField(key: "state_code") var stateCode: Int?
    @Field(key: "start_day") var startDay: Int
    @Field(key: "end_day") var endDay: Int
    @Enum(key: "eligible") var eligible: Eligibility
    @Enum(key: "goal_kind") var goalKind: CampaignGoal.Kind
    @Field(key: "goal_value") var goalValue: Double
    @Field(key: "organisation_goal_percent") var organisationGoalPercent: Int
    @Field(key: "banner") var banner: String
    @Field(key: "banner_hi") var bannerHi: String
    @OptionalField(key: "published_at") var publishedAt: Date?
    @OptionalField(key: "closed_at") var closedAt: Date?
    /// The day it was closed on: closing ends the campaign with that day (learning done that day still counts).
    @OptionalField(key: "closed_day") var closedDay: Int?
    /// The stage as the scheduled job last moved it (`CampaignStages`); reads take the stage from the dates.
    @Field(key: "stage") var storedStage: CampaignStage
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    enum Eligibility: String, Codable, Sendable, CaseIterable {
        /// Every course and every event.
        case all
        /// The courses and events chosen.
        case chosen
        /// Courses that claim one of the chosen competencies, and events that do.
        case competencies
    }

    init() {}

    var goal: CampaignGoal { CampaignGoal(kind: goalKind, value: goalValue) }
    /// The days whose learning counts, up to `today`; nil when there are none (a draft, or closed before it began).
    func countedDays(today: Int) -> ClosedRange<Int>? {
        guard publishedAt != nil else { return nil }
        let last = min(endDay, closedDay ?? endDay, today)
        return last >= startDay ? startDay...last : nil
    }

    func stage(today: Int) -> CampaignStage {
        CampaignStage.of(published: publishedAt != nil, closedEarly: closedAt != nil, startDay: startDay, endDay: endDay, today: today)
    }
}

struct CreateCampaigns: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("campaigns")
            .id()
            .field("name", .string, .required)
            .field("name_hi", .string, .required)
            .field("state_code", .int)
            .field("start_day", .int, .required)
            .field("end_day", .int, .required)
            .field("eligible", .string, .required)
            .field("goal_kind", .string, .required)
            .field("goal_value", .double, .required)
            .field("organisation_goal_percent", .int, .required)
            .field("banner", .string, .required)
            .field("banner_hi", .string, .required)
            .field("published_at", .datetime)
            .field("closed_at", .datetime)
            .field("closed_day", .int)
            .field("stage", .string, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.index("campaigns_days", on: "campaigns", columns: ["start_day", "end_day"])
        // What a campaign counts, when it does not count everything: courses, events or competencies, by id.
        try await database.schema("campaign_items")
            .field("campaign_id", .uuid, .required)
            .field("kind", .string, .required)
            .field("item_id", .uuid, .required)
            .compositeIdentifier(over: "campaign_id", "kind", "item_id")
            .create()
        // Each participant's learning in the campaign, and when they reached the goal; `batch` is the statement that
        // added the row, so that the statement can tell new participants from those it added to.
        try await database.schema("campaign_people")
            .field("campaign_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("organisation_path", .string, .required)
            .field("state_code", .int)
            .field("district_code", .int)
            .field("enrolled", .int64, .required)
            .field("completed", .int64, .required)
            .field("seconds", .int64, .required)
            .field("reached_at", .datetime)
            .field("first_at", .datetime, .required)
            .field("batch", .uuid, .required)
            .compositeIdentifier(over: "campaign_id", "user_id")
            .create()
        try await database.index("campaign_people_organisation", on: "campaign_people", columns: ["campaign_id", "organisation_path"])
        try await database.index("campaign_people_seconds", on: "campaign_people", columns: ["campaign_id", "seconds"])
        // The live counters: per campaign and scope (the rollups' scope keys), written in the transaction of the learning.
        try await database.schema("campaign_counters")
            .field("campaign_id", .uuid, .required)
            .field("scope", .string, .required)
            .field("enrolled", .int64, .required)
            .field("completed", .int64, .required)
            .field("learning_seconds", .int64, .required)
            .field("participants", .int64, .required)
            .field("goal_reached", .int64, .required)
            .compositeIdentifier(over: "campaign_id", "scope")
            .create()
    }

    func revert(on database: any Database) async throws {
        for table in ["campaign_counters", "campaign_people", "campaign_items", "campaigns"] { try await database.schema(table).delete() }
    }
}

struct CampaignInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable {
        case name, nameHi, stateCode, startDate, endDate, eligible, goal, organisationGoalPercent, banner, bannerHi
    }

    struct Eligible: StrictInput {
        enum Fields: String, CodingKey, CaseIterable { case kind, courseIds, eventIds, competencyIds }
        var kind: Campaign.Eligibility
        var courseIds: [UUID]?
        var eventIds: [UUID]?
        var competencyIds: [UUID]?
    }

    struct Goal: StrictInput {
        enum Fields: String, CodingKey, CaseIterable { case kind, value }
        var kind: CampaignGoal.Kind
        var value: Double
    }

    static let nested: [String: Set<String>] = ["goal": ["kind", "value"], "eligible": ["kind", "courseIds", "eventIds", "competencyIds"]]
    static var nestedFields: [String: Set<String>] { nested }

    var name: String
    var nameHi: String?
    var stateCode: Int?
    var startDate: String
    var endDate: String
    var eligible: Eligible?
    var goal: Goal
    var organisationGoalPercent: Int?
    var banner: String?
    var bannerHi: String?
}

/// A change to a campaign: any field, left out to keep it. Once published, only the names, banners and end date.
struct CampaignPatch: StrictInput {
    /// (Whose campaign it is, national or a State's, is fixed when it is made.)
    enum Fields: String, CodingKey, CaseIterable {
        case name, nameHi, startDate, endDate, eligible, goal, organisationGoalPercent, banner, bannerHi
    }
    static var nestedFields: [String: Set<String>] { CampaignInput.nested }

    var name: String?
    var nameHi: String?
    var startDate: String?
    var endDate: String?
    var eligible: CampaignInput.Eligible?
    var goal: CampaignInput.Goal?
    var organisationGoalPercent: Int?
    var banner: String?
    var bannerHi: String?
}

struct CampaignDTO: Content {
    struct Eligible: Content {
        var kind: Campaign.Eligibility
        var courseIds: [UUID]
        var eventIds: [UUID]
        var competencyIds: [UUID]
    }

    var id: UUID
    var name: String
    var nameHi: String
    /// nil for a national campaign.
    var stateCode: Int?
    var startDate: String
    var endDate: String
    var stage: CampaignStage
    var eligible: Eligible
    var goal: CampaignGoal
    var organisationGoalPercent: Int
    var banner: String
    var bannerHi: String
    var publishedAt: Date?
    var closedAt: Date?
    var createdAt: Date
    var updatedAt: Date
}

/// Counters of a campaign in one scope.
struct CampaignSummaryDTO: Content {
    var campaignId: UUID
    var scope: String
    var name: String
    var stage: CampaignStage
    var enrolments: Int
    var completions: Int
    var learningHours: Double
    var participants: Int
    var goalReached: Int
    /// People registered in the scope.
    var staff: Int
    /// Of the staff, the share who reached the personal goal (0–1).
    var goalShare: Double
    var organisationGoalPercent: Int
    /// For an organisation: whether its share reached the organisation goal.
    var organisationGoalMet: Bool?
    var asOf: Date
}

struct CampaignStandingDTO: Content {
    var rank: Int
    var id: String
    var name: String
    var learningHours: Double
    var completions: Int
    var participants: Int?
    var goalReached: Int?
    var staff: Int?
    var goalShare: Double?
    /// For organisations: their size bucket (XS–XL), within which they are ranked.
    var bucket: SizeBucket?
    var reached: Bool?
}

struct CampaignLeaderboardDTO: Content {
    var campaignId: UUID
    var kind: String
    var scope: String?
    var items: [CampaignStandingDTO]
}

/// A person's own standing in a campaign that reaches them.
struct MyCampaignDTO: Content {
    var campaign: CampaignDTO
    var learningHours: Double
    var completions: Int
    var goal: CampaignGoal
    var reached: Bool
    /// "2.5 of 4 hours", as numbers: done and goal in the goal's unit.
    var done: Double
}
