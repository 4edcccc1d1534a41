import Fluent
import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

/// An LRS client: HTTP Basic and the version header on every request.
struct XAPIClient {
    var app: Application
    var key: String
    var secret: String

    func send(_ method: HTTPMethod, _ path: String, json: Any? = nil, body: String? = nil, contentType: HTTPMediaType? = nil,
              headers extra: HTTPHeaders = [:], version: String? = "1.0.3") async throws -> Reply {
        var headers = extra
        headers.basicAuthorization = BasicAuthorization(username: key, password: secret)
        if let version { headers.replaceOrAdd(name: "X-Experience-API-Version", value: version) }
        return try await app.send(method, path, json: json, body: body, contentType: contentType, headers: headers)
    }

    var list: (Reply) -> [[String: Any]] { { $0.json["statements"] as? [[String: Any]] ?? [] } }

    static func issue(_ app: Application, for organisation: UUID, by admin: String) async throws -> XAPIClient {
        let reply = try await app.send(.POST, "/api/v1/orgs/\(organisation)/xapi-credentials", token: try await app.token(admin), json: ["name": "Authoring tool"])
        let issued = try reply.decoded(XAPICredentialDTO.self)
        return XAPIClient(app: app, key: issued.key, secret: try #require(issued.secret))
    }
}

func query(_ value: Any) -> String {
    let text = String(decoding: try! JSONSerialization.data(withJSONObject: value), as: UTF8.self)
    return text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
}

@Suite struct LRSTests {
    func statement(_ verb: String = "http://adlnet.gov/expapi/verbs/experienced", actor: String = "learner@example.gov.in",
                   activity: String = "https://content.example.gov.in/noting", registration: String? = nil) -> [String: Any] {
        var statement: [String: Any] = ["actor": ["mbox": "mailto:\(actor)", "name": "A learner"], "verb": ["id": verb, "display": ["en-US": "did", "hi-IN": "किया"]],
                                        "object": ["id": activity, "definition": ["name": ["en-US": "Noting"]]]]
        if let registration { statement["context"] = ["registration": registration] }
        return statement
    }

    func count(_ app: Application) async throws -> Int { try await XAPIStatementRecord.query(on: app.db).count() }

    @Test func credentialsAreIssuedByTheProvidersAdminsAndRevoked() async throws {
        try await withApp { app, world in
            let admin = try await app.token("mdo.mha")
            let reply = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/xapi-credentials", token: admin, json: ["name": "Articulate"])
            #expect(reply.status == .created)
            let issued = try reply.decoded(XAPICredentialDTO.self)
            #expect(issued.secret != nil && issued.endpoint.hasSuffix("/xapi/") && issued.key.hasPrefix("kb-"))
            let listed = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/xapi-credentials", token: admin)
            #expect(listed.items.count == 1 && listed.items[0]["secret"] == nil, "the secret is shown once")
            #expect(try await app.send(.POST, "/api/v1/orgs/\(world.mha)/xapi-credentials", token: admin, json: ["name": ""]).fields == ["name"])
            #expect(try await app.send(.POST, "/api/v1/orgs/\(world.mha)/xapi-credentials", token: admin, json: ["name": "x", "scope": "all"]).status == .unprocessableEntity)
            for outsider in ["mdo.health", "learner.mha", "creator.mha"] {
                let status = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/xapi-credentials", token: try await app.token(outsider)).status
                #expect(status == .forbidden || status == .notFound, "\(outsider)")
                #expect(try await app.send(.DELETE, "/api/v1/xapi-credentials/\(issued.id)", token: try await app.token(outsider)).status == .notFound)
            }
            let client = XAPIClient(app: app, key: issued.key, secret: issued.secret!)
            #expect(try await client.send(.GET, "/xapi/statements").status == .ok)
            #expect(try await XAPIClient(app: app, key: issued.key, secret: "wrong").send(.GET, "/xapi/statements").status == .unauthorized)
            #expect(try await app.send(.DELETE, "/api/v1/xapi-credentials/\(issued.id)", token: admin).decoded(XAPICredentialDTO.self).revokedAt != nil)
            let revoked = try await client.send(.GET, "/xapi/statements")
            #expect(revoked.status == .unauthorized && revoked.headers.first(name: .wwwAuthenticate)?.hasPrefix("Basic") == true)
        }
    }

