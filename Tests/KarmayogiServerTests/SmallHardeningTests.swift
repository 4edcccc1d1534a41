import Fluent
import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

@Suite struct SmallHardeningTests {
    @Test func anEmptyObjectEnrolsOneselfLikeNoBody() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world)
            let token = try await app.token("learner.mha")
            let first = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: token, json: [String: Any]())
            #expect(first.status == .created)
            #expect(try first.decoded(EnrolmentDTO.self).userId == world.users["learner.mha"]!)
            #expect(try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: token).status == .ok)
        }
    }

    @Test func aBodyTooLargeSaysHowLargeInMegabytes() async throws {
        try await withApp { app, _ in
            let big = "{\"email\": \"" + String(repeating: "a", count: 1_100_000) + "\", \"password\": \"x\"}"
            let reply = try await app.send(.POST, "/api/v1/auth/login", body: big, contentType: .json)
            #expect(reply.status == .payloadTooLarge)
            #expect((reply.json["detail"] as? String)?.contains("(1 MB)") == true, "\(reply.body)")
        }
    }

    @Test func generatedLearnersAreCountedInTheRollups() async throws {
        try await withApp { app, _ in
            _ = try await RollupCheck.run(repair: true, on: app.db)
            _ = try await GenerateCommand.addLearners(7, enrolledIn: 3, passwordHash: "x", on: app.db) { _ in }
            let report = try await RollupCheck.run(repair: false, on: app.db)
            #expect(report.differenceCount == 0, "\(report.differences.prefix(5).map(\.description))")
            #expect(report.rows > 0)
        }
    }
}

/// What schemathesis found where the answers contradicted the API's description.
@Suite struct ContractTests {
    @Test func withoutASignInTheAnswerIs401BeforeAnythingIsChecked() async throws {
        try await withApp { app, world in
            let suggested = try await app.send(.GET, "/api/v1/orgs/\(world.mha)/plans/suggested?designation=")
            #expect(suggested.status == .unauthorized)
            let badBody = try await app.send(.POST, "/api/v1/orgs", json: ["name": ""])
            #expect(badBody.status == .unauthorized)
            let badQuery = try await app.send(.GET, "/api/v1/orgs?stateCode=0")
            #expect(badQuery.status == .unauthorized)
            // Public endpoints still answer anyone.
            #expect(try await app.send(.GET, "/api/v1/courses").status == .ok)
        }
    }

