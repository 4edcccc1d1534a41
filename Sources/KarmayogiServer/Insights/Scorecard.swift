import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// The KPI framework as data: each definition a row (seeded from `Resources/kpis.json`), changed by national admins.
final class KPIRecord: Model, @unchecked Sendable {
    static let schema = "kpi_definitions"

    @ID(custom: "key", generatedBy: .user) var id: String?
    @Field(key: "position") var position: Int
    @Field(key: "definition") var definition: KPIDefinition
    @OptionalField(key: "updated_by") var updatedBy: UUID?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}

struct CreateKPIs: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(KPIRecord.schema)
            .field("key", .string, .identifier(auto: false))
            .field("position", .int, .required)
            .field("definition", .json, .required)
            .field("updated_by", .uuid)
            .field("updated_at", .datetime)
            .create()
        try await database.schema("kpi_inputs")
            .id()
            .field("kpi_key", .string, .required, .references(KPIRecord.schema, "key"))
            .field("scope", .string, .required)
            .field("value", .double, .required)
            .field("note", .string)
            .field("recorded_by", .uuid, .required)
            .field("recorded_at", .datetime, .required)
            .create()
        try await database.index("kpi_inputs_scope", on: "kpi_inputs", columns: ["kpi_key", "scope", "recorded_at"])
        for (position, definition) in try Scorecards.bundledDefinitions().enumerated() {
            let record = KPIRecord()
            record.id = definition.key
            record.position = position
            record.definition = definition
            try await record.create(on: database)
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("kpi_inputs").delete()
        try await database.schema(KPIRecord.schema).delete()
    }
}

struct KPIInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case scope, value, period, evidence, note }
    var scope: String
    var value: Double
    /// "YYYY-MM" or a financial year "YYYY-YY", under way or past; the month under way when left out.
    var period: String?
    /// Where the value comes from: a document's address or reference.
    var evidence: String?
    var note: String?
}

/// A recorded KPI value as its history shows it: what, for which period, on what evidence, who and when.
struct KPIInputDTO: Content {
    var value: Double
    var period: String?
    var evidence: String?
    var note: String?
    var recordedBy: String
    var recordedAt: Date
}

/// "Capacity building unit formed" stops being a number typed by hand: it is computed from the unit an MDO admin
/// records on the organisation's page. The stored definition says so (its wording and measure, as of this change).
struct ComputeCBUFormed: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let record = try await KPIRecord.find("cbu_formed", on: database) else { return }
        record.definition.measure = .cbuFormed
        record.definition.definition = "The MDO has formed its capacity building unit (1 = formed, 0 = not yet), as its MDO admin records it on the organisation's page."
        try await record.save(on: database)
    }

    func revert(on database: any Database) async throws {}
}

/// The KPIs of States' MoUs and ATIs join the framework of a running platform (a new one has them from the file).
struct AddStateKPIs: AsyncMigration {
    static let keys = ["mous_in_force", "state_mou", "atis_on_platform"]

    func prepare(on database: any Database) async throws {
        let count = try await KPIRecord.query(on: database).count()
        for (offset, definition) in try Scorecards.bundledDefinitions().filter({ Self.keys.contains($0.key) }).enumerated()
        where try await KPIRecord.find(definition.key, on: database) == nil {
            let record = KPIRecord()
            record.id = definition.key
            record.position = count + offset
            record.definition = definition
            try await record.create(on: database)
        }
    }

    func revert(on database: any Database) async throws {
        try await KPIRecord.query(on: database).filter(\.$id ~~ Self.keys).delete()
    }
}

/// Recorded KPI values say which period they are for and what they rest on.
struct RecordKPIPeriods: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column per change: SQLite adds one at a time.
        try await database.schema("kpi_inputs").field("period", .string).update()
        try await database.schema("kpi_inputs").field("evidence", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("kpi_inputs").deleteField("evidence").update()
        try await database.schema("kpi_inputs").deleteField("period").update()
    }
}

