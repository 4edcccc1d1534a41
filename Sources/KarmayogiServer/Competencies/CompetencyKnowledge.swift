import Fluent
import Foundation
import KarmayogiCore
import SQLKit

/// The framework's current competencies as the assistant cites them: a passage each, its name, area and definition.
extension Competencies {
    static func knowledgeSignature(on database: any Database) async throws -> ChangeSignature {
        try await ChangeSignature.of(Competency.schema, on: database as! any SQLDatabase)
    }

    /// Each competency changed at or after `since` (every one when nil) by its key: a passage while current, none once retired.
    static func knowledge(changedSince since: Date?, on database: any Database) async throws -> [String: [Passage]] {
        let query = Competency.query(on: database)
        if let since { query.filter(\.$updatedAt >= since) } else { query.filter(\.$status == .current) }
        return Dictionary(uniqueKeysWithValues: try await query.all().map { competency in
            let key = "competency:\(competency.id!.uuidString.lowercased())"
            guard competency.status == .current else { return (key, []) }
            return (key, [Passage(document: key, source: .competency, title: competency.displayName, section: competency.area.rawValue.capitalized,
                                  text: competency.description, link: "/competencies/\(competency.id!.uuidString.lowercased())", language: "en")])
        })
    }
}
