import Crypto
import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Where package content is served from: another origin than the portal's, so that a package's scripts never
/// see the learner's session (cookies are kept per host) and cannot call the portal as the learner.
/// `PACKAGE_ORIGIN` names it; by default the same server under its other loopback name (localhost ↔ 127.0.0.1).
enum PackageOrigin {
    static func of(_ request: Request) -> String {
        if let configured = request.application.settings.packageOrigin { return configured }
        let host = request.headers.first(name: .host) ?? "localhost:8080"
        let scheme = request.application.settings.publicURL.hasPrefix("https:") ? "https" : "http"
        let swapped = host.hasPrefix("localhost") ? "127.0.0.1" + host.dropFirst("localhost".count)
            : host.hasPrefix("127.0.0.1") ? "localhost" + host.dropFirst("127.0.0.1".count) : host
        return "\(scheme)://\(swapped)"
    }

    /// The portal's origin as a request to the package origin sees it: the only page that may frame the runtime.
    static func portal(seenFrom request: Request) -> String {
        let settings = request.application.settings
        if settings.packageOrigin != nil, let url = URL(string: settings.publicURL), let scheme = url.scheme, let host = url.host {
            return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
        }
        return of(request)
    }
}

/// The learner's side of a SCORM item: the portal page that frames it, and — on the package origin, without
/// cookies — the runtime that holds the API adapter, the package's files, and the commits that become progress.
struct ScormPlayerPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("learn", ":id", "play", ":item", use: Self.page)
        routes.get("learn", ":id", "play", ":item", "next") { try await Self.step("continue", $0) }
        routes.get("learn", ":id", "play", ":item", "previous") { try await Self.step("previous", $0) }
    }

    /// Where the learner's navigation request leads: the next (or previous) part the package's sequencing allows,
    /// or back to the course when there is none.
    static func step(_ direction: String, _ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let courseID = try request.id(of: "course")
        let itemID = try request.id("item", of: "item")
        guard let enrolment = try await Enrolments.of(principal.userID, in: [courseID], on: request.db).first, enrolment.status != .left
        else { throw Redirect.to("/courses/\(courseID.uuidString)") }
        let content = try await request.application.publishedContents.content(of: courseID, version: enrolment.version, on: request.db)
        if let target = try await ScormAttempts.step(direction, from: itemID, of: principal.userID, in: content, on: request.db) {
            return request.redirect(to: "/learn/\(courseID.uuidString)/play/\(target.uuidString)")
        }
        return request.redirect(to: "/learn/\(courseID.uuidString)#item-\(itemID.uuidString)")
    }

    static let launchLifetime: TimeInterval = 8 * 3600

    /// A new attempt at a SCORM item, when the package's sequencing lets it open: its launch token (the runtime is at
    /// `<package origin>/scorm/<token>/`) and the attempt.
    static func launch(_ item: CourseContent.Item, course courseID: UUID, for principal: Principal, _ request: Request) async throws -> (token: String, attempt: ScormAttempt) {
        guard let itemID = item.id, item.kind == .scorm, let reference = item.url.flatMap(PackageItemReference.init),
              let package = try await Packages.record(reference.package, on: request.db),
              package.scorm?.leaves.contains(where: { $0.identifier == reference.activity }) == true
        else { throw Problem.notFound("item") }
        if try await ScormAttempts.offered([(itemID, reference)], to: principal.userID, on: request.db)[itemID] != .open {
            throw Problem(.conflict, request.catalogue("scorm.notYet"))
        }
        let token = SecretToken.make()
        let attempt = try await ScormAttempts.launch(user: principal.userID, course: courseID, item: itemID, reference: reference,
                                                     token: token, until: request.application.clock.now().addingTimeInterval(launchLifetime), on: request.db)
        return (token, attempt)
    }

    /// The portal page: the item in a frame from the package origin, with a way back to the course.
    @Sendable static func page(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let courseID = try request.id(of: "course")
        let itemID = try request.id("item", of: "item")
        guard let enrolment = try await Enrolments.of(principal.userID, in: [courseID], on: request.db).first, enrolment.status != .left
        else { throw Redirect.to("/courses/\(courseID.uuidString)") }
        let content = try await request.application.publishedContents.content(of: courseID, version: enrolment.version, on: request.db)
        if let item = content.modules.flatMap(\.items).first(where: { $0.id == itemID }), item.kind == .xapi || item.kind == .cmi5 {
            return try await XAPILaunches.page(item, course: courseID, title: content.title, for: principal, request)
        }
        if let item = content.modules.flatMap(\.items).first(where: { $0.id == itemID }), item.kind == .lti {
            return try await LTILaunches.frame(item, course: courseID, title: content.title, for: principal, request)
        }
        guard let item = content.modules.flatMap(\.items).first(where: { $0.id == itemID }) else { throw Problem.notFound("item") }
        let (token, attempt) = try await launch(item, course: courseID, for: principal, request)
        let origin = PackageOrigin.of(request)
        let html = Layout.page(item.title, for: request, """
            <p><a href="/learn/\(courseID.uuidString)#item-\(itemID.uuidString)">\(t("scorm.back", ["course": content.title]))</a></p>
            <p class="muted">\(t("scorm.attempt", ["number": String(attempt.number)]))</p>
            <iframe class="package" src="\(origin)/scorm/\(token)/" title="\(item.title)" allow="fullscreen; autoplay" \
            data-origin="\(origin)" data-next="/learn/\(courseID.uuidString)/play/\(itemID.uuidString)/next" \
            data-previous="/learn/\(courseID.uuidString)/play/\(itemID.uuidString)/previous" data-back="/learn/\(courseID.uuidString)#item-\(itemID.uuidString)"></iframe>
            <script src="\(Assets.url("scorm-frame.js"))" defer></script>
            """)
        let response = try await html.encodeResponse(for: request)
        response.headers.replaceOrAdd(name: "Content-Security-Policy",
                                      value: "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; frame-src \(origin)")
        return response
    }
}