struct ScorecardDTO: Content {
    struct Item: Content {
        var key: String
        var area: KPIArea
        var name: String
        var definition: String
        var unit: String
        var measure: KPIMeasure
        var target: Double
        var value: Double?
        var status: KPIStatus
        /// With status `check`: why the value cannot be right, and what to look at.
        var warning: String?
        /// For recorded values: who recorded it, when, and their note.
        var recordedAt: Date?
        var note: String?
    }

    struct Competency: Content {
        var id: UUID
        var area: CompetencyArea
        var theme: String
        var subTheme: String?
    }

    var scope: String
    var name: String
    var asOf: Date
    var items: [Item]
    /// For a State or district: people posted there from organisations that are not the State's, left out of onboarding.
    var postedFromElsewhere: Int?
    /// The framework's current competencies that no published course covers.
    var competenciesWithoutCourses: [Competency]
}

/// Scorecards: every KPI that applies to a scope, its value from the rollups (or as recorded), and its colour.
enum Scorecards {
    static func bundledDefinitions() throws -> [KPIDefinition] {
        guard let url = Bundle.module.url(forResource: "kpis", withExtension: "json", subdirectory: "Resources") else {
            throw Problem(.internalServerError, "the KPI definitions (Resources/kpis.json) are missing from the build")
        }
        return try JSONDecoder().decode([KPIDefinition].self, from: Data(contentsOf: url))
    }

    static func definitions(on database: any Database) async throws -> [KPIDefinition] {
        try await KPIRecord.query(on: database).sort(\.$position).all().map(\.definition)
    }

    /// Which of a definition's `appliesTo` a scope answers to.
    static func kind(of scope: InsightScope) -> String {
        switch scope {
        case .nation: "nation"
        case .state, .district: "state"
        case .organisation: "mdo"
        }
    }

