import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A Viksit Panchayat pilot: gram panchayats chosen in some States.
final class PanchayatPilot: Model, @unchecked Sendable {
    static let schema = "panchayat_pilots"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A gram panchayat of a pilot, with where it is (so reports group it without asking the organisation tree again).
final class PilotPanchayat: Model, @unchecked Sendable {
    static let schema = "pilot_panchayats"

    @ID(key: .id) var id: UUID?
    @Field(key: "pilot_id") var pilotID: UUID
    @Field(key: "organisation_id") var organisationID: UUID
    @Field(key: "name") var name: String
    @Field(key: "state_code") var stateCode: Int
    @Field(key: "district_code") var districtCode: Int

    init() {}
}

/// A round of self-assessment of a pilot, built from the panchayat competency framework.
final class Survey: Model, @unchecked Sendable {
    static let schema = "surveys"

    @ID(key: .id) var id: UUID?
    @Field(key: "pilot_id") var pilotID: UUID
    @Enum(key: "round") var round: SurveyRound
    @Field(key: "title") var title: String
    @Field(key: "framework_version") var frameworkVersion: String
    @Field(key: "opens_on") var opensOn: String
    @Field(key: "closes_on") var closesOn: String
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// One person's answers to one round: once.
final class SurveyResponse: Model, @unchecked Sendable {
    static let schema = "survey_responses"

    @ID(key: .id) var id: UUID?
    @Field(key: "survey_id") var surveyID: UUID
    @Field(key: "user_id") var userID: UUID
    @Field(key: "organisation_id") var organisationID: UUID
    @Enum(key: "role") var role: PanchayatRole
    /// JSON: {competency key: level}.
    @Field(key: "answers") var answers: String
    @Field(key: "submitted_at") var submittedAt: Date

    init() {}

    var levels: [String: Int] { (try? JSONDecoder().decode([String: Int].self, from: Data(answers.utf8))) ?? [:] }
}

struct CreateSurveys: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PanchayatPilot.schema)
            .id()
            .field("name", .string, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema(PilotPanchayat.schema)
            .id()
            .field("pilot_id", .uuid, .required, .references(PanchayatPilot.schema, "id"))
            .field("organisation_id", .uuid, .required)
            .field("name", .string, .required)
            .field("state_code", .int, .required)
            .field("district_code", .int, .required)
            .unique(on: "pilot_id", "organisation_id")
            .create()
        try await database.index("pilot_panchayats_organisation", on: PilotPanchayat.schema, columns: ["organisation_id"])
        try await database.schema(Survey.schema)
            .id()
            .field("pilot_id", .uuid, .required, .references(PanchayatPilot.schema, "id"))
            .field("round", .string, .required)
            .field("title", .string, .required)
            .field("framework_version", .string, .required)
            .field("opens_on", .string, .required)
            .field("closes_on", .string, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "pilot_id", "round")
            .create()
        try await database.schema(SurveyResponse.schema)
            .id()
            .field("survey_id", .uuid, .required, .references(Survey.schema, "id"))
            .field("user_id", .uuid, .required)
            .field("organisation_id", .uuid, .required)
            .field("role", .string, .required)
            .field("answers", .string, .required)
            .field("submitted_at", .datetime, .required)
            .unique(on: "survey_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(SurveyResponse.schema).delete()
        try await database.schema(Survey.schema).delete()
        try await database.schema(PilotPanchayat.schema).delete()
        try await database.schema(PanchayatPilot.schema).delete()
    }
}

// MARK: Inputs and answers

struct PilotInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case name, panchayatIds }
    var name: String?
    var panchayatIds: [UUID]?
}

struct PilotDTO: Content {
    struct Panchayat: Content {
        var organisationId: UUID
        var name: String
        var stateCode: Int
        var districtCode: Int
    }

    var id: UUID
    var name: String
    /// The pilot's panchayats the caller reaches.
    var panchayats: [Panchayat]
    var createdAt: Date
}

struct SurveyInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case pilotId, round, title, opensOn, closesOn }
    var pilotId: UUID?
    var round: SurveyRound?
    var title: String?
    var opensOn: String?
    var closesOn: String?
}

struct SurveyDTO: Content {
    struct Question: Content {
        var key: String
        var title: String
    }