    @Test func theVersionHeaderAndCredentialsAreRequiredButAboutIsOpen() async throws {
        try await withApp { app, world in
            let client = try await XAPIClient.issue(app, for: world.mha, by: "mdo.mha")
            let about = try await app.send(.GET, "/xapi/about")
            #expect(about.status == .ok && (about.json["version"] as? [String])?.contains("1.0.3") == true)
            #expect(about.headers.first(name: "X-Experience-API-Version") == "1.0.3")
            #expect(try await client.send(.GET, "/xapi/statements", version: nil).fields == ["X-Experience-API-Version"])
            #expect(try await client.send(.GET, "/xapi/statements", version: "0.95").status == .badRequest)
            #expect(try await client.send(.POST, "/xapi/statements", json: statement(), version: "2.0.0").status == .badRequest)
            #expect(try await app.send(.GET, "/xapi/statements", headers: ["X-Experience-API-Version": "1.0.3"]).status == .unauthorized)
            #expect(try await client.send(.GET, "/xapi/statements?unknown=1").fields == ["unknown"])
            #expect(try await client.send(.POST, "/xapi/statements?method=PUT", json: statement()).fields == ["method"])
            #expect(try await count(app) == 0)
        }
    }

    @Test func everyValidConformanceTemplateIsStoredAndReadBackAndEveryInvalidOneRefused() async throws {
        try await withApp { app, world in
            let client = try await XAPIClient.issue(app, for: world.mha, by: "mdo.mha")
            var stored = 0
            for name in XAPIStatementTemplates.names {
                let (data, value) = try XAPIStatementTemplates.statement(name)
                let reply = try await client.send(.POST, "/xapi/statements", body: String(decoding: data, as: UTF8.self), contentType: .json)
                if XAPIStatementTemplates.invalid.contains(name) {
                    #expect(reply.status == .badRequest && reply.isProblem && !reply.fields.isEmpty, "\(name): \(reply.status) \(reply.body)")
                    continue
                }
                #expect(reply.status == .ok, "\(name): \(reply.body)")
                stored += 1
                let id = try #require((try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String]).first!
                let read = try await client.send(.GET, "/xapi/statements?statementId=\(id)")
                #expect(read.status == .ok)
                let back = read.json
                for (key, sent) in value as! [String: Any] where key != "authority" {
                    #expect(LearningRecords.text(back[key] ?? NSNull()) == LearningRecords.text(sent), "\(name): \(key) came back changed")
                }
                #expect(back["stored"] is String && back["authority"] is [String: Any] && back["version"] is String && back["id"] as? String == id)
            }
            #expect(stored == XAPIStatementTemplates.names.count - XAPIStatementTemplates.invalid.count)
            #expect(try await count(app) == stored, "nothing of a refused statement is kept")
        }
    }

