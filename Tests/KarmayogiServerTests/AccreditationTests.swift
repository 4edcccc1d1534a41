import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

/// Scores for every metric of the starting framework (100 points in all), each at `share` of its maximum.
func accreditationScores(_ share: Double) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: AccreditationFramework.starting.metrics.map { ($0.key, Int((Double($0.maxScore) * share).rounded())) })
}

@Suite struct AccreditationTests {
    @Test func anInstituteAppliesIndependentAssessorsScoreAndTheNationDecides() async throws {
        try await withApp { app, _ in
            let institutes = try await CaseWorld.build(on: app)
            let admin = try await app.token("admin.ripa"), national = try await app.token("national"), learner = try await app.token("learner.mha")
            let applied = try await app.send(.POST, "/api/v1/institutes/\(institutes.ripa)/accreditations", token: admin)
            #expect(applied.status == .created, "\(applied.body)")
            let draft = try applied.decoded(AccreditationDTO.self)
            let id = draft.id.uuidString
            #expect(draft.stage == .draft && draft.frameworkVersion == 1 && draft.profile.count == 4)
            #expect(Set(draft.evidence.filter { $0.kind == "figure" }.map(\.metricKey)) == ["digital", "development", "completion", "feedback"],
                    "what the platform knows is filled in")
            #expect(try await app.send(.POST, "/api/v1/institutes/\(institutes.ripa)/accreditations", token: admin).status == .conflict, "one under way at a time")
            #expect(try await app.send(.POST, "/api/v1/institutes/\(institutes.ripa)/accreditations", token: learner).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/accreditations/\(id)", token: learner).status == .notFound)

            // The self-assessment: a score above its maximum, or a submission before every metric is scored, changes nothing.
            #expect(try await app.send(.PATCH, "/api/v1/accreditations/\(id)", token: admin, json: ["selfScores": ["vision": 11]]).fields == ["selfScores.vision"])
            #expect(try await app.send(.PATCH, "/api/v1/accreditations/\(id)", token: admin, json: ["action": "submit"]).status == .unprocessableEntity)
            let filled = try await app.send(.PATCH, "/api/v1/accreditations/\(id)", token: admin, json: [
                "profile": ["1957", "24", "12,400", "1,850"], "selfScores": accreditationScores(0.8)]).decoded(AccreditationDTO.self)
            #expect(filled.stage == .draft && filled.selfScores["needs"] == 12 && filled.profile[0] == "1957")
            #expect(try await app.send(.POST, "/api/v1/accreditations/\(id)/evidence", token: admin, json: ["metricKey": "nothing", "link": "ftp://x"]).fields
                    == ["metricKey", "link"])
            #expect(try await app.send(.POST, "/api/v1/accreditations/\(id)/evidence", token: admin, json: [
                "metricKey": "vision", "link": "https://hcmripa.gov.in/annual-plan.pdf", "note": "Annual plan 2026"]).status == .created)
            // On the page: a PDF goes to the content store as evidence; a file that is not one, or nothing at all, is refused.
            var page = Browser(app)
            try await page.signIn("admin.ripa")
            _ = try await page.get("/accreditations/\(id)")
            let pdf = Array("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8)
            let filed = try await page.post("/accreditations/\(id)/evidence", multipart: ["metricKey": "vision", "note": "Faculty roster"], file: ("file", "roster.pdf", pdf))
            #expect(filed.status == .ok && filed.body.contains("Faculty roster") && filed.body.contains("href=\"/content/"), "\(filed.body.prefix(300))")
            let fake = try await page.post("/accreditations/\(id)/evidence", multipart: ["metricKey": "vision"], file: ("file", "roster.pdf", Array("MZ not a pdf".utf8)))
            #expect(fake.status == .unprocessableEntity)
            #expect(try await page.post("/accreditations/\(id)/evidence", multipart: ["metricKey": "vision", "link": ""], file: nil).status == .unprocessableEntity)
            #expect(try await app.send(.GET, "/api/v1/accreditations/\(id)", token: admin).decoded(AccreditationDTO.self).evidence.filter { $0.kind == "file" }.count == 1)
            let submitted = try await app.send(.PATCH, "/api/v1/accreditations/\(id)", token: admin, json: ["action": "submit"]).decoded(AccreditationDTO.self)
            #expect(submitted.stage == .submitted && submitted.submittedAt != nil)
            #expect(try await app.send(.PATCH, "/api/v1/accreditations/\(id)", token: admin, json: ["selfScores": ["vision": 2]]).status == .conflict)

            // Assessors: none from the institute's State or organisation; the decision waits for both assessments.
            #expect(try await app.send(.POST, "/api/v1/accreditations/\(id)/decide", token: national, json: [:]).status == .conflict)
            let sameState = try await app.send(.POST, "/api/v1/accreditations/\(id)/assessors", token: national, json: ["email": "learner.jaipur@test.example.org", "phase": "desktop"])
            #expect(sameState.fields == ["email"] && sameState.body.contains("own State"))
            let sameOrganisation = try await app.send(.POST, "/api/v1/accreditations/\(id)/assessors", token: national, json: ["email": "editor.one@test.example.org", "phase": "desktop"])
            #expect(sameOrganisation.fields == ["email"] && sameOrganisation.body.contains("own organisation"))
            #expect(try await app.send(.POST, "/api/v1/accreditations/\(id)/assessors", token: admin, json: ["email": "learner.health@test.example.org", "phase": "desktop"])
                .status == .forbidden)
            let desktop = try await app.send(.POST, "/api/v1/accreditations/\(id)/assessors", token: national, json: ["email": "learner.health@test.example.org", "phase": "desktop"])
            #expect(try desktop.decoded(AccreditationDTO.self).stage == .desktop)
            _ = try await app.send(.POST, "/api/v1/accreditations/\(id)/assessors", token: national, json: ["email": "cbp.mha@test.example.org", "phase": "onsite"])

            let assessor = try await app.token("learner.health"), visitor = try await app.token("cbp.mha")
            #expect(try await app.send(.POST, "/api/v1/accreditations/\(id)/scores", token: visitor, json: ["phase": "onsite", "scores": accreditationScores(0.5)])
                .status == .conflict, "the on-site assessment follows the desktop one")
            #expect(try await app.send(.POST, "/api/v1/accreditations/\(id)/scores", token: assessor, json: ["phase": "onsite", "scores": accreditationScores(0.5)])
                .status == .forbidden)
            var over = accreditationScores(0.5)
            over["campus"] = 12
            #expect(try await app.send(.POST, "/api/v1/accreditations/\(id)/scores", token: assessor, json: ["phase": "desktop", "scores": over]).fields == ["scores.campus"])
            #expect(try await app.send(.POST, "/api/v1/accreditations/\(id)/scores", token: assessor, json: ["phase": "desktop", "scores": accreditationScores(0.5)])
                .decoded(AccreditationDTO.self).stage == .onsite)
            #expect(try await app.send(.POST, "/api/v1/accreditations/\(id)/scores", token: visitor, json: ["phase": "onsite", "scores": accreditationScores(0.4)]).status == .created)

            // 40 %: one star, so a plan of actions with due dates is required; the moderator may settle other scores.
            let noPlan = try await app.send(.POST, "/api/v1/accreditations/\(id)/decide", token: national, json: [:])
            #expect(noPlan.fields == ["actions"] && noPlan.body.contains("1 stars"), "\(noPlan.body)")
            let due = IndiaDay.string(IndiaDay.of(Date()) + 180)
            let decided = try await app.send(.POST, "/api/v1/accreditations/\(id)/decide", token: national, json: [
                "note": "Faculty development lags.", "actions": [["action": "Train every core faculty member in case method", "dueDate": due]]]).decoded(AccreditationDTO.self)
            #expect(decided.stage == .decided && decided.stars == 1 && decided.percent == 40 && decided.improvementPlan.count == 1)
            #expect(decided.validUntil == IndiaDay.string(IndiaDay.days(year: IndiaDay.civil(IndiaDay.of(Date())).year + 3, month: IndiaDay.civil(IndiaDay.of(Date())).month,
                                                                        day: min(IndiaDay.civil(IndiaDay.of(Date())).day, 28))))
            // The institute marks the action done on its application's page.
            var browser = Browser(app)
            try await browser.signIn("admin.ripa")
            #expect(try await browser.get("/accreditations/\(id)").body.contains("Mark done"))
            let marked = try await browser.post("/accreditations/\(id)/done", form: ["position": "0"])
            #expect(marked.status == .ok && marked.body.contains("The action is marked done.") && !marked.body.contains("Mark done"))
            #expect(try await app.send(.PATCH, "/api/v1/accreditations/\(id)", token: admin, json: ["actionsDone": [3]]).fields == ["actionsDone"])
            #expect(try await app.send(.GET, "/api/v1/accreditations/\(id)", token: admin).decoded(AccreditationDTO.self).improvementPlan.first?.done == true)

            // The public register, signed in or not; a re-assessment follows the plan.
            let register = try await app.send(.GET, "/api/v1/accreditation/register").decoded(RegisterDTO.self)
            #expect(register.items.map(\.name) == ["HCM RIPA"] && register.items.first?.stars == 1 && register.byStars == [0, 1, 0, 0, 0, 0])
            #expect(register.byState.first?.stateCode == 8 && register.byState.first?.byStars[1] == 1)
            let again = try await app.send(.POST, "/api/v1/institutes/\(institutes.ripa)/accreditations", token: admin, json: ["previousId": id])
            #expect(try again.decoded(AccreditationDTO.self).previousId?.uuidString == id)
        }
    }

    @Test func onlyANationalAdminPublishesAFrameworkAndItsBandsMustClimb() async throws {
        try await withApp { app, _ in
            let national = try await app.token("national"), mdo = try await app.token("mdo.mha")
            var body: [String: Any] = [
                "pillars": [["key": "governance", "title": "Governance", "metrics": [["key": "plan", "title": "Annual plan", "maxScore": 10],
                                                                                     ["key": "plan", "title": "Again", "maxScore": 0]]]],
                "bands": [["stars": 0, "minimumPercent": 0], ["stars": 1, "minimumPercent": 50], ["stars": 2, "minimumPercent": 40],
                          ["stars": 3, "minimumPercent": 60], ["stars": 4, "minimumPercent": 75], ["stars": 5, "minimumPercent": 90]],
                "validityYears": 3]
            let bad = try await app.send(.POST, "/api/v1/accreditation/frameworks", token: national, json: body)
            #expect(bad.fields == ["pillars[0].metrics[1].key", "pillars[0].metrics[1].maxScore", "bands"], "\(bad.body)")
            body["pillars"] = [["key": "governance", "title": "Governance", "metrics": [["key": "plan", "title": "Annual plan", "maxScore": 10, "figure": "completions"]]]]
            body["bands"] = (0...5).map { ["stars": $0, "minimumPercent": Double($0) * 15] }
            #expect(try await app.send(.POST, "/api/v1/accreditation/frameworks", token: mdo, json: body).status == .forbidden)
            let made = try await app.send(.POST, "/api/v1/accreditation/frameworks", token: national, json: body)
            #expect(made.status == .created && made.json["version"] as? Int == 2, "\(made.body)")
            let versions = try await app.send(.GET, "/api/v1/accreditation/frameworks", token: mdo).decoded(Page<FrameworkDTO>.self)
            #expect(versions.items.map(\.version) == [2, 1] && versions.items[0].maximumTotal == 10)
        }
    }
}

