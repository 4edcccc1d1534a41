import Foundation
import KarmayogiCore
import Vapor

/// Everything the server reads from its environment, with defaults that are safe for a first run.
public struct Settings: Sendable {
    /// `postgres://user:password@host:port/database`; without it, the embedded SQLite file.
    public var databaseURL: String?
    /// Postgres schema to work in (tests use one each); `nil` means the server's default.
    public var databaseSchema: String?
    public var sqlitePath: String
    public var host: String
    public var port: Int
    /// HMAC secret for access tokens; by default one is made on first run and kept in the database.
    public var jwtSecret: String?
    public var accessTokenLifetime: TimeInterval
    public var refreshTokenLifetime: TimeInterval
    public var activationLifetime: TimeInterval
    public var maxBodySize: ByteCount
    /// How long `/health` reports a database fault that a request met, after the last one (the fault itself may be
    /// one the probe does not meet, such as a disk too full for new rows but not for the probe's).
    public var healthFaultWindow: TimeInterval
    public var bulkUploadMaxBytes: Int
    /// Where uploaded course files are kept, and how large one may be.
    public var contentDirectory: String
    public var contentMaxBytes: Int
    /// The origin package content is served from (`PACKAGE_ORIGIN`), apart from the portal's; nil: the server's other loopback name.
    public var packageOrigin: String?
    /// bcrypt work factor for passwords (12 in service; tests lower it to stay fast).
    public var bcryptCost: Int
    /// PostgreSQL connections each event loop may hold (`DATABASE_POOL_PER_LOOP`; 8, and 3 in tests, where hundreds of
    /// servers share one PostgreSQL).
    public var postgresConnectionsPerEventLoop: Int
    /// Whether an empty database gets a demo world (development only).
    public var seedDemoWorld: Bool
    /// Session cookies carry `Secure` (on behind HTTPS; off for http://localhost in development).
    public var secureCookies: Bool
    /// The address people reach the platform at, for links in messages and certificates: `PUBLIC_URL`, else where
    /// `serve` really listens (its flags, `HOST`/`PORT`).
    public var publicURL: String
    /// The Ed25519 key certificates are signed with (base64 of its 32 bytes); made and kept in the database when not given.
    public var credentialKey: String?
    /// The operator's own proxies (`TRUSTED_PROXIES`, addresses or CIDR networks, comma-separated): only behind them
    /// is `X-Forwarded-For` read, to tell which address a request came from.
    public var trustedProxies: [AddressRange]
    /// Entries of `TRUSTED_PROXIES` that are no address or network; the server refuses to start with any.
    public var unreadableTrustedProxies: [String]
    /// How long a node's claim on a background job holds without being renewed (`JOB_LEASE_SECONDS`, 30): when a node
    /// dies, its jobs wait this long before another node takes them over. It renews every third of it.
    public var jobLeaseSeconds: TimeInterval
    /// How often each node looks for jobs nobody holds (`JOB_POLL_SECONDS`, 2); new jobs are also announced at once.
    public var jobPollSeconds: TimeInterval
    /// Whether this node takes its turn at scheduled work (`SCHEDULED_WORK`, on; off in tests, which run it by hand):
    /// deciding event attendance after the end, moving campaigns by their dates.
    public var scheduledWork: Bool
    /// How long a read or a repeatable write waits out a lost database connection (a failover) before it is answered
    /// 503 (`DATABASE_RETRY_SECONDS`, 15; PostgreSQL only).
    public var failoverRetrySeconds: TimeInterval
    /// How long a group of hot writes (learners' progress, QR check-ins) waits for the database to answer its
    /// transaction before each write is answered 503 and the writes behind it go on (`DATABASE_WRITE_WAIT_SECONDS`, 5;
    /// 60 in tests, whose machine runs hundreds of databases at once). The writes carry keys: sending them again is safe.
    public var groupWriteWaitSeconds: TimeInterval
    /// On SQLite, how long a transaction waits for its turn at the one writer before it is answered 503
    /// (`SQLITE_TURN_SECONDS`, 30; 120 in tests, whose machine runs hundreds of databases at once).
    public var sqliteTurnSeconds: TimeInterval
    /// The embedding sidecar's address (`EMBEDDINGS_URL`, e.g. http://127.0.0.1:8190; off when unset): the assistant
    /// then ranks by meaning as well as by words. A loopback address only; the server refuses to start with another.
    public var embeddingsURL: String?
    /// How long a question waits for its sentence vector before it is ranked by words alone
    /// (`EMBEDDINGS_TIMEOUT_SECONDS`, 1; 30 in tests, whose machine runs hundreds of servers at once).
    public var embeddingsTimeout: TimeInterval

