import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct SummaryDTO: Content {
    struct TopCourse: Content {
        var courseId: UUID
        var title: String
        var completions: Int
    }

    struct TopCourses: Content {
        var behavioural: [TopCourse]
        var functional: [TopCourse]
        var domain: [TopCourse]
    }

    /// One of the scope's children (a State of the nation, a district or department of a State, a sub-organisation).
    struct Child: Content {
        var scope: String
        var kind: String
        var name: String
        var registeredUsers: Int
        var activeLearners30: Int
        var enrolments: Int
        var completions: Int
        var learningHours: Double
    }

    struct Point: Content {
        /// The first day of the day, week (Monday) or month.
        var start: String
        var enrolments: Int
        var completions: Int
        var certificates: Int
        var learningHours: Double
        /// Distinct people active: in the day, the 7 days, or the 30 days ending on the bucket's last day in the period.
        var activeLearners: Int
    }

    var scope: String
    var name: String
    var from: String
    var to: String
    var interval: String
    /// Everyone registered up to `to`, and their share of the scope's sanctioned strength.
    var registeredUsers: Int
    var sanctionedStrength: Int?
    var onboardedShare: Double?
    /// For a State or district: people posted there from organisations that are not the State's (central staff), counted
    /// in `registeredUsers` but not in `onboardedShare`; nil when there are none.
    var postedFromElsewhere: Int?
    var activeLearners7: Int
    var activeLearners30: Int
    var enrolments: Int
    var completions: Int
    /// Completions in the period per enrolment in the period.
    var completionRate: Double?
    var learningHours: Double
    var certificates: Int
    var topCourses: TopCourses
    var breakdown: [Child]
    var series: [Point]
}

/// The dashboard of a scope, read from its own rollup rows: the cost does not grow with the number of events.
enum Insights {
    /// The scope from `scope=`, checked: it parses, what it names exists, and the principal's grants reach it.
    /// The scope a person sees first: the nation for national admins, their State for State admins, else their first
    /// organisation; nil for someone no dashboard is for.
    static func homeScope(of principal: Principal) -> String? {
        let reach = principal.access.reach(of: .viewInsights)
        if reach.everything { return "nation" }
        if let state = reach.stateCodes.sorted().first { return "state:\(state)" }
        if let path = reach.organisationPaths.sorted(by: { $0.count < $1.count }).first,
           let id = path.split(separator: "/").last.flatMap({ UUIDText.parse(String($0)) }) {
            return "org:\(id.uuidString.lowercased())"
        }
        return nil
    }

    static func scope(_ text: String?, for principal: Principal, on database: any Database) async throws -> (scope: InsightScope, name: String) {
        let reach = principal.access.reach(of: .viewInsights)
        guard !reach.isEmpty else { throw Problem(.forbidden, "Dashboards are for MDO, CBP and State admins, programme coordinators and national admins.") }
        let scope: InsightScope
        switch InsightScope.parse(text ?? "nation") {
        case .success(let parsed): scope = parsed
        case .failure(let problem): throw Problem.invalid([problem])
        }
        let geography = Geography.reference
        switch scope {
        case .nation:
            guard reach.everything else { throw Problem(.forbidden, "The nation's dashboard is for national admins; ask for your State or organisation.") }
            return (scope, "India")
        case .state(let code):
            guard let state = geography.state(code: code) else { throw Problem.invalid("scope", "no State or UT has LGD code \(code)") }
            guard reach.everything || reach.stateCodes.contains(code) else { throw Problem(.forbidden, "Your roles do not reach \(state.name).") }
            return (scope, state.name)
        case .district(let code):
            guard let district = geography.district(code: code) else { throw Problem.invalid("scope", "no district has LGD code \(code)") }
            guard reach.everything || reach.stateCodes.contains(district.stateCode) else { throw Problem(.forbidden, "Your roles do not reach \(district.name).") }
            return (scope, "\(district.name), \(geography.state(code: district.stateCode)?.name ?? "")")
        case .organisation(let id):
            // An organisation beyond the principal's reach is answered as one that does not exist; States and districts are public.
            guard let organisation = try await Organisation.find(id, on: database), principal.access.allows(.viewInsights, on: organisation.placement)
            else { throw Problem.invalid("scope", "no organisation with this id is visible to you") }
            return (scope, organisation.name)
        }
    }

