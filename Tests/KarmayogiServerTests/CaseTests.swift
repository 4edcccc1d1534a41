import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

/// Two training institutes beside the test world: HCM RIPA in Rajasthan with two case editors and an MDO admin, LBSNAA
/// with a faculty member.
struct CaseWorld {
    var ripa: UUID
    var lbsnaa: UUID

    static func build(on app: Application) async throws -> CaseWorld {
        let ripa = Organisation(name: "HCM RIPA", code: "HCM-RIPA", type: .trainingInstitute, parent: nil, stateCode: 8, districtCode: nil, sanctionedStrength: 50)
        let lbsnaa = Organisation(name: "LBSNAA", code: "LBSNAA", type: .trainingInstitute, parent: nil, stateCode: nil, districtCode: nil, sanctionedStrength: 50)
        try await ripa.create(on: app.db)
        try await lbsnaa.create(on: app.db)
        let hash = try await app.password.async.hash(TestWorld.password)
        for (key, organisation, role) in [("editor.one", ripa, Role.caseEditor), ("editor.two", ripa, .caseEditor), ("faculty.lbsnaa", lbsnaa, .faculty), ("admin.ripa", ripa, .mdoAdmin)] {
            let user = User()
            user.$organisation.id = organisation.id!
            user.name = key.capitalized
            user.email = "\(key)@test.example.org"
            user.language = "en"
            user.status = .active
            user.passwordHash = hash
            try await user.create(on: app.db)
            try await Users.record(Users.grant(for: role, organisation: organisation, stateCode: nil)!, for: user.id!, by: nil, on: app.db)
        }
        return CaseWorld(ripa: ripa.id!, lbsnaa: lbsnaa.id!)
    }
}

func caseBody(_ institute: UUID, title: String = "Piped water to Barmer", state: Int = 8, sdgs: [Int] = [6, 3], year: Int = 2023) -> [String: Any] {
    ["instituteId": institute.uuidString, "title": title, "abstract": "How the desert villages got taps.", "body": "The setting.\n\nThe decision.",
     "teachingNote": "Ask the class which figures they would want first.", "authors": ["A. Sharma", "B. Meena"], "stateCode": state, "sdgs": sdgs,
     "sector": "water_sanitation", "year": year, "language": "en", "status": "completed"]
}

