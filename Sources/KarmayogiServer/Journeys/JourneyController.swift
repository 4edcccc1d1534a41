import Fluent
import Foundation
import KarmayogiCore
import Vapor

struct JourneyController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("journeys", use: Self.create)
        routes.get("journeys", use: Self.list)
        routes.get("journeys", ":id", use: Self.read)
        routes.post("journeys", ":id", "members", use: Self.addMembers)
        routes.get("journeys", ":id", "members", use: Self.members)
        routes.post("activities", ":id", "record", use: Self.record)
        routes.post("milestones", ":id", "submit", use: Self.submit)
        routes.post("milestones", ":id", "review", use: Self.review)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let journey = try await Journeys.create(try request.decodeStrict(JourneyInput.self), by: principal, now: request.application.clock.now(), on: request.db)
        let plan = try await Journeys.plan(journey.id!, on: request.db)
        let response = try await Journeys.dto(plan, for: principal, progress: nil, on: request.db).encodeResponse(status: .created, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/journeys/\(journey.id!)")
        return response
    }

    @Sendable static func list(_ request: Request) async throws -> Page<JourneyDTO> {
        let principal = try request.principal()
        let (rows, next) = try await Journeys.list(page: try PageRequest(request), on: request.db)
        var items: [JourneyDTO] = []
        for journey in rows { items.append(try await Journeys.dto(try await Journeys.plan(journey.id!, on: request.db), for: principal, progress: nil, on: request.db)) }
        return Page(items: items, nextCursor: NextCursor(next))
    }

    /// The journey; for a participant, with their progress (and any badge they have earned since they last looked, given now).
    @Sendable static func read(_ request: Request) async throws -> JourneyDTO {
        let principal = try request.principal()
        let plan = try await Journeys.plan(try request.id(of: "journey"), on: request.db)
        var progress: JourneyProgressDTO?
        if try await Journeys.member(principal.userID, of: plan.journey.id!, on: request.db)?.role == .participant {
            let keys = request.application.credentialKeys, now = request.application.clock.now()
            progress = try await request.db.transaction { database in
                try await Journeys.settle(principal.userID, in: plan, keys: keys, now: now, on: database)
                return try await Journeys.progress(of: principal.userID, in: plan, on: database)
            }
        }
        return try await Journeys.dto(plan, for: principal, progress: progress, on: request.db)
    }

    @Sendable static func addMembers(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let id = try request.id(of: "journey")
        _ = try await Journeys.addMembers(to: id, try request.decodeStrict(JourneyMembersInput.self), by: principal, now: request.application.clock.now(), on: request.db)
        return try await Page(items: try await Journeys.members(of: id, by: principal, on: request.db), nextCursor: nil).encodeResponse(status: .created, for: request)
    }

    @Sendable static func members(_ request: Request) async throws -> Page<JourneyMemberDTO> {
        Page(items: try await Journeys.members(of: try request.id(of: "journey"), by: try request.principal(), on: request.db), nextCursor: nil)
    }

    @Sendable static func record(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        return try await Journeys.record(try request.id(of: "activity"), try request.decodeStrict(JourneyRecordInput.self), by: principal,
                                         keys: request.application.credentialKeys, now: request.application.clock.now(), on: request.db)
            .encodeResponse(status: .created, for: request)
    }

    @Sendable static func submit(_ request: Request) async throws -> JourneyProgressDTO {
        try await Journeys.submit(try request.id(of: "milestone"), try request.decodeStrict(MilestoneSubmitInput.self), by: try request.principal(),
                                  now: request.application.clock.now(), on: request.db)
    }

    @Sendable static func review(_ request: Request) async throws -> JourneyProgressDTO {
        try await Journeys.review(try request.id(of: "milestone"), try request.decodeStrict(MilestoneReviewInput.self), by: try request.principal(),
                                  keys: request.application.credentialKeys, now: request.application.clock.now(), on: request.db)
    }
}
