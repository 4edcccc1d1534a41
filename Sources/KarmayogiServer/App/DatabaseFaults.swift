import Fluent
import Foundation
import NIOConcurrencyHelpers
import PostgresNIO
import SQLKit
import SQLiteNIO
import Vapor

/// When the database cannot be written — a full disk, a read-only file or server, a lost connection — a request is
/// answered 503 with `Retry-After` (its transaction rolled back, nothing half-written), and `/health` says `degraded`
/// with the reason until the fault has cleared. Nothing is cached as broken: every request tries the database again,
/// so the server recovers by itself.
enum DatabaseFault {
    /// Seconds a client is asked to wait before trying again.
    static let retryAfter = 10

    /// Why the database could not do its work, when the error is one of its faults rather than a fault of the request.
    static func reason(of error: any Error) -> String? {
        switch error {
        case let sqlite as SQLiteError:
            return reason(of: sqlite)
        case let postgres as PSQLError:
            return reason(of: postgres)
        case is ConnectionPoolTimeoutError:
            return "no database connection became free in time"
        default:
            return nil
        }
    }

    private static func reason(of error: SQLiteError) -> String? {
        let described = String(describing: error.reason)
        if error.reason == .full { return "the database's disk is full" }
        if described.hasPrefix("readOnly") || described.hasPrefix("readonly") || error.reason == .permission {
            return "the database file cannot be written (read-only)"
        }
        if described.hasPrefix("ioError") || error.reason == .cantOpen || error.reason == .notADatabase || error.reason == .corrupt {
            return "the database file cannot be read or written (\(described))"
        }
        return nil
    }

    private static func reason(of error: PSQLError) -> String? {
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            return "the connection to the database was lost"
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            switch state {
            case "25006": return "the database is read-only"
            case "42501": return "the database refuses this server's writes (privileges)"
            case "53100": return "the database's disk is full"
            default: break
            }
            // Connection exceptions, insufficient resources, operator intervention, system errors.
            if ["08", "53", "57", "58"].contains(String(state.prefix(2))) {
                return "the database is unavailable (\(state))"
            }
            return nil
        default:
            return nil
        }
    }

    /// Whether the fault is one a database failover causes and ends by itself: the connection to the old primary lost,
    /// the server shutting down or not yet accepting, or a primary just demoted to read-only. Nothing was written.
    static func passes(_ error: any Error) -> Bool {
        guard let postgres = error as? PSQLError else { return false }
        switch postgres.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown: return true
        case .server:
            let state = postgres.serverInfo?[.sqlState] ?? ""
            return state == "25006" || state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
        default: return false
        }
    }

    static func problem(_ reason: String) -> Problem {
        var problem = Problem(.serviceUnavailable, "The platform cannot reach or write its database just now (\(reason)); nothing was changed. Try again shortly.",
                              type: "urn:karmayogi:database-unavailable")
        problem.retryAfter = retryAfter
        return problem
    }
}

/// The last database fault this process met, for `/health`: a node reports what it saw itself.
final class DatabaseFaultLog: Sendable {
    struct Fault: Sendable {
        var at: Date
        var reason: String
    }

    private let last = NIOLockedValueBox<Fault?>(nil)

    func record(_ reason: String, at date: Date = Date()) {
        last.withLockedValue { $0 = Fault(at: date, reason: reason) }
    }

    /// The fault seen within `window`, if any.
    func recent(within window: TimeInterval, now: Date = Date()) -> Fault? {
        last.withLockedValue { fault in
            guard let fault, now.timeIntervalSince(fault.at) <= window else { return nil }
            return fault
        }
    }
}

/// One row per app node, written by every health check: a write that must go through for the node to call itself well.
enum HealthProbe {
    static let table = "health_probes"
    /// This process, among the nodes that share the database.
    static let node = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"

    static func write(on database: any Database, now: Date = Date()) async throws {
        try await (database as! any SQLDatabase).raw("""
            INSERT INTO \(ident: table) (\(ident: "node"), \(ident: "checked_at")) VALUES (\(bind: node), \(bind: now.timeIntervalSince1970))
            ON CONFLICT (\(ident: "node")) DO UPDATE SET \(ident: "checked_at") = \(bind: now.timeIntervalSince1970)
            """).run()
    }
}

/// The probe's table, as it was first written.
struct CreateHealthProbes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("health_probes")
            .field("node", .string, .identifier(auto: false))
            .field("checked_at", .double, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("health_probes").delete()
    }
}

extension Application {
    private struct FaultLogKey: StorageKey { typealias Value = DatabaseFaultLog }

    var databaseFaults: DatabaseFaultLog {
        get { storage[FaultLogKey.self]! }
        set { storage[FaultLogKey.self] = newValue }
    }
}

/// Rides out a database failover for requests that are safe to run again: reads, and writes that say so because a
/// second run finds the first (progress carries a key per update; an enrolment is made once per person and course).
/// Such a request that meets a passing fault is run again after a growing wait, within a budget of seconds; past it,
/// or for any other request, the fault is answered 503 with `Retry-After`, never with a wrong answer.
struct FailoverRetry: AsyncMiddleware {
    static let repeatable = "repeatable"
    var budget: TimeInterval

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard budget > 0, request.method == .GET || request.method == .HEAD || request.route?.userInfo[Self.repeatable] as? Bool == true else {
            return try await next.respond(to: request)
        }
        let deadline = Date().addingTimeInterval(budget)
        var wait = 0.2
        while true {
            do {
                return try await next.respond(to: request)
            } catch where DatabaseFault.passes(error) && Date().addingTimeInterval(wait) < deadline {
                request.logger.info("database failover? \(request.method) \(request.url.path) runs again in \(wait) s (\(DatabaseFault.reason(of: error) ?? "\(error)"))")
                try await Task.sleep(for: .milliseconds(Int(wait * 1000)))
                wait = min(wait * 2, 2)
            }
        }
    }
}

extension Route {
    /// Marks a write that is safe to run again after a lost connection (see `FailoverRetry`).
    @discardableResult
    func repeatable() -> Route {
        userInfo[FailoverRetry.repeatable] = true
        return self
    }
}
