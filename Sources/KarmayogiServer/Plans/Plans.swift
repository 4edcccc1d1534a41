import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// `{"name", "year", "courseIds", "assignment", "dueDate"}`: all of them to make a plan, any of them to change one.
struct PlanInput: StrictInput, Encodable {
    enum Fields: String, CodingKey, CaseIterable { case name, year, courseIds, assignment, dueDate }
    var name: String?
    var year: Int?
    var courseIds: [UUID]?
    var assignment: AssignmentInput?
    /// "YYYY-MM-DD": completing by the end of that day (IST) is on time.
    var dueDate: String?

    struct AssignmentInput: Codable {
        var allStaff: Bool?
        var includeSubtree: Bool?
        var designations: [String]?
        var userIds: [UUID]?
    }
}

struct PlanCourseDTO: Content {
    var id: UUID
    var title: String?
}

struct PlanDTO: Content {
    var id: UUID
    var organisationId: UUID
    var name: String
    var year: Int
    var state: PlanState
    var courseIds: [UUID]
    var courses: [PlanCourseDTO]
    var assignment: PlanAssignment
    var dueDate: String
    var createdBy: UUID
    var createdAt: Date?
    var updatedAt: Date?
    var publishedAt: Date?
    var retiredAt: Date?
    /// Every change made to the plan, oldest first (only when one plan is read).
    var changes: [PlanChangeDTO]?
}

/// A person as plans see them: who, which designation, where in the tree.
struct PlanPerson: Sendable {
    var id: UUID
    var designation: String?
    var organisationPath: String

    static func load(_ userID: UUID, on database: any Database) async throws -> PlanPerson? {
        struct Row: Decodable { var id: UUID; var designation: String?; var path: String }
        return try await (database as! any SQLDatabase).select()
            .column(SQLColumn("id", table: "u")).column(SQLColumn("designation", table: "u")).column(SQLColumn("path", table: "o"))
            .fromPeople()
            .where(SQLColumn("id", table: "u"), .equal, SQLBind(userID))
            .first(decoding: Row.self).map { PlanPerson(id: $0.id, designation: $0.designation, organisationPath: $0.path) }
    }
}

/// Capacity building plans: made and changed by the organisation's CBP admins, seen by those who watch its insights,
/// resolved for each person when read.
enum Plans {
    /// The organisation, if the principal may make and change its plans.
    static func manageable(_ organisationID: UUID, by principal: Principal, on database: any Database) async throws -> Organisation {
        let organisation = try await Organisations.visible(organisationID, to: principal, on: database)
        guard principal.access.allows(.managePlans, on: organisation.placement) else {
            throw Problem(.forbidden, "Making and changing an organisation's plans is for its CBP admins.")
        }
        return organisation
    }

    /// A plan with its organisation, if the principal may see it (its managers and those who watch the organisation's insights).
    static func visible(_ id: UUID, to principal: Principal, on database: any Database) async throws -> (Plan, Organisation) {
        guard let plan = try await Plan.find(id, on: database), let organisation = try await Organisation.find(plan.organisationID, on: database),
              principal.access.allows(.managePlans, on: organisation.placement) || principal.access.allows(.viewInsights, on: organisation.placement)
        else { throw Problem.notFound("plan") }
        return (plan, organisation)
    }

    static func create(_ input: PlanInput, in organisationID: UUID, by principal: Principal, on database: any Database) async throws -> Plan {
        let organisation = try await manageable(organisationID, by: principal, on: database)
        var missing: [FieldError] = []
        if input.name == nil { missing.append(.init("name", "is required")) }
        if input.year == nil { missing.append(.init("year", "is required")) }
        if input.courseIds == nil { missing.append(.init("courseIds", "is required")) }
        if input.assignment == nil { missing.append(.init("assignment", "is required")) }
        if input.dueDate == nil { missing.append(.init("dueDate", "is required")) }
        if !missing.isEmpty { throw Problem.invalid(missing) }
        let checked = try await check(input, in: organisation, on: database)
        let plan = Plan()
        plan.id = UUID()
        plan.organisationID = organisation.id!
        plan.createdBy = principal.userID
        plan.name = checked.name!
        plan.year = checked.year!
        plan.state = .draft
        plan.dueDay = checked.dueDay!
        plan.assignment = .init(value: checked.assignment!)
        try await database.transaction { database in
            try await plan.create(on: database)
            try await replaceCourses(of: plan.id!, with: checked.courseIDs!, on: database)
            try await replacePeople(of: plan, on: database)
            try await record([(field: "state", before: nil, after: PlanState.draft.rawValue)], of: plan.id!, by: principal.userID, on: database)
        }
        return plan
    }

