import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

/// Two gram panchayats, one in Rajasthan (Jaipur) and one in Madhya Pradesh (Sehore), each with a sarpanch and a
/// secretary; and a clerk whose designation is no panchayat role.
struct PanchayatWorld {
    var rajasthan: UUID
    var madhyaPradesh: UUID

    static func build(on app: Application) async throws -> PanchayatWorld {
        let geography = Geography.reference
        let hash = try await app.password.async.hash(TestWorld.password)
        var ids: [UUID] = []
        for (code, state, district) in [("RJ-GP-ONE", 8, "Jaipur"), ("MP-GP-ONE", 23, "Sehore")] {
            let panchayat = Organisation(name: "Gram Panchayat \(code)", code: code, type: .panchayat, parent: nil, stateCode: state,
                                         districtCode: geography.district(named: district, inState: state)!.code, sanctionedStrength: 10)
            try await panchayat.create(on: app.db)
            ids.append(panchayat.id!)
            for (key, designation) in [("sarpanch", "Sarpanch"), ("secretary", "Panchayat Secretary"), ("clerk", "Clerk")] {
                _ = try await Users.insertActive(name: key.capitalized, email: "\(key).\(code.lowercased())@test.example.org", designation: designation,
                                                 organisation: panchayat, districtCode: nil, language: "en", passwordHash: hash, on: app.db)
            }
        }
        return PanchayatWorld(rajasthan: ids[0], madhyaPradesh: ids[1])
    }
}

