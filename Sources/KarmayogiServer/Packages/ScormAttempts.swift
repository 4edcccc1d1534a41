import Crypto
import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Learners' attempts at SCORM items: launched, resumed, and recorded, each commit's data checked by the data
/// model's rules and turned into the item's progress through the same merge as every other update.
enum ScormAttempts {
    static func hash(_ token: String) -> String { SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined() }

    /// The attempt a launch continues: the learner's latest at the item, or a new one when that was finished
    /// (completed, and not left suspended) or named another package. The launch token is set on it.
    static func launch(user: UUID, course: UUID, item: UUID, reference: PackageItemReference, token: String, until expiry: Date,
                       on database: any Database) async throws -> ScormAttempt {
        let latest = try await ScormAttempt.query(on: database).filter(\.$userID == user).filter(\.$itemID == item)
            .sort(\.$number, .descending).first()
        let attempt: ScormAttempt
        if let latest, latest.packageID == reference.package, latest.activity == reference.activity, !(latest.completed && latest.exit != "suspend") {
            attempt = latest
        } else {
            attempt = ScormAttempt()
            attempt.userID = user
            attempt.courseID = course
            attempt.itemID = item
            attempt.packageID = reference.package
            attempt.activity = reference.activity
            attempt.number = (latest?.number ?? 0) + 1
            attempt.data = "{}"
            attempt.exit = ""
            attempt.seconds = 0
            attempt.commits = 0
            attempt.completed = false
        }
        attempt.launchToken = hash(token)
        attempt.launchExpiresAt = expiry
        attempt.updatedAt = Date()
        try await attempt.save(on: database)
        return attempt
    }

    /// The attempt a live launch token speaks for.
    static func launched(_ token: String, at now: Date, on database: any Database) async throws -> ScormAttempt? {
        guard token.count == 43 else { return nil }
        guard let attempt = try await ScormAttempt.query(on: database).filter(\.$launchToken == hash(token)).first(),
              let expiry = attempt.launchExpiresAt, expiry > now
        else { return nil }
        return attempt
    }

    /// The values the SCO reads at launch: who the learner is, whether it resumes, what the manifest gives, and
    /// what the SCO stored before.
    static func initialValues(_ attempt: ScormAttempt, version: ScormVersion, activity: ScormActivity, learnerName: String) -> [String: String] {
        var values = attempt.values
        let resuming = attempt.exit == "suspend"
        let id = attempt.userID.uuidString.lowercased()
        func put(_ key: String, _ value: String?) { if let value { values[key] = value } }
        values.removeValue(forKey: version.is2004 ? "cmi.exit" : "cmi.core.exit")
        values.removeValue(forKey: version.is2004 ? "cmi.session_time" : "cmi.core.session_time")
        if version.is2004 {
            put("cmi.learner_id", id)
            put("cmi.learner_name", learnerName)
            put("cmi.credit", "credit")
            put("cmi.mode", "normal")
            put("cmi.entry", resuming ? "resume" : attempt.commits == 0 ? "ab-initio" : "")
            if values["cmi.completion_status"] == nil { values["cmi.completion_status"] = "unknown" }
            if values["cmi.success_status"] == nil { values["cmi.success_status"] = "unknown" }
            put("cmi.total_time", ScormTime.interval(attempt.seconds))
            put("cmi.launch_data", activity.launchData)
            put("cmi.completion_threshold", activity.completionThreshold.map { String($0) })
            put("cmi.scaled_passing_score", activity.scaledPassingScore.map { String($0) })
            put("cmi.time_limit_action", activity.timeLimitAction)
        } else {
            put("cmi.core.student_id", id)
            put("cmi.core.student_name", learnerName)
            put("cmi.core.credit", "credit")
            put("cmi.core.lesson_mode", "normal")
            put("cmi.core.entry", resuming ? "resume" : attempt.commits == 0 ? "ab-initio" : "")
            if values["cmi.core.lesson_status"] == nil { values["cmi.core.lesson_status"] = "not attempted" }
            put("cmi.core.total_time", ScormTime.timespan(attempt.seconds))
            put("cmi.launch_data", activity.launchData)
            put("cmi.student_data.mastery_score", activity.masteryScore.map { String(Int($0)) })
            put("cmi.student_data.time_limit_action", activity.timeLimitAction)
        }
        return values
    }

    /// Another commit of the attempt was written since this one read it.
    struct Overlap: Error {}

