import Fluent
import Foundation
import KarmayogiCore
import Vapor

extension DemoWorld {
    /// A qualification the demo learner can earn: any one of the courses a search for "cyber" finds, at NSQF level 4,
    /// 45 notional hours (1.5 credits), awarded by Karmayogi Bharat; each of those courses aligned at 15 hours (0.5 credits).
    static func addQualifications(_ app: Application) async throws {
        guard let adminID = try await Users.ids(ofEmails: ["admin@karmayogi.example.org"], on: app.db)["admin@karmayogi.example.org"],
              let admin = try await Principal.load(userID: adminID, on: app.db)
        else { return }
        var query = CatalogueQuery()
        query.text = "cyber"
        query.limit = 10
        let courses = try await app.catalogueSearch.search(query, on: app.db).result.ids
        guard !courses.isEmpty else { return }
        _ = try await Qualifications.create(QualificationInput(title: "Certificate in cyber hygiene for public servants", awardingBody: "Karmayogi Bharat",
                                                               nsqfLevel: 4, notionalHours: 45, credits: nil, courseIds: courses, minimumCourses: 1),
                                            by: admin, now: app.clock.now(), on: app.db)
        for course in courses {
            _ = try await Qualifications.align(.course, course, AlignmentInput(notionalHours: 15, credits: nil, nsqfLevel: 4, awardingBody: nil),
                                               by: admin, now: app.clock.now(), on: app.db)
        }
    }
}
