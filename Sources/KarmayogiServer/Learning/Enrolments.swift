import Fluent
import Foundation
import KarmayogiCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

struct EnrolmentDTO: Content {
    var id: UUID
    var userId: UUID
    var courseId: UUID
    var version: Int
    var status: Enrolment.Status
    var percent: Double
    var secondsSpent: Int
    var lastItemId: UUID?
    var lastAccessedAt: Date?
    var enrolledAt: Date
    var completedAt: Date?
    var creditedMinutes: Int?
    /// The enrolled version's title and language, for a learner's list.
    var title: String?
    var language: String?

    init(_ enrolment: Enrolment, content: CourseContent? = nil) {
        id = enrolment.id!
        userId = enrolment.userID
        courseId = enrolment.courseID
        version = enrolment.version
        status = enrolment.status
        percent = enrolment.percent
        secondsSpent = enrolment.secondsSpent
        lastItemId = enrolment.lastItemID
        lastAccessedAt = enrolment.lastAccessedAt
        enrolledAt = enrolment.enrolledAt
        completedAt = enrolment.completedAt
        creditedMinutes = enrolment.creditedMinutes
        title = content?.title
        language = content?.language
    }
}

struct EnrolInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case userIds }
    var userIds: [UUID]
}

struct EnrolResult: Content {
    var userId: UUID
    var outcome: String
    var enrolment: EnrolmentDTO?
    var reason: String?
}

/// Published versions never change, so their content is kept in memory once read: progress for a course
/// checks its items without reading the course again.
final class PublishedContents: Sendable {
    private let cache = NIOLockedValueBox([String: CourseContent]())

    func content(of courseID: UUID, version: Int, on database: any Database) async throws -> CourseContent {
        let key = "\(courseID.uuidString)/\(version)"
        if let content = cache.withLockedValue({ $0[key] }) { return content }
        guard let stored = try await Courses.version(version, of: courseID, on: database) else { throw Problem.notFound("course") }
        cache.withLockedValue { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[key] = stored.content
        }
        return stored.content
    }
}

extension Application {
    private struct PublishedContentsKey: StorageKey { typealias Value = PublishedContents }

    var publishedContents: PublishedContents {
        get { storage[PublishedContentsKey.self]! }
        set { storage[PublishedContentsKey.self] = newValue }
    }
}

enum Enrolments {
    /// Enrols a person in a published course. Enrolling again changes nothing; enrolling after leaving resumes
    /// where one left. The first enrolment of a life earns its karma in the same transaction.
    /// `version`: the course's published version when the caller knows it (a self-enrolment reads it from the catalogue).
    static func enrol(_ courseID: UUID, user: UUID, organisation: UUID, by principal: Principal, clock: PlatformClock = .system,
                      known: KnownActiveDays? = nil, version: Int? = nil, on database: any Database) async throws -> EnrolWrite.Answer {
        let write = try await write(courseID, user: user, organisation: organisation, by: principal, version: version, on: database)
        return try await database.transaction { database in try await EnrolWrite.apply([write], at: clock.now(), known: known, on: database)[0] }
    }

    /// A person's enrolment in a course's published version, checked, ready for its transaction.
    static func write(_ courseID: UUID, user: UUID, organisation: UUID, by principal: Principal, version: Int? = nil, on database: any Database) async throws -> EnrolWrite {
        var version = version
        if version == nil { version = try await Courses.publishedVersion(of: courseID, on: database) }
        guard let version else { throw Problem.notFound("course") }
        // Where the learner counts: the signed-in person's own place when they enrol themselves.
        let place = user == principal.userID ? principal.place : try await Rollups.place(of: user, on: database)
        return EnrolWrite(userID: user, courseID: courseID, organisationID: organisation, version: version, by: principal.userID, place: place)
    }

    /// Each (person, course) pair's enrolment, those that exist.
    static func of(pairs: [(user: UUID, course: UUID)], on database: any Database) async throws -> [Enrolment] {
        guard !pairs.isEmpty else { return [] }
        let wanted = Set(pairs.map { [$0.user, $0.course] })
        return try await read(on: database) {
            $0.where("user_id", .in, SQLBind.group(Array(Set(pairs.map(\.user))))).where("course_id", .in, SQLBind.group(Array(Set(pairs.map(\.course)))))
        }.filter { wanted.contains([$0.userID, $0.courseID]) }
    }

    /// An enrolment as a campaign's recount reads it: who, which course and version, and whether it began or completed
    /// in the instants asked about.
    struct Moment: Sendable {
        var userID: UUID
        var courseID: UUID
        var version: Int
        var enrolled: Bool
        var completed: Bool
    }

