import Fluent
import Foundation
import JWTKit
import KarmayogiCore
import Vapor

/// The services a launched tool calls back: an access token for its signed client assertion (OAuth 2 client
/// credentials), Assignment and Grade Services (line items, scores, results) and Names and Role Provisioning, each
/// within a course (an LTI context) that has an item launching the tool.
enum LTIServices {
    static let tokenLifetime: TimeInterval = 3600

    /// The line item a course item's scores come back on, made at the item's first launch.
    static func defaultLineItem(tool: UUID, course: UUID, item: CourseContent.Item, app: Application, on database: any Database) async throws -> UUID {
        if let found = try await LTILineItem.query(on: database).filter(\.$toolID == tool).filter(\.$courseID == course).filter(\.$itemID == item.id)
            .sort(\.$createdAt).first() {
            return found.id!
        }
        let line = LTILineItem()
        (line.toolID, line.courseID, line.itemID, line.label, line.scoreMaximum) = (tool, course, item.id, item.title, 100)
        line.createdAt = app.clock.now()
        try await line.create(on: database)
        return line.id!
    }

    // MARK: Tokens

    /// An OAuth 2 error, as token clients read it.
    struct OAuthError: Error {
        var status: HTTPResponseStatus = .badRequest
        var code: String
        var description: String

        func response() -> Response {
            let response = (try? LRSController.json(["error": code, "error_description": description])) ?? Response(status: status)
            response.status = status
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        }
    }

