import CryptoExtras
import Foundation
import JWTKit
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

/// LTI 1.3 with Karmayogi as the platform: a tool registered by an organisation's admins, launched from a course
/// item (login initiation, authentication request, a signed id_token), and its scores coming back as progress.
@Suite struct LTITests {
    /// A tool's side: its RSA key, and the key set it registers.
    struct Tool {
        let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
        let kid = "tool-key-1"

        var jwks: [String: Any] {
            let primitives = try! key.publicKey.getKeyPrimitives()
            return ["keys": [["kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": Base64URL.encode(primitives.modulus),
                              "e": Base64URL.encode(primitives.publicExponent)]]]
        }

        /// A client assertion for the token endpoint.
        func assertion(clientID: String, audience: String, jti: String = UUID().uuidString, expiresIn: TimeInterval = 60) async throws -> String {
            let keys = JWTKeyCollection()
            await keys.add(rsa: try Insecure.RSA.PrivateKey(backing: key), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
            let payload = LTIServices.ClientAssertion(iss: .init(value: clientID), sub: .init(value: clientID), aud: .init(value: [audience]),
                                                      exp: .init(value: Date().addingTimeInterval(expiresIn)), iat: .init(value: Date().addingTimeInterval(-5)),
                                                      jti: .init(value: jti))
            return try await keys.sign(payload, kid: JWKIdentifier(string: kid))
        }
    }

