import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A deactivation or reactivation, with who did it, when and why: a person's status never changes unrecorded.
final class UserStatusChange: Model, @unchecked Sendable {
    static let schema = "user_status_changes"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    // reference fields
    @Field(key: "user_id") var userID: UUID
    @Field(key: "changed_by") var changedBy: UUID

    // data fields
    @Field(key: "status") var status: User.Status
    @Field(key: "reason") var reason: String

    init() {}
}

struct CreateUserStatusChanges: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UserStatusChange.schema)
            .id()
            .field("created_at", .datetime)
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("changed_by", .uuid, .required, .references(User.schema, "id"))
            .field("status", .string, .required)
            .field("reason", .string, .required)
            .create()
        try await database.index("user_status_changes_user", on: UserStatusChange.schema, columns: ["user_id", "created_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UserStatusChange.schema).delete()
    }
}

struct StatusInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case status, reason }
    var status: User.Status
    var reason: String
}

struct StatusChangeDTO: Content {
    var status: User.Status
    var reason: String
    var changedBy: String
    var changedAt: Date?
}

extension Users {
    /// A person the principal may manage (change, deactivate); anyone else answers as if they did not exist.
    static func manageable(_ id: UUID, by principal: Principal, on database: any Database) async throws -> (User, Organisation) {
        let (user, organisation) = try await visible(id, to: principal, on: database)
        guard principal.access.allows(.manageUsers, on: placement(of: user, in: organisation)) else { throw Problem.notFound("user") }
        return (user, organisation)
    }

    /// Deactivates (`disabled`) or reactivates (`active`) a person with a reason, recorded. Reactivating someone who never
    /// chose a password puts them back to waiting for activation. Deactivating ends their refresh tokens (a
    /// deactivated person has no principal, so their sessions and access tokens already stop working).
    static func changeStatus(_ id: UUID, to status: User.Status, reason text: String, by principal: Principal,
                             on database: any Database) async throws -> User {
        let (user, _) = try await manageable(id, by: principal, on: database)
        let reason = text.trimmed
        var errors: [FieldError] = []
        if reason.isEmpty { errors.append(.init("reason", "is required: say why, for the record")) }
        else if reason.count > 500 { errors.append(.init("reason", "must be at most 500 characters")) }
        switch status {
        case .pending: errors.append(.init("status", "must be active or disabled"))
        case .disabled where user.status == .disabled: errors.append(.init("status", "the account is already deactivated"))
        case .active where user.status != .disabled: errors.append(.init("status", "the account is not deactivated"))
        default: break
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        if status == .disabled {
            let held = try await Principal.grants(of: [id], on: database)[id, default: []].compactMap(\.grant)
            if let refusal = RoleChange.mayDisable(holding: held, by: principal.access, onSelf: id == principal.userID) {
                throw Problem(.forbidden, "This account may not be deactivated by you: \(refusal.reason).", errors: [refusal])
            }
        }
        user.status = status == .active && user.passwordHash == nil ? .pending : status
        let change = UserStatusChange()
        change.userID = id
        change.changedBy = principal.userID
        change.status = status
        change.reason = reason
        try await database.transaction { database in
            try await user.save(on: database)
            try await change.create(on: database)
            if status == .disabled {
                try await (database as! any SQLDatabase).update(RefreshToken.schema).set("revoked_at", to: SQLBind(Date()))
                    .where("user_id", .equal, SQLBind(id)).where("revoked_at", .is, SQLLiteral.null).run()
            }
        }
        return user
    }

    /// The status changes of a person, newest first, with who made them.
    static func statusHistory(of id: UUID, on database: any Database) async throws -> [StatusChangeDTO] {
        let changes = try await UserStatusChange.query(on: database).filter(\.$userID == id).sort(\.$createdAt, .descending).limit(50).all()
        let names = try await named(changes.map(\.changedBy), on: database)
        return changes.map { StatusChangeDTO(status: $0.status, reason: $0.reason, changedBy: names[$0.changedBy]?.name ?? "", changedAt: $0.createdAt) }
    }

    /// A new activation link for someone still waiting to activate (the old link stops working), put in the outbox.
    static func resendActivation(_ id: UUID, by principal: Principal, request: Request) async throws -> User {
        let (user, organisation) = try await manageable(id, by: principal, on: request.db)
        guard user.status == .pending else {
            throw Problem.invalid("status", user.status == .active ? "the person has already activated their account" : "the account is deactivated; reactivate it first")
        }
        let token = SecretToken.make()
        user.activationTokenHash = SecretToken.hash(token)
        user.activationExpiresAt = Date().addingTimeInterval(request.application.settings.activationLifetime)
        let message = ActivationMessage(user: user, organisationName: organisation.name, token: token, publicURL: request.application.settings.publicURL).record()
        try await request.db.transaction { database in
            try await user.save(on: database)
            try await message.create(on: database)
        }
        return user
    }
}

struct StatusController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("users", ":id", "status", use: Self.history)
        routes.post("users", ":id", "status", use: Self.change)
        routes.post("users", ":id", "activation", use: Self.resend)
    }

    @Sendable static func history(_ request: Request) async throws -> [StatusChangeDTO] {
        let (user, _) = try await Users.manageable(try request.id(of: "user"), by: try request.principal(), on: request.db)
        return try await Users.statusHistory(of: user.id!, on: request.db)
    }

    @Sendable static func change(_ request: Request) async throws -> UserDTO {
        let input = try request.decodeStrict(StatusInput.self)
        let user = try await Users.changeStatus(try request.id(of: "user"), to: input.status, reason: input.reason, by: try request.principal(), on: request.db)
        return try await Users.dto(user, on: request.db)
    }

    @Sendable static func resend(_ request: Request) async throws -> Response {
        let user = try await Users.resendActivation(try request.id(of: "user"), by: try request.principal(), request: request)
        return try await Users.dto(user, on: request.db).encodeResponse(status: .accepted, for: request)
    }
}
