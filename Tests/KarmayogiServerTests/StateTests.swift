import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

@Suite struct StateTests {
    @Test func theMoURegisterKeepsWhatTheCommissionSignedAndTheScorecardCountsIt() async throws {
        try await withApp { app, world in
            let national = try await app.token("national"), state = try await app.token("state.rajasthan"), learner = try await app.token("learner.mha")
            let signed: [String: Any] = ["kind": "tripartite", "status": "signed", "signedOn": "2024-03-05", "validUntil": "2029-03-04",
                                         "documents": [["title": "Signed MoU", "url": "https://rajasthan.example.gov.in/mou.pdf"]]]
            // A State that does not exist, and one out of reach, answer alike.
            let missing = try await app.send(.POST, "/api/v1/states/99/mous", token: national, json: signed)
            #expect(missing.status == .notFound && missing.isProblem)
            #expect(try await app.send(.GET, "/api/v1/states/23/mous", token: state).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/states/8/mous", token: learner).status == .notFound)
            // Only national admins record MoUs; bad fields are named.
            #expect(try await app.send(.POST, "/api/v1/states/8/mous", token: state, json: signed).status == .forbidden)
            var bad = signed
            bad["signedOn"] = nil
            bad["validUntil"] = "2020-01-01"
            bad["documents"] = [["title": "", "url": "ftp://x"]]
            #expect(try await app.send(.POST, "/api/v1/states/8/mous", token: national, json: bad).fields
                == ["signedOn", "documents[0].title", "documents[0].url"])
            bad = signed
            bad["kind"] = "bilateral"
            #expect(try await app.send(.POST, "/api/v1/states/8/mous", token: national, json: bad).status == .unprocessableEntity)
            #expect(try await app.send(.GET, "/api/v1/states/8/mous", token: state).decoded(Page<MoUDTO>.self).items.isEmpty)

            let made = try await app.send(.POST, "/api/v1/states/8/mous", token: national, json: signed)
            let mou = try made.decoded(MoUDTO.self)
            #expect(made.status == .created && mou.documents.count == 1)
            #expect(try await app.send(.GET, "/api/v1/states/8/mous", token: state).decoded(Page<MoUDTO>.self).items.map(\.id) == [mou.id])
            let stateCard = try await app.send(.GET, "/api/v1/insights/scorecard?scope=state:8", token: state).decoded(ScorecardDTO.self)
            #expect(stateCard.items.first { $0.key == "state_mou" }?.value == 1)
            let nation = try await app.send(.GET, "/api/v1/insights/scorecard?scope=nation", token: national).decoded(ScorecardDTO.self)
            #expect(nation.items.first { $0.key == "mous_in_force" }?.value == 1)

            // Its term ends: it expires, and the count drops.
            #expect(try await app.send(.PATCH, "/api/v1/states/8/mous/\(mou.id)", token: national, json: ["status": "expired"]).fields == ["validUntil"])
            let expired = try await app.send(.PATCH, "/api/v1/states/8/mous/\(mou.id)", token: national, json: ["status": "expired", "validUntil": "2025-03-04"])
            #expect(try expired.decoded(MoUDTO.self).status == .expired)
            #expect(try await app.send(.PATCH, "/api/v1/states/10/mous/\(mou.id)", token: national, json: ["status": "signed"]).status == .notFound)
            let after = try await app.send(.GET, "/api/v1/insights/scorecard?scope=state:8", token: state).decoded(ScorecardDTO.self)
            #expect(after.items.first { $0.key == "state_mou" }?.value == 0)
            let overview = try await app.send(.GET, "/api/v1/states/overview", token: national).decoded(StatesOverviewDTO.self)
            #expect(overview.statesSigned == 1 && overview.statesWithMoUInForce == 0 && overview.signedOverTime.first?.month == "2024-03")
            #expect(try await app.send(.GET, "/api/v1/states/overview", token: state).decoded(StatesOverviewDTO.self).states.map(\.stateCode) == [8])
        }
    }

    @Test func aStatesPlanSetsTargetsPerDepartmentAndDistrictAndShowsWhatThePlatformCounts() async throws {
        try await withApp { app, world in
            _ = try await RollupCheck.run(repair: true, on: app.db)
            let national = try await app.token("national"), state = try await app.token("state.rajasthan"), mdo = try await app.token("mdo.mha")
            let year = KPIPeriod.financialYear(of: IndiaDay.of(Date()))
            let jaipur = Geography.reference.district(named: "Jaipur", inState: 8)!.code
            let bhopal = Geography.reference.district(named: "Bhopal", inState: 23)!.code
            let good: [String: Any] = ["year": year, "targets": [["organisationId": world.rajasthan.uuidString, "onboarded": 80, "completions": 200],
                                                                     ["districtCode": jaipur, "hours": 5_000]]]
            // Another State's district, an organisation not of the State, a line naming both or nothing: each named.
            let bad: [String: Any] = ["year": "2026-28", "targets": [["districtCode": bhopal, "onboarded": 5], ["organisationId": world.mha.uuidString, "onboarded": 5],
                                                                    ["organisationId": world.rajasthan.uuidString, "districtCode": jaipur, "onboarded": 1],
                                                                    ["districtCode": jaipur, "onboarded": -1]]]
            #expect(try await app.send(.PUT, "/api/v1/states/8/plan", token: state, json: bad).fields
                == ["year", "targets[0].districtCode", "targets[2]", "targets[3].onboarded", "targets[1].organisationId"])
            #expect(try await app.send(.PUT, "/api/v1/states/8/plan", token: mdo, json: good).status == .notFound)
            #expect(try await app.send(.PUT, "/api/v1/states/23/plan", token: state, json: good).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/states/8/plan?year=\(year)", token: state).decoded(StatePlanDTO.self).targets.isEmpty)

            let saved = try await app.send(.PUT, "/api/v1/states/8/plan", token: state, json: good).decoded(StatePlanDTO.self)
            #expect(saved.targets.map(\.name) == ["Department of Personnel, Rajasthan", "Jaipur"])
            // The department's people registered are counted against its target.
            #expect(saved.targets[0].onboarded == 1 && saved.targets[0].target.onboarded == 80)
            // A course completed by someone working in Jaipur counts for the district.
            let (course, items) = try await publishedCourse(app, world)
            try await complete(app, course, items, as: "learner.jaipur")
            let read = try await app.send(.GET, "/api/v1/states/8/plan?year=\(year)", token: national).decoded(StatePlanDTO.self)
            #expect(read.targets.count == 2 && read.targets[1].target.hours == 5_000 && read.targets[1].completions == 1)
            #expect(try await app.send(.GET, "/api/v1/states/8/plan?year=26-27", token: national).fields == ["year"])
        }
    }

    @Test func atisAreListedPerStateAndCountAsOnboardedWhenTheirInstituteIsOnThePlatform() async throws {
        try await withApp { app, world in
            let institutes = try await CaseWorld.build(on: app)
            let national = try await app.token("national"), state = try await app.token("state.rajasthan")
            #expect(try await app.send(.POST, "/api/v1/atis", token: state, json: ["stateCode": 8, "name": "RIPA", "organisationId": institutes.lbsnaa.uuidString]).fields
                == ["organisationId"])
            #expect(try await app.send(.POST, "/api/v1/atis", token: state, json: ["stateCode": 10, "name": "BIPARD"]).status == .notFound)
            #expect(try await app.send(.POST, "/api/v1/atis", token: national, json: ["stateCode": 99, "name": "Nowhere"]).fields == ["stateCode"])
            let listed = try await app.send(.POST, "/api/v1/atis", token: state, json: ["stateCode": 8, "name": "HCM RIPA"]).decoded(ATIDTO.self)
            #expect(listed.status == .notOnPlatform)
            _ = try await app.send(.POST, "/api/v1/atis", token: national, json: ["stateCode": 10, "name": "BIPARD"])
            var card = try await app.send(.GET, "/api/v1/insights/scorecard?scope=state:8", token: state).decoded(ScorecardDTO.self)
            #expect(card.items.first { $0.key == "atis_on_platform" }?.value == 0)

            let linked = try await app.send(.PATCH, "/api/v1/atis/\(listed.id)", token: state, json: ["organisationId": institutes.ripa.uuidString]).decoded(ATIDTO.self)
            #expect(linked.status == .onboarded && linked.onboardedAt != nil)
            card = try await app.send(.GET, "/api/v1/insights/scorecard?scope=state:8", token: state).decoded(ScorecardDTO.self)
            #expect(card.items.first { $0.key == "atis_on_platform" }?.value == 100)
            #expect(try await app.send(.GET, "/api/v1/atis", token: state).decoded(Page<ATIDTO>.self).items.map(\.name) == ["HCM RIPA"])
            #expect(try await app.send(.GET, "/api/v1/atis", token: national).decoded(Page<ATIDTO>.self).items.count == 2)
            let nation = try await app.send(.GET, "/api/v1/insights/scorecard?scope=nation", token: national).decoded(ScorecardDTO.self)
            #expect(nation.items.first { $0.key == "atis_on_platform" }?.value == 50)
        }
    }

    @Test func theStatePagesShowMoUsThePlanAndATIsAndTakeChangesFromTheirForms() async throws {
        try await withApp { app, world in
            _ = try await RollupCheck.run(repair: true, on: app.db)
            var national = Browser(app)
            try await national.signIn("national")
            _ = try await national.get("/states/8")
            let refused = try await national.post("/states/8/mous", form: ["kind": "tripartite", "status": "signed", "signedOn": "", "documentUrl": "nonsense"])
            #expect(refused.status == .unprocessableEntity && refused.body.contains("is required for an MoU that was signed"))
            let added = try await national.post("/states/8/mous", form: ["kind": "tripartite", "status": "signed", "signedOn": "2024-03-05", "documentTitle": "Signed MoU",
                                                                         "documentUrl": "https://rajasthan.example.gov.in/mou.pdf"])
            #expect(added.status == .ok && added.body.contains("The MoU is recorded.") && added.body.contains("https://rajasthan.example.gov.in/mou.pdf"))

            var state = Browser(app)
            try await state.signIn("state.rajasthan")
            let page = try await state.get("/states/8")
            #expect(page.body.contains("Department of Personnel, Rajasthan") && !page.body.contains("/states/8/mous\""))
            let key = "targets[o-\(world.rajasthan.uuidString.lowercased())]"
            let year = KPIPeriod.financialYear(of: IndiaDay.of(Date()))
            let saved = try await state.post("/states/8/plan", form: ["year": year, "\(key)[onboarded]": "50", "\(key)[completions]": ""])
            #expect(saved.status == .ok && saved.body.contains("The plan is saved.") && saved.body.contains("1 / 50"), "\(saved.body)")
            #expect(try await state.post("/states/8/atis", form: ["name": "HCM RIPA", "organisationId": ""]).body.contains("Not yet on the platform"))
            let dashboard = try await state.get("/states")
            #expect(dashboard.body.contains("Rajasthan") && !dashboard.body.contains("Bihar") && dashboard.body.contains("<svg"))
            #expect(try await state.get("/states/10").status == .notFound)
            #expect(try await state.get("/states?lang=hi").body.contains("राज्य, समझौता ज्ञापन और एटीआई"))
        }
    }

    @Test func rulesOfMoUsPlansAndTheTimeline() {
        let today = IndiaDay.days(year: 2026, month: 12, day: 6)
        #expect(MoUDraft(kind: .tripartite, status: .proposed, signedOn: "2026-01-01", validUntil: nil, documents: []).problems(today: today).map(\.field) == ["signedOn"])
        #expect(MoUDraft(kind: .tripartite, status: .signed, signedOn: "2027-01-01", validUntil: nil, documents: []).problems(today: today).map(\.field) == ["signedOn"])
        #expect(MoUDraft(kind: .tripartite, status: .signed, signedOn: "2026-02-30", validUntil: nil, documents: []).problems(today: today).map(\.field) == ["signedOn"])
        #expect(MoUDraft(kind: nil, status: .signed, signedOn: "2026-01-01", validUntil: "2025-01-01", documents: []).problems(today: today).map(\.field) == ["kind", "validUntil"])
        #expect(MoUDraft(kind: .commission, status: .signed, signedOn: "2026-01-01", validUntil: "2031-01-01", documents: []).problems(today: today).isEmpty)
        let signings = [8: IndiaDay.days(year: 2026, month: 10, day: 31), 10: IndiaDay.days(year: 2026, month: 12, day: 1)]
        #expect(MoUTimeline.cumulative(firstSignings: signings, today: today).map(\.states) == [1, 1, 2])
        #expect(MoUTimeline.cumulative(firstSignings: [:], today: today).isEmpty)
        #expect(ATIStatus.of(onPlatform: true, coursesPublished: 0) == .onboarded && ATIStatus.of(onPlatform: false, coursesPublished: 3) == .notOnPlatform)
        let geography = Geography.reference
        let twice = [StatePlanTarget(districtCode: 1, onboarded: 1)]
        #expect(StatePlanRules.problems(year: "2026-27", targets: twice, today: today, geography: geography, stateCode: 8).map(\.field) == ["targets[0].districtCode"])
        let jaipur = geography.district(named: "Jaipur", inState: 8)!.code
        let repeated = [StatePlanTarget(districtCode: jaipur, onboarded: 1), StatePlanTarget(districtCode: jaipur, hours: 1)]
        #expect(StatePlanRules.problems(year: "2028-29", targets: repeated, today: today, geography: geography, stateCode: 8).map(\.field) == ["year", "targets[1]"])
    }
}
