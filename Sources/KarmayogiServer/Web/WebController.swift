import Vapor

/// Every page of the platform, behind the session and CSRF guard.
struct WebController: RouteCollection {
    let sessions: SessionsMiddleware

    func boot(routes: any RoutesBuilder) throws {
        let pages = routes.grouped(sessions, WebSession())
        try pages.register(collection: HomePage())
        try pages.register(collection: IdentityPages())
        try pages.register(collection: PeoplePages())
        try pages.register(collection: OrganisationPages())
        try pages.register(collection: DeclarationPages())
        try pages.register(collection: OnboardingPages())
        try pages.register(collection: CompetencyPages())
        try pages.register(collection: CataloguePages())
        try pages.register(collection: ReviewPages())
        try pages.register(collection: CourseEditorPages())
        try pages.register(collection: AssessmentEditorPages())
        try pages.register(collection: LearningPages())
        try pages.register(collection: ScormPlayerPages())
        try pages.register(collection: LTIPages())
        try pages.register(collection: ToolPages())
        try pages.register(collection: CredentialPages())
        try pages.register(collection: InsightPages())
        try pages.register(collection: PlanPages())
        try pages.register(collection: GuidancePages())
        try pages.register(collection: AssistantPages())
        try pages.register(collection: CampaignPages())
        try pages.register(collection: EventPages())
        try pages.register(collection: ProgrammePages())
        try pages.register(collection: ProgrammeWorkPages())
        try pages.register(collection: ProgrammeForms())
        try pages.register(collection: JourneyPages())
        try pages.register(collection: CascadePages())
        try pages.register(collection: CascadeTrainingPages())
        try pages.register(collection: CasePages())
        try pages.register(collection: AccreditationPages())
        try pages.register(collection: FrameworkPages())
        try pages.register(collection: QualificationPages())
        try pages.register(collection: StatePages())
        try pages.register(collection: SurveyPages())
        try pages.register(collection: StyleguidePage())
    }
}
