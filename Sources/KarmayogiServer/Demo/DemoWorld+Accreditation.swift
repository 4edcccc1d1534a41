import Fluent
import Foundation
import KarmayogiCore
import Vapor

extension DemoWorld {
    /// Two institutes on the register: LBSNAA at five stars, BIPARD at two with its improvement plan, each assessed at the
    /// desk and on site by the Madhya Pradesh State admin (independent of both) and decided by the national admin.
    /// HCM RIPA's MDO admin has not applied yet.
    static func addAccreditations(_ app: Application) async throws {
        let people = try await Users.ids(ofEmails: ["admin@karmayogi.example.org", "state.mp@karmayogi.example.org"], on: app.db)
        guard let adminID = people["admin@karmayogi.example.org"], let assessorID = people["state.mp@karmayogi.example.org"],
              let admin = try await Principal.load(userID: adminID, on: app.db), let assessor = try await Principal.load(userID: assessorID, on: app.db)
        else { return }
        let now = app.clock.now()
        let framework = AccreditationFramework.starting
        for (code, share, plan) in [("LBSNAA", 0.92, [String]()), ("BR-BIPARD", 0.5, ["Fill the vacant core faculty posts", "Publish its induction course on the platform"])] {
            guard let institute = try await Organisations.id(ofCode: code, on: app.db) else { continue }
            let record = try await Accreditations.apply(for: institute, ApplicationInput(), by: admin, now: now, app: app, on: app.db)
            let scores = Dictionary(uniqueKeysWithValues: framework.metrics.map { ($0.key, Int((Double($0.maxScore) * share).rounded())) })
            var patch = ApplicationPatch()
            patch.profile = ["1959", "32", "9,800", "2,400"]
            patch.selfScores = Dictionary(uniqueKeysWithValues: framework.metrics.map { ($0.key, min(scores[$0.key]! + 1, $0.maxScore)) })
            _ = try await Accreditations.change(record.id!, patch, by: admin, now: now, app: app, on: app.db)
            _ = try await Accreditations.addEvidence(to: record.id!, metric: "vision", link: "https://example.gov.in/\(code.lowercased())/annual-plan.pdf", file: nil,
                                                     note: "Annual training plan", by: admin, now: now, on: app.db)
            patch = ApplicationPatch()
            patch.action = "submit"
            _ = try await Accreditations.change(record.id!, patch, by: admin, now: now, app: app, on: app.db)
            for phase in AssessmentPhase.allCases {
                _ = try await Accreditations.assign(AssessorInput(email: nil, userId: assessorID, phase: phase), to: record.id!, by: admin, now: now, on: app.db)
            }
            _ = try await Accreditations.score(ScoresInput(phase: .desktop, scores: scores), of: record.id!, by: assessor, now: now, on: app.db)
            _ = try await Accreditations.score(ScoresInput(phase: .onsite, scores: scores), of: record.id!, by: assessor, now: now, on: app.db)
            let due = IndiaDay.string(IndiaDay.of(now) + 180)
            _ = try await Accreditations.decide(AccreditationDecisionInput(moderatedScores: nil, note: "Assessed at the desk and on site.",
                                                                           actions: plan.isEmpty ? nil : plan.map { .init(action: $0, dueDate: due) }),
                                                on: record.id!, by: admin, now: now, app: app, on: app.db)
        }
    }
}
