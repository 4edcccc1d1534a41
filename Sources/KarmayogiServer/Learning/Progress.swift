import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct ProgressBatchInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case updates }
    var updates: [UpdateInput]

    /// Loosely typed on purpose: a bad value is answered for its update, not by refusing the batch.
    struct UpdateInput: Decodable {
        var courseId: String?
        var itemId: String?
        var status: Int?
        var percent: Double?
        var secondsSpent: Int?
        var clientTime: String?
        var key: String?
    }
}

struct ProgressAnswer: Content {
    struct Result: Content {
        var index: Int
        var courseId: UUID?
        var itemId: UUID?
        /// applied, duplicate (its key was seen before: nothing counted twice), or rejected (with errors).
        var outcome: String
        var errors: [FieldError]?
    }

    struct CourseState: Content {
        var courseId: UUID
        var percent: Double
        var status: Enrolment.Status
        /// True when this batch completed the course.
        var completedNow: Bool
    }

    var results: [Result]
    var courses: [CourseState]
}

enum LearningProgress {
    static let maximumBatch = 500

    /// Applies a learner's batch of content-state updates in one transaction: each update is checked on its own
    /// (a bad one is rejected, the rest apply), merged by the core rule in SQL (so concurrent batches all count),
    /// and every course whose required items are now complete is completed in the same transaction.
    /// An assessment item completes only by passing an attempt: `passedAssessment` is set by the assessment's own submission.
    /// `grouped`: the writes join the group commit (the API's path), else they run in the caller's (or their own) transaction.
    static func apply(_ input: ProgressBatchInput, for principal: Principal, app: Application, on database: any Database,
                      passedAssessment: Bool = false, grouped: Bool = false) async throws -> ProgressAnswer {
        guard (1...maximumBatch).contains(input.updates.count) else { throw Problem.invalid("updates", "send 1 to \(maximumBatch) updates") }
        var results = input.updates.indices.map { ProgressAnswer.Result(index: $0, outcome: "applied") }
        var valid: [(index: Int, update: ProgressUpdate)] = []
        for (index, raw) in input.updates.enumerated() {
            let field = "updates[\(index)]"
            var errors = ProgressUpdate.problems(status: raw.status, percent: raw.percent, secondsSpent: raw.secondsSpent, key: raw.key, field: field)
            let courseID = raw.courseId.flatMap(UUIDText.parse)
            let itemID = raw.itemId.flatMap(UUIDText.parse)
            if courseID == nil { errors.append(.init("\(field).courseId", "must be the id of a course you are enrolled in")) }
            if itemID == nil { errors.append(.init("\(field).itemId", "must be the id of an item of the course")) }
            var clientTime: Date?
            if let text = raw.clientTime {
                clientTime = try? Date(text, strategy: .iso8601)
                if clientTime == nil { errors.append(.init("\(field).clientTime", "must be an RFC 3339 time")) }
            }
            results[index].courseId = courseID
            results[index].itemId = itemID
            if !errors.isEmpty {
                results[index].outcome = "rejected"
                results[index].errors = errors
                continue
            }
            valid.append((index, ProgressUpdate(courseId: courseID!, itemId: itemID!, status: ItemStatus(rawValue: raw.status!)!, percent: raw.percent ?? 0,
                                                 secondsSpent: raw.secondsSpent ?? 0, clientTime: clientTime, key: raw.key!)))
        }

        // The learner's enrolments in the courses named, and each enrolled version's items.
        let courseIDs = Array(Set(valid.map(\.update.courseId)))
        let enrolments = try await Enrolments.of(principal.userID, in: courseIDs, on: database)
        let byCourse = Dictionary(uniqueKeysWithValues: enrolments.map { ($0.courseID, $0) })
        var contents: [UUID: CourseContent] = [:]
        for enrolment in enrolments where enrolment.status != .left {
            contents[enrolment.courseID] = try await app.publishedContents.content(of: enrolment.courseID, version: enrolment.version, on: database)
        }
        var accepted: [ProgressWrite.Accepted] = []
        for (index, update) in valid {
            let field = "updates[\(index)]"
            guard let enrolment = byCourse[update.courseId], enrolment.status != .left, let content = contents[update.courseId] else {
                results[index].outcome = "rejected"
                results[index].errors = [.init("\(field).courseId", "you are not enrolled in this course")]
                continue
            }
            guard let item = content.modules.flatMap(\.items).first(where: { $0.id == update.itemId }) else {
                results[index].outcome = "rejected"
                results[index].errors = [.init("\(field).itemId", "is not an item of this course (version \(enrolment.version))")]
                continue
            }
            if item.kind == .assessment, update.status == .completed, !passedAssessment {
                results[index].outcome = "rejected"
                results[index].errors = [.init("\(field).status", "an assessment is completed by passing an attempt, not by a progress update")]
                continue
            }
            accepted.append(.init(index: index, update: update, enrolmentID: enrolment.id!))
        }
        if accepted.isEmpty {
            throw Problem.invalid(results.flatMap { $0.errors ?? [] })
        }
        let write = ProgressWrite(userID: principal.userID, learnerName: principal.me.name, place: principal.place, results: results, accepted: accepted,
                                  contents: Dictionary(uniqueKeysWithValues: enrolments.compactMap { enrolment in contents[enrolment.courseID].map { (enrolment.id!, $0) } }))
        if grouped { return try await app.progressCommits.commit(write) }
        return try await write.applied(app: app, on: database)
    }