    /// Keeps a commit's data and sends what it means to the learner's progress. The session's time counts when the
    /// SCO finishes, once per launch.
    static func record(_ attempt: ScormAttempt, data: ScormRuntimeData, finished: Bool, activity: ScormActivity, app: Application,
                       on database: any Database) async throws -> ScormRuntimeController.Committed {
        let version = data.version
        var values = data.values
        let exitKey = version.is2004 ? "cmi.exit" : "cmi.core.exit"
        let timeKey = version.is2004 ? "cmi.session_time" : "cmi.core.session_time"
        let session = values[timeKey].flatMap { version.is2004 ? ScormTime.seconds(interval: $0) : ScormTime.seconds(timespan: $0) } ?? 0
        if let exit = values[exitKey] { attempt.exit = exit }
        let outcome = data.outcome(masteryScore: activity.masteryScore, scaledPassingScore: activity.scaledPassingScore,
                                   completionThreshold: activity.completionThreshold)
        // SCORM 1.2: with a mastery score, the LMS decides passed or failed by the score.
        if !version.is2004, activity.masteryScore != nil, let passed = outcome.passed { values["cmi.core.lesson_status"] = passed ? "passed" : "failed" }
        if finished {
            attempt.seconds += min(session, ProgressUpdate.maximumSeconds)
            values.removeValue(forKey: timeKey)
        }
        attempt.data = String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
        let read = attempt.commits
        attempt.commits += 1
        attempt.completed = attempt.completed || outcome.status == .completed
        attempt.updatedAt = app.clock.now()
        let launch = attempt.launchToken ?? ""
        // Written only over the commit it was read after: of two overlapping commits of one launch (the 30-second
        // batch and the finish), the later one is read again and merged, never written over the other.
        let written = try await (database as! any SQLDatabase).update(ScormAttempt.schema)
            .set("data", to: SQLBind(attempt.data)).set("exit", to: SQLBind(attempt.exit)).set("seconds", to: SQLBind(attempt.seconds))
            .set("commits", to: SQLBind(attempt.commits)).set("completed", to: SQLBind(attempt.completed)).set("updated_at", to: SQLBind(attempt.updatedAt))
            .where("id", .equal, SQLBind(attempt.id!)).where("commits", .equal, SQLBind(read)).returning("id").all()
        guard written.count == 1 else { throw Overlap() }
        if outcome.status != .notStarted || finished {
            guard let learner = try await Principal.load(userID: attempt.userID, on: database) else { throw Problem.notFound("launch") }
            let update = ProgressBatchInput.UpdateInput(
                courseId: attempt.courseID.uuidString, itemId: attempt.itemID.uuidString, status: max(outcome.status, .inProgress).rawValue,
                percent: outcome.percent, secondsSpent: finished ? min(session, ProgressUpdate.maximumSeconds) : 0, clientTime: nil,
                key: finished ? "scorm:\(launch.prefix(40)):finish" : "scorm:\(attempt.id!.uuidString):\(attempt.commits)")
            _ = try await LearningProgress.apply(ProgressBatchInput(updates: [update]), for: learner, app: app, on: database, grouped: true)
        }
        return .init(status: outcome.status.rawValue, percent: outcome.percent, score: outcome.score)
    }
}

extension ScormAttempts {
    /// What each activity of `package` stands at for `user`: their latest attempt at it.
    static func known(by user: UUID, in packageID: UUID, on database: any Database) async throws -> [String: ScormNavigation.Known] {
        let attempts = try await ScormAttempt.query(on: database).filter(\.$userID == user).filter(\.$packageID == packageID)
            .sort(\.$number, .ascending).all()
        var known: [String: ScormNavigation.Known] = [:]
        for attempt in attempts { known[attempt.activity] = .init(attempt.values) }
        return known
    }

    /// For a learner's course page: each SCORM item's availability, by its package's sequencing and what the
    /// learner has done. Items of packages without sequencing are open.
    static func offered(_ items: [(item: UUID, reference: PackageItemReference)], to user: UUID,
                        on database: any Database) async throws -> [UUID: ScormNavigation.Availability] {
        var result: [UUID: ScormNavigation.Availability] = [:]
        for (packageID, group) in Dictionary(grouping: items, by: \.reference.package) {
            guard let package = try await Packages.record(packageID, on: database)?.scorm else { continue }
            let offered = ScormNavigation.offered(of: package, known: try await known(by: user, in: packageID, on: database))
            for entry in group { result[entry.item] = offered[entry.reference.activity] ?? .open }
        }
        return result
    }

    /// The item that a navigation request (`continue` or `previous`) from `item` leads to, in the same course.
    static func step(_ request: String, from item: UUID, of user: UUID, in content: CourseContent, on database: any Database) async throws -> UUID? {
        let items = content.modules.flatMap(\.items).compactMap { item -> (UUID, PackageItemReference)? in
            guard item.kind == .scorm, let id = item.id, let reference = item.url.flatMap(PackageItemReference.init) else { return nil }
            return (id, reference)
        }
        guard let here = items.first(where: { $0.0 == item }), let package = try await Packages.record(here.1.package, on: database)?.scorm else { return nil }
        let known = try await known(by: user, in: here.1.package, on: database)
        let target = request == "previous" ? ScormNavigation.previous(before: here.1.activity, in: package, known: known)
            : ScormNavigation.next(after: here.1.activity, in: package, known: known)
        return target.flatMap { target in items.first { $0.1.package == here.1.package && $0.1.activity == target }?.0 }
    }
}