    /// Changes a plan: a draft anything, a live plan only its name, assignees and due date; each change is recorded.
    static func update(_ id: UUID, with input: PlanInput, by principal: Principal, on database: any Database) async throws -> Plan {
        let (plan, organisation) = try await visible(id, to: principal, on: database)
        _ = try await manageable(organisation.id!, by: principal, on: database)
        switch plan.state {
        case .retired: throw Problem(.conflict, "A retired plan no longer changes.")
        case .live:
            let sent = ["year": input.year != nil, "courseIds": input.courseIds != nil]
            let fixed = sent.filter { $0.value && !PlanRule.changeableWhenLive.contains($0.key) }.keys.sorted()
                .map { FieldError($0, "is fixed once the plan is live; retire it and make another") }
            if !fixed.isEmpty { throw Problem(.conflict, "A live plan may change only its name, assignment and due date.", errors: fixed) }
        case .draft: break
        }
        let checked = try await check(input, in: organisation, on: database)
        var changes: [(field: String, before: String?, after: String?)] = []
        if let name = checked.name, name != plan.name {
            changes.append(("name", plan.name, name))
            plan.name = name
        }
        if let year = checked.year, year != plan.year {
            changes.append(("year", String(plan.year), String(year)))
            plan.year = year
        }
        if let day = checked.dueDay, day != plan.dueDay {
            changes.append(("dueDate", IndiaDay.string(plan.dueDay), IndiaDay.string(day)))
            plan.dueDay = day
        }
        var assignmentChanged = false
        if let assignment = checked.assignment, assignment != plan.assignment.value {
            changes.append(("assignment", try json(plan.assignment.value), try json(assignment)))
            plan.assignment = .init(value: assignment)
            assignmentChanged = true
        }
        let courses = try await courseIDs(of: plan.id!, on: database)
        if let courseIDs = checked.courseIDs, courseIDs != courses {
            changes.append(("courseIds", try json(courses), try json(courseIDs)))
        }
        guard !changes.isEmpty else { return plan }
        let recorded = changes, newPeople = assignmentChanged
        try await database.transaction { database in
            try await plan.save(on: database)
            if let courseIDs = checked.courseIDs, courseIDs != courses { try await replaceCourses(of: plan.id!, with: courseIDs, on: database) }
            if newPeople { try await replacePeople(of: plan, on: database) }
            try await record(recorded, of: plan.id!, by: principal.userID, on: database)
        }
        return plan
    }

    static func transition(_ id: UUID, _ action: PlanAction, comment: String?, by principal: Principal, on database: any Database) async throws -> Plan {
        let (plan, organisation) = try await visible(id, to: principal, on: database)
        _ = try await manageable(organisation.id!, by: principal, on: database)
        guard let next = plan.state.after(action) else {
            throw Problem(.conflict, "A \(plan.state.rawValue) plan cannot be \(action == .publish ? "published" : "retired").")
        }
        if action == .publish, plan.due < Date() {
            throw Problem(.conflict, "The plan's due date has passed; set a new one before publishing.", errors: [.init("dueDate", "is in the past")])
        }
        let before = plan.state
        plan.state = next
        if action == .publish { plan.publishedAt = Date() } else { plan.retiredAt = Date() }
        try await database.transaction { database in
            try await plan.save(on: database)
            try await record([("state", before.rawValue, next.rawValue)], of: plan.id!, by: principal.userID, comment: comment, on: database)
        }
        return plan
    }

    static func list(in organisationID: UUID, state: PlanState?, page: PageRequest, for principal: Principal, on database: any Database) async throws -> Page<PlanDTO> {
        let organisation = try await Organisations.visible(organisationID, to: principal, on: database)
        guard principal.access.allows(.managePlans, on: organisation.placement) || principal.access.allows(.viewInsights, on: organisation.placement) else {
            throw Problem.forbidden
        }
        let query = Plan.query(on: database).filter(\.$organisationID == organisation.id!)
        if let state { query.filter(\.$state == state) }
        let rows = try await query.page(by: \.$name, page).all()
        let (shown, next) = page.slice(rows, key: \.name, id: { $0.id! })
        return Page(items: try await dtos(shown, on: database), nextCursor: next)
    }

