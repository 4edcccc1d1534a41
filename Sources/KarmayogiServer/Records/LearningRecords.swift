import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Who is talking to the LRS: a provider's credential (key and secret), or a launch of a course item, whose
/// statements are also the learner's progress. Everything is kept and read within the provider.
struct LRSClient: Sendable {
    var providerID: UUID
    var credentialID: UUID
    /// Named in the `authority` set on every statement this client stores.
    var name: String
    var key: String
    var homePage: String

    var authority: [String: Any] { ["objectType": "Agent", "name": name, "account": ["homePage": homePage, "name": key]] }
    /// The launch the client was given (a course item played by a learner), when it is one.
    var launch: XAPILaunchContext?
}

/// What a launch credential stands for: the learner, the item, and the activity and registration it reports on.
struct XAPILaunchContext: Sendable {
    var launchID: UUID
    var userID: UUID
    var courseID: UUID
    var itemID: UUID
    var actor: String
    var activity: String
    var registration: String
    /// "xapi", or "cmi5" for an AU's session (whose statements the LMS checks as cmi5 says).
    var kind: String
}

/// What progress needs of one statement, as values.
struct StatementFacts: Sendable {
    var id: String
    var actor: String?
    /// The object's id when it is an Activity.
    var activity: String?
    var verb: String
    /// `result.completion` was true.
    var completion: Bool
    var registration: String?
    /// The cmi5 session id the statement names (a context extension).
    var sessionID: String?
    var scaled: Double?

    init(_ statement: [String: Any]) {
        id = statement["id"] as? String ?? ""
        actor = XAPIStatement.identifier(ofActor: statement["actor"] ?? [:])
        let object = statement["object"] as? [String: Any]
        activity = object?["objectType"] as? String ?? "Activity" == "Activity" ? object?["id"] as? String : nil
        verb = (statement["verb"] as? [String: Any])?["id"] as? String ?? ""
        let value = (statement["result"] as? [String: Any])?["completion"]
        completion = value.map { XAPIStatement.isBoolean($0) && ($0 as? Bool) == true } ?? false
        let context = statement["context"] as? [String: Any]
        registration = (context?["registration"] as? String)?.lowercased()
        sessionID = (context?["extensions"] as? [String: Any])?[Cmi5Sessions.sessionExtension] as? String
        scaled = (((statement["result"] as? [String: Any])?["score"] as? [String: Any])?["scaled"] as? NSNumber)?.doubleValue
    }
}

/// The statements of the learning record store: checked, stored once, voided, and queried.
enum LearningRecords {
    static let maximumLimit = 500
    static let defaultLimit = 100

    static func problem(_ reason: String, _ errors: [FieldError] = []) -> Problem { Problem(.badRequest, reason, errors: errors) }

