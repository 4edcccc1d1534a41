import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// The xAPI 1.0.3 learning record store at /xapi/: statements, the State, Activity Profile and Agent Profile
/// documents, activities, agents and about. A client signs in with HTTP Basic: a provider's key and secret, or
/// the key and token of a launch. Errors are problem+json, with 400 for what xAPI calls a bad request.
struct LRSController: RouteCollection {
    static let version = "1.0.3"
    static let documentLimit = 1 << 20

    func boot(routes: any RoutesBuilder) throws {
        let xapi = routes.grouped("xapi").grouped(LRSMiddleware())
        xapi.get("about", use: Self.about)
        xapi.on(.OPTIONS, "**") { _ in Response(status: .noContent) }
        xapi.on(.PUT, "statements", body: .collect(maxSize: "4mb"), use: Self.put)
        xapi.on(.POST, "statements", body: .collect(maxSize: "4mb"), use: Self.post)
        xapi.get("statements", use: Self.get)
        for (path, kind) in [(["activities", "state"], XAPIDocument.Kind.state), (["activities", "profile"], .activityProfile), (["agents", "profile"], .agentProfile)] {
            let segments = path.map { PathComponent(stringLiteral: $0) }
            xapi.on(.PUT, segments, body: .collect(maxSize: "1mb")) { try await Self.write($0, kind, merge: false) }
            xapi.on(.POST, segments, body: .collect(maxSize: "1mb")) { try await Self.write($0, kind, merge: true) }
            xapi.get(segments) { try await Self.read($0, kind) }
            xapi.delete(segments) { try await Self.remove($0, kind) }
        }
        xapi.get("activities", use: Self.activity)
        xapi.get("agents", use: Self.person)
    }

    @Sendable static func about(_ request: Request) async throws -> Response {
        try json(["version": ["1.0.3", "1.0.2", "1.0.1", "1.0.0"], "extensions": [String: Any]()])
    }

    // MARK: Statements

    @Sendable static func put(_ request: Request) async throws -> Response {
        let client = try request.lrsClient
        let parameters = try request.xapiParameters(allowed: ["statementId"])
        guard let id = parameters["statementId"] else { throw LearningRecords.problem("PUT needs the statementId parameter.", [FieldError("statementId", "is required")]) }
        guard UUIDText.parse(id) != nil, id.count == 36 else { throw LearningRecords.problem("statementId must be a UUID.", [FieldError("statementId", "must be a UUID")]) }
        let value = try LearningRecords.parse(try request.jsonBody())
        guard !(value is [Any]) else { throw LearningRecords.problem("PUT takes one statement; POST a list.") }
        _ = try await LearningRecords.store([value], fixedID: id.lowercased(), by: client, app: request.application, on: request.db)
        return Response(status: .noContent)
    }

    @Sendable static func post(_ request: Request) async throws -> Response {
        let client = try request.lrsClient
        _ = try request.xapiParameters(allowed: [])
        let value = try LearningRecords.parse(try request.jsonBody())
        let ids = try await LearningRecords.store((value as? [Any]) ?? [value], by: client, app: request.application, on: request.db)
        return try json(ids)
    }