    var id: UUID
    var pilotId: UUID
    var pilotName: String
    var round: SurveyRound
    var title: String
    var frameworkVersion: String
    var opensOn: String
    var closesOn: String
    var isOpen: Bool
    /// For those who report on it: how many have answered, among the panchayats they reach.
    var responses: Int?
    /// For someone asked: their role, its questions, and whether they have answered.
    var role: PanchayatRole?
    var questions: [Question]?
    var answered: Bool?
}

struct SurveyAnswersInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case answers }
    var answers: [String: Int]?
}

struct SurveyDeltaDTO: Content {
    struct Means: Content {
        var baseline: Double
        var endline: Double
        var delta: Double
    }

    struct Group: Content {
        var key: String
        var name: String
        var people: Int
        var overall: Means
        var byCompetency: [String: Means]
    }

    var pilotId: UUID
    var by: String
    var baselineResponses: Int
    var endlineResponses: Int
    var groups: [Group]
}

/// Viksit Panchayat pilots and their surveys. National admins choose the panchayats and open the rounds; elected
/// representatives and functionaries of those panchayats answer once per round for their role; State admins and national
/// admins read the answers and the change, for the panchayats they reach.
enum Surveys {
    static let framework = PanchayatFramework.viksitPanchayat

    // Pilots