    @Test func aStatementIsStoredOnceAndNeverChanged() async throws {
        try await withApp { app, world in
            let client = try await XAPIClient.issue(app, for: world.mha, by: "mdo.mha")
            let id = UUID().uuidString.lowercased()
            var sent = statement()
            #expect(try await client.send(.PUT, "/xapi/statements?statementId=\(id)", json: sent).status == .noContent)
            #expect(try await client.send(.PUT, "/xapi/statements?statementId=\(id)", json: sent).status == .noContent, "the same statement again is accepted")
            sent["verb"] = ["id": "http://adlnet.gov/expapi/verbs/completed"]
            #expect(try await client.send(.PUT, "/xapi/statements?statementId=\(id)", json: sent).status == .conflict)
            #expect(try await client.send(.POST, "/xapi/statements", json: [sent.merging(["id": id]) { $1 }]).status == .conflict)
            #expect(try await client.send(.PUT, "/xapi/statements", json: sent).fields == ["statementId"])
            #expect(try await client.send(.PUT, "/xapi/statements?statementId=\(UUID())", json: sent.merging(["id": id]) { $1 }).fields == ["id"])
            let twice = UUID().uuidString
            #expect(try await client.send(.POST, "/xapi/statements", json: [statement().merging(["id": twice]) { $1 }, statement().merging(["id": twice]) { $1 }]).status == .badRequest)
            #expect(try await client.send(.POST, "/xapi/statements", json: [statement(), ["actor": ["mbox": "mailto:x@y.in"]]]).fields.allSatisfy { $0.hasPrefix("[1]") },
                    "a batch is refused whole, and the bad one named")
            #expect(try await count(app) == 1)
            let read = try await client.send(.GET, "/xapi/statements?statementId=\(id)")
            #expect((read.json["verb"] as? [String: Any])?["id"] as? String == "http://adlnet.gov/expapi/verbs/experienced")
            #expect(try await client.send(.POST, "/xapi/statements", body: #"{"actor":{"mbox":"mailto:a@b.in"},"actor":{"mbox":"mailto:c@d.in"},"verb":{"id":"http://x.in/v"},"object":{"id":"http://x.in/a"}}"#, contentType: .json).status == .badRequest)
            #expect(try await client.send(.POST, "/xapi/statements", body: "{", contentType: .json).status == .badRequest)
            #expect(try await client.send(.POST, "/xapi/statements", body: "x", contentType: .plainText).status == .unsupportedMediaType)
            #expect(try await count(app) == 1)
        }
    }

    @Test func voidingHidesAStatementFromQueriesButKeepsIt() async throws {
        try await withApp { app, world in
            let client = try await XAPIClient.issue(app, for: world.mha, by: "mdo.mha")
            let ids = try await client.send(.POST, "/xapi/statements", json: [statement(), statement("http://adlnet.gov/expapi/verbs/completed")]).body
            let target = try #require((try JSONSerialization.jsonObject(with: Data(ids.utf8)) as? [String])?.first)
            let voiding: [String: Any] = ["actor": ["mbox": "mailto:admin@example.gov.in"], "verb": ["id": XAPIStatement.voided],
                                          "object": ["objectType": "StatementRef", "id": target]]
            let voidingID = try #require((try await client.send(.POST, "/xapi/statements", json: voiding).body).split(separator: "\"").dropFirst().first.map(String.init))
            #expect(try await client.send(.GET, "/xapi/statements?statementId=\(target)").status == .notFound)
            #expect(try await client.send(.GET, "/xapi/statements?voidedStatementId=\(target)").status == .ok)
            let all = client.list(try await client.send(.GET, "/xapi/statements"))
            #expect(all.count == 2 && !all.contains { $0["id"] as? String == target })
            var again = voiding
            again["object"] = ["objectType": "StatementRef", "id": voidingID]
            #expect(try await client.send(.POST, "/xapi/statements", json: again).status == .badRequest, "a voiding statement cannot be voided")
            #expect(try await client.send(.GET, "/xapi/statements?statementId=\(target)&verb=http://x.in").status == .badRequest)
        }
    }

