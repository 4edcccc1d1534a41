import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// One sitting of a batch, in a room or online, and the ledger of who attended it: how (a scan of the code the
/// trainer's phone shows, a trainer's mark with a reason, a row of an uploaded sheet), when, and by whom.
final class ProgrammeSession: Model, @unchecked Sendable {
    static let schema = "programme_sessions"

    @ID(key: .id) var id: UUID?
    @Field(key: "batch_id") var batchID: UUID
    @Field(key: "title") var title: String
    @Field(key: "starts_at") var startsAt: Date
    @Field(key: "ends_at") var endsAt: Date
    @OptionalField(key: "venue") var venue: String?
    @OptionalField(key: "online_url") var onlineURL: String?
    /// The key the session's attendance codes are made from; never shown.
    @Field(key: "secret") var secret: String
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var tokens: AttendanceToken { AttendanceToken(secret: secret) }
    /// The code is shown, and scans are taken, from a quarter of an hour before the start to a quarter after the end.
    func isOpen(at now: Date) -> Bool { now >= startsAt.addingTimeInterval(-15 * 60) && now <= endsAt.addingTimeInterval(15 * 60) }
}

struct CreateProgrammeSessions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("programme_sessions")
            .id()
            .field("batch_id", .uuid, .required)
            .field("title", .string, .required)
            .field("starts_at", .datetime, .required)
            .field("ends_at", .datetime, .required)
            .field("venue", .string)
            .field("online_url", .string)
            .field("secret", .string, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.index("programme_sessions_batch", on: "programme_sessions", columns: ["batch_id", "starts_at"])
        try await database.schema("programme_attendance")
            .field("session_id", .uuid, .required)
            .field("user_id", .uuid, .required)
            .field("how", .string, .required)
            .field("at", .datetime, .required)
            .field("by_user", .uuid, .required)
            .field("reason", .string)
            .compositeIdentifier(over: "session_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        for table in ["programme_attendance", "programme_sessions"] { try await database.schema(table).delete() }
    }
}

struct SessionInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case title, startsAt, endsAt, venue, onlineUrl }
    var title: String
    /// RFC 3339 (read here, so that a time it cannot read is named as the field).
    var startsAt: String
    var endsAt: String
    var venue: String?
    var onlineUrl: String?
}

struct SessionDTO: Content {
    var id: UUID
    var batchId: UUID
    var title: String
    var startsAt: Date
    var endsAt: Date
    var venue: String?
    var onlineUrl: String?
    var attended: Int
    /// Whether the signed-in person shows its code and marks attendance (its batch's trainers and the coordinators).
    var mayMark: Bool
}

struct AttendanceMarkInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case userId, reason }
    var userId: UUID
    var reason: String
}

struct ScanInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case token }
    var token: String
}

struct AttendanceCodeDTO: Content {
    var sessionId: UUID
    var token: String
    /// What the QR code holds: a phone's camera opens it, and a signed-in learner's attendance is recorded.
    var url: String
    var expiresAt: Date
    var periodSeconds: Int
}

struct SessionAttendanceDTO: Content {
    var sessionId: UUID
    var userId: UUID
    var name: String?
    var how: String
    var at: Date
    var byUserId: UUID
    var reason: String?
}

struct SheetOutcome: Content {
    var sessionId: UUID
    var recorded: Int
    var alreadyRecorded: Int
}

extension Programmes {
    // MARK: Sessions

    /// The batch's trainers and the programme's coordinators show codes and mark attendance.
    static func mayMark(_ batch: ProgrammeBatch, programme: Programme, _ principal: Principal, on database: any Database) async throws -> Bool {
        if batch.trainerIDs.contains(principal.userID) { return true }
        return try await mayCoordinate(programme, principal, on: database)
    }

