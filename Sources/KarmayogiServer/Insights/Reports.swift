import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

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

    static let pageSize = 1_000
    /// People a page of the enrolments and assessment reports is read for (five or so rows each).
    static let peoplePageSize = 200

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

    private static func path(of scope: InsightScope, on database: any Database) async throws -> String? {
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

    /// Narrows a query over people (`u`, their organisation `o`) to those counted in the scope, by the same rule as the rollups.
    static func people(in scope: InsightScope, path: String?, _ select: SQLSelectBuilder) -> SQLSelectBuilder {
        switch scope {
        case .nation: return select
        case .state(let code):
            return select.where(SQLQueryString("(\(ident: "u").\(ident: "state_code") = \(bind: code) OR (\(ident: "u").\(ident: "state_code") IS NULL AND \(ident: "o").\(ident: "state_code") = \(bind: code)))"))
        case .district(let code):
            return select.where(SQLQueryString("""
                (\(ident: "u").\(ident: "district_code") = \(bind: code) OR (\(ident: "u").\(ident: "district_code") IS NULL AND \(ident: "o").\(ident: "district_code") = \(bind: code) \
                AND (\(ident: "u").\(ident: "state_code") IS NULL OR \(ident: "u").\(ident: "state_code") = \(ident: "o").\(ident: "state_code"))))
                """))
        case .organisation:
            return select.where(SQLColumn("path", table: "o"), .like, SQLBind((path ?? "/") + "%"))
        }
    }

    /// A streamed CSV download: a byte-order mark (so spreadsheets read Indian scripts right), the header, then each page.
    static func stream(_ request: Request, name: String, header: [String],
                       page: @escaping @Sendable (_ after: UUID?) async throws -> (lines: [[String]], next: UUID?)) -> Response {
        let response = Response(status: .ok)
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name).csv\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        let allocator = request.byteBufferAllocator
        response.body = .init(asyncStream: { writer in
            do {
                try await writer.write(.buffer(allocator.buffer(string: "\u{FEFF}" + CSVWriter.line(header))))
                var after: UUID?
                repeat {
                    let (lines, last) = try await page(after)
                    if !lines.isEmpty {
                        var buffer = allocator.buffer(capacity: lines.count * 128)
                        for line in lines { buffer.writeString(CSVWriter.line(line)) }
                        try await writer.write(.buffer(buffer))
                    }
                    after = last
                } while after != nil
                try await writer.write(.end)
            } catch {
                request.logger.report(error: error)
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
            guard let text = request.query[String.self, at: "plan"], let id = UUID(uuidString: text) else {
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
        @Sendable func phone(_ value: String?) -> String { value.map { contacts ? $0 : Contact.masked(phone: $0) } ?? "" }
        @Sendable func time(_ date: Date?) -> String { date.map { $0.formatted(.iso8601) } ?? "" }
        @Sendable func people(_ select: SQLSelectBuilder) -> SQLSelectBuilder {
            Reports.people(in: scope, path: path, select.fromPeople())
        }
        @Sendable func after(_ select: SQLSelectBuilder, _ column: SQLColumn, _ cursor: UUID?, limit: Int = pageSize) -> SQLSelectBuilder {
            if let cursor { select.where(column, .greaterThan, SQLBind(cursor)) }
            return select.orderBy(column).limit(limit)
        }
        /// The next people of the scope, by id: reports of what people did read a page of people and then their rows,
        /// so a State's report walks its own people rather than every enrolment in the nation.
        @Sendable func nextPeople(after cursor: UUID?) async throws -> [UUID] {
            struct Row: Decodable { var id: UUID }
            return try await after(people(sql.select().column(SQLColumn("id", table: "u"))), SQLColumn("id", table: "u"), cursor, limit: peoplePageSize)
                .all(decoding: Row.self).map(\.id)
        }

        switch kind {
        case .users:
            struct Row: Decodable {
                var id: UUID; var name: String; var email: String; var phone: String?; var employee_id: String?; var designation: String?
                var organisation: String; var code: String; var state_code: Int?; var district_code: Int?; var status: String; var created_at: Date?; var last_login_at: Date?
            }
            return stream(request, name: name, header: ["user_id", "name", "email", "phone", "employee_id", "designation", "organisation", "organisation_code",
                                                        "state", "district", "status", "registered_at", "last_sign_in_at"]) { cursor in
                let rows = try await after(people(sql.select()
                    .columns(["id", "name", "email", "phone", "employee_id", "designation", "state_code", "district_code", "status", "created_at", "last_login_at"].map { SQLColumn($0, table: "u") })
                    .column(SQLColumn("name", table: "o"), as: "organisation").column(SQLColumn("code", table: "o"))), SQLColumn("id", table: "u"), cursor)
                    .all(decoding: Row.self)
                return (rows.map { row in
                    [row.id.uuidString.lowercased(), row.name, email(row.email), phone(row.phone), row.employee_id ?? "", row.designation ?? "", row.organisation, row.code,
                     row.state_code.flatMap { geography.state(code: $0)?.name } ?? "", row.district_code.flatMap { geography.district(code: $0)?.name } ?? "",
                     row.status, time(row.created_at), time(row.last_login_at)]
                }, rows.count < pageSize ? nil : rows.last?.id)
            }

        case .enrolments:
            struct Row: Decodable {
                var id: UUID; var user_id: UUID; var name: String; var email: String; var organisation: String; var course_id: UUID; var title: String?
                var version: Int; var status: String; var percent: Double; var seconds_spent: Int; var enrolled_at: Date; var last_accessed_at: Date?; var completed_at: Date?
            }
            return stream(request, name: name, header: ["enrolment_id", "user_id", "name", "email", "organisation", "course_id", "course", "version", "status",
                                                        "percent", "minutes_spent", "enrolled_at", "last_accessed_at", "completed_at"]) { cursor in
                let ids = try await nextPeople(after: cursor)
                guard !ids.isEmpty else { return ([], nil) }
                let rows = try await sql.select().fromPeople()
                    .columns(["id", "user_id", "course_id", "version", "status", "percent", "seconds_spent", "enrolled_at", "last_accessed_at", "completed_at"].map { SQLColumn($0, table: "e") })
                    .column(SQLColumn("name", table: "u")).column(SQLColumn("email", table: "u")).column(SQLColumn("name", table: "o"), as: "organisation")
                    .column(SQLColumn("title", table: "v"))
                    .join(SQLAlias(SQLIdentifier(Enrolment.schema), as: SQLIdentifier("e")), on: SQLColumn("user_id", table: "e"), .equal, SQLColumn("id", table: "u"))
                    .join(SQLAlias(SQLIdentifier(CourseVersion.schema), as: SQLIdentifier("v")), method: SQLJoinMethod.left,
                          on: SQLBinaryExpression(SQLBinaryExpression(SQLColumn("course_id", table: "v"), .equal, SQLColumn("course_id", table: "e")), .and,
                                                  SQLBinaryExpression(SQLColumn("version", table: "v"), .equal, SQLColumn("version", table: "e"))))
                    .where(SQLColumn("user_id", table: "e"), .in, SQLBind.group(ids))
                    .orderBy(SQLColumn("user_id", table: "e")).orderBy(SQLColumn("id", table: "e"))
                    .all(decoding: Row.self)
                return (rows.map { row in
                    [row.id.uuidString.lowercased(), row.user_id.uuidString.lowercased(), row.name, email(row.email), row.organisation, row.course_id.uuidString.lowercased(),
                     row.title ?? "", String(row.version), row.status, String(format: "%.1f", row.percent), String(row.seconds_spent / 60),
                     time(row.enrolled_at), time(row.last_accessed_at), time(row.completed_at)]
                }, ids.count < peoplePageSize ? nil : ids.last)
            }

        case .assessmentResults:
            struct Row: Decodable {
                var id: UUID; var user_id: UUID; var name: String; var email: String; var organisation: String; var course_id: UUID; var title: String?
                var started_at: Date; var submitted_at: Date?; var percent: Double?; var passed: Bool
            }
            return stream(request, name: name, header: ["attempt_id", "user_id", "name", "email", "organisation", "course_id", "course", "started_at", "submitted_at",
                                                        "percent", "passed"]) { cursor in
                let ids = try await nextPeople(after: cursor)
                guard !ids.isEmpty else { return ([], nil) }
                let rows = try await sql.select().fromPeople()
                    .columns(["id", "user_id", "course_id", "started_at", "submitted_at", "percent", "passed"].map { SQLColumn($0, table: "a") })
                    .column(SQLColumn("name", table: "u")).column(SQLColumn("email", table: "u")).column(SQLColumn("name", table: "o"), as: "organisation")
                    .column(SQLColumn("title", table: "v"))
                    .join(SQLAlias(SQLIdentifier(AssessmentAttempt.schema), as: SQLIdentifier("a")), on: SQLColumn("user_id", table: "a"), .equal, SQLColumn("id", table: "u"))
                    .join(SQLAlias(SQLIdentifier(CourseVersion.schema), as: SQLIdentifier("v")), method: SQLJoinMethod.left,
                          on: SQLBinaryExpression(SQLBinaryExpression(SQLColumn("course_id", table: "v"), .equal, SQLColumn("course_id", table: "a")), .and,
                                                  SQLBinaryExpression(SQLColumn("version", table: "v"), .equal, SQLColumn("version", table: "a"))))
                    .where(SQLColumn("submitted_at", table: "a"), .isNot, SQLLiteral.null)
                    .where(SQLColumn("user_id", table: "a"), .in, SQLBind.group(ids))
                    .orderBy(SQLColumn("user_id", table: "a")).orderBy(SQLColumn("id", table: "a"))
                    .all(decoding: Row.self)
                return (rows.map { row in
                    [row.id.uuidString.lowercased(), row.user_id.uuidString.lowercased(), row.name, email(row.email), row.organisation, row.course_id.uuidString.lowercased(),
                     row.title ?? "", time(row.started_at), time(row.submitted_at), row.percent.map { String(format: "%.1f", $0) } ?? "", row.passed ? "yes" : "no"]
                }, ids.count < peoplePageSize ? nil : ids.last)
            }

        case .planCompliance:
            let (plan, organisation) = plan!
            let planID = plan.id!
            let courses = try await Plans.courseIDs(of: planID, on: database)
            let titles = try await Courses.titles(courses, on: database)
            let due = plan.due
            struct Row: Decodable { var id: UUID; var name: String; var email: String; var designation: String?; var organisation: String }
            return stream(request, name: "karmayogi-plan-compliance-\(planID.uuidString.lowercased())-\(date)",
                          header: ["user_id", "name", "email", "designation", "organisation", "course_id", "course", "due_date", "standing", "enrolled_at", "completed_at"]) { cursor in
                let select = Plans.assignedPeople(sql.select(), plan: plan, organisation: organisation, designation: nil)
                    .column(SQLColumn("id", table: "u")).column(SQLColumn("name", table: "u")).column(SQLColumn("email", table: "u"))
                    .column(SQLColumn("designation", table: "u")).column(SQLColumn("name", table: "o"), as: "organisation")
                let rows = try await after(select, SQLColumn("id", table: "u"), cursor).all(decoding: Row.self)
                let standings = try await Plans.standings(of: rows.map(\.id), in: courses, on: sql)
                let now = Date()
                return (rows.flatMap { row in
                    courses.map { course in
                        let enrolment = standings[row.id]?[course]
                        let standing = PlanStanding.of(enrolledAt: enrolment?.enrolledAt, completedAt: enrolment?.completedAt, due: due, now: now)
                        return [row.id.uuidString.lowercased(), row.name, email(row.email), row.designation ?? "", row.organisation, course.uuidString.lowercased(),
                                titles[course] ?? "", IndiaDay.string(plan.dueDay), standing.rawValue, time(enrolment?.enrolledAt), time(enrolment?.completedAt)]
                    }
                }, rows.count < pageSize ? nil : rows.last?.id)
            }

        case .courseCompetencies:
            let cards = try await request.application.catalogueSearch.cards(on: database).values.sorted { $0.id.uuidString < $1.id.uuidString }
            let providers = Dictionary(uniqueKeysWithValues: try await Organisation.query(on: database).filter(\.$id ~~ Set(cards.map(\.providerId))).all().map { ($0.id!, $0.name) })
            let competencies = Dictionary(uniqueKeysWithValues: try await Competency.query(on: database).all().map { ($0.id!, $0) })
            return stream(request, name: name, header: ["course_id", "course", "provider", "language", "competency_id", "area", "theme", "sub_theme", "level"]) { cursor in
                let page = cards.filter { cursor == nil || $0.id.uuidString > cursor!.uuidString }.prefix(pageSize)
                return (page.flatMap { card in
                    card.competencies.map { claim in
                        let competency = competencies[claim.competencyId]
                        return [card.id.uuidString.lowercased(), card.title, providers[card.providerId] ?? "", card.language, claim.competencyId.uuidString.lowercased(),
                                competency?.area.rawValue ?? "", competency?.theme ?? "", competency?.subTheme ?? "", String(claim.level)]
                    }
                }, page.count < pageSize ? nil : page.last?.id)
            }
        }
    }
}
