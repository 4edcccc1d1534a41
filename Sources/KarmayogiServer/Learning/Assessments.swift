import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// One attempt at an assessment: the questions drawn (with their shuffled options), its deadline, and once
/// submitted, the answers and the score.
final class AssessmentAttempt: Model, @unchecked Sendable {
    static let schema = "assessment_attempts"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "enrolment_id") var enrolmentID: UUID
    @Field(key: "course_id") var courseID: UUID
    @Field(key: "item_id") var itemID: UUID
    @Field(key: "version") var version: Int
    @Field(key: "drawn") var drawnSheet: Sheet<DrawnQuestion>
    @Field(key: "started_at") var startedAt: Date
    @Field(key: "deadline") var deadline: Date
    @OptionalField(key: "submitted_at") var submittedAt: Date?
    @OptionalField(key: "answers") var answerSheet: Sheet<GivenAnswer>?
    @OptionalField(key: "result") var result: AttemptResult?
    @OptionalField(key: "percent") var percent: Double?
    @Field(key: "passed") var passed: Bool
    /// Which of the person's attempts at this assessment it is, from 1; unique per person and assessment, so two
    /// starts sent at once cannot both make the same attempt (nor more than the assessment allows).
    @OptionalField(key: "number") var number: Int?

    /// A list kept as one JSON document (PostgreSQL would otherwise store a Swift array as an array of jsonb).
    struct Sheet<Item: Codable & Sendable>: Codable, Sendable {
        var items: [Item]
    }

    var drawn: [DrawnQuestion] {
        get { drawnSheet.items }
        set { drawnSheet = Sheet(items: newValue) }
    }

    var answers: [GivenAnswer]? {
        get { answerSheet?.items }
        set { answerSheet = newValue.map { Sheet(items: $0) } }
    }

    init() {}
}

struct CreateAssessmentAttempts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(AssessmentAttempt.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("enrolment_id", .uuid, .required, .references(Enrolment.schema, "id"))
            .field("course_id", .uuid, .required)
            .field("item_id", .uuid, .required)
            .field("version", .int, .required)
            .field("drawn", .json, .required)
            .field("started_at", .datetime, .required)
            .field("deadline", .datetime, .required)
            .field("submitted_at", .datetime)
            .field("answers", .json)
            .field("result", .json)
            .field("percent", .double)
            .field("passed", .bool, .required)
            .create()
        try await database.index("attempts_learner", on: AssessmentAttempt.schema, columns: ["user_id", "item_id"])
        try await database.index("attempts_enrolment", on: AssessmentAttempt.schema, columns: ["enrolment_id", "passed"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AssessmentAttempt.schema).delete()
    }
}

/// Numbers each person's attempts at an assessment (earlier attempts by when they started) and makes the number unique.
struct NumberAssessmentAttempts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("assessment_attempts").field("number", .int).update()
        try await (database as! any SQLDatabase).raw("""
            UPDATE assessment_attempts SET number = (SELECT COUNT(*) FROM assessment_attempts AS earlier
            WHERE earlier.user_id = assessment_attempts.user_id AND earlier.item_id = assessment_attempts.item_id
            AND (earlier.started_at < assessment_attempts.started_at OR (earlier.started_at = assessment_attempts.started_at AND earlier.id <= assessment_attempts.id)))
            """).run()
        try await (database as! any SQLDatabase).raw("CREATE UNIQUE INDEX attempts_number ON assessment_attempts (user_id, item_id, number)").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX attempts_number").run()
        try await database.schema("assessment_attempts").deleteField("number").update()
    }
}

/// An attempt as the learner sees it: before submission the questions without answers; after, the score, and
/// each question's result with the right answer when the assessment's `showAnswers` rule allows it.
struct AttemptDTO: Content {
    struct Question: Content {
        var id: UUID
        var kind: AssessmentSpec.Kind
        var text: String
        var options: [String]
    }

    var id: UUID
    var assessmentId: UUID
    var courseId: UUID
    var startedAt: Date
    var deadline: Date
    var secondsLeft: Int
    var attemptNumber: Int
    var maxAttempts: Int
    var passPercent: Int
    var questions: [Question]
    var submittedAt: Date?
    var percent: Double?
    var passed: Bool?
    var results: [AttemptResult.PerQuestion]?

    init(_ attempt: AssessmentAttempt, spec: AssessmentSpec, number: Int, now: Date = Date()) {
        let bank = Dictionary(uniqueKeysWithValues: spec.questions.compactMap { question in question.id.map { ($0, question) } })
        id = attempt.id!
        assessmentId = attempt.itemID
        courseId = attempt.courseID
        startedAt = attempt.startedAt
        deadline = attempt.deadline
        secondsLeft = attempt.submittedAt == nil ? max(0, Int(attempt.deadline.timeIntervalSince(now).rounded(.down))) : 0
        attemptNumber = number
        maxAttempts = spec.maxAttempts
        passPercent = spec.passPercent
        questions = attempt.drawn.compactMap { drawn in
            bank[drawn.questionId].map { question in
                Question(id: drawn.questionId, kind: question.kind, text: question.text, options: drawn.order.map { question.shownOptions[$0] })
            }
        }
        submittedAt = attempt.submittedAt
        percent = attempt.percent
        passed = attempt.submittedAt == nil ? nil : attempt.passed
        results = attempt.submittedAt != nil && spec.revealsAnswers(attemptNumber: number, passed: attempt.passed) ? attempt.result?.questions : nil
    }
}

