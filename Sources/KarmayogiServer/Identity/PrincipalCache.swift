import Fluent
import Foundation
import KarmayogiCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import PostgresKit
import SQLKit
import Vapor

/// The signed-in people this node has read lately, so a request does not read the person and their grants again.
///
/// Kept fresh three ways. Whatever changes a person, their roles or any organisation says so (`PeopleChanges`): this
/// node forgets them at once and, on PostgreSQL, every node hears it from a `NOTIFY` sent in the same transaction (so
/// only once it commits). A person forgotten is not kept again for `settle` (a read begun before the change committed
/// may carry the old state). And nothing is kept longer than `lifetime`, the bound on staleness should a notification
/// be missed (a command run beside the server on the same SQLite file). On PostgreSQL nothing is kept while this node
/// is not listening, and it forgets everyone when it starts or stops listening.
final class PrincipalCache: Sendable {
    private struct State {
        var entries: [UUID: (principal: Principal, loadedAt: NIODeadline)] = [:]
        /// Reads that began before these times are not kept (a change to that person may not have committed then).
        var unsettled: [UUID: NIODeadline] = [:]
        var everyoneUnsettledUntil: NIODeadline = .distantPast
        var listening: Bool
    }

    private let state: NIOLockedValueBox<State>
    let lifetime: TimeAmount
    let settle: TimeAmount
    private let capacity: Int
    private let now: @Sendable () -> NIODeadline

    /// `needsListener`: on PostgreSQL, where other nodes may change people, keep nothing until this node listens.
    init(needsListener: Bool, lifetime: TimeAmount = .seconds(30), settle: TimeAmount = .seconds(5), capacity: Int = 100_000,
         now: @escaping @Sendable () -> NIODeadline = { .now() }) {
        state = NIOLockedValueBox(State(listening: !needsListener))
        self.lifetime = lifetime
        self.settle = settle
        self.capacity = capacity
        self.now = now
    }

    /// The person as kept, or read by `load` (and kept when nothing about them changed while it read).
    func principal(_ userID: UUID, load: () async throws -> Principal?) async throws -> Principal? {
        let started = now()
        let kept = state.withLockedValue { state -> Principal? in
            guard let entry = state.entries[userID] else { return nil }
            return started - entry.loadedAt < lifetime ? entry.principal : nil
        }
        if let kept { return kept }
        let loaded = try await load()
        state.withLockedValue { state in
            guard let loaded, state.listening, started > state.everyoneUnsettledUntil, started > state.unsettled[userID] ?? .distantPast else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[userID] = (loaded, started)
        }
        return loaded
    }

    func forget(_ userIDs: some Sequence<UUID>) {
        let until = now() + settle
        state.withLockedValue { state in
            for id in userIDs {
                state.entries[id] = nil
                state.unsettled[id] = until
            }
            if state.unsettled.count > 10_000 {
                let current = now()
                state.unsettled = state.unsettled.filter { $0.value > current }
            }
        }
    }

    func forgetEveryone() { forgetEveryone(until: now() + settle) }

    private func forgetEveryone(until: NIODeadline) {
        state.withLockedValue { state in
            state.entries.removeAll()
            state.unsettled.removeAll()
            state.everyoneUnsettledUntil = until
        }
    }

    /// Whether this node hears other nodes' changes; either way it forgets everyone, and keeps none read before.
    /// (A change that commits after this node began to listen is heard, so nothing needs to settle.)
    func listening(_ listening: Bool) {
        forgetEveryone(until: now())
        state.withLockedValue { $0.listening = listening }
    }

    /// What a notification says: people's ids separated by commas, or `*` for everyone.
    func heard(_ payload: String) {
        if payload == "*" { return forgetEveryone() }
        forget(payload.split(separator: ",").compactMap { UUIDText.parse(String($0)) })
    }

    var count: Int { state.withLockedValue { $0.entries.count } }
}

/// Says that people changed, to this node's `PrincipalCache` and (on PostgreSQL, once the transaction commits) to every
/// other node's. Called by whatever changes a person, their roles, or an organisation (its name, place or path).
enum PeopleChanges {
    static let channel = "karmayogi_people"

    enum Who { case people([UUID]), everyone }

    static func announce(_ who: Who, cache: PrincipalCache, on database: any Database) async throws {
        switch who {
        case .people(let ids): cache.forget(ids)
        case .everyone: cache.forgetEveryone()
        }
        guard let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        let payloads: [String] = switch who {
        case .everyone: ["*"]
        // A notification carries at most 8000 bytes: 200 ids of 37.
        case .people(let ids): stride(from: 0, to: ids.count, by: 200).map { ids[$0..<min($0 + 200, ids.count)].map(\.uuidString).joined(separator: ",") }
        }
        for payload in payloads {
            try await sql.raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
        }
    }
}

extension Database {
    /// Tells every node that these people changed (see `PeopleChanges`).
    func peopleChanged(_ who: PeopleChanges.Who, cache: PrincipalCache) async throws {
        try await PeopleChanges.announce(who, cache: cache, on: self)
    }
}

/// Every save of a person or a role grant through Fluent announces the person.
struct PeopleChangeMiddleware: AnyModelMiddleware {
    let cache: PrincipalCache

    func handle(_ event: ModelEvent, _ model: any AnyModel, on db: any Database, chainingTo next: any AnyModelResponder) -> EventLoopFuture<Void> {
        let who: PeopleChanges.Who?
        switch model {
        case let user as User: who = if case .create = event { nil } else { user.id.map { .people([$0]) } }
        case let grant as RoleGrantRecord: who = .people([grant.$user.id])
        default: who = nil
        }
        guard let who else { return next.handle(event, model, on: db) }
        let cache = cache
        return next.handle(event, model, on: db).flatMap {
            db.eventLoop.makeFutureWithTask { try await db.peopleChanged(who, cache: cache) }
        }
    }
}

extension Application {
    private struct PrincipalCacheKey: StorageKey { typealias Value = PrincipalCache }

    /// Made once by `configure`.
    var principals: PrincipalCache {
        get { storage[PrincipalCacheKey.self]! }
        set { storage[PrincipalCacheKey.self] = newValue }
    }
}

extension Request {
    /// Tells every node that these people changed.
    func peopleChanged(_ who: PeopleChanges.Who, on database: (any Database)? = nil) async throws {
        try await (database ?? db).peopleChanged(who, cache: application.principals)
    }
}
