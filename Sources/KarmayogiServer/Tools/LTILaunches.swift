import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// An LTI item played: OIDC third-party initiated login at the tool, our authentication answer (a signed id_token,
/// posted to the tool's launch URL), and the default line item its scores come back on.
enum LTILaunches {
    /// How long the tool has to come back to /lti/authorize after the learner opened the item.
    static let lifetime: TimeInterval = 300

    struct Started {
        var url: String
        var expiresAt: Date
        /// Where the tool's pages come from (its login and launch addresses), for a frame's rules.
        var toolOrigins: String
        var launchID: UUID
    }

    /// A new launch of `item` for the learner: the tool's login initiation address with the platform's parameters.
    static func start(_ principal: Principal, course courseID: UUID, item: CourseContent.Item, app: Application,
                      on database: any Database) async throws -> Started {
        guard item.kind == .lti, let toolID = item.url.flatMap(LTIItemReference.toolID), let itemID = item.id,
              let provider = try await Courses.providerIDs(of: [courseID], on: database)[courseID],
              let path = try await Organisations.find(provider, on: database)?.path,
              let tool = try await LTITools.usable(toolID, byProviderAt: path, on: database)
        else { throw Problem.notFound("item") }
        let hint = SecretToken.make()
        let now = app.clock.now()
        let launch = LTILaunch()
        (launch.hintHash, launch.toolID, launch.userID, launch.courseID, launch.itemID) = (SecretToken.hash(hint), tool.id!, principal.userID, courseID, itemID)
        (launch.createdAt, launch.expiresAt) = (now, now.addingTimeInterval(lifetime))
        try await launch.create(on: database)
        var components = URLComponents(string: tool.loginURL) ?? URLComponents()
        components.queryItems = (components.queryItems ?? []) + [
            URLQueryItem(name: "iss", value: app.settings.publicURL), URLQueryItem(name: "login_hint", value: principal.userID.uuidString.lowercased()),
            URLQueryItem(name: "target_link_uri", value: tool.launchURL), URLQueryItem(name: "lti_message_hint", value: hint),
            URLQueryItem(name: "client_id", value: tool.clientID), URLQueryItem(name: "lti_deployment_id", value: tool.deploymentID),
        ]
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let origins = Set([tool.loginURL, tool.launchURL].compactMap(LTI.origin)).sorted().joined(separator: " ")
        return Started(url: components.string ?? tool.loginURL, expiresAt: launch.expiresAt, toolOrigins: origins, launchID: launch.id!)
    }

    /// The OIDC authentication request the tool sends the learner's browser to after its login initiation. Checked
    /// against the registration and the launch it names; answered with a page that posts the id_token to the tool.
    @Sendable static func authorize(_ request: Request) async throws -> Response {
        func parameter(_ name: String) -> String? {
            (try? request.query.get(String.self, at: name)).flatMap { $0.count <= 4096 ? $0 : nil }
        }
        let refused = { (reason: String) in Problem(.badRequest, "This LTI launch cannot go on: \(reason). Open the item again from the course.") }
        guard let clientID = parameter("client_id"), let tool = try await LTITool.query(on: request.db).filter(\.$clientID == clientID).first(),
              tool.revokedAt == nil
        else { throw refused("client_id names no registered tool") }
        guard parameter("redirect_uri") == tool.launchURL else { throw refused("redirect_uri is not the tool's registered launch URL") }
        guard parameter("scope")?.split(separator: " ").contains("openid") == true else { throw refused("scope must include openid") }
        guard parameter("response_type") == "id_token" else { throw refused("response_type must be id_token") }
        guard parameter("response_mode") == "form_post" else { throw refused("response_mode must be form_post") }
        guard let nonce = parameter("nonce"), (1...256).contains(nonce.count) else { throw refused("a nonce of 1–256 characters is required") }
        let state = parameter("state")
        let now = request.application.clock.now()
        guard let hint = parameter("lti_message_hint"),
              let launch = try await LTILaunch.query(on: request.db).filter(\.$hintHash == SecretToken.hash(hint)).first(),
              launch.toolID == tool.id, launch.usedAt == nil, launch.expiresAt > now,
              parameter("login_hint") == launch.userID.uuidString.lowercased()
        else { throw refused("the launch it names is unknown, was used, has expired, or is another learner's") }
        if let signedIn = request.auth.get(Principal.self), signedIn.userID != launch.userID {
            throw refused("the launch is another learner's than the one signed in")
        }
        // One use: a second request with the same hint (a replay, a reload, one sent at the same moment) finds it used.
        let taken = try await (request.db as! any SQLDatabase).update(LTILaunch.schema).set("used_at", to: SQLBind(now))
            .where("id", .equal, SQLBind(launch.id!)).where("used_at", .is, SQLLiteral.null).returning("id").all()
        guard taken.count == 1 else { throw refused("the launch it names was used") }
        let token = try await idToken(for: launch, tool: tool, nonce: nonce, request: request)
        return try page(posting: ["id_token": token, "state": state], to: tool.launchURL, request)
    }

