import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// An xAPI item played: the content (an http(s) address) opened with the launch parameters content made for
/// xAPI expects (endpoint, auth, actor, registration, activity_id), and its statements about the item's activity
/// turned into the learner's progress.
enum XAPILaunches {
    static let lifetime: TimeInterval = 8 * 3600

    /// The activity an xAPI item reports on: its address without query or fragment.
    static func activity(of url: String) -> String {
        String(url.prefix { $0 != "?" && $0 != "#" })
    }

    /// The learner as the content's statements name them: an account on this platform.
    static func actor(_ userID: UUID, name: String?, homePage: String) -> [String: Any] {
        var actor: [String: Any] = ["objectType": "Agent", "account": ["homePage": homePage, "name": userID.uuidString.lowercased()]]
        actor["name"] = name
        return actor
    }

    /// A new launch of `item` for the learner; the old ones stay valid until they expire (a second tab keeps working).
    static func launch(_ principal: Principal, course courseID: UUID, item: CourseContent.Item, app: Application, on database: any Database) async throws -> String {
        guard let url = item.url, url.hasPrefix("https://") || url.hasPrefix("http://"), let itemID = item.id,
              let provider = try await Courses.providerIDs(of: [courseID], on: database)[courseID]
        else { throw Problem.notFound("item") }
        let token = SecretToken.make()
        let launch = XAPILaunch()
        let now = app.clock.now()
        let homePage = app.settings.publicURL
        let actor = Self.actor(principal.userID, name: principal.me.name, homePage: homePage)
        (launch.tokenHash, launch.providerID, launch.userID, launch.courseID, launch.itemID) = (SecretToken.hash(token), provider, principal.userID, courseID, itemID)
        (launch.activity, launch.registration, launch.actor) = (activity(of: url), UUID().uuidString.lowercased(), XAPIStatement.identifier(ofActor: actor)!)
        (launch.createdAt, launch.expiresAt) = (now, now.addingTimeInterval(lifetime))
        (launch.kind, launch.state, launch.completed, launch.passed, launch.failed) = ("xapi", "launched", false, false, false)
        try await launch.create(on: database)
        let auth = "Basic " + Data("\(XAPICredentials.launchPrefix)\(launch.id!.uuidString.lowercased()):\(token)".utf8).base64EncodedString()
        let actorText = LearningRecords.text(actor)
        var components = URLComponents(string: url) ?? URLComponents()
        components.queryItems = (components.queryItems ?? []) + [
            URLQueryItem(name: "endpoint", value: homePage + "/xapi/"), URLQueryItem(name: "auth", value: auth),
            URLQueryItem(name: "actor", value: actorText), URLQueryItem(name: "registration", value: launch.registration),
            URLQueryItem(name: "activity_id", value: launch.activity),
        ]
        // `+` in a query is a space to many readers: encode it, as the launch's JSON and base64 hold some.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? url
    }

    /// The learner's progress from the statements a launch stored: those by the learner about the item's activity.
    /// completed, passed, or a result with completion → complete; anything else they report → in progress.
    static func progress(from statements: [StatementFacts], in launch: XAPILaunchContext, app: Application, on database: any Database) async throws {
        let about = statements.filter { $0.actor == launch.actor && $0.activity == launch.activity && $0.verb != XAPIStatement.voided }
        let touched = !about.isEmpty
        let completed = about.contains { ["http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/verbs/passed"].contains($0.verb) || $0.completion }
        guard touched, let learner = try await Principal.load(userID: launch.userID, on: database) else { return }
        let update = ProgressBatchInput.UpdateInput(courseId: launch.courseID.uuidString, itemId: launch.itemID.uuidString,
                                                    status: (completed ? ItemStatus.completed : .inProgress).rawValue, percent: completed ? 100 : 0,
                                                    secondsSpent: 0, clientTime: nil, key: "xapi:\(launch.launchID.uuidString):\(UUID().uuidString)")
        _ = try await LearningProgress.apply(ProgressBatchInput(updates: [update]), for: learner, app: app, on: database)
    }

    /// The portal page that frames an xAPI item's content or a cmi5 AU, launched for the learner.
    static func page(_ item: CourseContent.Item, course courseID: UUID, title: String, for principal: Principal, _ request: Request) async throws -> Response {
        let t = request.catalogue
        let back = "/learn/\(courseID.uuidString)#item-\(item.id!.uuidString)"
        // An AU leaves by going to its returnURL inside the frame: a page on the package origin that tells the portal.
        let address = item.kind == .cmi5
            ? try await Cmi5Sessions.launch(principal, course: courseID, item: item, returnURL: PackageOrigin.of(request) + "/cmi5/return", request: request).url
            : try await launch(principal, course: courseID, item: item, app: request.application, on: request.db)
        let origin = URLComponents(string: address).map { "\($0.scheme ?? "https")://\($0.host ?? "")\($0.port.map { ":\($0)" } ?? "")" } ?? "'none'"
        let html = Layout.page(item.title, for: request, """
            <p><a href="\(back)">\(t("scorm.back", ["course": title]))</a></p>
            <iframe class="package" src="\(address)" title="\(item.title)" allow="fullscreen; autoplay" data-origin="\(PackageOrigin.of(request))" \
            data-back="\(back)" data-next="\(back)" data-previous="\(back)"></iframe>
            <p class="muted">\(t("xapi.reports"))</p>
            <script src="\(Assets.url("scorm-frame.js"))" defer></script>
            """)
        let response = try await html.encodeResponse(for: request)
        response.headers.replaceOrAdd(name: "Content-Security-Policy",
                                      value: "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; frame-src \(origin) \(PackageOrigin.of(request))")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }
}