@Suite struct CaseTests {
    @Test func anEditorWritesASecondEditorPublishesAndOnlyFacultyReadTheNote() async throws {
        try await withApp { app, _ in
            let institutes = try await CaseWorld.build(on: app)
            let one = try await app.token("editor.one"), two = try await app.token("editor.two")
            let learner = try await app.token("learner.mha"), faculty = try await app.token("faculty.lbsnaa")
            let made = try await app.send(.POST, "/api/v1/cases", token: one, json: caseBody(institutes.ripa))
            #expect(made.status == .created, "\(made.body)")
            let study = try made.decoded(CaseStudyDTO.self)
            #expect(study.stage == .draft && study.sdgs == [3, 6] && study.stateName == "Rajasthan" && study.teachingNote != nil && study.authors.count == 2)
            let id = study.id.uuidString

            // A draft is not there for anyone but its institute's editors; nor is it found.
            #expect(try await app.send(.GET, "/api/v1/cases/\(id)", token: learner).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/cases", token: learner).decoded(CaseSearchDTO.self).total == 0)
            #expect(try await app.send(.PATCH, "/api/v1/cases/\(id)", token: learner, json: ["action": "submit"]).status == .notFound)

            // Sent for review by one editor, it may not be published by the same one; the other publishes it.
            let sent = try await app.send(.PATCH, "/api/v1/cases/\(id)", token: one, json: ["action": "submit"]).decoded(CaseStudyDTO.self)
            #expect(sent.stage == .inReview && sent.steps.map(\.action) == [.submit])
            let own = try await app.send(.PATCH, "/api/v1/cases/\(id)", token: one, json: ["action": "publish"])
            #expect(own.status == .conflict && own.fields == ["action"])
            let changed = try await app.send(.PATCH, "/api/v1/cases/\(id)", token: two, json: ["title": "Another title"])
            #expect(changed.status == .conflict, "a case in review is not changed")
            let published = try await app.send(.PATCH, "/api/v1/cases/\(id)", token: two, json: ["action": "publish"]).decoded(CaseStudyDTO.self)
            #expect(published.stage == .published && published.publishedAt != nil && published.steps.map(\.action) == [.submit, .publish])

            // Everyone reads it; its teaching note only faculty and the editors.
            let read = try await app.send(.GET, "/api/v1/cases/\(id)", token: learner).decoded(CaseStudyDTO.self)
            #expect(read.hasTeachingNote && read.teachingNote == nil && read.body == "The setting.\n\nThe decision." && read.steps.isEmpty)
            let asked = try await app.send(.GET, "/api/v1/cases/\(id)?include=teachingNote", token: learner)
            #expect(asked.status == .forbidden && asked.fields == ["include"])
            let note = try await app.send(.GET, "/api/v1/cases/\(id)?include=teachingNote", token: faculty).decoded(CaseStudyDTO.self)
            #expect(note.teachingNote == "Ask the class which figures they would want first.")

            // Withdrawn to draft, corrected, and sent back with a note.
            #expect(try await app.send(.PATCH, "/api/v1/cases/\(id)", token: two, json: ["action": "withdraw"]).decoded(CaseStudyDTO.self).stage == .draft)
            let corrected = try await app.send(.PATCH, "/api/v1/cases/\(id)", token: one, json: ["sdgs": [6], "action": "submit"]).decoded(CaseStudyDTO.self)
            #expect(corrected.sdgs == [6] && corrected.stage == .inReview)
            let noNote = try await app.send(.PATCH, "/api/v1/cases/\(id)", token: two, json: ["action": "return"])
            #expect(noNote.fields == ["note"])
            let back = try await app.send(.PATCH, "/api/v1/cases/\(id)", token: two, json: ["action": "return", "note": "Add the figures for 2024."])
                .decoded(CaseStudyDTO.self)
            #expect(back.stage == .draft && back.steps.last?.note == "Add the figures for 2024." && back.steps.last?.byName == "Editor.Two")
        }
    }