    /// The signed message of a resource link launch, with the services the tool may call back.
    static func idToken(for launch: LTILaunch, tool: LTITool, nonce: String, request: Request) async throws -> String {
        let app = request.application
        guard let learner = try await Principal.load(userID: launch.userID, on: request.db),
              let version = try await Courses.publishedVersion(of: launch.courseID, on: request.db)
        else { throw Problem.notFound("launch") }
        let content = try await app.publishedContents.content(of: launch.courseID, version: version, on: request.db)
        guard let item = content.modules.flatMap(\.items).first(where: { $0.id == launch.itemID }) else { throw Problem.notFound("item") }
        let lineItem = try await LTIServices.defaultLineItem(tool: tool.id!, course: launch.courseID, item: item, app: app, on: request.db)
        let base = app.settings.publicURL
        let context = "\(base)/lti/contexts/\(launch.courseID.uuidString.lowercased())"
        let now = app.clock.now().timeIntervalSince1970.rounded(.down)
        let claims: [String: Any] = [
            "iss": base, "aud": tool.clientID, "azp": tool.clientID, "sub": launch.userID.uuidString.lowercased(),
            "iat": Int(now), "exp": Int(now) + 600, "nonce": nonce, "name": learner.me.name, "locale": learner.me.language,
            LTI.claim + "message_type": "LtiResourceLinkRequest", LTI.claim + "version": LTI.version,
            LTI.claim + "deployment_id": tool.deploymentID, LTI.claim + "target_link_uri": tool.launchURL,
            LTI.claim + "resource_link": ["id": launch.itemID.uuidString.lowercased(), "title": item.title],
            LTI.claim + "roles": [LTI.learnerRole],
            LTI.claim + "context": ["id": launch.courseID.uuidString.lowercased(), "title": content.title, "type": [LTI.courseContext]],
            LTI.claim + "tool_platform": ["guid": base, "name": "Karmayogi", "product_family_code": "karmayogi"],
            LTI.claim + "launch_presentation": ["document_target": "iframe", "locale": learner.me.language,
                                                 "return_url": "\(base)/learn/\(launch.courseID.uuidString)#item-\(launch.itemID.uuidString)"],
            LTI.agsClaim: ["scope": [LTI.Scope.lineItem, .lineItemReadOnly, .resultReadOnly, .score].map(\.rawValue),
                           "lineitems": "\(context)/lineitems", "lineitem": "\(context)/lineitems/\(lineItem.uuidString.lowercased())"],
            LTI.nrpsClaim: ["context_memberships_url": "\(context)/memberships", "service_versions": ["2.0"]],
        ]
        return try app.ltiKeys.sign(claims)
    }

    /// A page that posts its fields to a tool (OIDC form_post): by itself where scripts run, by a button elsewhere.
    static func page(posting fields: [String: String?], to address: String, _ request: Request) throws -> Response {
        let t = request.catalogue
        let inputs = fields.sorted { $0.key < $1.key }.compactMap { name, value in
            value.map { "<input type=\"hidden\" name=\"\(name)\" value=\"\(HTML.escape($0))\">" }
        }.joined()
        let body = """
            <!doctype html><html lang="\(t.language)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\
            <title>\(t("lti.opening"))</title><link rel="stylesheet" href="\(Assets.url("style.css"))">\
            <script src="\(Assets.url("lti-post.js"))" defer></script></head>\
            <body><main><form method="post" action="\(HTML.escape(address))" data-lti-post>\(inputs)<p>\(t("lti.opening"))</p>\
            <button>\(t("lti.continue"))</button></form></main></body></html>
            """
        let response = Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"],
                                body: .init(string: body))
        let origin = LTI.origin(of: address) ?? "'none'"
        response.headers.replaceOrAdd(name: "Content-Security-Policy",
                                      value: "default-src 'none'; script-src 'self'; style-src 'self'; form-action \(origin); frame-ancestors 'self'")
        return response
    }

    /// The portal page that frames an LTI item: the tool, in a frame, from its own origin.
    static func frame(_ item: CourseContent.Item, course courseID: UUID, title: String, for principal: Principal, _ request: Request) async throws -> Response {
        let t = request.catalogue
        let started = try await start(principal, course: courseID, item: item, app: request.application, on: request.db)
        let back = "/learn/\(courseID.uuidString)#item-\(item.id!.uuidString)"
        let html = Layout.page(item.title, for: request, """
            <p><a href="\(back)">\(t("scorm.back", ["course": title]))</a></p>
            <iframe class="package" src="\(started.url)" title="\(item.title)" allow="fullscreen; autoplay"></iframe>
            <p class="muted">\(t("lti.reports"))</p>
            """)
        let response = try await html.encodeResponse(for: request)
        // The tool's login sends the frame to /lti/authorize here, which posts to the tool: both origins are framed.
        response.headers.replaceOrAdd(name: "Content-Security-Policy",
                                      value: "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; frame-src 'self' \(started.toolOrigins)")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }
}

/// The authentication request comes back through the learner's browser, so it is served among the pages: a session,
/// when the browser sends one, must be the launch's learner.
struct LTIPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("lti", "authorize", use: LTILaunches.authorize)
    }
}
