import Foundation

/// LTI 1.3 with Karmayogi as the platform: the names the specification fixes, and the rules for what a tool's
/// admin registers and what a tool sends back (Assignment and Grade Services scores).
public enum LTI {
    public static let version = "1.3.0"
    public static let claim = "https://purl.imsglobal.org/spec/lti/claim/"
    public static let agsClaim = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
    public static let nrpsClaim = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
    public static let learnerRole = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    public static let courseContext = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

    /// The service scopes a tool may ask a token for.
    public enum Scope: String, CaseIterable, Sendable {
        case lineItem = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
        case lineItemReadOnly = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
        case resultReadOnly = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
        case score = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
        case memberships = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

        /// The scopes of a space-separated request that the platform grants; an unknown one is left out (RFC 6749 §3.3).
        public static func granted(_ requested: String) -> [Scope] {
            var seen = Set<Scope>()
            return requested.split(separator: " ").compactMap { Scope(rawValue: String($0)) }.filter { seen.insert($0).inserted }
        }
    }

    /// Media types of the services (AGS 2.0, NRPS 2.0).
    public enum MediaType {
        public static let lineItem = "application/vnd.ims.lis.v2.lineitem+json"
        public static let lineItems = "application/vnd.ims.lis.v2.lineitemcontainer+json"
        public static let score = "application/vnd.ims.lis.v1.score+json"
        public static let results = "application/vnd.ims.lis.v2.resultcontainer+json"
        public static let memberships = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    }

    /// Where an admin's tool sends learners and the platform sends them back: an https address, or http on this
    /// machine (a tool under test).
    public static func addressProblem(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return "is required" }
        guard text.count <= 2000, let url = URLComponents(string: text), let host = url.host, !host.isEmpty, url.fragment == nil else {
            return "must be an absolute address without a fragment"
        }
        if url.scheme == "https" { return nil }
        if url.scheme == "http", ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host) { return nil }
        return "must be an https address (http only on localhost, for a tool under test)"
    }

    /// The origin of an address ("https://tool.example:8443"), for a page's frame and form rules.
    public static func origin(of text: String) -> String? {
        guard let url = URLComponents(string: text), let scheme = url.scheme, let host = url.host, !host.isEmpty else { return nil }
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost)\(url.port.map { ":\($0)" } ?? "")"
    }
}

/// How a course item names a registered LTI tool: "lti:<tool id>". The item's id is the resource link's id.
public enum LTIItemReference {
    public static let prefix = "lti:"

    public static func toolID(_ text: String) -> UUID? {
        let text = text.trimmed
        guard text.hasPrefix(prefix) else { return nil }
        return UUIDText.parse(String(text.dropFirst(prefix.count)))
    }
}

/// A score a tool posts for a learner (AGS 2.0 Score service), checked before it is kept.
public struct LTIScore: Codable, Equatable, Sendable {
    public static let activityProgresses = ["Initialized", "Started", "InProgress", "Submitted", "Completed"]
    public static let gradingProgresses = ["FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"]

    public var userId: String?
    public var scoreGiven: Double?
    public var scoreMaximum: Double?
    public var activityProgress: String?
    public var gradingProgress: String?
    public var timestamp: String?
    public var comment: String?

    public init(userId: String?, scoreGiven: Double? = nil, scoreMaximum: Double? = nil, activityProgress: String?, gradingProgress: String?,
                timestamp: String?, comment: String? = nil) {
        (self.userId, self.scoreGiven, self.scoreMaximum, self.activityProgress) = (userId, scoreGiven, scoreMaximum, activityProgress)
        (self.gradingProgress, self.timestamp, self.comment) = (gradingProgress, timestamp, comment)
    }

    /// When the tool says the score was made (ISO 8601, fractions of a second allowed).
    public var time: Date? { timestamp.flatMap(XAPIStatement.timestamp) }

    /// Why the score cannot be kept (empty when it can).
    public var problems: [FieldError] {
        var problems: [FieldError] = []
        if userId.flatMap(UUIDText.parse) == nil { problems.append(.init("userId", "is required: the sub of the learner's launch")) }
        if !Self.activityProgresses.contains(activityProgress ?? "") {
            problems.append(.init("activityProgress", "must be one of \(Self.activityProgresses.joined(separator: ", "))"))
        }
        if !Self.gradingProgresses.contains(gradingProgress ?? "") {
            problems.append(.init("gradingProgress", "must be one of \(Self.gradingProgresses.joined(separator: ", "))"))
        }
        if timestamp == nil || time == nil { problems.append(.init("timestamp", "is required: an ISO 8601 date and time with its offset")) }
        if let given = scoreGiven {
            if !given.isFinite || given < 0 { problems.append(.init("scoreGiven", "must be a number of at least 0")) }
            if scoreMaximum == nil { problems.append(.init("scoreMaximum", "is required with scoreGiven")) }
        }
        if let maximum = scoreMaximum, !maximum.isFinite || maximum <= 0 { problems.append(.init("scoreMaximum", "must be a number above 0")) }
        if (comment?.count ?? 0) > 10_000 { problems.append(.init("comment", "must be at most 10,000 characters")) }
        return problems
    }

    /// What the score means for the learner's item: done once the learner's work is complete or submitted
    /// (or fully graded); begun otherwise.
    public var itemStatus: ItemStatus {
        ["Completed", "Submitted"].contains(activityProgress) || gradingProgress == "FullyGraded" ? .completed : .inProgress
    }
}