    public init(environment: Environment, variables: [String: String] = ProcessInfo.processInfo.environment) {
        databaseURL = variables["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        databaseSchema = variables["DATABASE_SCHEMA"]
        sqlitePath = variables["SQLITE_PATH"] ?? "karmayogi.sqlite"
        let listening = ListenAddress(arguments: environment.arguments, variables: variables)
        host = listening.host
        port = listening.port
        jwtSecret = variables["JWT_SECRET"]
        accessTokenLifetime = variables["ACCESS_TOKEN_SECONDS"].flatMap(TimeInterval.init) ?? 15 * 60
        refreshTokenLifetime = 30 * 24 * 3600
        activationLifetime = 14 * 24 * 3600
        maxBodySize = "1mb"
        healthFaultWindow = 15
        bulkUploadMaxBytes = 64 * 1024 * 1024
        bcryptCost = environment == .testing ? 4 : 12
        postgresConnectionsPerEventLoop = variables["DATABASE_POOL_PER_LOOP"].flatMap(Int.init).map { min(max($0, 1), 64) } ?? (environment == .testing ? 3 : 8)
        contentDirectory = variables["CONTENT_DIR"] ?? "content-store"
        contentMaxBytes = variables["CONTENT_MAX_MB"].flatMap(Int.init).map { $0 * 1_048_576 } ?? 100 * 1_048_576
        packageOrigin = variables["PACKAGE_ORIGIN"].map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }.flatMap { $0.isEmpty ? nil : $0 }
        seedDemoWorld = environment == .development && variables["DEMO_WORLD"] != "0"
        secureCookies = environment == .production && variables["INSECURE_COOKIES"] != "1"
        var given = variables["PUBLIC_URL"] ?? ""
        while given.hasSuffix("/") { given.removeLast() }
        publicURL = given.isEmpty ? listening.url : given
        credentialKey = variables["CREDENTIAL_KEY"]
        let proxies = (variables["TRUSTED_PROXIES"] ?? "").split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        trustedProxies = proxies.compactMap(AddressRange.init)
        unreadableTrustedProxies = proxies.filter { AddressRange($0) == nil }
        jobLeaseSeconds = variables["JOB_LEASE_SECONDS"].flatMap(TimeInterval.init).map { min(max($0, 1), 3600) } ?? 30
        failoverRetrySeconds = variables["DATABASE_RETRY_SECONDS"].flatMap(TimeInterval.init).map { min(max($0, 0), 120) } ?? 15
        groupWriteWaitSeconds = variables["DATABASE_WRITE_WAIT_SECONDS"].flatMap(TimeInterval.init).map { min(max($0, 0.5), 120) } ?? (environment == .testing ? 60 : 5)
        sqliteTurnSeconds = variables["SQLITE_TURN_SECONDS"].flatMap(TimeInterval.init).map { min(max($0, 1), 600) } ?? (environment == .testing ? 120 : 30)
        jobPollSeconds = variables["JOB_POLL_SECONDS"].flatMap(TimeInterval.init).map { min(max($0, 0.1), 60) } ?? 2
        embeddingsURL = variables["EMBEDDINGS_URL"].flatMap { $0.isEmpty ? nil : $0 }
        embeddingsTimeout = variables["EMBEDDINGS_TIMEOUT_SECONDS"].flatMap(TimeInterval.init).map { min(max($0, 0.05), 120) } ?? (environment == .testing ? 30 : 1)
        scheduledWork = variables["SCHEDULED_WORK"].map { !["0", "false", "off", "no"].contains($0.lowercased()) } ?? (environment != .testing)
    }
}

extension Application {
    private struct SettingsKey: StorageKey { typealias Value = Settings }

    public var settings: Settings {
        get { storage[SettingsKey.self] ?? Settings(environment: environment) }
        set { storage[SettingsKey.self] = newValue }
    }
}

extension Request {
    /// The address this request came from, seen through the operator's trusted proxies (see `ClientAddress`).
    var clientAddress: String {
        ClientAddress.resolve(peer: remoteAddress?.ipAddress, forwardedFor: headers[.xForwardedFor], trusted: application.settings.trustedProxies)
    }
}