    @Sendable static func get(_ request: Request) async throws -> Response {
        let client = try request.lrsClient
        let parameters = try request.xapiParameters(allowed: ["statementId", "voidedStatementId", "agent", "verb", "activity", "registration", "related_activities",
                                                             "related_agents", "since", "until", "limit", "format", "attachments", "ascending", "more"])
        let format = parameters["format"] ?? "exact"
        guard ["exact", "ids", "canonical"].contains(format) else { throw LearningRecords.problem("format must be exact, ids or canonical.", [FieldError("format", "must be exact, ids or canonical")]) }
        if parameters["attachments"] == "true" {
            throw LearningRecords.problem("This LRS keeps attachments by fileUrl only; ask with attachments=false.", [FieldError("attachments", "must be false")])
        }
        let languages = request.headers.first(name: .acceptLanguage).map { header in
            header.split(separator: ",").map { String($0.split(separator: ";")[0]).trimmed }.filter { !$0.isEmpty && $0 != "*" }
        } ?? []
        let consistent = LearningRecords.timestampText(request.application.clock.now())
        for (key, voided) in [("statementId", false), ("voidedStatementId", true)] {
            guard let id = parameters[key] else { continue }
            let others = Set(parameters.keys).subtracting([key, "format", "attachments"])
            guard others.isEmpty else { throw LearningRecords.problem("\(key) is asked for alone (with format or attachments at most).", others.sorted().map { FieldError($0, "cannot be used with \(key)") }) }
            guard let record = try await LearningRecords.statement(id, voided: voided, for: client, on: request.db) else {
                throw Problem(.notFound, voided ? "No voided statement with that id is stored." : "No statement with that id is stored (or it was voided).")
            }
            let response = try json(LearningRecords.formatted(record.body, format, languages: languages))
            response.headers.replaceOrAdd(name: .lastModified, value: LearningRecords.timestampText(record.stored))
            response.headers.replaceOrAdd(name: "X-Experience-API-Consistent-Through", value: consistent)
            return response
        }
        var query: LearningRecords.Query
        if let more = parameters["more"] {
            // The link carries the whole query; some clients (ralph) send the first page's parameters along with it.
            guard let decoded = LearningRecords.Query(encoded: more) else {
                throw LearningRecords.problem("more must be a link this LRS gave.", [FieldError("more", "is not a link this LRS gave")])
            }
            query = decoded
        } else {
            query = try Self.query(parameters, format: format)
        }
        let (statements, next) = try await LearningRecords.statements(query, for: client, on: request.db)
        var result: [String: Any] = ["statements": statements.map { LearningRecords.formatted($0, query.format, languages: languages) }]
        result["more"] = next.map { "/xapi/statements?more=" + $0.encoded } ?? ""
        let response = try json(result)
        response.headers.replaceOrAdd(name: "X-Experience-API-Consistent-Through", value: consistent)
        return response
    }

    static func query(_ parameters: [String: String], format: String) throws -> LearningRecords.Query {
        var query = LearningRecords.Query()
        var errors: [FieldError] = []
        query.format = format
        if let text = parameters["agent"] {
            if let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let id = XAPIStatement.identifier(ofActor: value) { query.agent = id }
            else { errors.append(FieldError("agent", "must be an Agent or identified Group as JSON, with exactly one of mbox, mbox_sha1sum, openid or account")) }
        }
        if let verb = parameters["verb"] { if Cmi5Structure.isAbsoluteIRI(verb) { query.verb = verb } else { errors.append(FieldError("verb", "must be an IRI")) } }
        if let activity = parameters["activity"] { if Cmi5Structure.isAbsoluteIRI(activity) { query.activity = activity } else { errors.append(FieldError("activity", "must be an IRI")) } }
        if let registration = parameters["registration"] {
            if UUIDText.parse(registration) != nil { query.registration = registration.lowercased() } else { errors.append(FieldError("registration", "must be a UUID")) }
        }
        for (key, path) in [("related_activities", \LearningRecords.Query.relatedActivities), ("related_agents", \.relatedAgents), ("ascending", \.ascending)] {
            guard let text = parameters[key] else { continue }
            if text == "true" || text == "false" { query[keyPath: path] = text == "true" } else { errors.append(FieldError(key, "must be true or false")) }
        }
        for (key, path) in [("since", \LearningRecords.Query.since), ("until", \.until)] {
            guard let text = parameters[key] else { continue }
            if let date = XAPIStatement.timestamp(text) { query[keyPath: path] = date } else { errors.append(FieldError(key, "must be an ISO 8601 date and time with a time zone")) }
        }
        if let text = parameters["limit"] {
            if let limit = Int(text), limit >= 0 { query.limit = limit == 0 ? LearningRecords.maximumLimit : min(limit, LearningRecords.maximumLimit) }
            else { errors.append(FieldError("limit", "must be a whole number, 0 for as many as the LRS gives")) }
        }
        guard errors.isEmpty else { throw LearningRecords.problem("The query has invalid parameters: \(errors.map(\.field).joined(separator: ", ")).", errors) }
        return query
    }

    // MARK: Documents

