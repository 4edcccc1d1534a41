import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// `karmayogi programmes verify`: nominations and enrolments agree. Nobody approved is left without the enrolments
/// their seat gives (or waits while a seat is free), nobody withdrawn or rejected is still enrolled by the batch, and
/// each batch's count of seats taken is its seat-holders.
enum ProgrammeCheck {
    struct Finding: CustomStringConvertible, Sendable {
        var kind: String
        var nomination: UUID?
        var batch: UUID
        var detail: String
        var description: String { "\(kind): batch \(batch)" + (nomination.map { ", nomination \($0)" } ?? "") + " — \(detail)" }
    }

    static func run(on database: any Database, progress: (Int, Int) -> Void = { _, _ in }) async throws -> (batches: Int, nominations: Int, findings: [Finding]) {
        let sql = database as! any SQLDatabase
        let programmes = Dictionary(uniqueKeysWithValues: try await Programme.query(on: database).all().map { ($0.id!, $0) })
        let batches = try await ProgrammeBatch.query(on: database).all()
        var findings: [Finding] = []
        var checked = 0
        for (index, batch) in batches.enumerated() {
            progress(index, batches.count)
            let nominations = try await Nomination.query(on: database).filter(\.$batchID == batch.id!).all()
            checked += nominations.count
            let courses = programmes[batch.programmeID]?.courseIDs ?? []
            let states = try await Enrolments.states(of: nominations.map(\.userID), on: sql)
            let holders = nominations.filter { $0.status.holdsSeat }
            if holders.count != batch.taken {
                findings.append(Finding(kind: "seats", nomination: nil, batch: batch.id!, detail: "\(batch.taken) seats counted taken, \(holders.count) people hold one"))
            }
            for nomination in nominations {
                switch nomination.status {
                case .enrolled:
                    for course in courses where states["\(nomination.userID)/\(course)"].map({ $0.status == .left }) ?? true {
                        findings.append(Finding(kind: "approved but not enrolled", nomination: nomination.id!, batch: batch.id!,
                                                detail: "holds a seat but is not enrolled in course \(course)"))
                    }
                case .approved where holders.count < batch.seats:
                    findings.append(Finding(kind: "approved but not enrolled", nomination: nomination.id!, batch: batch.id!,
                                            detail: "waits while \(batch.seats - holders.count) seats are free"))
                case .rejected, .withdrawn:
                    // Enrolled by the batch and still under way, unchanged since they left it (not a return of their own).
                    for course in nomination.enrolledCourseIDs {
                        guard let state = states["\(nomination.userID)/\(course)"], state.status == .active,
                              (state.updatedAt ?? .distantPast) <= nomination.updatedAt else { continue }
                        findings.append(Finding(kind: "enrolled but not approved", nomination: nomination.id!, batch: batch.id!,
                                                detail: "\(nomination.status.rawValue), still enrolled by the batch in course \(course)"))
                    }
                default: break
                }
            }
        }
        progress(batches.count, batches.count)
        return (batches.count, checked, findings)
    }
}

struct ProgrammesCommand: AsyncCommand {
    /// `karmayogi programmes verify`.
    static let name = "programmes"

    struct Signature: CommandSignature {
        @Argument(name: "action", help: "verify") var action: String
    }

    var help: String { "Checks that nominations and enrolments agree (verify): none approved but not enrolled, none enrolled but not approved." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "verify" else { throw Problem(.badRequest, "say verify") }
        let console = context.console
        let started = Date()
        let report = try await ProgrammeCheck.run(on: context.application.db) { done, total in
            console.output("\r\(GenerateCommand.bar(done, of: total)) \(done)/\(total) batches".consoleText(), newLine: false)
        }
        console.print("")
        for finding in report.findings.prefix(1_000) { console.print(finding.description) }
        let elapsed = String(format: "%.1f", Date().timeIntervalSince(started))
        console.print("Checked \(report.batches) batches, \(report.nominations) nominations, in \(elapsed) s: "
            + (report.findings.isEmpty ? "nominations and enrolments agree." : "\(report.findings.count) problems."))
        if !report.findings.isEmpty { throw Problem(.conflict, "nominations and enrolments disagree (see above)") }
    }
}