    /// The enrolments made or completed in [from, to), each once.
    static func moments(from: Date, to: Date, on sql: any SQLDatabase) async throws -> [Moment] {
        var moments: [String: Moment] = [:]
        for column in ["enrolled_at", "completed_at"] {
            let query = sql.select().columns("user_id", "course_id", "version", "enrolled_at", "completed_at").from(Enrolment.schema)
                .where(SQLIdentifier(column), .greaterThanOrEqual, SQLBind(from)).where(SQLIdentifier(column), .lessThan, SQLBind(to)).query
            for moment in try await sql.rows(query, { cells -> Moment in
                let enrolled = try cells.date(3), completed = try cells.date(4)
                return Moment(userID: try cells.id(0), courseID: try cells.id(1), version: try cells.int(2) ?? 1,
                              enrolled: enrolled.map { $0 >= from && $0 < to } ?? false, completed: completed.map { $0 >= from && $0 < to } ?? false)
            }) {
                moments["\(moment.userID)/\(moment.courseID)"] = moment
            }
        }
        return Array(moments.values)
    }

    /// The enrolled version of each (person, course), for those enrolled.
    static func versions(of pairs: [(user: UUID, course: UUID)], on sql: any SQLDatabase) async throws -> [String: Int] {
        var versions: [String: Int] = [:]
        let users = Array(Set(pairs.map(\.user)))
        for start in stride(from: 0, to: users.count, by: 1_000) {
            let query = sql.select().columns("user_id", "course_id", "version").from(Enrolment.schema)
                .where("user_id", .in, SQLBind.group(Array(users[start..<min(start + 1_000, users.count)]))).query
            for (key, version) in try await sql.rows(query, { cells in ("\(try cells.id(0))/\(try cells.id(1))", try cells.int(2) ?? 1) }) {
                versions[key] = version
            }
        }
        return versions
    }

    static func leave(_ courseID: UUID, by principal: Principal, on database: any Database) async throws -> Enrolment {
        guard let enrolment = try await Enrolment.query(on: database).filter(\.$userID == principal.userID).filter(\.$courseID == courseID).first(),
              enrolment.status != .left
        else { throw Problem.notFound("enrolment") }
        guard enrolment.status == .active else { throw Problem(.conflict, "A completed course stays completed; it cannot be left.") }
        enrolment.status = .left
        try await enrolment.save(on: database)
        return enrolment
    }

    /// The status and last change of each (person, course) enrolment of these people, keyed "user/course".
    static func states(of users: [UUID], on sql: any SQLDatabase) async throws -> [String: (status: Enrolment.Status, updatedAt: Date?)] {
        var states: [String: (status: Enrolment.Status, updatedAt: Date?)] = [:]
        let users = Array(Set(users))
        for start in stride(from: 0, to: users.count, by: 1_000) {
            let query = sql.select().columns("user_id", "course_id", "status", "updated_at").from(Enrolment.schema)
                .where("user_id", .in, SQLBind.group(Array(users[start..<min(start + 1_000, users.count)]))).query
            for (key, state) in try await sql.rows(query, { cells in
                ("\(try cells.id(0))/\(try cells.id(1))", (Enrolment.Status(rawValue: try cells.string(2) ?? "") ?? .active, try cells.date(3)))
            }) { states[key] = state }
        }
        return states
    }

    /// Leaves a person's enrolments in these courses that are under way (a programme's batch they left); completed
    /// ones stay, and the progress of those left is kept for a return.
    static func leave(_ courseIDs: [UUID], of userID: UUID, on database: any Database) async throws {
        guard !courseIDs.isEmpty else { return }
        try await (database as! any SQLDatabase).update(Enrolment.schema).set("status", to: SQLBind(Enrolment.Status.left.rawValue))
            .where("user_id", .equal, SQLBind(userID)).where("course_id", .in, SQLBind.group(courseIDs))
            .where("status", .equal, SQLBind(Enrolment.Status.active.rawValue)).run()
    }

    /// A learner's enrolments in some courses, read with SQLKit: the progress hot path reads them on every batch,
    /// and Fluent's model decoding costs more than the query.
    static func of(_ userID: UUID, in courseIDs: [UUID], on database: any Database) async throws -> [Enrolment] {
        guard !courseIDs.isEmpty else { return [] }
        return try await read(on: database) { $0.where("user_id", .equal, SQLBind(userID)).where("course_id", .in, SQLBind.group(courseIDs)) }
    }

