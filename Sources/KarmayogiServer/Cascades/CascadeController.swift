import Fluent
import Foundation
import KarmayogiCore
import Vapor

struct CascadeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("cascades", use: Self.create)
        routes.get("cascades", use: Self.list)
        routes.get("cascades", ":id", use: Self.read)
        routes.post("cascades", ":id", "leads", use: Self.certifyLeads)
        routes.post("cascades", ":id", "batches", use: Self.openBatch)
        routes.get("cascades", ":id", "batches", use: Self.batches)
        routes.get("cascades", ":id", "reach", use: Self.reach)
        routes.get("cascades", ":id", "people", ":userId", use: Self.chain)
        routes.post("cascade-batches", ":id", "attendance", use: Self.attendance)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let cascade = try await Cascades.create(try request.decodeStrict(CascadeInput.self), by: principal, now: request.application.clock.now(), on: request.db)
        let response = try await Cascades.dtos([cascade], for: principal, on: request.db)[0].encodeResponse(status: .created, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/cascades/\(cascade.id!)")
        return response
    }

    @Sendable static func list(_ request: Request) async throws -> Page<CascadeDTO> {
        let principal = try request.principal()
        let (rows, next) = try await Cascades.list(page: try PageRequest(request), on: request.db)
        return Page(items: try await Cascades.dtos(rows, for: principal, on: request.db), nextCursor: NextCursor(next))
    }

    @Sendable static func read(_ request: Request) async throws -> CascadeDTO {
        let principal = try request.principal()
        return try await Cascades.dtos([try await Cascades.find(try request.id(of: "cascade"), on: request.db)], for: principal, on: request.db)[0]
    }

    @Sendable static func certifyLeads(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let input = try request.decodeStrict(CascadePeopleInput.self)
        return try await Cascades.certifyLeads(of: try request.id(of: "cascade"), input, by: principal, now: request.application.clock.now(), on: request.db)
            .encodeResponse(status: .created, for: request)
    }

    @Sendable static func openBatch(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let batch = try await Cascades.openBatch(in: try request.id(of: "cascade"), try request.decodeStrict(CascadeBatchInput.self), by: principal,
                                                 now: request.application.clock.now(), on: request.db)
        return try await Cascades.batchDTOs([batch], on: request.db)[0].encodeResponse(status: .created, for: request)
    }

    /// The cascade's batches by day; `trainer=me` (or a person's id) keeps one trainer's.
    @Sendable static func batches(_ request: Request) async throws -> Page<CascadeBatchDTO> {
        let principal = try request.principal()
        var trainer: UUID?
        if let text = request.query[String.self, at: "trainer"] {
            guard let id = text == "me" ? principal.userID : UUIDText.parse(text) else { throw Problem.invalid("trainer", "must be me or a person's id") }
            trainer = id
        }
        let (rows, next) = try await Cascades.batches(of: try request.id(of: "cascade"), trainer: trainer, page: try PageRequest(request), on: request.db)
        return Page(items: try await Cascades.batchDTOs(rows, on: request.db), nextCursor: NextCursor(next))
    }

    @Sendable static func attendance(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let input = try request.decodeStrict(CascadePeopleInput.self)
        return try await Cascades.recordAttendance(of: try request.id(of: "batch"), input, by: principal, now: request.application.clock.now(), on: request.db)
            .encodeResponse(status: .created, for: request)
    }

    @Sendable static func reach(_ request: Request) async throws -> CascadeReachDTO {
        let principal = try request.principal()
        return try await CascadeReachReport.report(of: try request.id(of: "cascade"), scope: request.query[String.self, at: "scope"], by: principal, on: request.reads)
    }

    @Sendable static func chain(_ request: Request) async throws -> Page<CascadeCertificationDTO> {
        let principal = try request.principal()
        let items = try await Cascades.chain(of: try request.id("userId", of: "person"), in: try request.id(of: "cascade"), by: principal, on: request.db)
        return Page(items: items, nextCursor: nil)
    }
}