    static func create(_ input: PilotInput, by principal: Principal, now: Date, on database: any Database) async throws -> PilotDTO {
        guard principal.access.isNationalAdmin else { throw Problem(.forbidden, "Pilots are set up by national admins.") }
        var problems: [FieldError] = []
        let name = input.name?.trimmed ?? ""
        if let problem = DisplayName.problem(name, maximum: 200) { problems.append(FieldError("name", problem)) }
        let ids = input.panchayatIds ?? []
        if ids.isEmpty || ids.count > 1_000 { problems.append(FieldError("panchayatIds", "must name 1 to 1,000 gram panchayats")) }
        if Set(ids).count != ids.count { problems.append(FieldError("panchayatIds", "names a panchayat twice")) }
        let found = Dictionary(uniqueKeysWithValues: try await Organisations.located(Array(ids.prefix(1_000)), on: database).map { ($0.id!, $0) })
        for (index, id) in ids.enumerated().prefix(1_000) {
            guard let organisation = found[id], organisation.organisationType == .panchayat, organisation.stateCode != nil, organisation.districtCode != nil else {
                problems.append(FieldError("panchayatIds[\(index)]", "no gram panchayat has this id")); continue
            }
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let pilot = PanchayatPilot()
        pilot.name = name
        pilot.createdBy = principal.userID
        pilot.createdAt = now
        try await database.transaction { database in
            try await pilot.create(on: database)
            for id in ids {
                let organisation = found[id]!
                let member = PilotPanchayat()
                member.pilotID = pilot.id!
                member.organisationID = id
                member.name = organisation.name
                member.stateCode = organisation.stateCode!
                member.districtCode = organisation.districtCode!
                try await member.create(on: database)
            }
        }
        return try await dtos([pilot], for: principal, on: database)[0]
    }

    /// The States whose panchayats the principal reports on; nil for all of them.
    static func reportingStates(of principal: Principal) -> Set<Int>? {
        let reach = principal.access.reach(of: .viewInsights)
        return reach.everything ? nil : reach.stateCodes
    }

    static func members(of pilotIDs: [UUID], within states: Set<Int>?, on database: any Database) async throws -> [PilotPanchayat] {
        guard !pilotIDs.isEmpty else { return [] }
        let query = PilotPanchayat.query(on: database).filter(\.$pilotID ~~ pilotIDs).sort(\.$stateCode).sort(\.$name)
        if let states { query.filter(\.$stateCode ~~ Array(states)) }
        return try await query.all()
    }

    /// The pilots with a panchayat the principal reports on.
    static func pilots(for principal: Principal, on database: any Database) async throws -> [PanchayatPilot] {
        guard let states = reportingStates(of: principal) else { return try await PanchayatPilot.query(on: database).sort(\.$createdAt, .descending).all() }
        guard !states.isEmpty else { return [] }
        let ids = try await PilotPanchayat.query(on: database).filter(\.$stateCode ~~ Array(states)).all(\.$pilotID)
        return try await PanchayatPilot.query(on: database).filter(\.$id ~~ Array(Set(ids))).sort(\.$createdAt, .descending).all()
    }

    static func dtos(_ pilots: [PanchayatPilot], for principal: Principal, on database: any Database) async throws -> [PilotDTO] {
        let members = try await self.members(of: pilots.map { $0.id! }, within: reportingStates(of: principal), on: database)
        return pilots.map { pilot in
            PilotDTO(id: pilot.id!, name: pilot.name, panchayats: members.filter { $0.pilotID == pilot.id }.map {
                .init(organisationId: $0.organisationID, name: $0.name, stateCode: $0.stateCode, districtCode: $0.districtCode)
            }, createdAt: pilot.createdAt)
        }
    }

    // Surveys

    static func open(_ input: SurveyInput, by principal: Principal, now: Date, on database: any Database) async throws -> Survey {
        guard principal.access.isNationalAdmin else { throw Problem(.forbidden, "Surveys of a pilot are opened by national admins.") }
        var problems: [FieldError] = []
        guard let pilotID = input.pilotId, let pilot = try await PanchayatPilot.find(pilotID, on: database) else {
            throw Problem.invalid("pilotId", "no pilot has this id")
        }
        guard let round = input.round else { throw Problem.invalid("round", "is required: baseline or endline") }
        let title = input.title?.trimmed ?? "", today = IndiaDay.of(now)
        if let problem = DisplayName.problem(title, maximum: 200) { problems.append(FieldError("title", problem)) }
        let opens = input.opensOn.flatMap(IndiaDay.parse), closes = input.closesOn.flatMap(IndiaDay.parse)
        if opens == nil { problems.append(FieldError("opensOn", "must be a date, YYYY-MM-DD")) }
        if closes == nil { problems.append(FieldError("closesOn", "must be a date, YYYY-MM-DD")) }
        if let opens, let closes, closes < opens { problems.append(FieldError("closesOn", "must be on or after the day it opens")) }
        if let closes, closes < today { problems.append(FieldError("closesOn", "is past: a survey is opened for days to come")) }
        let rounds = try await Survey.query(on: database).filter(\.$pilotID == pilotID).all()
        if rounds.contains(where: { $0.round == round }) { problems.append(FieldError("round", "the pilot already has its \(round.rawValue)")) }
        if round == .endline {
            if let baseline = rounds.first(where: { $0.round == .baseline }) {
                if let opens, let baselineCloses = IndiaDay.parse(baseline.closesOn), opens <= baselineCloses {
                    problems.append(FieldError("opensOn", "the endline opens after the baseline closes (\(baseline.closesOn))"))
                }
            } else {
                problems.append(FieldError("round", "an endline follows the pilot's baseline, which is not opened yet"))
            }
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let survey = Survey()
        survey.pilotID = pilot.id!
        survey.round = round
        survey.title = title
        survey.frameworkVersion = framework.version
        survey.opensOn = IndiaDay.string(opens!)
        survey.closesOn = IndiaDay.string(closes!)
        survey.createdBy = principal.userID
        survey.createdAt = now
        do { try await survey.create(on: database) } catch where WriteRetry.isContention(error) {
            throw Problem.invalid("round", "the pilot already has its \(round.rawValue)")
        }
        return survey
    }

    static func isOpen(_ survey: Survey, on day: Int) -> Bool {
        guard let opens = IndiaDay.parse(survey.opensOn), let closes = IndiaDay.parse(survey.closesOn) else { return false }
        return (opens...closes).contains(day)
    }

    /// Who the principal is in the pilot's panchayats: the role their designation names, if their organisation is one of them.
    static func respondent(_ principal: Principal, in pilotIDs: [UUID], on database: any Database) async throws -> (pilots: Set<UUID>, role: PanchayatRole)? {
        guard let role = PanchayatRole.of(designation: principal.me.designation) else { return nil }
        let pilots = try await PilotPanchayat.query(on: database).filter(\.$organisationID == principal.organisationID).filter(\.$pilotID ~~ pilotIDs).all(\.$pilotID)
        return pilots.isEmpty ? nil : (Set(pilots), role)
    }

    /// The surveys the principal reports on (with counts), and those they are asked to answer (with their questions).
    static func list(for principal: Principal, today: Int, on database: any Database) async throws -> [SurveyDTO] {
        let reported = try await pilots(for: principal, on: database)
        let asked = try await PilotPanchayat.query(on: database).filter(\.$organisationID == principal.organisationID).all(\.$pilotID)
        let role = PanchayatRole.of(designation: principal.me.designation)
        let pilotIDs = Set(reported.map { $0.id! } + (role == nil ? [] : asked))
        guard !pilotIDs.isEmpty else { return [] }
        let surveys = try await Survey.query(on: database).filter(\.$pilotID ~~ Array(pilotIDs)).sort(\.$opensOn, .descending).all()
        let names = Dictionary(uniqueKeysWithValues: try await PanchayatPilot.query(on: database).filter(\.$id ~~ Array(pilotIDs)).all().map { ($0.id!, $0.name) })
        let answered = Set(try await SurveyResponse.query(on: database).filter(\.$userID == principal.userID).all(\.$surveyID))
        let reporting = Set(reported.map { $0.id! })
        var result: [SurveyDTO] = []
        for survey in surveys {
            var dto = SurveyDTO(id: survey.id!, pilotId: survey.pilotID, pilotName: names[survey.pilotID] ?? "", round: survey.round, title: survey.title,
                                frameworkVersion: survey.frameworkVersion, opensOn: survey.opensOn, closesOn: survey.closesOn, isOpen: isOpen(survey, on: today))
            if reporting.contains(survey.pilotID) { dto.responses = try await responses(to: survey, within: reportingStates(of: principal), on: database).count }
            if let role, asked.contains(survey.pilotID) {
                dto.role = role
                dto.questions = framework.competencies(of: role).map { .init(key: $0.key, title: $0.title) }
                dto.answered = answered.contains(survey.id!)
            }
            result.append(dto)
        }
        return result
    }

    /// A survey the principal either reports on or is asked to answer; else, as if it did not exist.
    static func visible(_ id: UUID, to principal: Principal, today: Int, on database: any Database) async throws -> SurveyDTO {
        guard let survey = try await list(for: principal, today: today, on: database).first(where: { $0.id == id }) else { throw Problem.notFound("survey") }
        return survey
    }

    static func answer(_ id: UUID, _ input: SurveyAnswersInput, by principal: Principal, now: Date, on database: any Database) async throws {
        guard let survey = try await Survey.find(id, on: database),
              let respondent = try await respondent(principal, in: [survey.pilotID], on: database)
        else { throw Problem.notFound("survey") }
        guard isOpen(survey, on: IndiaDay.of(now)) else {
            throw Problem(.conflict, "This survey is open from \(survey.opensOn) to \(survey.closesOn); answers are taken only then.")
        }
        let answers = input.answers ?? [:]
        let problems = SelfAssessment.problems(answers, role: respondent.role, framework: framework)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let response = SurveyResponse()
        response.surveyID = id
        response.userID = principal.userID
        response.organisationID = principal.organisationID
        response.role = respondent.role
        response.answers = StoredJSON.text(answers)
        response.submittedAt = now
        let already = Problem(.conflict, "You have answered this round already: each person answers a round once.")
        if try await SurveyResponse.query(on: database).filter(\.$surveyID == id).filter(\.$userID == principal.userID).count() > 0 { throw already }
        do { try await response.create(on: database) } catch where WriteRetry.isContention(error) { throw already }
    }

    static func responses(to survey: Survey, within states: Set<Int>?, on database: any Database) async throws -> [SurveyResponse] {
        let all = try await SurveyResponse.query(on: database).filter(\.$surveyID == survey.id!).all()
        guard let states else { return all }
        let members = Set(try await members(of: [survey.pilotID], within: states, on: database).map(\.organisationID))
        return all.filter { members.contains($0.organisationID) }
    }

    enum Grouping: String, CaseIterable { case panchayat, district, state }

    /// The change from the pilot's baseline to its endline, by panchayat, district or State, over the panchayats the principal reaches.
    static func delta(of id: UUID, by grouping: Grouping, for principal: Principal, on database: any Database) async throws -> SurveyDeltaDTO {
        guard let survey = try await Survey.find(id, on: database), try await pilots(for: principal, on: database).contains(where: { $0.id == survey.pilotID })
        else { throw Problem.notFound("survey") }
        let states = reportingStates(of: principal)
        let rounds = try await Survey.query(on: database).filter(\.$pilotID == survey.pilotID).all()
        var answers: [SurveyRound: [UUID: SurveyResponse]] = [:]
        for round in rounds {
            answers[round.round] = Dictionary(try await responses(to: round, within: states, on: database).map { ($0.userID, $0) }, uniquingKeysWith: { first, _ in first })
        }
        let members = Dictionary(try await members(of: [survey.pilotID], within: states, on: database).map { ($0.organisationID, $0) }, uniquingKeysWith: { first, _ in first })
        let endline = answers[.endline] ?? [:]
        func key(_ person: UUID) -> String? {
            guard let member = endline[person].flatMap({ members[$0.organisationID] }) else { return nil }
            switch grouping {
            case .panchayat: return member.organisationID.uuidString.lowercased()
            case .district: return String(member.districtCode)
            case .state: return String(member.stateCode)
            }
        }
        func name(_ key: String) -> String {
            switch grouping {
            case .panchayat: return UUIDText.parse(key).flatMap { members[$0]?.name } ?? key
            case .district: return Int(key).flatMap { Geography.reference.district(code: $0)?.name } ?? key
            case .state: return Int(key).flatMap { Geography.reference.state(code: $0)?.name } ?? key
            }
        }
        let groups = SurveyDelta.compute(baseline: (answers[.baseline] ?? [:]).mapValues(\.levels), endline: endline.mapValues(\.levels), group: key)
        func means(_ means: SurveyDelta.Means) -> SurveyDeltaDTO.Means { .init(baseline: means.baseline, endline: means.endline, delta: means.delta) }
        return SurveyDeltaDTO(pilotId: survey.pilotID, by: grouping.rawValue, baselineResponses: answers[.baseline]?.count ?? 0, endlineResponses: endline.count,
                              groups: groups.map { .init(key: $0.key, name: name($0.key), people: $0.people, overall: means($0.overall), byCompetency: $0.byCompetency.mapValues(means)) }
                                .sorted { ($0.name, $0.key) < ($1.name, $1.key) })
    }
}

struct SurveyController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("panchayat-pilots", use: Self.createPilot)
        routes.get("panchayat-pilots", use: Self.pilots)
        routes.post("surveys", use: Self.open)
        routes.get("surveys", use: Self.list)
        routes.post("surveys", ":id", "responses", use: Self.answer)
        routes.get("surveys", ":id", "delta", use: Self.delta)
    }

