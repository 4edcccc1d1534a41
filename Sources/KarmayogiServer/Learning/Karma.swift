import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// The karma ledger: points are given with their reason, once-only reasons at most once, and every total
/// and leaderboard is a sum over the ledger.
enum Karma {
    /// A month's points of the people in an organisation and its subtree, the top 100, densely ranked.
    static func leaderboard(of organisation: Organisation, month: String, on database: any Database) async throws -> [LeaderboardDTO.Row] {
        struct Row: Decodable { var user_id: UUID; var name: String; var points: Int }
        let rows = try await (database as! any SQLDatabase).select()
            .column(SQLColumn("user_id", table: "k")).column(SQLColumn("name", table: "u"))
            // PostgreSQL sums integers as NUMERIC; the cast keeps the total an integer on both databases.
            .column(SQLQueryString("CAST(SUM(\(ident: "k").\(ident: "points")) AS BIGINT)"), as: "points")
            .from(SQLAlias(SQLIdentifier(KarmaEntry.schema), as: SQLIdentifier("k")))
            .join(SQLAlias(SQLIdentifier(User.schema), as: SQLIdentifier("u")), on: SQLColumn("id", table: "u"), .equal, SQLColumn("user_id", table: "k"))
            .join(SQLAlias(SQLIdentifier(Organisation.schema), as: SQLIdentifier("o")), on: SQLColumn("id", table: "o"), .equal, SQLColumn("organisation_id", table: "k"))
            .where(SQLColumn("path", table: "o"), .like, SQLBind(organisation.path + "%"))
            .where(SQLColumn("month", table: "k"), .equal, SQLBind(month))
            .groupBy(SQLColumn("user_id", table: "k")).groupBy(SQLColumn("name", table: "u"))
            .orderBy(SQLOrderBy(expression: SQLIdentifier("points"), direction: SQLDirection.descending))
            .orderBy(SQLOrderBy(expression: SQLColumn("name", table: "u"), direction: SQLDirection.ascending))
            .limit(100)
            .all(decoding: Row.self)
        let ranks = KarmaRule.denseRanks(rows.map(\.points))
        return zip(rows, ranks).map { .init(rank: $1, userId: $0.user_id, name: $0.name, points: $0.points) }
    }

    /// A person's points this month and their dense rank among the people of their own organisation (its subtree),
    /// counted by the database: the organisation's totals never leave it.
    static func standing(of userID: UUID, in organisationPath: String, month: String, on database: any Database) async throws -> (points: Int, rank: Int, people: Int) {
        let sql = database as! any SQLDatabase
        struct Mine: Decodable { var points: Int? }
        let mine = try await sql.raw("""
            SELECT CAST(SUM(points) AS BIGINT) AS points FROM \(ident: KarmaEntry.schema) WHERE user_id = \(bind: userID) AND month = \(bind: month)
            """).first(decoding: Mine.self)?.points ?? 0
        struct Counts: Decodable { var people: Int; var above: Int }
        let counts = try await sql.raw("""
            SELECT COUNT(*) AS people, COUNT(DISTINCT CASE WHEN t.points > \(bind: mine) THEN t.points END) AS above FROM (
              SELECT k.user_id, SUM(k.points) AS points FROM \(ident: KarmaEntry.schema) k
              JOIN \(ident: Organisation.schema) o ON o.id = k.organisation_id
              WHERE o.path LIKE \(bind: organisationPath + "%") AND k.month = \(bind: month) GROUP BY k.user_id) t
            """).first(decoding: Counts.self)
        return (mine, (counts?.above ?? 0) + 1, counts?.people ?? 0)
    }

    static let onceOnly: Set<KarmaReason> = [.firstLogin, .firstEnrolment]

