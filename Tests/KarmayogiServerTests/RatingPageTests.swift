import Fluent
import Foundation
import Testing
import Vapor
@testable import KarmayogiServer

/// The course page's ratings and reviews: an enrolled learner rates once and can change it; anyone signed in can
/// report an abusive review, and three reports hide its words until its author changes them. Search forgives a typo.
@Suite struct RatingPageTests {
    @Test func anEnrolledLearnerRatesOnceAndChangesIt() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let id = try await CatalogueSearchTests().publish(app, world, title: "Cyber hygiene", language: "hi", keywords: ["cyber", "साइबर"], competency: competency)
            var learner = Browser(app)
            try await learner.signIn("learner.mha")
            var page = try await learner.get("/courses/\(id)")
            #expect(!page.body.contains("id=\"rate\""), "only an enrolled learner rates")
            _ = try await learner.post("/courses/\(id)/enrol", form: [:])
            page = try await learner.get("/courses/\(id)")
            #expect(page.body.contains("Rate this course"))
            let rated = try await learner.post("/courses/\(id)/rating", form: ["stars": "2", "text": "Too short"])
            #expect(rated.status == .seeOther && rated.headers.first(name: .location) == "/courses/\(id)?done=rated#reviews")
            page = try await learner.get("/courses/\(id)?done=rated")
            #expect(page.body.contains("your rating is saved") && page.body.contains("Your rating") && page.body.contains(">Too short</textarea>"))
            #expect(page.body.contains("value=\"2\" checked"))
            _ = try await learner.post("/courses/\(id)/rating", form: ["stars": "5", "text": "Better on a second look"])
            let ratings = try await app.send(.GET, "/api/v1/courses/\(id)/ratings").json
            #expect((ratings["summary"] as? [String: Any])?["count"] as? Int == 1, "rated once, changed once")
            #expect((ratings["summary"] as? [String: Any])?["average"] as? Double == 5)
            #expect(try await learner.post("/courses/\(id)/rating", form: ["stars": "9"]).status == .unprocessableEntity)

            // Search: "cyber" (Latin) finds the Hindi course by its keyword; a typo still finds it; one course reads "1 course".
            let found = try await learner.get("/courses?q=cybr")
            #expect(found.body.contains("1 course<") && found.body.contains("Cyber hygiene"))
            #expect(try await learner.get("/courses?q=CYBER&lang=hi").body.contains("1 पाठ्यक्रम"))
        }
    }

    @Test func threeReportsHideAReviewsWordsUntilItsAuthorChangesThem() async throws {
        try await withApp { app, world in
            let competency = try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items[0]["id"] as! String
            let id = try await CatalogueSearchTests().publish(app, world, title: "Records management", competency: competency)
            let author = try await app.token("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(id)/enrol", token: author)
            let rating = try await app.send(.POST, "/api/v1/courses/\(id)/ratings", token: author, json: ["stars": 1, "text": "Rude words here"])
            let ratingID = try #require(rating.json["id"] as? String)

            // The author may not report their own review; a reporter reports once however often they press.
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/ratings/\(ratingID)/report", token: author, json: [:]).status == .conflict)
            for (index, key) in ["learner.jaipur", "learner.health", "learner.jaipur", "health.in.rajasthan"].enumerated() {
                var reporter = Browser(app)
                try await reporter.signIn(key)
                let page = try await reporter.get("/courses/\(id)")
                #expect(page.body.contains("Report this review as abusive"))
                let sent = try await reporter.post("/courses/\(id)/reviews/\(ratingID)/report", form: ["reason": "abusive"])
                #expect(sent.status == .seeOther, "\(index)")
                let shown = try await app.send(.GET, "/api/v1/courses/\(id)/ratings").items.first?["text"] as? String
                #expect(shown == (index < 3 ? "Rude words here" : ""), "hidden after the third person's report, not the third press")
            }
            #expect(try await RatingReport.query(on: app.db).count() == 3)
            var visitor = Browser(app)
            #expect(!(try await visitor.get("/courses/\(id)")).body.contains("Rude words here"))
            // Changed words are shown again, and the reports start over.
            _ = try await app.send(.POST, "/api/v1/courses/\(id)/ratings", token: author, json: ["stars": 2, "text": "Said more kindly"])
            #expect(try await app.send(.GET, "/api/v1/courses/\(id)/ratings").items.first?["text"] as? String == "Said more kindly")
            #expect(try await RatingReport.query(on: app.db).count() == 0)
            // A review out of sight is answered as missing.
            #expect(try await app.send(.POST, "/api/v1/courses/\(id)/ratings/\(UUID())/report", token: try await app.token("learner.jaipur"), json: [:]).status == .notFound)
        }
    }
}