    /// Parses a body of one statement or a list of them; a repeated property anywhere refuses the body.
    static func parse(_ data: Data) throws -> Any {
        guard let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw problem("The body is not valid JSON.")
        }
        if let key = JSONDuplicateKeys.first(in: data) { throw problem("The body gives the property ‘\(key)’ twice; a statement uses each property once.", [FieldError(key, "is given twice")]) }
        return value
    }

    /// Checks and stores statements (all or none); answers their ids in the order sent.
    static func store(_ sent: [Any], fixedID: String? = nil, by client: LRSClient, app: Application, on database: any Database) async throws -> [String] {
        guard !sent.isEmpty else { throw problem("Send at least one statement.") }
        var errors: [FieldError] = []
        var statements: [[String: Any]] = []
        for (index, value) in sent.enumerated() {
            let prefix = sent.count > 1 ? "[\(index)]" : ""
            for problem in XAPIStatement.problems(value) {
                let field = problem.path.isEmpty ? prefix : prefix.isEmpty ? problem.path : "\(prefix).\(problem.path)"
                errors.append(FieldError(field.isEmpty ? "statement" : field, problem.reason))
            }
            if var statement = value as? [String: Any] {
                if let fixedID {
                    if let given = statement["id"] as? String, given.lowercased() != fixedID { errors.append(FieldError("id", "differs from the statementId parameter")) }
                    statement["id"] = fixedID
                }
                statements.append(statement)
            }
        }
        guard errors.isEmpty else { throw problem("The statement is not valid xAPI 1.0.3: \(errors.prefix(5).map { "\($0.field) \($0.reason)" }.joined(separator: "; ")).", errors) }
        // To the millisecond, as `stored` is shown and as the `more` link carries it.
        let now = Date(timeIntervalSince1970: Double(Self.millis(app.clock.now())) / 1000)
        var ids: [String] = []
        var seen: Set<String> = []
        for index in statements.indices {
            let id = (statements[index]["id"] as? String)?.lowercased() ?? UUID().uuidString.lowercased()
            statements[index]["id"] = id
            if !seen.insert(id).inserted { throw problem("The statement id \(id) is used twice in one request.", [FieldError("[\(index)].id", "is used twice")]) }
            ids.append(id)
        }
        // Everything the transaction needs, as values: the rows, what each sent statement is, what it voids.
        let records = statements.map { Self.record($0, stored: now, by: client) }
        // Only a statement whose id is already stored is compared, so only those are made canonical (sorting keys is costly).
        nonisolated(unsafe) let sentByID = Dictionary(uniqueKeysWithValues: statements.map { ($0["id"] as! String, $0) })
        let voiding = Set(statements.filter { ($0["verb"] as? [String: Any])?["id"] as? String == XAPIStatement.voided }.map { $0["id"] as! String })
        let targets = records.filter { voiding.contains($0.id!) }.compactMap(\.objectStatement)
        let facts = statements.map(StatementFacts.init)
        let fixedIDs = ids
        return try await database.transaction { database in
            let existing = try await XAPIStatementRecord.query(on: database).filter(\.$id ~~ fixedIDs).all()
            var already: Set<String> = []
            for record in existing {
                let sent = sentByID[record.id!].map(Self.comparable) ?? ""
                guard record.providerID == client.providerID, sent == Self.comparable(storedBody: record.body, like: sent) else {
                    throw Problem(.conflict, "A different statement with the id \(record.id!) is already stored; statements are never changed.")
                }
                already.insert(record.id!)
            }
            // A voiding statement may not void another voiding statement.
            if !targets.isEmpty {
                let voidingTargets = try await XAPIStatementRecord.query(on: database).filter(\.$id ~~ targets).filter(\.$verb == XAPIStatement.voided).count()
                if voidingTargets > 0 || targets.contains(where: voiding.contains) {
                    throw LearningRecords.problem("A voiding statement cannot void another voiding statement.", [FieldError("object.id", "names a voiding statement")])
                }
            }
            // One statement per batch of rows, not one per row.
            let new = records.filter { !already.contains($0.id!) }
            for start in stride(from: 0, to: new.count, by: 200) { try await Self.insert(new[start..<min(start + 200, new.count)], on: database) }
            if !targets.isEmpty {
                try await XAPIStatementRecord.query(on: database).filter(\.$id ~~ targets).filter(\.$providerID == client.providerID)
                    .filter(\.$verb != XAPIStatement.voided).set(\.$voided, to: true).update()
            }
            if let launch = client.launch {
                let new = facts.filter { !already.contains($0.id) }
                if launch.kind == XAPILaunch.cmi5 {
                    try await Cmi5Sessions.reported(new, in: launch, app: app, on: database)
                } else {
                    try await XAPILaunches.progress(from: new, in: launch, app: app, on: database)
                }
            }
            return fixedIDs
        }
    }

    /// Rows written with one INSERT through SQLKit: Fluent's model reflection cost more than the database's work.
    static func insert(_ records: ArraySlice<XAPIStatementRecord>, on database: any Database) async throws {
        guard !records.isEmpty else { return }
        var insert = (database as! any SQLDatabase).insert(into: XAPIStatementRecord.schema)
            .columns("id", "provider_id", "actor", "verb", "activity", "object_agent", "object_statement", "registration",
                     "related_activities", "related_agents", "voided", "stored", "body", "credential_id")
        for record in records {
            insert = insert.values(SQLBind(record.id!), SQLBind(record.providerID), SQLBind(record.actor), SQLBind(record.verb), SQLBind(record.activity),
                                   SQLBind(record.objectAgent), SQLBind(record.objectStatement), SQLBind(record.registration),
                                   SQLBind(record.relatedActivities), SQLBind(record.relatedAgents), SQLBind(record.voided), SQLBind(record.storedMillis),
                                   SQLBind(record.body), SQLBind(record.credentialID))
        }
        try await insert.run()
    }

    /// Statements the platform itself makes (a cmi5 LMS's launched, satisfied, abandoned, waived), in the caller's transaction.
    static func record(lms statements: [[String: Any]], provider: UUID, homePage: String, at now: Date, on database: any Database) async throws {
        let client = LRSClient(providerID: provider, credentialID: UUID(), name: "Karmayogi", key: "lms", homePage: homePage, launch: nil)
        let stored = Date(timeIntervalSince1970: Double(millis(now)) / 1000)
        for var statement in statements {
            statement["id"] = UUID().uuidString.lowercased()
            try await record(statement, stored: stored, by: client).create(on: database)
        }
    }

    /// The row for a statement, with what the LRS adds: `stored`, `authority`, `version`, and `timestamp` when absent.
    static func record(_ sent: [String: Any], stored: Date, by client: LRSClient) -> XAPIStatementRecord {
        var statement = sent
        let storedText = Self.timestampText(stored)
        statement["stored"] = storedText
        statement["timestamp"] = statement["timestamp"] ?? storedText
        statement["authority"] = client.authority
        statement["version"] = statement["version"] ?? "1.0.0"
        let record = XAPIStatementRecord()
        record.id = statement["id"] as? String
        record.providerID = client.providerID
        record.actor = XAPIStatement.identifier(ofActor: statement["actor"] ?? [:]) ?? Self.groupKey(statement["actor"])
        let verb = statement["verb"] as? [String: Any]
        record.verb = verb?["id"] as? String ?? ""
        let object = statement["object"] as? [String: Any] ?? [:]
        switch object["objectType"] as? String ?? "Activity" {
        case "Activity": record.activity = object["id"] as? String
        case "Agent", "Group": record.objectAgent = XAPIStatement.identifier(ofActor: object)
        case "StatementRef": record.objectStatement = (object["id"] as? String)?.lowercased()
        default: break
        }
        let context = statement["context"] as? [String: Any]
        record.registration = (context?["registration"] as? String)?.lowercased()
        var activities: Set<String> = []
        var agents: Set<String> = []
        Self.mentions(statement, activities: &activities, agents: &agents)
        record.relatedActivities = "|" + activities.sorted().joined(separator: "|") + "|"
        record.relatedAgents = "|" + agents.sorted().joined(separator: "|") + "|"
        record.voided = false
        record.storedMillis = Self.millis(stored)
        // As stored and answered: keys in no particular order (sorting them cost half of a POST's time).
        record.body = Self.text(statement, sorted: false)
        record.credentialID = client.credentialID
        return record
    }

    /// An anonymous group has no identifier; it is found by its members.
    static func groupKey(_ actor: Any?) -> String {
        let members = ((actor as? [String: Any])?["member"] as? [Any] ?? []).compactMap(XAPIStatement.identifier(ofActor:))
        return "group:" + members.sorted().joined(separator: ",")
    }

    /// Every activity id and agent identifier in a statement (its object, context, authority, sub-statement).
    static func mentions(_ statement: [String: Any], activities: inout Set<String>, agents: inout Set<String>) {
        func agent(_ value: Any?) {
            guard let value else { return }
            if let id = XAPIStatement.identifier(ofActor: value) { agents.insert(id) }
            for member in (value as? [String: Any])?["member"] as? [Any] ?? [] { if let id = XAPIStatement.identifier(ofActor: member) { agents.insert(id) } }
        }
        agent(statement["actor"])
        agent(statement["authority"])
        if let object = statement["object"] as? [String: Any] {
            switch object["objectType"] as? String ?? "Activity" {
            case "Activity": if let id = object["id"] as? String { activities.insert(id) }
            case "Agent", "Group": agent(object)
            case "SubStatement": mentions(object, activities: &activities, agents: &agents)
            default: break
            }
        }
        if let context = statement["context"] as? [String: Any] {
            agent(context["instructor"])
            agent(context["team"])
            for (_, entry) in context["contextActivities"] as? [String: Any] ?? [:] {
                for activity in (entry as? [Any]) ?? [entry] { if let id = (activity as? [String: Any])?["id"] as? String { activities.insert(id) } }
            }
        }
    }

    /// A statement sent, as text to compare with one stored: without what the LRS sets.
    static func comparable(_ sent: [String: Any]) -> String {
        var sent = sent
        sent.removeValue(forKey: "authority")
        sent.removeValue(forKey: "stored")
        return text(sent)
    }

    /// A stored statement as text to compare with one sent again: without what the LRS added that `sent` lacks.
    static func comparable(storedBody body: String, like sent: String) -> String {
        guard var stored = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any],
              let sent = (try? JSONSerialization.jsonObject(with: Data(sent.utf8))) as? [String: Any] else { return "" }
        stored.removeValue(forKey: "stored")
        stored.removeValue(forKey: "authority")
        if sent["version"] == nil { stored.removeValue(forKey: "version") }
        if sent["timestamp"] == nil { stored.removeValue(forKey: "timestamp") }
        return text(stored)
    }

    /// JSON text of a value; `sorted` gives one text for equal values (to compare them).
    static func text(_ value: Any, sorted: Bool = true) -> String {
        let options: JSONSerialization.WritingOptions = sorted ? [.sortedKeys, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: value, options: options)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    static func timestampText(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

// MARK: - Reading

extension LearningRecords {
    /// The filters of `GET /xapi/statements`, kept whole in the `more` link.
    struct Query: Codable, Equatable {
        var agent: String?
        var verb: String?
        var activity: String?
        var registration: String?
        var relatedActivities = false
        var relatedAgents = false
        var since: Date?
        var until: Date?
        var limit = LearningRecords.defaultLimit
        var format = "exact"
        var ascending = false
        /// Where the previous page ended: its last row's stored time (milliseconds) and id.
        var afterStored: Int64?
        var afterID: String?

        var encoded: String {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .millisecondsSince1970
            return Data((try? encoder.encode(self)) ?? Data()).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }

        init() {}

        init?(encoded: String) {
            guard encoded.count <= 4096 else { return nil }
            var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .millisecondsSince1970
            guard let data = Data(base64Encoded: base64), let query = try? decoder.decode(Query.self, from: data) else { return nil }
            self = query
        }
    }

    /// One page of statements and the query for the next (nil on the last).
    static func statements(_ query: Query, for client: LRSClient, on database: any Database) async throws -> (statements: [String], next: Query?) {
        let order: DatabaseQuery.Sort.Direction = query.ascending ? .ascending : .descending
        /// The first rows in order that pass the query's filters and `narrow`: each equality filter leads an index of
        /// its own that ends in (stored, id), so the rows are found in order without walking the whole store.
        func search(_ narrow: (QueryBuilder<XAPIStatementRecord>) -> QueryBuilder<XAPIStatementRecord>) async throws -> [XAPIStatementRecord] {
            var builder = XAPIStatementRecord.query(on: database).filter(\.$providerID == client.providerID).filter(\.$voided == false)
            // A launch's credentials read the learner's own statements only.
            if let launch = client.launch { builder = builder.filter(\.$actor == launch.actor) }
            builder = narrow(builder)
            if let verb = query.verb { builder = builder.filter(\.$verb == verb) }
            if let activity = query.activity {
                builder = query.relatedActivities ? builder.filter(\.$relatedActivities ~~ "|\(activity)|") : builder.filter(\.$activity == activity)
            }
            if let registration = query.registration { builder = builder.filter(\.$registration == registration) }
            if let since = query.since { builder = builder.filter(\.$storedMillis > millis(since)) }
            if let until = query.until { builder = builder.filter(\.$storedMillis <= millis(until)) }
            if let stored = query.afterStored, let id = query.afterID {
                builder = builder.group(.or) { group in
                    group.filter(\.$storedMillis, query.ascending ? .greaterThan : .lessThan, stored)
                    group.group(.and) { $0.filter(\.$storedMillis == stored).filter(\.$id, query.ascending ? .greaterThan : .lessThan, id) }
                }
            }
            return try await builder.sort(\.$storedMillis, order).sort(\.$id, order).limit(query.limit + 1).all()
        }
        var rows: [XAPIStatementRecord]
        if let agent = query.agent, !query.relatedAgents {
            // The agent as actor, and as the object: two searches by index, merged. An OR of the two is answered by
            // walking every statement in time order (0.6 s over a million on SQLite).
            let asActor = try await search { $0.filter(\XAPIStatementRecord.$actor == agent) }
            let asObject = try await search { $0.filter(\XAPIStatementRecord.$objectAgent == agent) }
            var seen = Set<String>()
            let merged = (asActor + asObject).filter { seen.insert($0.id ?? "").inserted }
            func before(_ a: XAPIStatementRecord, _ b: XAPIStatementRecord) -> Bool {
                let (left, right) = ((a.storedMillis, a.id ?? ""), (b.storedMillis, b.id ?? ""))
                return query.ascending ? left < right : left > right
            }
            rows = Array(merged.sorted(by: before).prefix(query.limit + 1))
        } else if let agent = query.agent {
            rows = try await search { $0.filter(\XAPIStatementRecord.$relatedAgents ~~ "|\(agent)|") }
        } else {
            rows = try await search { $0 }
        }
        let page = Array(rows.prefix(query.limit))
        // LIKE is a coarse filter (case, and `_` matching any character): the related_ filters are made exact here.
        let exact = page.filter { row in
            (!query.relatedAgents || query.agent.map { row.relatedAgents.contains("|\($0)|") } ?? true)
                && (!query.relatedActivities || query.activity.map { row.relatedActivities.contains("|\($0)|") } ?? true)
        }
        var next: Query?
        if rows.count > query.limit, let last = page.last {
            next = query
            (next!.afterStored, next!.afterID) = (last.storedMillis, last.id)
        }
        return (exact.map(\.body), next)
    }

    /// One statement by id: a voided one only when asked for as voided, as the standard says.
    static func statement(_ id: String, voided: Bool, for client: LRSClient, on database: any Database) async throws -> XAPIStatementRecord? {
        var query = XAPIStatementRecord.query(on: database).filter(\.$id == id.lowercased()).filter(\.$providerID == client.providerID)
            .filter(\.$voided == voided)
        if let launch = client.launch { query = query.filter(\.$actor == launch.actor) }
        return try await query.first()
    }

    /// A statement as answered: `exact` as stored, `ids` with actors, verbs and activities reduced to their
    /// identifiers, `canonical` with each language map reduced to the language the client prefers.
    static func formatted(_ body: String, _ format: String, languages: [String]) -> Any {
        let value = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) ?? [:]
        switch format {
        case "ids": return reduced(value, ids: true, languages: languages, key: "")
        case "canonical": return reduced(value, ids: false, languages: languages, key: "")
        default: return value
        }
    }

    static let languageMaps: Set<String> = ["display", "name", "description"]

    private static func reduced(_ value: Any, ids: Bool, languages: [String], key: String) -> Any {
        if let list = value as? [Any] { return list.map { reduced($0, ids: ids, languages: languages, key: key) } }
        guard var object = value as? [String: Any] else { return value }
        if ids {
            if key == "verb", let id = object["id"] { return ["id": id] }
            if ["object", "parent", "grouping", "category", "other"].contains(key) || key.isEmpty == false && object["definition"] != nil,
               object["objectType"] as? String ?? "Activity" == "Activity", let id = object["id"] {
                return ["objectType": "Activity", "id": id]
            }
            if ["actor", "instructor", "authority"].contains(key) || object["mbox"] != nil || object["account"] != nil,
               object["objectType"] as? String != "Group", let ifi = ["mbox", "mbox_sha1sum", "openid", "account"].first(where: { object[$0] != nil }) {
                return ["objectType": object["objectType"] ?? "Agent", ifi: object[ifi]!]
            }
        } else if languageMaps.contains(key), let map = object as? [String: String], map.count > 1 {
            let pick = languages.first { map[$0] != nil } ?? languages.compactMap { wanted in map.keys.sorted().first { $0.hasPrefix(wanted + "-") } }.first
                ?? map.keys.sorted().first!
            return [pick: map[pick]!]
        }
        if key == "extensions" { return object }
        for (name, child) in object { object[name] = reduced(child, ids: ids, languages: languages, key: name) }
        return object
    }
}