    @Test func filtersAndMorePagesReadStatementsInOrder() async throws {
        try await withApp { app, world in
            let client = try await XAPIClient.issue(app, for: world.mha, by: "mdo.mha")
            let registration = UUID().uuidString.lowercased()
            var batch: [[String: Any]] = []
            for index in 0..<7 {
                var one = statement(index % 2 == 0 ? "http://adlnet.gov/expapi/verbs/completed" : "http://adlnet.gov/expapi/verbs/experienced",
                                    actor: index < 5 ? "a@example.gov.in" : "b@example.gov.in", registration: index < 3 ? registration : nil)
                one["id"] = UUID().uuidString.lowercased()
                if index == 6 {
                    one["object"] = ["id": "https://content.example.gov.in/other"]
                    one["context"] = ["contextActivities": ["parent": ["id": "https://content.example.gov.in/noting"]]]
                }
                batch.append(one)
            }
            #expect(try await client.send(.POST, "/xapi/statements", json: batch).status == .ok)
            var seen: [String] = []
            var next: String? = "/xapi/statements?limit=3"
            var pages = 0
            while let path = next, !path.isEmpty {
                let reply = try await client.send(.GET, path)
                #expect(reply.headers.first(name: "X-Experience-API-Consistent-Through") != nil)
                seen += client.list(reply).map { $0["id"] as! String }
                next = reply.json["more"] as? String
                pages += 1
            }
            #expect(pages == 3 && Set(seen) == Set(batch.map { $0["id"] as! String }) && seen.count == 7)
            let agent = query(["mbox": "mailto:a@example.gov.in"])
            #expect(client.list(try await client.send(.GET, "/xapi/statements?agent=\(agent)")).count == 5)
            #expect(client.list(try await client.send(.GET, "/xapi/statements?agent=\(agent)&verb=http://adlnet.gov/expapi/verbs/completed")).count == 3)
            // The agent as the object of b's statement counts too; pages of two read all six, newest first, each once.
            var about = statement("http://adlnet.gov/expapi/verbs/interacted", actor: "b@example.gov.in", registration: nil)
            about["id"] = UUID().uuidString.lowercased()
            about["object"] = ["objectType": "Agent", "mbox": "mailto:a@example.gov.in"]
            #expect(try await client.send(.POST, "/xapi/statements", json: about).status == .ok)
            var agentPages: [String] = []
            var agentNext: String? = "/xapi/statements?agent=\(agent)&limit=2"
            while let path = agentNext, !path.isEmpty {
                let reply = try await client.send(.GET, path)
                agentPages += client.list(reply).map { $0["id"] as! String }
                agentNext = reply.json["more"] as? String
            }
            #expect(agentPages.count == 6 && Set(agentPages).count == 6 && agentPages.first == about["id"] as? String)
            #expect(Set(agentPages) == Set(batch.prefix(5).map { $0["id"] as! String } + [about["id"] as! String]))
            #expect(client.list(try await client.send(.GET, "/xapi/statements?registration=\(registration)")).count == 3)
            let activity = "https://content.example.gov.in/noting"
            #expect(client.list(try await client.send(.GET, "/xapi/statements?activity=\(activity)")).count == 6)
            #expect(client.list(try await client.send(.GET, "/xapi/statements?activity=\(activity)&related_activities=true")).count == 7)
            let ascending = client.list(try await client.send(.GET, "/xapi/statements?ascending=true&limit=2"))
            #expect(ascending.map { $0["id"] as! String } == Array(batch.prefix(2).map { $0["id"] as! String }) || ascending.count == 2)
            let ids = client.list(try await client.send(.GET, "/xapi/statements?format=ids&limit=1"))
            #expect((ids.first?["verb"] as? [String: Any])?.keys.sorted() == ["id"])
            #expect(((ids.first?["object"] as? [String: Any])?["definition"]) == nil)
            let canonical = client.list(try await client.send(.GET, "/xapi/statements?format=canonical&limit=1", headers: ["Accept-Language": "hi-IN"]))
            #expect((canonical.first?["verb"] as? [String: Any])?["display"] as? [String: String] == ["hi-IN": "किया"])
            #expect(client.list(try await client.send(.GET, "/xapi/statements?since=2999-01-01T00:00:00Z")).isEmpty)
            for bad in ["agent=notjson", "limit=-1", "since=yesterday", "registration=42", "verb=not%20an%20iri", "ascending=yes", "more=garbage"] {
                #expect(try await client.send(.GET, "/xapi/statements?\(bad)").status == .badRequest, "\(bad)")
            }
            let other = try await XAPIClient.issue(app, for: world.health, by: "mdo.health")
            #expect(client.list(try await other.send(.GET, "/xapi/statements")).isEmpty, "a provider reads its own statements only")
            #expect(try await other.send(.GET, "/xapi/statements?statementId=\(batch[0]["id"]!)").status == .notFound)
        }
    }

