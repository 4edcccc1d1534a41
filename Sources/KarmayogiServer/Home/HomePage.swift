import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Home says what to do next: continue learning where I left off, plans due (overdue first), courses that close my
/// designation's competency gaps, my recent certificates, my karma this month and my rank; admins also see their queue.
struct HomePage: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: Self.home)
    }

    @Sendable static func home(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        async let queue = adminQueue(principal, request)
        let sections: [HTML] = [
            try await continueLearning(principal, request),
            try await plansDue(principal, request),
            try await recommended(principal, request),
            try await certificates(principal, request),
            try await karma(principal, request),
        ]
        let first = principal.me.name.split(separator: " ").first.map(String.init) ?? principal.me.name
        return Layout.page(t("home.title", ["name": first]), for: request, """
            <p class="muted">\(principal.me.designation ?? "") · \(principal.me.organisationName)</p>
            \(try await CampaignPages.banners(request))
            \(try await SurveyPages.banner(principal, request))
            \(try await queue)
            <div class="pair">\(sections)</div>
            """)
    }

    // MARK: Continue learning

    /// My courses under way, most recently touched first, each with its next unfinished item (never one already done).
    static func continueLearning(_ principal: Principal, _ request: Request) async throws -> HTML {
        let t = request.catalogue
        let enrolments = try await Enrolments.underWay(of: principal.userID, limit: 3, on: request.db)
        var cards: [HTML] = []
        for enrolment in enrolments {
            let content = try await request.application.publishedContents.content(of: enrolment.courseID, version: enrolment.version, on: request.db)
            let progress = try await LearningProgress.items(of: enrolment.id!, on: request.db)
            let done: Set<UUID> = Set(progress.filter { $0.status == ItemStatus.completed.rawValue }.map(\.itemId))
            let items: [CourseContent.Item] = content.modules.flatMap(\.items)
            let unfinished = items.filter { item in item.id.map { !done.contains($0) } ?? false }
            guard let next = unfinished.first(where: \.required) ?? unfinished.first else { continue }
            let path = "/learn/\(enrolment.courseID.uuidString)"
            let percent = Formats.number(Int(enrolment.percent.rounded(.down)))
            cards.append("""
                <li><a href="\(path)"><strong>\(content.title)</strong></a>\
                \(UI.meter(enrolment.percent, text: t("learning.percent", ["percent": percent]), label: content.title))\
                <p class="muted">\(t("home.next", ["item": next.title, "kind": t("kind.\(next.kind.rawValue)")]))</p>\
                <a class="button" href="\(path)#item-\(next.id?.uuidString ?? "")">\(enrolment.lastItemID == nil ? t("learning.start") : t("learning.continue"))</a></li>
                """)
        }
        let body: HTML = cards.isEmpty ? UI.empty(t("home.nothingUnderWay"), action: (t("home.findCourse"), "/courses")) : "<ul class=\"plain\">\(cards)</ul>"
        return "<section class=\"card\" aria-labelledby=\"h-continue\"><h2 id=\"h-continue\">\(t("home.continue"))</h2>\(body)</section>"
    }

    // MARK: Plans

    static func plansDue(_ principal: Principal, _ request: Request) async throws -> HTML {
        let t = request.catalogue
        let open = try await Plans.mine(principal, on: request.db).filter { $0.standing != .completedOnTime && $0.standing != .completedLate }
            .sorted { ($0.standing == .overdue ? 0 : 1, $0.dueDate) < ($1.standing == .overdue ? 0 : 1, $1.dueDate) }
        let rows: [HTML] = open.prefix(5).map { plan in
            let due = IndiaDay.parse(plan.dueDate).map { Formats.date(IndiaDay.start($0), t) } ?? plan.dueDate
            let left = plan.courses.filter { $0.standing != .completedOnTime && $0.standing != .completedLate }.count
            let tone: UI.Tone = plan.standing == .overdue ? .danger : .warning
            return """
                <li><a href="/my/plans"><strong>\(plan.name)</strong></a> \(UI.badge(t("standing.\(plan.standing.rawValue)"), tone))\
                <p class="muted">\(t("home.due", ["date": due])) · \(t("home.coursesLeft", ["count": Formats.number(left)]))</p></li>
                """
        }
        let body: HTML = rows.isEmpty ? "<p class=\"muted\">\(t("home.noPlans"))</p>" : "<ul class=\"plain\">\(rows)</ul>"
        return "<section class=\"card\" aria-labelledby=\"h-plans\"><h2 id=\"h-plans\">\(t("home.plans"))</h2>\(body)</section>"
    }

    // MARK: Recommended for my designation

    /// What closes my gaps (my designation's and my live plans' requirements against my passbook): courses, events and
    /// programmes, best first, each saying which gap it serves and, folded, every reason for its place.
    static func recommended(_ principal: Principal, _ request: Request) async throws -> HTML {
        let t = request.catalogue
        let person = Guidance.Person(principal)
        let result = try await Guidance.recommendations(for: person, language: t.language, limit: 4, app: request.application, on: request.db)
        let body: HTML
        if !result.items.isEmpty {
            body = "\(GuidancePages.list(result.items, t))<p><a href=\"/my/gaps\">\(t("guidance.allGaps"))</a></p>"
        } else if let designation = person.designation {
            body = "<p class=\"muted\">\(t(result.gaps.isEmpty ? (result.designationMapped ? "home.noGaps" : "home.designationUnmapped") : "home.noCourseForGaps", ["designation": designation]))</p>"
        } else {
            body = "<p class=\"muted\">\(t(result.gaps.isEmpty ? "home.noDesignation" : "home.noCourseForGaps"))</p>"
        }
        return "<section class=\"card\" aria-labelledby=\"h-recommended\"><h2 id=\"h-recommended\">\(t("home.recommended"))</h2>\(body)</section>"
    }

    // MARK: Certificates and karma

    static func certificates(_ principal: Principal, _ request: Request) async throws -> HTML {
        let t = request.catalogue
        let recent = try await Certificates.recent(of: principal.userID, limit: 3, on: request.db)
        let items: [HTML] = recent.map {
            "<li><a href=\"/certificates/\($0.id!.uuidString)\">\($0.title)</a> <span class=\"muted\">· \(Formats.date($0.issuedAt, t))</span></li>"
        }
        let body: HTML = items.isEmpty ? "<p class=\"muted\">\(t("certificate.none"))</p>"
            : "<ul class=\"plain\">\(items)</ul><p><a href=\"/my/certificates\">\(t("home.allCertificates"))</a></p>"
        return "<section class=\"card\" aria-labelledby=\"h-certificates\"><h2 id=\"h-certificates\">\(t("home.certificates"))</h2>\(body)</section>"
    }

    static func karma(_ principal: Principal, _ request: Request) async throws -> HTML {
        let t = request.catalogue
        let month = Karma.month(of: Date())
        let standing = try await Karma.standing(of: principal.userID, in: principal.organisationPath, month: month, on: request.db)
        let rank: HTML = standing.points > 0
            ? "<p>\(t("home.rank", ["rank": Formats.number(standing.rank), "people": Formats.number(standing.people), "organisation": principal.me.organisationName]))</p>"
            : "<p class=\"muted\">\(t("home.noKarmaYet"))</p>"
        return """
            <section class="card" aria-labelledby="h-karma"><h2 id="h-karma">\(t("home.karma"))</h2>\
            <p><span class="figure">\(Formats.number(standing.points))</span> <span class="muted">\(t("home.pointsThisMonth"))</span></p>\
            \(rank)<p><a href="/my/karma">\(t("home.leaderboard"))</a></p></section>
            """
    }

    // MARK: An admin's queue

    /// What waits for this person: bulk uploads still running, course versions awaiting their review or publication,
    /// and competency declarations of people they manage.
    static func adminQueue(_ principal: Principal, _ request: Request) async throws -> HTML {
        let t = request.catalogue
        var entries: [HTML] = []
        if !principal.access.reach(of: .manageUsers).isEmpty {
            let uploads = try await BulkUploads.unfinished(for: principal, on: request.db)
            if let latest = uploads.first {
                entries.append("<li><a href=\"/admin/uploads/\(latest.id!.uuidString)\">\(t("home.uploadsRunning", ["count": Formats.number(uploads.count)]))</a></li>")
            }
            let declarations = try await Passbook.pending(for: principal, on: request.db)
            if !declarations.isEmpty {
                entries.append("<li><a href=\"/admin/declarations\">\(t("home.declarations", ["count": Formats.number(declarations.count)]))</a></li>")
            }
        }
        if !principal.access.reach(of: .authorCourses).isEmpty {
            let waiting = try await ReviewPages.actionable(for: principal, on: request.db)
            if !waiting.isEmpty {
                entries.append("<li><a href=\"/review\">\(t("home.reviews", ["count": Formats.number(waiting.count)]))</a></li>")
            }
        }
        guard !entries.isEmpty else { return "" }
        return "<section class=\"card\" aria-labelledby=\"h-queue\"><h2 id=\"h-queue\">\(t("home.queue"))</h2><ul class=\"plain\">\(entries)</ul></section>"
    }
}
