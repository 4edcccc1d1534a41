import Fluent
import Foundation
import SQLKit
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
        let sql = database as! any SQLDatabase
        struct Seat: Hashable { var batch: UUID; var user: UUID }
        var seated = Set<Seat>()
        for (batch, scans) in Dictionary(grouping: group, by: \.batch) {
            let users = Array(Set(scans.map(\.userID)))
            for user in try await Nomination.query(on: database).filter(\.$batchID == batch).filter(\.$userID ~~ users)
                .filter(\.$status ~~ [.enrolled, .completed]).all(\.$userID) {
                seated.insert(Seat(batch: batch, user: user))
            }
        }
        struct Row: Hashable, Decodable { var session_id: UUID; var user_id: UUID }
        let kept = group.filter { seated.contains(Seat(batch: $0.batch, user: $0.userID)) }
        var inserted = Set<Row>()
        if !kept.isEmpty {
            var insert = sql.insert(into: "programme_attendance").columns("session_id", "user_id", "how", "at", "by_user", "reason")
            for scan in kept {
                insert = insert.values(SQLBind(scan.session), SQLBind(scan.userID), SQLBind("scan"), SQLBind(scan.at), SQLBind(scan.userID), SQLBind(String?.none))
            }
            inserted = Set(try await insert.ignoringConflicts(with: ["session_id", "user_id"]).returning("session_id", "user_id").all(decoding: Row.self))
        }
        return group.map { scan in
            guard seated.contains(Seat(batch: scan.batch, user: scan.userID)) else { return .noSeat }
            // The first scan of a pair in one group takes the row; the second finds it taken.
            return inserted.remove(Row(session_id: scan.session, user_id: scan.userID)) != nil ? .recorded : .recordedAlready
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
