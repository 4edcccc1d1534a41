import Foundation
import KarmayogiCore
import Vapor

/// `GET /me/gaps`, `GET /me/recommendations`, `GET /users/{id}/gaps` (for those who see the person) and
/// `GET /orgs/{id}/gaps` (for those who watch the organisation's insights or map its competencies).
struct GuidanceController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("me", "gaps", use: Self.mine)
        routes.get("me", "recommendations", use: Self.recommendations)
        routes.get("users", ":id", "gaps", use: Self.person)
        routes.get("orgs", ":id", "gaps", use: Self.organisation)
    }

    @Sendable static func mine(_ request: Request) async throws -> GapsDTO {
        try await Guidance.gapsDTO(of: Guidance.Person(try request.principal()), app: request.application, on: request.db)
    }

    /// `?limit=` (1–50, 10 unless given) and `?lang=`: the language the reasons are written in and the ranking prefers
    /// (the person's own unless given).
    @Sendable static func recommendations(_ request: Request) async throws -> RecommendationsDTO {
        let person = Guidance.Person(try request.principal())
        var errors: [FieldError] = []
        var limit = 10
        if let text = try? request.query.get(String.self, at: "limit") {
            if let number = Int(text), (1...50).contains(number) { limit = number }
            else { errors.append(.init("limit", "must be a whole number from 1 to 50")) }
        }
        var language = person.language
        if let text = try? request.query.get(String.self, at: "lang") {
            if let known = Language.named(text) { language = known.code }
            else { errors.append(.init("lang", "is not a language code the platform knows (en, hi, ta, …)")) }
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        return try await Guidance.recommendations(for: person, language: language, limit: limit, app: request.application, on: request.db)
    }

    @Sendable static func person(_ request: Request) async throws -> GapsDTO {
        let (user, organisation) = try await Users.visible(try request.id(of: "user"), to: try request.principal(), on: request.db)
        return try await Guidance.gapsDTO(of: Guidance.Person(user, in: organisation), app: request.application, on: request.db)
    }

    @Sendable static func organisation(_ request: Request) async throws -> OrganisationGapsDTO {
        let organisation = try await Guidance.watched(try request.id(of: "organisation"), by: try request.principal(), on: request.db)
        return try await Guidance.organisationGaps(of: organisation, app: request.application, on: request.db)
    }
}
