import Foundation
import KarmayogiCore
import Vapor

/// An RFC 9457 problem: what went wrong, for a person, and which fields were at fault.
public struct Problem: AbortError, Content {
    public var type: String
    public var title: String
    public var statusCode: UInt
    public var detail: String
    public var errors: [FieldError]
    public var retryAfter: Int?
    public var allow: [String] = []
    /// The catalogue's message for this problem, for a page in another language than English (the detail is English).
    var messageKey: String?
    var messageValues: [String: String] = [:]

    public var status: HTTPResponseStatus { .init(statusCode: Int(statusCode)) }
    public var reason: String { detail }
    public var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        if let retryAfter { headers.add(name: .retryAfter, value: String(retryAfter)) }
        if !allow.isEmpty { headers.add(name: .allow, value: allow.joined(separator: ", ")) }
        return headers
    }

    enum CodingKeys: String, CodingKey { case type, title, statusCode = "status", detail, errors }

    public init(_ status: HTTPResponseStatus, _ detail: String, errors: [FieldError] = [], type: String? = nil) {
        self.statusCode = status.code
        self.title = status.reasonPhrase
        self.detail = detail
        self.errors = errors
        self.type = type ?? "about:blank"
    }

    public static func invalid(_ errors: [FieldError]) -> Problem {
        let fields = errors.map(\.field).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return Problem(.unprocessableEntity, "The request has invalid fields: \(fields.joined(separator: ", ")).", errors: errors)
    }

    public static func invalid(_ field: String, _ reason: String) -> Problem { invalid([FieldError(field, reason)]) }

    public static func notFound(_ what: String) -> Problem { Problem(.notFound, "No \(what) with that id is visible to you.") }

    public static let unauthorised = Problem(.unauthorized, "Sign in first: send 'Authorization: Bearer <accessToken>'.")
    public static let forbidden = Problem(.forbidden, "Your roles do not allow this.")
}

/// Turns every error into problem+json; decoding errors name the field, anything unexpected is logged
/// and answered without internals.
struct ProblemMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let redirect as Redirect {
            return Response(status: redirect.status, headers: redirect.headers)
        } catch {
            let problem = Self.problem(for: error, request: request)
            if problem.statusCode >= 500 {
                request.logger.report(error: error)
            }
            if !request.url.path.hasPrefix("/api/"), request.headers.accept.mediaTypes.contains(.html) {
                return try ErrorPage.response(problem, for: request)
            }
            let response = Response(status: problem.status, headers: problem.headers)
            response.headers.contentType = HTTPMediaType(type: "application", subType: "problem+json", parameters: ["charset": "utf-8"])
            response.body = .init(data: try JSONEncoder.api.encode(problem))
            return response
        }
    }

    static func problem(for error: any Error, request: Request) -> Problem {
        switch error {
        case let problem as Problem where problem.statusCode == 404:
            // A parameter took one of the path's own words (GET /certificates/verify reached /certificates/{id}):
            // the path is there, the method is not.
            let allowed = allowedMethods(for: request)
            if !allowed.isEmpty, !allowed.contains(request.method.rawValue) { return methodNotAllowed(request, allowed) }
            return problem
        case let problem as Problem:
            return problem
        case let decoding as DecodingError:
            return problem(for: decoding)
        case let abort as any AbortError:
            switch abort.status {
            case .payloadTooLarge:
                return Problem(.payloadTooLarge, "The body is larger than this endpoint accepts (\(ByteSize.describe(request.application.routes.defaultMaxBodySize.value))).")
            case .unsupportedMediaType:
                return Problem(.unsupportedMediaType, "Send the body as application/json.")
            case .notFound where abort.reason == "Not Found":
                let allowed = allowedMethods(for: request)
                if !allowed.isEmpty { return methodNotAllowed(request, allowed) }
                return Problem(.notFound, "There is nothing at \(request.url.path).")
            default:
                return Problem(abort.status, abort.reason)
            }
        default:
            if let reason = DatabaseFault.reason(of: error) {
                request.application.databaseFaults.record(reason)
                return DatabaseFault.problem(reason)
            }
            return Problem(.internalServerError, "Something went wrong on our side; it has been logged.")
        }
    }

    private static func methodNotAllowed(_ request: Request, _ allowed: [String]) -> Problem {
        var problem = Problem(.methodNotAllowed, "\(request.method.rawValue) is not answered at \(request.url.path); try \(allowed.joined(separator: ", ")).")
        problem.allow = allowed
        return problem
    }

    /// The methods routed at this path, for a 405 in place of a 404 when only the method is wrong.
    private static func allowedMethods(for request: Request) -> [String] {
        let segments = request.url.path.split(separator: "/").map(String.init)
        let matching = request.application.routes.all.filter { route in
            route.path.count == segments.count && zip(route.path, segments).allSatisfy { component, segment in
                if case .constant(let constant) = component { return constant == segment }
                return true
            }
        }
        // As the router does, a path's own words win over a parameter: /certificates/verify is not /certificates/{id}.
        func constants(_ route: Route) -> Int { route.path.filter { if case .constant = $0 { true } else { false } }.count }
        let closest = matching.map(constants).max()
        let methods = matching.filter { constants($0) == closest }.map(\.method.rawValue)
        return Array(Set(methods)).sorted()
    }

    static func problem(for error: DecodingError) -> Problem {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalid(path(context.codingPath + [key]), "is required")
        case .typeMismatch(let type, let context):
            return .invalid(path(context.codingPath), "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return .invalid(path(context.codingPath), "must be \(describe(type)), not null")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return Problem(.badRequest, "The body is not valid JSON.")
        case .dataCorrupted(let context):
            return .invalid(path(context.codingPath), context.debugDescription)
        @unknown default:
            return Problem(.badRequest, "The body could not be read.")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is UUID.Type: "a UUID"
        case is [Any].Type: "an array"
        default: String(describing: type).contains("Array") ? "an array" : "an object of the documented shape"
        }
    }
}
