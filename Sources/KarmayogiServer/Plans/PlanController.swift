import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct PlanTransitionInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case comment }
    var comment: String?
}

struct SuggestedPlanDTO: Content {
    struct Requirement: Content {
        var competencyId: UUID
        var level: Int
        /// Whether a suggested course gives it at the level required.
        var covered: Bool
        /// How many of the designation's people lack it in their passbook.
        var lacking: Int
    }

    var designation: String
    var requirements: [Requirement]
    var courses: [PlanCourseDTO]
    /// People holding the designation in the organisation's subtree, and those of them missing at least one requirement.
    var holders: Int
    var lacking: Int
    /// A plan to send to `POST /orgs/{id}/plans` as it is (or after editing): for the people who lack something.
    var plan: PlanInput
}

extension Plans {
    /// A suggested plan for a designation: the fewest published courses that cover what it requires at the required
    /// levels, for the organisation's people with that designation whose passbook lacks some of it.
    static func suggested(for designation: String, in organisationID: UUID, by principal: Principal, app: Application, on database: any Database) async throws -> SuggestedPlanDTO {
        let organisation = try await manageable(organisationID, by: principal, on: database)
        let key = Designation.key(designation)
        let mapped = try await DesignationRequirement.query(on: database).filter(\.$organisation.$id == organisation.id!).filter(\.$designationKey == key).all()
        guard !mapped.isEmpty else {
            throw Problem.invalid("designation", "no competencies are mapped for this designation in \(organisation.name); map them first")
        }
        let requirements = Dictionary(mapped.map { ($0.$competency.id, $0.level) }, uniquingKeysWith: max)
        let cards = try await app.catalogueSearch.cards(on: database).values.filter { card in card.competencies.contains { requirements[$0.competencyId] != nil } }
        let completions = try await completedCounts(of: cards.map(\.id), on: database)
        let cover = PlanSuggestion.cover(requirements: requirements, candidates: cards.map { card in
            .init(id: card.id, gives: Dictionary(card.competencies.map { ($0.competencyId, $0.level) }, uniquingKeysWith: max), completions: completions[card.id] ?? 0)
        })
        let titles = Dictionary(uniqueKeysWithValues: cards.map { ($0.id, $0.title) })

        // The designation's people, and what each lacks.
        let sql = database as! any SQLDatabase
        struct Holder: Decodable { var id: UUID }
        let holders = try await sql.select().column(SQLColumn("id", table: "u"))
            .fromPeople()
            .where(SQLColumn("path", table: "o"), .like, SQLBind(organisation.path + "%"))
            .where(SQLColumn("status", table: "u"), .notEqual, SQLBind(User.Status.disabled.rawValue))
            .where(SQLFunction("LOWER", args: SQLColumn("designation", table: "u")), .equal, SQLBind(key))
            .all(decoding: Holder.self).map(\.id)
        struct Held: Decodable { var user_id: UUID; var competency_id: UUID; var level: Int }
        var held: [UUID: [UUID: Int]] = [:]
        for start in stride(from: 0, to: holders.count, by: 1_000) {
            let rows = try await sql.select().column("user_id").column("competency_id").column(SQLFunction("MAX", args: SQLColumn("level")), as: "level")
                .from(PassbookEntry.schema)
                .where("status", .equal, SQLBind(PassbookEntry.Status.verified.rawValue))
                .where("competency_id", .in, SQLBind.group(Array(requirements.keys)))
                .where("user_id", .in, SQLBind.group(Array(holders[start..<min(start + 1_000, holders.count)])))
                .groupBy("user_id").groupBy("competency_id").all(decoding: Held.self)
            for row in rows { held[row.user_id, default: [:]][row.competency_id] = row.level }
        }
        var lackingPerCompetency: [UUID: Int] = [:]
        var lacking: [UUID] = []
        for person in holders {
            let missing = requirements.filter { (held[person]?[$0.key] ?? 0) < $0.value }
            for competency in missing.keys { lackingPerCompetency[competency, default: 0] += 1 }
            if !missing.isEmpty { lacking.append(person) }
        }

        let today = IndiaDay.civil(IndiaDay.of(Date()))
        // The financial year's end: 31 March.
        let endYear = today.month >= 4 ? today.year + 1 : today.year
        let everyone = lacking.count == holders.count || lacking.count > 10_000
        let shown = mapped.first.map(\.designation) ?? Designation.normalised(designation)
        return SuggestedPlanDTO(
            designation: shown,
            requirements: requirements.sorted { $0.key.uuidString < $1.key.uuidString }.map { id, level in
                .init(competencyId: id, level: level, covered: !cover.uncovered.contains(id), lacking: lackingPerCompetency[id] ?? 0)
            },
            courses: cover.courses.map { PlanCourseDTO(id: $0, title: titles[$0]) },
            holders: holders.count, lacking: lacking.count,
            plan: PlanInput(name: "\(shown): capacity building \(endYear - 1)–\(String(endYear).suffix(2))", year: endYear - 1, courseIds: cover.courses,
                            assignment: everyone ? .init(designations: [shown]) : .init(userIds: lacking),
                            dueDate: String(format: "%04d-03-31", endYear)))
    }

