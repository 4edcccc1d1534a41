import Fluent
import Foundation
import KarmayogiCore
import Vapor

struct AccreditationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("accreditation", "frameworks", use: Self.frameworks)
        routes.post("accreditation", "frameworks", use: Self.publish)
        // Public: the OpenAPI document asks no sign-in for it.
        routes.get("accreditation", "register", use: Self.register)
        routes.post("institutes", ":id", "accreditations", use: Self.apply)
        routes.get("institutes", ":id", "accreditations", use: Self.ofInstitute)
        routes.get("accreditations", ":id", use: Self.read)
        routes.patch("accreditations", ":id", use: Self.change)
        // Evidence may be a file, so its body may be as large as the content store takes.
        routes.on(.POST, "accreditations", ":id", "evidence", body: .stream, use: Self.evidence)
        routes.post("accreditations", ":id", "assessors", use: Self.assign)
        routes.post("accreditations", ":id", "scores", use: Self.score)
        routes.post("accreditations", ":id", "decide", use: Self.decide)
    }

    @Sendable static func frameworks(_ request: Request) async throws -> Page<FrameworkDTO> {
        _ = try request.principal()
        return Page(items: try await Accreditations.frameworks(on: request.db), nextCursor: nil)
    }

    @Sendable static func publish(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        return try await Accreditations.publish(try request.decodeStrict(FrameworkInput.self), by: principal, now: request.application.clock.now(), on: request.db)
            .encodeResponse(status: .created, for: request)
    }

    static func answer(_ record: AccreditationRecord, _ request: Request, status: HTTPStatus = .ok) async throws -> Response {
        try await Accreditations.dtos([record], on: request.db)[0].encodeResponse(status: status, for: request)
    }

    @Sendable static func apply(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let input = try request.decodeStrictIfPresent(ApplicationInput.self) ?? ApplicationInput()
        let record = try await Accreditations.apply(for: try request.id(of: "training institute"), input, by: principal, now: request.application.clock.now(),
                                                    app: request.application, on: request.db)
        let response = try await answer(record, request, status: .created)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/accreditations/\(record.id!)")
        return response
    }

    @Sendable static func ofInstitute(_ request: Request) async throws -> Page<AccreditationDTO> {
        let principal = try request.principal()
        let records = try await Accreditations.of(institute: try request.id(of: "training institute"), by: principal, on: request.db)
        return Page(items: try await Accreditations.dtos(records, on: request.db), nextCursor: nil)
    }

    @Sendable static func read(_ request: Request) async throws -> AccreditationDTO {
        let principal = try request.principal()
        let seen = try await Accreditations.seen(try request.id(of: "accreditation"), by: principal, on: request.db)
        return try await Accreditations.dtos([seen.record], on: request.db)[0]
    }

    @Sendable static func change(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let record = try await Accreditations.change(try request.id(of: "accreditation"), try request.decodeStrict(ApplicationPatch.self), by: principal,
                                                     now: request.application.clock.now(), app: request.application, on: request.db)
        return try await answer(record, request)
    }

    /// Evidence for a metric: JSON `{"metricKey", "link", "note"}`, or a multipart form with `metricKey`, `note` and a PDF `file`.
    @Sendable static func evidence(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let id = try request.id(of: "accreditation")
        let now = request.application.clock.now()
        let multipart = request.headers.contentType?.type == "multipart"
        let limit = multipart ? request.application.settings.contentMaxBytes + 64 * 1024 : request.application.settings.maxBodySize.value
        if let declared = request.headers.first(name: .contentLength).flatMap(Int.init), declared > limit {
            throw Problem(.payloadTooLarge, "Evidence may be at most \(limit / 1_048_576) MiB.")
        }
        _ = try await request.body.collect(max: limit).get()
        let record: AccreditationRecord
        if multipart {
            let form = try request.content.decode(EvidenceForm.self)
            let seen = try await Accreditations.seen(id, by: principal, on: request.db)
            guard seen.institute || seen.national else { throw Problem.forbidden }
            let stored = try await ContentFiles.accept(form.file, as: ContentKind.document.rawValue, provider: seen.record.instituteID, by: principal, request: request)
            record = try await Accreditations.addEvidence(to: id, metric: form.metricKey, link: nil, file: stored.reference, note: form.note, by: principal, now: now, on: request.db)
        } else {
            let input = try request.decodeStrict(EvidenceInput.self)
            record = try await Accreditations.addEvidence(to: id, metric: input.metricKey, link: input.link, file: nil, note: input.note, by: principal, now: now, on: request.db)
        }
        return try await answer(record, request, status: .created)
    }

    struct EvidenceForm: Content {
        var metricKey: String?
        var note: String?
        var file: File?
    }

    @Sendable static func assign(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let record = try await Accreditations.assign(try request.decodeStrict(AssessorInput.self), to: try request.id(of: "accreditation"), by: principal,
                                                     now: request.application.clock.now(), on: request.db)
        return try await answer(record, request, status: .created)
    }

    @Sendable static func score(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let record = try await Accreditations.score(try request.decodeStrict(ScoresInput.self), of: try request.id(of: "accreditation"), by: principal,
                                                    now: request.application.clock.now(), on: request.db)
        return try await answer(record, request, status: .created)
    }

    @Sendable static func decide(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let record = try await Accreditations.decide(try request.decodeStrict(AccreditationDecisionInput.self), on: try request.id(of: "accreditation"), by: principal,
                                                     now: request.application.clock.now(), app: request.application, on: request.db)
        return try await answer(record, request)
    }

    @Sendable static func register(_ request: Request) async throws -> RegisterDTO {
        try await Accreditations.register(today: IndiaDay.of(request.application.clock.now()), geography: request.geography, on: request.db)
    }
}
