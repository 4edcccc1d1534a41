import Fluent
import Foundation
import KarmayogiCore
import SQLKit

/// Published courses as the assistant cites them: what a course is about (summary, description, keywords) and what it
/// holds (its modules and items by title), each course cut into passages that link to its page.
extension Courses {
    static func knowledgeSignature(on database: any Database) async throws -> ChangeSignature {
        try await ChangeSignature.of(Course.schema, on: database as! any SQLDatabase)
    }

    /// Each course changed at or after `since` (every course when nil) by its key: its passages while published, none
    /// once withdrawn.
    static func knowledge(changedSince since: Date?, on database: any Database) async throws -> [String: [Passage]] {
        var found: [String: [Passage]] = [:]
        func key(_ id: UUID) -> String { "course:\(id.uuidString.lowercased())" }
        let query = CourseVersion.query(on: database).join(Course.self, on: \CourseVersion.$course.$id == \Course.$id)
            .filter(\.$state == .published).filter(Course.self, \.$status == .published)
        if let since {
            for id in try await Course.query(on: database).filter(\.$updatedAt >= since).all(\.$id) { found[key(id)] = [] }
            query.filter(Course.self, \.$updatedAt >= since)
        }
        for version in try await query.all() {
            let content = version.content, id = version.$course.id
            var text = [content.summary, content.description].filter { !$0.isEmpty }.joined(separator: "\n\n")
            if !content.keywords.isEmpty { text += "\n\n" + content.keywords.joined(separator: ", ") + "." }
            let contents = content.modules.map { module in
                module.title + ": " + module.items.map(\.title).joined(separator: ", ") + "."
            }.joined(separator: " ")
            if !contents.isEmpty { text += "\n\n" + contents }
            found[key(id)] = PassageCutter.cut(text).map { piece in
                Passage(document: key(id), source: .course, title: content.title, section: piece.section,
                        text: piece.text, link: "/courses/\(id.uuidString.lowercased())", language: content.language)
            }
        }
        return found
    }
}
