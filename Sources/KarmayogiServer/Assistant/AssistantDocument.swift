import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// An FAQ or a policy document the national admins give the assistant to answer from: plain text, where a line
/// starting with `#` begins a part under its own heading.
final class AssistantDocument: Model, @unchecked Sendable {
    static let schema = "assistant_documents"

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kind: String
    @Field(key: "title") var title: String
    @Field(key: "language") var language: String
    @Field(key: "body") var body: String
    /// The name of the file it was read from, when it was uploaded.
    @OptionalField(key: "file_name") var fileName: String?
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "updated_by") var updatedBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// A question asked on the assistant's page and what it answered, for the conversation the page shows.
final class AssistantTurn: Model, @unchecked Sendable {
    static let schema = "assistant_turns"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "question") var question: String
    @Field(key: "language") var language: String
    /// The answer as the API gave it (JSON).
    @Field(key: "answer") var answer: String
    @Field(key: "asked_at") var askedAt: Date

    init() {}
}

struct CreateAssistant: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("assistant_documents")
            .id()
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("language", .string, .required)
            .field("body", .string, .required)
            .field("file_name", .string)
            .field("created_by", .uuid, .required)
            .field("updated_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.index("assistant_documents_updated", on: "assistant_documents", columns: ["updated_at"])
        try await database.schema("assistant_turns")
            .id()
            .field("user_id", .uuid, .required)
            .field("question", .string, .required)
            .field("language", .string, .required)
            .field("answer", .string, .required)
            .field("asked_at", .datetime, .required)
            .create()
        try await database.index("assistant_turns_user", on: "assistant_turns", columns: ["user_id", "asked_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("assistant_turns").delete()
        try await database.schema("assistant_documents").delete()
    }
}

enum AssistantDocumentKind: String, Codable, Sendable, CaseIterable {
    case faq, policy
}

struct AssistantDocumentDTO: Content {
    var id: UUID
    var kind: AssistantDocumentKind
    var title: String
    var language: String
    var body: String
    var fileName: String?
    var updatedAt: Date
    /// How many passages the assistant cut it into.
    var passages: Int
}

struct AssistantDocumentInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case kind, title, language, body }
    var kind: String?
    var title: String?
    var language: String?
    var body: String?
}

/// The FAQ and policy documents: read by everyone signed in, added, changed and removed by national admins.
enum AssistantDocuments {
    static let maxBodyCharacters = 200_000
    /// A PDF of a long policy with its fonts runs to several MB for its 200,000 characters.
    static let maxUploadBytes = 10 << 20

    static func mayManage(_ principal: Principal) -> Bool { principal.access.isNationalAdmin }

    static func dto(_ document: AssistantDocument) -> AssistantDocumentDTO {
        AssistantDocumentDTO(id: document.id!, kind: AssistantDocumentKind(rawValue: document.kind) ?? .faq, title: document.title,
                             language: document.language, body: document.body, fileName: document.fileName, updatedAt: document.updatedAt,
                             passages: PassageCutter.cut(document.body).count)
    }

    static func all(on database: any Database) async throws -> [AssistantDocument] {
        try await AssistantDocument.query(on: database).sort(\.$title).sort(\.$id).all()
    }

    static func find(_ id: UUID, on database: any Database) async throws -> AssistantDocument {
        guard let document = try await AssistantDocument.find(id, on: database) else { throw Problem.notFound("document") }
        return document
    }

    /// A new document (every field required), or changes to one (only the fields given). Checked as a whole; nothing is
    /// stored unless all of it is right.
    static func save(_ input: AssistantDocumentInput, fileName: String? = nil, to existing: AssistantDocument?, by principal: Principal, now: Date,
                     on database: any Database) async throws -> AssistantDocument {
        guard mayManage(principal) else { throw Problem.forbidden }
        return try await write(input, fileName: fileName, to: existing, by: principal.userID, now: now, on: database)
    }