    static func dtos(_ plans: [Plan], withChanges: Bool = false, on database: any Database) async throws -> [PlanDTO] {
        let sql = database as! any SQLDatabase
        struct CourseRow: Decodable { var plan_id: UUID; var course_id: UUID; var position: Int }
        let ids = plans.compactMap(\.id)
        let courseRows = ids.isEmpty ? [] : try await sql.select().columns("plan_id", "course_id", "position").from("plan_courses")
            .where("plan_id", .in, SQLBind.group(ids)).orderBy("position").all(decoding: CourseRow.self)
        let titles = try await Courses.titles(Array(Set(courseRows.map(\.course_id))), on: database)
        let byPlan = Dictionary(grouping: courseRows, by: \.plan_id)
        var result: [PlanDTO] = []
        for plan in plans {
            let courses = (byPlan[plan.id!] ?? []).map(\.course_id)
            var changes: [PlanChangeDTO]?
            if withChanges { changes = try await self.changes(of: plan.id!, on: database) }
            result.append(PlanDTO(id: plan.id!, organisationId: plan.organisationID, name: plan.name, year: plan.year, state: plan.state,
                                  courseIds: courses, courses: courses.map { PlanCourseDTO(id: $0, title: titles[$0]) },
                                  assignment: plan.assignment.value, dueDate: IndiaDay.string(plan.dueDay), createdBy: plan.createdBy,
                                  createdAt: plan.createdAt, updatedAt: plan.updatedAt, publishedAt: plan.publishedAt, retiredAt: plan.retiredAt,
                                  changes: changes))
        }
        return result
    }

    static func courseIDs(of planID: UUID, on database: any Database) async throws -> [UUID] {
        try await courseIDs(of: [planID], on: database)[planID] ?? []
    }

    static func changes(of planID: UUID, on database: any Database) async throws -> [PlanChangeDTO] {
        struct Row: Decodable { var changed_at: Date; var changed_by: UUID; var name: String?; var field: String; var before: String?; var after: String?; var comment: String? }
        return try await (database as! any SQLDatabase).select()
            .column(SQLColumn("changed_at", table: "c")).column(SQLColumn("changed_by", table: "c")).column(SQLColumn("name", table: "u"))
            .column(SQLColumn("field", table: "c")).column(SQLColumn("before", table: "c")).column(SQLColumn("after", table: "c")).column(SQLColumn("comment", table: "c"))
            .from(SQLAlias(SQLIdentifier("plan_changes"), as: SQLIdentifier("c")))
            .join(SQLAlias(SQLIdentifier(User.schema), as: SQLIdentifier("u")), method: SQLJoinMethod.left,
                  on: SQLColumn("id", table: "u"), .equal, SQLColumn("changed_by", table: "c"))
            .where(SQLColumn("plan_id", table: "c"), .equal, SQLBind(planID))
            .orderBy(SQLColumn("changed_at", table: "c")).orderBy(SQLColumn("position", table: "c")).all(decoding: Row.self)
            .map { PlanChangeDTO(at: $0.changed_at, by: $0.changed_by, byName: $0.name, field: $0.field, before: $0.before, after: $0.after, comment: $0.comment) }
    }

    // MARK: - Checking what is sent

    private struct Checked {
        var name: String?
        var year: Int?
        var courseIDs: [UUID]?
        var assignment: PlanAssignment?
        var dueDay: Int?
    }