    struct ClientAssertion: JWTPayload {
        var iss: IssuerClaim
        var sub: SubjectClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim?
        var jti: IDClaim?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// The fields of a form body, read here rather than by a decoder: at most 16 KB, in UTF-8, each once.
    static func form(_ request: Request) async throws -> [String: String] {
        guard request.headers.contentType == .urlEncodedForm else { throw OAuthError(code: "invalid_request", description: "send the token request as application/x-www-form-urlencoded") }
        let buffer = try await request.body.collect(max: 16 * 1024).get()
        guard let buffer, let text = buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes) else {
            throw OAuthError(code: "invalid_request", description: "the body is empty")
        }
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
                  let value = String(parts.count > 1 ? parts[1] : "").replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            else { throw OAuthError(code: "invalid_request", description: "the body is not a well-formed form") }
            guard fields[name] == nil else { throw OAuthError(code: "invalid_request", description: "\(name) is sent twice") }
            fields[name] = value
        }
        return fields
    }

    /// POST /lti/token: a tool's signed assertion (RS256, by a key of its set, for this endpoint, unexpired, its
    /// `jti` never seen) buys an access token for the scopes asked that the platform offers.
    @Sendable static func token(_ request: Request) async throws -> Response {
        do {
            let fields = try await form(request)
            guard fields["grant_type"] == "client_credentials" else { throw OAuthError(code: "unsupported_grant_type", description: "grant_type must be client_credentials") }
            guard fields["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", let assertion = fields["client_assertion"],
                  assertion.count <= 8192
            else { throw OAuthError(code: "invalid_request", description: "client_assertion_type must be jwt-bearer, with a client_assertion") }
            let scopes = LTI.Scope.granted(fields["scope"] ?? "")
            guard !scopes.isEmpty else { throw OAuthError(code: "invalid_scope", description: "ask for at least one of: \(LTI.Scope.allCases.map(\.rawValue).joined(separator: " "))") }
            let tool = try await verified(assertion, request: request)
            let secret = SecretToken.make()
            let token = LTIAccessToken()
            (token.tokenHash, token.toolID, token.scopes) = (SecretToken.hash(secret), tool.id!, scopes.map(\.rawValue).joined(separator: " "))
            token.expiresAt = request.application.clock.now().addingTimeInterval(tokenLifetime)
            try await token.create(on: request.db)
            let response = try LRSController.json(["access_token": secret, "token_type": "Bearer", "expires_in": Int(tokenLifetime), "scope": token.scopes])
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        } catch let error as OAuthError {
            return error.response()
        }
    }

    /// The tool whose client assertion this is, after its signature, audience, dates and `jti` are checked.
    static func verified(_ assertion: String, request: Request) async throws -> LTITool {
        let invalid = { (reason: String) in OAuthError(status: .unauthorized, code: "invalid_client", description: reason) }
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let body = Base64URL.decode(parts[1]),
              let claims = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let clientID = claims["iss"] as? String, clientID.count <= 200
        else { throw invalid("client_assertion is not a JWT naming its issuer") }
        guard let tool = try await LTITool.query(on: request.db).filter(\.$clientID == clientID).first(), tool.revokedAt == nil else {
            throw invalid("no registered tool has the client id \(clientID)")
        }
        let keys = JWTKeyCollection()
        do {
            let set = try await LTITools.keySet(of: tool, client: request.client)
            for (index, key) in set.keys.enumerated() { try await keys.add(jwk: key, isDefault: index == 0) }
        } catch {
            throw invalid("the tool's keys could not be read: \(error)")
        }
        let payload: ClientAssertion
        do {
            payload = try await keys.verify(assertion, as: ClientAssertion.self)
        } catch {
            throw invalid("the client assertion's signature does not verify with the tool's keys")
        }
        let base = request.application.settings.publicURL
        let now = request.application.clock.now()
        guard payload.sub.value == clientID else { throw invalid("the assertion's sub must be the client id") }
        guard payload.aud.value.contains(where: { $0 == base + "/lti/token" || $0 == base }) else {
            throw invalid("the assertion's aud must be \(base)/lti/token")
        }
        guard payload.exp.value > now else { throw OAuthError(code: "invalid_grant", description: "the client assertion has expired") }
        guard payload.exp.value < now.addingTimeInterval(3600), (payload.iat?.value ?? now) < now.addingTimeInterval(60) else {
            throw OAuthError(code: "invalid_grant", description: "the client assertion must expire within an hour and not be issued in the future")
        }
        guard let jti = payload.jti?.value, (1...255).contains(jti.count) else { throw OAuthError(code: "invalid_grant", description: "the client assertion needs a jti") }
        let seen = LTIAssertion()
        (seen.toolID, seen.jti, seen.expiresAt) = (tool.id!, jti, payload.exp.value)
        do {
            try await seen.create(on: request.db)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw OAuthError(code: "invalid_grant", description: "this client assertion (its jti) was used before")
        }
        try await LTIAssertion.query(on: request.db).filter(\.$toolID == tool.id!).filter(\.$expiresAt < now).delete()
        return tool
    }

    // MARK: Services

    /// The tool and scopes of a request's bearer token; 401 for anything else.
    static func caller(_ request: Request, needs wanted: [LTI.Scope]) async throws -> LTITool {
        guard let bearer = request.headers.bearerAuthorization?.token, bearer.count <= 200,
              let token = try await LTIAccessToken.query(on: request.db).filter(\.$tokenHash == SecretToken.hash(bearer)).first(),
              token.expiresAt > request.application.clock.now(),
              let tool = try await LTITool.find(token.toolID, on: request.db), tool.revokedAt == nil
        else { throw Problem(.unauthorized, "Send an access token from /lti/token (Authorization: Bearer …).") }
        let held = Set(token.scopes.split(separator: " ").map(String.init))
        guard wanted.contains(where: { held.contains($0.rawValue) }) else {
            throw Problem(.forbidden, "The access token was not granted \(wanted.map(\.rawValue).joined(separator: " or ")).")
        }
        return tool
    }

    /// The course a context id names, when one of its published items launches the tool; 404 otherwise, as for a
    /// course that does not exist.
    static func context(_ request: Request, of tool: LTITool) async throws -> (id: UUID, content: CourseContent, items: [CourseContent.Item]) {
        guard let courseID = request.parameters.get("context").flatMap(UUIDText.parse),
              let version = try await Courses.publishedVersion(of: courseID, on: request.db)
        else { throw Problem.notFound("context") }
        let content = try await request.application.publishedContents.content(of: courseID, version: version, on: request.db)
        let items = content.modules.flatMap(\.items).filter { $0.kind == .lti && $0.url.flatMap(LTIItemReference.toolID) == tool.id }
        guard !items.isEmpty else { throw Problem.notFound("context") }
        return (courseID, content, items)
    }

    static func lineItem(_ request: Request, tool: LTITool, course: UUID) async throws -> LTILineItem {
        guard let id = request.parameters.get("line").flatMap(UUIDText.parse), let line = try await LTILineItem.find(id, on: request.db),
              line.toolID == tool.id, line.courseID == course
        else { throw Problem.notFound("line item") }
        return line
    }

    static func address(of line: LTILineItem, _ request: Request) -> String {
        "\(request.application.settings.publicURL)/lti/contexts/\(line.courseID.uuidString.lowercased())/lineitems/\(line.id!.uuidString.lowercased())"
    }

    static func json(_ object: Any, type: String, status: HTTPResponseStatus = .ok) throws -> Response {
        let response = try LRSController.json(object)
        response.status = status
        response.headers.replaceOrAdd(name: .contentType, value: type)
        return response
    }

    static func lineItemJSON(_ line: LTILineItem, _ request: Request) -> [String: Any] {
        var object: [String: Any] = ["id": address(of: line, request), "label": line.label, "scoreMaximum": line.scoreMaximum]
        object["resourceLinkId"] = line.itemID?.uuidString.lowercased()
        object["resourceId"] = line.resourceID
        object["tag"] = line.tag
        return object
    }

    /// A line item's fields as a tool sends them, checked; `resourceLinkId` must be one of the context's LTI items.
    static func lineItemFields(_ request: Request, items: [CourseContent.Item]) throws -> (label: String, maximum: Double, item: UUID?, resource: String?, tag: String?) {
        let fields = try request.lenientJSON()
        var problems: [FieldError] = []
        let label = (fields["label"] as? String)?.trimmed ?? ""
        if !(1...300).contains(label.count) { problems.append(FieldError("label", "is required: 1–300 characters")) }
        let maximum = (fields["scoreMaximum"] as? NSNumber).flatMap { $0 is Bool ? nil : $0.doubleValue } ?? -1
        if !(maximum > 0 && maximum.isFinite) { problems.append(FieldError("scoreMaximum", "is required: a number above 0")) }
        var item: UUID?
        if let link = fields["resourceLinkId"] {
            item = (link as? String).flatMap(UUIDText.parse)
            if item == nil || !items.contains(where: { $0.id == item }) { problems.append(FieldError("resourceLinkId", "is not a resource link of this context that launches the tool")) }
        }
        let resource = fields["resourceId"] as? String, tag = fields["tag"] as? String
        if fields["resourceId"] != nil && (resource == nil || resource!.count > 256) { problems.append(FieldError("resourceId", "must be a string of at most 256 characters")) }
        if fields["tag"] != nil && (tag == nil || tag!.count > 256) { problems.append(FieldError("tag", "must be a string of at most 256 characters")) }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        return (label, maximum, item, resource, tag)
    }

    static func listLineItems(_ request: Request) async throws -> Response {
        let tool = try await caller(request, needs: [.lineItem, .lineItemReadOnly])
        let (courseID, _, _) = try await context(request, of: tool)
        let query = LTILineItem.query(on: request.db).filter(\.$toolID == tool.id!).filter(\.$courseID == courseID)
        if let link = request.query[String.self, at: "resource_link_id"] { query.filter(\.$itemID == UUIDText.parse(link) ?? UUID()) }
        if let resource = request.query[String.self, at: "resource_id"] { query.filter(\.$resourceID == resource) }
        if let tag = request.query[String.self, at: "tag"] { query.filter(\.$tag == tag) }
        let limit = min(max(request.query[Int.self, at: "limit"] ?? 100, 1), 1000)
        let lines = try await query.sort(\.$createdAt).sort(\.$id).limit(limit).all()
        return try json(lines.map { lineItemJSON($0, request) }, type: LTI.MediaType.lineItems)
    }

    static func createLineItem(_ request: Request) async throws -> Response {
        let tool = try await caller(request, needs: [.lineItem])
        let (courseID, _, items) = try await context(request, of: tool)
        let fields = try lineItemFields(request, items: items)
        let line = LTILineItem()
        (line.toolID, line.courseID, line.itemID, line.label, line.scoreMaximum) = (tool.id!, courseID, fields.item, fields.label, fields.maximum)
        (line.resourceID, line.tag, line.createdAt) = (fields.resource, fields.tag, request.application.clock.now())
        try await line.create(on: request.db)
        return try json(lineItemJSON(line, request), type: LTI.MediaType.lineItem, status: .created)
    }

    static func readLineItem(_ request: Request) async throws -> Response {
        let tool = try await caller(request, needs: [.lineItem, .lineItemReadOnly])
        let (courseID, _, _) = try await context(request, of: tool)
        return try json(lineItemJSON(try await lineItem(request, tool: tool, course: courseID), request), type: LTI.MediaType.lineItem)
    }

    static func updateLineItem(_ request: Request) async throws -> Response {
        let tool = try await caller(request, needs: [.lineItem])
        let (courseID, _, items) = try await context(request, of: tool)
        let line = try await lineItem(request, tool: tool, course: courseID)
        let fields = try lineItemFields(request, items: items)
        if fields.item != nil && fields.item != line.itemID { throw Problem.invalid("resourceLinkId", "a line item's resource link does not change") }
        (line.label, line.scoreMaximum, line.resourceID, line.tag) = (fields.label, fields.maximum, fields.resource, fields.tag)
        try await line.save(on: request.db)
        return try json(lineItemJSON(line, request), type: LTI.MediaType.lineItem)
    }

    static func deleteLineItem(_ request: Request) async throws -> Response {
        let tool = try await caller(request, needs: [.lineItem])
        let (courseID, _, _) = try await context(request, of: tool)
        let line = try await lineItem(request, tool: tool, course: courseID)
        try await request.db.transaction { database in
            try await LTIScoreRecord.query(on: database).filter(\.$lineItemID == line.id!).delete()
            try await line.delete(on: database)
        }
        return Response(status: .noContent)
    }

    /// POST …/scores: the learner's latest score on the line item, kept once it is checked (an older timestamp
    /// than the one kept is refused); on a resource link's line item it becomes the learner's progress on that item.
    static func postScore(_ request: Request) async throws -> Response {
        let tool = try await caller(request, needs: [.score])
        let (courseID, _, _) = try await context(request, of: tool)
        let line = try await lineItem(request, tool: tool, course: courseID)
        let fields = try request.lenientJSON()
        func number(_ name: String) -> Double? { (fields[name] as? NSNumber).flatMap { $0 is Bool ? nil : $0.doubleValue } }
        let score = LTIScore(userId: fields["userId"] as? String, scoreGiven: number("scoreGiven"), scoreMaximum: number("scoreMaximum"),
                             activityProgress: fields["activityProgress"] as? String, gradingProgress: fields["gradingProgress"] as? String,
                             timestamp: fields["timestamp"] as? String, comment: fields["comment"] as? String)
        var problems = score.problems
        for name in ["scoreGiven", "scoreMaximum"] where fields[name] != nil && !(fields[name] is NSNull) && number(name) == nil {
            problems.append(FieldError(name, "must be a number"))
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let userID = UUIDText.parse(score.userId!)!, time = score.time!
        guard try await Enrolments.isEnrolled(userID, in: courseID, on: request.db) else {
            throw Problem.invalid("userId", "is not a learner of this context")
        }
        let kept = try await LTIScoreRecord.query(on: request.db).filter(\.$lineItemID == line.id!).filter(\.$userID == userID).first()
        if let kept, kept.timestamp > time { throw Problem(.conflict, "A later score (\(kept.timestamp)) is kept for this learner; this one is older.") }
        let record = kept ?? LTIScoreRecord()
        (record.lineItemID, record.userID, record.scoreGiven, record.scoreMaximum) = (line.id!, userID, score.scoreGiven, score.scoreMaximum)
        (record.activityProgress, record.gradingProgress, record.comment, record.timestamp) = (score.activityProgress!, score.gradingProgress!, score.comment, time)
        let learner = line.itemID == nil ? nil : try await Principal.load(userID: userID, on: request.db)
        // The score and the progress it makes are kept together, or neither is.
        try await request.db.transaction { database in
            try await record.save(on: database)
            guard let itemID = line.itemID, let learner else { return }
            let completed = score.itemStatus == .completed
            // The same score sent again counts once.
            let key = "lti:" + SecretToken.hash("\(line.id!):\(userID):\(score.timestamp!)").prefix(40)
            let update = ProgressBatchInput.UpdateInput(courseId: courseID.uuidString, itemId: itemID.uuidString, status: score.itemStatus.rawValue,
                                                        percent: completed ? 100 : 0, secondsSpent: 0, clientTime: nil, key: String(key))
            _ = try await LearningProgress.apply(ProgressBatchInput(updates: [update]), for: learner, app: request.application, on: database)
        }
        return Response(status: .noContent)
    }

    static func results(_ request: Request) async throws -> Response {
        let tool = try await caller(request, needs: [.resultReadOnly])
        let (courseID, _, _) = try await context(request, of: tool)
        let line = try await lineItem(request, tool: tool, course: courseID)
        let query = LTIScoreRecord.query(on: request.db).filter(\.$lineItemID == line.id!)
        if let user = request.query[String.self, at: "user_id"] { query.filter(\.$userID == UUIDText.parse(user) ?? UUID()) }
        let limit = min(max(request.query[Int.self, at: "limit"] ?? 100, 1), 1000)
        let lineAddress = address(of: line, request)
        let results: [[String: Any]] = try await query.sort(\.$userID).limit(limit).all().map { score in
            var result: [String: Any] = ["id": "\(lineAddress)/results/\(score.userID.uuidString.lowercased())", "scoreOf": lineAddress,
                                         "userId": score.userID.uuidString.lowercased()]
            if let given = score.scoreGiven, let maximum = score.scoreMaximum {
                (result["resultScore"], result["resultMaximum"]) = (given / maximum * line.scoreMaximum, line.scoreMaximum)
            }
            result["comment"] = score.comment
            return result
        }
        return try json(results, type: LTI.MediaType.results)
    }

    /// GET …/memberships: the context's learners, a page at a time (`limit`, and a `Link` to the next page).
    static func memberships(_ request: Request) async throws -> Response {
        let tool = try await caller(request, needs: [.memberships])
        let (courseID, content, _) = try await context(request, of: tool)
        let limit = min(max(request.query[Int.self, at: "limit"] ?? 100, 1), 1000)
        let after = request.query[String.self, at: "after"].flatMap(UUIDText.parse)
        let learners = try await Enrolments.learners(of: courseID, after: after, limit: limit, on: request.db)
        let names = try await Users.named(learners.map(\.userID), on: request.db)
        let base = "\(request.application.settings.publicURL)/lti/contexts/\(courseID.uuidString.lowercased())/memberships"
        let members: [[String: Any]] = learners.map { learner in
            var member: [String: Any] = ["user_id": learner.userID.uuidString.lowercased(), "status": "Active", "roles": [LTI.learnerRole]]
            member["name"] = names[learner.userID]?.name
            return member
        }
        let response = try json(["id": base, "context": ["id": courseID.uuidString.lowercased(), "title": content.title], "members": members],
                                type: LTI.MediaType.memberships)
        if learners.count == limit, let last = learners.last {
            response.headers.replaceOrAdd(name: "Link", value: "<\(base)?limit=\(limit)&after=\(last.userID.uuidString.lowercased())>; rel=\"next\"")
        }
        return response
    }
}

/// The platform's LTI addresses: its keys, the token endpoint and the services, outside the session guard (tools
/// call with their own credentials); the authentication request, among the pages (it reads the learner's session).
struct LTIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let lti = routes.grouped("lti")
        lti.get("jwks.json") { request async throws -> Response in
            let response = try LRSController.json(request.application.ltiKeys.jwks)
            response.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: "*")
            return response
        }
        lti.post("token", use: LTIServices.token)
        let context = lti.grouped("contexts", ":context")
        context.get("lineitems") { try await LTIServices.listLineItems($0) }
        context.post("lineitems") { try await LTIServices.createLineItem($0) }
        context.get("lineitems", ":line") { try await LTIServices.readLineItem($0) }
        context.put("lineitems", ":line") { try await LTIServices.updateLineItem($0) }
        context.delete("lineitems", ":line") { try await LTIServices.deleteLineItem($0) }
        context.post("lineitems", ":line", "scores") { try await LTIServices.postScore($0) }
        context.get("lineitems", ":line", "results") { try await LTIServices.results($0) }
        context.get("memberships") { try await LTIServices.memberships($0) }
    }
}