struct SubmitInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case answers }
    var answers: [GivenAnswer]
}

enum Assessments {
    /// A submission a few seconds after the deadline still counts: the answer was on its way.
    static let grace: TimeInterval = 5

    /// The learner's enrolment in the course that holds the assessment, the assessment item and its rules.
    static func locate(_ itemID: UUID, for principal: Principal, app: Application, on database: any Database) async throws
        -> (enrolment: Enrolment, item: CourseContent.Item, spec: AssessmentSpec) {
        let enrolments = try await Enrolment.query(on: database).filter(\.$userID == principal.userID).filter(\.$status != .left).all()
        for enrolment in enrolments {
            let content = try await app.publishedContents.content(of: enrolment.courseID, version: enrolment.version, on: database)
            if let item = content.modules.flatMap(\.items).first(where: { $0.id == itemID && $0.kind == .assessment }), let spec = item.assessment {
                return (enrolment, item, spec)
            }
        }
        throw Problem(.notFound, "No assessment with that id is in a course you are enrolled in.")
    }

    /// Starts an attempt, or answers the one still open. Refused when every allowed attempt is used.
    static func start(_ itemID: UUID, by principal: Principal, app: Application, on database: any Database) async throws -> (AttemptDTO, created: Bool) {
        let (enrolment, _, spec) = try await locate(itemID, for: principal, app: app, on: database)
        let now = Date()
        let previous = try await AssessmentAttempt.query(on: database).filter(\.$userID == principal.userID).filter(\.$itemID == itemID)
            .sort(\.$startedAt).all()
        if let open = previous.last, open.submittedAt == nil, open.deadline.addingTimeInterval(grace) > now {
            return (AttemptDTO(open, spec: spec, number: previous.count, now: now), false)
        }
        if let made = try await makeAttempt(number: previous.count + 1, enrolment: enrolment, itemID: itemID, spec: spec, by: principal, now: now, on: database) {
            return made
        }
        // Another start took this number a moment ago: answer with the attempt it made.
        let winner = try await AssessmentAttempt.query(on: database).filter(\.$userID == principal.userID).filter(\.$itemID == itemID)
            .filter(\.$number == previous.count + 1).first()
        guard let winner else { throw Problem(.conflict, "Another attempt was started at the same moment; try again.") }
        return (AttemptDTO(winner, spec: spec, number: previous.count + 1, now: now), false)
    }

    /// Makes attempt `number`, or answers `nil` when that number is taken already.
    private static func makeAttempt(number: Int, enrolment: Enrolment, itemID: UUID, spec: AssessmentSpec, by principal: Principal, now: Date,
                                    on database: any Database) async throws -> (AttemptDTO, created: Bool)? {
        guard number <= spec.maxAttempts else {
            var problem = Problem(.conflict, "You have used all \(spec.maxAttempts) attempts at this assessment; your best one counts.")
            (problem.messageKey, problem.messageValues) = ("assessment.noneLeft", ["of": String(spec.maxAttempts)])
            throw problem
        }
        var generator = SystemRandomNumberGenerator()
        let attempt = AssessmentAttempt()
        attempt.id = UUID()
        attempt.userID = principal.userID
        attempt.enrolmentID = enrolment.id!
        attempt.courseID = enrolment.courseID
        attempt.itemID = itemID
        attempt.version = enrolment.version
        attempt.drawn = AssessmentRule.draw(spec, using: &generator)
        attempt.startedAt = now
        attempt.deadline = now.addingTimeInterval(TimeInterval(spec.timeLimitSeconds))
        attempt.passed = false
        attempt.number = number
        do {
            try await attempt.create(on: database)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return nil
        }
        return (AttemptDTO(attempt, spec: spec, number: number, now: now), true)
    }

