import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// cmi5 as the LMS: an AU launched with endpoint, fetch, actor, registration and activityId; `LMS.LaunchData`
/// written before; a fetch URL that gives the session's credentials once; the AU's statements checked against its
/// session (the learner's, initialized first, nothing after terminated or abandoned); and the LMS's own statements —
/// launched, abandoned (a session left open when the next begins), waived (an AU whose moveOn is NotApplicable) and
/// satisfied (a block, once every AU in it met its moveOn; the course, once every AU did). An AU whose moveOn is met completes its course item.
enum Cmi5Sessions {
    static let sessionExtension = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
    static let category = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
    static let moveOnCategory = "https://w3id.org/xapi/cmi5/context/categories/moveon"
    static let launchData = "LMS.LaunchData"

    enum Verb {
        static let launched = "http://adlnet.gov/expapi/verbs/launched"
        static let initialized = "http://adlnet.gov/expapi/verbs/initialized"
        static let completed = "http://adlnet.gov/expapi/verbs/completed"
        static let passed = "http://adlnet.gov/expapi/verbs/passed"
        static let failed = "http://adlnet.gov/expapi/verbs/failed"
        static let terminated = "http://adlnet.gov/expapi/verbs/terminated"
        static let abandoned = "https://w3id.org/xapi/adl/verbs/abandoned"
        static let waived = "https://w3id.org/xapi/adl/verbs/waived"
        static let satisfied = "https://w3id.org/xapi/adl/verbs/satisfied"
        /// The verbs cmi5 defines for an AU: each must carry the session id.
        static let defined: Set<String> = [initialized, completed, passed, failed, terminated]
    }

    struct Launched: Content {
        var url: String
        var registration: String
        var sessionId: String
        var expiresAt: Date
    }