    @Test func searchCountsEachFacetUnderTheOtherFiltersAndTheMapCountsByGoalAndState() async throws {
        try await withApp { app, _ in
            let institutes = try await CaseWorld.build(on: app)
            let one = try await app.token("editor.one"), two = try await app.token("editor.two"), learner = try await app.token("learner.mha")
            for body in [caseBody(institutes.ripa), caseBody(institutes.ripa, title: "जल जीवन मिशन: बाड़मेर", sdgs: [6], year: 2024),
                         caseBody(institutes.ripa, title: "Mohalla clinics", state: 7, sdgs: [3], year: 2024)] {
                let id = try await app.send(.POST, "/api/v1/cases", token: one, json: body).decoded(CaseStudyDTO.self).id.uuidString
                _ = try await app.send(.PATCH, "/api/v1/cases/\(id)", token: one, json: ["action": "submit"])
                #expect(try await app.send(.PATCH, "/api/v1/cases/\(id)", token: two, json: ["action": "publish"]).status == .ok)
            }
            let water = try await app.send(.GET, "/api/v1/cases?sdg=6&state=8", token: learner).decoded(CaseSearchDTO.self)
            #expect(water.total == 2 && water.items.first?.year == 2024, "newest first")
            #expect(water.facets["state"] == ["8": 2], "the State facet counts under the SDG filter")
            #expect(water.facets["sdg"] == ["6": 2, "3": 1], "the SDG facet counts under the State filter")
            #expect(try await app.send(.GET, "/api/v1/cases?q=%E0%A4%AC%E0%A4%BE%E0%A4%A1%E0%A4%BC%E0%A4%AE%E0%A5%87%E0%A4%B0", token: learner)
                .decoded(CaseSearchDTO.self).total == 1, "Devanagari words, nukta written or not")
            let paged = try await app.send(.GET, "/api/v1/cases?limit=2", token: learner).decoded(CaseSearchDTO.self)
            #expect(paged.items.count == 2 && paged.nextOffset == 2 && paged.total == 3)
            #expect(try await app.send(.GET, "/api/v1/cases?sdg=0&state=99&sector=mining", token: learner).fields == ["sdg", "state", "sector"])
            #expect(try await app.send(.GET, "/api/v1/cases?competency=&q=", token: learner).fields == ["competency"], "a filter sent empty is named; empty words are none")
            let map = try await app.send(.GET, "/api/v1/cases/coverage", token: learner).decoded(CaseCoverageDTO.self)
            #expect(map.cases == 3 && map.bySdg[5] == 2 && map.bySdg[2] == 2 && map.byState.map(\.cases) == [1, 2])
            #expect(map.cells.first { $0.sdg == 6 && $0.stateCode == 8 }?.cases == 2)
            // Editors list their drafts and cases in review.
            _ = try await app.send(.POST, "/api/v1/cases", token: one, json: caseBody(institutes.ripa, title: "Unfinished"))
            #expect(try await app.send(.GET, "/api/v1/cases?stage=draft", token: two).decoded(CaseSearchDTO.self).items.map(\.title) == ["Unfinished"])
            #expect(try await app.send(.GET, "/api/v1/cases?stage=draft", token: learner).decoded(CaseSearchDTO.self).items.isEmpty)
        }
    }

    @Test func badCasesAreNamedAndStoreNothing() async throws {
        try await withApp { app, world in
            let institutes = try await CaseWorld.build(on: app)
            let one = try await app.token("editor.one"), learner = try await app.token("learner.mha"), faculty = try await app.token("faculty.lbsnaa")
            var body = caseBody(institutes.ripa)
            body["sdgs"] = [6, 18]
            body["stateCode"] = 99
            body["year"] = 2100
            body["sector"] = "mining"
            #expect(try await app.send(.POST, "/api/v1/cases", token: one, json: body).fields == ["stateCode", "sdgs[1]", "sector", "year"])
            body = caseBody(institutes.ripa)
            body["sdgs"] = [0]
            #expect(try await app.send(.POST, "/api/v1/cases", token: one, json: body).fields == ["sdgs[0]"])
            body["sdgs"] = "six"
            #expect(try await app.send(.POST, "/api/v1/cases", token: one, json: body).status == .unprocessableEntity)
            // Another institute, a ministry, or no case-editing role at all: the institute is named.
            for (token, institute) in [(one, institutes.lbsnaa), (one, world.mha), (learner, institutes.ripa), (faculty, institutes.lbsnaa)] {
                #expect(try await app.send(.POST, "/api/v1/cases", token: token, json: caseBody(institute)).fields == ["instituteId"])
            }
            #expect(try await app.send(.POST, "/api/v1/cases", token: one, json: caseBody(institutes.ripa).merging(["pages": 3]) { $1 }).status == .unprocessableEntity,
                    "an unknown field is refused")
            #expect(try await CaseStudy.query(on: app.db).count() == 0)

            // A draft with neither text nor PDF is not sent for review; a bad change leaves the draft as it was.
            body = caseBody(institutes.ripa)
            body["body"] = ""
            let id = try await app.send(.POST, "/api/v1/cases", token: one, json: body).decoded(CaseStudyDTO.self).id.uuidString
            #expect(try await app.send(.PATCH, "/api/v1/cases/\(id)", token: one, json: ["action": "submit"]).fields == ["body"])
            #expect(try await app.send(.PATCH, "/api/v1/cases/\(id)", token: one, json: ["title": "New", "sdgs": [19]]).fields == ["sdgs[0]"])
            #expect(try await app.send(.PATCH, "/api/v1/cases/\(id)", token: one, json: ["action": "fly"]).status == .unprocessableEntity)
            let kept = try await app.send(.GET, "/api/v1/cases/\(id)", token: one).decoded(CaseStudyDTO.self)
            #expect(kept.title == "Piped water to Barmer" && kept.stage == .draft && kept.sdgs == [3, 6])

            // A PDF must be one; then the draft may go for review.
            let notPDF = try await app.send(.POST, "/api/v1/cases/\(id)/pdf", token: one, bytes: Array(multipart("file", "case.pdf", Array("hello".utf8)).utf8),
                                            contentType: HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": "XyZ"]))
            #expect(notPDF.fields == ["file"])
            let pdf = Array("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8)
            let attached = try await app.send(.POST, "/api/v1/cases/\(id)/pdf", token: one, bytes: Array(multipart("file", "case.pdf", pdf).utf8),
                                              contentType: HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": "XyZ"]))
            let withPDF = try attached.decoded(CaseStudyDTO.self)
            #expect(attached.status == .created && withPDF.pdf?.hasPrefix("content:") == true, "\(attached.body)")
            #expect(try await app.send(.PATCH, "/api/v1/cases/\(id)", token: one, json: ["action": "submit"]).status == .ok)
        }
    }

    @Test func aCourseTakesAPublishedCaseAsAnItemAndItsPlayerOpensIt() async throws {
        try await withApp { app, world in
            let institutes = try await CaseWorld.build(on: app)
            let one = try await app.token("editor.one"), two = try await app.token("editor.two"), creator = try await app.token("creator.mha")
            let id = try await app.send(.POST, "/api/v1/cases", token: one, json: caseBody(institutes.ripa)).decoded(CaseStudyDTO.self).id.uuidString.lowercased()
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let body = courseBody(world, competency: competency, title: "Water governance", modules: [["title": "Cases", "items": [
                ["title": "Piped water to Barmer", "kind": "case_study", "durationMinutes": 45, "required": true, "url": "case:\(id)"]]]])
            let draftCase = try await app.send(.POST, "/api/v1/courses", token: creator, json: body)
            #expect(draftCase.status == .unprocessableEntity && draftCase.fields == ["modules[0].items[0].url"], "a draft case is not taught")
            _ = try await app.send(.PATCH, "/api/v1/cases/\(id)", token: one, json: ["action": "submit"])
            _ = try await app.send(.PATCH, "/api/v1/cases/\(id)", token: two, json: ["action": "publish"])
            let course = try await app.send(.POST, "/api/v1/courses", token: creator, json: body)
            #expect(course.status == .created, "\(course.body)")
            let courseID = try #require(course.json["id"] as? String)
            for (key, action) in [("creator.mha", "submit"), ("reviewer.mha", "approve"), ("publisher.mha", "publish")] {
                #expect(try await app.send(.POST, "/api/v1/courses/\(courseID)/\(action)", token: try await app.token(key)).status == .ok)
            }
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(courseID)/enrol", token: try await app.token("learner.mha"))
            let player = try await learner.get("/learn/\(courseID)")
            #expect(player.body.contains("href=\"/cases/\(id)\"") && player.body.contains("Case study"), "\(player.body)")
        }
    }

    @Test func facultyAndCaseEditorsAreHeldOnTrainingInstitutesOnly() async throws {
        try await withApp { app, world in
            let national = try await app.token("national")
            let learner = world.users["learner.mha"]!.uuidString
            let refused = try await app.send(.PATCH, "/api/v1/users/\(learner)", token: national, json: ["roles": ["faculty"]])
            #expect(refused.status == .unprocessableEntity && refused.fields == ["roles"], "\(refused.body)")
        }
    }
}

/// A multipart body with one file field, boundary "XyZ".
func multipart(_ field: String, _ name: String, _ bytes: [UInt8]) -> String {
    "--XyZ\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(name)\"\r\nContent-Type: application/pdf\r\n\r\n" + String(decoding: bytes, as: UTF8.self) + "\r\n--XyZ--\r\n"
}