    static func key(_ request: Request, _ kind: XAPIDocument.Kind, single: Bool, method: HTTPMethod) throws -> (XAPIDocuments.Key, since: Date?) {
        let idName = kind == .state ? "stateId" : "profileId"
        var allowed: Set<String> = [idName]
        switch kind {
        case .state: allowed.formUnion(["activityId", "agent", "registration"])
        case .activityProfile: allowed.insert("activityId")
        case .agentProfile: allowed.insert("agent")
        }
        if method == .GET { allowed.insert("since") }
        let parameters = try request.xapiParameters(allowed: allowed)
        var errors: [FieldError] = []
        var key = XAPIDocuments.Key(kind: kind, activity: "", agent: "", registration: "", documentID: parameters[idName])
        if kind != .agentProfile {
            if let activity = parameters["activityId"], Cmi5Structure.isAbsoluteIRI(activity) { key.activity = activity } else { errors.append(FieldError("activityId", "is required, an IRI")) }
        }
        if kind != .activityProfile {
            if let text = parameters["agent"], let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let id = XAPIStatement.identifier(ofActor: value) { key.agent = id }
            else { errors.append(FieldError("agent", "is required: an Agent as JSON, with exactly one of mbox, mbox_sha1sum, openid or account")) }
        }
        if let registration = parameters["registration"] {
            if UUIDText.parse(registration) != nil { key.registration = registration.lowercased() } else { errors.append(FieldError("registration", "must be a UUID")) }
        }
        if single, key.documentID == nil { errors.append(FieldError(idName, "is required")) }
        var since: Date?
        if let text = parameters["since"] {
            if key.documentID != nil { errors.append(FieldError("since", "is for a list of ids, not with \(idName)")) }
            since = XAPIStatement.timestamp(text)
            if since == nil { errors.append(FieldError("since", "must be an ISO 8601 date and time with a time zone")) }
        }
        guard errors.isEmpty else { throw LearningRecords.problem("The request has invalid parameters: \(errors.map(\.field).joined(separator: ", ")).", errors) }
        // A launch's credentials reach the learner's own documents (and the activity's profiles) only.
        if let launch = try request.lrsClient.launch, kind != .activityProfile, key.agent != launch.actor {
            throw Problem(.forbidden, "A launch's credentials reach the launched learner's documents only.")
        }
        return (key, since)
    }

    static func write(_ request: Request, _ kind: XAPIDocument.Kind, merge: Bool) async throws -> Response {
        let client = try request.lrsClient
        let (key, _) = try Self.key(request, kind, single: true, method: request.method)
        let body = request.body.data.map { Data($0.readableBytesView) } ?? Data()
        let contentType = request.headers.contentType.map { "\($0.type)/\($0.subType)" } ?? "application/octet-stream"
        try await XAPIDocuments.write(body, contentType: contentType, at: key, merge: merge, conditions: .init(request.headers), for: client,
                                      now: request.application.clock.now(), on: request.db)
        return Response(status: .noContent)
    }

    static func read(_ request: Request, _ kind: XAPIDocument.Kind) async throws -> Response {
        let client = try request.lrsClient
        let (key, since) = try Self.key(request, kind, single: false, method: .GET)
        guard key.documentID != nil else {
            return try json(try await XAPIDocuments.ids(at: key, since: since, for: client, on: request.db))
        }
        guard let document = try await XAPIDocuments.find(key, for: client, on: request.db) else { throw Problem(.notFound, "No such document is stored.") }
        let response = Response(status: .ok, body: .init(data: document.content))
        response.headers.replaceOrAdd(name: .contentType, value: document.contentType)
        response.headers.replaceOrAdd(name: .eTag, value: document.etag)
        response.headers.replaceOrAdd(name: .lastModified, value: LearningRecords.timestampText(document.updatedAt))
        return response
    }

    static func remove(_ request: Request, _ kind: XAPIDocument.Kind) async throws -> Response {
        let client = try request.lrsClient
        let (key, _) = try Self.key(request, kind, single: kind != .state, method: .DELETE)
        try await XAPIDocuments.delete(key, conditions: .init(request.headers), for: client, on: request.db)
        return Response(status: .noContent)
    }

    // MARK: Activities and agents

    @Sendable static func activity(_ request: Request) async throws -> Response {
        let client = try request.lrsClient
        let parameters = try request.xapiParameters(allowed: ["activityId"])
        guard let id = parameters["activityId"], Cmi5Structure.isAbsoluteIRI(id) else {
            throw LearningRecords.problem("activityId is required, an IRI.", [FieldError("activityId", "is required, an IRI")])
        }
        return try json(try await XAPIDocuments.activity(id, for: client, on: request.db))
    }

    @Sendable static func person(_ request: Request) async throws -> Response {
        _ = try request.lrsClient
        let parameters = try request.xapiParameters(allowed: ["agent"])
        guard let text = parameters["agent"], let agent = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              XAPIStatement.identifier(ofActor: agent) != nil
        else { throw LearningRecords.problem("agent is required: an Agent as JSON, with exactly one identifier.", [FieldError("agent", "is required, an Agent")]) }
        var person: [String: Any] = ["objectType": "Person"]
        if let name = agent["name"] { person["name"] = [name] }
        for key in ["mbox", "mbox_sha1sum", "openid", "account"] { if let value = agent[key] { person[key] = [value] } }
        return try json(person)
    }

