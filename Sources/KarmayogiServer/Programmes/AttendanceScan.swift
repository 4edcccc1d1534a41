import Fluent
import Foundation
import Vapor

/// A checked scan of a session's code, waiting for its transaction: scans that arrive together (a hall of people
/// scanning the code on the screen at once) are recorded together, a statement for the seats and one for the ledger.
struct AttendanceScan: GroupedWrite {
    enum Outcome: Sendable {
        case recorded
        case recordedAlready
        case noSeat
    }

    static let name = "attendance scans"

    var session: UUID
    var batch: UUID
    var userID: UUID
    var at: Date

    /// Each scan is recorded if the person holds a seat in the batch (enrolled, or completed) and has no row for the
    /// session yet; a person scanning twice in one group is recorded once.
    static func apply(group: [AttendanceScan], app: Application, on database: any Database) async throws -> [Outcome] {
        struct Seat: Hashable { var batch: UUID; var user: UUID }
        var seated = Set<Seat>()
        for (batch, scans) in Dictionary(grouping: group, by: \.batch) {
            for user in try await Programmes.seated(scans.map(\.userID), in: batch, on: database) { seated.insert(Seat(batch: batch, user: user)) }
        }
        var inserted = try await Programmes.insertAttendance(group.filter { seated.contains(Seat(batch: $0.batch, user: $0.userID)) }.map {
            Programmes.AttendanceRow(session: $0.session, user: $0.userID, how: "scan", at: $0.at, by: $0.userID, reason: nil)
        }, on: database)
        return group.map { scan in
            guard seated.contains(Seat(batch: scan.batch, user: scan.userID)) else { return .noSeat }
            // The first scan of a pair in one group takes the row; the second finds it taken.
            return inserted.remove(Programmes.AttendanceKey(session_id: scan.session, user_id: scan.userID)) != nil ? .recorded : .recordedAlready
        }
    }
}

extension Application {
    private struct ScanCommitsKey: StorageKey { typealias Value = GroupCommit<AttendanceScan> }

    /// Made once by `configure`.
    var scanCommits: GroupCommit<AttendanceScan> {
        get { storage[ScanCommitsKey.self]! }
        set { storage[ScanCommitsKey.self] = newValue }
    }
}
