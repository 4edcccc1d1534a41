import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

/// The cascade as its trainers meet it on the portal: a lead trainer opens a batch of master trainers and records who
/// came; a master trainer opens the day's batch and records its participants by e-mail; strangers find no batch.
@Suite struct CascadePageTests {
    @Test func trainersOpenBatchesAndRecordAttendanceOnTheirPages() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let today = IndiaDay.of(clock.now)
            let coordinator = try await app.token("cbp.mha")
            let cascade = try await app.send(.POST, "/api/v1/cascades", token: coordinator, json: [
                "title": "Jan Seva", "titleHi": "जन सेवा", "providerId": world.mha.uuidString,
                "modules": [["title": "Citizen first", "titleHi": "नागरिक सर्वोपरि", "minutes": 90], ["title": "Service delivery", "minutes": 90]]])
                .decoded(CascadeDTO.self)
            let id = cascade.id.uuidString.lowercased()
            _ = try await app.send(.POST, "/api/v1/cascades/\(id)/leads", token: coordinator, json: ["emails": ["mdo.mha@test.example.org"]])

            // Someone certified in nothing is told so, and offered no form.
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            let nothing = try await learner.get("/cascades/\(id)/training")
            #expect(nothing.status == .ok && nothing.body.contains("certified as a lead or master trainer") && !nothing.body.contains("name=\"tier\""))
            #expect(try await learner.post("/cascades/\(id)/training", form: ["tier": "participant", "startDate": IndiaDay.string(today), "stateCode": "8", "seats": "30"])
                .status == .unprocessableEntity)

            // The lead opens a batch of master trainers; a bad seat count is named and opens nothing.
            var lead = Browser(app)
            try await lead.signIn("mdo.mha")
            let form = try await lead.get("/cascades/\(id)/training")
            #expect(form.body.contains("Batch of master trainers") && form.body.contains("name=\"tier\" value=\"master\""))
            let zero = try await lead.post("/cascades/\(id)/training", form: ["tier": "master", "startDate": IndiaDay.string(today), "stateCode": "8", "seats": "0"])
            #expect(zero.status == .unprocessableEntity && zero.body.contains("<code>seats</code>"), "\(zero.body)")
            let opened = try await lead.post("/cascades/\(id)/training", form: [
                "tier": "master", "startDate": IndiaDay.string(today), "endDate": IndiaDay.string(today + 1), "stateCode": "8", "venue": "HCM RIPA", "seats": "20"])
            #expect(opened.status == .seeOther, "\(opened.body)")
            let masterBatch = try #require(opened.headers.first(name: .location))
            #expect(try await app.send(.GET, "/api/v1/cascades/\(id)/batches?trainer=me", token: try await app.token("mdo.mha"))
                .decoded(Page<CascadeBatchDTO>.self).items.count == 1, "one batch, after a refused one")

            // The lead records two master trainers by e-mail; an unknown address is named and records nobody.
            #expect(try await lead.get(masterBatch).body.contains("HCM RIPA"))
            let unknown = try await lead.post("\(masterBatch)/attendance", form: ["emails": "learner.mha@test.example.org\nnobody@test.example.org"])
            #expect(unknown.status == .unprocessableEntity && unknown.body.contains("emails[1]"), "\(unknown.body)")
            let recorded = try await lead.post("\(masterBatch)/attendance", form: ["emails": "learner.mha@test.example.org, publisher.mha@test.example.org"])
            #expect(recorded.status == .ok && recorded.body.contains("2 recorded, 2 certified."), "\(recorded.body)")
            #expect(recorded.body.contains("Learner.Mha") && recorded.body.contains("Publisher.Mha"))

            // A stranger finds no such batch; its trainer's page lists it.
            var stranger = Browser(app)
            try await stranger.signIn("learner.health")
            #expect(try await stranger.get(masterBatch).status == .notFound)
            #expect(try await stranger.post("\(masterBatch)/attendance", form: ["emails": "learner.health@test.example.org"]).status == .notFound)
            #expect(try await lead.get("/cascades/\(id)/training").body.contains("2 / 20"))
            // A master trainer whom no dashboard is for still finds the way to their batches on the cascade's page.
            let cascadePage = try await learner.get("/cascades/\(id)")
            #expect(cascadePage.status == .ok && cascadePage.body.contains("href=\"/cascades/\(id)/training\"") && cascadePage.body.contains("shown to its coordinators"), "\(cascadePage.status)")

            // The new master trainer (the learner) opens the day's batch of participants in Hindi (the language stays), and records one.
            let masterForm = try await learner.get("/cascades/\(id)/training?lang=hi")
            #expect(masterForm.body.contains("name=\"tier\" value=\"participant\"") && !masterForm.body.contains("name=\"endDate\""))
            let day = try await learner.post("/cascades/\(id)/training", form: ["tier": "participant", "startDate": IndiaDay.string(today), "stateCode": "8", "seats": "30"])
            #expect(day.status == .seeOther, "\(day.body)")
            let dayBatch = try #require(day.headers.first(name: .location))
            let page = try await learner.get(dayBatch)
            #expect(page.body.contains("नागरिक सर्वोपरि") && page.body.contains("Service delivery"), "the day's modules, in Hindi where they have it")
            let participants = try await learner.post("\(dayBatch)/attendance", form: ["emails": "learner.jaipur@test.example.org"])
            #expect(participants.status == .ok && participants.body.contains("1 दर्ज, 1 प्रमाणित।"))
            let reach = try await app.send(.GET, "/api/v1/cascades/\(id)/reach", token: coordinator).decoded(CascadeReachDTO.self)
            #expect(reach.totals == CascadeReach(leadTrainers: 1, masterTrainers: 2, batches: 1, participants: 1))

            // A week after the day, the form is gone and a late mark is refused.
            clock.move(by: 8 * 86_400)
            let late = try await learner.get(dayBatch)
            #expect(!late.body.contains("name=\"emails\""))
            let refused = try await learner.post("\(dayBatch)/attendance", form: ["emails": "learner.health@test.example.org"])
            #expect(refused.status == .conflict)
            #expect(try await app.send(.GET, "/api/v1/cascades/\(id)/reach", token: coordinator).decoded(CascadeReachDTO.self).totals.participants == 1)
        }
    }
}
