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
