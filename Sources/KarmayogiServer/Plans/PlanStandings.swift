import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct MyPlanCourseDTO: Content {
    var courseId: UUID
    var title: String?
    var standing: PlanStanding
    var percent: Double?
    var enrolledAt: Date?
    var completedAt: Date?
}

struct MyPlanDTO: Content {
    var id: UUID
    var name: String
    var year: Int
    var organisationId: UUID
    var organisationName: String
    var dueDate: String
    /// The whole plan: completed (on time or late) when every course is, overdue when one is, else enrolled or assigned.
    var standing: PlanStanding
    var courses: [MyPlanCourseDTO]
}

/// Counts of person–course pairs: `assigned` is all of them; the other five divide them up.
struct StandingCounts: Content {
    var assigned = 0
    var notStarted = 0
    var enrolled = 0
    var completedOnTime = 0
    var completedLate = 0
    var overdue = 0

    mutating func add(_ standing: PlanStanding, count: Int = 1) {
        assigned += count
        switch standing {
        case .assigned: notStarted += count
        case .enrolled: enrolled += count
        case .completedOnTime: completedOnTime += count
        case .completedLate: completedLate += count
        case .overdue: overdue += count
        }
    }
}

struct ComplianceDTO: Content {
    struct Designation: Content {
        var designation: String?
        var people: Int
        var counts: StandingCounts
    }

    struct Person: Content {
        var userId: UUID
        var name: String
        var designation: String?
        var counts: StandingCounts
        var courses: [MyPlanCourseDTO]
    }

    var planId: UUID
    var dueDate: String
    var asOf: Date
    var people: Int
    var courses: Int
    var total: StandingCounts
    var byDesignation: [Designation]
    var persons: Page<Person>
}

/// How people stand against plans: the plans assigned to one person, and a plan's compliance over everyone assigned.
extension Plans {
    /// The live plans assigned to a person: plans of their organisation and its ancestors whose assignment includes them,
    /// and plans that name them.
    static func assigned(to person: PlanPerson, on database: any Database) async throws -> [(plan: Plan, organisation: Organisation)] {
        var ancestors: [String] = []
        var path = "/"
        for part in person.organisationPath.split(separator: "/") {
            path += part + "/"
            ancestors.append(path)
        }
        struct Named: Decodable { var plan_id: UUID }
        let named = try await (database as! any SQLDatabase).select().column("plan_id").from("plan_people")
            .where("user_id", .equal, SQLBind(person.id)).all(decoding: Named.self).map(\.plan_id)
        let organisations = try await Organisation.query(on: database).filter(\.$path ~~ ancestors).all()
        let plans = try await Plan.query(on: database).filter(\.$state == .live)
            .group(.or) { group in
                group.filter(\.$organisationID ~~ organisations.map { $0.id! })
                if !named.isEmpty { group.filter(\.$id ~~ named) }
            }
            .sort(\.$dueDay).all()
        var byID = Dictionary(uniqueKeysWithValues: organisations.map { ($0.id!, $0) })
        for plan in plans where byID[plan.organisationID] == nil { byID[plan.organisationID] = try await Organisation.find(plan.organisationID, on: database) }
        return plans.compactMap { plan in
            guard let organisation = byID[plan.organisationID],
                  plan.assignment.value.includes(userID: person.id, designation: person.designation, organisationPath: person.organisationPath,
                                                 planOrganisationPath: organisation.path)
            else { return nil }
            return (plan, organisation)
        }
    }

    /// The live plans assigned to a person, each with the courses it holds.
    static func assignedCourses(to person: PlanPerson, on database: any Database) async throws -> [(id: UUID, name: String, courseIDs: [UUID])] {
        let plans = try await assigned(to: person, on: database)
        let courses = try await courseIDs(of: plans.map { $0.plan.id! }, on: database)
        return plans.map { ($0.plan.id!, $0.plan.name, courses[$0.plan.id!] ?? []) }
    }

