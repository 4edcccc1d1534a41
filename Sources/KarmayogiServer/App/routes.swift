import Vapor

func routes(_ app: Application) throws {
    app.get("health", use: Operations.health)
    app.get("metrics", use: Operations.metrics)
    app.get("assets", ":file", use: Assets.serve)
    // Served on the package origin, outside the session guard: the launch token is the only credential.
    try app.register(collection: ScormRuntimeController())
    // The learning record store answers xAPI clients with their own credentials (HTTP Basic), never a session.
    try app.register(collection: LRSController())
    try app.register(collection: Cmi5Controller())
    // LTI tools call with their own credentials: a signed assertion, then an access token.
    try app.register(collection: LTIController())
    // Browsers ask for /favicon.ico on pages without an icon link (an error page in JSON, a file).
    app.get("favicon.ico") { $0.redirect(to: Assets.url("favicon.svg"), redirectType: .permanent) }

    let api = app.grouped("api", "v1").grouped(BearerAuthenticator(verified: VerifiedTokens())).grouped(SignInRequired(document: Operations.openAPIDocument))
    api.get("openapi.json", use: Operations.openAPI)
    try api.register(collection: GeographyController())
    try api.register(collection: AuthController())
    try api.register(collection: OrganisationController())
    try api.register(collection: UserController())
    try api.register(collection: StatusController())
    try api.register(collection: BulkUploadController())
    try api.register(collection: CompetencyController())
    try api.register(collection: DesignationController())
    try api.register(collection: CourseController())
    try api.register(collection: RatingController())
    try api.register(collection: ContentFileController())
    try api.register(collection: PackageController())
    try api.register(collection: XAPICredentialController())
    try api.register(collection: LTIToolController())
    try api.register(collection: LaunchController())
    try api.register(collection: EnrolmentController())
    try api.register(collection: ProgressController())
    try api.register(collection: KarmaController())
    try api.register(collection: CertificateController())
    try api.register(collection: PassbookController())
    try api.register(collection: AssessmentController())
    try api.register(collection: PlanController())
    try api.register(collection: GuidanceController())
    try api.register(collection: AssistantController())
    try api.register(collection: InsightController())
    try api.register(collection: ReportController())
    try api.register(collection: ScorecardController())
    try api.register(collection: CampaignController())
    try api.register(collection: EventController())
    try api.register(collection: ProgrammeController())
    try api.register(collection: CascadeController())
    try api.register(collection: CaseController())
    try api.register(collection: AccreditationController())
    try api.register(collection: QualificationController())
    try api.register(collection: AlignmentController())
    try api.register(collection: StateController())
    try api.register(collection: SurveyController())
    try api.register(collection: JourneyController())

    try app.register(collection: WebController(sessions: app.sessions.middleware))
}