    static func scorecard(for scope: InsightScope, named name: String, app: Application, on database: any Database) async throws -> ScorecardDTO {
        let sql = database as! any SQLDatabase
        let today = IndiaDay.of(Date())
        let definitions = try await definitions(on: database).filter { $0.appliesTo.contains(kind(of: scope)) }
        let measures = Set(definitions.map(\.measure))

        let onboarding = try await Insights.onboarding(of: scope, upTo: today, on: sql)
        let registered = onboarding.registered
        struct Year: Decodable { var enrolments: Int?; var completions: Int?; var seconds: Int? }
        let year = try await sql.select()
            .column(SQLQueryString("CAST(SUM(\(ident: "enrolments")) AS BIGINT)"), as: "enrolments")
            .column(SQLQueryString("CAST(SUM(\(ident: "completions")) AS BIGINT)"), as: "completions")
            .column(SQLQueryString("CAST(SUM(\(ident: "learning_seconds")) AS BIGINT)"), as: "seconds")
            .from(Rollups.table).where("scope", .equal, SQLBind(scope.key)).where("course_id", .equal, SQLBind(RollupTally.allCourses))
            .where("day", .greaterThan, SQLBind(today - 365)).where("day", .lessThanOrEqual, SQLBind(today)).first(decoding: Year.self)
        struct Active: Decodable { var active30: Int }
        let active = try await sql.select().column("active30").from(Rollups.table).where("scope", .equal, SQLBind(scope.key))
            .where("course_id", .equal, SQLBind(RollupTally.allCourses)).where("day", .equal, SQLBind(today)).first(decoding: Active.self)?.active30 ?? 0

        var values: [KPIMeasure: Double] = [:]
        func share(_ part: Int, _ whole: Int?) -> Double? { whole.flatMap { $0 > 0 ? Double(part) * 100 / Double($0) : nil } }
        if measures.contains(.onboardedShare) { values[.onboardedShare] = onboarding.share.map { $0 * 100 } }
        if measures.contains(.activeShare) { values[.activeShare] = share(active, registered) }
        if measures.contains(.completionRate) { values[.completionRate] = share(year?.completions ?? 0, year?.enrolments) }
        if measures.contains(.hoursPerPerson), registered > 0 { values[.hoursPerPerson] = Double(year?.seconds ?? 0) / 3600 / Double(registered) }
        if case .organisation(let id) = scope, measures.contains(.plansPrepared) || measures.contains(.plansCompleted) {
            let (prepared, completed) = try await plans(of: id, on: database)
            values[.plansPrepared] = Double(prepared)
            values[.plansCompleted] = completed
        }
        if case .organisation(let id) = scope, measures.contains(.cbuFormed) {
            values[.cbuFormed] = try await CapacityBuildingUnits.formed(id, on: database) ? 1 : 0
        }
        if measures.contains(.mousInForce) || measures.contains(.atisOnPlatform) {
            let states = try await StatePartnerships.figures(of: scope, today: today, on: database)
            values[.mousInForce] = states.mous.map { scope == .nation ? $0 : min($0, 1) }
            values[.atisOnPlatform] = states.atisOnPlatform
        }
        var uncovered: [ScorecardDTO.Competency] = []
        if measures.contains(.competencyCoverage) {
            let current = try await KarmayogiServer.Competency.query(on: database).filter(\.$status == .current).all()
            let covered = Set(try await app.catalogueSearch.cards(on: database).values.flatMap { $0.competencies.map(\.competencyId) })
            uncovered = current.filter { !covered.contains($0.id!) }.map { .init(id: $0.id!, area: $0.area, theme: $0.theme, subTheme: $0.subTheme) }
                .sorted { ($0.area.rawValue, $0.theme, $0.subTheme ?? "") < ($1.area.rawValue, $1.theme, $1.subTheme ?? "") }
            values[.competencyCoverage] = share(current.count - uncovered.count, current.count)
        }
        let recorded = try await latestInputs(for: scope, keys: definitions.filter { $0.measure == .manual }.map(\.key), on: sql)
        let items = definitions.map { definition in
            let input = recorded[definition.key]
            let value = definition.measure == .manual ? input?.value : values[definition.measure]
            let status = definition.status(of: value)
            return ScorecardDTO.Item(key: definition.key, area: definition.area, name: definition.name, definition: definition.definition, unit: definition.unit,
                                     measure: definition.measure, target: definition.target, value: value, status: status, warning: status == .check ? definition.measure.likelyCauseOfExcess : nil,
                                     recordedAt: input?.recorded_at, note: input?.note)
        }
        return ScorecardDTO(scope: scope.text, name: name, asOf: Date(), items: items, postedFromElsewhere: onboarding.postedFromElsewhere,
                            competenciesWithoutCourses: uncovered)
    }

    /// An organisation's plans for the current financial year (published ones), and the share of their assigned courses completed.
    private static func plans(of organisationID: UUID, on database: any Database) async throws -> (prepared: Int, completed: Double?) {
        let today = IndiaDay.civil(IndiaDay.of(Date()))
        let financialYear = today.month >= 4 ? today.year : today.year - 1
        let plans = try await Plan.query(on: database).filter(\.$organisationID == organisationID).filter(\.$state != .draft).all()
        guard let organisation = try await Organisation.find(organisationID, on: database) else { return (0, nil) }
        var assigned = 0, completed = 0
        for plan in plans where plan.state == .live {
            let compliance = try await Plans.compliance(plan, of: organisation, designation: nil, page: PageRequest(limit: 1), on: database)
            assigned += compliance.total.assigned
            completed += compliance.total.completedOnTime + compliance.total.completedLate
        }
        return (plans.filter { $0.year == financialYear }.count, assigned > 0 ? Double(completed) * 100 / Double(assigned) : nil)
    }

    struct Input: Decodable { var kpi_key: String; var value: Double; var note: String?; var recorded_at: Date }