    /// Upserts the batch's merged deltas; on a row that exists, the merge happens in SQL with the same rule as
    /// `ItemProgress.merge` (the larger status and percentage, the later client time, seconds added), so two
    /// concurrent batches for one item both count.
    static func merge(_ deltas: [UUID: [UUID: ItemProgress]], at now: Date, on sql: any SQLDatabase) async throws {
        let larger = sql.dialect.name == "postgresql" ? "GREATEST" : "MAX"
        func largest(_ column: String) -> any SQLExpression {
            SQLFunction(larger, args: SQLFunction("COALESCE", args: SQLColumn(column, table: "item_progress"), SQLExcludedColumn(column)),
                        SQLFunction("COALESCE", args: SQLExcludedColumn(column), SQLColumn(column, table: "item_progress")))
        }
        // In key order (so concurrent groups on other nodes take the rows' locks in the same order), a thousand rows a statement.
        let rows = deltas.flatMap { enrolmentID, items in items.map { (enrolmentID, $0.key, $0.value) } }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        for start in stride(from: 0, to: rows.count, by: 1000) {
            var insert = sql.insert(into: "item_progress").columns("enrolment_id", "item_id", "status", "percent", "seconds_spent", "client_time", "updated_at")
            for (enrolmentID, itemID, delta) in rows[start..<min(start + 1000, rows.count)] {
                insert = insert.values(SQLBind(enrolmentID), SQLBind(itemID), SQLBind(delta.status.rawValue), SQLBind(delta.percent),
                                       SQLBind(delta.secondsSpent), SQLBind(delta.lastClientTime), SQLBind(now))
            }
            try await insert.onConflict(with: ["enrolment_id", "item_id"]) { update in
                update.set("status", to: largest("status"))
                    .set("percent", to: largest("percent"))
                    .set("client_time", to: largest("client_time"))
                    .set("seconds_spent", to: SQLBinaryExpression(SQLColumn("seconds_spent", table: "item_progress"), .add, SQLExcludedColumn("seconds_spent")))
                    .set("updated_at", to: SQLExcludedColumn("updated_at"))
            }.run()
        }
    }

    /// The merged state of each item of an enrolment that has any.
    static func items(of enrolmentID: UUID, on database: any Database) async throws -> [ItemProgressDTO] {
        struct Row: Decodable { var item_id: UUID; var status: Int; var percent: Double; var seconds_spent: Int }
        return try await (database as! any SQLDatabase).select().columns("item_id", "status", "percent", "seconds_spent")
            .from("item_progress").where("enrolment_id", .equal, SQLBind(enrolmentID)).all(decoding: Row.self)
            .map { ItemProgressDTO(itemId: $0.item_id, status: $0.status, percent: $0.percent, secondsSpent: $0.seconds_spent) }
    }

    static func completed(in enrolmentIDs: [UUID], on sql: any SQLDatabase) async throws -> [UUID: Set<UUID>] {
        guard !enrolmentIDs.isEmpty else { return [:] }
        struct Row: Decodable { var enrolment_id: UUID; var item_id: UUID }
        let rows = try await sql.select().column("enrolment_id").column("item_id").from("item_progress")
            .where("enrolment_id", .in, SQLBind.group(enrolmentIDs)).where("status", .equal, SQLBind(ItemStatus.completed.rawValue))
            .all(decoding: Row.self)
        return Dictionary(grouping: rows, by: \.enrolment_id).mapValues { Set($0.map(\.item_id)) }
    }
}

struct ItemProgressDTO: Content {
    var itemId: UUID
    var status: Int
    var percent: Double
    var secondsSpent: Int
}

struct ProgressController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("progress", use: Self.apply).repeatable()
        routes.get("me", "enrolments", ":id", "progress", use: Self.items)
    }

    @Sendable static func apply(_ request: Request) async throws -> ProgressAnswer {
        let principal = try request.principal()
        return try await LearningProgress.apply(try request.decodeStrict(ProgressBatchInput.self), for: principal, app: request.application, on: request.db,
                                                grouped: true)
    }

    /// Where one is in each item of a course one is enrolled in (the course's id names the enrolment).
    @Sendable static func items(_ request: Request) async throws -> Page<ItemProgressDTO> {
        let principal = try request.principal()
        let courseID = try request.id(of: "enrolment")
        guard let enrolment = try await Enrolment.query(on: request.db).filter(\.$userID == principal.userID).filter(\.$courseID == courseID).first() else {
            throw Problem.notFound("enrolment")
        }
        return Page(items: try await LearningProgress.items(of: enrolment.id!, on: request.db), nextCursor: nil)
    }
}
