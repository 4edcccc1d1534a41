import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A one-time link to set a new password, sent to the address on the account. Only its hash is kept.
final class PasswordReset: Model, @unchecked Sendable {
    static let schema = "password_resets"

    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?

    init() {}
}

struct CreatePasswordResets: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PasswordReset.schema)
            .id()
            .field("created_at", .datetime)
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await database.index("password_resets_user", on: PasswordReset.schema, columns: ["user_id", "created_at"])
        // A new password ends the web sessions signed in before it.
        try await database.schema(User.schema).field("password_changed_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(User.schema).deleteField("password_changed_at").update()
        try await database.schema(PasswordReset.schema).delete()
    }
}

enum PasswordResets {
    static let lifetime: TimeInterval = 3600
    /// Links asked for one account within an hour; beyond it nothing more is sent (the answer stays the same).
    static let perHour = 3

    /// Puts a reset link in the outbox when the address belongs to an active account; says nothing either way.
    static func request(email text: String, on request: Request) async throws {
        guard let email = Contact.email(text),
              let user = try await User.query(on: request.db).filter(\.$email == email).first(), user.status == .active
        else { return }
        let now = Date()
        let recent = try await PasswordReset.query(on: request.db).filter(\.$userID == user.id!)
            .filter(\.$createdAt > now.addingTimeInterval(-3600)).count()
        guard recent < perHour else { return }
        let token = SecretToken.make()
        let reset = PasswordReset()
        reset.userID = user.id!
        reset.tokenHash = SecretToken.hash(token)
        reset.expiresAt = now.addingTimeInterval(lifetime)
        let link = "\(request.application.settings.publicURL)/reset-password?token=\(token)"
        let message = OutboxMessage("password-reset", to: user, subject: "Set a new Karmayogi password", body:
            "Namaste \(user.name),\n\nSomeone (we hope you) asked to set a new password for your Karmayogi account. Set it here: \(link)\n\n"
            + "The link works once and for one hour. If you did not ask, ignore this message: your password stays as it is.")
        try await request.db.transaction { database in
            try await reset.create(on: database)
            try await message.create(on: database)
        }
    }

    /// Sets the new password by a valid link (once, within its hour), by the platform's password rules; every refresh
    /// token and access token of the person ends, and so does every web session signed in before.
    static func complete(token: String, password: String, on request: Request) async throws -> User {
        let invalid = Problem.invalid("token", "is unknown, already used or expired; ask for a new link")
        guard let reset = try await PasswordReset.query(on: request.db).filter(\.$tokenHash == SecretToken.hash(token)).first(),
              reset.usedAt == nil, reset.expiresAt > Date(),
              let user = try await User.find(reset.userID, on: request.db), user.status == .active
        else { throw invalid }
        if let problem = PasswordPolicy.platform.problem(with: password) { throw Problem.invalid("password", problem) }
        let hash = try await request.password.async.hash(password)
        let now = Date()
        try await request.db.transaction { database in
            let sql = database as! any SQLDatabase
            // Spend the link first: of two concurrent uses, only one finds it unspent.
            let spent = try await sql.update(PasswordReset.schema).set("used_at", to: SQLBind(now))
                .where("id", .equal, SQLBind(reset.id!)).where("used_at", .is, SQLLiteral.null).returning("id").all()
            guard !spent.isEmpty else { throw invalid }
            try await sql.update(User.schema).set("password_hash", to: SQLBind(hash)).set("password_changed_at", to: SQLBind(now))
                .set("token_version", to: SQLRaw("token_version + 1")).where("id", .equal, SQLBind(user.id!)).run()
            try await request.peopleChanged(.people([user.id!]), on: database)
            try await sql.update(RefreshToken.schema).set("revoked_at", to: SQLBind(now))
                .where("user_id", .equal, SQLBind(user.id!)).where("revoked_at", .is, SQLLiteral.null).run()
        }
        return user
    }
}