/// A course item opened from outside the portal (an app, a kiosk, a test): the launch URL of a SCORM item (its
/// runtime), a cmi5 AU or an xAPI item, for an enrolled learner.
struct ItemLaunchDTO: Content {
    var kind: String
    var url: String
    var registration: String
    var sessionId: String?
    var expiresAt: Date
}

struct LaunchController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("courses", ":id", "items", ":item", "launch", use: Self.launch)
    }

    @Sendable static func launch(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let courseID = try request.id(of: "course")
        let itemID = try request.id("item", of: "item")
        guard let enrolment = try await Enrolments.of(principal.userID, in: [courseID], on: request.db).first, enrolment.status != .left else {
            throw Problem(.conflict, "Enrol in the course first: a launch is a learner's.")
        }
        let content = try await request.application.publishedContents.content(of: courseID, version: enrolment.version, on: request.db)
        guard let item = content.modules.flatMap(\.items).first(where: { $0.id == itemID }) else { throw Problem.notFound("item") }
        let back = request.application.settings.publicURL + "/learn/\(courseID.uuidString)#item-\(itemID.uuidString)"
        let answer: ItemLaunchDTO
        switch item.kind {
        case .cmi5:
            let launched = try await Cmi5Sessions.launch(principal, course: courseID, item: item, returnURL: back, request: request)
            answer = ItemLaunchDTO(kind: "cmi5", url: launched.url, registration: launched.registration, sessionId: launched.sessionId, expiresAt: launched.expiresAt)
        case .xapi where item.url?.hasPrefix("http") == true:
            let url = try await XAPILaunches.launch(principal, course: courseID, item: item, app: request.application, on: request.db)
            let registration = URLComponents(string: url)?.queryItems?.first { $0.name == "registration" }?.value ?? ""
            answer = ItemLaunchDTO(kind: "xapi", url: url, registration: registration, sessionId: nil,
                                   expiresAt: request.application.clock.now().addingTimeInterval(XAPILaunches.lifetime))
        case .lti:
            let started = try await LTILaunches.start(principal, course: courseID, item: item, app: request.application, on: request.db)
            answer = ItemLaunchDTO(kind: "lti", url: started.url, registration: started.launchID.uuidString.lowercased(), sessionId: nil, expiresAt: started.expiresAt)
        case .scorm:
            let (token, attempt) = try await ScormPlayerPages.launch(item, course: courseID, for: principal, request)
            answer = ItemLaunchDTO(kind: "scorm", url: "\(PackageOrigin.of(request))/scorm/\(token)/", registration: attempt.id!.uuidString.lowercased(),
                                   sessionId: nil, expiresAt: attempt.launchExpiresAt ?? request.application.clock.now())
        default:
            throw Problem.invalid("item", "only a SCORM, cmi5, LTI or xAPI item (one with an address) is launched; open the others from the course page")
        }
        return try await answer.encodeResponse(status: .created, for: request)
    }
}

/// The fetch URL a cmi5 AU calls for its credentials, and the files of a cmi5 package, served on the package
/// origin for the launch that opened them. Neither carries a session cookie.
struct Cmi5Controller: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("cmi5", "fetch", ":token") { request async throws -> Response in
            let answer = try await Cmi5Sessions.fetch(request.parameters.get("token") ?? "", app: request.application, on: request.db)
            let response = try LRSController.json(answer)
            response.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: "*")
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        }
        // Where an AU goes when the learner leaves it (its returnURL): the portal page around it is told to go back.
        routes.get("cmi5", "return") { request async throws -> Response in
            let t = request.catalogue
            let response = try await HTML("""
                <!doctype html><html lang="\(t.language)"><head><meta charset="utf-8"><title>\(t("cmi5.returning"))</title>
                <script src="\(Assets.url("cmi5-return.js"))" defer></script></head>
                <body><p>\(t("cmi5.returning"))</p></body></html>
                """).encodeResponse(for: request)
            response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'self'; frame-ancestors \(PackageOrigin.portal(seenFrom: request))")
            return response
        }
        routes.get("cmi5", ":launch", "files", "**") { request async throws -> Response in
            guard let id = request.parameters.get("launch").flatMap(UUIDText.parse), let launch = try await XAPILaunch.find(id, on: request.db),
                  launch.isCmi5, launch.expiresAt > request.application.clock.now(), let packageID = launch.packageID,
                  let package = try await Packages.record(packageID, on: request.db)
            else { throw Problem.notFound("launch") }
            return try await Packages.serve(request.parameters.getCatchall().joined(separator: "/"), of: package, request)
        }
    }
}