    private static func completedCounts(of courseIDs: [UUID], on database: any Database) async throws -> [UUID: Int] {
        guard !courseIDs.isEmpty else { return [:] }
        struct Row: Decodable { var course_id: UUID; var count: Int }
        let rows = try await (database as! any SQLDatabase).select().column("course_id").column(SQLQueryString("CAST(COUNT(*) AS BIGINT)"), as: "count")
            .from(Enrolment.schema).where("status", .equal, SQLBind(Enrolment.Status.completed.rawValue))
            .where("course_id", .in, SQLBind.group(courseIDs)).groupBy("course_id").all(decoding: Row.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.course_id, $0.count) })
    }
}

struct PlanController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("orgs", ":id", "plans", use: Self.create)
        routes.get("orgs", ":id", "plans", use: Self.list)
        routes.get("orgs", ":id", "plans", "suggested", use: Self.suggested)
        routes.get("plans", ":id", use: Self.read)
        routes.patch("plans", ":id", use: Self.update)
        routes.post("plans", ":id", "publish") { try await Self.transition($0, .publish) }
        routes.post("plans", ":id", "retire") { try await Self.transition($0, .retire) }
        routes.get("plans", ":id", "compliance", use: Self.compliance)
        routes.get("me", "plans", use: Self.mine)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let plan = try await Plans.create(try request.decodeStrict(PlanInput.self), in: try request.id(of: "organisation"), by: try request.principal(), on: request.db)
        return try await Plans.dtos([plan], withChanges: true, on: request.db)[0].encodeResponse(status: .created, for: request)
    }

    @Sendable static func list(_ request: Request) async throws -> Page<PlanDTO> {
        var state: PlanState?
        if let text = request.query[String.self, at: "state"] {
            guard let wanted = PlanState(rawValue: text) else { throw Problem.invalid("state", "must be draft, live or retired") }
            state = wanted
        }
        return try await Plans.list(in: try request.id(of: "organisation"), state: state, page: try PageRequest(request), for: try request.principal(), on: request.db)
    }

    @Sendable static func suggested(_ request: Request) async throws -> SuggestedPlanDTO {
        guard let designation = request.query[String.self, at: "designation"], !designation.trimmed.isEmpty else {
            throw Problem.invalid("designation", "is required: the designation to suggest a plan for")
        }
        return try await Plans.suggested(for: designation, in: try request.id(of: "organisation"), by: try request.principal(), app: request.application, on: request.db)
    }

    @Sendable static func read(_ request: Request) async throws -> PlanDTO {
        let (plan, _) = try await Plans.visible(try request.id(of: "plan"), to: try request.principal(), on: request.db)
        return try await Plans.dtos([plan], withChanges: true, on: request.db)[0]
    }

    @Sendable static func update(_ request: Request) async throws -> PlanDTO {
        let plan = try await Plans.update(try request.id(of: "plan"), with: try request.decodeStrict(PlanInput.self), by: try request.principal(), on: request.db)
        return try await Plans.dtos([plan], withChanges: true, on: request.db)[0]
    }

    static func transition(_ request: Request, _ action: PlanAction) async throws -> PlanDTO {
        let input = try request.decodeStrictIfPresent(PlanTransitionInput.self)
        if let comment = input?.comment, comment.count > 2_000 { throw Problem.invalid("comment", "must be at most 2,000 characters") }
        let plan = try await Plans.transition(try request.id(of: "plan"), action, comment: input?.comment?.trimmed, by: try request.principal(), on: request.db)
        return try await Plans.dtos([plan], withChanges: true, on: request.db)[0]
    }

    @Sendable static func compliance(_ request: Request) async throws -> ComplianceDTO {
        let (plan, organisation) = try await Plans.visible(try request.id(of: "plan"), to: try request.principal(), on: request.db)
        let designation = request.query[String.self, at: "designation"]
        return try await Plans.compliance(plan, of: organisation, designation: designation?.trimmed.isEmpty == false ? designation : nil,
                                          page: try PageRequest(request, defaultLimit: 50, maximum: 500), on: request.db)
    }

    @Sendable static func mine(_ request: Request) async throws -> Page<MyPlanDTO> {
        Page(items: try await Plans.mine(try request.principal(), on: request.db), nextCursor: nil)
    }
}
