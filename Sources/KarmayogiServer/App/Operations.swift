import Fluent
import Foundation
import Metrics
import Prometheus
import SQLKit
import Vapor

/// What an operator watches: liveness with a real database round trip, Prometheus metrics, the API's description.
enum Operations {
    struct Health: Content {
        /// `ok`; `degraded` when writes fail or failed within the last seconds; `unavailable` when the database does not answer.
        var status: String
        var database: String
        var databaseMilliseconds: Double
        var reason: String?
    }

    /// A read and a write of this node's probe row: a database that answers but cannot be written is not healthy.
    @Sendable static func health(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        var status = "ok"
        var reason: String?
        do {
            _ = try await (request.db as! any SQLDatabase).raw("SELECT 1").all()
            do {
                try await HealthProbe.write(on: request.db)
            } catch {
                status = "degraded"
                reason = DatabaseFault.reason(of: error) ?? "a write to the database failed"
                request.application.databaseFaults.record(reason!)
                request.logger.error("health check: the probe write failed: \(error)")
            }
        } catch {
            status = "unavailable"
            reason = DatabaseFault.reason(of: error) ?? "the database does not answer"
            request.logger.error("health check: database unreachable: \(error)")
        }
        if status == "ok", let fault = request.application.databaseFaults.recent(within: request.application.settings.healthFaultWindow) {
            status = "degraded"
            reason = "\(fault.reason), \(Int(Date().timeIntervalSince(fault.at).rounded())) seconds ago"
        }
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        PlatformMetrics.databasePing.recordNanoseconds(Int64(milliseconds * 1_000_000))
        let health = Health(status: status, database: request.db.dialectName, databaseMilliseconds: milliseconds, reason: reason)
        let response = try await health.encodeResponse(status: status == "ok" ? .ok : .serviceUnavailable, for: request)
        if status != "ok" { response.headers.replaceOrAdd(name: .retryAfter, value: String(DatabaseFault.retryAfter)) }
        return response
    }

    @Sendable static func metrics(_ request: Request) async throws -> Response {
        var buffer: [UInt8] = []
        PlatformMetrics.registry.emit(into: &buffer)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return Response(status: .ok, headers: headers, body: .init(data: Data(buffer)))
    }

    static let openAPIDocument: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources"),
              let data = try? Data(contentsOf: url)
        else { fatalError("the bundled Resources/openapi.json is missing") }
        return data
    }()

    @Sendable static func openAPI(_ request: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: openAPIDocument))
    }
}

/// One Prometheus registry for the process; Vapor reports requests, latencies and errors into it.
enum PlatformMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func bootstrap() { _ = registry }

    /// A database round trip, including the wait for a pooled connection: it rises when the pool is saturated.
    static let databasePing = Metrics.Timer(label: "karmayogi_db_ping_seconds", preferredDisplayUnit: .seconds)
    /// How many database connections the pool may open (SQLite: one writer-serialised connection per event loop).
    static let poolCapacity = Gauge(label: "karmayogi_db_pool_max_connections")
    static let onboardedUsers = Counter(label: "karmayogi_onboarded_users_total")
}