    func register(_ app: Application, _ world: TestWorld, tool: Tool, by admin: String = "mdo.mha") async throws -> LTIToolDTO {
        let reply = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/lti-tools", token: try await app.token(admin), json: [
            "name": "Quiz engine", "loginUrl": "https://tool.example.org/login", "launchUrl": "https://tool.example.org/launch", "jwks": tool.jwks,
        ])
        #expect(reply.status == .created, "\(reply.body)")
        return try reply.decoded(LTIToolDTO.self)
    }

    @Test func aToolIsRegisteredByItsOrganisationsAdminsAndBadRegistrationsChangeNothing() async throws {
        try await withApp { app, world in
            let tool = Tool()
            let registered = try await register(app, world, tool: tool)
            #expect(registered.clientId.hasPrefix("kt-") && registered.platform.tokenUrl.hasSuffix("/lti/token") && registered.platform.jwksUrl.hasSuffix("/lti/jwks.json"))
            let admin = try await app.token("mdo.mha")
            func refused(_ body: [String: Any]) async throws -> [String] {
                let reply = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/lti-tools", token: admin, json: body)
                #expect(reply.status == .unprocessableEntity && reply.isProblem, "\(reply.body)")
                return reply.fields
            }
            var small = tool.jwks
            small["keys"] = [["kty": "RSA", "kid": "k", "n": Base64URL.encode(Data(repeating: 7, count: 64)), "e": "AQAB"]]
            #expect(try await refused(["name": "T", "loginUrl": "http://tool.example.org/login", "launchUrl": "https://t/launch", "jwks": tool.jwks]) == ["loginUrl"])
            #expect(try await refused(["name": "T", "loginUrl": "https://t/l", "launchUrl": "https://t/launch#x", "jwks": small]) == ["launchUrl", "jwks"])
            #expect(try await refused(["name": "", "loginUrl": "https://t/l", "launchUrl": "https://t/l", "jwks": tool.jwks, "jwksUrl": "https://t/k"]) == ["name", "jwksUrl"])
            #expect(try await refused(["name": "T", "loginUrl": "https://t/l", "launchUrl": "https://t/l", "jwks": ["keys": "none"]]) == ["jwks"])
            let listed = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/lti-tools", token: admin).items
            #expect(listed.map { $0["id"] as? String } == [registered.id.uuidString], "the refused registrations stored nothing")
            // Out of reach is the same as not there: another ministry's admin neither lists nor revokes it.
            for outsider in ["mdo.health", "learner.mha", "creator.mha"] {
                let token = try await app.token(outsider)
                let status = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/lti-tools", token: token).status
                #expect(status == .forbidden || status == .notFound, "\(outsider)")
                #expect(try await app.send(.DELETE, "/api/v1/lti-tools/\(registered.id)", token: token).status == .notFound)
            }
            let revoked = try await app.send(.DELETE, "/api/v1/lti-tools/\(registered.id)", token: admin)
            #expect(revoked.status == .ok && revoked.json["revokedAt"] is String)
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.mha)/lti-tools", token: admin).items.isEmpty)
        }
    }

    /// A published course with one LTI item for the tool; answers the course and the item.
    func course(_ app: Application, _ world: TestWorld, tool: UUID) async throws -> (course: String, item: String) {
        let creator = try await app.token("creator.mha")
        let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
        func body(_ url: String) -> [String: Any] {
            courseBody(world, competency: competency, modules: [["title": "Practice", "items": [
                ["title": "Drafting quiz", "kind": "lti", "durationMinutes": 15, "required": true, "url": url]]]])
        }
        let unknown = try await app.send(.POST, "/api/v1/courses", token: creator, json: body("lti:\(UUID())"))
        #expect(unknown.fields == ["modules[0].items[0].url"], "a tool that is not registered")
        #expect(try await app.send(.POST, "/api/v1/courses", token: creator, json: body("https://tool.example.org")).fields == ["modules[0].items[0].url"])
        let created = try await app.send(.POST, "/api/v1/courses", token: creator, json: body("lti:\(tool)"))
        #expect(created.status == .created, "\(created.body)")
        let id = created.json["id"] as! String
        for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/\(action)", token: try await app.token(key)).status == .ok)
        }
        let item = ((created.json["modules"] as! [[String: Any]])[0]["items"] as! [[String: Any]])[0]["id"] as! String
        return (id, item)
    }

    struct IDToken: JWTPayload {
        var iss: IssuerClaim
        var aud: AudienceClaim
        var sub: SubjectClaim
        var nonce: String
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    @Test func aLearnerLaunchesAToolWhoseScoresBecomeProgress() async throws {
        try await withApp { app, world in
            let tool = Tool()
            let registered = try await register(app, world, tool: tool)
            let (course, item) = try await course(app, world, tool: registered.id)
            let learner = try await app.token("learner.mha")
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: learner).status == .created)

            // 1. Login initiation: the tool's login URL with the platform's parameters.
            let launch = try await app.send(.POST, "/api/v1/courses/\(course)/items/\(item)/launch", token: learner).decoded(ItemLaunchDTO.self)
            let login = try #require(URLComponents(string: launch.url))
            let given = Dictionary(uniqueKeysWithValues: (login.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(launch.kind == "lti" && login.host == "tool.example.org" && login.path == "/login")
            #expect(given["client_id"] == registered.clientId && given["lti_deployment_id"] == registered.deploymentId && given["iss"] == registered.platform.issuer)
            #expect(given["target_link_uri"] == "https://tool.example.org/launch" && given["login_hint"]?.isEmpty == false)

            // 2. The authentication request the tool answers with; every wrong part refused.
            var request = URLComponents(string: "/lti/authorize")!
            func authorize(_ changes: [String: String?] = [:]) async throws -> Reply {
                var query: [String: String?] = ["scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                                                "client_id": registered.clientId, "redirect_uri": "https://tool.example.org/launch", "login_hint": given["login_hint"],
                                                "lti_message_hint": given["lti_message_hint"], "state": "state-1", "nonce": "nonce-1"]
                query.merge(changes) { $1 }
                request.queryItems = query.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
                return try await app.send(.GET, request.string!)
            }
            #expect(try await authorize(["redirect_uri": "https://evil.example.org/launch"]).status == .badRequest)
            #expect(try await authorize(["client_id": "kt-unknown"]).status == .badRequest)
            #expect(try await authorize(["login_hint": UUID().uuidString.lowercased()]).status == .badRequest)
            #expect(try await authorize(["nonce": nil]).status == .badRequest)
            let answered = try await authorize()
            #expect(answered.status == .ok && answered.headers.first(name: "Content-Security-Policy")?.contains("form-action https://tool.example.org") == true)
            #expect(answered.body.contains("action=\"https://tool.example.org/launch\"") && answered.body.contains("name=\"state\" value=\"state-1\""))
            #expect(try await authorize().status == .badRequest, "the message hint is good once")
            let token = try #require(answered.body.firstMatch(of: /name="id_token" value="([^"]+)"/)?.1).description

            // 3. The id_token verifies with the published key set and carries the launch.
            let keys = try await JWTKeyCollection().add(jwksJSON: try await app.send(.GET, "/lti/jwks.json").body)
            let verified = try await keys.verify(token, as: IDToken.self)
            #expect(verified.iss.value == registered.platform.issuer && verified.aud.value == [registered.clientId] && verified.nonce == "nonce-1")
            let payload = try #require(Base64URL.decode(token.split(separator: ".")[1]))
            let claims = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
            #expect(claims[LTI.claim + "message_type"] as? String == "LtiResourceLinkRequest" && claims[LTI.claim + "version"] as? String == "1.3.0")
            #expect((claims[LTI.claim + "resource_link"] as? [String: Any])?["id"] as? String == item.lowercased())
            #expect((claims[LTI.claim + "context"] as? [String: Any])?["id"] as? String == course.lowercased())
            #expect(claims[LTI.claim + "deployment_id"] as? String == registered.deploymentId && claims[LTI.claim + "roles"] as? [String] == [LTI.learnerRole])
            let ags = try #require(claims[LTI.agsClaim] as? [String: Any])
            let nrps = try #require(claims[LTI.nrpsClaim] as? [String: Any])
            func path(_ address: Any?) -> String { String((address as! String).dropFirst(registered.platform.issuer.count)) }

            // 4. A token for a signed assertion: once per jti, for this endpoint, by the tool's key, unexpired.
            let everyScope = LTI.Scope.allCases.map { $0.rawValue }.joined(separator: " ")
            func tokenReply(_ assertion: String, scope: String? = nil) async throws -> Reply {
                var form = URLComponents()
                form.queryItems = [URLQueryItem(name: "grant_type", value: "client_credentials"),
                                   URLQueryItem(name: "client_assertion_type", value: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                                   URLQueryItem(name: "client_assertion", value: assertion), URLQueryItem(name: "scope", value: scope ?? everyScope)]
                return try await app.send(.POST, "/lti/token", body: form.percentEncodedQuery!, contentType: .urlEncodedForm)
            }
            let jti = UUID().uuidString
            let granted = try await tokenReply(try await tool.assertion(clientID: registered.clientId, audience: registered.platform.tokenUrl, jti: jti))
            #expect(granted.status == .ok && granted.json["token_type"] as? String == "Bearer", "\(granted.body)")
            let access = try #require(granted.json["access_token"] as? String)
            let replayed = try await tokenReply(try await tool.assertion(clientID: registered.clientId, audience: registered.platform.tokenUrl, jti: jti))
            #expect(replayed.status == .badRequest && replayed.json["error"] as? String == "invalid_grant", "a reused jti")
            let forged = try await tokenReply(try await Tool().assertion(clientID: registered.clientId, audience: registered.platform.tokenUrl))
            #expect(forged.status == .unauthorized && forged.json["error"] as? String == "invalid_client", "another key's signature")
            let expired = try await tokenReply(try await tool.assertion(clientID: registered.clientId, audience: registered.platform.tokenUrl, expiresIn: -120))
            #expect(expired.status != .ok && expired.json["error"] != nil, "an expired assertion")
            #expect(try await tokenReply(try await tool.assertion(clientID: registered.clientId, audience: "https://elsewhere")).status == .unauthorized)
            #expect(try await tokenReply("not.a.jwt").status == .unauthorized)

            // 5. Line items, scores and results; a score becomes the item's progress.
            let bearer: HTTPHeaders = ["Authorization": "Bearer \(access)"]
            let lines = try await app.send(.GET, path(ags["lineitems"]), headers: bearer)
            #expect(lines.status == .ok && lines.headers.contentType?.description.contains("lineitemcontainer") == true)
            #expect(try await app.send(.GET, path(ags["lineitems"])).status == .unauthorized)
            #expect(try await app.send(.GET, "/lti/contexts/\(UUID())/lineitems", headers: bearer).status == .notFound)
            let learnerID = try #require(given["login_hint"])
            func score(_ body: [String: Any]) async throws -> Reply {
                try await app.send(.POST, path(ags["lineitem"]) + "/scores", body: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self),
                                   contentType: HTTPMediaType(type: "application", subType: "vnd.ims.lis.v1.score+json"), headers: bearer)
            }
            let now = ISO8601DateFormatter().string(from: Date())
            let bad = try await score(["userId": learnerID, "activityProgress": "Done", "gradingProgress": "FullyGraded", "scoreGiven": -1, "timestamp": "yesterday"])
            #expect(bad.status == .unprocessableEntity && Set(bad.fields) == ["activityProgress", "scoreGiven", "scoreMaximum", "timestamp"])
            #expect(try await score(["userId": UUID().uuidString, "activityProgress": "Completed", "gradingProgress": "FullyGraded", "timestamp": now]).fields == ["userId"])
            let progress = { try await app.send(.GET, "/api/v1/me/enrolments/\(course)/progress", token: learner).items.first { $0["itemId"] as? String == item }?["status"] as? Int }
            #expect(try await progress() == nil, "refused scores changed nothing")
            let started = try await score(["userId": learnerID, "activityProgress": "Started", "gradingProgress": "NotReady", "timestamp": now])
            let afterStart = try await progress()
            #expect(started.status == .noContent && afterStart == 1)
            let graded = try await score(["userId": learnerID, "scoreGiven": 8, "scoreMaximum": 10, "activityProgress": "Completed",
                                          "gradingProgress": "FullyGraded", "timestamp": ISO8601DateFormatter().string(from: Date().addingTimeInterval(1))])
            let afterGrade = try await progress()
            #expect(graded.status == .noContent && afterGrade == 2)
            #expect(try await app.send(.GET, "/api/v1/me/enrolments", token: learner).items.first?["status"] as? String == "completed")
            let older = try await score(["userId": learnerID, "activityProgress": "Started", "gradingProgress": "Pending", "timestamp": "2020-01-01T00:00:00Z"])
            #expect(older.status == .conflict)
            let results = try await app.send(.GET, path(ags["lineitem"]) + "/results", headers: bearer)
            let result = try #require((try JSONSerialization.jsonObject(with: Data(results.body.utf8)) as? [[String: Any]])?.first)
            #expect(result["userId"] as? String == learnerID && result["resultScore"] as? Double == 80 && result["resultMaximum"] as? Double == 100)
            let made = try await app.send(.POST, path(ags["lineitems"]), json: ["label": "Essay", "scoreMaximum": 20, "tag": "essay"], headers: bearer)
            #expect(made.status == .created && made.json["tag"] as? String == "essay", "\(made.body)")
            #expect(try await app.send(.POST, path(ags["lineitems"]), json: ["label": "", "scoreMaximum": 0, "resourceLinkId": UUID().uuidString], headers: bearer).fields
                    == ["label", "scoreMaximum", "resourceLinkId"])

            // 6. Names and roles: the course's learners.
            let members = try await app.send(.GET, path(nrps["context_memberships_url"]), headers: bearer)
            #expect(members.status == .ok && (members.json["members"] as? [[String: Any]])?.map { $0["user_id"] as? String } == [learnerID])
        }
    }

    @Test func anAdminRegistersAndRevokesAToolOnTheOrganisationsPageAndAnAuthorIsOfferedIt() async throws {
        try await withApp { app, world in
            var admin = Browser(app)
            try await admin.signIn("mdo.mha")
            let path = "/admin/organisations/\(world.mha.uuidString.lowercased())/lti-tools"
            #expect(try await admin.get("/admin/organisations/\(world.mha.uuidString.lowercased())").body.contains(path))
            let empty = try await admin.get(path)
            #expect(empty.status == .ok && empty.body.contains("/lti/jwks.json") && empty.body.contains("name=\"loginUrl\""))
            let refused = try await admin.post(path, form: ["name": "Quiz engine", "loginUrl": "http://tool.example.org/login",
                                                             "launchUrl": "https://tool.example.org/launch", "jwks": "{not json"])
            #expect(refused.status == .unprocessableEntity && refused.body.contains("field-error") && refused.body.contains("tool.example.org/launch"),
                    "the form comes back with the reasons and what was typed")
            #expect(try await LTITool.query(on: app.db).count() == 0, "nothing was stored")
            let jwks = String(decoding: try JSONSerialization.data(withJSONObject: Tool().jwks), as: UTF8.self)
            let saved = try await admin.post(path, form: ["name": "Quiz engine", "loginUrl": "https://tool.example.org/login",
                                                           "launchUrl": "https://tool.example.org/launch", "jwks": jwks])
            let tool = try #require(try await LTITool.query(on: app.db).first())
            #expect(saved.status == .ok && saved.body.contains(tool.clientID) && saved.body.contains(tool.deploymentID) && saved.body.contains("role=\"status\""))
            // A learner of the ministry is not its admin: the page is not theirs.
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            #expect(try await learner.get(path).status != .ok)
            // The ministry's authors are offered the tool for an LTI item.
            let creator = try await app.token("creator.mha")
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let course = try await app.send(.POST, "/api/v1/courses", token: creator, json: courseBody(world, competency: competency)).json["id"] as! String
            var author = Browser(app)
            try await author.signIn("creator.mha")
            let editor = try await author.get("/author/courses/\(course)")
            #expect(editor.body.contains("<datalist id=\"lti-tools\"><option value=\"lti:\(tool.id!.uuidString.lowercased())\">Quiz engine</option>"), "\(editor.status)")
            let revoked = try await admin.post("\(path)/\(tool.id!.uuidString.lowercased())/revoke", form: [:])
            let stored = try await LTITool.find(tool.id, on: app.db)
            #expect(revoked.status == .ok && !revoked.body.contains(tool.clientID) && stored?.revokedAt != nil)
            let afterwards = try await author.get("/author/courses/\(course)")
            #expect(!afterwards.body.contains("lti-tools"), "a revoked tool is offered no more")
        }
    }
}