    static func month(of date: Date) -> String {
        let parts = Calendar.utc.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year!, parts.month!)
    }

    /// Gives the points for `reason`; a once-only reason already given gives nothing (the database's unique
    /// key decides, so two concurrent first sign-ins still give once). Answers whether points were given.
    @discardableResult
    static func give(_ reason: KarmaReason, points: Int? = nil, to userID: UUID, in organisationID: UUID, course: UUID? = nil, at date: Date = Date(),
                     on database: any Database) async throws -> Bool {
        try await give([Gift(reason: reason, points: points, userID: userID, organisationID: organisationID, course: course)], at: date, on: database) == 1
    }

    struct Gift: Sendable {
        var reason: KarmaReason
        /// The reason's own points unless given.
        var points: Int? = nil
        var userID: UUID
        var organisationID: UUID
        var course: UUID?
    }

    /// Gives each its points, a statement per 500, and answers how many were given (a once-only reason a person earned
    /// before is not given again).
    @discardableResult
    static func give(_ gifts: [Gift], at date: Date, on database: any Database) async throws -> Int {
        var given = 0
        for start in stride(from: 0, to: gifts.count, by: 500) {
            var insert = (database as! any SQLDatabase).insert(into: KarmaEntry.schema)
                .columns("id", "user_id", "organisation_id", "reason", "points", "course_id", "month", "given_at", "once_key")
            for gift in gifts[start..<min(start + 500, gifts.count)] {
                insert = insert.values(SQLBind(UUID()), SQLBind(gift.userID), SQLBind(gift.organisationID), SQLBind(gift.reason.rawValue),
                                       SQLBind(gift.points ?? gift.reason.points), SQLBind(gift.course), SQLBind(month(of: date)), SQLBind(date),
                                       SQLBind(onceOnly.contains(gift.reason) ? gift.reason.rawValue : nil))
            }
            given += try await insert.ignoringConflicts(with: ["user_id", "once_key"]).returning("id").all().count
        }
        return given
    }

    /// How many completions outside a plan earned points for the learner in `date`'s month.
    static func unplannedCompletions(of userID: UUID, in date: Date, on database: any Database) async throws -> Int {
        struct Row: Decodable { var count: Int }
        return try await (database as! any SQLDatabase).select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count").from(KarmaEntry.schema)
            .where("user_id", .equal, SQLBind(userID)).where("reason", .equal, SQLBind(KarmaReason.completion.rawValue))
            .where("month", .equal, SQLBind(month(of: date))).first(decoding: Row.self)?.count ?? 0
    }
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

struct KarmaDTO: Content {
    struct Entry: Content {
        var reason: KarmaReason
        var points: Int
        var courseId: UUID?
        var givenAt: Date
    }

    var total: Int
    var thisMonth: Int
    var items: [Entry]
}

struct LeaderboardDTO: Content {
    struct Row: Content {
        var rank: Int
        var userId: UUID
        var name: String
        var points: Int
    }

    var organisationId: UUID
    var month: String
    var items: [Row]
}

struct KarmaController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("me", "karma", use: Self.mine)
        routes.get("orgs", ":id", "leaderboard", use: Self.leaderboard)
    }

    @Sendable static func mine(_ request: Request) async throws -> KarmaDTO {
        let principal = try request.principal()
        let entries = try await KarmaEntry.query(on: request.db).filter(\.$userID == principal.userID).sort(\.$givenAt, .descending).all()
        let month = Karma.month(of: Date())
        return KarmaDTO(total: entries.map(\.points).reduce(0, +), thisMonth: entries.filter { $0.month == month }.map(\.points).reduce(0, +),
                        items: entries.prefix(100).map { .init(reason: $0.reason, points: $0.points, courseId: $0.courseID, givenAt: $0.givenAt) })
    }

    /// The month's points of the people in an organisation and its subtree, densely ranked. Its own people may
    /// look, and those whose roles reach it.
    @Sendable static func leaderboard(_ request: Request) async throws -> LeaderboardDTO {
        let principal = try request.principal()
        let organisationID = try request.id(of: "organisation")
        guard let organisation = try await Organisation.find(organisationID, on: request.db),
              principal.organisationPath.hasPrefix(organisation.path) || principal.access.allows(.viewUsers, on: organisation.placement)
        else { throw Problem.notFound("organisation") }
        let month = request.query[String.self, at: "month"] ?? Karma.month(of: Date())
        guard month.wholeMatch(of: /\d{4}-(0[1-9]|1[0-2])/) != nil else { throw Problem.invalid("month", "must be a month as YYYY-MM") }
        return LeaderboardDTO(organisationId: organisationID, month: month, items: try await Karma.leaderboard(of: organisation, month: month, on: request.db))
    }
}
