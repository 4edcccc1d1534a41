import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A report's bytes on their way: written into `text`, sent at each `flush`.
final class ReportPage {
    var text = CSVText(capacity: 1 << 17)
    private let writer: any AsyncBodyStreamWriter
    private let allocator: ByteBufferAllocator

    init(writer: any AsyncBodyStreamWriter, allocator: ByteBufferAllocator) {
        self.writer = writer
        self.allocator = allocator
    }

    /// Sends what is written once it is a good size for the network (an organisation of ten people is no page).
    func flushIfFull() async throws {
        if text.bytes.count >= 1 << 18 { try await flush() }
    }

    func flush() async throws {
        guard !text.isEmpty else { return }
        try await writer.write(.buffer(allocator.buffer(bytes: text.bytes)))
        text.clear()
    }
}

/// Reports as CSV, streamed a page of rows at a time (never the whole report in memory), for a scope:
/// users, enrolments and progress, assessment results, a plan's compliance, and the course–competency mapping.
/// E-mail addresses and phone numbers are masked unless the caller may see the people themselves; every cell is
/// defused against formula injection.
enum Reports {
    enum Kind: String, CaseIterable {
        case users, enrolments
        case assessmentResults = "assessment-results"
        case planCompliance = "plan-compliance"
        case courseCompetencies = "course-competencies"
    }

    /// Rows a page reads: large enough that a query's own cost is small beside its rows (a megabyte or so in memory).
    static let pageSize = 4_000
    /// People a page of the enrolments and assessment reports is read for (five or so rows each).
    static let peoplePageSize = 1_000

    /// Who may have which report: those whose grants reach the scope, or a leader an MDO admin has given the
    /// organisation's reports to, until the grant expires. Answers whether contacts are shown unmasked.
    /// Also answers the organisation's path when the scope is an organisation.
    static func authorise(_ scopeText: String?, for principal: Principal, on database: any Database)
        async throws -> (scope: InsightScope, name: String, contacts: Bool, path: String?) {
        do {
            let (scope, name) = try await Insights.scope(scopeText, for: principal, on: database)
            let path = try await path(of: scope, on: database)
            return (scope, name, mayContact(scope, principal: principal, on: path), path)
        } catch let problem as Problem where problem.status == .forbidden {
            guard case .success(.organisation(let id)) = InsightScope.parse(scopeText ?? ""),
                  let organisation = try await Organisation.find(id, on: database),
                  try await ReportGrants.holds(principal.userID, on: organisation, on: database)
            else { throw problem }
            return (.organisation(id), organisation.name, mayContact(.organisation(id), principal: principal, on: organisation.path), organisation.path)
        }
    }

    /// The materialised path of an organisation scope (nil for the others, and for an organisation that does not exist).
    static func path(of scope: InsightScope, on database: any Database) async throws -> String? {
        guard case .organisation(let id) = scope else { return nil }
        return try await Organisation.find(id, on: database)?.path
    }

    /// Whether the caller may see people's contacts across the whole scope.
    private static func mayContact(_ scope: InsightScope, principal: Principal, on path: String?) -> Bool {
        let reach = principal.access.reach(of: .viewUsers)
        if reach.everything { return true }
        switch scope {
        case .nation: return false
        case .state(let code): return reach.stateCodes.contains(code)
        case .district(let code): return Geography.reference.district(code: code).map { reach.stateCodes.contains($0.stateCode) } ?? false
        case .organisation: return path.map { path in reach.organisationPaths.contains { path.hasPrefix($0) } } ?? false
        }
    }

    /// The parts a walk over the scope's people reads, each by an index, by the rollups' rule (`LearnerPlace`):
    /// people placed in the State or district themselves, then those of the organisations there who are not placed
    /// elsewhere; the nation's and an organisation's report read each organisation of the tree.
    static func parts(of scope: InsightScope, path: String?, organisations: [OrganisationEntry]) -> [PeopleWalk.Part] {
        switch scope {
        case .nation:
            // Organisation by organisation: people onboarded together are stored together, and the report reads so.
            return organisations.sorted { $0.path < $1.path }.map { .organisation($0.id) }
        case .state(let code):
            return [.placedInState(code)] + organisations.filter { $0.stateCode == code }.map { .unplacedState(in: $0.id) }
        case .district(let code):
            return [.placedInDistrict(code)] + organisations.filter { $0.districtCode == code }.map { .unplacedDistrict(in: $0.id, stateCode: $0.stateCode) }
        case .organisation:
            let path = path ?? "/"
            return organisations.filter { $0.path.hasPrefix(path) }.sorted { $0.path < $1.path }.map { .organisation($0.id) }
        }
    }