    static func createSession(in batchID: UUID, _ input: SessionInput, by principal: Principal, now: Date, on database: any Database) async throws -> ProgrammeSession {
        let batch = try await batch(batchID, on: database)
        _ = try await coordinated(batch.programmeID, by: principal, on: database)
        var problems: [FieldError] = []
        let session = ProgrammeSession()
        session.id = UUID()
        session.batchID = batchID
        session.title = input.title.trimmed
        if session.title.isEmpty || session.title.unicodeScalars.count > 200 { problems.append(FieldError("title", "is required, at most 200 characters")) }
        let starts = Formats.instant(input.startsAt), ends = Formats.instant(input.endsAt)
        if starts == nil { problems.append(FieldError("startsAt", "must be a time, RFC 3339 (2026-12-05T10:30:00+05:30)")) }
        if ends == nil { problems.append(FieldError("endsAt", "must be a time, RFC 3339 (2026-12-05T13:00:00+05:30)")) }
        if let starts, let ends {
            if ends <= starts { problems.append(FieldError("endsAt", "must be after startsAt")) }
            else if ends.timeIntervalSince(starts) > 12 * 3600 { problems.append(FieldError("endsAt", "a session lasts at most 12 hours")) }
            if !batch.days.range.contains(IndiaDay.of(starts)) || !batch.days.range.contains(IndiaDay.of(ends)) {
                problems.append(FieldError("startsAt", "must be within the batch's days (\(IndiaDay.string(batch.startDay)) to \(IndiaDay.string(batch.endDay)))"))
            }
            session.startsAt = starts
            session.endsAt = ends
        }
        if let venue = input.venue?.trimmed, !venue.isEmpty {
            if venue.unicodeScalars.count > 500 { problems.append(FieldError("venue", "must be at most 500 characters")) }
            session.venue = venue
        }
        if let link = input.onlineUrl?.trimmed, !link.isEmpty {
            if !Contact.isWebAddress(link) {
                problems.append(FieldError("onlineUrl", "must be an http(s) address"))
            }
            session.onlineURL = link
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        session.secret = SecretToken.make()
        session.createdBy = principal.userID
        session.createdAt = now
        try await session.create(on: database)
        return session
    }

    static func sessions(of batchID: UUID, on database: any Database) async throws -> [ProgrammeSession] {
        _ = try await batch(batchID, on: database)
        return try await ProgrammeSession.query(on: database).filter(\.$batchID == batchID).sort(\.$startsAt).limit(500).all()
    }

    static func sessionDTOs(_ sessions: [ProgrammeSession], for principal: Principal, on database: any Database) async throws -> [SessionDTO] {
        guard let first = sessions.first else { return [] }
        let batch = try await batch(first.batchID, on: database)
        let mayMark = try await mayMark(batch, programme: try await find(batch.programmeID, on: database), principal, on: database)
        let sql = database as! any SQLDatabase
        let query = sql.select().column("session_id").column(SQLFunction("COUNT", args: SQLLiteral.all)).from("programme_attendance")
            .where("session_id", .in, SQLBind.group(sessions.map { $0.id! })).groupBy("session_id").query
        let counts = Dictionary(uniqueKeysWithValues: try await sql.rows(query) { cells in (try cells.id(0), try cells.int(1) ?? 0) })
        return sessions.map { session in
            SessionDTO(id: session.id!, batchId: session.batchID, title: session.title, startsAt: session.startsAt, endsAt: session.endsAt,
                       venue: session.venue, onlineUrl: session.onlineURL, attended: counts[session.id!] ?? 0, mayMark: mayMark)
        }
    }

    /// A session the signed-in person marks attendance for (its batch's trainers, the coordinators); others are told
    /// they may not, as the session itself is no secret to those signed in.
    private static func marked(_ id: UUID, by principal: Principal, on database: any Database) async throws -> (ProgrammeSession, ProgrammeBatch) {
        guard let session = try await ProgrammeSession.find(id, on: database) else { throw Problem.notFound("session") }
        let batch = try await batch(session.batchID, on: database)
        guard try await mayMark(batch, programme: try await find(batch.programmeID, on: database), principal, on: database) else {
            throw Problem(.forbidden, "Only the batch's trainers and the programme's coordinators may do this.")
        }
        return (session, batch)
    }

    static func attendanceCode(_ id: UUID, by principal: Principal, publicURL: String, now: Date, on database: any Database) async throws -> AttendanceCodeDTO {
        let (session, _) = try await marked(id, by: principal, on: database)
        guard session.isOpen(at: now) else {
            throw Problem(.conflict, "The code is shown from a quarter of an hour before the session to a quarter of an hour after it.")
        }
        let token = session.tokens.token(session: session.id!, at: now)
        return AttendanceCodeDTO(sessionId: session.id!, token: token, url: "\(publicURL)/attend?token=\(token)",
                                 expiresAt: AttendanceToken.expiry(at: now), periodSeconds: Int(AttendanceToken.period))
    }

    /// Whether the person holds a seat in the batch (enrolled, or completed).
    private static func holdsSeat(_ user: UUID, in batchID: UUID, on database: any Database) async throws -> Bool {
        try await seated([user], in: batchID, on: database).contains(user)
    }

    /// Those of these people who hold a seat in the batch (enrolled, or completed).
    static func seated(_ users: [UUID], in batchID: UUID, on database: any Database) async throws -> Set<UUID> {
        guard !users.isEmpty else { return [] }
        return Set(try await Nomination.query(on: database).filter(\.$batchID == batchID).filter(\.$userID ~~ Array(Set(users)))
            .filter(\.$status ~~ [.enrolled, .completed]).all(\.$userID))
    }

    /// A row of the attendance ledger, as written.
    struct AttendanceRow: Sendable {
        var session: UUID
        var user: UUID
        var how: String
        var at: Date
        var by: UUID
        var reason: String?
    }

    struct AttendanceKey: Hashable, Decodable {
        var session_id: UUID
        var user_id: UUID
    }

    /// Writes rows to the ledger, a statement per 500, in the caller's transaction: a person's row for a session is
    /// written once, and the first of two in one call wins. Answers which rows were new.
    static func insertAttendance(_ rows: [AttendanceRow], on database: any Database) async throws -> Set<AttendanceKey> {
        let sql = database as! any SQLDatabase
        var inserted = Set<AttendanceKey>()
        for start in stride(from: 0, to: rows.count, by: 500) {
            var insert = sql.insert(into: "programme_attendance").columns("session_id", "user_id", "how", "at", "by_user", "reason")
            for row in rows[start..<min(start + 500, rows.count)] {
                insert = insert.values(SQLBind(row.session), SQLBind(row.user), SQLBind(row.how), SQLBind(row.at), SQLBind(row.by), SQLBind(row.reason))
            }
            inserted.formUnion(try await insert.ignoringConflicts(with: ["session_id", "user_id"]).returning("session_id", "user_id").all(decoding: AttendanceKey.self))
        }
        return inserted
    }

    /// A learner's scan of the code shown: the token must be this platform's, for this session, of now or the window
    /// before; the learner must hold a seat in the session's batch (a code sent to someone elsewhere records nothing).
    /// Scans arriving together share a transaction (`AttendanceScan`).
    static func scan(_ token: String, by principal: Principal, app: Application) async throws -> SessionAttendanceDTO {
        let now = app.clock.now()
        guard token.utf8.count <= 200, let sessionID = token.split(separator: ".").first.flatMap({ UUIDText.parse(String($0)) }),
              let session = try await ProgrammeSession.find(sessionID, on: app.db)
        else { throw Problem.invalid("token", "is not an attendance code of this platform") }
        do {
            _ = try session.tokens.check(token, session: sessionID, at: now)
        } catch {
            switch error {
            case .forged: throw Problem.invalid("token", "is not an attendance code of this platform")
            case .otherSession: throw Problem.invalid("token", "is the code of another session")
            case .expired: throw Problem.invalid("token", "has expired: the code changes every \(Int(AttendanceToken.period)) seconds; scan the one shown now")
            }
        }
        switch try await app.scanCommits.commit(AttendanceScan(session: sessionID, batch: session.batchID, userID: principal.userID, at: now)) {
        case .noSeat: throw Problem(.forbidden, "You hold no seat in this session's batch; attendance is recorded for its participants only.")
        case .recordedAlready: throw recordedAlready
        case .recorded: return SessionAttendanceDTO(sessionId: sessionID, userId: principal.userID, name: nil, how: "scan", at: now, byUserId: principal.userID, reason: nil)
        }
    }

    private static var recordedAlready: Problem { Problem(.conflict, "This attendance is recorded already.") }

    /// The sessions among these that exist.
    static func existingSessions(_ ids: [UUID], on database: any Database) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        return Set(try await ProgrammeSession.query(on: database).filter(\.$id ~~ ids).all(\.$id))
    }

