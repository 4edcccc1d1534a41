import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import SQLKit
import Testing
import Vapor
import VaporTesting

@Suite struct CascadeTests {
    nonisolated(unsafe) private static let modules: [[String: Any]] = [
        ["title": "Citizen first", "titleHi": "नागरिक सर्वोपरि", "minutes": 90], ["title": "Service delivery", "minutes": 90],
        ["title": "Grievance redressal", "minutes": 90], ["title": "Digital public services", "minutes": 90]]

    private func cascade(_ app: Application, _ world: TestWorld) async throws -> String {
        let created = try await app.send(.POST, "/api/v1/cascades", token: try await app.token("cbp.mha"), json: [
            "title": "Jan Seva", "titleHi": "जन सेवा", "providerId": world.mha.uuidString, "modules": Self.modules])
        #expect(created.status == .created, "\(created.body)")
        let dto = try created.decoded(CascadeDTO.self)
        #expect(dto.modules.count == 4 && dto.mayCoordinate && dto.totals.isEmpty)
        return dto.id.uuidString
    }

    private func batch(_ app: Application, _ cascade: String, by trainer: String, tier: String, day: Int, district: Int? = nil, seats: Int = 30,
                       end: Int? = nil) async throws -> Reply {
        var body: [String: Any] = ["tier": tier, "startDate": IndiaDay.string(day), "stateCode": 8, "seats": seats, "venue": "HCM RIPA"]
        if let district { body["districtCode"] = district }
        if let end { body["endDate"] = IndiaDay.string(end) }
        return try await app.send(.POST, "/api/v1/cascades/\(cascade)/batches", token: try await app.token(trainer), json: body)
    }

    private func attend(_ app: Application, _ batch: String, by trainer: String, _ people: [String], _ world: TestWorld) async throws -> Reply {
        try await app.send(.POST, "/api/v1/cascade-batches/\(batch)/attendance", token: try await app.token(trainer),
                           json: ["userIds": people.map { world.users[$0]!.uuidString }])
    }

    @Test func aTemplateMustFitOneDay() async throws {
        try await withApp { app, world in
            let token = try await app.token("cbp.mha")
            for (modules, field) in [(Array(repeating: Self.modules[0], count: 9), "modules"), ([["title": "Short", "minutes": 5]], "modules[0].minutes"),
                                     (Array(repeating: ["title": "Long", "minutes": 240] as [String: Any], count: 3), "modules"),
                                     ([["title": " ", "minutes": 60]], "modules[0].title")] {
                let reply = try await app.send(.POST, "/api/v1/cascades", token: token, json: ["title": "Jan Seva", "providerId": world.mha.uuidString, "modules": modules])
                #expect(reply.status == .unprocessableEntity && reply.fields == [field], "\(reply.body)")
            }
            // A provider beyond one's coordination is named as the field; a learner coordinates nothing.
            let other = try await app.send(.POST, "/api/v1/cascades", token: token, json: ["title": "Jan Seva", "providerId": world.health.uuidString, "modules": Self.modules])
            #expect(other.fields == ["providerId"])
            let learner = try await app.send(.POST, "/api/v1/cascades", token: try await app.token("learner.mha"),
                                             json: ["title": "Jan Seva", "providerId": world.mha.uuidString, "modules": Self.modules])
            #expect(learner.fields == ["providerId"])
            let list = try await app.send(.GET, "/api/v1/cascades", token: token).decoded(Page<CascadeDTO>.self)
            #expect(list.items.isEmpty, "nothing was stored")
        }
    }