    /// A streamed CSV download: a byte-order mark (so spreadsheets read Indian scripts right), the header, then
    /// whatever `body` writes, sent each time it flushes: a page in memory at a time, never the whole report.
    static func stream(_ request: Request, name: String, header: [String], body: @escaping @Sendable (ReportPage) async throws -> Void) -> Response {
        let response = Response(status: .ok)
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name).csv\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        let allocator = request.byteBufferAllocator
        let logger = request.logger
        response.body = .init(asyncStream: { writer in
            do {
                let page = ReportPage(writer: writer, allocator: allocator)
                page.text.byteOrderMark()
                for cell in header { page.text.cell(cell) }
                page.text.endLine()
                try await body(page)
                try await page.flush()
                try await writer.write(.end)
            } catch {
                logger.report(error: error)
                try? await writer.write(.error(error))
            }
        })
        return response
    }

    // MARK: - The reports

    static func response(_ kind: Kind, _ request: Request) async throws -> Response {
        let principal = try request.principal()
        let database = request.db
        let sql = database as! any SQLDatabase
        // A plan's compliance is a report of the plan's organisation.
        var plan: (plan: Plan, organisation: Organisation)?
        if kind == .planCompliance {
            guard let text = request.query[String.self, at: "plan"], let id = UUIDText.parse(text) else {
                throw Problem.invalid("plan", "is required: the id of the plan")
            }
            guard let found = try await Plan.find(id, on: database), let organisation = try await Organisation.find(found.organisationID, on: database) else {
                throw Problem.notFound("plan")
            }
            plan = (found, organisation)
        }
        let (scope, _, contacts, path) = try await authorise(plan.map { "org:\($0.organisation.id!)" } ?? request.query[String.self, at: "scope"], for: principal, on: database)
        let geography = Geography.reference
        let date = IndiaDay.string(IndiaDay.of(Date()))
        let name = "karmayogi-\(kind.rawValue)-\(scope.text.replacingOccurrences(of: ":", with: "-"))-\(date)"
        @Sendable func email(_ value: String) -> String { contacts ? value : Contact.masked(email: value) }
        @Sendable func phone(_ value: String?) -> String? { value.map { contacts ? $0 : Contact.masked(phone: $0) } }
        let organisations = kind == .planCompliance || kind == .courseCompetencies ? [] : try await Organisations.directory(on: sql)
        let organisationByID = Dictionary(organisations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let parts = parts(of: scope, path: path, organisations: organisations)
        /// The cells a row of what someone did opens with: its id, the person, and the course as they took it.
        @Sendable func opening(_ page: ReportPage, _ id: UUID, _ person: PeopleWalk.Person, course: UUID, title: String?) {
            page.text.cell(id)
            page.text.cell(person.id)
            page.text.cell(person.name)
            page.text.cell(email(person.email))
            page.text.cell(organisationByID[person.organisationID]?.name)
            page.text.cell(course)
            page.text.cell(title)
        }

        switch kind {
        case .users:
            return stream(request, name: name, header: ["user_id", "name", "email", "phone", "employee_id", "designation", "organisation", "organisation_code",
                                                        "state", "district", "status", "registered_at", "last_sign_in_at"]) { page in
                try await PeopleWalk.walk(parts, limit: pageSize, on: sql) { people in
                    for person in people {
                        let organisation = organisationByID[person.organisationID]
                        page.text.cell(person.id)
                        page.text.cell(person.name)
                        page.text.cell(email(person.email))
                        page.text.cell(phone(person.phone))
                        page.text.cell(person.employeeID)
                        page.text.cell(person.designation)
                        page.text.cell(organisation?.name)
                        page.text.cell(organisation?.code)
                        page.text.cell(person.stateCode.flatMap { geography.state(code: $0)?.name })
                        page.text.cell(person.districtCode.flatMap { geography.district(code: $0)?.name })
                        page.text.cell(person.status)
                        page.text.cell(time: person.createdAt)
                        page.text.cell(time: person.lastLoginAt)
                        page.text.endLine()
                    }
                    try await page.flushIfFull()
                }
            }

        case .enrolments:
            let titles = try await Courses.versionTitles(on: sql)
            return stream(request, name: name, header: ["enrolment_id", "user_id", "name", "email", "organisation", "course_id", "course", "version", "status",
                                                        "percent", "minutes_spent", "enrolled_at", "last_accessed_at", "completed_at"]) { page in
                try await PeopleWalk.walk(parts, limit: peoplePageSize, on: sql, loading: { people in
                    Dictionary(grouping: try await Enrolments.lines(of: people.map(\.id), on: sql), by: \.userID)
                }) { people, lines in
                    for person in people {
                        for line in lines[person.id] ?? [] {
                            opening(page, line.id, person, course: line.courseID, title: titles[CourseVersionKey(course: line.courseID, version: line.version)])
                            page.text.cell(line.version)
                            page.text.cell(line.status)
                            page.text.cell(tenths: line.percent)
                            page.text.cell(line.secondsSpent / 60)
                            page.text.cell(time: line.enrolledAt)
                            page.text.cell(time: line.lastAccessedAt)
                            page.text.cell(time: line.completedAt)
                            page.text.endLine()
                        }
                    }
                    try await page.flushIfFull()
                }
            }

        case .assessmentResults:
            let titles = try await Courses.versionTitles(on: sql)
            return stream(request, name: name, header: ["attempt_id", "user_id", "name", "email", "organisation", "course_id", "course", "started_at", "submitted_at",
                                                        "percent", "passed"]) { page in
                try await PeopleWalk.walk(parts, limit: peoplePageSize, on: sql, loading: { people in
                    Dictionary(grouping: try await Assessments.submittedLines(of: people.map(\.id), on: sql), by: \.userID)
                }) { people, lines in
                    for person in people {
                        for line in lines[person.id] ?? [] {
                            opening(page, line.id, person, course: line.courseID, title: titles[CourseVersionKey(course: line.courseID, version: line.version)])
                            page.text.cell(time: line.startedAt)
                            page.text.cell(time: line.submittedAt)
                            page.text.cell(tenths: line.percent)
                            page.text.cell(line.passed ? "yes" : "no")
                            page.text.endLine()
                        }
                    }
                    try await page.flushIfFull()
                }
            }

        case .planCompliance:
            let (plan, organisation) = plan!
            let planID = plan.id!
            let courses = try await Plans.courseIDs(of: planID, on: database)
            let titles = try await Courses.titles(courses, on: database)
            let (due, dueDay) = (plan.due, IndiaDay.string(plan.dueDay))
            struct Row: Decodable { var id: UUID; var name: String; var email: String; var designation: String?; var organisation: String }
            return stream(request, name: "karmayogi-plan-compliance-\(planID.uuidString.lowercased())-\(date)",
                          header: ["user_id", "name", "email", "designation", "organisation", "course_id", "course", "due_date", "standing", "enrolled_at", "completed_at"]) { page in
                var cursor: UUID?
                repeat {
                    let select = Plans.assignedPeople(sql.select(), plan: plan, organisation: organisation, designation: nil)
                        .column(SQLColumn("id", table: "u")).column(SQLColumn("name", table: "u")).column(SQLColumn("email", table: "u"))
                        .column(SQLColumn("designation", table: "u")).column(SQLColumn("name", table: "o"), as: "organisation")
                    if let cursor { select.where(SQLColumn("id", table: "u"), .greaterThan, SQLBind(cursor)) }
                    let rows = try await select.orderBy(SQLColumn("id", table: "u")).limit(pageSize).all(decoding: Row.self)
                    let standings = try await Plans.standings(of: rows.map(\.id), in: courses, on: sql)
                    let now = Date()
                    for row in rows {
                        for course in courses {
                            let enrolment = standings[row.id]?[course]
                            page.text.cell(row.id)
                            page.text.cell(row.name)
                            page.text.cell(email(row.email))
                            page.text.cell(row.designation)
                            page.text.cell(row.organisation)
                            page.text.cell(course)
                            page.text.cell(titles[course])
                            page.text.cell(dueDay)
                            page.text.cell(PlanStanding.of(enrolledAt: enrolment?.enrolledAt, completedAt: enrolment?.completedAt, due: due, now: now).rawValue)
                            page.text.cell(time: enrolment?.enrolledAt)
                            page.text.cell(time: enrolment?.completedAt)
                            page.text.endLine()
                        }
                    }
                    try await page.flush()
                    cursor = rows.count < pageSize ? nil : rows.last?.id
                } while cursor != nil
            }

        case .courseCompetencies:
            let cards = try await request.application.catalogueSearch.cards(on: database).values.sorted { $0.id < $1.id }
            let providers = try await Organisations.names(cards.map(\.providerId), on: database)
            let competencies = try await Competencies.byID(cards.flatMap { $0.competencies.map(\.competencyId) }, on: database)
            return stream(request, name: name, header: ["course_id", "course", "provider", "language", "competency_id", "area", "theme", "sub_theme", "level"]) { page in
                for card in cards {
                    for claim in card.competencies {
                        let competency = competencies[claim.competencyId]
                        page.text.cell(card.id)
                        page.text.cell(card.title)
                        page.text.cell(providers[card.providerId])
                        page.text.cell(card.language)
                        page.text.cell(claim.competencyId)
                        page.text.cell(competency?.area.rawValue)
                        page.text.cell(competency?.theme)
                        page.text.cell(competency?.subTheme)
                        page.text.cell(claim.level)
                        page.text.endLine()
                    }
                    try await page.flushIfFull()
                }
            }
        }
    }
}