    /// The sessions among these that the person attended.
    static func attended(_ user: UUID, sessions: [UUID], on database: any Database) async throws -> Set<UUID> {
        guard !sessions.isEmpty else { return [] }
        struct Row: Decodable { var session_id: UUID }
        return Set(try await (database as! any SQLDatabase).select().column("session_id").from("programme_attendance")
            .where("user_id", .equal, SQLBind(user)).where("session_id", .in, SQLBind.group(sessions)).all(decoding: Row.self).map(\.session_id))
    }

    /// A trainer's mark with a reason, until seven days after the batch's last day.
    static func mark(_ id: UUID, _ input: AttendanceMarkInput, by principal: Principal, now: Date, on database: any Database) async throws -> SessionAttendanceDTO {
        let (session, batch) = try await marked(id, by: principal, on: database)
        let reason = input.reason.trimmed
        guard !reason.isEmpty, reason.unicodeScalars.count <= 1_000 else { throw Problem.invalid("reason", "is required (why the mark is made by hand), at most 1000 characters") }
        guard ManualMarks.allowed(today: IndiaDay.of(now), batchEnd: batch.endDay) else {
            throw Problem(.conflict, "Attendance is marked by hand until \(ManualMarks.daysAfterBatch) days after the batch ends (\(IndiaDay.string(batch.endDay + ManualMarks.daysAfterBatch))).")
        }
        guard now >= session.startsAt.addingTimeInterval(-15 * 60) else { throw Problem(.conflict, "The session has not begun.") }
        guard try await holdsSeat(input.userId, in: batch.id!, on: database) else { throw Problem.invalid("userId", "no participant of this batch has this id") }
        let mark = try await record(session.id!, user: input.userId, how: "manual", by: principal.userID, reason: reason, at: now, on: database)
        if IndiaDay.of(now) > batch.endDay { try await ProgrammeCompletions.recheck(batch.id!, on: database) }
        return mark
    }