    @Test func leadsCertifyMastersWhoCertifyParticipantsOnceEach() async throws {
        try await withApp { app, world in
            let clock = TestClock()
            clock.install(on: app)
            let today = IndiaDay.of(clock.now)
            let jaipur = Geography.reference.district(named: "Jaipur", inState: 8)!.code
            let id = try await cascade(app, world)
            // Only a certified master trainer opens a one-day batch; only a lead trainer a master batch.
            let early = try await batch(app, id, by: "learner.mha", tier: "participant", day: today)
            #expect(early.status == .unprocessableEntity && early.fields == ["trainerId"], "\(early.body)")
            let leads = try await app.send(.POST, "/api/v1/cascades/\(id)/leads", token: try await app.token("cbp.mha"), json: ["userIds": [world.users["mdo.mha"]!.uuidString]])
            #expect(leads.status == .created, "\(leads.body)")
            #expect(try leads.decoded(CascadeAttendanceDTO.self).certified == 1)
            #expect(try await app.send(.POST, "/api/v1/cascades/\(id)/leads", token: try await app.token("mdo.mha"),
                                       json: ["userIds": [world.users["learner.mha"]!.uuidString]]).status == .forbidden, "a lead does not make leads")
            #expect(try await batch(app, id, by: "mdo.mha", tier: "participant", day: today).fields == ["trainerId"], "a lead is not a master trainer")
            let tot = try await batch(app, id, by: "mdo.mha", tier: "master", day: today, end: today + 2)
            #expect(tot.status == .created, "\(tot.body)")
            let totID = try tot.decoded(CascadeBatchDTO.self).id.uuidString
            let masters = try await attend(app, totID, by: "mdo.mha", ["learner.mha", "publisher.mha"], world)
            #expect(try masters.decoded(CascadeAttendanceDTO.self).certified == 2, "\(masters.body)")

            // A one-day batch: one day, some seats.
            #expect(try await batch(app, id, by: "learner.mha", tier: "participant", day: today, end: today + 1).fields == ["endDate"])
            #expect(try await batch(app, id, by: "learner.mha", tier: "participant", day: today, seats: 0).fields == ["seats"])
            let one = try await batch(app, id, by: "learner.mha", tier: "participant", day: today, district: jaipur, seats: 3)
            #expect(one.status == .created, "\(one.body)")
            let oneDTO = try one.decoded(CascadeBatchDTO.self)
            #expect(oneDTO.modules.count == 4 && oneDTO.trainerName == "Learner.Mha")
            let oneID = oneDTO.id.uuidString
            // Bad attendance changes nothing: the trainer themself, more than the seats, someone not the trainer, an unknown person.
            #expect(try await attend(app, oneID, by: "learner.mha", ["learner.jaipur", "learner.mha"], world).fields == ["userIds[1]"])
            #expect(try await attend(app, oneID, by: "learner.mha", ["learner.jaipur", "health.in.rajasthan", "learner.health", "mdo.health"], world).fields == ["userIds"])
            #expect(try await attend(app, oneID, by: "learner.health", ["learner.jaipur"], world).status == .forbidden)
            let unknown = try await app.send(.POST, "/api/v1/cascade-batches/\(oneID)/attendance", token: try await app.token("learner.mha"),
                                             json: ["userIds": [UUID().uuidString]])
            #expect(unknown.fields == ["userIds[0]"])
            let recorded = try await attend(app, oneID, by: "learner.mha", ["learner.jaipur", "health.in.rajasthan", "learner.health"], world)
            let outcome = try recorded.decoded(CascadeAttendanceDTO.self)
            #expect(outcome.recorded == 3 && outcome.certified == 3 && outcome.attended == 3, "\(recorded.body)")
            // Trained twice, counted once: learner.jaipur attends publisher.mha's batch too.
            let two = try await batch(app, id, by: "publisher.mha", tier: "participant", day: today + 1, district: jaipur)
            let twoID = try two.decoded(CascadeBatchDTO.self).id.uuidString
            #expect(try await attend(app, twoID, by: "publisher.mha", ["learner.jaipur"], world).status == .conflict, "the batch has not begun")
            clock.move(by: 86_400)
            let again = try await app.send(.POST, "/api/v1/cascade-batches/\(twoID)/attendance", token: try await app.token("publisher.mha"),
                                           json: ["emails": ["learner.jaipur@test.example.org"]]).decoded(CascadeAttendanceDTO.self)
            #expect(again.recorded == 1 && again.certified == 0)

