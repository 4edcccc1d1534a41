import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import JWT
import SQLKit
import Vapor

/// Builds the whole application from its settings: database, migrations, keys, middleware, routes.
/// The server, the commands and the tests all start here.
public func configure(_ app: Application, settings: Settings? = nil) async throws {
    let settings = settings ?? Settings(environment: app.environment)
    app.settings = settings
    if !settings.unreadableTrustedProxies.isEmpty {
        throw Problem(.internalServerError, "TRUSTED_PROXIES: \(settings.unreadableTrustedProxies.joined(separator: ", ")) is no address or CIDR network (e.g. 10.0.0.0/8)")
    }
    // The process's shared services, made once here rather than on first use by concurrent requests.
    app.jobs = JobRunner(lease: settings.jobLeaseSeconds, poll: settings.jobPollSeconds)
    OnboardingJobs.register(on: app)
    EventSettling.register(on: app)
    CampaignStages.register(on: app)
    ProgrammeCompletions.register(on: app)
    app.catalogueSearch = CatalogueSearch()
    app.assistantKnowledge = AssistantKnowledge()
    if let url = settings.embeddingsURL {
        if let problem = EmbeddingSidecar.problem(with: url) { throw Problem(.internalServerError, "EMBEDDINGS_URL=\(url): \(problem)") }
        app.embeddingSidecar = EmbeddingSidecar(url: url, questionTimeout: settings.embeddingsTimeout)
    }
    app.campaignScopes = CampaignScopeCache()
    app.databaseFaults = DatabaseFaultLog()
    app.publishedContents = PublishedContents()
    app.http.server.configuration.hostname = settings.host
    app.http.server.configuration.port = settings.port
    // HTML, CSS, JS, JSON and CSV go out compressed to a client that accepts it; images, video and archives as they are.
    app.http.server.configuration.responseCompression = .enabled(initialByteBufferCapacity: 4096, disallowedTypes: .incompressible)
    app.routes.defaultMaxBodySize = settings.maxBodySize
    ContentConfiguration.global.use(decoder: CheckedFormDataDecoder(), for: .formData)

    try configureDatabase(app, settings: settings)
    app.principals = PrincipalCache(needsListener: settings.databaseURL != nil)
    app.databases.middleware.use(PeopleChangeMiddleware(cache: app.principals))
    app.databases.middleware.use(OrganisationChangeMiddleware(cache: app.principals))
    if let configuration = try postgresConfiguration(settings) {
        let (principals, jobs) = (app.principals, app.jobs)
        let listener = ClusterListener()
        listener.start(configuration: configuration.coreConfiguration, channels: [
            .init(name: PeopleChanges.channel, heard: { principals.heard($0) }, listening: { principals.listening($0) }),
            .init(name: Jobs.channel, heard: { _ in jobs.wake() }),
        ], eventLoop: app.eventLoopGroup.any(), logger: app.logger)
        app.lifecycle.use(listener)
    }
    app.progressCommits = GroupCommit(app: app)
    app.enrolCommits = GroupCommit(app: app)
    app.scanCommits = GroupCommit(app: app)
    app.activeDays = KnownActiveDays()
    let sql = app.db as! any SQLDatabase
    if let schema = settings.databaseSchema, settings.databaseURL != nil {
        try await sql.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
    }
    if settings.databaseURL == nil {
        // (":memory:" is a temporary file to SQLiteKit, so the tests run in the same mode.) Readers do not wait for the
        // writer, and a commit is one append to the log. The mode stays with the file.
        do {
            try await sql.raw("PRAGMA journal_mode=WAL").run()
        } catch where DatabaseFault.reason(of: error) != nil {
            throw Problem(.serviceUnavailable, "SQLITE_PATH=\(settings.sqlitePath): \(DatabaseFault.reason(of: error)!) — the file and its folder must be writable (SQLite keeps its log and index beside the file)")
        }
        // Each event loop holds one connection; give each a page cache that holds the hot parts of the
        // indexes (bulk onboarding inserts into six of them); in WAL mode sync at checkpoints only, and checkpoint
        // every 40 MB of log rather than 4 MB, so hot index pages are copied back less often; read the file's first
        // 2 GB (SQLite's most) through memory instead of a system call per page (reports read millions of rows).
        try await app.sqlitePragmas(["cache_size = -65536", "synchronous = NORMAL", "wal_autocheckpoint = 10000", "mmap_size = 2147418112"])
        try await app.sqlitePragmas(["cache_size = -65536", "mmap_size = 2147418112", "query_only = 1"], on: .sqliteReads)
    }
    app.migrations.add(CreateGeography())
    app.migrations.add(CreateOrganisations())
    app.migrations.add(CreateIdentity())
    app.migrations.add(CreateBulkUploads())
    app.migrations.add(CreateCompetencies())
    app.migrations.add(CreateCourses())
    app.migrations.add(CreateRatings())
    app.migrations.add(CreateContentFiles())
    app.migrations.add(IndexCourseChanges())
    app.migrations.add(CreateLearning())
    app.migrations.add(CreateCertificates())
    app.migrations.add(CreateAssessmentAttempts())
    app.migrations.add(CreatePlans())
    app.migrations.add(CreateRollups())
    app.migrations.add(CreateReportGrants())
    app.migrations.add(CreateKPIs())
    app.migrations.add(SessionRecord.migration)
    app.migrations.add(RekeyRollups())
    app.migrations.add(HardenSignIn())
    app.migrations.add(NumberAssessmentAttempts())
    app.migrations.add(CreateHealthProbes())
    app.migrations.add(CreatePasswordResets())
    app.migrations.add(CreateRatingReports())
    app.migrations.add(LocaliseUploadErrors())
    app.migrations.add(CreateUserStatusChanges())
    app.migrations.add(RecordKPIPeriods())
    app.migrations.add(CreateReviewComments())
    app.migrations.add(CreateCapacityBuildingUnits())
    app.migrations.add(ComputeCBUFormed())
    app.migrations.add(IndexDistrictPeople())
    app.migrations.add(CreateJobs())
    app.migrations.add(CreateCampaigns())
    app.migrations.add(CreateEvents())
    app.migrations.add(AllowEventCertificates())
    app.migrations.add(CreateProgrammes())
    app.migrations.add(CreateProgrammeSessions())
    app.migrations.add(AllowBatchCertificates())
    app.migrations.add(TrackProgrammeCompletion())
    app.migrations.add(CreateCascades())
    app.migrations.add(AllowJourneyCertificates())
    app.migrations.add(CreateJourneys())
    app.migrations.add(IndexCascadeBatchesByTrainer())
    app.migrations.add(CreateCaseStudies())
    app.migrations.add(CreateAccreditation())
    app.migrations.add(CreateQualifications())
    app.migrations.add(CreateStatePartnerships())
    app.migrations.add(AddStateKPIs())
    app.migrations.add(CreateSurveys())
    app.migrations.add(AllowQualificationCertificates())
    app.migrations.add(RecordQualificationCertificates())
    app.migrations.add(CreateNSQFAlignments())
    app.migrations.add(CreateContentPackages())
    app.migrations.add(CreateScormAttempts())
    app.migrations.add(CreateLearningRecordStore())
    app.migrations.add(CreateLTITools())
    app.migrations.add(IndexStatementFilters())
    app.migrations.add(CreateAssistant())
    app.migrations.add(CreateAssistantEmbeddings())
    try await app.autoMigrate()

    // An HMAC-SHA256 key shorter than its hash is weak, and the JWT library stops the process on one: refused here, named.
    if let secret = settings.jwtSecret, secret.utf8.count < 32 {
        throw Problem(.internalServerError, "JWT_SECRET: at least 32 bytes (it has \(secret.utf8.count)); leave it out to have one made and kept in the database")
    }
    var secret = settings.jwtSecret
    if secret == nil {
        secret = try await ServerKeys.value(named: "access-token-hmac", on: app.db) { SecretToken.make() + SecretToken.make() }
    }
    await app.jwt.keys.add(hmac: HMACKey(from: secret!), digestAlgorithm: .sha256)
    app.credentialKeys = try await CredentialKeys.load(settings: settings, on: app.db)
    app.ltiKeys = try await LTIKeys.load(on: app.db)
    app.passwords.use(.bcrypt(cost: settings.bcryptCost))
    app.decoyPasswordHash = try Bcrypt.hash("decoy password that matches nobody", cost: settings.bcryptCost)

    app.sessions.use(.fluent)
    app.sessions.configuration.cookieName = "karmayogi-session"
    app.sessions.configuration.cookieFactory = { sessionID in
        .init(string: sessionID.string, expires: Date().addingTimeInterval(12 * 3600), maxAge: nil, path: "/",
              isSecure: settings.secureCookies, isHTTPOnly: true, sameSite: .lax)
    }

    app.middleware = Middlewares()
    app.middleware.use(ProblemMiddleware())
    app.middleware.use(FailoverRetry(budget: settings.databaseURL == nil ? 0 : settings.failoverRetrySeconds))
    app.lifecycle.use(OnboardingLifecycle())
    app.lifecycle.use(JobsLifecycle())
    app.lifecycle.use(AssistantLifecycle())
    PlatformMetrics.bootstrap()
    PlatformMetrics.poolCapacity.record(app.eventLoopCount * (settings.databaseURL == nil ? 1 : settings.postgresConnectionsPerEventLoop))
    try routes(app)

    if settings.seedDemoWorld, app.isServing {
        try await DemoWorld.seedIfEmpty(app)
    }
}

