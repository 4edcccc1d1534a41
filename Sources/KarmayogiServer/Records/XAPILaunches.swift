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
    static func actor(_ userID: UUID, name: String, homePage: String) -> [String: Any] {
        ["objectType": "Agent", "name": name, "account": ["homePage": homePage, "name": userID.uuidString.lowercased()]]
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

    /// The portal page that frames an xAPI item's content, launched for the learner.
    static func page(_ item: CourseContent.Item, course courseID: UUID, title: String, for principal: Principal, _ request: Request) async throws -> Response {
        let t = request.catalogue
        let address = try await launch(principal, course: courseID, item: item, app: request.application, on: request.db)
        let origin = URLComponents(string: address).map { "\($0.scheme ?? "https")://\($0.host ?? "")\($0.port.map { ":\($0)" } ?? "")" } ?? "'none'"
        let back = "/learn/\(courseID.uuidString)#item-\(item.id!.uuidString)"
        let html = Layout.page(item.title, for: request, """
            <p><a href="\(back)">\(t("scorm.back", ["course": title]))</a></p>
            <iframe class="package" src="\(address)" title="\(item.title)" allow="fullscreen; autoplay"></iframe>
            <p class="muted">\(t("xapi.reports"))</p>
            """)
        let response = try await html.encodeResponse(for: request)
        response.headers.replaceOrAdd(name: "Content-Security-Policy",
                                      value: "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; frame-src \(origin)")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }
}