            let coordinator = try await app.token("cbp.mha")
            let nation = try await app.send(.GET, "/api/v1/cascades/\(id)/reach", token: coordinator).decoded(CascadeReachDTO.self)
            #expect(nation.totals == CascadeReach(leadTrainers: 1, masterTrainers: 2, batches: 2, participants: 3))
            #expect(nation.areas.first { $0.scope == "state:8" }?.reach.participants == 2)
            #expect(nation.areas.first { $0.scope == "org:\(world.mha.uuidString.lowercased())" }?.reach.masterTrainers == 2)
            #expect(nation.days.map(\.date) == [IndiaDay.string(today), IndiaDay.string(today + 1)] && nation.days.map(\.reach.batches) == [1, 1])
            #expect(nation.batchesPerTrainer.map(\.batches) == [1] && nation.batchesPerTrainer[0].trainers == 2)
            #expect(Set(nation.busiestTrainers.map(\.userId)) == Set([world.users["learner.mha"]!, world.users["publisher.mha"]!]))
            let district = try await app.send(.GET, "/api/v1/cascades/\(id)/reach?scope=district:\(jaipur)", token: coordinator).decoded(CascadeReachDTO.self)
            #expect(district.totals.participants == 1 && district.totals.batches == 2)
            // A State admin reads their State (first, when no scope is asked for), not the nation; a learner reads neither.
            let state = try await app.send(.GET, "/api/v1/cascades/\(id)/reach?scope=state:8", token: try await app.token("state.rajasthan"))
            #expect(try state.decoded(CascadeReachDTO.self).totals.participants == 2, "\(state.body)")
            #expect(try await app.send(.GET, "/api/v1/cascades/\(id)/reach?scope=nation", token: try await app.token("state.rajasthan")).status == .forbidden)
            #expect(try await app.send(.GET, "/api/v1/cascades/\(id)/reach", token: try await app.token("state.rajasthan")).decoded(CascadeReachDTO.self).scope == "state:8",
                    "without a scope, their own")
            #expect(try await app.send(.GET, "/api/v1/cascades/\(id)/reach?scope=state:8", token: try await app.token("learner.jaipur")).status == .forbidden)
            #expect(try await app.send(.GET, "/api/v1/cascades/\(id)/reach?scope=planet", token: coordinator).fields == ["scope"])

            // The tree: the participant sees who certified them, up to the coordinator; a stranger sees nothing.
            let chain = try await app.send(.GET, "/api/v1/cascades/\(id)/people/\(world.users["learner.jaipur"]!)", token: try await app.token("learner.jaipur"))
                .decoded(Page<CascadeCertificationDTO>.self).items
            #expect(chain.map(\.tier) == [.participant, .master, .lead], "\(chain)")
            #expect(chain.map(\.userId) == [world.users["learner.jaipur"]!, world.users["learner.mha"]!, world.users["mdo.mha"]!])
            #expect(chain[0].batchId?.uuidString == oneID && chain[2].certifiedBy == world.users["cbp.mha"]! && chain[1].certifiedOthers == 3)
            #expect(try await app.send(.GET, "/api/v1/cascades/\(id)/people/\(world.users["learner.jaipur"]!)", token: try await app.token("learner.health")).status == .notFound)
            // Attendance closes seven days after the batch.
            clock.move(by: 8 * 86_400)
            #expect(try await attend(app, oneID, by: "learner.mha", ["mdo.health"], world).status == .conflict)
            let batches = try await app.send(.GET, "/api/v1/cascades/\(id)/batches?trainer=me", token: try await app.token("learner.mha")).decoded(Page<CascadeBatchDTO>.self)
            #expect(batches.items.map(\.attended) == [3])
        }
    }
}