private func configureDatabase(_ app: Application, settings: Settings) throws {
    if let url = settings.databaseURL {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw Problem(.internalServerError, "DATABASE_URL must start with postgres:// (or be unset for the embedded SQLite file)")
        }
        let configuration = try postgresConfiguration(settings)!
        app.databases.use(.postgres(configuration: configuration, maxConnectionsPerEventLoop: settings.postgresConnectionsPerEventLoop, connectionPoolTimeout: .seconds(30)), as: .psql)
    } else {
        let configuration: SQLiteConfiguration = settings.sqlitePath == ":memory:"
            ? .memory : .file(settings.sqlitePath)
        // Every SQLite statement runs on a thread of the application's pool, and a connection waiting for the write
        // lock holds its thread: with a pool of its own, larger than its connections, the writer holding the lock
        // always has a thread to finish on (the shared pool has as many threads as cores, bcrypt runs there too).
        // Each event loop also has a second connection that only reads (`Request.reads`): a reader in WAL mode sees what is
        // committed without waiting for the writer, so a dashboard is not queued behind the loop's write transactions.
        app.threadPool = NIOThreadPool(numberOfThreads: 2 * app.eventLoopCount + 4)
        // A transaction waits this long for its turn, and a statement as long for a connection, before a 503.
        let turn = Duration.seconds(settings.sqliteTurnSeconds), poolWait = TimeAmount.seconds(Int64(settings.sqliteTurnSeconds))
        let sqlite = DatabaseConfigurationFactory.sqlite(configuration, connectionPoolTimeout: poolWait)
        app.databases.use(DatabaseConfigurationFactory { SerialisedSQLiteWrites(base: sqlite.make(), turnTimeout: turn) }, as: .sqlite)
        let reads = DatabaseConfigurationFactory.sqlite(configuration, connectionPoolTimeout: poolWait)
        app.databases.use(DatabaseConfigurationFactory { SerialisedSQLiteWrites(base: reads.make(), turnTimeout: turn) }, as: .sqliteReads, isDefault: false)
    }
}