    @Sendable static func createPilot(_ request: Request) async throws -> Response {
        try await Surveys.create(try request.decodeStrict(PilotInput.self), by: try request.principal(), now: request.application.clock.now(), on: request.db)
            .encodeResponse(status: .created, for: request)
    }

    @Sendable static func pilots(_ request: Request) async throws -> Page<PilotDTO> {
        let principal = try request.principal()
        return Page(items: try await Surveys.dtos(try await Surveys.pilots(for: principal, on: request.db), for: principal, on: request.db), nextCursor: nil)
    }

    @Sendable static func open(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let now = request.application.clock.now()
        let survey = try await Surveys.open(try request.decodeStrict(SurveyInput.self), by: principal, now: now, on: request.db)
        return try await Surveys.visible(survey.id!, to: principal, today: IndiaDay.of(now), on: request.db).encodeResponse(status: .created, for: request)
    }

    @Sendable static func list(_ request: Request) async throws -> Page<SurveyDTO> {
        Page(items: try await Surveys.list(for: try request.principal(), today: IndiaDay.of(request.application.clock.now()), on: request.db), nextCursor: nil)
    }

    @Sendable static func answer(_ request: Request) async throws -> Response {
        try await Surveys.answer(try request.id(of: "survey"), try request.decodeStrict(SurveyAnswersInput.self), by: try request.principal(),
                                 now: request.application.clock.now(), on: request.db)
        return Response(status: .noContent)
    }

    @Sendable static func delta(_ request: Request) async throws -> SurveyDeltaDTO {
        let principal = try request.principal()
        let text = request.query[String.self, at: "by"] ?? "panchayat"
        guard let grouping = Surveys.Grouping(rawValue: text) else { throw Problem.invalid("by", "must be panchayat, district or state") }
        return try await Surveys.delta(of: try request.id(of: "survey"), by: grouping, for: principal, on: request.db)
    }
}
