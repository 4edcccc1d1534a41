import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Talks, webinars and workshops: who may run them, registration within capacity, the join log, check-in codes,
/// attendance sheets, and deciding attendance after the end.
enum Events {
    /// The roles that organise events for an organisation (besides national admins, and State admins in its State).
    private static let organiserRoles: [Role] = [.mdoAdmin, .cbpAdmin, .programmeCoordinator, .contentPublisher, .stateAdmin, .nationalAdmin]

    static func mayOrganise(for placement: Placement, _ principal: Principal) -> Bool {
        principal.access.isNationalAdmin || organiserRoles.contains { principal.access.holds($0, on: placement) }
    }

    static func mayManage(_ event: Event, _ principal: Principal, on database: any Database) async throws -> Bool {
        if principal.access.isNationalAdmin || event.createdBy == principal.userID { return true }
        guard let organiser = try? await Organisations.visible(event.organiserID, to: principal, on: database) else { return false }
        return mayOrganise(for: organiser.placement, principal)
    }

    /// Events are public to everyone signed in.
    static func find(_ id: UUID, on database: any Database) async throws -> Event {
        guard let event = try await Event.find(id, on: database) else { throw Problem.notFound("event") }
        return event
    }

    static func managed(_ id: UUID, by principal: Principal, on database: any Database) async throws -> Event {
        let event = try await find(id, on: database)
        guard try await mayManage(event, principal, on: database) else { throw Problem(.forbidden, "Only the event's organisers may do this.") }
        return event
    }

