import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// An MoU a State/UT signed with the Mission.
final class StateMoU: Model, @unchecked Sendable {
    static let schema = "state_mous"

    @ID(key: .id) var id: UUID?
    @Field(key: "state_code") var stateCode: Int
    @Enum(key: "kind") var kind: MoUKind
    @Enum(key: "status") var status: MoUStatus
    @OptionalField(key: "signed_on") var signedOn: String?
    @OptionalField(key: "valid_until") var validUntil: String?
    /// JSON: [{title, url}].
    @Field(key: "documents") var documents: String
    @Field(key: "recorded_by") var recordedBy: UUID
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// A State's capacity building plan for a financial year: targets per department and per district.
final class StatePlan: Model, @unchecked Sendable {
    static let schema = "state_plans"

    @ID(key: .id) var id: UUID?
    @Field(key: "state_code") var stateCode: Int
    @Field(key: "year") var year: String
    /// JSON: [StatePlanTarget].
    @Field(key: "targets") var targets: String
    @Field(key: "updated_by") var updatedBy: UUID
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// An Administrative Training Institute of a State, on the platform (its organisation) or not yet.
final class ATI: Model, @unchecked Sendable {
    static let schema = "atis"

    @ID(key: .id) var id: UUID?
    @Field(key: "state_code") var stateCode: Int
    @Field(key: "name") var name: String
    @OptionalField(key: "organisation_id") var organisationID: UUID?
    @OptionalField(key: "onboarded_at") var onboardedAt: Date?
    @Field(key: "added_at") var addedAt: Date

    init() {}
}

struct CreateStatePartnerships: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(StateMoU.schema)
            .id()
            .field("state_code", .int, .required)
            .field("kind", .string, .required)
            .field("status", .string, .required)
            .field("signed_on", .string)
            .field("valid_until", .string)
            .field("documents", .string, .required)
            .field("recorded_by", .uuid, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.index("state_mous_state", on: StateMoU.schema, columns: ["state_code"])
        try await database.schema(StatePlan.schema)
            .id()
            .field("state_code", .int, .required)
            .field("year", .string, .required)
            .field("targets", .string, .required)
            .field("updated_by", .uuid, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "state_code", "year")
            .create()
        try await database.schema(ATI.schema)
            .id()
            .field("state_code", .int, .required)
            .field("name", .string, .required)
            .field("organisation_id", .uuid)
            .field("onboarded_at", .datetime)
            .field("added_at", .datetime, .required)
            .unique(on: "organisation_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ATI.schema).delete()
        try await database.schema(StatePlan.schema).delete()
        try await database.schema(StateMoU.schema).delete()
    }
}

// MARK: Inputs and answers

struct MoUDocument: Codable, Sendable {
    var title: String
    var url: String
}

struct MoUInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case kind, status, signedOn, validUntil, documents }
    static var nestedFields: [String: Set<String>] { ["documents": ["title", "url"]] }
    var kind: MoUKind?
    var status: MoUStatus?
    var signedOn: String?
    var validUntil: String?
    var documents: [MoUDocument]?
}

struct MoUDTO: Content {
    var id: UUID
    var stateCode: Int
    var kind: MoUKind
    var status: MoUStatus
    var signedOn: String?
    var validUntil: String?
    var documents: [MoUDocument]
    var updatedAt: Date

    init(_ mou: StateMoU) {
        (id, stateCode, kind, status, signedOn, validUntil) = (mou.id!, mou.stateCode, mou.kind, mou.status, mou.signedOn, mou.validUntil)
        documents = (try? JSONDecoder().decode([MoUDocument].self, from: Data(mou.documents.utf8))) ?? []
        updatedAt = mou.updatedAt
    }
}

struct StatePlanInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case year, targets }
    static var nestedFields: [String: Set<String>] { ["targets": ["organisationId", "districtCode", "onboarded", "completions", "hours"]] }
    var year: String?
    var targets: [StatePlanTarget]?
}