@Suite struct CascadeGeneratorTests {
    @Test func aGeneratedCascadeHasThePublishedShapeInItsReach() async throws {
        try await withApp { app, world in
            let shape = CascadeShape(leads: 1, masters: 2, batches: 3, participants: 7)
            let totals = try await CascadeGenerator.run(shape, on: app.db) { _, _, _ in }
            #expect(totals.certified == 10 && totals.batches == 4)
            let coordinator = try await app.token("national")
            let reach = try await app.send(.GET, "/api/v1/cascades/\(totals.cascade)/reach", token: coordinator).decoded(CascadeReachDTO.self)
            #expect(reach.totals == CascadeReach(leadTrainers: 1, masterTrainers: 2, batches: 3, participants: 7))
            #expect(reach.batchesPerTrainer.map(\.trainers).reduce(0, +) == 2 && reach.days.map(\.reach.batches).reduce(0, +) == 3)
            // The States' and districts' counters add up to the nation's for those placed in one.
            #expect(reach.areas.filter { $0.kind == "state" }.map(\.reach.participants).reduce(0, +) <= 7)
            // Every participant's chain reaches the coordinator through a master and a lead.
            let batches = try await app.send(.GET, "/api/v1/cascades/\(totals.cascade)/batches", token: coordinator).decoded(Page<CascadeBatchDTO>.self)
            #expect(batches.items.filter { $0.tier == .participant }.map(\.attended).reduce(0, +) == 7)
            let someone = try await (app.db as! any SQLDatabase).select().column("user_id").from(Cascades.certifications)
                .where("tier", .equal, SQLBind("participant")).first(decoding: Row.self)!.user_id
            let chain = try await app.send(.GET, "/api/v1/cascades/\(totals.cascade)/people/\(someone)", token: coordinator).decoded(Page<CascadeCertificationDTO>.self)
            #expect(chain.items.map(\.tier) == [.participant, .master, .lead] && chain.items[1].batchId != nil, "\(chain)")
            // Too few people for the shape asked: a clear refusal, nothing added.
            await #expect(throws: Problem.self) { try await CascadeGenerator.run(.published, on: app.db) { _, _, _ in } }
            let cascades = try await app.send(.GET, "/api/v1/cascades", token: coordinator).decoded(Page<CascadeDTO>.self)
            #expect(cascades.items.count == 1)

            // The reach on the portal: the nation's figures and areas, a State below it; a learner sees no dashboard.
            var national = Browser(app)
            try await national.signIn("national")
            #expect(try await national.get("/cascades").body.contains("2 master trainers, 3 batches, 7 people certified"))
            let page = try await national.get("/cascades/\(totals.cascade)")
            #expect(page.status == .ok && page.body.contains("<svg") && page.body.contains(">7<"), "\(page.body.prefix(300))")
            let state = try #require(reach.areas.first { $0.kind == "state" && $0.reach.participants > 0 })
            let below = try await national.get("/cascades/\(totals.cascade)?scope=\(state.scope)")
            #expect(below.status == .ok && below.body.contains(state.name))
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            #expect(try await learner.get("/cascades/\(totals.cascade)?scope=nation").status == .forbidden)
            #expect(try await learner.get("/cascades/\(totals.cascade)").body.contains("shown to its coordinators"), "no figures, and no error either")
            let hindi = try await national.get("/cascades/\(totals.cascade)?lang=hi")
            #expect(HindiEverywhereTests.englishIn(hindi.body, allowed: try await HindiEverywhereTests.dataWords(app).union(["rashtriya", "karmayogi", "jan", "seva", "generated"])).isEmpty)
            _ = world
        }
    }

    private struct Row: Decodable { var user_id: UUID }
}

@Suite struct CascadeRuleTests {
    @Test func onlyTheTierAboveOpensABatch() {
        #expect(CascadeTier.mayOpen(batchFor: .participant, trainerTiers: [.master]) == nil)
        #expect(CascadeTier.mayOpen(batchFor: .participant, trainerTiers: [.lead, .participant])?.field == "trainerId")
        #expect(CascadeTier.mayOpen(batchFor: .master, trainerTiers: [.lead]) == nil)
        #expect(CascadeTier.mayOpen(batchFor: .lead, trainerTiers: [.lead, .master])?.field == "tier")
    }

    @Test func thePublishedShapeScalesWithEveryBatchCertifyingSome() {
        let full = CascadeShape.scaled(1)!
        #expect(full == .published)
        #expect((0..<full.batches).map { full.participants(inBatch: $0) }.reduce(0, +) == 768_000)
        let small = CascadeShape.scaled(0.001)!
        #expect(small.leads == 1 && small.masters == 16 && small.batches == 25 && small.participants == 768)
        #expect((0..<small.batches).allSatisfy { small.participants(inBatch: $0) > 0 })
        #expect(CascadeShape.scaled(0) == nil && CascadeShape.scaled(1.5) == nil)
    }

    @Test func loadsAbove10AreCountedTogether() {
        let buckets = TrainerLoad.histogram([(0, 5), (1, 3), (12, 2), (10, 1)])
        #expect(buckets.map(\.batches) == [0, 1, 10] && buckets.map(\.trainers) == [5, 3, 3] && buckets.last!.orMore)
    }
}
