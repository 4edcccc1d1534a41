import Crypto
import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The State, Activity Profile and Agent Profile documents: kept as sent, with an ETag; PUT replaces, POST merges
/// JSON objects; If-Match and If-None-Match are honoured, and a profile replaced blind (without either) is refused.
enum XAPIDocuments {
    struct Key: Sendable {
        var kind: XAPIDocument.Kind
        var activity: String
        var agent: String
        var registration: String
        var documentID: String?
    }

    /// If-Match and If-None-Match as sent.
    struct Conditions: Sendable {
        var ifMatch: [String]?
        var ifNoneMatch: [String]?

        init(_ headers: HTTPHeaders) {
            func list(_ name: String) -> [String]? {
                let values = headers[name].flatMap { $0.split(separator: ",").map { String($0).trimmed } }
                return values.isEmpty ? nil : values
            }
            ifMatch = list("If-Match")
            ifNoneMatch = list("If-None-Match")
        }

        /// Nil when the request may go on; else the problem.
        func problem(existing: XAPIDocument?, kind: XAPIDocument.Kind, replacing: Bool) -> Problem? {
            func matches(_ tags: [String]) -> Bool { existing.map { document in tags.contains { $0 == "*" || $0 == document.etag || "\"\($0)\"" == document.etag } } ?? false }
            if let ifMatch, !matches(ifMatch) {
                return Problem(.preconditionFailed, existing == nil ? "If-Match was sent, but no such document is stored." : "The document has changed since you read it (its ETag differs).")
            }
            if let ifNoneMatch, existing != nil, ifNoneMatch.contains("*") || matches(ifNoneMatch) {
                return Problem(.preconditionFailed, "The document already exists (If-None-Match).")
            }
            if replacing, kind != .state, existing != nil, ifMatch == nil, ifNoneMatch == nil {
                return Problem(.conflict, "The document exists: send If-Match with its ETag to replace it, or If-None-Match: * to create one only.")
            }
            return nil
        }
    }

    static func etag(_ data: Data) -> String { "\"" + Insecure.SHA1.hash(data: data).map { String(format: "%02x", $0) }.joined() + "\"" }

    static func query(_ key: Key, for client: LRSClient, on database: any Database) -> QueryBuilder<XAPIDocument> {
        XAPIDocument.query(on: database).filter(\.$providerID == client.providerID).filter(\.$kind == key.kind)
            .filter(\.$activity == key.activity).filter(\.$agent == key.agent).filter(\.$registration == key.registration)
    }

    static func find(_ key: Key, for client: LRSClient, on database: any Database) async throws -> XAPIDocument? {
        guard let id = key.documentID else { return nil }
        return try await query(key, for: client, on: database).filter(\.$documentID == id).first()
    }

    static func ids(at key: Key, since: Date?, for client: LRSClient, on database: any Database) async throws -> [String] {
        var builder = query(key, for: client, on: database)
        if let since { builder = builder.filter(\.$updatedAt > since) }
        return try await builder.sort(\.$documentID).all().map(\.documentID)
    }

    static func write(_ body: Data, contentType: String, at key: Key, merge: Bool, conditions: Conditions, for client: LRSClient, now: Date,
                      on database: any Database) async throws {
        guard body.count <= LRSController.documentLimit else { throw Problem(.payloadTooLarge, "A document may be up to 1 MiB.") }
        try await database.transaction { database in
            let existing = try await find(key, for: client, on: database)
            if let problem = conditions.problem(existing: existing, kind: key.kind, replacing: !merge) { throw problem }
            var content = body
            var type = contentType
            if merge {
                guard contentType == "application/json", let sent = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
                    throw LearningRecords.problem("POST merges JSON: send a JSON object as application/json.", [FieldError("body", "must be a JSON object")])
                }
                if let existing {
                    guard existing.contentType == "application/json", var stored = (try? JSONSerialization.jsonObject(with: existing.content)) as? [String: Any] else {
                        throw LearningRecords.problem("The stored document is not a JSON object, so it cannot be merged; PUT replaces it.", [FieldError("body", "cannot be merged into the stored document")])
                    }
                    for (name, value) in sent { stored[name] = value }
                    content = try JSONSerialization.data(withJSONObject: stored, options: [.sortedKeys, .withoutEscapingSlashes])
                }
                type = "application/json"
            }
            let document = existing ?? XAPIDocument()
            if existing == nil {
                (document.providerID, document.kind, document.activity, document.agent, document.registration, document.documentID) =
                    (client.providerID, key.kind, key.activity, key.agent, key.registration, key.documentID!)
            }
            (document.content, document.contentType, document.etag, document.updatedAt) = (content, type, etag(content), now)
            try await document.save(on: database)
        }
    }

    static func delete(_ key: Key, conditions: Conditions, for client: LRSClient, on database: any Database) async throws {
        guard key.documentID != nil else {
            try await query(key, for: client, on: database).delete()
            return
        }
        try await database.transaction { database in
            let existing = try await find(key, for: client, on: database)
            if let problem = conditions.problem(existing: existing, kind: key.kind, replacing: false) { throw problem }
            try await existing?.delete(on: database)
        }
    }

    /// An activity as the statements about it defined it (the latest definition), or its id alone.
    static func activity(_ id: String, for client: LRSClient, on database: any Database) async throws -> [String: Any] {
        var activity: [String: Any] = ["objectType": "Activity", "id": id]
        let rows = try await XAPIStatementRecord.query(on: database).filter(\.$providerID == client.providerID).filter(\.$activity == id)
            .sort(\.$storedMillis, .descending).limit(20).all()
        for row in rows {
            if let statement = (try? JSONSerialization.jsonObject(with: Data(row.body.utf8))) as? [String: Any],
               let definition = (statement["object"] as? [String: Any])?["definition"] {
                activity["definition"] = definition
                break
            }
        }
        return activity
    }
}