    /// Enrolments by id (those that exist).
    static func with(ids: [UUID], on database: any Database) async throws -> [Enrolment] {
        guard !ids.isEmpty else { return [] }
        return try await read(on: database) { $0.where("id", .in, SQLBind.group(ids)) }
    }

    /// What reports show of each enrolment of these people, by person and then enrolment.
    struct Line: Sendable {
        var id: UUID, userID: UUID, courseID: UUID, version: Int, status: String, percent: Double, secondsSpent: Int
        var enrolledAt: Date?, lastAccessedAt: Date?, completedAt: Date?
    }

    /// For an institute's accreditation: completions of its courses, and how many of its own people completed a course.
    static func figures(ofCourses courseIDs: [UUID], staffOf organisationID: UUID, on sql: any SQLDatabase) async throws -> (completions: Int, staffTrained: Int) {
        struct Count: Decodable { var n: Int }
        var completions = 0
        if !courseIDs.isEmpty {
            completions = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(Enrolment.schema)
                .where("course_id", .in, SQLBind.group(courseIDs)).where("status", .equal, SQLBind(Enrolment.Status.completed.rawValue))
                .first(decoding: Count.self)?.n ?? 0
        }
        let staff = try await sql.select().column(SQLFunction("COUNT", args: SQLDistinct("user_id")), as: "n").from(Enrolment.schema)
            .where("organisation_id", .equal, SQLBind(organisationID)).where("status", .equal, SQLBind(Enrolment.Status.completed.rawValue))
            .first(decoding: Count.self)?.n ?? 0
        return (completions, staff)
    }

    /// How many people have enrolled in any of these courses (the learners a provider reached).
    static func learners(ofCourses courseIDs: [UUID], on sql: any SQLDatabase) async throws -> Int {
        guard !courseIDs.isEmpty else { return 0 }
        struct Count: Decodable { var n: Int }
        return try await sql.select().column(SQLFunction("COUNT", args: SQLDistinct("user_id")), as: "n").from(Enrolment.schema)
            .where("course_id", .in, SQLBind.group(courseIDs)).first(decoding: Count.self)?.n ?? 0
    }

    static func lines(of people: [UUID], on sql: any SQLDatabase) async throws -> [Line] {
        guard !people.isEmpty else { return [] }
        let select = sql.select()
            .columns("id", "user_id", "course_id", "version", "status", "percent", "seconds_spent", "enrolled_at", "last_accessed_at", "completed_at")
            .from(Enrolment.schema).where("user_id", .in, SQLBind.group(people)).orderBy("user_id").orderBy("id")
        return try await sql.rows(select.query) { cells in
            Line(id: try cells.id(0), userID: try cells.id(1), courseID: try cells.id(2), version: try cells.int(3) ?? 0,
                 status: try cells.string(4) ?? "", percent: try cells.double(5) ?? 0, secondsSpent: try cells.int(6) ?? 0,
                 enrolledAt: try cells.date(7), lastAccessedAt: try cells.date(8), completedAt: try cells.date(9))
        }
    }

    /// Read with SQLKit into models without Fluent's decoding: this is on the progress hot path.
    private static func read(on database: any Database, where filter: (SQLSelectBuilder) -> SQLSelectBuilder) async throws -> [Enrolment] {
        let sql = database as! any SQLDatabase
        let select = sql.select()
            .columns("id", "user_id", "course_id", "organisation_id", "version", "status", "percent", "seconds_spent", "enrolled_at", "enrolled_by", "completed_at",
                     "last_item_id", "last_accessed_at", "credited_minutes")
            .from(Enrolment.schema)
        // Read by position (the hot path reads these for every group of progress updates; Codable's row decoder was a
        // tenth of a batch's CPU).
        return try await sql.rows(filter(select).query) { cells -> Enrolment? in
            guard let status = try cells.string(5).flatMap(Enrolment.Status.init(rawValue:)) else { return nil }
            let enrolment = Enrolment()
            enrolment.id = try cells.id(0)
            enrolment.userID = try cells.id(1)
            enrolment.courseID = try cells.id(2)
            enrolment.organisationID = try cells.id(3)
            enrolment.version = try cells.int(4) ?? 0
            enrolment.status = status
            enrolment.percent = try cells.double(6) ?? 0
            enrolment.secondsSpent = try cells.int(7) ?? 0
            guard let enrolledAt = try cells.date(8) else { throw Cells.CellError(column: "enrolled_at", expected: "an instant (it is empty)") }
            enrolment.enrolledAt = enrolledAt
            enrolment.enrolledBy = try cells.id(9)
            enrolment.completedAt = try cells.date(10)
            enrolment.lastItemID = try cells.uuid(11)
            enrolment.lastAccessedAt = try cells.date(12)
            enrolment.creditedMinutes = try cells.int(13)
            return enrolment
        }.compactMap { $0 }
    }