/// PostgreSQL's connection settings from DATABASE_URL and DATABASE_SCHEMA, or nil on the embedded SQLite file.
private func postgresConfiguration(_ settings: Settings) throws -> SQLPostgresConfiguration? {
    guard let url = settings.databaseURL else { return nil }
    var configuration = try SQLPostgresConfiguration(url: url)
    if let schema = settings.databaseSchema { configuration.searchPath = [schema] }
    return configuration
}

extension Application {
    var eventLoopCount: Int { eventLoopGroup.makeIterator().reduce(0) { count, _ in count + 1 } }

    /// Sets SQLite pragmas on every connection of a pool (each event loop holds one); nothing on PostgreSQL.
    func sqlitePragmas(_ pragmas: [String], on id: DatabaseID? = nil) async throws {
        guard settings.databaseURL == nil else { return }
        for eventLoop in eventLoopGroup.makeIterator() {
            guard let connection = databases.database(id, logger: logger, on: eventLoop) as? any SQLDatabase else { continue }
            for pragma in pragmas { try await connection.raw("PRAGMA \(unsafeRaw: pragma)").run() }
        }
    }

    /// True when this process was started to serve (the default command), not for a one-off command.
    var isServing: Bool {
        let arguments = environment.arguments.dropFirst().filter { !$0.hasPrefix("-") }
        return arguments.first == nil || arguments.first == "serve"
    }
}

extension DatabaseID {
    /// The embedded SQLite file's connections that only read (see `Request.reads`).
    static let sqliteReads = DatabaseID(string: "sqlite-reads")
}

extension Request {
    /// A connection for reading what is committed, which never waits behind this node's writes: on SQLite the event
    /// loop's reading connection (WAL readers do not wait for the writer), on PostgreSQL the pool every request uses
    /// (it has several connections per event loop). Only for requests that read and do not write: a reader does not
    /// see the request's own transaction.
    var reads: any Database {
        application.databases.ids().contains(.sqliteReads) ? db(.sqliteReads) : db
    }
}