    @Test func documentsKeepTheirETagsAndRefuseBlindOverwrites() async throws {
        try await withApp { app, world in
            let client = try await XAPIClient.issue(app, for: world.mha, by: "mdo.mha")
            let agent = query(["mbox": "mailto:learner@example.gov.in"])
            let state = "/xapi/activities/state?activityId=https://content.example.gov.in/noting&agent=\(agent)&stateId=bookmark"
            #expect(try await client.send(.PUT, state, json: ["page": 3]).status == .noContent)
            var read = try await client.send(.GET, state)
            #expect(read.json["page"] as? Int == 3 && read.headers.first(name: .eTag)?.hasPrefix("\"") == true)
            #expect(try await client.send(.POST, state, json: ["score": 7]).status == .noContent)
            read = try await client.send(.GET, state)
            #expect(read.json["page"] as? Int == 3 && read.json["score"] as? Int == 7, "POST merges JSON objects")
            let etag = try #require(read.headers.first(name: .eTag))
            #expect(try await client.send(.PUT, state, json: ["page": 4], headers: ["If-Match": "\"nope\""]).status == .preconditionFailed)
            #expect(try await client.send(.PUT, state, json: ["page": 4], headers: ["If-Match": etag]).status == .noContent)
            #expect(try await client.send(.PUT, state, json: ["page": 5], headers: ["If-None-Match": "*"]).status == .preconditionFailed)
            let list = try await client.send(.GET, "/xapi/activities/state?activityId=https://content.example.gov.in/noting&agent=\(agent)")
            #expect((try JSONSerialization.jsonObject(with: Data(list.body.utf8)) as? [String]) == ["bookmark"])
            #expect(try await client.send(.PUT, state, body: "plain", contentType: .plainText).status == .noContent)
            #expect(try await client.send(.POST, state, json: ["x": 1]).status == .badRequest, "a text document cannot be merged")
            #expect(try await client.send(.GET, "/xapi/activities/state?activityId=https://content.example.gov.in/noting&stateId=bookmark").fields == ["agent"])

            let profile = "/xapi/activities/profile?activityId=https://content.example.gov.in/noting&profileId=settings"
            #expect(try await client.send(.PUT, profile, json: ["a": 1], headers: ["If-None-Match": "*"]).status == .noContent)
            #expect(try await client.send(.PUT, profile, json: ["a": 2]).status == .conflict, "a profile is not replaced blind")
            let profileTag = try #require(try await client.send(.GET, profile).headers.first(name: .eTag))
            #expect(try await client.send(.DELETE, profile, headers: ["If-Match": "\"other\""]).status == .preconditionFailed)
            #expect(try await client.send(.DELETE, profile, headers: ["If-Match": profileTag]).status == .noContent)
            #expect(try await client.send(.GET, profile).status == .notFound)

            let agentProfile = "/xapi/agents/profile?agent=\(agent)&profileId=preferences"
            #expect(try await client.send(.PUT, agentProfile, json: ["language": "hi"], headers: ["If-None-Match": "*"]).status == .noContent)
            #expect(try await client.send(.GET, agentProfile).json["language"] as? String == "hi")
            #expect(try await client.send(.DELETE, "/xapi/activities/state?activityId=https://content.example.gov.in/noting&agent=\(agent)").status == .noContent)
            #expect(try await client.send(.GET, state).status == .notFound)
            let other = try await XAPIClient.issue(app, for: world.health, by: "mdo.health")
            #expect(try await other.send(.GET, agentProfile).status == .notFound, "another provider's documents are out of reach")
            let person = try await client.send(.GET, "/xapi/agents?agent=\(agent)")
            #expect(person.json["objectType"] as? String == "Person" && person.json["mbox"] as? [String] == ["mailto:learner@example.gov.in"])
            _ = try await client.send(.POST, "/xapi/statements", json: statement())
            let activity = try await client.send(.GET, "/xapi/activities?activityId=https://content.example.gov.in/noting")
            #expect((activity.json["definition"] as? [String: Any])?["name"] as? [String: String] == ["en-US": "Noting"])
        }
    }

