import Fluent
import Foundation
import SQLKit

/// People read a page at a time for reports, each part of a walk by an index (a State's, a district's or an
/// organisation's people by name), so a page costs the same at the millionth person as at the first
/// (never a sort of the whole scope per page), and people appear in the order of their names.
/// Which parts make up a scope is the caller's rule (Insights counts people where they are placed, else where
/// their organisation is); the walk only reads.
enum PeopleWalk {
    enum Part: Sendable, Hashable {
        /// Those whose own State is recorded as this one.
        case placedInState(Int)
        /// Those whose own State is recorded and own district is this one.
        case placedInDistrict(Int)
        /// Everyone of one organisation.
        case organisation(UUID)
        /// Those of one organisation whose own State is not recorded.
        case unplacedState(in: UUID)
        /// Those of one organisation whose own State is not recorded, or is `stateCode` with no district of their own.
        case unplacedDistrict(in: UUID, stateCode: Int?)
    }

    struct Person: Sendable {
        var id: UUID
        var name: String
        var email: String
        var phone: String?
        var employeeID: String?
        var designation: String?
        var organisationID: UUID
        var stateCode: Int?
        var districtCode: Int?
        var status: String
        var createdAt: Date?
        var lastLoginAt: Date?
    }

    /// Up to `limit` people of the part after `cursor` (the last person of the page before).
    static func people(_ part: Part, after cursor: Person?, limit: Int, on sql: any SQLDatabase) async throws -> [Person] {
        let select = sql.select()
            .columns(["id", "name", "email", "phone", "employee_id", "designation", "organisation_id", "state_code", "district_code", "status",
                      "created_at", "last_login_at"].map { SQLColumn($0) })
            .from(User.schema)
        switch part {
        case .placedInState(let code): select.where("state_code", .equal, SQLBind(code))
        case .placedInDistrict(let code): select.where("district_code", .equal, SQLBind(code)).where("state_code", .isNot, SQLLiteral.null)
        case .organisation(let id): select.where("organisation_id", .equal, SQLBind(id))
        case .unplacedState(let id): select.where("organisation_id", .equal, SQLBind(id)).where("state_code", .is, SQLLiteral.null)
        case .unplacedDistrict(let id, let stateCode):
            select.where("organisation_id", .equal, SQLBind(id)).where(group: { group in
                group.where("state_code", .is, SQLLiteral.null)
                if let stateCode {
                    group.orWhere(group: { $0.where("district_code", .is, SQLLiteral.null).where("state_code", .equal, SQLBind(stateCode)) })
                }
                return group
            })
        }
        if let cursor {
            select.where(SQLBinaryExpression(SQLGroupExpression([SQLColumn("name"), SQLColumn("id")]), .greaterThan,
                                             SQLGroupExpression([SQLBind(cursor.name), SQLBind(cursor.id)])))
        }
        select.orderBy("name").orderBy("id")
        return try await sql.rows(select.limit(limit).query) { cells in
            Person(id: try cells.id(0), name: try cells.string(1) ?? "", email: try cells.string(2) ?? "", phone: try cells.string(3),
                   employeeID: try cells.string(4), designation: try cells.string(5), organisationID: try cells.id(6),
                   stateCode: try cells.int(7), districtCode: try cells.int(8), status: try cells.string(9) ?? "",
                   createdAt: try cells.date(10), lastLoginAt: try cells.date(11))
        }
    }

    /// Every person of the parts, in pages of `limit`, part after part, each page with what `load` reads for it;
    /// the next page is read while the caller writes this one, so the database and the writing overlap.
    static func walk<Page: Sendable>(_ parts: [Part], limit: Int, on sql: any SQLDatabase,
                                     loading load: @escaping @Sendable ([Person]) async throws -> Page,
                                     _ each: ([Person], Page) async throws -> Void) async throws {
        typealias Read = (part: Int, people: [Person], page: Page)
        @Sendable func read(_ part: Int, after cursor: Person?) -> Task<Read, any Error> {
            Task {
                let found = try await people(parts[part], after: cursor, limit: limit, on: sql)
                return (part, found, try await load(found))
            }
        }
        var reading: Task<Read, any Error>? = parts.isEmpty ? nil : read(0, after: nil)
        while let current = reading {
            let (part, found, page) = try await current.value
            if found.count == limit {
                reading = read(part, after: found.last)
            } else {
                reading = part + 1 < parts.count ? read(part + 1, after: nil) : nil
            }
            do {
                if !found.isEmpty { try await each(found, page) }
            } catch {
                reading?.cancel()
                throw error
            }
        }
    }

    static func walk(_ parts: [Part], limit: Int, on sql: any SQLDatabase, _ each: ([Person]) async throws -> Void) async throws {
        try await walk(parts, limit: limit, on: sql, loading: { _ in () }) { people, _ in try await each(people) }
    }
}

/// A district's people by name, as a State's and an organisation's already are.
struct IndexDistrictPeople: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.index("users_district_name", on: "users", columns: ["district_code", "name"])
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "users_district_name").run()
    }
}