    /// Launches the AU a cmi5 item names, for the learner: the previous open session of it is abandoned, the
    /// launch data written, `launched` recorded; answers the URL to open.
    static func launch(_ principal: Principal, course courseID: UUID, item: CourseContent.Item, returnURL: String, request: Request) async throws -> Launched {
        let app = request.application
        let database = request.db
        guard let itemID = item.id, let reference = item.url.flatMap(PackageItemReference.init), reference.kind == .cmi5,
              let package = try await Packages.record(reference.package, on: database), let structure = package.cmi5,
              let au = structure.aus.first(where: { $0.id == reference.activity }),
              let provider = try await Courses.providerIDs(of: [courseID], on: database)[courseID], provider == package.providerID
        else { throw Problem.notFound("item") }
        let now = app.clock.now()
        let homePage = app.settings.publicURL
        let (userID, name) = (principal.userID, principal.me.name)
        let actorKey = XAPIStatement.identifier(ofActor: XAPILaunches.actor(userID, name: name, homePage: homePage))!
        let fetchToken = SecretToken.make()
        let launch = XAPILaunch()
        // The course's items for AUs the LMS waives (moveOn NotApplicable): complete without being launched.
        var waivedItems: [UUID] = []
        if let enrolment = try await Enrolments.of(userID, in: [courseID], on: database).first {
            let content = try await app.publishedContents.content(of: courseID, version: enrolment.version, on: database)
            let waivable = Set(structure.aus.filter { $0.moveOn == .notApplicable }.map { PackageItemReference(package: package.id!, activity: $0.id, kind: .cmi5).text })
            waivedItems = content.modules.flatMap(\.items).filter { $0.kind == .cmi5 && $0.url.map(waivable.contains) == true }.compactMap(\.id)
        }
        let waiving = waivedItems
        try await database.transaction { database in
            let actor = XAPILaunches.actor(userID, name: name, homePage: homePage)
            let earlier = try await XAPILaunch.query(on: database).filter(\.$userID == userID).filter(\.$kind == XAPILaunch.cmi5)
                .filter(\.$packageID == package.id!).sort(\.$createdAt, .descending).all()
            // One registration per learner and course: every AU of the course is launched in it.
            let registration = earlier.first?.registration ?? UUID().uuidString.lowercased()
            var lms: [[String: Any]] = []
            for open in earlier where open.activity == au.id && (open.state == "launched" || open.state == "initialized") {
                open.state = "abandoned"
                try await open.save(on: database)
                var abandoned = statement(Verb.abandoned, "abandoned", actor: actor, object: au.id, registration: registration, session: open.sessionID, course: structure.id)
                abandoned["result"] = ["duration": duration(from: open.createdAt, to: now)]
                lms.append(abandoned)
            }
            if earlier.isEmpty {
                // An AU whose moveOn is NotApplicable is satisfied without being launched: the LMS waives it.
                for waived in structure.aus where waived.moveOn == .notApplicable {
                    var statement = statement(Verb.waived, "waived", actor: actor, object: waived.id, registration: registration, session: nil, course: structure.id)
                    statement["result"] = ["success": true, "completion": true, "extensions": ["https://w3id.org/xapi/cmi5/result/extensions/reason": "Administrative"]]
                    lms.append(statement)
                }
                if !waiving.isEmpty {
                    let updates = waiving.map {
                        ProgressBatchInput.UpdateInput(courseId: courseID.uuidString, itemId: $0.uuidString, status: ItemStatus.completed.rawValue, percent: 100,
                                                       secondsSpent: 0, clientTime: nil, key: "cmi5:\(registration):waived:\($0.uuidString)")
                    }
                    _ = try await LearningProgress.apply(ProgressBatchInput(updates: updates), for: principal, app: app, on: database)
                }
            }
            let session = UUID().uuidString.lowercased()
            (launch.tokenHash, launch.providerID, launch.userID, launch.courseID, launch.itemID) = ("", provider, userID, courseID, itemID)
            (launch.activity, launch.registration, launch.actor, launch.createdAt, launch.expiresAt) = (au.id, registration, actorKey, now, now.addingTimeInterval(XAPILaunches.lifetime))
            (launch.kind, launch.sessionID, launch.fetchHash, launch.state, launch.packageID) = (XAPILaunch.cmi5, session, SecretToken.hash(fetchToken), "launched", package.id!)
            (launch.completed, launch.passed, launch.failed) = (false, false, false)
            try await launch.create(on: database)
            var launched = statement(Verb.launched, "launched", actor: actor, object: au.id, registration: registration, session: session, course: structure.id)
            var context = launched["context"] as! [String: Any]
            var extensions = context["extensions"] as! [String: Any]
            extensions["https://w3id.org/xapi/cmi5/context/extensions/launchmode"] = "Normal"
            extensions["https://w3id.org/xapi/cmi5/context/extensions/launchurl"] = au.url
            extensions["https://w3id.org/xapi/cmi5/context/extensions/moveon"] = au.moveOn.rawValue
            if let parameters = au.launchParameters { extensions["https://w3id.org/xapi/cmi5/context/extensions/launchparameters"] = parameters }
            context["extensions"] = extensions
            launched["context"] = context
            lms.append(launched)
            try await LearningRecords.record(lms: lms, provider: provider, homePage: homePage, at: now, on: database)
            // What the AU reads first: how it was launched, with the context its statements must carry.
            var data: [String: Any] = [
                "contextTemplate": ["contextActivities": ["grouping": [["objectType": "Activity", "id": structure.id]]], "extensions": [sessionExtension: session]],
                "launchMode": "Normal", "launchMethod": au.launchMethod, "moveOn": au.moveOn.rawValue, "returnURL": returnURL,
            ]
            if let mastery = au.masteryScore { data["masteryScore"] = mastery }
            if let parameters = au.launchParameters { data["launchParameters"] = parameters }
            if let entitlement = au.entitlementKey { data["entitlementKey"] = ["courseStructure": entitlement] }
            let client = LRSClient(providerID: provider, credentialID: launch.id!, name: "Karmayogi", key: "lms", homePage: homePage, launch: nil)
            try await XAPIDocuments.write(try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes]), contentType: "application/json",
                                          at: .init(kind: .state, activity: au.id, agent: actorKey, registration: registration, documentID: launchData),
                                          merge: false, conditions: .init(HTTPHeaders()), for: client, now: now, on: database)
        }
        let address = au.url.contains("://") ? au.url : "\(PackageOrigin.of(request))/cmi5/\(launch.id!.uuidString.lowercased())/files/\(au.url)"
        var components = URLComponents(string: address) ?? URLComponents()
        components.queryItems = (components.queryItems ?? []) + [
            URLQueryItem(name: "endpoint", value: homePage + "/xapi/"), URLQueryItem(name: "fetch", value: homePage + "/cmi5/fetch/" + fetchToken),
            URLQueryItem(name: "actor", value: LearningRecords.text(XAPILaunches.actor(userID, name: name, homePage: homePage))), URLQueryItem(name: "registration", value: launch.registration),
            URLQueryItem(name: "activityId", value: au.id),
        ]
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return Launched(url: components.string ?? address, registration: launch.registration, sessionId: launch.sessionID!, expiresAt: launch.expiresAt)
    }

    /// A statement the LMS makes about an AU (or the course), with the cmi5 context.
    static func statement(_ verb: String, _ display: String, actor: [String: Any], object: String, registration: String, session: String?, course: String) -> [String: Any] {
        var extensions: [String: Any] = [:]
        if let session { extensions[sessionExtension] = session }
        var context: [String: Any] = ["registration": registration,
                                      "contextActivities": ["category": [["id": category]], "grouping": [["id": course]]]]
        if !extensions.isEmpty { context["extensions"] = extensions }
        return ["actor": actor, "verb": ["id": verb, "display": ["en-US": display]], "object": ["objectType": "Activity", "id": object], "context": context]
    }

    static func duration(from start: Date, to end: Date) -> String {
        "PT\(String(format: "%.2f", max(0, end.timeIntervalSince(start))))S"
    }

    /// The fetch URL: the session's credentials the first time (`auth-token`, for `Authorization: Basic …`), then an
    /// error, as cmi5 says (error-code 1: already used; 2: not a launch this LMS made or one that expired).
    static func fetch(_ token: String, app: Application, on database: any Database) async throws -> [String: String] {
        let now = app.clock.now()
        return try await database.transaction { database in
            guard let launch = try await XAPILaunch.query(on: database).filter(\.$fetchHash == SecretToken.hash(token)).first(), launch.expiresAt > now,
                  launch.state == "launched" || launch.state == "initialized"
            else { return ["error-code": "2", "error-text": "This fetch URL is not one of a live launch."] }
            guard launch.fetchedAt == nil else { return ["error-code": "1", "error-text": "This fetch URL was already used: launch the AU again."] }
            let secret = SecretToken.make()
            (launch.fetchedAt, launch.tokenHash) = (now, SecretToken.hash(secret))
            try await launch.save(on: database)
            let credentials = "\(XAPICredentials.launchPrefix)\(launch.id!.uuidString.lowercased()):\(secret)"
            return ["auth-token": Data(credentials.utf8).base64EncodedString()]
        }
    }

    /// Checks the statements an AU sent in its session and records what they say, in the storing transaction:
    /// refused (403, all of them) when one is not the learner's, not in the registration or session, comes before
    /// `initialized` or after `terminated` or `abandoned`, or passes below the mastery score. Met moveOn criteria
    /// complete the item and, when every AU of the course is met, the LMS records the course satisfied.
    static func reported(_ statements: [StatementFacts], in context: XAPILaunchContext, app: Application, on database: any Database) async throws {
        guard let launch = try await XAPILaunch.find(context.launchID, on: database), let packageID = launch.packageID,
              let structure = try await Packages.record(packageID, on: database)?.cmi5,
              let au = structure.aus.first(where: { $0.id == launch.activity })
        else { throw Problem(.forbidden, "This launch is not a live cmi5 session.") }
        let initiallyTouched = launch.state != "launched"
        let before = (state: launch.state, completed: launch.completed, passed: launch.passed, failed: launch.failed)
        for statement in statements {
            guard statement.actor == launch.actor else { throw Problem(.forbidden, "A cmi5 session's statements are the launched learner's: the actor differs.") }
            guard launch.state != "terminated", launch.state != "abandoned" else {
                throw Problem(.forbidden, "The session was \(launch.state); no statement is taken after it. Launch the AU again.")
            }
            guard statement.registration == launch.registration else { throw Problem(.forbidden, "The statement's context.registration is not the launch's.") }
            if Verb.defined.contains(statement.verb) {
                guard statement.activity == launch.activity else { throw Problem(.forbidden, "A cmi5 statement's object is the launched AU (\(launch.activity)).") }
                guard statement.sessionID == launch.sessionID else { throw Problem(.forbidden, "A cmi5 statement carries the session id from LMS.LaunchData.") }
            }
            if launch.state == "launched", statement.verb != Verb.initialized {
                throw Problem(.forbidden, "Send initialized first: it opens the session.")
            }
            switch statement.verb {
            case Verb.initialized:
                guard launch.state == "launched" else { throw Problem(.forbidden, "The session was already initialized.") }
                launch.state = "initialized"
            case Verb.completed: launch.completed = true
            case Verb.passed:
                if let mastery = au.masteryScore, let scaled = statement.scaled, scaled < mastery {
                    throw Problem(.forbidden, "passed with a scaled score of \(scaled), below the AU's mastery score \(mastery).")
                }
                launch.passed = true
            case Verb.failed:
                if let mastery = au.masteryScore, let scaled = statement.scaled, scaled >= mastery {
                    throw Problem(.forbidden, "failed with a scaled score of \(scaled), at or above the AU's mastery score \(mastery).")
                }
                launch.failed = true
            case Verb.terminated: launch.state = "terminated"
            default: break
            }
        }
        // Written only if the session is still as it was read: two batches of one session at once cannot both open
        // it, nor one undo what the other recorded (the flags are only ever set).
        var update = (database as! any SQLDatabase).update(XAPILaunch.schema).set("state", to: SQLBind(launch.state))
            .where("id", .equal, SQLBind(launch.id!)).where("state", .equal, SQLBind(before.state))
        for (column, now, was) in [("completed", launch.completed, before.completed), ("passed", launch.passed, before.passed), ("failed", launch.failed, before.failed)]
        where now && !was {
            update = update.set(SQLIdentifier(column), to: SQLBind(true))
        }
        guard try await update.returning("id").all().count == 1 else {
            throw Problem(.conflict, "The session changed while these statements were checked (another batch of it arrived): send them again.")
        }
        // What the registration met, over every session of it.
        let sessions = try await XAPILaunch.query(on: database).filter(\.$registration == launch.registration).filter(\.$kind == XAPILaunch.cmi5).all()
        func met(_ unit: Cmi5Course.AU) -> Bool {
            let mine = sessions.filter { $0.activity == unit.id }
            let completed = mine.contains(where: \.completed), passed = mine.contains(where: \.passed)
            switch unit.moveOn {
            case .notApplicable: return true
            case .completed: return completed
            case .passed: return passed
            case .completedAndPassed: return completed && passed
            case .completedOrPassed: return completed || passed
            }
        }
        let auMet = met(au)
        if auMet || !initiallyTouched, let learner = try await Principal.load(userID: launch.userID, on: database) {
            let update = ProgressBatchInput.UpdateInput(courseId: launch.courseID.uuidString, itemId: launch.itemID.uuidString,
                                                        status: (auMet ? ItemStatus.completed : .inProgress).rawValue, percent: auMet ? 100 : 0,
                                                        secondsSpent: 0, clientTime: nil, key: "cmi5:\(launch.id!.uuidString):\(auMet ? "met" : "began")")
            _ = try await LearningProgress.apply(ProgressBatchInput(updates: [update]), for: learner, app: app, on: database)
        }
        // Each block around the AU whose AUs are all met is satisfied, and then the course; each once per registration.
        guard auMet else { return }
        var satisfied: [[String: Any]] = []
        let actor = XAPILaunches.actor(launch.userID, name: nil, homePage: app.settings.publicURL)
        for object in au.blocks.reversed() + [structure.id] {
            let units = object == structure.id ? structure.aus : structure.aus.filter { $0.blocks.contains(object) }
            guard units.allSatisfy(met) else { break }
            let already = try await XAPIStatementRecord.query(on: database).filter(\.$providerID == launch.providerID)
                .filter(\.$registration == launch.registration).filter(\.$verb == Verb.satisfied).filter(\.$activity == object).count()
            guard already == 0 else { continue }
            var statement = statement(Verb.satisfied, "satisfied", actor: actor, object: object, registration: launch.registration, session: launch.sessionID, course: structure.id)
            var context = statement["context"] as! [String: Any]
            var contextActivities = context["contextActivities"] as! [String: Any]
            contextActivities["category"] = [["id": category], ["id": moveOnCategory]]
            context["contextActivities"] = contextActivities
            statement["context"] = context
            satisfied.append(statement)
        }
        guard !satisfied.isEmpty else { return }
        try await LearningRecords.record(lms: satisfied, provider: launch.providerID, homePage: app.settings.publicURL, at: app.clock.now(), on: database)
    }
}