    @Test func aNumberBeyondAnyFieldIsNamedNotCalledBadJSON() async throws {
        try await withApp { app, world in
            let token = try await app.token("national")
            let reply = try await app.send(.PATCH, "/api/v1/orgs/\(world.mha)", token: token,
                                           body: #"{"name": "Ministry of Home Affairs", "sanctionedStrength": 6942069397888619549863691943936}"#,
                                           contentType: .json)
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.fields == ["sanctionedStrength"])
            let nested = try await app.send(.POST, "/api/v1/progress", token: token,
                                            body: #"{"updates": [{"percent": -225440451784488124133722580771177234432}]}"#, contentType: .json)
            #expect(nested.fields == ["updates[0].percent"])
            // Written with an exponent, and beside a true (whose e is no exponent), it is found the same.
            let exponent = try await app.send(.POST, "/api/v1/progress", token: token,
                                              body: #"{"updates": [{"key": "true", "percent": 1E+300}]}"#, contentType: .json)
            #expect(exponent.fields == ["updates[0].percent"])
            // Ordinary numbers, whole or not, are read as before: a fraction reaches the field's own check.
            let fine = try await app.send(.PATCH, "/api/v1/orgs/\(world.mha)", token: token, json: ["sanctionedStrength": 1200])
            #expect(fine.status == .ok)
            let fraction = try await app.send(.PATCH, "/api/v1/orgs/\(world.mha)", token: token, body: #"{"sanctionedStrength": 12.5}"#, contentType: .json)
            #expect(fraction.fields == ["sanctionedStrength"], "\(fraction.status) \(fraction.body)")
            #expect(!fraction.body.contains("beyond"))
        }
    }

    @Test func theAuthoringViewChecksEveryFilterToo() async throws {
        try await withApp { app, _ in
            let token = try await app.token("creator.mha")
            let reply = try await app.send(.GET, "/api/v1/courses?view=authoring&kind=film&minDuration=1.5", token: token)
            #expect(reply.status == .unprocessableEntity)
            #expect(Set(reply.fields) == ["kind", "minDuration"])
            #expect(try await app.send(.GET, "/api/v1/courses?view=authoring&kind=video", token: token).status == .ok)
        }
    }

    @Test func allowListsTheMethodsOfTheRouteThePathMeans() async throws {
        try await withApp { app, _ in
            // /certificates/verify is its own route, not /certificates/{id}.
            let verify = try await app.send(.OPTIONS, "/api/v1/certificates/verify")
            #expect(verify.status == .methodNotAllowed)
            #expect(verify.headers.first(name: .allow) == "POST")
            let get = try await app.send(.GET, "/api/v1/certificates/verify")
            #expect(get.status == .methodNotAllowed)
            #expect(get.headers.first(name: .allow) == "POST")
            // An id that is not there is still not there.
            #expect(try await app.send(.GET, "/api/v1/certificates/\(UUID())").status == .notFound)
            // A page asked for as HTML keeps the header too.
            let health = try await app.send(.TRACE, "/health", headers: ["Accept": "text/html"])
            #expect(health.status == .methodNotAllowed)
            #expect(health.headers.first(name: .allow) == "GET")
        }
    }
}

/// What schemathesis found that the server answered 500 or took without complaint.
@Suite struct PeopleInputTests {
    @Test func aStateAdminNeedsAState() async throws {
        try await withApp { app, world in
            let token = try await app.token("national")
            // The Ministry of Home Affairs is in no State and the person is given none.
            let reply = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users", token: token,
                                           json: ["name": "Asha Verma", "email": "asha.state@test.example.org", "roles": ["state_admin"]])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.fields == ["roles"])
            #expect(try await User.query(on: app.db).filter(\.$email == "asha.state@test.example.org").count() == 0)
            // With a State, the same works.
            let placed = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users", token: token,
                                            json: ["name": "Asha Verma", "email": "asha.state@test.example.org", "roles": ["state_admin"], "stateCode": 8])
            #expect(placed.status == .created)
            // Given later, on someone with no State, it is refused the same way.
            let learner = world.users["learner.mha"]!
            let patched = try await app.send(.PATCH, "/api/v1/users/\(learner)", token: token, json: ["roles": ["state_admin"]])
            #expect(patched.status == .unprocessableEntity)
            #expect(patched.fields == ["roles"])
        }
    }

    @Test func aNameWithControlCharactersIsRefused() async throws {
        try await withApp { app, world in
            let token = try await app.token("national")
            let reply = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users", token: token,
                                           json: ["name": "Asha\tVerma\u{13}", "email": "asha.tab@test.example.org"])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.fields == ["name"])
            let patched = try await app.send(.PATCH, "/api/v1/users/\(world.users["learner.mha"]!)", token: token, json: ["name": "Line\nbreak"])
            #expect(patched.fields == ["name"])
            let organisation = try await app.send(.POST, "/api/v1/orgs", token: token, json: ["name": "Ministry\u{0}", "code": "MIN-X", "type": "ministry"])
            #expect(organisation.fields == ["name"])
        }
    }
}

@Suite struct SigningSecretTests {
    /// A short JWT_SECRET is refused at start with its name, rather than stopping the process in the JWT library.
    @Test func aShortSigningSecretIsRefusedByName() async throws {
        await #expect(throws: Problem.self) {
            try await withBareApp(adjusting: { $0.jwtSecret = "too-short" }) { _ in }
        }
        try await withBareApp(adjusting: { $0.jwtSecret = String(repeating: "k", count: 32) }) { app in
            let health = try await app.send(.GET, "/health")
            #expect(health.status == .ok)
        }
    }
}
