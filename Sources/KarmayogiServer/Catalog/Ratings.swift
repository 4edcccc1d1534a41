import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// One learner's stars and words for one course; they may change them, never add a second.
final class CourseRating: Model, @unchecked Sendable {
    static let schema = "course_ratings"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Parent(key: "course_id") var course: Course
    @Parent(key: "user_id") var user: User
    @Field(key: "stars") var stars: Int
    @Field(key: "text") var text: String
    /// Set when enough learners reported the words as abusive; the stars still count, the words are no longer shown.
    @OptionalField(key: "hidden_at") var hiddenAt: Date?

    init() {}
}

/// A learner's report that a review is abusive. Three reports from different people hide the review's words until
/// its author changes them.
final class RatingReport: Model, @unchecked Sendable {
    static let schema = "course_rating_reports"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "rating_id") var ratingID: UUID
    @Field(key: "user_id") var userID: UUID
    @Field(key: "reason") var reason: String

    init() {}
}

struct CreateRatingReports: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(RatingReport.schema)
            .id()
            .field("created_at", .datetime)
            .field("rating_id", .uuid, .required, .references(CourseRating.schema, "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("reason", .string, .required)
            .unique(on: "rating_id", "user_id")
            .create()
        try await database.schema(CourseRating.schema).field("hidden_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CourseRating.schema).deleteField("hidden_at").update()
        try await database.schema(RatingReport.schema).delete()
    }
}

struct CreateRatings: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CourseRating.schema)
            .id()
            .field("course_id", .uuid, .required, .references(Course.schema, "id"))
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("stars", .int, .required)
            .field("text", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "course_id", "user_id")
            .create()
        try await database.index("course_ratings_course", on: CourseRating.schema, columns: ["course_id", "updated_at"])
        // Kept as ratings arrive, so a course page never counts its ratings.
        try await database.schema("course_rating_summaries")
            .field("course_id", .uuid, .identifier(auto: false), .references(Course.schema, "id"))
            .field("count", .int, .required)
            .field("total_stars", .int, .required)
            .field("stars_1", .int, .required).field("stars_2", .int, .required).field("stars_3", .int, .required)
            .field("stars_4", .int, .required).field("stars_5", .int, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("course_rating_summaries").delete()
        try await database.schema(CourseRating.schema).delete()
    }
}

struct RatingInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case stars, text }
    var stars: Int
    var text: String?
}

struct RatingSummaryDTO: Content, Equatable {
    var average: Double
    var count: Int
    /// How many ratings gave 1, 2, 3, 4 and 5 stars.
    var histogram: [Int]

    static let unrated = RatingSummaryDTO(average: 0, count: 0, histogram: [0, 0, 0, 0, 0])
}

struct RatingDTO: Content {
    var id: UUID
    var courseId: UUID
    var userId: UUID
    var name: String?
    var stars: Int
    var text: String
    var updatedAt: Date?
}

struct RatingsPage: Content {
    var summary: RatingSummaryDTO
    var items: [RatingDTO]
    var nextCursor: NextCursor
}

enum Ratings {
    /// Rates a published course, or changes one's rating; answers whether it was the first.
    static func rate(_ courseID: UUID, _ input: RatingInput, by principal: Principal, on database: any Database) async throws -> (RatingDTO, created: Bool) {
        var errors: [FieldError] = []
        if !(1...5).contains(input.stars) { errors.append(.init("stars", "must be from 1 to 5")) }
        let text = input.text?.trimmed ?? ""
        if text.count > 2000 { errors.append(.init("text", "must be at most 2,000 characters")) }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        let (course, _) = try await Courses.visible(courseID, to: principal, on: database)
        guard course.status == .published else { throw Problem(.conflict, "Only a published course can be rated.") }
        guard try await Enrolments.isEnrolled(principal.userID, in: courseID, on: database) else {
            throw Problem(.forbidden, "Only a learner enrolled in the course may rate it; enrol first.")
        }
        return try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await sql.insert(into: "course_rating_summaries")
                .columns("course_id", "count", "total_stars", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5")
                .values(SQLBind(courseID), SQLBind(0), SQLBind(0), SQLBind(0), SQLBind(0), SQLBind(0), SQLBind(0), SQLBind(0))
                .ignoringConflicts(with: ["course_id"]).run()
            let existing = try await CourseRating.query(on: database).filter(\.$course.$id == courseID).filter(\.$user.$id == principal.userID).first()
            let rating = existing ?? CourseRating()
            let previous = existing?.stars
            rating.$course.id = courseID
            rating.$user.id = principal.userID
            rating.stars = input.stars
            if existing != nil && existing?.text != text {
                // Changed words are shown again, and their reports start over.
                rating.hiddenAt = nil
                try await RatingReport.query(on: database).filter(\.$ratingID == rating.id!).delete()
            }
            rating.text = text
            try await rating.save(on: database)
            // Atomic increments: concurrent ratings of one course all count.
            var update = sql.update("course_rating_summaries")
                .set("total_stars", to: SQLBinaryExpression(SQLColumn("total_stars"), .add, SQLBind(input.stars - (previous ?? 0))))
                .set("stars_\(input.stars)", to: SQLBinaryExpression(SQLColumn("stars_\(input.stars)"), .add, SQLLiteral.numeric("1")))
            if let previous {
                update = update.set("stars_\(previous)", to: SQLBinaryExpression(SQLColumn("stars_\(previous)"), .subtract, SQLLiteral.numeric("1")))
            } else {
                update = update.set("count", to: SQLBinaryExpression(SQLColumn("count"), .add, SQLLiteral.numeric("1")))
            }
            if previous != input.stars || existing == nil {
                try await update.where("course_id", .equal, SQLBind(courseID)).run()
                // The catalogue's rating order follows: its index notices changed courses.
                try await sql.update(Course.schema).set("updated_at", to: SQLBind(Date())).where("id", .equal, SQLBind(courseID)).run()
            }
            if existing == nil { try await Karma.give(.rating, to: principal.userID, in: principal.organisationID, course: courseID, on: database) }
            return (RatingDTO(id: rating.id!, courseId: courseID, userId: principal.userID, name: principal.me.name, stars: rating.stars, text: rating.text,
                              updatedAt: rating.updatedAt), existing == nil)
        }
    }