struct StatePlanDTO: Content {
    struct Line: Content {
        var organisationId: UUID?
        var districtCode: Int?
        var name: String
        var target: StatePlanTarget
        /// What the platform counts so far: people registered, and completions and learning hours in the year.
        var onboarded: Int
        var completions: Int
        var hours: Double
    }

    var stateCode: Int
    var stateName: String
    var year: String
    var targets: [Line]
    var updatedAt: Date?
}

struct ATIInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case stateCode, name, organisationId }
    var stateCode: Int?
    var name: String?
    var organisationId: UUID?
}

struct ATIDTO: Content {
    var id: UUID
    var stateCode: Int
    var stateName: String
    var name: String
    var organisationId: UUID?
    var status: ATIStatus
    var onboardedAt: Date?
    var coursesPublished: Int
    var learnersReached: Int
}

/// The MoU and ATI picture across the States/UTs one can see.
struct StatesOverviewDTO: Content {
    struct Row: Content {
        var stateCode: Int
        var stateName: String
        /// The latest MoU's status and day of signing, if any.
        var mouStatus: MoUStatus?
        var signedOn: String?
        var atis: Int
        var atisOnPlatform: Int
    }

    struct Month: Content {
        var month: String
        var states: Int
    }

    var statesWithMoUInForce: Int
    var statesSigned: Int
    var atis: Int
    var atisOnPlatform: Int
    var signedOverTime: [Month]
    var states: [Row]
}

// MARK: The rules of the room

/// State MoUs, State plans and ATIs. National admins keep the MoU register and the ATI list; a State's admins keep
/// its plan and its ATIs; both read what their grants reach. A State beyond reach is answered as one that does not exist.
enum StatePartnerships {
    /// The State/UT with this LGD code, if it exists and the principal's insight grants reach it.
    static func state(_ code: Int, for principal: Principal) throws -> Geography.State {
        let reach = principal.access.reach(of: .viewInsights)
        guard let state = Geography.reference.state(code: code), reach.everything || reach.stateCodes.contains(code) else {
            throw Problem(.notFound, "No State/UT with LGD code \(code) is visible to you.")
        }
        return state
    }

    /// Whether the principal keeps a State's plan and ATIs: national admins, and the State's own admins.
    static func keeps(_ code: Int, _ principal: Principal) -> Bool {
        principal.access.isNationalAdmin || principal.access.grants.contains { $0.role == .stateAdmin && $0.target == .state(code: code) }
    }

    // MoUs

    static func mous(of code: Int, on database: any Database) async throws -> [StateMoU] {
        try await StateMoU.query(on: database).filter(\.$stateCode == code).sort(\.$signedOn, .descending).sort(\.$updatedAt, .descending).all()
    }

    static func record(_ input: MoUInput, for code: Int, existing: StateMoU? = nil, by principal: Principal, now: Date, on database: any Database) async throws -> StateMoU {
        _ = try state(code, for: principal)
        guard principal.access.isNationalAdmin else { throw Problem(.forbidden, "The MoU register is kept by national admins for the Commission.") }
        let mou = existing ?? StateMoU()
        let documents = input.documents ?? (existing.map { MoUDTO($0).documents } ?? [])
        let draft = MoUDraft(kind: input.kind ?? existing?.kind, status: input.status ?? existing?.status,
                             signedOn: input.signedOn ?? existing?.signedOn, validUntil: input.validUntil ?? existing?.validUntil,
                             documents: documents.map { ($0.title, $0.url) })
        let problems = draft.problems(today: IndiaDay.of(now))
        if !problems.isEmpty { throw Problem.invalid(problems) }
        mou.stateCode = code
        mou.kind = draft.kind!
        mou.status = draft.status!
        mou.signedOn = draft.signedOn
        mou.validUntil = draft.validUntil
        mou.documents = StoredJSON.text(documents.map { MoUDocument(title: $0.title.trimmed, url: $0.url) })
        mou.recordedBy = principal.userID
        mou.updatedAt = now
        try await mou.save(on: database)
        return mou
    }

