import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A course completes once: the enrolment, its signed certificate, the learner's passbook (the course's competencies
/// at their levels, with the certificate as evidence), the learning hours credited and the karma points are written
/// in the caller's transaction, together or not at all.
enum Completion {
    /// Completes an active enrolment; answers false when another request completed it first (nothing is given twice).
    /// The completion and its certificate are counted into `tally`, which the caller writes at the end of its transaction.
    static func complete(_ enrolment: Enrolment, learnerName: String, content: CourseContent, at now: Date, keys: CredentialKeys, place: LearnerPlace,
                         tally: inout RollupTally, on database: any Database) async throws -> Bool {
        let sql = database as! any SQLDatabase
        // The state change decides who completes: only one UPDATE finds the enrolment still active.
        let flipped = try await sql.update(Enrolment.schema)
            .set("status", to: SQLBind(Enrolment.Status.completed.rawValue))
            .set("completed_at", to: SQLBind(now))
            .set("percent", to: SQLBind(100.0))
            .set("credited_minutes", to: SQLBind(content.durationMinutes))
            .where("id", .equal, SQLBind(enrolment.id!)).where("status", .equal, SQLBind(Enrolment.Status.active.rawValue))
            .returning("id").all()
        guard !flipped.isEmpty else { return false }
        enrolment.status = .completed
        enrolment.completedAt = now
        enrolment.percent = 100
        enrolment.creditedMinutes = content.durationMinutes
        let certificate = try await Certificates.issue(for: enrolment, learnerName: learnerName, content: content, at: now, keys: keys, on: database)
        tally.add(RollupCounters(completions: 1, certificates: 1), place: place, day: IndiaDay.of(now), course: enrolment.courseID)
        if !content.competencies.isEmpty {
            var entries = sql.insert(into: PassbookEntry.schema)
                .columns("id", "created_at", "user_id", "competency_id", "level", "source", "status", "course_id", "enrolment_id", "certificate_id")
            for claim in content.competencies {
                entries = entries.values(SQLBind(UUID()), SQLBind(now), SQLBind(enrolment.userID), SQLBind(claim.competencyId), SQLBind(claim.level),
                                         SQLBind(PassbookEntry.Source.course.rawValue), SQLBind(PassbookEntry.Status.verified.rawValue),
                                         SQLBind(enrolment.courseID), SQLBind(enrolment.id!), SQLBind(certificate.id!))
            }
            try await entries.run()
        }
        let bonus = try await Plans.bonus(for: enrolment.userID, course: enrolment.courseID, completedAt: now, on: database)
        let earned = bonus == nil ? try await Karma.unplannedCompletions(of: enrolment.userID, in: now, on: database) : 0
        let passed = try await Assessments.passed(enrolment.id!, on: database)
        for award in KarmaRule.completion(assessmentPassed: passed, planBonus: bonus, unplannedEarnedThisMonth: earned) {
            try await Karma.give(award.reason, points: award.points, to: enrolment.userID, in: enrolment.organisationID, course: enrolment.courseID,
                                 at: now, on: database)
        }
        return true
    }

    /// What attending an event or completing a programme's batch gives, in the caller's transaction: passbook entries for
    /// its competencies (the certificate as evidence) and karma, for everyone certified at once.
    static func creditAttendance(_ people: [(userID: UUID, organisationID: UUID, certificateID: UUID)], source: PassbookEntry.Source,
                                 competencies: [RoleRequirement], at now: Date, on database: any Database) async throws {
        guard !people.isEmpty else { return }
        let sql = database as! any SQLDatabase
        if !competencies.isEmpty {
            let rows = people.flatMap { person in competencies.map { (person, $0) } }
            for start in stride(from: 0, to: rows.count, by: 400) {
                var entries = sql.insert(into: PassbookEntry.schema)
                    .columns("id", "created_at", "user_id", "competency_id", "level", "source", "status", "certificate_id")
                for (person, claim) in rows[start..<min(start + 400, rows.count)] {
                    entries = entries.values(SQLBind(UUID()), SQLBind(now), SQLBind(person.userID), SQLBind(claim.competencyId), SQLBind(claim.level),
                                             SQLBind(source.rawValue), SQLBind(PassbookEntry.Status.verified.rawValue), SQLBind(person.certificateID))
                }
                try await entries.run()
            }
        }
        let reason: KarmaReason = source == .programme ? .programmeCompletion : .eventAttendance
        var karma = sql.insert(into: KarmaEntry.schema).columns("id", "user_id", "organisation_id", "reason", "points", "course_id", "month", "given_at")
        for person in people {
            karma = karma.values(SQLBind(UUID()), SQLBind(person.userID), SQLBind(person.organisationID), SQLBind(reason.rawValue),
                                 SQLBind(reason.points), SQLBind(Optional<UUID>.none), SQLBind(Karma.month(of: now)), SQLBind(now))
        }
        try await karma.run()
    }
}
