/// The roles of the platform and what each may do. Every user is a learner; other roles are granted
/// on an organisation (covering its subtree) or on a State (covering everything posted or located there).
public enum Role: String, Codable, CaseIterable, Sendable, Hashable {
    case learner
    case mdoAdmin = "mdo_admin"
    case cbpAdmin = "cbp_admin"
    case contentCreator = "content_creator"
    case contentReviewer = "content_reviewer"
    case contentPublisher = "content_publisher"
    case stateAdmin = "state_admin"
    case programmeCoordinator = "programme_coordinator"
    /// Teaches at a training institute: reads the teaching notes of the Amrit Gyaan Kosh's cases.
    case faculty
    /// Writes, reviews and publishes a training institute's case studies in the Amrit Gyaan Kosh.
    case caseEditor = "case_editor"
    case nationalAdmin = "national_admin"

    public var permissions: Set<Permission> {
        switch self {
        case .nationalAdmin: Set(Permission.allCases)
        case .stateAdmin: [.viewUsers, .manageUsers, .manageOrganisations, .viewOrganisations, .mapCompetencies, .enrolUsers, .viewInsights]
        case .mdoAdmin: [.viewUsers, .manageUsers, .manageOrganisations, .viewOrganisations, .mapCompetencies, .addDomainCompetencies, .enrolUsers,
                         .viewInsights]
        case .cbpAdmin: [.viewUsers, .viewOrganisations, .mapCompetencies, .enrolUsers, .managePlans, .viewInsights]
        case .programmeCoordinator: [.viewUsers, .viewOrganisations, .viewInsights]
        case .contentCreator, .contentReviewer, .contentPublisher: [.viewOrganisations, .authorCourses]
        case .faculty, .caseEditor: [.viewOrganisations]
        case .learner: []
        }
    }

    /// Roles held only on a training institute.
    public var onlyOnTrainingInstitutes: Bool { self == .faculty || self == .caseEditor }

    /// Roles that only make sense on one kind of scope.
    public var grantableOnOrganisation: Bool { self != .stateAdmin && self != .nationalAdmin }
    public var grantableOnState: Bool { self == .stateAdmin || self == .mdoAdmin || self == .programmeCoordinator || self == .cbpAdmin }
}

public enum Permission: String, CaseIterable, Sendable, Hashable {
    case viewUsers, manageUsers, viewOrganisations, manageOrganisations
    /// Say which competencies and levels the organisation's designations need.
    case mapCompetencies
    /// Add (and retire) domain competencies for one's own organisations.
    case addDomainCompetencies
    /// Change the national framework itself (behavioural and functional competencies).
    case manageFramework
    /// See a provider's courses in the works (drafting, reviewing or publishing them).
    case authorCourses
    /// Enrol people within one's reach in courses.
    case enrolUsers
    /// Make, publish, change and retire the capacity building plans of one's organisations.
    case managePlans
    /// See dashboards, plan compliance and reports of what one's grants reach.
    case viewInsights
}