    static func mou(_ id: UUID, of code: Int, on database: any Database) async throws -> StateMoU {
        guard let mou = try await StateMoU.find(id, on: database), mou.stateCode == code else { throw Problem.notFound("MoU") }
        return mou
    }

    /// Whether an MoU is in force on a day: signed, and its term (if it has one) not over.
    static func inForce(_ mou: StateMoU, on day: Int) -> Bool {
        mou.status == .signed && (mou.validUntil.flatMap(IndiaDay.parse).map { $0 >= day } ?? true)
    }

    // The plan

    static func plan(of code: Int, year: String, today: Int, on database: any Database) async throws -> StatePlanDTO {
        let stored = try await StatePlan.query(on: database).filter(\.$stateCode == code).filter(\.$year == year).first()
        let targets = stored.flatMap { try? JSONDecoder().decode([StatePlanTarget].self, from: Data($0.targets.utf8)) } ?? []
        let start = Int(year.prefix(4)).map { IndiaDay.days(year: $0, month: 4, day: 1) } ?? 0
        let sql = database as! any SQLDatabase
        let scopes = targets.map { $0.organisationId.map(InsightScope.organisation) ?? .district($0.districtCode ?? 0) }
        let keys = scopes.map(\.key)
        let registered = try await Insights.registrations(of: keys, upTo: min(start + 364, today), on: sql)
        let learning = try await Insights.learning(of: keys, from: start, to: start + 365, on: sql)
        let names = try await Organisations.names(targets.compactMap(\.organisationId), on: database)
        let lines = zip(targets, keys).map { target, key in
            StatePlanDTO.Line(organisationId: target.organisationId, districtCode: target.districtCode,
                              name: target.organisationId.flatMap { names[$0] } ?? target.districtCode.flatMap { Geography.reference.district(code: $0)?.name } ?? "",
                              target: target, onboarded: registered[key] ?? 0, completions: learning[key]?.completions ?? 0,
                              hours: ((Double(learning[key]?.seconds ?? 0) / 3600) * 10).rounded() / 10)
        }
        return StatePlanDTO(stateCode: code, stateName: Geography.reference.state(code: code)?.name ?? "", year: year, targets: lines, updatedAt: stored?.updatedAt)
    }