    static func existing(_ ids: [UUID], on database: any Database) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        return Set(try await Event.query(on: database).filter(\.$id ~~ Set(ids)).all(\.$id))
    }

    /// Scheduled events anyone may register for that start after `now`, soonest first (at most `limit`).
    static func upcomingOpen(after now: Date, limit: Int, on database: any Database) async throws -> [Event] {
        try await Event.query(on: database).filter(\.$status == .scheduled).filter(\.$registration == .open)
            .filter(\.$startsAt > now).sort(\.$startsAt).limit(limit).all()
    }

    /// The recordings (published courses) of these events.
    static func recordings(of ids: [UUID], on database: any Database) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        return Set(try await Event.query(on: database).filter(\.$id ~~ Set(ids)).filter(\.$recordingCourseID != nil).all().compactMap(\.recordingCourseID))
    }

    static func phase(of event: Event, at now: Date) -> String {
        if event.status == .cancelled { return "cancelled" }
        if now < event.doorsOpen { return "upcoming" }
        return now < event.endsAt ? "open" : "ended"
    }

    // MARK: Making and changing

    static func create(_ input: EventInput, by principal: Principal, now: Date, on database: any Database) async throws -> Event {
        let event = Event()
        event.id = UUID()
        event.createdBy = principal.userID
        event.createdAt = now
        event.registered = 0
        event.secret = SecretToken.make()
        event.status = .scheduled
        event.needsSettling = false
        event.titleHi = ""
        event.speakers = "[]"
        event.competencies = "[]"
        event.description = ""
        event.registration = .open
        try await apply(input, to: event, creating: true, by: principal, now: now, on: database)
        try await event.create(on: database)
        return event
    }

    static func update(_ id: UUID, with input: EventInput, by principal: Principal, now: Date, on database: any Database) async throws -> Event {
        let event = try await managed(id, by: principal, on: database)
        guard event.settledAt == nil else { throw Problem(.conflict, "Attendance at this event has been decided; it no longer changes (a recording may still be linked).") }
        try await apply(input, to: event, creating: false, by: principal, now: now, on: database)
        try await event.update(on: database)
        return event
    }

    /// Links the recording (a published course) after the event; the only change an event takes once attendance is decided.
    static func linkRecording(_ id: UUID, course: UUID, by principal: Principal, now: Date, on database: any Database) async throws -> Event {
        let event = try await managed(id, by: principal, on: database)
        guard try await Courses.publishedVersion(of: course, on: database) != nil else {
            throw Problem.invalid("recordingCourseId", "no published course has this id; publish the recording as a course first")
        }
        event.recordingCourseID = course
        event.updatedAt = now
        try await event.update(on: database)
        return event
    }

    private static func apply(_ input: EventInput, to event: Event, creating: Bool, by principal: Principal, now: Date, on database: any Database) async throws {
        var problems: [FieldError] = []
        if creating {
            for (field, missing) in [("title", input.title == nil), ("kind", input.kind == nil), ("startsAt", input.startsAt == nil),
                                     ("endsAt", input.endsAt == nil), ("organiserId", input.organiserId == nil)] where missing {
                problems.append(FieldError(field, "is required"))
            }
            if !problems.isEmpty { throw Problem.invalid(problems) }
        }
        if let title = input.title?.trimmed {
            if title.isEmpty || title.unicodeScalars.count > 200 { problems.append(FieldError("title", "is required, at most 200 characters")) }
            event.title = title
        }
        if let title = input.titleHi?.trimmed {
            if title.unicodeScalars.count > 200 { problems.append(FieldError("titleHi", "must be at most 200 characters")) }
            event.titleHi = title
        }
        if let kind = input.kind { event.kind = kind }
        if let speakers = input.speakers {
            if speakers.count > 20 { problems.append(FieldError("speakers", "at most 20 speakers")) }
            for (index, speaker) in speakers.enumerated() where speaker.name.trimmed.isEmpty || speaker.name.unicodeScalars.count > 200 || (speaker.role?.unicodeScalars.count ?? 0) > 200 {
                problems.append(FieldError("speakers[\(index)].name", "is required, at most 200 characters (a role too)"))
            }
            event.speakers = String(decoding: try JSONEncoder.api.encode(speakers.map { EventSpeaker(name: $0.name.trimmed, role: $0.role?.trimmed) }), as: UTF8.self)
        }
        if let description = input.description {
            if description.unicodeScalars.count > 10_000 { problems.append(FieldError("description", "must be at most 10000 characters")) }
            event.description = description.trimmed
        }
        if let claims = input.competencies {
            let (current, retired) = try await Competencies.states(of: claims.map(\.competencyId), on: database)
            problems += RoleRequirement.problems(claims, current: current, retired: retired).map { FieldError(EventInput.Fields.competencies.stringValue + ($0.field.isEmpty ? "" : ".\($0.field)"), $0.reason) }
            event.competencies = String(decoding: try JSONEncoder.api.encode(claims), as: UTF8.self)
        }
        for (field, text) in [("startsAt", input.startsAt), ("endsAt", input.endsAt)] {
            guard let text else { continue }
            guard let time = Formats.instant(text), time.timeIntervalSince1970 > 0, time.timeIntervalSince1970 < 32_503_680_000 else {
                problems.append(FieldError(field, "must be a time, RFC 3339 (2026-12-05T10:30:00+05:30), in the years 1970–2999"))
                continue
            }
            if field == "startsAt" { event.startsAt = time } else { event.endsAt = time }
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        if input.startsAt != nil || input.endsAt != nil {
            if event.endsAt <= event.startsAt { problems.append(FieldError("endsAt", "must be after startsAt")) }
            else if event.endsAt.timeIntervalSince(event.startsAt) > 7 * 86_400 { problems.append(FieldError("endsAt", "an event lasts at most 7 days")) }
            if creating, event.endsAt <= now { problems.append(FieldError("endsAt", "is in the past")) }
        }
        if let capacity = input.capacity {
            if capacity < 1 || capacity > 10_000_000 { problems.append(FieldError("capacity", "must be from 1 to 10000000")) }
            else if capacity < event.registered { problems.append(FieldError("capacity", "\(event.registered) people are registered already")) }
            event.capacity = capacity
        }
        if let link = input.onlineUrl {
            let trimmed = link.trimmed
            if !trimmed.isEmpty, !Contact.isWebAddress(trimmed) {
                problems.append(FieldError("onlineUrl", "must be an http(s) address"))
            }
            event.onlineURL = trimmed.isEmpty ? nil : trimmed
        }
        if let venue = input.venue {
            if venue.unicodeScalars.count > 500 { problems.append(FieldError("venue", "must be at most 500 characters")) }
            event.venue = venue.trimmed.isEmpty ? nil : venue.trimmed
        }
        if input.stateCode != nil || input.districtCode != nil {
            let place = Geography.reference.venue(stateCode: input.stateCode ?? event.stateCode, districtCode: input.districtCode)
            problems += place.problems
            event.stateCode = place.stateCode
            if let district = input.districtCode { event.districtCode = district }
        }
        if event.onlineURL == nil && event.venue == nil { problems.append(FieldError("onlineUrl", "give an online link or a venue (or both)")) }
        if let registration = input.registration { event.registration = registration }
        if let rule = input.attendanceRule {
            event.ruleKind = rule.kind
            event.ruleMinutes = rule.kind == .minutes ? (rule.minutes ?? 0) : 0
        } else if creating {
            event.ruleKind = .minutes
            event.ruleMinutes = max(1, event.minutes / 2)
        }
        if event.endsAt > event.startsAt, let problem = event.rule.problem(eventMinutes: event.minutes) { problems.append(problem) }
        if let organiser = input.organiserId {
            if let found = try? await Organisations.visible(organiser, to: principal, on: database), mayOrganise(for: found.placement, principal) {
                event.organiserID = organiser
            } else {
                problems.append(FieldError("organiserId", "no organisation for which you organise events has this id"))
            }
        }
        if let course = input.recordingCourseId {
            if try await Courses.publishedVersion(of: course, on: database) == nil {
                problems.append(FieldError("recordingCourseId", "no published course has this id"))
            }
            event.recordingCourseID = course
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        event.updatedAt = now
    }

    static func cancel(_ id: UUID, by principal: Principal, now: Date, on database: any Database) async throws -> Event {
        let event = try await managed(id, by: principal, on: database)
        guard now < event.endsAt, event.status == .scheduled else { throw Problem(.conflict, "Only an event that has not ended can be cancelled.") }
        event.status = .cancelled
        event.updatedAt = now
        try await event.update(on: database)
        return event
    }

    // MARK: Reading

    static func dtos(_ events: [Event], for principal: Principal, now: Date, on database: any Database) async throws -> [EventDTO] {
        let sql = database as! any SQLDatabase
        let ids = events.compactMap(\.id)
        let names = try await Organisations.names(events.map(\.organiserID), on: database)
        var mine: [UUID: String] = [:]
        var attendance: [UUID: AttendanceDTO] = [:]
        if !ids.isEmpty {
            let registrations = try await sql.rows(sql.select().columns("event_id", "how").from("event_registrations")
                .where("user_id", .equal, SQLBind(principal.userID)).where("event_id", .in, SQLBind.group(ids)).query) { (try $0.id(0), try $0.string(1) ?? "") }
            for (event, how) in registrations { mine[event] = how }
            for row in try await attendanceRows(events: ids, user: principal.userID, on: sql) { attendance[row.eventID] = row.dto }
        }
        var dtos: [EventDTO] = []
        for event in events {
            dtos.append(EventDTO(id: event.id!, title: event.title, titleHi: event.titleHi, kind: event.kind, speakers: event.speakerList,
                                 description: event.description, competencies: event.claims, startsAt: event.startsAt, endsAt: event.endsAt,
                                 capacity: event.capacity, registered: event.registered, online: event.onlineURL != nil, venue: event.venue,
                                 stateCode: event.stateCode, districtCode: event.districtCode, registration: event.registration,
                                 attendanceRule: .init(kind: event.ruleKind, minutes: event.ruleKind == .minutes ? event.ruleMinutes : nil),
                                 organiserId: event.organiserID, organiserName: names[event.organiserID], status: event.status,
                                 phase: phase(of: event, at: now), recordingCourseId: event.recordingCourseID, settledAt: event.settledAt,
                                 myRegistration: mine[event.id!], myAttendance: attendance[event.id!],
                                 mayManage: try await mayManage(event, principal, on: database)))
        }
        return dtos
    }

    /// Events in time order from `from` (default: now less a day), or before `before` going back; `mine=true` for those
    /// the person registered for.
    static func list(from: Date?, to: Date?, mine: Bool, page: PageRequest, for principal: Principal, now: Date, on database: any Database) async throws -> Page<EventDTO> {
        var query = Event.query(on: database)
        let start = from ?? now.addingTimeInterval(-86_400)
        query = query.filter(\.$endsAt >= start)
        if let to { query = query.filter(\.$startsAt < to) }
        if mine {
            let sql = database as! any SQLDatabase
            let ids = try await sql.rows(sql.select().column("event_id").from("event_registrations").where("user_id", .equal, SQLBind(principal.userID)).query) { try $0.id(0) }
            query = query.filter(\.$id ~~ ids)
        }
        if let cursor = page.cursor, let seconds = Double(cursor.key) {
            let at = Date(timeIntervalSince1970: seconds)
            query = query.group(.or) { group in
                group.filter(\.$startsAt > at)
                group.group(.and) { $0.filter(\.$startsAt == at).filter(\.$id > cursor.id) }
            }
        }
        let rows = try await query.sort(\.$startsAt).sort(\.$id).limit(page.limit + 1).all()
        let (shown, next) = page.slice(rows, key: { String($0.startsAt.timeIntervalSince1970) }, id: { $0.id! })
        return Page(items: try await dtos(shown, for: principal, now: now, on: database), nextCursor: next)
    }

    // MARK: Registration, joining, check-in

    /// Registers the principal, or (with `userIds`) nominates people: the organisers may nominate anyone, an MDO admin
    /// the people in reach. Within capacity, before the end.
    static func register(_ id: UUID, nominating userIDs: [UUID]?, by principal: Principal, now: Date, on database: any Database) async throws -> [RegistrationDTO] {
        let event = try await find(id, on: database)
        guard event.status == .scheduled else { throw Problem(.conflict, "This event was cancelled.") }
        guard now < event.endsAt else { throw Problem(.conflict, "This event has ended; registration is closed.") }
        let people: [UUID]
        let how: String
        if let userIDs {
            guard !userIDs.isEmpty, userIDs.count <= 1_000 else { throw Problem.invalid("userIds", "name from 1 to 1000 people") }
            people = Array(NSOrderedSet(array: userIDs)) as! [UUID]
            how = "nominated"
            let organiser = try await mayManage(event, principal, on: database)
            let places = try await Rollups.places(of: people, on: database as! any SQLDatabase)
            var problems: [FieldError] = []
            for (index, user) in userIDs.enumerated() {
                guard let place = places[user], organiser || principal.access.allows(.manageUsers, on: Placement(organisationPath: place.organisationPath, stateCodes: Set([place.stateCode].compactMap { $0 })))
                else { problems.append(FieldError("userIds[\(index)]", "no person you may nominate has this id")); continue }
            }
            if !problems.isEmpty { throw Problem.invalid(problems) }
        } else {
            guard event.registration == .open else {
                throw Problem(.forbidden, "This event is by nomination: your MDO admin or the organisers nominate people for it.")
            }
            people = [principal.userID]
            how = "registered"
        }
        return try await database.transaction { database in
            let sql = database as! any SQLDatabase
            var results: [RegistrationDTO] = []
            for user in people {
                let inserted = try await sql.insert(into: "event_registrations").columns("event_id", "user_id", "how", "by_user", "at")
                    .values(SQLBind(id), SQLBind(user), SQLBind(how), SQLBind(principal.userID), SQLBind(now))
                    .ignoringConflicts(with: ["event_id", "user_id"]).returning("user_id").all()
                guard !inserted.isEmpty else {
                    results.append(RegistrationDTO(eventId: id, userId: user, how: how, outcome: "already registered"))
                    continue
                }
                // A seat is taken by the one statement that finds one free, so concurrent registrations never pass the capacity.
                let seat = try await sql.raw("""
                    UPDATE \(ident: Event.schema) SET \(ident: "registered") = \(ident: "registered") + 1
                    WHERE \(ident: "id") = \(bind: id) AND (\(ident: "capacity") IS NULL OR \(ident: "registered") < \(ident: "capacity")) RETURNING \(ident: "id")
                    """).all()
                guard !seat.isEmpty else {
                    throw Problem(.conflict, "This event is full: all \(event.capacity ?? 0) seats are taken" + (people.count > 1 ? "; nobody of this list was registered." : "."))
                }
                results.append(RegistrationDTO(eventId: id, userId: user, how: how, outcome: "registered"))
            }
            return results
        }
    }

    private static func isRegistered(_ user: UUID, for event: UUID, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.select().column("user_id").from("event_registrations").where("event_id", .equal, SQLBind(event))
            .where("user_id", .equal, SQLBind(user)).first() != nil
    }

    /// Hands a registered person the live link and records when they opened it (their presence runs until they leave or
    /// the event ends).
    static func join(_ id: UUID, by principal: Principal, now: Date, on database: any Database) async throws -> JoinDTO {
        let event = try await find(id, on: database)
        let sql = database as! any SQLDatabase
        guard event.status == .scheduled else { throw Problem(.conflict, "This event was cancelled.") }
        guard try await isRegistered(principal.userID, for: id, on: sql) else {
            throw Problem(.forbidden, "You are not registered for this event; register first" + (event.registration == .nomination ? " (it is by nomination)." : "."))
        }
        guard let url = event.onlineURL else { throw Problem(.conflict, "This event is at a venue, not online: check in there with the code shown.") }
        guard now >= event.doorsOpen else { throw Problem(.conflict, "The event opens 15 minutes before it starts, at \(Formats.iso(event.doorsOpen)).") }
        guard now < event.endsAt else { throw Problem(.conflict, "This event has ended.") }
        let open = try await sql.select().column("id").from("event_presence").where("event_id", .equal, SQLBind(id))
            .where("user_id", .equal, SQLBind(principal.userID)).where("to_at", .is, SQLLiteral.null).first()
        if open == nil {
            try await sql.insert(into: "event_presence").columns("id", "event_id", "user_id", "from_at", "source")
                .values(SQLBind(UUID()), SQLBind(id), SQLBind(principal.userID), SQLBind(now), SQLBind("link")).run()
        }
        return JoinDTO(eventId: id, url: url, joinedAt: now)
    }

    static func leave(_ id: UUID, by principal: Principal, now: Date, on database: any Database) async throws {
        let event = try await find(id, on: database)
        try await (database as! any SQLDatabase).update("event_presence").set("to_at", to: SQLBind(min(now, event.endsAt)))
            .where("event_id", .equal, SQLBind(id)).where("user_id", .equal, SQLBind(principal.userID)).where("to_at", .is, SQLLiteral.null).run()
    }

    static func checkIn(_ id: UUID, code: String, by principal: Principal, now: Date, on database: any Database) async throws {
        let event = try await find(id, on: database)
        let sql = database as! any SQLDatabase
        guard event.status == .scheduled else { throw Problem(.conflict, "This event was cancelled.") }
        guard try await isRegistered(principal.userID, for: id, on: sql) else { throw Problem(.forbidden, "You are not registered for this event.") }
        guard now >= event.doorsOpen, now < event.endsAt else { throw Problem(.conflict, "Check-in is open only while the event runs (from 15 minutes before it starts).") }
        guard let window = CheckInCode(secret: event.secret).accepts(code, at: now) else {
            throw Problem.invalid("code", "is not this event's current code: it may have expired (codes change every \(Int(CheckInCode.period / 60)) minutes) or belong to another event")
        }
        let inserted = try await sql.insert(into: "event_checkins").columns("event_id", "user_id", "at", "code_window")
            .values(SQLBind(id), SQLBind(principal.userID), SQLBind(now), SQLBind(window))
            .ignoringConflicts(with: ["event_id", "user_id"]).returning("user_id").all()
        guard !inserted.isEmpty else { throw Problem(.conflict, "You have already checked in to this event.") }
    }

    static func checkInCode(_ id: UUID, by principal: Principal, now: Date, on database: any Database) async throws -> CheckInCodeDTO {
        let event = try await managed(id, by: principal, on: database)
        guard event.status == .scheduled, now >= event.doorsOpen, now < event.endsAt else {
            throw Problem(.conflict, "The check-in code is shown only while the event runs (from 15 minutes before it starts).")
        }
        return CheckInCodeDTO(eventId: id, code: CheckInCode(secret: event.secret).code(at: now), expiresAt: CheckInCode.expiry(at: now),
                              periodSeconds: Int(CheckInCode.period))
    }

    // MARK: Attendance

    struct SheetResult: Content {
        var eventId: UUID
        var rows: Int
        var people: Int
    }

    /// A sheet of `email,joined_at,left_at` (times RFC 3339, or "YYYY-MM-DD HH:MM" in IST) of people present. Every bad row
    /// is named and then nothing is stored; a sheet after the end has attendance decided again for the people it names.
    static func uploadSheet(_ id: UUID, bytes: [UInt8], by principal: Principal, app: Application, now: Date, on database: any Database) async throws -> SheetResult {
        let event = try await managed(id, by: principal, on: database)
        guard event.status == .scheduled else { throw Problem(.conflict, "This event was cancelled.") }
        let rows: [CSVReader.Row]
        do { rows = try CSVReader(bytes: bytes).rows() } catch {
            throw Problem(.unprocessableEntity, "The file cannot be read: line \(error.line): \(error.reason).", errors: [.init("file", "line \(error.line): \(error.reason)")])
        }
        guard let header = rows.first?.fields.map({ $0.trimmed.lowercased() }) else { throw Problem.invalid("file", "is empty; expected email,joined_at,left_at") }
        guard let emailColumn = header.firstIndex(of: "email"), let joinedColumn = header.firstIndex(of: "joined_at"), let leftColumn = header.firstIndex(of: "left_at")
        else { throw Problem.invalid("file", "line 1: the header must name the columns email, joined_at and left_at") }
        guard rows.count <= 200_001 else { throw Problem.invalid("file", "at most 200000 rows in one sheet") }
        let emails = rows.dropFirst().compactMap { $0.fields.count == header.count ? Contact.email($0.fields[emailColumn]) : nil }
        let known = try await Users.ids(ofEmails: emails, on: database)
        var errors: [FieldError] = []
        var sheet: [(user: UUID, from: Date, to: Date)] = []
        for row in rows.dropFirst() {
            guard row.fields.count == header.count else {
                errors.append(.init("file", "line \(row.line): has \(row.fields.count) columns, the header has \(header.count)"))
                continue
            }
            let text = row.fields[emailColumn].trimmed
            let user = Contact.email(text).flatMap { known[$0] }
            if user == nil { errors.append(.init("email", "line \(row.line): nobody on the platform has the e-mail address '\(text)'")) }
            let from = Formats.sheetTime(row.fields[joinedColumn]), to = Formats.sheetTime(row.fields[leftColumn])
            if from == nil { errors.append(.init("joined_at", "line \(row.line): must be a time, RFC 3339 or YYYY-MM-DD HH:MM (IST)")) }
            if to == nil { errors.append(.init("left_at", "line \(row.line): must be a time, RFC 3339 or YYYY-MM-DD HH:MM (IST)")) }
            guard let user, let from, let to else { continue }
            if to <= from { errors.append(.init("left_at", "line \(row.line): must be after joined_at")); continue }
            if from < event.doorsOpen || to > event.endsAt.addingTimeInterval(60) {
                errors.append(.init("joined_at", "line \(row.line): the times must be within the event (\(Formats.iso(event.startsAt)) to \(Formats.iso(event.endsAt)))"))
                continue
            }
            sheet.append((user, from, to))
        }
        let present = sheet
        if errors.isEmpty && present.isEmpty { errors.append(.init("file", "has no rows after the header")) }
        if !errors.isEmpty {
            throw Problem(.unprocessableEntity, "The sheet has \(errors.count) problem\(errors.count == 1 ? "" : "s"); nothing was stored.", errors: Array(errors.prefix(1_000)))
        }
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            for start in stride(from: 0, to: present.count, by: 500) {
                var insert = sql.insert(into: "event_presence").columns("id", "event_id", "user_id", "from_at", "to_at", "source")
                for row in present[start..<min(start + 500, present.count)] {
                    insert = insert.values(SQLBind(UUID()), SQLBind(id), SQLBind(row.user), SQLBind(row.from), SQLBind(row.to), SQLBind("sheet"))
                }
                try await insert.run()
            }
            if now >= event.endsAt {
                try await sql.update(Event.schema).set("needs_settling", to: SQLBind(true)).where("id", .equal, SQLBind(id)).run()
            }
        }
        if now >= event.endsAt { try await EventSettling.soon(app: app) }
        return SheetResult(eventId: id, rows: rows.count - 1, people: Set(present.map(\.user)).count)
    }

    struct AttendanceRow: Sendable {
        var eventID: UUID
        var dto: AttendanceDTO
    }

    private static func attendanceRows(events: [UUID], user: UUID? = nil, on sql: any SQLDatabase) async throws -> [AttendanceRow] {
        var query = sql.select().columns("event_id", "user_id", "minutes", "checked_in", "attended", "certificate_id", "certified_at").from("event_attendance")
            .where("event_id", .in, SQLBind.group(events))
        if let user { query = query.where("user_id", .equal, SQLBind(user)) }
        struct Row: Decodable { var event_id: UUID; var user_id: UUID; var minutes: Int; var checked_in: Bool; var attended: Bool; var certificate_id: UUID?; var certified_at: Date? }
        return try await query.all(decoding: Row.self).map { row in
            AttendanceRow(eventID: row.event_id, dto: AttendanceDTO(userId: row.user_id, name: nil, minutes: row.minutes, checkedIn: row.checked_in,
                                                                  attended: row.attended, certificateId: row.certificate_id, certifiedAt: row.certified_at))
        }
    }

    /// Everyone registered, present or checked in, with their attendance: as decided once the event is settled, as it
    /// stands so far before that.
    static func attendance(of id: UUID, by principal: Principal, now: Date, on database: any Database) async throws -> [AttendanceDTO] {
        let event = try await managed(id, by: principal, on: database)
        var rows = try await EventSettling.standing(of: event, at: min(now, event.endsAt), on: database as! any SQLDatabase)
        let decided = Dictionary(try await attendanceRows(events: [id], on: database as! any SQLDatabase).map { ($0.dto.userId, $0.dto) }, uniquingKeysWith: { a, _ in a })
        rows = rows.map { decided[$0.userId] ?? $0 }
        let names = try await Users.named(rows.map(\.userId), on: database)
        return rows.map { row in
            var row = row
            row.name = names[row.userId]?.name
            return row
        }.sorted { ($0.name ?? "", $0.userId.uuidString) < ($1.name ?? "", $1.userId.uuidString) }
    }

    /// Certified attendance at events that ended in [from, to): what campaigns count.
    static func attendance(from: Date, to: Date, on sql: any SQLDatabase) async throws -> [(user: UUID, event: UUID, seconds: Int, competencies: [UUID])] {
        let query = sql.select().column(SQLColumn("user_id", table: "a")).column(SQLColumn("event_id", table: "a")).column(SQLColumn("minutes", table: "a"))
            .column(SQLColumn("claims", table: "e")).column(SQLColumn("starts_at", table: "e")).column(SQLColumn("ends_at", table: "e"))
            .from(SQLAlias(SQLIdentifier("event_attendance"), as: SQLIdentifier("a")))
            .join(SQLAlias(SQLIdentifier(Event.schema), as: SQLIdentifier("e")), on: SQLColumn("id", table: "e"), .equal, SQLColumn("event_id", table: "a"))
            .where(SQLColumn("certificate_id", table: "a"), .isNot, SQLLiteral.null)
            .where(SQLColumn("ends_at", table: "a"), .greaterThanOrEqual, SQLBind(from)).where(SQLColumn("ends_at", table: "a"), .lessThan, SQLBind(to)).query
        return try await sql.rows(query) { cells in
            let claims = (try? JSONDecoder().decode([RoleRequirement].self, from: Data((try cells.string(3) ?? "[]").utf8))) ?? []
            let length = Int(((try cells.date(5)) ?? Date()).timeIntervalSince((try cells.date(4)) ?? Date()) / 60)
            return (try cells.id(0), try cells.id(1), min(try cells.int(2) ?? 0, length) * 60, claims.map(\.competencyId))
        }
    }
}