    /// `GET /me/plans`: each live plan assigned to me, with where I stand in each course.
    static func mine(_ principal: Principal, on database: any Database) async throws -> [MyPlanDTO] {
        let person = PlanPerson(id: principal.userID, designation: principal.me.designation, organisationPath: principal.organisationPath)
        let plans = try await assigned(to: person, on: database)
        let courses = try await courseIDs(of: plans.map { $0.plan.id! }, on: database)
        let allCourses = Array(Set(courses.values.joined()))
        let titles = try await Courses.titles(allCourses, on: database)
        let enrolments = Dictionary(try await Enrolments.of(principal.userID, in: allCourses, on: database).map { ($0.courseID, $0) }, uniquingKeysWith: { a, _ in a })
        let now = Date()
        return plans.map { plan, organisation in
            let mine = (courses[plan.id!] ?? []).map { id in
                let enrolment = enrolments[id].flatMap { $0.status == .left ? nil : $0 }
                return MyPlanCourseDTO(courseId: id, title: titles[id],
                                       standing: .of(enrolledAt: enrolment?.enrolledAt, completedAt: enrolment?.completedAt, due: plan.due, now: now),
                                       percent: enrolment?.percent, enrolledAt: enrolment?.enrolledAt, completedAt: enrolment?.completedAt)
            }
            return MyPlanDTO(id: plan.id!, name: plan.name, year: plan.year, organisationId: organisation.id!, organisationName: organisation.name,
                             dueDate: IndiaDay.string(plan.dueDay), standing: overall(mine.map(\.standing)), courses: mine)
        }
    }

    /// A plan's standing for one person from their standing in each course.
    static func overall(_ standings: [PlanStanding]) -> PlanStanding {
        if standings.allSatisfy({ $0 == .completedOnTime || $0 == .completedLate }) {
            return standings.contains(.completedLate) ? .completedLate : .completedOnTime
        }
        if standings.contains(.overdue) { return .overdue }
        return standings.contains { $0 != .assigned } ? .enrolled : .assigned
    }

    /// The plan bonus a completion earns: nil when the course is in no live plan assigned to the person, else the most
    /// generous bonus among the plans that hold it.
    static func bonus(for userID: UUID, course courseID: UUID, completedAt: Date, on database: any Database) async throws -> Int? {
        guard let person = try await PlanPerson.load(userID, on: database) else { return nil }
        let plans = try await assigned(to: person, on: database)
        guard !plans.isEmpty else { return nil }
        let courses = try await courseIDs(of: plans.map { $0.plan.id! }, on: database)
        return plans.filter { courses[$0.plan.id!]?.contains(courseID) == true }
            .map { PlanRule.planBonus(completedAt: completedAt, due: $0.plan.due) }.max()
    }

    static func courseIDs(of planIDs: [UUID], on database: any Database) async throws -> [UUID: [UUID]] {
        guard !planIDs.isEmpty else { return [:] }
        struct Row: Decodable { var plan_id: UUID; var course_id: UUID }
        let rows = try await (database as! any SQLDatabase).select().columns("plan_id", "course_id").from("plan_courses")
            .where("plan_id", .in, SQLBind.group(planIDs)).orderBy("position").all(decoding: Row.self)
        return Dictionary(grouping: rows, by: \.plan_id).mapValues { $0.map(\.course_id) }
    }

    // MARK: - Compliance