    /// A scope's name, for a scope that exists (a State, district or organisation that does not is named as the field).
    static func name(of scope: InsightScope, on database: any Database) async throws -> String {
        let geography = Geography.reference
        switch scope {
        case .nation: return "India"
        case .state(let code):
            guard let state = geography.state(code: code) else { throw Problem.invalid("scope", "no State or UT has LGD code \(code)") }
            return state.name
        case .district(let code):
            guard let district = geography.district(code: code) else { throw Problem.invalid("scope", "no district has LGD code \(code)") }
            return district.name
        case .organisation(let id):
            guard let name = try await Organisations.names([id], on: database)[id] else { throw Problem.invalid("scope", "no organisation has this id") }
            return name
        }
    }

    static func summary(of scope: InsightScope, named name: String, from: Int, to: Int, interval: SeriesInterval, app: Application,
                        on database: any Database) async throws -> SummaryDTO {
        let sql = database as! any SQLDatabase
        let all = SQLBind(RollupTally.allCourses)

        // The scope's days: totals, the series, and the active windows ending on `to`.
        struct Day: Decodable { var day: Int; var enrolments: Int; var completions: Int; var certificates: Int; var learning_seconds: Int
            var active1: Int; var active7: Int; var active30: Int }
        let days = try await sql.select().columns("day", "enrolments", "completions", "certificates", "learning_seconds", "active1", "active7", "active30")
            .from(Rollups.table).where("scope", .equal, SQLBind(scope.key)).where("course_id", .equal, all)
            .where("day", .greaterThanOrEqual, SQLBind(from)).where("day", .lessThanOrEqual, SQLBind(to))
            .orderBy("day").all(decoding: Day.self)
        var totals = (enrolments: 0, completions: 0, certificates: 0, seconds: 0)
        var buckets: [Int: SummaryDTO.Point] = [:]
        var lastDay: [Int: Int] = [:]
        for day in days {
            totals.enrolments += day.enrolments
            totals.completions += day.completions
            totals.certificates += day.certificates
            totals.seconds += day.learning_seconds
            let start = interval.bucket(day.day)
            var point = buckets[start] ?? .init(start: IndiaDay.string(start), enrolments: 0, completions: 0, certificates: 0, learningHours: 0, activeLearners: 0)
            point.enrolments += day.enrolments
            point.completions += day.completions
            point.certificates += day.certificates
            point.learningHours += Double(day.learning_seconds) / 3600
            if day.day >= lastDay[start] ?? Int.min {
                lastDay[start] = day.day
                point.activeLearners = switch interval { case .day: day.active1; case .week: day.active7; case .month: day.active30 }
            }
            buckets[start] = point
        }
        var series: [SummaryDTO.Point] = []
        var start = interval.bucket(from)
        while start <= to {
            series.append(buckets[start] ?? .init(start: IndiaDay.string(start), enrolments: 0, completions: 0, certificates: 0, learningHours: 0, activeLearners: 0))
            start = interval == .month ? IndiaDay.monthStart(start + 31) : start + (interval == .week ? 7 : 1)
        }
        let end = days.last { $0.day == to }

        let onboarding = try await onboarding(of: scope, upTo: to, on: sql)
        let children = try await breakdown(of: scope, from: from, to: to, on: sql)
        let top = try await topCourses(of: scope, from: from, to: to, app: app, on: database)
        return SummaryDTO(
            scope: scope.text, name: name, from: IndiaDay.string(from), to: IndiaDay.string(to), interval: interval.rawValue,
            registeredUsers: onboarding.registered, sanctionedStrength: onboarding.sanctioned,
            onboardedShare: onboarding.share, postedFromElsewhere: onboarding.postedFromElsewhere,
            activeLearners7: end?.active7 ?? 0, activeLearners30: end?.active30 ?? 0,
            enrolments: totals.enrolments, completions: totals.completions,
            completionRate: totals.enrolments > 0 ? Double(totals.completions) / Double(totals.enrolments) : nil,
            learningHours: Double(totals.seconds) / 3600, certificates: totals.certificates,
            topCourses: top, breakdown: children, series: series)
    }