    /// How many different people's reports hide a review's words.
    static let reportsToHide = 3

    /// A signed-in learner reports a review of a course they can see as abusive, once; not their own.
    static func report(_ ratingID: UUID, of courseID: UUID, reason text: String?, by principal: Principal, on database: any Database) async throws {
        let reason = (text ?? "").trimmed
        guard reason.count <= 500 else { throw Problem.invalid("reason", "must be at most 500 characters") }
        _ = try await Courses.visible(courseID, to: principal, on: database)
        guard let rating = try await CourseRating.find(ratingID, on: database), rating.$course.id == courseID, !rating.text.isEmpty
        else { throw Problem.notFound("review") }
        guard rating.$user.id != principal.userID else { throw Problem(.conflict, "This is your own review; change it instead.") }
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await sql.insert(into: RatingReport.schema).columns("id", "created_at", "rating_id", "user_id", "reason")
                .values(SQLBind(UUID()), SQLBind(Date()), SQLBind(ratingID), SQLBind(principal.userID), SQLBind(reason))
                .ignoringConflicts(with: ["rating_id", "user_id"]).run()
            let reports = try await RatingReport.query(on: database).filter(\.$ratingID == ratingID).count()
            if reports >= reportsToHide {
                try await sql.update(CourseRating.schema).set("hidden_at", to: SQLBind(Date()))
                    .where("id", .equal, SQLBind(ratingID)).where("hidden_at", .is, SQLLiteral.null).run()
            }
        }
    }

    static func summaries(of courseIDs: [UUID], on database: any Database) async throws -> [UUID: RatingSummaryDTO] {
        guard !courseIDs.isEmpty else { return [:] }
        struct Row: Decodable {
            var course_id: UUID
            var count: Int
            var total_stars: Int
            var stars_1: Int, stars_2: Int, stars_3: Int, stars_4: Int, stars_5: Int
        }
        var rows: [Row] = []
        for start in stride(from: 0, to: courseIDs.count, by: 1000) {
            rows += try await (database as! any SQLDatabase).select().column("*").from("course_rating_summaries")
                .where("course_id", .in, SQLBind.group(Array(courseIDs[start..<min(start + 1000, courseIDs.count)]))).all(decoding: Row.self)
        }
        return Dictionary(uniqueKeysWithValues: rows.map { row in
            (row.course_id, RatingSummaryDTO(average: row.count == 0 ? 0 : (Double(row.total_stars) / Double(row.count) * 100).rounded() / 100,
                                             count: row.count, histogram: [row.stars_1, row.stars_2, row.stars_3, row.stars_4, row.stars_5]))
        })
    }

    static func page(_ courseID: UUID, page: PageRequest, for principal: Principal?, on database: any Database) async throws -> RatingsPage {
        _ = try await Courses.visible(courseID, to: principal, on: database)
        let query = CourseRating.query(on: database).filter(\.$course.$id == courseID).with(\.$user)
        if let cursor = page.cursor, let time = Double(cursor.key) {
            let date = Date(timeIntervalSince1970: time)
            query.group(.or) { group in
                group.filter(\.$updatedAt < date)
                group.group(.and) { $0.filter(\.$updatedAt == date).filter(\.$id > cursor.id) }
            }
        }
        let rows = try await query.sort(\.$updatedAt, .descending).sort(\.$id).limit(page.limit + 1).all()
        let (shown, next) = page.slice(rows, key: { String($0.updatedAt?.timeIntervalSince1970 ?? 0) }, id: { $0.id! })
        return RatingsPage(summary: try await summaries(of: [courseID], on: database)[courseID] ?? .unrated,
                           items: shown.map {
                               RatingDTO(id: $0.id!, courseId: courseID, userId: $0.$user.id, name: $0.user.name, stars: $0.stars,
                                         text: $0.hiddenAt == nil ? $0.text : "", updatedAt: $0.updatedAt)
                           },
                           nextCursor: next)
    }
}

struct RatingController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("courses", ":id", "ratings", use: Self.rate)
        routes.get("courses", ":id", "ratings", use: Self.list)
        routes.post("courses", ":id", "ratings", ":rating", "report", use: Self.report)
    }

    @Sendable static func rate(_ request: Request) async throws -> Response {
        let input = try request.decodeStrict(RatingInput.self)
        let (rating, created) = try await Ratings.rate(try request.id(of: "course"), input, by: try request.principal(), on: request.db)
        return try await rating.encodeResponse(status: created ? .created : .ok, for: request)
    }

    struct ReportInput: StrictInput {
        enum Fields: String, CodingKey, CaseIterable { case reason }
        var reason: String?
    }

    @Sendable static func report(_ request: Request) async throws -> HTTPStatus {
        let input = try request.decodeStrict(ReportInput.self)
        try await Ratings.report(try request.id("rating", of: "review"), of: try request.id(of: "course"), reason: input.reason,
                                 by: try request.principal(), on: request.db)
        return .noContent
    }

    @Sendable static func list(_ request: Request) async throws -> RatingsPage {
        try await Ratings.page(try request.id(of: "course"), page: try PageRequest(request, defaultLimit: 20, maximum: 100),
                               for: request.auth.get(Principal.self), on: request.db)
    }
}
