import Fluent
import Foundation
import SQLKit
import Vapor

/// People created many at a time (bulk onboarding, the generator): the Identity room's bulk writer and the reads that
/// check a sheet against the people who exist.
enum BulkPeople {
    /// A person to create, pending until they choose a password with their activation token; their activation
    /// message goes into the outbox in the same transaction.
    struct Pending: Sendable {
        var id: UUID
        var name: String
        var email: String
        var phone: String?
        var employeeId: String?
        var designation: String?
        var stateCode: Int?
        var districtCode: Int?
        var language: String
        var activationTokenHash: String
        var message: (subject: String, body: String)
    }

    struct Existing: Decodable, Sendable {
        var email: String
        var organisation_id: UUID
        var bulk_upload_id: UUID?
    }

    /// Who already has one of these e-mail addresses.
    static func existing(emails: [String], on sql: any SQLDatabase) async throws -> [String: Existing] {
        guard !emails.isEmpty else { return [:] }
        let rows = try await sql.select().columns("email", "organisation_id", "bulk_upload_id").from(User.schema)
            .where("email", .in, SQLBind.group(emails)).all(decoding: Existing.self)
        return Dictionary(rows.map { ($0.email, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Which of these employee ids are taken in the organisation.
    static func takenEmployeeIds(_ ids: [String], in organisationID: UUID, on sql: any SQLDatabase) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        struct Taken: Decodable { var employee_id: String }
        return Set(try await sql.select().column("employee_id").from(User.schema).where("organisation_id", .equal, SQLBind(organisationID))
            .where("employee_id", .in, SQLBind.group(ids)).all(decoding: Taken.self).map(\.employee_id))
    }

    /// Creates the people (two statements: the people, their messages), in the caller's transaction.
    static func create(_ people: [Pending], in organisationID: UUID, upload: UUID?, activationExpiry: Date, at now: Date,
                       on sql: any SQLDatabase) async throws {
        guard !people.isEmpty else { return }
        var users = sql.insert(into: User.schema).columns("id", "organisation_id", "bulk_upload_id", "name", "email", "phone", "employee_id",
                                                           "designation", "state_code", "district_code", "language", "status",
                                                           "activation_token_hash", "activation_expires_at", "created_at", "updated_at")
        var messages = sql.insert(into: OutboxMessage.schema).columns("id", "kind", "recipient", "user_id", "subject", "body", "created_at")
        for person in people {
            users = users.values(SQLBind(person.id), SQLBind(organisationID), SQLBind(upload), SQLBind(person.name), SQLBind(person.email),
                                 SQLBind(person.phone), SQLBind(person.employeeId), SQLBind(person.designation), SQLBind(person.stateCode),
                                 SQLBind(person.districtCode), SQLBind(person.language), SQLBind(User.Status.pending.rawValue),
                                 SQLBind(person.activationTokenHash), SQLBind(activationExpiry), SQLBind(now), SQLBind(now))
            messages = messages.values(SQLBind(UUID()), SQLBind("activation"), SQLBind(person.email), SQLBind(person.id),
                                       SQLBind(person.message.subject), SQLBind(person.message.body), SQLBind(now))
        }
        try await users.run()
        try await messages.run()
    }
}
