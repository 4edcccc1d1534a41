import Fluent
import Foundation
import Vapor

extension DemoWorld {
    /// The assistant's starter documents (how the platform works, in English and Hindi), added by the national admin.
    static func addAssistantDocuments(_ app: Application) async throws {
        guard let adminID = try await Users.ids(ofEmails: ["admin@karmayogi.example.org"], on: app.db)["admin@karmayogi.example.org"],
              let admin = try await Principal.load(userID: adminID, on: app.db)
        else { return }
        for document in try AssistantDocuments.starter() {
            _ = try await AssistantDocuments.save(document, to: nil, by: admin, now: app.clock.now(), on: app.db)
        }
    }
}
