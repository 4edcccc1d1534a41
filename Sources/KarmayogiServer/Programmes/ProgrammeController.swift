import Fluent
import Foundation
import KarmayogiCore
import Vapor

struct ProgrammeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("programmes", use: Self.create)
        routes.get("programmes", use: Self.list)
        routes.get("programmes", ":id", use: Self.read)
        routes.patch("programmes", ":id", use: Self.update)
        routes.post("programmes", ":id", "batches", use: Self.createBatch)
        routes.get("programmes", ":id", "batches", use: Self.batches)
        routes.post("batches", ":id", "nominations", use: Self.nominate)
        routes.get("batches", ":id", "nominations", use: Self.nominations)
        for action in [NominationAction.approve, .reject, .withdraw] {
            routes.post("nominations", ":id", PathComponent(stringLiteral: action.rawValue)) { request in
                try await Self.decide(request, action)
            }
        }
    }

    static func respond(_ request: Request, _ programme: Programme, status: HTTPStatus = .ok) async throws -> Response {
        let dto = try await Programmes.dtos([programme], for: try request.principal(), on: request.db)[0]
        return try await dto.encodeResponse(status: status, for: request)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let programme = try await Programmes.create(try request.decodeStrict(ProgrammeInput.self), by: try request.principal(),
                                                    now: request.application.clock.now(), on: request.db)
        let response = try await respond(request, programme, status: .created)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/programmes/\(programme.id!)")
        return response
    }

    @Sendable static func list(_ request: Request) async throws -> Page<ProgrammeDTO> {
        let (rows, next) = try await Programmes.list(page: try PageRequest(request), on: request.db)
        return Page(items: try await Programmes.dtos(rows, for: try request.principal(), on: request.db), nextCursor: NextCursor(next))
    }

    @Sendable static func read(_ request: Request) async throws -> Response {
        try await respond(request, try await Programmes.find(try request.id(of: "programme"), on: request.db))
    }

    @Sendable static func update(_ request: Request) async throws -> Response {
        let input = try request.decodeStrict(ProgrammeInput.self)
        return try await respond(request, try await Programmes.update(try request.id(of: "programme"), with: input, by: try request.principal(),
                                                                      now: request.application.clock.now(), on: request.db))
    }

    @Sendable static func createBatch(_ request: Request) async throws -> Response {
        let input = try request.decodeStrict(BatchInput.self)
        let batch = try await Programmes.createBatch(in: try request.id(of: "programme"), input, by: try request.principal(),
                                                     now: request.application.clock.now(), on: request.db)
        let response = try await Programmes.batchDTOs([batch], on: request.db)[0].encodeResponse(status: .created, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/programmes/\(batch.programmeID)/batches")
        return response
    }

    @Sendable static func batches(_ request: Request) async throws -> Page<BatchDTO> {
        _ = try request.principal()
        let batches = try await Programmes.batches(of: try request.id(of: "programme"), on: request.db)
        return Page(items: try await Programmes.batchDTOs(batches, on: request.db), nextCursor: nil)
    }

    @Sendable static func nominate(_ request: Request) async throws -> Response {
        let input = try request.decodeStrictIfPresent(NominationInput.self) ?? NominationInput()
        let made = try await Programmes.nominate(to: try request.id(of: "batch"), input, by: try request.principal(),
                                                 clock: request.application.clock, on: request.db)
        return try await Page(items: try await Programmes.nominationDTOs(made, on: request.db), nextCursor: nil).encodeResponse(status: .created, for: request)
    }

    @Sendable static func nominations(_ request: Request) async throws -> Page<NominationDTO> {
        let nominations = try await Programmes.nominations(of: try request.id(of: "batch"), by: try request.principal(), on: request.db)
        return Page(items: try await Programmes.nominationDTOs(nominations, on: request.db), nextCursor: nil)
    }

    static func decide(_ request: Request, _ action: NominationAction) async throws -> NominationDTO {
        let input = try request.decodeStrictIfPresent(NominationDecisionInput.self)
        let nomination = try await Programmes.decide(try request.id(of: "nomination"), action, reason: input?.reason, by: try request.principal(),
                                                     clock: request.application.clock, on: request.db)
        return try await Programmes.nominationDTOs([nomination], on: request.db)[0]
    }
}
