import Fluent
import Foundation
import KarmayogiCore
import SQLKit

/// Published case studies as the assistant cites them: the abstract and the body, cut into passages that link to the case
/// (never the teaching note, which only faculty read).
extension CaseStudies {
    static func knowledgeSignature(on database: any Database) async throws -> ChangeSignature {
        try await ChangeSignature.of(CaseStudy.schema, on: database as! any SQLDatabase)
    }

    /// Each case changed at or after `since` (every one when nil) by its key: its passages while published, none otherwise.
    static func knowledge(changedSince since: Date?, on database: any Database) async throws -> [String: [Passage]] {
        let query = CaseStudy.query(on: database)
        if let since { query.filter(\.$updatedAt >= since) } else { query.filter(\.$stage == .published) }
        return Dictionary(uniqueKeysWithValues: try await query.all().map { study in
            let key = "case:\(study.id!.uuidString.lowercased())"
            guard study.stage == .published else { return (key, []) }
            return (key, PassageCutter.cut(study.abstract + "\n\n" + study.body).map { piece in
                Passage(document: key, source: .caseStudy, title: study.title, section: piece.section,
                        text: piece.text, link: "/cases/\(study.id!.uuidString.lowercased())", language: study.language)
            })
        })
    }
}