    /// `save` once the writer's right to it is settled (and for the benchmark's generated documents).
    static func write(_ input: AssistantDocumentInput, fileName: String? = nil, to existing: AssistantDocument?, by userID: UUID, now: Date,
                      on database: any Database) async throws -> AssistantDocument {
        let document = existing ?? AssistantDocument()
        var errors: [FieldError] = []
        if let kind = input.kind {
            if AssistantDocumentKind(rawValue: kind) == nil { errors.append(.init("kind", "must be faq or policy")) } else { document.kind = kind }
        } else if existing == nil { errors.append(.init("kind", "is required: faq or policy")) }
        if let title = input.title?.trimmed {
            if title.isEmpty || title.unicodeScalars.count > 200 { errors.append(.init("title", "is required, at most 200 characters")) } else { document.title = title }
        } else if existing == nil { errors.append(.init("title", "is required, at most 200 characters")) }
        if let language = input.language {
            if let known = Language.named(language) { document.language = known.code }
            else { errors.append(.init("language", "is not a language code the platform knows (en, hi, ta, …)")) }
        } else if existing == nil { errors.append(.init("language", "is required (en, hi, ta, …)")) }
        if let body = input.body {
            let text = body.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { errors.append(.init("body", "is required: the document's text")) }
            else if text.count > maxBodyCharacters { errors.append(.init("body", "is at most \(maxBodyCharacters) characters (it has \(text.count))")) }
            else if text.unicodeScalars.contains(where: { $0.value == 0 }) { errors.append(.init("body", "must be text, without NUL characters")) }
            else if PassageCutter.cut(text).isEmpty { errors.append(.init("body", "has headings but no text under them")) }
            else { document.body = text }
        } else if existing == nil { errors.append(.init("body", "is required: the document's text")) }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        if let fileName { document.fileName = String(fileName.prefix(200)) }
        document.updatedBy = userID
        document.updatedAt = now
        if existing == nil {
            document.id = UUID()
            document.createdBy = userID
            document.createdAt = now
            try await document.create(on: database)
        } else {
            try await document.update(on: database)
        }
        return document
    }

    static func remove(_ id: UUID, by principal: Principal, on database: any Database) async throws {
        guard mayManage(principal) else { throw Problem.forbidden }
        let document = try await find(id, on: database)
        try await document.delete(on: database)
    }

    /// The text of an uploaded file: UTF-8 text (plain or Markdown), or a PDF's text (each text line of its pages a line).
    /// Anything else is refused, naming what it is.
    static func text(of bytes: [UInt8]) throws -> String {
        if let detected = FileSignature.detect(bytes) {
            guard detected == .pdf else { throw Problem.invalid("file", "is \(detected.description); the assistant reads text files (.txt, .md, UTF-8) and PDFs") }
            do { return try PDFText.extract(bytes) } catch let failure as PDFText.Failure { throw Problem.invalid("file", failure.description) }
        }
        guard let text = String(validating: bytes, as: UTF8.self), !text.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw Problem.invalid("file", "is not UTF-8 text; the assistant reads text files (.txt, .md, UTF-8) and PDFs")
        }
        return text
    }

    // MARK: What the assistant reads

    static func knowledgeSignature(on database: any Database) async throws -> ChangeSignature {
        try await ChangeSignature.of(AssistantDocument.schema, on: database as! any SQLDatabase)
    }

    /// Each document changed at or after `since` (every one when nil) by its key. (A removed one leaves the row count
    /// lower, which makes the index read them all again.)
    static func knowledge(changedSince since: Date?, on database: any Database) async throws -> [String: [Passage]] {
        let query = AssistantDocument.query(on: database)
        if let since { query.filter(\.$updatedAt >= since) }
        return Dictionary(uniqueKeysWithValues: try await query.all().map { document in
            let key = "document:\(document.id!.uuidString.lowercased())"
            return (key, PassageCutter.cut(document.body).map { piece in
                Passage(document: key, source: document.kind == "policy" ? .policy : .faq, title: document.title, section: piece.section, text: piece.text,
                        link: "/assistant/documents/\(document.id!.uuidString.lowercased())" + (piece.part > 0 ? "#part-\(piece.part)" : ""),
                        language: document.language)
            })
        })
    }

    // MARK: The starter set

    /// The FAQ the project ships (Resources/Assistant/*.txt): how the platform works, in English and Hindi, written from
    /// its public facts. The demo world adds them; an installation's admins add them or their own.
    static func starter() throws -> [AssistantDocumentInput] {
        guard let folder = Bundle.module.url(forResource: "Assistant", withExtension: nil, subdirectory: "Resources") else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".txt") }.sorted()
        return try names.map { name in
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            // The first lines say what it is: "title: …", "kind: …", "language: …", then a blank line and the text.
            var input = AssistantDocumentInput()
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
            while let line = lines.first, let colon = line.firstIndex(of: ":"), !line.hasPrefix("#") {
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                switch line[..<colon] {
                case "title": input.title = value
                case "kind": input.kind = value
                case "language": input.language = value
                default: break
                }
                lines = lines.dropFirst()
            }
            input.body = lines.joined(separator: "\n")
            return input
        }
    }
}