    private static func latestInputs(for scope: InsightScope, keys: [String], on sql: any SQLDatabase) async throws -> [String: Input] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await sql.select().columns("kpi_key", "value", "note", "recorded_at").from("kpi_inputs")
            .where("scope", .equal, SQLBind(scope.key)).where("kpi_key", .in, SQLBind.group(keys)).orderBy("recorded_at").all(decoding: Input.self)
        return Dictionary(rows.map { ($0.kpi_key, $0) }, uniquingKeysWith: { _, later in later })
    }

    /// Whether the principal keeps the recorded KPIs of a scope they can see: an organisation's MDO admins, a State's
    /// admins for the State and its districts, national admins everywhere (and alone for the nation's).
    static func recordsKPIs(of scope: InsightScope, principal: Principal, on database: any Database) async throws -> Bool {
        if principal.access.isNationalAdmin { return true }
        switch scope {
        case .nation: return false
        case .state, .district: return !principal.access.reach(of: .viewInsights).stateCodes.isEmpty
        case .organisation(let id):
            guard let organisation = try await Organisation.find(id, on: database) else { return false }
            return principal.access.allows(.manageUsers, on: organisation.placement)
        }
    }

    /// Records a value of a manual KPI: national admins for any scope; MDO and State admins for the scopes their grants reach.
    static func record(_ input: KPIInput, for key: String, by principal: Principal, on database: any Database) async throws {
        guard let record = try await KPIRecord.find(key, on: database) else { throw Problem.notFound("KPI") }
        guard record.definition.measure == .manual else {
            throw Problem(.conflict, "\(record.definition.name) is computed by the platform; only recorded KPIs take values.")
        }
        let (scope, _) = try await Insights.scope(input.scope, for: principal, on: database)
        guard record.definition.appliesTo.contains(kind(of: scope)) else {
            throw Problem.invalid("scope", "\(record.definition.name) is reported for \(record.definition.appliesTo.joined(separator: ", ")), not for this scope")
        }
        if case .organisation(let id) = scope, let organisation = try await Organisation.find(id, on: database),
           !principal.access.allows(.manageUsers, on: organisation.placement) {
            throw Problem(.forbidden, "An organisation's recorded KPIs are kept by its MDO admins.")
        }
        if scope == .nation || record.definition.area == .commission || record.definition.area == .platformHealth, !principal.access.isNationalAdmin {
            throw Problem(.forbidden, "This KPI is recorded by national admins.")
        }
        var errors: [FieldError] = []
        if !input.value.isFinite || input.value < 0 { errors.append(.init("value", "must be a number, 0 or more")) }
        if record.definition.unit == "percent", input.value > 100 { errors.append(.init("value", "is a percentage: 0 to 100")) }
        if record.definition.unit == "yes/no", input.value != 0, input.value != 1 { errors.append(.init("value", "is yes (1) or no (0)")) }
        let today = IndiaDay.of(Date())
        var period = KPIPeriod.month(of: today)
        if let text = input.period {
            switch KPIPeriod.read(text, today: today) {
            case .success(let read): period = read.text
            case .failure(let error): errors.append(error)
            }
        }
        if let evidence = input.evidence, evidence.count > 500 { errors.append(.init("evidence", "must be at most 500 characters")) }
        if let note = input.note, note.count > 1_000 { errors.append(.init("note", "must be at most 1,000 characters")) }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        try await (database as! any SQLDatabase).insert(into: "kpi_inputs")
            .columns("id", "kpi_key", "scope", "value", "period", "evidence", "note", "recorded_by", "recorded_at")
            .values(SQLBind(UUID()), SQLBind(key), SQLBind(scope.key), SQLBind(input.value), SQLBind(period), SQLBind(input.evidence?.trimmed.nilIfEmpty),
                    SQLBind(input.note?.trimmed.nilIfEmpty), SQLBind(principal.userID), SQLBind(Date()))
            .run()
    }

    /// The values recorded for a KPI in a scope, the latest first, with who recorded them.
    static func history(of key: String, in scope: InsightScope, on database: any Database) async throws -> [KPIInputDTO] {
        struct Row: Decodable { var value: Double; var period: String?; var evidence: String?; var note: String?; var recorded_by: UUID; var recorded_at: Date }
        let rows = try await (database as! any SQLDatabase).select().columns("value", "period", "evidence", "note", "recorded_by", "recorded_at").from("kpi_inputs")
            .where("kpi_key", .equal, SQLBind(key)).where("scope", .equal, SQLBind(scope.key)).orderBy("recorded_at", .descending).limit(100)
            .all(decoding: Row.self)
        let names = try await Users.named(rows.map(\.recorded_by), on: database)
        return rows.map { KPIInputDTO(value: $0.value, period: $0.period, evidence: $0.evidence, note: $0.note, recordedBy: names[$0.recorded_by]?.name ?? "",
                                      recordedAt: $0.recorded_at) }
    }
}