    /// A newly published version of a course: learners still on their way move to it (items keep their ids, so their
    /// progress goes with them); those who completed stay completed.
    static func move(course courseID: UUID, to version: Int, on database: any Database) async throws {
        try await (database as! any SQLDatabase).update(Enrolment.schema).set("version", to: SQLBind(version))
            .where("course_id", .equal, SQLBind(courseID)).where("status", .notEqual, SQLBind(Enrolment.Status.completed.rawValue)).run()
    }

    /// Where a learner is in an enrolment after a group of progress updates.
    struct ProgressChange: Sendable {
        var id: UUID
        var percent: Double
        var addedSeconds: Int
        var lastItemID: UUID
    }

    /// Records a group's progress on its enrolments: one statement for up to 500 of them (`UPDATE … FROM (VALUES …)`,
    /// which both databases read the same way).
    static func recordProgress(_ changes: [ProgressChange], at now: Date, on sql: any SQLDatabase) async throws {
        for start in stride(from: 0, to: changes.count, by: 500) {
            let rows = changes[start..<min(start + 500, changes.count)]
                .map { change -> SQLQueryString in "(\(bind: change.id), \(bind: change.percent), \(bind: change.addedSeconds), \(bind: change.lastItemID))" }
            let query: SQLQueryString = """
                UPDATE \(ident: Enrolment.schema) SET \(ident: "percent") = \(ident: "v").\(ident: "column2"),
                \(ident: "seconds_spent") = \(ident: Enrolment.schema).\(ident: "seconds_spent") + \(ident: "v").\(ident: "column3"),
                \(ident: "last_item_id") = \(ident: "v").\(ident: "column4"), \(ident: "last_accessed_at") = \(bind: now), \(ident: "updated_at") = \(bind: now)
                FROM (VALUES \(rows.joined(separator: ", "))) AS \(ident: "v") WHERE \(ident: Enrolment.schema).\(ident: "id") = \(ident: "v").\(ident: "column1")
                """
            try await sql.raw(query).run()
        }
    }

    /// Whether the person is (or was, to completion) enrolled in the course.
    /// The courses a learner completed.
    static func completedCourseIDs(of userID: UUID, on database: any Database) async throws -> Set<UUID> {
        Set(try await Enrolment.query(on: database).filter(\.$userID == userID).filter(\.$status == .completed).all(\.$courseID))
    }

    /// How many of `people` completed each course (asked a thousand people at a time).
    static func completions(by people: [UUID], on database: any Database) async throws -> [UUID: Int] {
        struct Row: Decodable { var course_id: UUID; var people: Int }
        var counts: [UUID: Int] = [:]
        for start in stride(from: 0, to: people.count, by: 1000) {
            let group = Array(people[start..<min(start + 1000, people.count)])
            let rows = try await (database as! any SQLDatabase).select().column("course_id")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "people").from(Enrolment.schema)
                .where("user_id", .in, SQLBind.group(group)).where("status", .equal, SQLBind(Enrolment.Status.completed.rawValue))
                .groupBy("course_id").all(decoding: Row.self)
            for row in rows { counts[row.course_id, default: 0] += row.people }
        }
        return counts
    }

    /// A learner's courses under way, most recently touched first.
    static func underWay(of userID: UUID, limit: Int, on database: any Database) async throws -> [Enrolment] {
        try await Enrolment.query(on: database).filter(\.$userID == userID).filter(\.$status == .active)
            .sort(\.$updatedAt, .descending).limit(limit).all()
    }

    /// Every course a learner ever enrolled in (left or not).
    /// A person's enrolments, the latest first (for their admin's page about them).
    static func all(of userID: UUID, limit: Int, on database: any Database) async throws -> [Enrolment] {
        try await Enrolment.query(on: database).filter(\.$userID == userID).sort(\.$enrolledAt, .descending).limit(limit).all()
    }

    static func courseIDs(of userID: UUID, on database: any Database) async throws -> Set<UUID> {
        Set(try await Enrolment.query(on: database).filter(\.$userID == userID).all().map(\.courseID))
    }

    /// A course's learners (enrolled or completed, not those who left) in id order after `after`, a page at a time.
    static func learners(of courseID: UUID, after: UUID?, limit: Int, on database: any Database) async throws -> [(userID: UUID, status: Enrolment.Status)] {
        let query = Enrolment.query(on: database).filter(\.$courseID == courseID).filter(\.$status != .left)
        if let after { query.filter(\.$userID > after) }
        return try await query.sort(\.$userID).limit(limit).all().map { ($0.userID, $0.status) }
    }

    static func isEnrolled(_ userID: UUID, in courseID: UUID, on database: any Database) async throws -> Bool {
        try await Enrolment.query(on: database).filter(\.$userID == userID).filter(\.$courseID == courseID)
            .filter(\.$status != .left).count() > 0
    }
}