    @Test func aLaunchedXAPIItemTurnsTheLearnersStatementsIntoProgress() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let creator = try await app.token("creator.mha")
            let created = try await app.send(.POST, "/api/v1/courses", token: creator, json: courseBody(world, competency: competency, modules: [
                ["title": "Simulation", "items": [["title": "Drafting simulation", "kind": "xapi", "durationMinutes": 30, "required": true,
                                                   "url": "https://content.example.gov.in/drafting/index.html?lang=hi"]]],
            ]))
            let course = created.json["id"] as! String
            for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
                #expect(try await app.send(.POST, "/api/v1/courses/\(course)/\(action)", token: try await app.token(key)).status == .ok)
            }
            let item = ((created.json["modules"] as! [[String: Any]])[0]["items"] as! [[String: Any]])[0]["id"] as! String
            let learner = try await app.token("learner.mha")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner).status == .created)
            var browser = Browser(app)
            try await browser.signIn("learner.mha")
            let coursePage = try await browser.get("/learn/\(course)")
            #expect(coursePage.body.contains("/learn/\(course)/play/\(item)"))
            let page = try await browser.get("/learn/\(course)/play/\(item)")
            #expect(page.status == .ok && page.headers.first(name: "Content-Security-Policy")?.contains("frame-src https://content.example.gov.in") == true)
            let src = try #require(page.body.range(of: #"src="https://content.example.gov.in[^"]+""#, options: .regularExpression)
                .map { String(page.body[$0].dropFirst(5).dropLast()).replacingOccurrences(of: "&amp;", with: "&") })
            let launch = try #require(URLComponents(string: src))
            func parameter(_ name: String) -> String? { launch.queryItems?.first { $0.name == name }?.value }
            #expect(parameter("lang") == "hi" && parameter("endpoint")?.hasSuffix("/xapi/") == true)
            #expect(parameter("activity_id") == "https://content.example.gov.in/drafting/index.html")
            let auth = try #require(parameter("auth").flatMap { Data(base64Encoded: String($0.dropFirst("Basic ".count))) }.map { String(decoding: $0, as: UTF8.self) })
            let parts = auth.split(separator: ":", maxSplits: 1).map(String.init)
            let content = XAPIClient(app: app, key: parts[0], secret: parts[1])
            let actorText = try #require(parameter("actor"))
            let actor = try #require(try JSONSerialization.jsonObject(with: Data(actorText.utf8)) as? [String: Any])
            let registration = try #require(parameter("registration"))
            func said(_ verb: String, by who: Any = actor) -> [String: Any] {
                ["actor": who, "verb": ["id": verb], "object": ["id": "https://content.example.gov.in/drafting/index.html"], "context": ["registration": registration]]
            }
            /// The enrolment's status, and whether the item was touched.
            func status() async throws -> String {
                let enrolment = try await app.send(.GET, "/api/v1/me/enrolments", token: learner).items.first { $0["courseId"] as? String == course }
                return "\(enrolment?["status"] as? String ?? "-") \(enrolment?["lastItemId"] as? String == nil ? "untouched" : "touched")"
            }
            #expect(try await content.send(.POST, "/xapi/statements", json: said("http://adlnet.gov/expapi/verbs/completed", by: ["mbox": "mailto:someone@else.in"])).status == .ok)
            #expect(try await status() == "active untouched", "someone else's statement is not the learner's progress")
            #expect(try await content.send(.POST, "/xapi/statements", json: said("http://adlnet.gov/expapi/verbs/initialized")).status == .ok)
            #expect(try await status() == "active touched")
            #expect(try await content.send(.POST, "/xapi/statements", json: said("http://adlnet.gov/expapi/verbs/completed")).status == .ok)
            #expect(try await status() == "completed touched")
            #expect(try await content.send(.PUT, "/xapi/activities/state?activityId=https://content.example.gov.in/drafting/index.html&agent=\(query(actor))&stateId=resume",
                                           json: ["page": 4]).status == .noContent)
            app.clock = PlatformClock { Date().addingTimeInterval(XAPILaunches.lifetime + 60) }
            #expect(try await content.send(.GET, "/xapi/statements").status == .unauthorized, "a launch's credentials expire")
        }
    }
}