    /// Scores a submission once, within the time limit; a pass completes the assessment item (and the course,
    /// when that was all it lacked) in the same transaction.
    static func submit(_ attemptID: UUID, _ answers: [GivenAnswer], by principal: Principal, app: Application, on database: any Database) async throws -> AttemptDTO {
        guard let attempt = try await AssessmentAttempt.find(attemptID, on: database), attempt.userID == principal.userID else {
            throw Problem.notFound("attempt")
        }
        let content = try await app.publishedContents.content(of: attempt.courseID, version: attempt.version, on: database)
        guard let spec = content.modules.flatMap(\.items).first(where: { $0.id == attempt.itemID })?.assessment else { throw Problem.notFound("attempt") }
        let now = Date()
        if attempt.submittedAt != nil { throw Problem(.conflict, "This attempt was already submitted.") }
        if now > attempt.deadline.addingTimeInterval(grace) {
            throw Problem(.conflict, "The time for this attempt ran out at \(ISO8601DateFormatter().string(from: attempt.deadline)); it can no longer be submitted.")
        }
        let problems = AssessmentRule.problems(answers, drawn: attempt.drawn, spec: spec)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let result = AssessmentRule.score(answers, drawn: attempt.drawn, spec: spec)
        let number = try await number(of: attempt, on: database)
        return try await database.transaction { database in
            // Only the first submission finds the attempt open: a second, concurrent one changes nothing.
            let claimed = try await (database as! any SQLDatabase).update(AssessmentAttempt.schema)
                .set("submitted_at", to: SQLBind(now)).set("percent", to: SQLBind(result.percent)).set("passed", to: SQLBind(result.passed))
                .set("answers", to: SQLBind(AssessmentAttempt.Sheet(items: answers))).set("result", to: SQLBind(result))
                .where("id", .equal, SQLBind(attemptID)).where("submitted_at", .is, SQLLiteral.null)
                .returning("id").all()
            guard !claimed.isEmpty else { throw Problem(.conflict, "This attempt was already submitted.") }
            attempt.submittedAt = now
            attempt.answers = answers
            attempt.result = result
            attempt.percent = result.percent
            attempt.passed = result.passed
            if result.passed {
                let update = ProgressBatchInput.UpdateInput(courseId: attempt.courseID.uuidString, itemId: attempt.itemID.uuidString, status: ItemStatus.completed.rawValue,
                                                           percent: 100, secondsSpent: Int(now.timeIntervalSince(attempt.startedAt)), clientTime: nil,
                                                           key: "attempt:\(attemptID.uuidString)")
                _ = try await LearningProgress.apply(ProgressBatchInput(updates: [update]), for: principal, app: app, on: database, passedAssessment: true)
            }
            return AttemptDTO(attempt, spec: spec, number: number, now: now)
        }
    }

    /// Which of the learner's attempts at this assessment it is, counting from 1.
    static func number(of attempt: AssessmentAttempt, on database: any Database) async throws -> Int {
        if let number = attempt.number { return number }
        return try await AssessmentAttempt.query(on: database).filter(\.$userID == attempt.userID).filter(\.$itemID == attempt.itemID)
            .filter(\.$startedAt <= attempt.startedAt).count()
    }

    /// Whether the learner passed an assessment of the enrolment's course.
    static func passed(_ enrolmentID: UUID, on database: any Database) async throws -> Bool {
        try await (database as! any SQLDatabase).select().column(SQLLiteral.numeric("1")).from(AssessmentAttempt.schema)
            .where("enrolment_id", .equal, SQLBind(enrolmentID)).where("passed", .equal, SQLLiteral.boolean(true)).limit(1).first() != nil
    }

    /// What reports show of each submitted attempt of these people, by person and then attempt.
    struct Line: Sendable {
        var id: UUID, userID: UUID, courseID: UUID, version: Int, startedAt: Date?, submittedAt: Date?, percent: Double?, passed: Bool
    }

    static func submittedLines(of people: [UUID], on sql: any SQLDatabase) async throws -> [Line] {
        guard !people.isEmpty else { return [] }
        let select = sql.select()
            .columns("id", "user_id", "course_id", "version", "started_at", "submitted_at", "percent", "passed")
            .from(AssessmentAttempt.schema).where("user_id", .in, SQLBind.group(people)).where("submitted_at", .isNot, SQLLiteral.null)
            .orderBy("user_id").orderBy("id")
        return try await sql.rows(select.query) { cells in
            Line(id: try cells.id(0), userID: try cells.id(1), courseID: try cells.id(2), version: try cells.int(3) ?? 0,
                 startedAt: try cells.date(4), submittedAt: try cells.date(5), percent: try cells.double(6), passed: try cells.bool(7) ?? false)
        }
    }
}

struct AssessmentController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("assessments", ":id", "attempts", use: Self.start)
        routes.post("attempts", ":id", "submit", use: Self.submit)
    }

    @Sendable static func start(_ request: Request) async throws -> Response {
        let (attempt, created) = try await Assessments.start(try request.id(of: "assessment"), by: try request.principal(), app: request.application, on: request.db)
        return try await attempt.encodeResponse(status: created ? .created : .ok, for: request)
    }

    @Sendable static func submit(_ request: Request) async throws -> AttemptDTO {
        let input = try request.decodeStrict(SubmitInput.self)
        return try await Assessments.submit(try request.id(of: "attempt"), input.answers, by: try request.principal(), app: request.application, on: request.db)
    }
}
