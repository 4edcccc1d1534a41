import Fluent
import Foundation
import Metrics
import Prometheus
import SQLKit
import Vapor

/// What an operator watches: liveness with a real database round trip, Prometheus metrics, the API's description.
enum Operations {
    struct Health: Content {
        var status: String
        var database: String
        var databaseMilliseconds: Double
    }

    @Sendable static func health(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        var healthy = true
        do {
            _ = try await (request.db as! any SQLDatabase).raw("SELECT 1").all()
        } catch {
            healthy = false
            request.logger.error("health check: database unreachable: \(error)")
        }
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        PlatformMetrics.databasePing.recordNanoseconds(Int64(milliseconds * 1_000_000))
        let health = Health(status: healthy ? "ok" : "unavailable", database: request.db.dialectName, databaseMilliseconds: milliseconds)
        return try await health.encodeResponse(status: healthy ? .ok : .serviceUnavailable, for: request)
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
