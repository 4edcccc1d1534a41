import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A passage's sentence vector as the embedding sidecar made it, kept by the model's name and a hash of the text it was
/// made from: a restarted server and every other node read it rather than ask the sidecar again, and a passage whose
/// text changes gets a new one.
final class AssistantEmbedding: Model, @unchecked Sendable {
    static let schema = "assistant_embeddings"

    @ID(key: .id) var id: UUID?
    @Field(key: "model") var model: String
    /// SHA-256 of the text embedded (hex).
    @Field(key: "text_hash") var textHash: String
    /// Little-endian 32-bit floats, unit length.
    @Field(key: "vector") var vector: Data
    /// When it was made: rows never change, so this is what the change signature follows.
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

struct CreateAssistantEmbeddings: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("assistant_embeddings")
            .id()
            .field("model", .string, .required)
            .field("text_hash", .string, .required)
            .field("vector", .data, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "model", "text_hash")
            .create()
        try await database.index("assistant_embeddings_updated", on: "assistant_embeddings", columns: ["updated_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("assistant_embeddings").delete()
    }
}

enum AssistantEmbeddings {
    /// What the sidecar reads of a passage: its title, heading and text.
    static func text(of passage: Passage) -> String {
        [passage.title, passage.section ?? "", passage.text].filter { !$0.isEmpty }.joined(separator: ". ")
    }

    static func hash(of passage: Passage) -> String { SecretToken.hash(text(of: passage)) }

    /// Whether the (English) model reads a passage: passages in other languages are ranked lexically only.
    static func embeddable(_ passage: Passage) -> Bool { passage.language == "en" }

    static func signature(on database: any Database) async throws -> ChangeSignature {
        try await ChangeSignature.of(AssistantEmbedding.schema, on: database as! any SQLDatabase)
    }

    /// The model's vectors by text hash: all of them, or those made at or after `since`.
    static func vectors(model: String, changedSince since: Date?, on database: any Database) async throws -> [String: [Float]] {
        var query = AssistantEmbedding.query(on: database).filter(\.$model == model)
        if let since { query = query.filter(\.$updatedAt >= since) }
        var found: [String: [Float]] = [:]
        for row in try await query.all() {
            if let vector = PassageVectors.decode(row.vector) { found[row.textHash] = vector }
        }
        return found
    }

    /// Keeps vectors made by `model`; one another node kept first stays as it is.
    static func store(_ vectors: [(hash: String, vector: [Float])], model: String, now: Date, on database: any Database) async throws {
        guard !vectors.isEmpty else { return }
        let sql = database as! any SQLDatabase
        var insert = sql.insert(into: AssistantEmbedding.schema).columns("id", "model", "text_hash", "vector", "updated_at")
        for (hash, vector) in vectors {
            insert = insert.values(SQLBind(UUID()), SQLBind(model), SQLBind(hash), SQLBind(PassageVectors.encode(vector)), SQLBind(now))
        }
        try await insert.ignoringConflicts(with: ["model", "text_hash"]).run()
    }
}