@Suite struct SurveyTests {
    static func all(_ role: PanchayatRole, level: Int) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: PanchayatFramework.viksitPanchayat.competencies(of: role).map { ($0.key, level) })
    }

    @Test func aPilotsPeopleAnswerEachRoundOnceAndTheDeltaIsReportedByPanchayatDistrictAndState() async throws {
        try await withApp { app, world in
            let panchayats = try await PanchayatWorld.build(on: app)
            var national = try await app.token("national"), state = try await app.token("state.rajasthan")
            let today = IndiaDay.of(Date())

            // A pilot names gram panchayats only.
            #expect(try await app.send(.POST, "/api/v1/panchayat-pilots", token: national,
                                       json: ["name": "Pilot", "panchayatIds": [panchayats.rajasthan.uuidString, world.mha.uuidString]]).fields == ["panchayatIds[1]"])
            #expect(try await app.send(.POST, "/api/v1/panchayat-pilots", token: state,
                                       json: ["name": "Pilot", "panchayatIds": [panchayats.rajasthan.uuidString]]).status == .forbidden)
            let pilot = try await app.send(.POST, "/api/v1/panchayat-pilots", token: national, json: ["name": "Viksit Panchayat pilot",
                "panchayatIds": [panchayats.rajasthan.uuidString, panchayats.madhyaPradesh.uuidString]]).decoded(PilotDTO.self)
            #expect(try await app.send(.GET, "/api/v1/panchayat-pilots", token: state).decoded(Page<PilotDTO>.self).items.first?.panchayats.map(\.organisationId)
                == [panchayats.rajasthan], "a State admin sees the pilot's panchayats of their State")

            // An endline before a baseline, and dates the wrong way round, are refused.
            var body: [String: Any] = ["pilotId": pilot.id.uuidString, "round": "endline", "title": "Endline", "opensOn": IndiaDay.string(today),
                                       "closesOn": IndiaDay.string(today - 1)]
            #expect(try await app.send(.POST, "/api/v1/surveys", token: national, json: body).fields == ["closesOn", "closesOn", "round"])
            body["round"] = "baseline"
            body["title"] = "Baseline"
            body["closesOn"] = IndiaDay.string(today + 10)
            let baseline = try await app.send(.POST, "/api/v1/surveys", token: national, json: body).decoded(SurveyDTO.self)
            #expect(try await app.send(.POST, "/api/v1/surveys", token: national, json: body).fields == ["round"])

            // The sarpanch sees their role's questions; a clerk and someone outside the pilot are not asked.
            var sarpanch = try await app.token("sarpanch.rj-gp-one"), secretary = try await app.token("secretary.rj-gp-one")
            var mpSarpanch = try await app.token("sarpanch.mp-gp-one")
            let clerk = try await app.token("clerk.rj-gp-one")
            let asked = try await app.send(.GET, "/api/v1/surveys", token: sarpanch).decoded(Page<SurveyDTO>.self).items
            #expect(asked.count == 1 && asked[0].role == .sarpanch && asked[0].questions?.count == 7 && asked[0].answered == false && asked[0].responses == nil)
            #expect(try await app.send(.GET, "/api/v1/surveys", token: clerk).decoded(Page<SurveyDTO>.self).items.isEmpty)
            let answers = "/api/v1/surveys/\(baseline.id)/responses"
            #expect(try await app.send(.POST, answers, token: clerk, json: ["answers": Self.all(.sarpanch, level: 2)]).status == .notFound)
            #expect(try await app.send(.POST, answers, token: try await app.token("learner.mha"), json: ["answers": Self.all(.sarpanch, level: 2)]).status == .notFound)
            var wrong = Self.all(.sarpanch, level: 2)
            wrong["gpdp"] = 6
            wrong["records"] = 2
            #expect(try await app.send(.POST, answers, token: sarpanch, json: ["answers": wrong]).fields == ["answers.gpdp", "answers.records"])
            #expect(try await app.send(.POST, answers, token: sarpanch, json: ["answers": Self.all(.sarpanch, level: 2)]).status == .noContent)
            let twice = try await app.send(.POST, answers, token: sarpanch, json: ["answers": Self.all(.sarpanch, level: 4)])
            #expect(twice.status == .conflict && twice.isProblem, "a round is answered once")
            #expect(try await app.send(.POST, answers, token: secretary, json: ["answers": Self.all(.secretary, level: 1)]).status == .noContent)
            #expect(try await app.send(.POST, answers, token: mpSarpanch, json: ["answers": Self.all(.sarpanch, level: 3)]).status == .noContent)

            // The endline opens after the baseline closes; here the baseline is closed by moving the clock on.
            body["round"] = "endline"
            body["title"] = "Endline"
            #expect(try await app.send(.POST, "/api/v1/surveys", token: national, json: body).fields == ["opensOn"])
            let later = IndiaDay.start(today + 20).addingTimeInterval(3600 * 10)
            app.clock = PlatformClock { later }
            // Tokens are read against the clock too: everyone signs in again.
            (national, state) = (try await app.token("national"), try await app.token("state.rajasthan"))
            (sarpanch, secretary) = (try await app.token("sarpanch.rj-gp-one"), try await app.token("secretary.rj-gp-one"))
            mpSarpanch = try await app.token("sarpanch.mp-gp-one")
            body["opensOn"] = IndiaDay.string(today + 15)
            body["closesOn"] = IndiaDay.string(today + 40)
            let endline = try await app.send(.POST, "/api/v1/surveys", token: national, json: body).decoded(SurveyDTO.self)
            let late = try await app.send(.POST, answers, token: secretary, json: ["answers": Self.all(.secretary, level: 1)])
            #expect(late.status == .conflict, "the baseline is closed")
            let after = "/api/v1/surveys/\(endline.id)/responses"
            #expect(try await app.send(.POST, after, token: sarpanch, json: ["answers": Self.all(.sarpanch, level: 4)]).status == .noContent)
            #expect(try await app.send(.POST, after, token: mpSarpanch, json: ["answers": Self.all(.sarpanch, level: 4)]).status == .noContent)

            // Only people who answered both count; the secretary has not answered the endline.
            let byState = try await app.send(.GET, "/api/v1/surveys/\(endline.id)/delta?by=state", token: national).decoded(SurveyDeltaDTO.self)
            #expect(byState.baselineResponses == 3 && byState.endlineResponses == 2)
            #expect(byState.groups.map(\.name) == ["Madhya Pradesh", "Rajasthan"] && byState.groups.map(\.overall.delta) == [1, 2])
            #expect(byState.groups[1].byCompetency["gpdp"]?.endline == 4)
            let mine = try await app.send(.GET, "/api/v1/surveys/\(baseline.id)/delta?by=district", token: state).decoded(SurveyDeltaDTO.self)
            #expect(mine.groups.map(\.name) == ["Jaipur"] && mine.baselineResponses == 2, "a State admin sees their State's panchayats only")
            #expect(try await app.send(.GET, "/api/v1/surveys/\(endline.id)/delta?by=village", token: national).fields == ["by"])
            #expect(try await app.send(.GET, "/api/v1/surveys/\(endline.id)/delta", token: sarpanch).status == .notFound)
        }
    }

    @Test func thePagesAskTheQuestionsOfTheRoleAndShowTheChange() async throws {
        try await withApp { app, world in
            let panchayats = try await PanchayatWorld.build(on: app)
            let national = try await app.token("national")
            let today = IndiaDay.of(Date())
            let pilot = try await app.send(.POST, "/api/v1/panchayat-pilots", token: national, json: ["name": "Viksit Panchayat pilot",
                "panchayatIds": [panchayats.rajasthan.uuidString]]).decoded(PilotDTO.self)
            let survey = try await app.send(.POST, "/api/v1/surveys", token: national, json: ["pilotId": pilot.id.uuidString, "round": "baseline", "title": "Baseline",
                "opensOn": IndiaDay.string(today), "closesOn": IndiaDay.string(today + 10)]).decoded(SurveyDTO.self)
            var sarpanch = Browser(app)
            try await sarpanch.signIn("sarpanch.rj-gp-one")
            #expect(try await sarpanch.get("/").body.contains("/surveys/\(survey.id.uuidString.lowercased())"), "the home page says a round is waiting")
            let form = try await sarpanch.get("/surveys/\(survey.id.uuidString.lowercased())")
            #expect(form.body.contains("Preparing the Gram Panchayat Development Plan") && form.body.contains("name=\"answers[leadership]\""))
            #expect(!form.body.contains("answers[records]"), "a sarpanch is not asked a secretary's questions")
            var fields = Dictionary(uniqueKeysWithValues: Self.all(.sarpanch, level: 3).map { ("answers[\($0.key)]", String($0.value)) })
            fields["answers[gpdp]"] = nil
            let missing = try await sarpanch.post("/surveys/\(survey.id.uuidString.lowercased())", form: fields)
            #expect(missing.status == .unprocessableEntity && missing.body.contains("is required: a level from 1 to 5"))
            fields["answers[gpdp]"] = "2"
            let sent = try await sarpanch.post("/surveys/\(survey.id.uuidString.lowercased())", form: fields)
            #expect(sent.status == .ok && sent.body.contains("Your answers are in."))
            #expect(try await sarpanch.get("/surveys?lang=hi").body.contains("आपके स्व-मूल्यांकन"))

            var admin = Browser(app)
            try await admin.signIn("state.rajasthan")
            let report = try await admin.get("/surveys/\(survey.id.uuidString.lowercased())?by=panchayat")
            #expect(report.body.contains("Change from baseline to endline") && report.body.contains("Baseline answers: 1"))
            #expect(try await admin.get("/surveys").body.contains("1 gram panchayat"))
        }
    }

    @Test func aNationalAdminSetsUpAPilotAndOpensItsRoundsOnThePage() async throws {
        try await withApp { app, world in
            _ = try await PanchayatWorld.build(on: app)
            var admin = Browser(app)
            try await admin.signIn("national")
            _ = try await admin.get("/surveys")
            let unknown = try await admin.post("/surveys/pilots", form: ["name": "Pilot", "codes": "RJ-GP-ONE\nNOPE"])
            #expect(unknown.status == .unprocessableEntity && unknown.body.contains("line 2: no organisation has the code NOPE"))
            let wrongKind = try await admin.post("/surveys/pilots", form: ["name": "Pilot", "codes": "RJ-GP-ONE, MHA"])
            #expect(wrongKind.status == .unprocessableEntity && wrongKind.body.contains("no gram panchayat has this id"))
            let made = try await admin.post("/surveys/pilots", form: ["name": "Viksit Panchayat pilot", "codes": "RJ-GP-ONE\nMP-GP-ONE\n"])
            #expect(made.status == .ok && made.body.contains("The pilot is set up.") && made.body.contains("2 gram panchayats") && made.body.contains("Open the Baseline"))
            let pilot = try #require(try await app.send(.GET, "/api/v1/panchayat-pilots", token: try await app.token("national")).decoded(Page<PilotDTO>.self).items.first)
            let today = IndiaDay.of(Date())
            let round = ["pilotId": pilot.id.uuidString.lowercased(), "round": "baseline", "title": "Baseline", "opensOn": IndiaDay.string(today), "closesOn": IndiaDay.string(today - 1)]
            #expect(try await admin.post("/surveys/rounds", form: round).status == .unprocessableEntity)
            var good = round
            good["closesOn"] = IndiaDay.string(today + 7)
            let opened = try await admin.post("/surveys/rounds", form: good)
            #expect(opened.body.contains("The round is opened.") && opened.body.contains("Open the Endline"))
            var state = Browser(app)
            try await state.signIn("state.rajasthan")
            #expect(!(try await state.get("/surveys").body.contains("/surveys/pilots")), "only national admins set up pilots")
        }
    }

    @Test func rolesComeFromDesignationsAndTheDeltaPairsPeople() {
        #expect(PanchayatRole.of(designation: "Sarpanch") == .sarpanch && PanchayatRole.of(designation: "Up-Sarpanch") == .upSarpanch)
        #expect(PanchayatRole.of(designation: "  Gram Sevak ") == .secretary && PanchayatRole.of(designation: "मुखिया") == .sarpanch)
        #expect(PanchayatRole.of(designation: "Deputy Secretary (Finance)") == nil && PanchayatRole.of(designation: nil) == nil)
        let framework = PanchayatFramework.viksitPanchayat
        #expect(PanchayatRole.allCases.allSatisfy { !framework.competencies(of: $0).isEmpty })
        #expect(SelfAssessment.problems(["works": 3, "schemes": 0], role: .technicalAssistant, framework: framework).map(\.field) == ["answers.schemes", "answers.egramswaraj"])
        let (a, b, c) = (UUID(), UUID(), UUID())
        let groups = SurveyDelta.compute(baseline: [a: ["x": 1, "y": 3], b: ["x": 2], c: ["x": 5]], endline: [a: ["x": 3, "y": 3], b: ["x": 4]],
                                         group: { $0 == c ? "elsewhere" : "one" })
        #expect(groups.count == 1 && groups[0].people == 2 && groups[0].overall == .init(baseline: 2, endline: 3.33) && groups[0].byCompetency["x"]?.delta == 2)
    }
}