/// The same road on the portal: the institute applies, scores itself and submits; the national admin assigns; the
/// assessors score; the decision with its plan; the register, open to anyone.
@Suite struct AccreditationPageTests {
    func scoreFields(_ share: Double) -> [(String, String)] {
        accreditationScores(share).sorted { $0.key < $1.key }.map { ("scores[\($0.key)]", String($0.value)) }
    }

    @Test func anInstituteAppliesOnItsPageAndTheRegisterShowsItsStars() async throws {
        try await withApp { app, _ in
            let institutes = try await CaseWorld.build(on: app)
            var admin = Browser(app)
            try await admin.signIn("admin.ripa")
            let list = try await admin.get("/accreditation")
            #expect(list.body.contains("Apply for accreditation") && list.body.contains("HCM RIPA"))
            let applied = try await admin.post("/accreditation/apply", form: ["instituteId": institutes.ripa.uuidString.lowercased()])
            let page = try #require(applied.headers.first(name: .location), "\(applied.body)")
            let draft = try await admin.get(page)
            #expect(draft.body.contains("Year of establishment") && draft.body.contains("name=\"scores[vision]\""))
            let profile = [("profile[]", "1957"), ("profile[]", "24"), ("profile[]", "12,400"), ("profile[]", "1,850")]
            var bad = profile + scoreFields(0.9)
            bad[bad.firstIndex { $0.0 == "scores[campus]" }!] = ("scores[campus]", "12")
            let refused = try await admin.post("\(page)/self", pairs: bad + [("submit", "1")])
            #expect(refused.status == .unprocessableEntity && refused.body.contains("selfScores.campus"), "\(refused.body)")
            let submitted = try await admin.post("\(page)/self", pairs: profile + scoreFields(0.9) + [("submit", "1")])
            #expect(submitted.status == .ok && submitted.body.contains("Submitted for assessment."), "\(submitted.body)")

            var national = Browser(app)
            try await national.signIn("national")
            #expect(try await national.get(page).body.contains("Assessors"))
            let conflict = try await national.post("\(page)/assessors", form: ["email": "learner.jaipur@test.example.org", "phase": "desktop"])
            #expect(conflict.status == .unprocessableEntity && conflict.body.contains("own State"))
            #expect(try await national.post("\(page)/assessors", form: ["email": "learner.health@test.example.org", "phase": "desktop"]).body.contains("The assessor is assigned."))
            #expect(try await national.post("\(page)/assessors", form: ["email": "cbp.mha@test.example.org", "phase": "onsite"]).status == .ok)
            var desk = Browser(app)
            try await desk.signIn("learner.health")
            #expect(try await desk.get(page).body.contains("Your desktop assessment"))
            #expect(try await desk.post("\(page)/scores", pairs: [("phase", "desktop")] + scoreFields(0.9)).body.contains("Your scores are sent."))
            var visit = Browser(app)
            try await visit.signIn("cbp.mha")
            #expect(try await visit.get(page).body.contains("Your on-site assessment"))
            #expect(try await visit.post("\(page)/scores", pairs: [("phase", "onsite")] + scoreFields(0.8)).status == .ok)
            let decided = try await national.post("\(page)/decide", form: ["note": "A strong institute."])
            #expect(decided.status == .ok && decided.body.contains("Decided: 4 stars."), "\(decided.body)")

            var visitor = Browser(app)
            let register = try await visitor.get("/accreditation")
            #expect(register.status == .ok && register.body.contains("HCM RIPA") && register.body.contains("★★★★☆"))
            #expect(try await visitor.get("/accreditation?lang=hi").body.contains("4 सितारे"))
            #expect(try await visitor.get(page).status != .ok, "an application is not public")
        }
    }
}