    static func json(_ value: Any) throws -> Response {
        let response = Response(status: .ok, body: .init(data: try JSONSerialization.data(withJSONObject: value, options: [.withoutEscapingSlashes])))
        response.headers.contentType = .json
        return response
    }
}

/// Every LRS request: the version header checked (but for `about`), the client signed in with HTTP Basic, errors
/// as problem+json, and the headers browsers need to call the LRS from content on another origin.
struct LRSMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response: Response
        do {
            if request.method != .OPTIONS, request.url.path != "/xapi/about" {
                guard let version = request.headers.first(name: "X-Experience-API-Version") else {
                    throw LearningRecords.problem("Send the X-Experience-API-Version header (1.0.3).", [FieldError("X-Experience-API-Version", "is required")])
                }
                guard XAPIStatement.isSupportedVersion(version.trimmed) else {
                    throw LearningRecords.problem("This LRS speaks xAPI 1.0.0 to 1.0.3, not ‘\(version.prefix(20))’.", [FieldError("X-Experience-API-Version", "is not a version this LRS speaks")])
                }
                request.storage[LRSClientKey.self] = try await XAPICredentials.client(for: request)
            }
            response = try await next.respond(to: request)
        } catch {
            let problem = ProblemMiddleware.problem(for: error, request: request)
            if problem.statusCode >= 500 { request.logger.report(error: error) }
            response = Response(status: problem.status, headers: problem.headers)
            response.headers.contentType = HTTPMediaType(type: "application", subType: "problem+json", parameters: ["charset": "utf-8"])
            response.body = .init(data: try JSONEncoder.api.encode(problem))
            if problem.statusCode == 401 { response.headers.replaceOrAdd(name: .wwwAuthenticate, value: "Basic realm=\"Karmayogi LRS\"") }
        }
        response.headers.replaceOrAdd(name: "X-Experience-API-Version", value: LRSController.version)
        response.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: "*")
        response.headers.replaceOrAdd(name: .accessControlAllowHeaders, value: "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match")
        response.headers.replaceOrAdd(name: .accessControlAllowMethods, value: "GET, HEAD, PUT, POST, DELETE, OPTIONS")
        response.headers.replaceOrAdd(name: .accessControlExpose, value: "ETag, Last-Modified, X-Experience-API-Version, X-Experience-API-Consistent-Through")
        return response
    }
}

struct LRSClientKey: StorageKey { typealias Value = LRSClient }

extension Request {
    var lrsClient: LRSClient {
        get throws {
            guard let client = storage[LRSClientKey.self] else { throw Problem(.unauthorized, "Sign in to the LRS with HTTP Basic: a key and secret, or a launch's credentials.") }
            return client
        }
    }

    /// The query's parameters, each given once and each known to this resource (xAPI: refuse the unknown).
    func xapiParameters(allowed: Set<String>) throws -> [String: String] {
        var parameters: [String: String] = [:]
        for (name, value) in QueryParameters.pairs(in: url.query) {
            if name == "method" { throw LearningRecords.problem("This LRS does not take the alternate request syntax (method=); send the request itself.", [FieldError("method", "is not taken")]) }
            guard allowed.contains(name) else { throw LearningRecords.problem("‘\(name.prefix(40))’ is not a parameter of this resource.", [FieldError(name, "is not a parameter of this resource")]) }
            guard parameters[name] == nil else { throw LearningRecords.problem("‘\(name)’ is given twice.", [FieldError(name, "is given twice")]) }
            parameters[name] = value
        }
        return parameters
    }

    /// The body of a statements request: JSON only.
    func jsonBody() throws -> Data {
        guard let type = headers.contentType, type.type == "application", type.subType == "json" else {
            if headers.contentType?.subType == "mixed" {
                throw Problem(.unsupportedMediaType, "This LRS takes statements as application/json; attachments by fileUrl, not in a multipart/mixed body.")
            }
            throw Problem(.unsupportedMediaType, "Send statements as application/json.")
        }
        guard let buffer = body.data, buffer.readableBytes > 0 else { throw LearningRecords.problem("The body is empty; send a statement or a list of them.") }
        return Data(buffer.readableBytesView)
    }
}