/// The runtime on the package origin. Nothing here reads or sets a cookie: the launch token in the path is the
/// only credential, and it reaches one attempt of one learner until it expires.
struct ScormRuntimeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let runtime = routes.grouped("scorm", ":token")
        runtime.get(use: Self.frame)
        runtime.get("files", "**", use: Self.file)
        runtime.post("commit", use: Self.commit)
    }

    /// The attempt and package a live launch token names; 404 for any other token, or on another host than the
    /// package origin when one is set.
    static func launched(_ request: Request) async throws -> (ScormAttempt, ContentPackage) {
        if let configured = request.application.settings.packageOrigin,
           let host = URL(string: configured)?.host, request.headers.first(name: .host)?.split(separator: ":").first.map(String.init) != host {
            throw Problem.notFound("launch")
        }
        guard let token = request.parameters.get("token"),
              let attempt = try await ScormAttempts.launched(token, at: request.application.clock.now(), on: request.db),
              let package = try await Packages.record(attempt.packageID, on: request.db)
        else { throw Problem.notFound("launch") }
        return (attempt, package)
    }

    /// The launch with its package's structure and the activity it plays, for the runtime page and its commits.
    static func activity(_ request: Request) async throws -> (ScormAttempt, ScormPackage, ScormActivity) {
        let (attempt, package) = try await launched(request)
        guard let structure = package.scorm, let activity = structure.leaves.first(where: { $0.identifier == attempt.activity }) else {
            throw Problem.notFound("launch")
        }
        return (attempt, structure, activity)
    }

    /// What the adapter starts from: the edition, its data model, and the attempt's values as the SCO will read them.
    struct Launch: Content {
        var version: String
        var definitions: [ScormDataModel.Definition]
        var children: [String: String]
        var arrays: [String]
        var values: [String: String]
        var commit: String
        var launch: String
        /// The portal's origin: the only window the runtime tells of the SCO's navigation requests.
        var portal: String
    }

    @Sendable static func frame(_ request: Request) async throws -> Response {
        let (attempt, structure, activity) = try await activity(request)
        let token = request.parameters.get("token")!
        let user = try await Users.named([attempt.userID], on: request.db)[attempt.userID]?.name ?? ""
        let launch = Launch(version: structure.version.rawValue, definitions: ScormDataModel.definitions(structure.version),
                            children: ScormDataModel.children(structure.version), arrays: ScormDataModel.arrays(structure.version),
                            values: ScormAttempts.initialValues(attempt, version: structure.version, activity: activity, learnerName: user),
                            commit: "/scorm/\(token)/commit", launch: "/scorm/\(token)/files/" + (activity.launch ?? ""),
                            portal: PackageOrigin.portal(seenFrom: request))
        let json = String(decoding: try JSONEncoder().encode(launch), as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
        let page = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(activity.title))</title><link rel="stylesheet" href="\(Assets.url("style.css"))"></head>
            <body class="runtime"><script type="application/json" id="scorm-launch">\(json)</script>
            <iframe id="sco" class="sco" title="\(HTML.escape(activity.title))" allow="fullscreen; autoplay"></iframe>
            <script src="\(Assets.url("scorm-api.js"))"></script></body></html>
            """
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        headers.replaceOrAdd(name: "Content-Security-Policy",
                             value: "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors \(PackageOrigin.portal(seenFrom: request))")
        headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return Response(status: .ok, headers: headers, body: .init(string: page))
    }

    /// A file of the package, sandboxed: scripts run, but in the package's own origin; framed only within the
    /// runtime (every ancestor counts: the portal's page too).
    @Sendable static func file(_ request: Request) async throws -> Response {
        let (_, package) = try await launched(request)
        return try await Packages.serve(request.parameters.getCatchall().joined(separator: "/"), of: package, request)
    }

    /// What the adapter sends: the elements set since the last commit, in the order they were set, and whether
    /// the SCO finished (Terminate / LMSFinish).
    struct Commit: Content {
        var values: [[String]]
        var finish: Bool?
    }

    struct Committed: Content {
        var status: Int
        var percent: Double
        var score: Double?
    }

    @Sendable static func commit(_ request: Request) async throws -> Committed {
        // An overlapping commit of the same attempt makes this one read the attempt again and apply its values to it.
        for round in 1...16 {
            do {
                return try await commitOnce(request)
            } catch is ScormAttempts.Overlap {
                // A short, growing, random pause, so that commits that met once do not meet again.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(4 * round))))
            }
        }
        throw Problem(.conflict, "The attempt kept changing while this commit was written; send it again.")
    }

    static func commitOnce(_ request: Request) async throws -> Committed {
        let (attempt, structure, activity) = try await activity(request)
        guard let body = request.body.data, body.readableBytes <= 256 * 1024 else { throw Problem.invalid("values", "is missing, or larger than 256 KiB") }
        let sent: Commit
        do { sent = try JSONDecoder().decode(Commit.self, from: body) } catch { throw Problem.invalid("values", "must be a list of [element, value] pairs") }
        if sent.values.count > 5_000 { throw Problem.invalid("values", "at most 5,000 elements in one commit") }
        var data = ScormRuntimeData(version: structure.version, values: attempt.values)
        var errors: [FieldError] = []
        for (index, pair) in sent.values.enumerated() {
            guard pair.count == 2 else {
                errors.append(.init("values[\(index)]", "must be a pair [element, value]"))
                continue
            }
            let code = data.set(pair[0], pair[1])
            if code != 0 { errors.append(.init("values[\(index)]", "\(String(pair[0].prefix(200))): SetValue answers error \(code)")) }
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        return try await ScormAttempts.record(attempt, data: data, finished: sent.finish == true, activity: activity, app: request.application, on: request.db)
    }
}

extension Packages {
    /// A file of an unpacked package, on the package origin: sandboxed, framed only by the portal, never cached
    /// publicly, and telling no one where it was opened from.
    static func serve(_ path: String, of package: ContentPackage, _ request: Request) async throws -> Response {
        guard let url = request.application.contentStore.packageFile(package.archiveSHA256, path: path.removingPercentEncoding ?? path) else {
            throw Problem.notFound("file")
        }
        let response = try await request.fileio.asyncStreamFile(at: url.path)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=3600")
        response.headers.replaceOrAdd(name: "Content-Security-Policy",
                                      value: "sandbox allow-scripts allow-same-origin allow-forms allow-popups allow-modals; frame-ancestors 'self' \(PackageOrigin.portal(seenFrom: request))")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }
}