@Suite struct FrameworkPageTests {
    @Test func aNationalAdminPublishesTheNextFrameworkFromThePage() async throws {
        try await withApp { app, _ in
            var admin = Browser(app)
            try await admin.signIn("national")
            let page = try await admin.get("/accreditation/framework")
            #expect(page.body.contains("The NSCSTI framework, version 1") && page.body.contains("Publish version 2"))
            // The form as it is sent back: every metric of version 1, one score raised, one new metric in an empty row.
            var fields: [String: String] = ["questions": "Year founded\nCore faculty", "validityYears": "3"]
            for (stars, percent) in [1: "30", 2: "45", 3: "60", 4: "75", 5: "90"] { fields["bands[\(stars)]"] = percent }
            var index = 0
            for pillar in AccreditationFramework.starting.pillars {
                for metric in pillar.metrics {
                    fields["rows[\(index)][pillarKey]"] = pillar.key
                    fields["rows[\(index)][pillarTitle]"] = pillar.title
                    fields["rows[\(index)][key]"] = metric.key
                    fields["rows[\(index)][title]"] = metric.title
                    fields["rows[\(index)][maxScore]"] = String(metric.maxScore)
                    index += 1
                }
            }
            fields["rows[\(index)][pillarKey]"] = "digital_extra"
            fields["rows[\(index)][pillarTitle]"] = "Digital learning"
            fields["rows[\(index)][key]"] = "vision"
            fields["rows[\(index)][title]"] = "A second vision"
            fields["rows[\(index)][maxScore]"] = "5"
            let twice = try await admin.post("/accreditation/framework", form: fields)
            #expect(twice.status == .unprocessableEntity && twice.body.contains("vision is used by another metric"))
            fields["rows[\(index)][key]"] = "elearning"
            let published = try await admin.post("/accreditation/framework", form: fields)
            #expect(published.status == .ok && published.body.contains("Version 2 is published"), "\(published.body.prefix(500))")
            let frameworks = try await app.send(.GET, "/api/v1/accreditation/frameworks", token: try await app.token("national")).decoded(Page<FrameworkDTO>.self)
            #expect(frameworks.items.first?.version == 2 && frameworks.items.first?.framework.metrics.last?.key == "elearning"
                    && frameworks.items.first?.framework.profileQuestions == ["Year founded", "Core faculty"])
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            let read = try await learner.get("/accreditation/framework")
            #expect(read.body.contains("version 2") && !read.body.contains("/accreditation/framework\" class"), "a learner reads it, and has no form")
        }
    }
}