struct EnrolmentController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("courses", ":id", "enrol", use: Self.enrol).repeatable()
        routes.delete("courses", ":id", "enrol", use: Self.leave)
        routes.get("me", "enrolments", use: Self.mine)
    }

    /// Without a body: enrol oneself. With `{"userIds": [...]}`: an admin enrols people within their reach, each answered.
    @Sendable static func enrol(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let courseID = try request.id(of: "course")
        guard let input = try request.decodeStrictIfPresent(EnrolInput.self) else {
            // Oneself, in a published course: the catalogue knows which (one freshness check instead of reading the course).
            guard let version = try await request.application.catalogueSearch.publishedVersion(of: courseID, on: request.db) else {
                throw Problem.notFound("course")
            }
            // Grouped with the self-enrolments that arrive at the same time.
            let answer = try await request.application.enrolCommits.commit(try await Enrolments.write(courseID, user: principal.userID, organisation: principal.organisationID,
                                                                                                      by: principal, version: version, on: request.db))
            return try await answer.enrolment.encodeResponse(status: answer.created ? .created : .ok, for: request)
        }
        guard !principal.access.reach(of: .enrolUsers).isEmpty else { throw Problem(.forbidden, "Enrolling other people is for MDO, CBP and State admins.") }
        guard (1...1000).contains(input.userIds.count) else { throw Problem.invalid("userIds", "give 1 to 1,000 people") }
        _ = try await Courses.visible(courseID, to: principal, on: request.db)
        var results: [EnrolResult] = []
        for userID in input.userIds {
            guard let (user, organisation) = try? await Users.visible(userID, to: principal, on: request.db),
                  principal.access.allows(.enrolUsers, on: Users.placement(of: user, in: organisation))
            else {
                results.append(EnrolResult(userId: userID, outcome: "rejected", reason: "no person with that id is within your reach"))
                continue
            }
            let answer = try await Enrolments.enrol(courseID, user: userID, organisation: organisation.id!, by: principal, clock: request.application.clock, on: request.db)
            results.append(EnrolResult(userId: userID, outcome: answer.created ? "enrolled" : "already enrolled", enrolment: answer.enrolment))
        }
        return try await Page(items: results, nextCursor: nil).encodeResponse(for: request)
    }

    @Sendable static func leave(_ request: Request) async throws -> EnrolmentDTO {
        EnrolmentDTO(try await Enrolments.leave(try request.id(of: "course"), by: try request.principal(), on: request.db))
    }

    /// One's enrolments, most recently used first, with progress and the enrolled version's title. `status=` filters.
    @Sendable static func mine(_ request: Request) async throws -> Page<EnrolmentDTO> {
        let principal = try request.principal()
        let query = Enrolment.query(on: request.db).filter(\.$userID == principal.userID)
        if let status = request.query[String.self, at: "status"] {
            guard let wanted = Enrolment.Status(rawValue: status) else { throw Problem.invalid("status", "must be active, left or completed") }
            query.filter(\.$status == wanted)
        } else {
            query.filter(\.$status != .left)
        }
        let page = try PageRequest(request, defaultLimit: 50, maximum: 200)
        var offset = 0
        if let cursor = page.cursor {
            guard let value = Int(cursor.key), value >= 0 else { throw Problem.invalid("cursor", "is not a cursor this list handed out") }
            offset = value
        }
        let rows = try await query.sort(\.$updatedAt, .descending).sort(\.$id).range(offset..<(offset + page.limit + 1)).all()
        var items: [EnrolmentDTO] = []
        for enrolment in rows.prefix(page.limit) {
            let content = try await request.application.publishedContents.content(of: enrolment.courseID, version: enrolment.version, on: request.db)
            items.append(EnrolmentDTO(enrolment, content: content))
        }
        let next = rows.count > page.limit ? Cursor(key: String(offset + page.limit), id: rows[page.limit - 1].id!).encoded : nil
        return Page(items: items, nextCursor: NextCursor(next))
    }
}