    /// Everyone the plan is assigned to, counted in SQL (no row per person is kept or built): totals, per designation,
    /// and one page of people with their standing in each course.
    static func compliance(_ plan: Plan, of organisation: Organisation, designation: String?, page: PageRequest, on database: any Database) async throws -> ComplianceDTO {
        let sql = database as! any SQLDatabase
        let courses = try await courseIDs(of: plan.id!, on: database)
        let now = Date(), due = plan.due
        let key = designation.map(Designation.key)

        // People per designation.
        struct People: Decodable { var designation: String?; var people: Int }
        let people = try await assignedPeople(sql.select(), plan: plan, organisation: organisation, designation: key)
            .column(SQLColumn("designation", table: "u"))
            .column(SQLQueryString("CAST(COUNT(*) AS BIGINT)"), as: "people")
            .groupBy(SQLColumn("designation", table: "u")).all(decoding: People.self)

        // Their enrolments in the plan's courses, by designation: completed on time, late, and still open.
        struct Enrolled: Decodable { var designation: String?; var on_time: Int?; var late: Int?; var open: Int? }
        let completed = SQLQueryString("\(ident: "e").\(ident: "completed_at") IS NOT NULL")
        let enrolled = try await assignedPeople(sql.select(), plan: plan, organisation: organisation, designation: key)
            .join(SQLAlias(SQLIdentifier(Enrolment.schema), as: SQLIdentifier("e")), on: SQLColumn("user_id", table: "e"), .equal, SQLColumn("id", table: "u"))
            .where(SQLColumn("course_id", table: "e"), .in, SQLBind.group(courses))
            .column(SQLColumn("designation", table: "u"))
            .column(SQLQueryString("CAST(SUM(CASE WHEN \(completed) AND \(ident: "e").\(ident: "completed_at") <= \(bind: due) THEN 1 ELSE 0 END) AS BIGINT)"), as: "on_time")
            .column(SQLQueryString("CAST(SUM(CASE WHEN \(completed) AND \(ident: "e").\(ident: "completed_at") > \(bind: due) THEN 1 ELSE 0 END) AS BIGINT)"), as: "late")
            .column(SQLQueryString("CAST(SUM(CASE WHEN \(ident: "e").\(ident: "status") = \(bind: Enrolment.Status.active.rawValue) THEN 1 ELSE 0 END) AS BIGINT)"), as: "open")
            .groupBy(SQLColumn("designation", table: "u")).all(decoding: Enrolled.self)

        // Designations as people write them vary in case and spacing: grouped by their key, shown as first written.
        var groups: [String: ComplianceDTO.Designation] = [:]
        var openByKey: [String: (onTime: Int, late: Int, open: Int)] = [:]
        for row in enrolled {
            let key = row.designation.map(Designation.key) ?? ""
            let sums = openByKey[key] ?? (0, 0, 0)
            openByKey[key] = (sums.onTime + (row.on_time ?? 0), sums.late + (row.late ?? 0), sums.open + (row.open ?? 0))
        }
        for row in people {
            let key = row.designation.map(Designation.key) ?? ""
            groups[key, default: .init(designation: row.designation.map(Designation.normalised), people: 0, counts: StandingCounts())].people += row.people
        }
        var total = StandingCounts()
        for (key, group) in groups {
            let sums = openByKey[key] ?? (0, 0, 0)
            let pairs = group.people * courses.count
            var counts = StandingCounts()
            counts.add(.completedOnTime, count: sums.onTime)
            counts.add(.completedLate, count: sums.late)
            let notCompleted = pairs - sums.onTime - sums.late
            if now > due {
                counts.add(.overdue, count: notCompleted)
            } else {
                counts.add(.enrolled, count: sums.open)
                counts.add(.assigned, count: notCompleted - sums.open)
            }
            groups[key]!.counts = counts
            for standing in PlanStanding.allCases { total.add(standing, count: counts.count(of: standing)) }
        }

        // One page of people, by name.
        struct Row: Decodable { var id: UUID; var name: String; var designation: String? }
        let select = assignedPeople(sql.select(), plan: plan, organisation: organisation, designation: key)
            .column(SQLColumn("id", table: "u")).column(SQLColumn("name", table: "u")).column(SQLColumn("designation", table: "u"))
        if let cursor = page.cursor {
            select.where(SQLGroupExpression(SQLBinaryExpression(
                SQLBinaryExpression(SQLColumn("name", table: "u"), .greaterThan, SQLBind(cursor.key)), .or,
                SQLBinaryExpression(SQLBinaryExpression(SQLColumn("name", table: "u"), .equal, SQLBind(cursor.key)), .and,
                                    SQLBinaryExpression(SQLColumn("id", table: "u"), .greaterThan, SQLBind(cursor.id))))))
        }
        let rows = try await select.orderBy(SQLColumn("name", table: "u")).orderBy(SQLColumn("id", table: "u")).limit(page.limit + 1).all(decoding: Row.self)
        let (shown, next) = page.slice(rows, key: \.name, id: \.id)
        let enrolments = try await standings(of: shown.map(\.id), in: courses, on: sql)
        let persons = shown.map { row in
            var counts = StandingCounts()
            let mine = courses.map { course in
                let enrolment = enrolments[row.id]?[course]
                let standing = PlanStanding.of(enrolledAt: enrolment?.enrolledAt, completedAt: enrolment?.completedAt, due: due, now: now)
                counts.add(standing)
                return MyPlanCourseDTO(courseId: course, title: nil, standing: standing, percent: enrolment?.percent,
                                       enrolledAt: enrolment?.enrolledAt, completedAt: enrolment?.completedAt)
            }
            return ComplianceDTO.Person(userId: row.id, name: row.name, designation: row.designation, counts: counts, courses: mine)
        }
        return ComplianceDTO(planId: plan.id!, dueDate: IndiaDay.string(plan.dueDay), asOf: now, people: groups.values.reduce(0) { $0 + $1.people },
                             courses: courses.count, total: total,
                             byDesignation: groups.values.sorted { ($0.designation ?? "") < ($1.designation ?? "") },
                             persons: Page(items: persons, nextCursor: next))
    }

