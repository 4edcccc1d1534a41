import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// India's States/UTs and districts: loaded once from the bundled LGD reference file, kept in memory
/// for validation and in two tables for joins.
extension Geography {
    static let reference: Geography = {
        guard let url = Bundle.module.url(forResource: "india-districts", withExtension: "csv", subdirectory: "Resources"),
              let text = try? String(contentsOf: url, encoding: .utf8),
              let geography = try? Geography(districtsCSV: text)
        else { fatalError("the bundled reference file Resources/india-districts.csv is missing or unreadable") }
        return geography
    }()
}

extension Application {
    var geography: Geography { .reference }
}

extension Request {
    var geography: Geography { .reference }
}

struct CreateGeography: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("states")
            .field("code", .int, .identifier(auto: false))
            .field("name", .string, .required)
            .field("is_union_territory", .bool, .required)
            .create()
        try await database.schema("districts")
            .field("code", .int, .identifier(auto: false))
            .field("name", .string, .required)
            .field("state_code", .int, .required, .references("states", "code"))
            .create()
        let sql = database as! any SQLDatabase
        let geography = Geography.reference
        var states = sql.insert(into: "states").columns("code", "name", "is_union_territory")
        for state in geography.states {
            states = states.values(SQLBind(state.code), SQLBind(state.name), SQLBind(state.isUnionTerritory))
        }
        try await states.run()
        var districts = sql.insert(into: "districts").columns("code", "name", "state_code")
        for district in geography.districts {
            districts = districts.values(SQLBind(district.code), SQLBind(district.name), SQLBind(district.stateCode))
        }
        try await districts.run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("districts").delete()
        try await database.schema("states").delete()
    }
}

struct GeographyController: RouteCollection {
    struct StateDTO: Content {
        var code: Int
        var name: String
        var type: String
        var districtCount: Int
    }

    struct DistrictDTO: Content {
        var code: Int
        var name: String
        var stateCode: Int
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("states", use: Self.states)
        routes.get("states", ":code", "districts", use: Self.districts)
    }

    @Sendable static func states(_ request: Request) async throws -> Page<StateDTO> {
        let geography = request.geography
        return Page(items: geography.states.map {
            StateDTO(code: $0.code, name: $0.name, type: $0.isUnionTerritory ? "UT" : "State",
                     districtCount: geography.districts(inState: $0.code).count)
        }, nextCursor: nil)
    }

    @Sendable static func districts(_ request: Request) async throws -> Page<DistrictDTO> {
        guard let code = request.parameters.get("code", as: Int.self), request.geography.state(code: code) != nil else {
            throw Problem(.notFound, "No State/UT has that LGD code; GET /api/v1/states lists them.")
        }
        return Page(items: request.geography.districts(inState: code).map { DistrictDTO(code: $0.code, name: $0.name, stateCode: $0.stateCode) },
                    nextCursor: nil)
    }
}
