import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Turns an accepted staff sheet into accounts, a thousand rows to a transaction, counting as it goes.
/// Rows already onboarded (same e-mail, same organisation) are skipped, so sending a file twice
/// creates nobody twice; a restart re-runs what was not finished and finds the same answer.
enum Onboarding {
    static let batchSize = 1000

    /// Works through an upload: the sheet as it was checked on arrival, or, when resuming after a restart, read again from the stored file.
    static func run(_ uploadID: UUID, sheet checked: OnboardingSheet?, app: Application) async {
        let database = app.db
        do {
            guard let upload = try await BulkUpload.find(uploadID, on: database), let content = upload.content,
                  let organisation = try await Organisation.find(upload.$organisation.id, on: database)
            else { return }
            let sheet = try checked ?? OnboardingSheet(bytes: Array(content), geography: .reference,
                                                       defaults: .init(stateCode: organisation.stateCode, districtCode: organisation.districtCode))
            let sql = database as! any SQLDatabase
            // Start over from the sheet itself: counters, errors, and which rows this upload already created.
            try await sql.delete(from: "bulk_upload_errors").where("upload_id", .equal, SQLBind(uploadID)).run()
            upload.status = .running
            upload.total = sheet.total
            upload.created = 0
            upload.skipped = 0
            upload.failed = Set(sheet.errors.map(\.line)).count
            upload.done = upload.failed
            try await upload.save(on: database)
            try await insertErrors(sheet.errors, upload: uploadID, on: sql)

            let publicURL = app.settings.publicURL
            let activationExpiry = Date().addingTimeInterval(app.settings.activationLifetime)
            // While the database writes one batch, the next is prepared (tokens, hashes, messages) on the other core.
            var writing: (task: Task<Outcome, any Error>, rows: Int)?
            func settle() async throws {
                guard let (task, rows) = writing else { return }
                writing = nil
                let outcome = try await task.value
                PlatformMetrics.onboardedUsers.increment(by: outcome.created)
                upload.created += outcome.created
                upload.skipped += outcome.skipped
                upload.failed += outcome.failed
                upload.done += rows
                try await upload.save(on: database)
            }
            for start in stride(from: 0, to: sheet.rows.count, by: batchSize) {
                let batch = prepare(sheet.rows[start..<min(start + batchSize, sheet.rows.count)], for: organisation, publicURL: publicURL)
                try await settle()
                try Task.checkCancellation()
                let organisationID = organisation.id!
                // Another upload of the same people may be writing at once: a batch that loses the race runs again and finds them.
                writing = (Task { try await WriteRetry.run { try await onboard(batch, into: organisationID, upload: uploadID, activationExpiry: activationExpiry, on: database) } },
                           batch.count)
            }
            try await settle()
            upload.status = .completed
            upload.finishedAt = Date()
            upload.content = nil
            try await upload.save(on: database)
            app.logger.info("bulk upload \(uploadID): \(upload.created) created, \(upload.skipped) skipped, \(upload.failed) failed of \(upload.total)")
        } catch is CancellationError {
            app.logger.info("bulk upload \(uploadID) paused by shutdown; it resumes on the next start")
        } catch {
            app.logger.report(error: error)
            if let upload = try? await BulkUpload.find(uploadID, on: database) {
                upload.status = .failed
                upload.failure = "The upload stopped on a server error; the rows counted as created are stored. Send the file again to finish it."
                upload.finishedAt = Date()
                try? await upload.save(on: database)
            }
        }
    }

    struct Outcome { var created = 0, skipped = 0, failed = 0 }

    /// A row with what its account needs made up front: its id, activation token and message.
    struct PreparedRow: Sendable {
        var row: OnboardingSheet.Row
        var id: UUID
        var activationTokenHash: String
        var message: (subject: String, body: String)
    }

    private static func prepare(_ rows: ArraySlice<OnboardingSheet.Row>, for organisation: Organisation, publicURL: String) -> [PreparedRow] {
        rows.map { row in
            let user = User()
            user.id = UUID()
            user.name = row.name
            user.email = row.email
            let token = SecretToken.make()
            let message = ActivationMessage(user: user, organisationName: organisation.name, token: token, publicURL: publicURL).record()
            return PreparedRow(row: row, id: user.id!, activationTokenHash: SecretToken.hash(token), message: (message.subject, message.body))
        }
    }