struct ScorecardController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("insights", "scorecard", use: Self.scorecard)
        routes.get("kpis", use: Self.definitions)
        routes.put("kpis", ":key", use: Self.define)
        routes.post("kpis", ":key", "inputs", use: Self.record)
        routes.get("kpis", ":key", "inputs", use: Self.history)
    }

    @Sendable static func history(_ request: Request) async throws -> [KPIInputDTO] {
        let principal = try request.principal()
        let (scope, _) = try await Insights.scope(request.query[String.self, at: "scope"], for: principal, on: request.db)
        guard let key = request.parameters.get("key"), try await KPIRecord.find(key, on: request.db) != nil else { throw Problem.notFound("KPI") }
        return try await Scorecards.history(of: key, in: scope, on: request.db)
    }

    @Sendable static func scorecard(_ request: Request) async throws -> ScorecardDTO {
        let (scope, name) = try await Insights.scope(request.query[String.self, at: "scope"], for: try request.principal(), on: request.db)
        return try await Scorecards.scorecard(for: scope, named: name, app: request.application, on: request.db)
    }

    @Sendable static func definitions(_ request: Request) async throws -> Page<KPIDefinition> {
        guard !(try request.principal()).access.reach(of: .viewInsights).isEmpty else { throw Problem.forbidden }
        return Page(items: try await Scorecards.definitions(on: request.db), nextCursor: nil)
    }

    /// A national admin changes a KPI's definition (or adds one): its target, thresholds, wording.
    @Sendable static func define(_ request: Request) async throws -> KPIDefinition {
        let principal = try request.principal()
        guard principal.access.isNationalAdmin else { throw Problem(.forbidden, "The KPI framework is kept by national admins.") }
        let key = request.parameters.get("key") ?? ""
        let definition: KPIDefinition
        do { definition = try request.content.decode(KPIDefinition.self, using: JSONDecoder.api) } catch let error as DecodingError { throw ProblemMiddleware.problem(for: error) }
        var errors = definition.problems(field: "")
            .map { FieldError(String($0.field.dropFirst()), $0.reason) }
        if definition.key != key { errors.append(.init("key", "must be the key in the address (\(key))")) }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        let record = try await KPIRecord.find(key, on: request.db) ?? {
            let record = KPIRecord()
            record.id = key
            record.position = Int.max / 2
            return record
        }()
        if record.position == Int.max / 2 { record.position = try await KPIRecord.query(on: request.db).count() }
        record.definition = definition
        record.updatedBy = principal.userID
        try await record.save(on: request.db)
        return definition
    }

    @Sendable static func record(_ request: Request) async throws -> Response {
        let key = request.parameters.get("key") ?? ""
        try await Scorecards.record(try request.decodeStrict(KPIInput.self), for: key, by: try request.principal(), on: request.db)
        return Response(status: .noContent)
    }
}

/// Definitions go out as they are kept.
extension KPIDefinition: Content {}
