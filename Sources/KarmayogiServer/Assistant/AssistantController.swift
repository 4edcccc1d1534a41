import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// `POST /assistant/ask` for everyone signed in; the documents it answers from: read by everyone signed in, added
/// (JSON, or a multipart form with a text file), changed and removed by national admins.
struct AssistantController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("assistant", "ask", use: Self.ask)
        routes.get("assistant", "documents", use: Self.list)
        routes.on(.POST, "assistant", "documents", body: .stream, use: Self.add)
        routes.get("assistant", "documents", ":id", use: Self.read)
        routes.on(.PUT, "assistant", "documents", ":id", body: .stream, use: Self.change)
        routes.delete("assistant", "documents", ":id", use: Self.remove)
    }

    @Sendable static func ask(_ request: Request) async throws -> AnswerDTO {
        let principal = try request.principal()
        let (question, language) = try Assistant.checked(try request.decodeStrict(AskInput.self), defaultLanguage: principal.me.language)
        return try await Assistant.ask(question, language: language, for: principal, app: request.application, on: request.db)
    }

    @Sendable static func list(_ request: Request) async throws -> Page<AssistantDocumentDTO> {
        _ = try request.principal()
        return Page(items: try await AssistantDocuments.all(on: request.db).map(AssistantDocuments.dto), nextCursor: nil)
    }

    @Sendable static func read(_ request: Request) async throws -> AssistantDocumentDTO {
        _ = try request.principal()
        return AssistantDocuments.dto(try await AssistantDocuments.find(try request.id(of: "document"), on: request.db))
    }

    @Sendable static func add(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        guard AssistantDocuments.mayManage(principal) else { throw Problem.forbidden }
        let (input, fileName) = try await Self.input(request)
        let document = try await AssistantDocuments.save(input, fileName: fileName, to: nil, by: principal, now: request.application.clock.now(), on: request.db)
        return try await AssistantDocuments.dto(document).encodeResponse(status: .created, for: request)
    }

    @Sendable static func change(_ request: Request) async throws -> AssistantDocumentDTO {
        let principal = try request.principal()
        guard AssistantDocuments.mayManage(principal) else { throw Problem.forbidden }
        let document = try await AssistantDocuments.find(try request.id(of: "document"), on: request.db)
        let (input, fileName) = try await Self.input(request)
        // A multipart change brings a new file; other changes come as JSON.
        if request.headers.contentType?.subType == "form-data", fileName == nil {
            throw Problem.invalid("file", "is required in a multipart form: the document's new file (send other changes as JSON)")
        }
        return AssistantDocuments.dto(try await AssistantDocuments.save(input, fileName: fileName, to: document, by: principal,
                                                                        now: request.application.clock.now(), on: request.db))
    }

    @Sendable static func remove(_ request: Request) async throws -> HTTPStatus {
        try await AssistantDocuments.remove(try request.id(of: "document"), by: try request.principal(), on: request.db)
        return .noContent
    }

    struct DocumentForm: Content {
        var kind: String?
        var title: String?
        var language: String?
        var body: String?
        var file: File?
    }

    /// A JSON body, or a multipart form whose `file` (UTF-8 text, or a PDF) gives the body. The size is checked before the
    /// body is read.
    static func input(_ request: Request) async throws -> (AssistantDocumentInput, String?) {
        let limit = AssistantDocuments.maxUploadBytes + 64 * 1024
        if let declared = request.headers.first(name: .contentLength).flatMap(Int.init), declared > limit {
            throw Problem(.payloadTooLarge, "A document's file may be at most \(AssistantDocuments.maxUploadBytes >> 20) MiB.")
        }
        _ = try await request.body.collect(max: limit).get()
        guard let type = request.headers.contentType, type.type == "multipart", type.subType == "form-data" else {
            return (try request.decodeStrict(AssistantDocumentInput.self), nil)
        }
        let form = try request.content.decode(DocumentForm.self)
        return try Self.input(form)
    }

    static func input(_ form: DocumentForm) throws -> (AssistantDocumentInput, String?) {
        var input = AssistantDocumentInput(kind: form.kind, title: form.title, language: form.language, body: form.body)
        var fileName: String?
        if let file = form.file, file.data.readableBytes > 0 {
            input.body = try AssistantDocuments.text(of: Array(file.data.readableBytesView))
            fileName = file.filename
        }
        return (input, fileName)
    }
}