    private static func onboard(_ rows: [PreparedRow], into organisationID: UUID, upload: UUID, activationExpiry: Date,
                                on database: any Database) async throws -> Outcome {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            let existingByEmail = try await BulkPeople.existing(emails: rows.map(\.row.email), on: sql)
            let taken = try await BulkPeople.takenEmployeeIds(rows.compactMap(\.row.employeeId), in: organisationID, on: sql)

            var outcome = Outcome()
            var tally = RollupTally()
            guard let organisation = try await Organisation.find(organisationID, on: database) else { throw Problem.notFound("organisation") }
            var errors: [OnboardingSheet.RowError] = []
            var people: [BulkPeople.Pending] = []
            let now = Date()
            for prepared in rows {
                let row = prepared.row
                if let found = existingByEmail[row.email] {
                    if found.organisation_id == organisationID {
                        // Already here: created by this very upload before a restart, or onboarded earlier.
                        if found.bulk_upload_id == upload { outcome.created += 1 } else {
                            outcome.skipped += 1
                            errors.append(.init(line: row.line, column: "email", .alreadyInOrganisation(email: row.email)))
                        }
                    } else {
                        outcome.failed += 1
                        errors.append(.init(line: row.line, column: "email", .emailRegistered(email: row.email)))
                    }
                    continue
                }
                if let employeeId = row.employeeId, taken.contains(employeeId) {
                    outcome.failed += 1
                    errors.append(.init(line: row.line, column: "employee_id", .employeeIdUsed(id: employeeId)))
                    continue
                }
                people.append(.init(id: prepared.id, name: row.name, email: row.email, phone: row.phone, employeeId: row.employeeId,
                                    designation: row.designation, stateCode: row.stateCode, districtCode: row.districtCode, language: row.language,
                                    activationTokenHash: prepared.activationTokenHash, message: prepared.message))
                outcome.created += 1
                tally.add(RollupCounters(registrations: 1),
                          place: LearnerPlace(organisationPath: organisation.path, userState: row.stateCode, userDistrict: row.districtCode,
                                              organisationState: organisation.stateCode, organisationDistrict: organisation.districtCode), day: IndiaDay.of(now))
            }
            try await BulkPeople.create(people, in: organisationID, upload: upload, activationExpiry: activationExpiry, at: now, on: sql)
            try await insertErrors(errors, upload: upload, on: sql)
            try await Rollups.write(tally, on: database)
            return outcome
        }
    }

    private static func insertErrors(_ errors: [OnboardingSheet.RowError], upload: UUID, on sql: any SQLDatabase) async throws {
        for start in stride(from: 0, to: errors.count, by: 2000) {
            var insert = sql.insert(into: "bulk_upload_errors").columns("upload_id", "line", "column_name", "reason", "code", "details")
            for error in errors[start..<min(start + 2000, errors.count)] {
                let details = error.values.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
                insert = insert.values(SQLBind(upload), SQLBind(error.line), SQLBind(error.column), SQLBind(error.reason), SQLBind(error.code), SQLBind(details))
            }
            try await insert.run()
        }
    }
}

/// An upload is a job (`Jobs`): one node of the cluster works through it, and another finishes it if that node stops.
enum OnboardingJobs {
    static let kind = "onboarding"

    static func register(on app: Application) {
        app.jobs.register(kind) { uploadID, hint, app in
            await Onboarding.run(uploadID, sheet: hint as? OnboardingSheet, app: app)
        }
    }
}

/// Puts back in the queue any upload left unfinished without a job (stored before uploads were jobs, or whose job
/// ended while the upload did not), once the server has started.
struct OnboardingLifecycle: LifecycleHandler {
    func didBootAsync(_ application: Application) async throws {
        // Their ids only: an unfinished upload still holds its file.
        let unfinished = try await BulkUpload.query(on: application.db).filter(\.$status ~~ [.queued, .running]).all(\.$id)
        for uploadID in unfinished {
            try await Jobs.enqueue(OnboardingJobs.kind, subject: uploadID, at: application.clock.now(), on: application.db)
        }
        if !unfinished.isEmpty { application.jobs.wake() }
    }
}
