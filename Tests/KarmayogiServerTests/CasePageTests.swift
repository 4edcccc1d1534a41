import Foundation
import KarmayogiCore
@testable import KarmayogiServer
import Testing
import Vapor
import VaporTesting

/// The Kosh on the portal: an editor writes a case on its form (a bad year named, nothing stored), attaches its PDF
/// and sends it; a second editor publishes it; a learner finds it by its filters and on the coverage map, and is told
/// the teaching note is for faculty, who read it.
@Suite struct CasePageTests {
    @Test func anEditorWritesACaseAnotherPublishesItAndALearnerFindsIt() async throws {
        try await withApp { app, _ in
            let institutes = try await CaseWorld.build(on: app)
            var one = Browser(app)
            try await one.signIn("editor.one")
            let form = try await one.get("/cases/new")
            #expect(form.status == .ok && form.body.contains("name=\"sdgs[]\" value=\"17\"") && form.body.contains("HCM RIPA"))
            var fields: [(String, String)] = [("instituteId", institutes.ripa.uuidString.lowercased()), ("title", "Piped water to Barmer"),
                                              ("abstract", "How the desert villages got taps."), ("authors", "A. Sharma\nB. Meena"), ("stateCode", "8"),
                                              ("sdgs[]", "6"), ("sdgs[]", "3"), ("sector", "water_sanitation"), ("year", "3000"), ("status", "completed"),
                                              ("language", "en"), ("teachingNote", "Ask the class which figures they would want first.")]
            let bad = try await one.post("/cases/new", pairs: fields)
            #expect(bad.status == .unprocessableEntity && bad.body.contains("<code>year</code>") && bad.body.contains("Piped water to Barmer"), "the form keeps what was typed")
            #expect(try await CaseStudy.query(on: app.db).count() == 0)
            fields[8] = ("year", "2023")
            let made = try await one.post("/cases/new", pairs: fields)
            #expect(made.status == .seeOther, "\(made.body)")
            let page = try #require(made.headers.first(name: .location))
            let draft = try await one.get(page)
            #expect(draft.body.contains("Draft") && draft.body.contains("Send for review") && draft.body.contains("A. Sharma, B. Meena"))
            let pdf = Array("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8)
            let attached = try await one.post("\(page)/pdf", multipart: [:], file: ("file", "case.pdf", pdf))
            #expect(attached.status == .ok && attached.body.contains("The PDF is attached.") && attached.body.contains("Read the case (PDF)"), "\(attached.body)")
            let sent = try await one.post("\(page)/step", form: ["action": "submit"])
            #expect(sent.status == .ok && sent.body.contains("Sent for review."))
            let own = try await one.post("\(page)/step", form: ["action": "publish"])
            #expect(own.status == .conflict && own.body.contains("another editor of the institute publishes it"))

            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            #expect(try await learner.get(page).status == .notFound, "not out yet")
            var two = Browser(app)
            try await two.signIn("editor.two")
            #expect(try await two.get("/cases/mine").body.contains("Piped water to Barmer"))
            #expect(try await two.post("\(page)/step", form: ["action": "publish"]).body.contains("Published in the Kosh."))

            let found = try await learner.get("/cases?sdg=6&state=8")
            #expect(found.body.contains("1 case<") && found.body.contains("Piped water to Barmer") && found.body.contains("SDG 6: Clean water and sanitation (1)"))
            #expect(try await learner.get("/cases?sdg=1").body.contains("No case studies here."))
            let read = try await learner.get(page)
            #expect(read.body.contains("teaching note for faculty") && !read.body.contains("Ask the class") && !read.body.contains("Send for review"))
            let map = try await learner.get("/cases/coverage")
            #expect(map.body.contains("<svg class=\"chart heat\"") && map.body.contains("Rajasthan, SDG 6: Clean water and sanitation: 1 case<"))
            #expect(try await learner.get("/cases/coverage?lang=hi").body.contains("Rajasthan, एसडीजी 6: स्वच्छ जल और स्वच्छता: 1 केस<"))
            #expect(try await learner.get("/cases/new").status == .notFound)

            var faculty = Browser(app)
            try await faculty.signIn("faculty.lbsnaa")
            #expect(try await faculty.get(page).body.contains("Ask the class which figures they would want first."))
        }
    }
}