    /// People registered up to a day, per scope key: each scope's all-time count less those registered after the day
    /// (for today, none), so the cost does not grow with the length of the history.
    /// Completions and learning seconds of scopes (by key) between two days, both included, read from their rollup rows.
    static func learning(of keys: [String], from: Int, to: Int, on sql: any SQLDatabase) async throws -> [String: (completions: Int, seconds: Int)] {
        guard !keys.isEmpty else { return [:] }
        struct Row: Decodable { var scope: String; var completions: Int?; var seconds: Int? }
        let rows = try await sql.select().column("scope")
            .column(SQLQueryString("CAST(SUM(\(ident: "completions")) AS BIGINT)"), as: "completions")
            .column(SQLQueryString("CAST(SUM(\(ident: "learning_seconds")) AS BIGINT)"), as: "seconds")
            .from(Rollups.table).where("scope", .in, SQLBind.group(keys)).where("course_id", .equal, SQLBind(RollupTally.allCourses))
            .where("day", .greaterThanOrEqual, SQLBind(from)).where("day", .lessThanOrEqual, SQLBind(to)).groupBy("scope").all(decoding: Row.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.scope, ($0.completions ?? 0, $0.seconds ?? 0)) })
    }

    static func registrations(of keys: [String], upTo day: Int, on sql: any SQLDatabase) async throws -> [String: Int] {
        guard !keys.isEmpty else { return [:] }
        struct Row: Decodable { var scope: String; var registered: Int? }
        func sum(_ range: (SQLSelectBuilder) -> SQLSelectBuilder) async throws -> [String: Int] {
            Dictionary(uniqueKeysWithValues: try await range(sql.select().column("scope")
                .column(SQLQueryString("CAST(SUM(\(ident: "registrations")) AS BIGINT)"), as: "registered")
                .from(Rollups.table).where("scope", .in, SQLBind.group(keys)).where("course_id", .equal, SQLBind(RollupTally.allCourses)))
                .groupBy("scope").all(decoding: Row.self).map { ($0.scope, $0.registered ?? 0) })
        }
        let allTime = try await sum { $0.where("day", .equal, SQLBind(RollupTally.allTime)) }
        let later = try await sum { $0.where("day", .greaterThan, SQLBind(day)) }
        return allTime.merging(later.mapValues { -$0 }, uniquingKeysWith: +)
    }

    /// A scope's onboarding: who is registered, who of them belongs to the scope's own organisations (for a State or a
    /// district, the State's organisations there — not central offices), their sanctioned strength, and those posted
    /// there from elsewhere (central staff in a State), counted apart and never in the share.
    struct Onboarding {
        var registered: Int
        var own: Int
        var sanctioned: Int?
        var postedFromElsewhere: Int? { registered > own ? registered - own : nil }
        /// Own people per sanctioned post, as a fraction (over 1 means the sanctioned strength is wrong).
        var share: Double? { sanctioned.flatMap { $0 > 0 ? Double(own) / Double($0) : nil } }
    }

    static func onboarding(of scope: InsightScope, upTo day: Int, on sql: any SQLDatabase) async throws -> Onboarding {
        let registered = try await registrations(of: [scope.key], upTo: day, on: sql)[scope.key] ?? 0
        let roots: [String]
        switch scope {
        case .nation, .organisation: return Onboarding(registered: registered, own: registered, sanctioned: try await sanctionedStrength(of: scope, on: sql))
        case .state(let code): roots = try await ownRoots(sql, column: "state_code", code: code)
        case .district(let code): roots = try await ownRoots(sql, column: "district_code", code: code)
        }
        struct Row: Decodable { var id: UUID; var path: String }
        let organisations = roots.isEmpty ? [] : try await sql.select().columns("id", "path").from(Organisation.schema)
            .where("path", .in, SQLBind.group(roots)).all(decoding: Row.self)
        let keys = organisations.map { InsightScope.organisation($0.id).key }
        let own = try await registrations(of: keys, upTo: day, on: sql).values.reduce(0, +)
        var sanctioned: Int?
        for root in organisations {
            if let strength = try await sanctionedStrength(of: .organisation(root.id), on: sql) { sanctioned = (sanctioned ?? 0) + strength }
        }
        return Onboarding(registered: registered, own: own, sanctioned: sanctioned)
    }

    /// The paths of a State's (or district's) own organisations at the top of their trees there: State departments, ULBs
    /// and panchayats with that code whose parent is not one of them.
    private static func ownRoots(_ sql: any SQLDatabase, column: String, code: Int) async throws -> [String] {
        struct Row: Decodable { var id: UUID; var path: String; var parent_id: UUID? }
        let types = [OrganisationType.stateDepartment, .ulb, .panchayat].map(\.rawValue)
        let rows = try await sql.select().columns("id", "path", "parent_id").from(Organisation.schema)
            .where(SQLIdentifier(column), .equal, SQLBind(code)).where("type", .in, SQLBind.group(types)).all(decoding: Row.self)
        let ids = Set(rows.map(\.id))
        return rows.filter { $0.parent_id.map { !ids.contains($0) } ?? true }.map(\.path)
    }

    /// The sanctioned strength of the organisations in the scope (nil when none is recorded).
    static func sanctionedStrength(of scope: InsightScope, on sql: any SQLDatabase) async throws -> Int? {
        struct Row: Decodable { var total: Int? }
        let select = sql.select().column(SQLQueryString("CAST(SUM(\(ident: "sanctioned_strength")) AS BIGINT)"), as: "total").from(Organisation.schema)
        switch scope {
        case .nation: break
        case .state(let code): select.where("state_code", .equal, SQLBind(code))
        case .district(let code): select.where("district_code", .equal, SQLBind(code))
        case .organisation(let id):
            guard let organisation = try await sql.select().column("path").from(Organisation.schema).where("id", .equal, SQLBind(id))
                .first(decoding: [String: String].self)?["path"] else { return nil }
            select.where("path", .like, SQLBind(organisation + "%"))
        }
        return try await select.first(decoding: Row.self)?.total
    }

    /// A scope's children: nation → States and ministries; State → districts and its top-level departments; district →
    /// the organisations located there; organisation → its sub-organisations.
    static func children(of scope: InsightScope, on sql: any SQLDatabase) async throws -> [(scope: InsightScope, kind: String, name: String)] {
        let geography = Geography.reference
        var children: [(scope: InsightScope, kind: String, name: String)] = []
        struct Org: Decodable { var id: UUID; var name: String; var parent_id: UUID?; var district_code: Int? }
        func organisations(_ build: (SQLSelectBuilder) -> SQLSelectBuilder) async throws -> [Org] {
            try await build(sql.select().columns("id", "name", "parent_id", "district_code").from(Organisation.schema)).orderBy("name").all(decoding: Org.self)
        }
        switch scope {
        case .nation:
            children = geography.states.map { (.state($0.code), "state", $0.name) }
            children += try await organisations { $0.where("type", .equal, SQLBind(OrganisationType.ministry.rawValue)).where("parent_id", .is, SQLLiteral.null) }
                .map { (.organisation($0.id), "ministry", $0.name) }
        case .state(let code):
            children = geography.districts(inState: code).map { (.district($0.code), "district", $0.name) }
            children += try await organisations { $0.where("state_code", .equal, SQLBind(code)).where("parent_id", .is, SQLLiteral.null) }
                .map { (.organisation($0.id), "organisation", $0.name) }
        case .district(let code):
            let located = try await organisations { $0.where("district_code", .equal, SQLBind(code)) }
            let here = Set(located.map(\.id))
            children = located.filter { $0.parent_id.map { !here.contains($0) } ?? true }.map { (.organisation($0.id), "organisation", $0.name) }
        case .organisation(let id):
            children = try await organisations { $0.where("parent_id", .equal, SQLBind(id)) }.map { (.organisation($0.id), "organisation", $0.name) }
        }
        return children
    }

    /// The scope's children (`children(of:)`) and their figures for the period.
    private static func breakdown(of scope: InsightScope, from: Int, to: Int, on sql: any SQLDatabase) async throws -> [SummaryDTO.Child] {
        let children = try await children(of: scope, on: sql)
        guard !children.isEmpty else { return [] }
        let keys = children.map(\.scope.key)
        struct Sums: Decodable { var scope: String; var enrolments: Int?; var completions: Int?; var learning_seconds: Int? }
        func sum(_ column: String) -> SQLQueryString { "CAST(SUM(\(ident: column)) AS BIGINT)" }
        let sums = Dictionary(uniqueKeysWithValues: try await sql.select().column("scope")
            .column(sum("enrolments"), as: "enrolments").column(sum("completions"), as: "completions").column(sum("learning_seconds"), as: "learning_seconds")
            .from(Rollups.table).where("scope", .in, SQLBind.group(keys)).where("course_id", .equal, SQLBind(RollupTally.allCourses))
            .where("day", .greaterThanOrEqual, SQLBind(from)).where("day", .lessThanOrEqual, SQLBind(to))
            .groupBy("scope").all(decoding: Sums.self).map { ($0.scope, $0) })
        struct Active: Decodable { var scope: String; var active30: Int }
        let active = Dictionary(uniqueKeysWithValues: try await sql.select().columns("scope", "active30").from(Rollups.table)
            .where("scope", .in, SQLBind.group(keys)).where("course_id", .equal, SQLBind(RollupTally.allCourses)).where("day", .equal, SQLBind(to))
            .all(decoding: Active.self).map { ($0.scope, $0.active30) })
        let registered = try await registrations(of: keys, upTo: to, on: sql)
        return children.map { child in
            let key = child.scope.key
            return SummaryDTO.Child(scope: child.scope.text, kind: child.kind, name: child.name, registeredUsers: registered[key] ?? 0,
                                    activeLearners30: active[key] ?? 0, enrolments: sums[key]?.enrolments ?? 0, completions: sums[key]?.completions ?? 0,
                                    learningHours: Double(sums[key]?.learning_seconds ?? 0) / 3600)
        }
    }

    /// The five most completed published courses in each competency area, in the scope, over the months the period touches
    /// (course counters are kept by month). Up to a quarter, each month's ranking is read from the top, deeper only until
    /// nothing below can overtake the fifth (`TopTotals`): the cost does not grow with the catalogue. Longer periods add
    /// up all the scope's course counters in them.
    private static func topCourses(of scope: InsightScope, from: Int, to: Int, app: Application, on database: any Database) async throws -> SummaryDTO.TopCourses {
        struct Row: Decodable { var course_id: UUID; var completions: Int }
        let (cards, areas) = try await app.catalogueSearch.cardsAndAreas(on: database)
        let sql = database as! any SQLDatabase
        func courseRows() -> SQLSelectBuilder {
            sql.select().column("course_id").from(Rollups.table).where("scope", .equal, SQLBind(scope.key))
                .where("course_id", .notEqual, SQLBind(RollupTally.allCourses))
        }
        func totals(_ narrow: (SQLSelectBuilder) -> SQLSelectBuilder) async throws -> [UUID: Int] {
            Dictionary(uniqueKeysWithValues: try await narrow(courseRows())
                .column(SQLQueryString("CAST(SUM(\(ident: "completions")) AS BIGINT)"), as: "completions").groupBy("course_id")
                .all(decoding: Row.self).map { ($0.course_id, $0.completions) })
        }
        func ranked(_ course: UUID) -> [CompetencyArea] { cards[course] == nil ? [] : Array(areas[course] ?? []) }
        var sizes: [CompetencyArea: Int] = [:]
        for (course, courseAreas) in areas where cards[course] != nil { for area in courseAreas { sizes[area, default: 0] += 1 } }
        var months: [Int] = []
        var month = IndiaDay.monthStart(from)
        while month <= to { months.append(month); month = IndiaDay.monthStart(month + 31) }

        var best: [CompetencyArea: [(id: UUID, total: Int)]]?
        if months.count > 3 {
            let all = try await totals { $0.where("day", .greaterThanOrEqual, SQLBind(months[0])).where("day", .lessThanOrEqual, SQLBind(to)) }
            best = TopTotals.settle(rankings: [], totals: all, count: 5, sizes: sizes, groups: ranked)
        }
        var depth = 50
        while best == nil {
            var rankings: [TopTotals.Ranking] = [], met: Set<UUID> = []
            for month in months {
                let rows = try await courseRows().column("completions").where("day", .equal, SQLBind(month)).where("completions", .greaterThan, SQLBind(0))
                    .orderBy("completions", .descending).orderBy("course_id", .descending).limit(depth).all(decoding: Row.self)
                rankings.append(.init(values: rows.map(\.completions), complete: rows.count < depth))
                met.formUnion(rows.map(\.course_id))
            }
            let exact = met.isEmpty ? [:] : try await totals { $0.where("course_id", .in, SQLBind.group(Array(met))).where("day", .in, SQLBind.group(months)) }
            best = TopTotals.settle(rankings: rankings, totals: exact, count: 5, sizes: sizes, groups: ranked)
            depth *= 4
        }
        func top(_ area: CompetencyArea) -> [SummaryDTO.TopCourse] {
            (best?[area] ?? []).compactMap { course in cards[course.id].map { SummaryDTO.TopCourse(courseId: course.id, title: $0.title, completions: course.total) } }
        }
        return .init(behavioural: top(.behavioural), functional: top(.functional), domain: top(.domain))
    }
}

