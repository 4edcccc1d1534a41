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
        routes.post("batches", ":id", "sessions", use: Self.createSession)
        routes.get("batches", ":id", "sessions", use: Self.sessions)
        routes.on(.POST, "sessions", ":id", "attendance", body: .collect(maxSize: "4mb"), use: Self.markAttendance)
        routes.get("sessions", ":id", "attendance", use: Self.attendance)
        routes.get("sessions", ":id", "attendance-code", use: Self.attendanceCode)
        routes.post("attendance", "scan", use: Self.scan)
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

    @Sendable static func createSession(_ request: Request) async throws -> Response {
        let input = try request.decodeStrict(SessionInput.self)
        let principal = try request.principal()
        let session = try await Programmes.createSession(in: try request.id(of: "batch"), input, by: principal, now: request.application.clock.now(), on: request.db)
        return try await Programmes.sessionDTOs([session], for: principal, on: request.db)[0].encodeResponse(status: .created, for: request)
    }

    @Sendable static func sessions(_ request: Request) async throws -> Page<SessionDTO> {
        let principal = try request.principal()
        let sessions = try await Programmes.sessions(of: try request.id(of: "batch"), on: request.db)
        return Page(items: try await Programmes.sessionDTOs(sessions, for: principal, on: request.db), nextCursor: nil)
    }

    /// A trainer's mark (JSON `{"userId", "reason"}`) or an attendance sheet (CSV).
    @Sendable static func markAttendance(_ request: Request) async throws -> Response {
        let principal = try request.principal(), now = request.application.clock.now(), id = try request.id(of: "session")
        if let type = request.headers.contentType, type.type == "application", type.subType == "json" {
            let mark = try await Programmes.mark(id, try request.decodeStrict(AttendanceMarkInput.self), by: principal, now: now, on: request.db)
            return try await mark.encodeResponse(status: .created, for: request)
        }
        let (_, bytes) = try request.csvUpload()
        return try await Programmes.uploadSheet(id, bytes: bytes, by: principal, now: now, on: request.db).encodeResponse(for: request)
    }

    @Sendable static func attendance(_ request: Request) async throws -> Page<SessionAttendanceDTO> {
        Page(items: try await Programmes.attendance(of: try request.id(of: "session"), by: try request.principal(), on: request.db), nextCursor: nil)
    }

    @Sendable static func attendanceCode(_ request: Request) async throws -> Response {
        let dto = try await Programmes.attendanceCode(try request.id(of: "session"), by: try request.principal(), publicURL: request.application.settings.publicURL,
                                                      now: request.application.clock.now(), on: request.db)
        let response = try await dto.encodeResponse(for: request)
        response.headers.cacheControl = .init(noStore: true)
        return response
    }

    @Sendable static func scan(_ request: Request) async throws -> Response {
        let input = try request.decodeStrict(ScanInput.self)
        return try await Programmes.scan(input.token, by: try request.principal(), app: request.application)
            .encodeResponse(status: .created, for: request)
    }
}
