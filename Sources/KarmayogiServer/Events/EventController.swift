import Fluent
import Foundation
import KarmayogiCore
import Vapor

struct EventController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("events", use: Self.create)
        routes.get("events", use: Self.list)
        routes.get("events", ":id", use: Self.read)
        routes.patch("events", ":id", use: Self.update)
        routes.post("events", ":id", "cancel") { request in
            try await Self.respond(request, try await Events.cancel(try request.id(of: "event"), by: try request.principal(), now: request.application.clock.now(), on: request.db))
        }
        routes.post("events", ":id", "register", use: Self.register)
        routes.post("events", ":id", "join", use: Self.join)
        routes.post("events", ":id", "leave", use: Self.leave)
        routes.post("events", ":id", "check-in", use: Self.checkIn)
        routes.get("events", ":id", "check-in-code", use: Self.code)
        routes.on(.POST, "events", ":id", "attendance", body: .collect(maxSize: "16mb"), use: Self.upload)
        routes.get("events", ":id", "attendance", use: Self.attendance)
    }

    static func respond(_ request: Request, _ event: Event, status: HTTPStatus = .ok) async throws -> Response {
        let dto = try await Events.dtos([event], for: try request.principal(), now: request.application.clock.now(), on: request.db)[0]
        return try await dto.encodeResponse(status: status, for: request)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let event = try await Events.create(try request.decodeStrict(EventInput.self), by: try request.principal(), now: request.application.clock.now(), on: request.db)
        let response = try await respond(request, event, status: .created)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/events/\(event.id!)")
        return response
    }

    @Sendable static func list(_ request: Request) async throws -> Page<EventDTO> {
        var bounds: [Date?] = []
        for name in ["from", "to"] {
            guard let text = request.query[String.self, at: name] else { bounds.append(nil); continue }
            guard let date = Formats.sheetTime(text) ?? IndiaDay.parse(text).map(IndiaDay.start) else {
                throw Problem.invalid(name, "must be a date (YYYY-MM-DD) or a time (RFC 3339)")
            }
            bounds.append(date)
        }
        let mine: Bool
        switch request.query[String.self, at: "mine"] {
        case nil, "false": mine = false
        case "true": mine = true
        default: throw Problem.invalid("mine", "must be true or false")
        }
        return try await Events.list(from: bounds[0], to: bounds[1], mine: mine, page: try PageRequest(request), for: try request.principal(),
                                     now: request.application.clock.now(), on: request.db)
    }

    @Sendable static func read(_ request: Request) async throws -> Response {
        _ = try request.principal()
        return try await respond(request, try await Events.find(try request.id(of: "event"), on: request.db))
    }

    @Sendable static func update(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let id = try request.id(of: "event")
        let input = try request.decodeStrict(EventInput.self)
        let now = request.application.clock.now()
        // After attendance is decided only the recording may still be linked.
        if let course = input.recordingCourseId, input.title == nil, input.startsAt == nil, input.endsAt == nil, input.kind == nil,
           try await Events.find(id, on: request.db).settledAt != nil {
            return try await respond(request, try await Events.linkRecording(id, course: course, by: principal, now: now, on: request.db))
        }
        return try await respond(request, try await Events.update(id, with: input, by: principal, now: now, on: request.db))
    }

    @Sendable static func register(_ request: Request) async throws -> Response {
        let input = try request.decodeStrictIfPresent(RegistrationInput.self)
        let results = try await Events.register(try request.id(of: "event"), nominating: input?.userIds, by: try request.principal(),
                                                now: request.application.clock.now(), on: request.db)
        let created = results.contains { $0.outcome == "registered" }
        return try await Page(items: results, nextCursor: nil).encodeResponse(status: created ? .created : .ok, for: request)
    }

    @Sendable static func join(_ request: Request) async throws -> JoinDTO {
        try await Events.join(try request.id(of: "event"), by: try request.principal(), now: request.application.clock.now(), on: request.db)
    }

    @Sendable static func leave(_ request: Request) async throws -> HTTPStatus {
        try await Events.leave(try request.id(of: "event"), by: try request.principal(), now: request.application.clock.now(), on: request.db)
        return .noContent
    }

    @Sendable static func checkIn(_ request: Request) async throws -> HTTPStatus {
        let input = try request.decodeStrict(CheckInInput.self)
        try await Events.checkIn(try request.id(of: "event"), code: input.code, by: try request.principal(), now: request.application.clock.now(), on: request.db)
        return .created
    }

    @Sendable static func code(_ request: Request) async throws -> Response {
        let dto = try await Events.checkInCode(try request.id(of: "event"), by: try request.principal(), now: request.application.clock.now(), on: request.db)
        let response = try await dto.encodeResponse(for: request)
        response.headers.cacheControl = .init(noStore: true)
        return response
    }

    @Sendable static func upload(_ request: Request) async throws -> Events.SheetResult {
        let (_, bytes) = try request.csvUpload()
        return try await Events.uploadSheet(try request.id(of: "event"), bytes: bytes, by: try request.principal(), app: request.application,
                                            now: request.application.clock.now(), on: request.db)
    }

    @Sendable static func attendance(_ request: Request) async throws -> Page<AttendanceDTO> {
        Page(items: try await Events.attendance(of: try request.id(of: "event"), by: try request.principal(), now: request.application.clock.now(), on: request.db),
             nextCursor: nil)
    }
}