struct InsightController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("insights", "summary", use: Self.summary)
    }

    /// `scope=nation|state:{code}|district:{code}|org:{id}` (default nation), `from=`/`to=` days (default the 30 days to today),
    /// `interval=day|week|month` (default by the period's length).
    @Sendable static func summary(_ request: Request) async throws -> SummaryDTO {
        let principal = try request.principal()
        let (scope, name) = try await Insights.scope(request.query[String.self, at: "scope"], for: principal, on: request.reads)
        let (from, to) = try period(request)
        var interval: SeriesInterval = to - from <= 62 ? .day : to - from <= 366 ? .week : .month
        if let text = request.query[String.self, at: "interval"] {
            guard let chosen = SeriesInterval(rawValue: text) else { throw Problem.invalid("interval", "must be day, week or month") }
            interval = chosen
        }
        return try await Insights.summary(of: scope, named: name, from: from, to: to, interval: interval, app: request.application, on: request.reads)
    }

    /// `from=` and `to=` as days, checked; by default the 30 days ending today.
    static func period(_ request: Request) throws -> (from: Int, to: Int) {
        let checked = InsightPeriod.problems(from: request.query[String.self, at: "from"], to: request.query[String.self, at: "to"])
        if !checked.errors.isEmpty { throw Problem.invalid(checked.errors) }
        let to = checked.to ?? IndiaDay.of(Date())
        let from = checked.from ?? to - 29
        if from > to { throw Problem.invalid("from", "is after to (\(IndiaDay.string(to)))") }
        if to - from > 3_660 { throw Problem.invalid("from", "a period is at most ten years") }
        return (from, to)
    }
}