    private static func record(_ session: UUID, user: UUID, how: String, by: UUID, reason: String?, at now: Date, on database: any Database) async throws -> SessionAttendanceDTO {
        let row = AttendanceRow(session: session, user: user, how: how, at: now, by: by, reason: reason)
        guard !(try await insertAttendance([row], on: database)).isEmpty else { throw recordedAlready }
        return SessionAttendanceDTO(sessionId: session, userId: user, name: nil, how: how, at: now, byUserId: by, reason: reason)
    }

    /// An uploaded sheet (`email` and optionally `reason`): every row a participant of the batch, or nothing is stored.
    static func uploadSheet(_ id: UUID, bytes: [UInt8], by principal: Principal, now: Date, on database: any Database) async throws -> SheetOutcome {
        let (session, batch) = try await marked(id, by: principal, on: database)
        guard ManualMarks.allowed(today: IndiaDay.of(now), batchEnd: batch.endDay) else {
            throw Problem(.conflict, "Attendance sheets are taken until \(ManualMarks.daysAfterBatch) days after the batch ends.")
        }
        let rows: [CSVReader.Row]
        do { rows = try CSVReader(bytes: bytes).rows() } catch {
            throw Problem(.unprocessableEntity, "The file cannot be read: line \(error.line): \(error.reason).", errors: [.init("file", "line \(error.line): \(error.reason)")])
        }
        guard let header = rows.first?.fields.map({ $0.trimmed.lowercased() }) else { throw Problem.invalid("file", "is empty; expected a header with email") }
        guard let emailColumn = header.firstIndex(of: "email") else { throw Problem.invalid("file", "line 1: the header must name the column email") }
        guard rows.count <= 10_001 else { throw Problem.invalid("file", "at most 10000 rows in one sheet") }
        let reasonColumn = header.firstIndex(of: "reason")
        let known = try await Users.ids(ofEmails: rows.dropFirst().compactMap { $0.fields.count == header.count ? Contact.email($0.fields[emailColumn]) : nil }, on: database)
        let seated = try await seated(Array(known.values), in: batch.id!, on: database)
        var errors: [FieldError] = []
        var present: [(user: UUID, reason: String?)] = []
        for row in rows.dropFirst() {
            guard row.fields.count == header.count else {
                errors.append(.init("file", "line \(row.line): has \(row.fields.count) columns, the header has \(header.count)")); continue
            }
            let text = row.fields[emailColumn].trimmed
            guard let user = Contact.email(text).flatMap({ known[$0] }), seated.contains(user) else {
                errors.append(.init("email", "line \(row.line): no participant of this batch has the e-mail address '\(text)'")); continue
            }
            let reason = reasonColumn.map { row.fields[$0].trimmed }.flatMap { $0.isEmpty ? nil : String($0.unicodeScalars.prefix(1_000)) }
            present.append((user, reason))
        }
        if errors.isEmpty && present.isEmpty { errors.append(.init("file", "has no rows after the header")) }
        if !errors.isEmpty {
            throw Problem(.unprocessableEntity, "The sheet has \(errors.count) problem\(errors.count == 1 ? "" : "s"); nothing was stored.", errors: Array(errors.prefix(1_000)))
        }
        let rowsToStore = present.map { AttendanceRow(session: session.id!, user: $0.user, how: "sheet", at: now, by: principal.userID, reason: $0.reason) }
        return try await database.transaction { database in
            let recorded = try await insertAttendance(rowsToStore, on: database).count
            if IndiaDay.of(now) > batch.endDay { try await ProgrammeCompletions.recheck(batch.id!, on: database) }
            return SheetOutcome(sessionId: session.id!, recorded: recorded, alreadyRecorded: rowsToStore.count - recorded)
        }
    }

    /// A session's ledger: all of it for its markers; one's own row for a participant.
    static func attendance(of id: UUID, by principal: Principal, on database: any Database) async throws -> [SessionAttendanceDTO] {
        guard let session = try await ProgrammeSession.find(id, on: database) else { throw Problem.notFound("session") }
        let batch = try await batch(session.batchID, on: database)
        let everyone = try await mayMark(batch, programme: try await find(batch.programmeID, on: database), principal, on: database)
        let sql = database as! any SQLDatabase
        var query = sql.select().columns("user_id", "how", "at", "by_user", "reason").from("programme_attendance").where("session_id", .equal, SQLBind(id))
        if !everyone { query = query.where("user_id", .equal, SQLBind(principal.userID)) }
        let rows = try await sql.rows(query.orderBy("at").limit(10_000).query) { cells in
            SessionAttendanceDTO(sessionId: id, userId: try cells.id(0), name: nil, how: try cells.string(1) ?? "", at: try cells.date(2) ?? .distantPast,
                                 byUserId: try cells.id(3), reason: try cells.string(4))
        }
        let names = try await Users.named(rows.map(\.userId), on: database)
        return rows.map { row in
            var row = row
            row.name = names[row.userId]?.name
            return row
        }
    }
}