    static func setPlan(_ input: StatePlanInput, for code: Int, by principal: Principal, now: Date, on database: any Database) async throws -> StatePlanDTO {
        _ = try state(code, for: principal)
        guard keeps(code, principal) else { throw Problem(.forbidden, "A State's plan is kept by its State admins.") }
        let targets = input.targets ?? []
        var problems = StatePlanRules.problems(year: input.year, targets: targets, today: IndiaDay.of(now), geography: Geography.reference, stateCode: code)
        let organisations = Array(Set(targets.compactMap(\.organisationId)))
        let found = organisations.isEmpty ? [] : try await Organisations.located(organisations, on: database)
        for (index, target) in targets.enumerated() {
            if let id = target.organisationId, found.first(where: { $0.id == id })?.stateCode != code {
                problems.append(FieldError("targets[\(index)].organisationId", "no organisation of this State has this id"))
            }
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let year = input.year!
        let plan = try await StatePlan.query(on: database).filter(\.$stateCode == code).filter(\.$year == year).first() ?? StatePlan()
        plan.stateCode = code
        plan.year = year
        plan.targets = StoredJSON.text(targets)
        plan.updatedBy = principal.userID
        plan.updatedAt = now
        do { try await plan.save(on: database) } catch where WriteRetry.isContention(error) {
            throw Problem(.conflict, "The plan was being saved by someone else at the same moment: load it again and make your change.")
        }
        return try await StatePartnerships.plan(of: code, year: year, today: IndiaDay.of(now), on: database)
    }

    // ATIs

    static func add(_ input: ATIInput, by principal: Principal, now: Date, on database: any Database) async throws -> ATIDTO {
        var problems: [FieldError] = []
        guard let code = input.stateCode else { throw Problem.invalid("stateCode", "is required: the State/UT's LGD code") }
        if Geography.reference.state(code: code) == nil { throw Problem.invalid("stateCode", "no State/UT has LGD code \(code)") }
        _ = try state(code, for: principal)
        guard keeps(code, principal) else { throw Problem(.forbidden, "A State's ATIs are listed by its State admins or national admins.") }
        let name = input.name?.trimmed ?? ""
        if let problem = DisplayName.problem(name, maximum: 300) { problems.append(FieldError("name", problem)) }
        if let id = input.organisationId { problems += try await organisationProblems(id, stateCode: code, on: database) }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let ati = ATI()
        ati.stateCode = code
        ati.name = name
        ati.organisationID = input.organisationId
        ati.onboardedAt = input.organisationId == nil ? nil : now
        ati.addedAt = now
        try await ati.create(on: database)
        return try await dtos([ati], on: database)[0]
    }

    /// Links an ATI to its organisation on the platform: it is onboarded from then.
    static func link(_ id: UUID, _ input: ATIInput, by principal: Principal, now: Date, on database: any Database) async throws -> ATIDTO {
        guard let ati = try await ATI.find(id, on: database), (try? state(ati.stateCode, for: principal)) != nil else { throw Problem.notFound("ATI") }
        guard keeps(ati.stateCode, principal) else { throw Problem(.forbidden, "A State's ATIs are kept by its State admins or national admins.") }
        var problems: [FieldError] = []
        if let code = input.stateCode, code != ati.stateCode { problems.append(FieldError("stateCode", "an ATI stays in its State")) }
        if let name = input.name?.trimmed, let problem = DisplayName.problem(name, maximum: 300) { problems.append(FieldError("name", problem)) }
        if let organisation = input.organisationId { problems += try await organisationProblems(organisation, stateCode: ati.stateCode, except: id, on: database) }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        if let name = input.name?.trimmed { ati.name = name }
        if let organisation = input.organisationId, organisation != ati.organisationID {
            ati.organisationID = organisation
            ati.onboardedAt = now
        }
        try await ati.save(on: database)
        return try await dtos([ati], on: database)[0]
    }

    private static func organisationProblems(_ id: UUID, stateCode: Int, except: UUID? = nil, on database: any Database) async throws -> [FieldError] {
        guard let organisation = try await Organisations.located([id], on: database).first,
              organisation.organisationType == .trainingInstitute, organisation.stateCode == stateCode
        else { return [FieldError("organisationId", "no training institute of this State has this id")] }
        if let other = try await ATI.query(on: database).filter(\.$organisationID == id).first(), other.id != except {
            return [FieldError("organisationId", "is already the organisation of \(other.name)")]
        }
        return []
    }

    /// The ATIs of the States the principal reaches (all of them for a national admin).
    static func atis(for principal: Principal, stateCode: Int? = nil, on database: any Database) async throws -> [ATI] {
        let reach = principal.access.reach(of: .viewInsights)
        guard !reach.isEmpty else { throw Problem(.forbidden, "ATIs are listed for State and national admins.") }
        let query = ATI.query(on: database).sort(\.$stateCode).sort(\.$name)
        if let stateCode { query.filter(\.$stateCode == stateCode) }
        if !reach.everything { query.filter(\.$stateCode ~~ Array(reach.stateCodes)) }
        return try await query.all()
    }

    /// ATIs with what they have done on the platform: courses published and the learners who enrolled in them.
    static func dtos(_ atis: [ATI], on database: any Database) async throws -> [ATIDTO] {
        let organisations = atis.compactMap(\.organisationID)
        var courses: [UUID: [UUID]] = [:]
        if !organisations.isEmpty {
            for (provider, course) in try await Courses.published(by: organisations, on: database) { courses[provider, default: []].append(course) }
        }
        var result: [ATIDTO] = []
        for ati in atis {
            let own = ati.organisationID.flatMap { courses[$0] } ?? []
            let learners = try await Enrolments.learners(ofCourses: own, on: database as! any SQLDatabase)
            result.append(ATIDTO(id: ati.id!, stateCode: ati.stateCode, stateName: Geography.reference.state(code: ati.stateCode)?.name ?? "", name: ati.name,
                                 organisationId: ati.organisationID, status: ATIStatus.of(onPlatform: ati.organisationID != nil, coursesPublished: own.count),
                                 onboardedAt: ati.onboardedAt, coursesPublished: own.count, learnersReached: learners))
        }
        return result
    }

    // The overview and the KPIs

    static func overview(for principal: Principal, today: Int, on database: any Database) async throws -> StatesOverviewDTO {
        let reach = principal.access.reach(of: .viewInsights)
        guard !reach.isEmpty else { throw Problem(.forbidden, "The MoU and ATI dashboard is for State and national admins.") }
        let codes = Geography.reference.states.map(\.code).filter { reach.everything || reach.stateCodes.contains($0) }
        return try await overview(of: Set(codes), today: today, on: database)
    }

    static func overview(of codes: Set<Int>, today: Int, on database: any Database) async throws -> StatesOverviewDTO {
        let mous = try await StateMoU.query(on: database).filter(\.$stateCode ~~ Array(codes)).all()
        let atis = try await ATI.query(on: database).filter(\.$stateCode ~~ Array(codes)).all()
        var firstSignings: [Int: Int] = [:]
        for mou in mous where mou.status.wasSigned {
            guard let day = mou.signedOn.flatMap(IndiaDay.parse) else { continue }
            firstSignings[mou.stateCode] = min(firstSignings[mou.stateCode] ?? day, day)
        }
        let inForce = Set(mous.filter { Self.inForce($0, on: today) }.map(\.stateCode))
        let rows = Geography.reference.states.filter { codes.contains($0.code) }.map { state in
            let latest = mous.filter { $0.stateCode == state.code }.max { ($0.signedOn ?? "", $0.updatedAt) < ($1.signedOn ?? "", $1.updatedAt) }
            let own = atis.filter { $0.stateCode == state.code }
            return StatesOverviewDTO.Row(stateCode: state.code, stateName: state.name, mouStatus: latest?.status, signedOn: latest?.signedOn,
                                         atis: own.count, atisOnPlatform: own.filter { $0.organisationID != nil }.count)
        }
        return StatesOverviewDTO(statesWithMoUInForce: inForce.count, statesSigned: firstSignings.count, atis: atis.count,
                                 atisOnPlatform: atis.filter { $0.organisationID != nil }.count,
                                 signedOverTime: MoUTimeline.cumulative(firstSignings: firstSignings, today: today).map { .init(month: $0.month, states: $0.states) },
                                 states: rows)
    }

    /// The KPI figures of a scope: States/UTs with an MoU in force (for a State, 1 or 0), and the share of ATIs on the platform.
    static func figures(of scope: InsightScope, today: Int, on database: any Database) async throws -> (mous: Double?, atisOnPlatform: Double?) {
        let codes: Set<Int>
        switch scope {
        case .nation: codes = Set(Geography.reference.states.map(\.code))
        case .state(let code): codes = [code]
        case .district(let code): codes = Set([Geography.reference.district(code: code)?.stateCode].compactMap { $0 })
        case .organisation: return (nil, nil)
        }
        let overview = try await StatePartnerships.overview(of: codes, today: today, on: database)
        return (Double(overview.statesWithMoUInForce), overview.atis > 0 ? Double(overview.atisOnPlatform) * 100 / Double(overview.atis) : nil)
    }
}