    /// The people a plan is assigned to, as a query over users (`u`) and their organisations (`o`); disabled accounts are left out.
    static func assignedPeople(_ select: SQLSelectBuilder, plan: Plan, organisation: Organisation, designation key: String?) -> SQLSelectBuilder {
        select.fromPeople()
            .where(SQLColumn("status", table: "u"), .notEqual, SQLBind(User.Status.disabled.rawValue))
        let designation = SQLFunction("LOWER", args: SQLColumn("designation", table: "u"))
        switch plan.assignment.value {
        case .allStaff(let subtree):
            if subtree { select.where(SQLColumn("path", table: "o"), .like, SQLBind(organisation.path + "%")) }
            else { select.where(SQLColumn("organisation_id", table: "u"), .equal, SQLBind(organisation.id!)) }
        case .designations(let names):
            select.where(SQLColumn("path", table: "o"), .like, SQLBind(organisation.path + "%"))
                .where(designation, .in, SQLBind.group(names.map(Designation.key)))
        case .users:
            select.join(SQLAlias(SQLIdentifier("plan_people"), as: SQLIdentifier("pp")), on: SQLColumn("user_id", table: "pp"), .equal, SQLColumn("id", table: "u"))
                .where(SQLColumn("plan_id", table: "pp"), .equal, SQLBind(plan.id!))
        }
        if let key { select.where(designation, .equal, SQLBind(key)) }
        return select
    }

    struct Standing: Decodable { var user_id: UUID; var course_id: UUID; var status: String; var enrolled_at: Date; var completed_at: Date?; var percent: Double }

    static func standings(of userIDs: [UUID], in courses: [UUID], on sql: any SQLDatabase) async throws -> [UUID: [UUID: (enrolledAt: Date?, completedAt: Date?, percent: Double)]] {
        guard !userIDs.isEmpty, !courses.isEmpty else { return [:] }
        let rows = try await sql.select().columns("user_id", "course_id", "status", "enrolled_at", "completed_at", "percent").from(Enrolment.schema)
            .where("user_id", .in, SQLBind.group(userIDs)).where("course_id", .in, SQLBind.group(courses)).all(decoding: Standing.self)
        var result: [UUID: [UUID: (enrolledAt: Date?, completedAt: Date?, percent: Double)]] = [:]
        for row in rows {
            let left = row.status == Enrolment.Status.left.rawValue
            result[row.user_id, default: [:]][row.course_id] = (left ? nil : row.enrolled_at, row.completed_at, row.percent)
        }
        return result
    }
}

extension StandingCounts {
    func count(of standing: PlanStanding) -> Int {
        switch standing {
        case .assigned: notStarted
        case .enrolled: enrolled
        case .completedOnTime: completedOnTime
        case .completedLate: completedLate
        case .overdue: overdue
        }
    }
}