    /// Every field sent, checked against the plan's organisation: published courses, known designations, people within its subtree.
    private static func check(_ input: PlanInput, in organisation: Organisation, on database: any Database) async throws -> Checked {
        let today = IndiaDay.of(Date())
        var (dueDay, errors) = PlanRule.problems(name: input.name, year: input.year, courseIDs: input.courseIds, dueDate: input.dueDate, today: today)
        var checked = Checked(name: input.name?.trimmed, year: input.year, courseIDs: input.courseIds, dueDay: dueDay)
        if let ids = input.courseIds, !errors.contains(where: { $0.field == "courseIds" }) {
            let published = Set(try await Course.query(on: database).filter(\.$id ~~ ids).filter(\.$status == .published).all(\.$id))
            for (index, id) in ids.enumerated() where !published.contains(id) {
                errors.append(.init("courseIds[\(index)]", "no published course has this id"))
            }
        }
        if let raw = input.assignment {
            switch PlanAssignment.read(allStaff: raw.allStaff, includeSubtree: raw.includeSubtree, designations: raw.designations, userIds: raw.userIds,
                                       field: "assignment") {
            case .failure(let problem): errors.append(problem)
            case .success(let assignment):
                checked.assignment = assignment
                errors += try await outsiders(of: assignment, in: organisation, on: database)
            }
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        return checked
    }

    /// Designations nobody in the organisation's subtree holds or has mapped, and people outside it.
    private static func outsiders(of assignment: PlanAssignment, in organisation: Organisation, on database: any Database) async throws -> [FieldError] {
        let sql = database as! any SQLDatabase
        switch assignment {
        case .allStaff: return []
        case .designations(let names):
            struct Row: Decodable { var designation: String? }
            let keys = names.map(Designation.key)
            let mapped = try await sql.select().column(SQLColumn("designation_key", table: "d"), as: "designation")
                .from(SQLAlias(SQLIdentifier(DesignationRequirement.schema), as: SQLIdentifier("d")))
                .join(SQLAlias(SQLIdentifier(Organisation.schema), as: SQLIdentifier("o")), on: SQLColumn("id", table: "o"), .equal, SQLColumn("organisation_id", table: "d"))
                .where(SQLColumn("path", table: "o"), .like, SQLBind(organisation.path + "%"))
                .where(SQLColumn("designation_key", table: "d"), .in, SQLBind.group(keys)).distinct().all(decoding: Row.self)
            var known = Set(mapped.compactMap(\.designation))
            for key in keys where !known.contains(key) {
                let held = try await sql.select().column(SQLColumn("designation", table: "u"))
                    .fromPeople()
                    .where(SQLColumn("path", table: "o"), .like, SQLBind(organisation.path + "%"))
                    .where(SQLFunction("LOWER", args: SQLColumn("designation", table: "u")), .equal, SQLBind(key)).limit(1).all(decoding: Row.self)
                if !held.isEmpty { known.insert(key) }
            }
            return keys.enumerated().compactMap { index, key in
                known.contains(key) ? nil : FieldError("assignment.designations[\(index)]", "no one in \(organisation.name) holds this designation and it is not mapped there")
            }
        case .users(let ids):
            struct Row: Decodable { var id: UUID }
            var inside = Set<UUID>()
            for start in stride(from: 0, to: ids.count, by: 1_000) {
                let rows = try await sql.select().column(SQLColumn("id", table: "u"))
                    .fromPeople()
                    .where(SQLColumn("path", table: "o"), .like, SQLBind(organisation.path + "%"))
                    .where(SQLColumn("id", table: "u"), .in, SQLBind.group(Array(ids[start..<min(start + 1_000, ids.count)])))
                    .all(decoding: Row.self)
                inside.formUnion(rows.map(\.id))
            }
            return ids.enumerated().compactMap { index, id in
                inside.contains(id) ? nil : FieldError("assignment.userIds[\(index)]", "is not a person in \(organisation.name) or below it")
            }
        }
    }

    private static func replaceCourses(of planID: UUID, with courseIDs: [UUID], on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.delete(from: "plan_courses").where("plan_id", .equal, SQLBind(planID)).run()
        var insert = sql.insert(into: "plan_courses").columns("plan_id", "course_id", "position")
        for (position, id) in courseIDs.enumerated() { insert = insert.values(SQLBind(planID), SQLBind(id), SQLBind(position)) }
        try await insert.run()
    }

    /// Only people named one by one are rows; all staff and designations are resolved when read.
    private static func replacePeople(of plan: Plan, on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.delete(from: "plan_people").where("plan_id", .equal, SQLBind(plan.id!)).run()
        guard case .users(let ids) = plan.assignment.value else { return }
        for start in stride(from: 0, to: ids.count, by: 500) {
            var insert = sql.insert(into: "plan_people").columns("plan_id", "user_id")
            for id in ids[start..<min(start + 500, ids.count)] { insert = insert.values(SQLBind(plan.id!), SQLBind(id)) }
            try await insert.run()
        }
    }

    private static func record(_ changes: [(field: String, before: String?, after: String?)], of planID: UUID, by userID: UUID, comment: String? = nil,
                               on database: any Database) async throws {
        var insert = (database as! any SQLDatabase).insert(into: "plan_changes")
            .columns("id", "plan_id", "changed_by", "field", "before", "after", "comment", "changed_at", "position")
        let now = Date()
        for (position, change) in changes.enumerated() {
            insert = insert.values(SQLBind(UUID()), SQLBind(planID), SQLBind(userID), SQLBind(change.field), SQLBind(change.before), SQLBind(change.after),
                                   SQLBind(comment?.nilIfEmpty), SQLBind(now), SQLBind(position))
        }
        try await insert.run()
    }

    private static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder.api.encode(value), as: UTF8.self)
    }
}