/// The conformance templates, as the core's tests read them.
enum XAPIStatementTemplates {
    static let folder = ContentFileTests.fixtures.appendingPathComponent("xapi/lrs-conformance-v1.0.3-templates")
    static var names: [String] {
        (FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }
    static let invalid: Set<String> = [
        "agents/account_no_homepage.json", "agents/account_no_name.json", "groups/anonymous_no_member.json", "groups/identified_account_no_homepage.json",
        "groups/identified_account_no_name.json", "verbs/no_id.json", "activities/no_id.json", "activities/name_invalid.json", "activities/description_invalid.json",
        "activities/numeric_name.json", "activities/numeric_description.json", "activities/string_name.json", "activities/string_description.json",
        "activities/interaction_type_invalid_iri.json", "activities/interaction_type_invalid_numeric.json", "activities/interaction_type_invalid_object.json",
        "activities/interaction_type_invalid_string.json", "contexts/invalid_activity.json", "contexts/instructor.json", "contexts/team.json",
        "statements/no_actor.json", "statements/no_verb.json", "statements/no_object.json", "statements/multiple_actor.json", "statements/object_actor.json",
        "statements/object_statementref_no_id.json", "statements/authority.json", "statements/actor.json", "statements/verb.json",
        "statements/object_activity.json", "statements/object_substatement.json", "substatements/activity.json", "substatements/verb.json",
        "substatements/no_actor.json", "substatements/no_verb.json", "substatements/no_object.json", "substatements/actor.json", "substatements/agent.json",
        "substatements/group.json", "substatements/statementref_no_id.json", "substatements/verb_invalid.json",
        "substatements/activity_definition_name_invalid.json", "substatements/activity_definition_description_invalid.json",
        "substatements/context_invalid_language_map.json", "substatements/interaction_component_invalid_language_map.json",
    ]

    static func statement(_ relative: String) throws -> (Data, Any) {
        let data = try Data(contentsOf: folder.appendingPathComponent(relative))
        let part = try JSONSerialization.jsonObject(with: data)
        let place = ["agents": "actor", "groups": "actor", "verbs": "verb", "activities": "object", "substatements": "object",
                     "contexts": "context", "results": "result"][String(relative.prefix(while: { $0 != "/" }))]
        guard let place else { return (data, part) }
        var whole: [String: Any] = ["actor": ["mbox": "mailto:learner@example.gov.in"], "verb": ["id": "http://adlnet.gov/expapi/verbs/attended"],
                                    "object": ["id": "http://www.example.com/meetings/occurances/34534"]]
        whole[place] = part
        if relative == "verbs/voided.json" { whole["object"] = ["objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"] }
        return (try JSONSerialization.data(withJSONObject: whole), whole)
    }
}
