import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Blended programmes: who coordinates them, their batches, and nominations through the approval route to a seat.
/// Every change of a nomination is one transaction: its status, its step, the batch's seats, the waitlist's promotion
/// and the enrolments in the programme's courses move together.
enum Programmes {
    /// The roles that coordinate a provider's programmes (besides national admins).
    private static let coordinatorRoles: [Role] = [.programmeCoordinator, .cbpAdmin]

    /// Whether the person coordinates anything at all (a national admin, or a programme coordinator or CBP admin
    /// somewhere): read from their grants, without a query.
    static func coordinatesSomewhere(_ principal: Principal) -> Bool {
        principal.access.isNationalAdmin || principal.access.grants.contains { coordinatorRoles.contains($0.role) }
    }

    static func mayCoordinate(for placement: Placement, _ principal: Principal) -> Bool {
        principal.access.isNationalAdmin || coordinatorRoles.contains { principal.access.holds($0, on: placement) }
    }

    static func mayCoordinate(_ programme: Programme, _ principal: Principal, on database: any Database) async throws -> Bool {
        try await mayCoordinate(providedBy: programme.providerID, createdBy: programme.createdBy, principal, on: database)
    }

    /// Whether the person coordinates what this provider offers (a programme, a cascade, a journey): its maker, a
    /// national admin, or a programme coordinator or CBP admin of the provider.
    static func mayCoordinate(providedBy providerID: UUID, createdBy: UUID, _ principal: Principal, on database: any Database) async throws -> Bool {
        if principal.access.isNationalAdmin || createdBy == principal.userID { return true }
        guard let provider = try? await Organisations.visible(providerID, to: principal, on: database) else { return false }
        return mayCoordinate(for: provider.placement, principal)
    }

    /// The names and description of what a provider offers (a programme, a cascade, a journey), trimmed and checked.
    static func offeringText(title: String, titleHi: String?, description: String?) -> (title: String, titleHi: String, description: String, problems: [FieldError]) {
        let title = title.trimmed, titleHi = titleHi?.trimmed ?? "", description = description?.trimmed ?? ""
        var problems: [FieldError] = []
        if title.isEmpty || title.unicodeScalars.count > 200 { problems.append(FieldError("title", "is required, at most 200 characters")) }
        if titleHi.unicodeScalars.count > 200 { problems.append(FieldError("titleHi", "must be at most 200 characters")) }
        if description.unicodeScalars.count > 10_000 { problems.append(FieldError("description", "must be at most 10000 characters")) }
        return (title, titleHi, description, problems)
    }

    /// The provider, when the person coordinates what it offers; else why not, as the field's problem.
    static func coordinatedProvider(_ id: UUID, by principal: Principal, on database: any Database) async -> Result<UUID, FieldError> {
        if let found = try? await Organisations.visible(id, to: principal, on: database), mayCoordinate(for: found.placement, principal) { return .success(found.id!) }
        return .failure(FieldError("providerId", "no organisation whose programmes you coordinate has this id"))
    }

    /// Programmes and their batches are open to everyone signed in: learners apply to them.
    static func find(_ id: UUID, on database: any Database) async throws -> Programme {
        guard let programme = try await Programme.find(id, on: database) else { throw Problem.notFound("programme") }
        return programme
    }

    static func coordinated(_ id: UUID, by principal: Principal, on database: any Database) async throws -> Programme {
        let programme = try await find(id, on: database)
        guard try await mayCoordinate(programme, principal, on: database) else { throw Problem(.forbidden, "Only the programme's coordinators may do this.") }
        return programme
    }

    static func batch(_ id: UUID, on database: any Database) async throws -> ProgrammeBatch {
        guard let batch = try await ProgrammeBatch.find(id, on: database) else { throw Problem.notFound("batch") }
        return batch
    }

    // MARK: Programmes

    static func create(_ input: ProgrammeInput, by principal: Principal, now: Date, on database: any Database) async throws -> Programme {
        var missing: [FieldError] = []
        if input.title == nil { missing.append(FieldError("title", "is required")) }
        if input.providerId == nil { missing.append(FieldError("providerId", "is required")) }
        if !missing.isEmpty { throw Problem.invalid(missing) }
        let programme = Programme()
        programme.id = UUID()
        programme.titleHi = ""
        programme.description = ""
        programme.route = .mdo
        programme.courses = "[]"
        programme.minimumAttendance = 75
        programme.competencies = "[]"
        programme.createdBy = principal.userID
        programme.createdAt = now
        try await apply(input, to: programme, by: principal, now: now, on: database)
        try await programme.create(on: database)
        return programme
    }

    static func update(_ id: UUID, with input: ProgrammeInput, by principal: Principal, now: Date, on database: any Database) async throws -> Programme {
        let programme = try await coordinated(id, by: principal, on: database)
        if input.approvalRoute.map({ $0 != programme.route }) == true, try await hasPending(programme.id!, on: database) {
            throw Problem.invalid("approvalRoute", "nominations are awaiting a decision on the present route; decide them first")
        }
        try await apply(input, to: programme, by: principal, now: now, on: database)
        try await programme.update(on: database)
        return programme
    }

    private static func hasPending(_ programme: UUID, on database: any Database) async throws -> Bool {
        try await Nomination.query(on: database).filter(\.$programmeID == programme).filter(\.$status ~~ [.applied, .nominated]).first() != nil
    }

    private static func apply(_ input: ProgrammeInput, to programme: Programme, by principal: Principal, now: Date, on database: any Database) async throws {
        var problems: [FieldError] = []
        if let title = input.title?.trimmed {
            if title.isEmpty || title.unicodeScalars.count > 200 { problems.append(FieldError("title", "is required, at most 200 characters")) }
            programme.title = title
        }
        if let title = input.titleHi?.trimmed {
            if title.unicodeScalars.count > 200 { problems.append(FieldError("titleHi", "must be at most 200 characters")) }
            programme.titleHi = title
        }
        if let description = input.description {
            if description.unicodeScalars.count > 10_000 { problems.append(FieldError("description", "must be at most 10000 characters")) }
            programme.description = description.trimmed
        }
        if let provider = input.providerId {
            switch await coordinatedProvider(provider, by: principal, on: database) {
            case .success(let id): programme.providerID = id
            case .failure(let problem): problems.append(problem)
            }
        }
        if let route = input.approvalRoute { programme.route = route }
        if let courses = input.courseIds {
            if courses.count > 50 { problems.append(FieldError("courseIds", "at most 50 courses")) }
            var seen = Set<UUID>()
            for (index, course) in courses.prefix(50).enumerated() {
                if !seen.insert(course).inserted { problems.append(FieldError("courseIds[\(index)]", "is named twice")); continue }
                if try await Courses.publishedVersion(of: course, on: database) == nil {
                    problems.append(FieldError("courseIds[\(index)]", "no published course has this id"))
                }
            }
            programme.courses = String(decoding: try JSONEncoder.api.encode(courses), as: UTF8.self)
        }
        if let claims = input.competencies {
            let (current, retired) = try await Competencies.states(of: claims.map(\.competencyId), on: database)
            problems += RoleRequirement.problems(claims, current: current, retired: retired).map {
                FieldError(ProgrammeInput.Fields.competencies.stringValue + ($0.field.isEmpty ? "" : ".\($0.field)"), $0.reason)
            }
            programme.competencies = String(decoding: try JSONEncoder.api.encode(claims), as: UTF8.self)
        }
        if let percent = input.minimumAttendancePercent {
            if let problem = ProgrammeCompletion(minimumAttendancePercent: percent).problem { problems.append(problem) }
            programme.minimumAttendance = percent
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        programme.updatedAt = now
    }

    static func list(page: PageRequest, on database: any Database) async throws -> (rows: [Programme], next: String?) {
        try await Programme.query(on: database).page(by: \.$title, page)
    }

    static func dtos(_ programmes: [Programme], for principal: Principal, on database: any Database) async throws -> [ProgrammeDTO] {
        let names = try await Organisations.names(Array(Set(programmes.map(\.providerID))), on: database)
        var dtos: [ProgrammeDTO] = []
        for programme in programmes {
            dtos.append(ProgrammeDTO(id: programme.id!, title: programme.title, titleHi: programme.titleHi, description: programme.description,
                                     providerId: programme.providerID, providerName: names[programme.providerID], approvalRoute: programme.route,
                                     courseIds: programme.courseIDs, minimumAttendancePercent: programme.minimumAttendance, competencies: programme.claims,
                                     mayCoordinate: try await mayCoordinate(programme, principal, on: database),
                                     createdAt: programme.createdAt, updatedAt: programme.updatedAt))
        }
        return dtos
    }

    // MARK: Batches

    static func createBatch(in programmeID: UUID, _ input: BatchInput, by principal: Principal, now: Date, on database: any Database) async throws -> ProgrammeBatch {
        let programme = try await coordinated(programmeID, by: principal, on: database)
        var problems: [FieldError] = []
        for (field, missing) in [("name", input.name == nil), ("startDate", input.startDate == nil), ("endDate", input.endDate == nil),
                                 ("seats", input.seats == nil)] where missing {
            problems.append(FieldError(field, "is required"))
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let batch = ProgrammeBatch()
        batch.id = UUID()
        batch.programmeID = programme.id!
        batch.name = input.name!.trimmed
        if batch.name.isEmpty || batch.name.unicodeScalars.count > 200 { problems.append(FieldError("name", "is required, at most 200 characters")) }
        let start = IndiaDay.parse(input.startDate!), end = IndiaDay.parse(input.endDate!)
        if start == nil { problems.append(FieldError("startDate", "must be a date, YYYY-MM-DD")) }
        if end == nil { problems.append(FieldError("endDate", "must be a date, YYYY-MM-DD")) }
        if let start, let end {
            problems += BatchDays.problems(start: start, end: end)
            if end < IndiaDay.of(now) { problems.append(FieldError("endDate", "is in the past")) }
            batch.startDay = start
            batch.endDay = end
        }
        if let problem = Seats.problem(input.seats!) { problems.append(problem) }
        batch.seats = input.seats!
        batch.taken = 0
        let place = Geography.reference.venue(stateCode: input.stateCode, districtCode: input.districtCode)
        problems += place.problems
        batch.stateCode = place.stateCode
        batch.districtCode = input.districtCode
        if let venue = input.venue {
            if venue.unicodeScalars.count > 500 { problems.append(FieldError("venue", "must be at most 500 characters")) }
            batch.venue = venue.trimmed.isEmpty ? nil : venue.trimmed
        }
        let trainers = input.trainerIds ?? []
        if trainers.count > 50 { problems.append(FieldError("trainerIds", "at most 50 trainers")) }
        let known = try await Users.named(trainers.prefix(50), on: database)
        for (index, trainer) in trainers.prefix(50).enumerated() where known[trainer] == nil {
            problems.append(FieldError("trainerIds[\(index)]", "no person has this id"))
        }
        batch.trainers = String(decoding: try JSONEncoder.api.encode(Array(NSOrderedSet(array: trainers)) as! [UUID]), as: UTF8.self)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        batch.createdBy = principal.userID
        batch.createdAt = now
        try await batch.create(on: database)
        return batch
    }

    /// Programmes with a batch starting after `today` with a seat left: each with that batch (the soonest).
    static func open(after today: Int, limit: Int, on database: any Database) async throws -> [(programme: Programme, batch: ProgrammeBatch)] {
        let batches = try await ProgrammeBatch.query(on: database).filter(\.$startDay > today).sort(\.$startDay).limit(limit).all()
            .filter { $0.taken < $0.seats }
        var soonest: [UUID: ProgrammeBatch] = [:]
        for batch in batches where soonest[batch.programmeID] == nil { soonest[batch.programmeID] = batch }
        guard !soonest.isEmpty else { return [] }
        return try await Programme.query(on: database).filter(\.$id ~~ Array(soonest.keys)).all()
            .compactMap { programme in soonest[programme.id!].map { (programme, $0) } }
            .sorted { ($0.batch.startDay, $0.programme.id!.uuidString) < ($1.batch.startDay, $1.programme.id!.uuidString) }
    }

    static func batches(of programmeID: UUID, on database: any Database) async throws -> [ProgrammeBatch] {
        _ = try await find(programmeID, on: database)
        return try await ProgrammeBatch.query(on: database).filter(\.$programmeID == programmeID).sort(\.$startDay).sort(\.$id).limit(500).all()
    }

    static func batchDTOs(_ batches: [ProgrammeBatch], on database: any Database) async throws -> [BatchDTO] {
        let sql = database as! any SQLDatabase
        var waiting: [UUID: Int] = [:]
        if !batches.isEmpty {
            let query = sql.select().column("batch_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(Nomination.schema)
                .where("batch_id", .in, SQLBind.group(batches.map { $0.id! })).where("status", .equal, SQLBind(NominationStatus.approved.rawValue))
                .groupBy("batch_id").query
            for (id, n) in try await sql.rows(query, { cells in (try cells.id(0), try cells.int(1) ?? 0) }) { waiting[id] = n }
        }
        return batches.map { batch in
            BatchDTO(id: batch.id!, programmeId: batch.programmeID, name: batch.name, startDate: IndiaDay.string(batch.startDay),
                     endDate: IndiaDay.string(batch.endDay), stateCode: batch.stateCode, districtCode: batch.districtCode, venue: batch.venue,
                     seats: batch.seats, seatsTaken: batch.taken, waiting: waiting[batch.id!] ?? 0, trainerIds: batch.trainerIDs)
        }
    }

    // MARK: Nominations

    /// The part the signed-in person plays for a nominee: the nominee, an admin whose reach covers them, or a coordinator.
    struct Parts {
        var isSelf: Bool
        var isMDOAdmin: Bool
        var isCoordinator: Bool
        var any: Bool { isSelf || isMDOAdmin || isCoordinator }

        /// The part that takes the step the nomination waits for, when the person holds it.
        func actor(for status: NominationStatus) -> NominationActor? {
            switch status {
            case .applied: isMDOAdmin ? .mdoAdmin : isCoordinator ? .coordinator : isSelf ? .learner : nil
            default: isCoordinator ? .coordinator : isMDOAdmin ? .mdoAdmin : isSelf ? .learner : nil
            }
        }
    }

    static func parts(for user: UUID, place: LearnerPlace?, coordinator: Bool, principal: Principal) -> Parts {
        let mdo = place.map { place in
            principal.access.allows(.manageUsers, on: Placement(organisationPath: place.organisationPath, stateCodes: Set([place.stateCode].compactMap { $0 })))
        } ?? false
        return Parts(isSelf: user == principal.userID, isMDOAdmin: mdo, isCoordinator: coordinator)
    }

    /// An application by the signed-in person (no `userIds`), or nominations by an MDO admin or a coordinator. Each
    /// person starts where the route says; an approved one takes a seat if one is free, else waits.
    static func nominate(to batchID: UUID, _ input: NominationInput, by principal: Principal, clock: PlatformClock,
                         on database: any Database) async throws -> [Nomination] {
        let now = clock.now()
        let batch = try await batch(batchID, on: database)
        let programme = try await find(batch.programmeID, on: database)
        guard IndiaDay.of(now) <= batch.endDay else { throw Problem(.conflict, "This batch has ended; it takes no more nominations.") }
        let reason = try checkedReason(input.reason)
        let coordinator = try await mayCoordinate(programme, principal, on: database)
        let people: [UUID]
        if let userIDs = input.userIds {
            guard !userIDs.isEmpty, userIDs.count <= 500 else { throw Problem.invalid("userIds", "name from 1 to 500 people") }
            people = Array(NSOrderedSet(array: userIDs)) as! [UUID]
        } else {
            people = [principal.userID]
        }
        let places = try await Rollups.places(of: people, on: database as! any SQLDatabase)
        let organisations = try await Users.organisations(of: people, on: database)
        var starts: [UUID: (NominationStatus, NominationActor, NominationAction)] = [:]
        var problems: [FieldError] = []
        for (index, user) in people.enumerated() {
            let field = input.userIds == nil ? "userId" : "userIds[\(index)]"
            let parts = parts(for: user, place: places[user], coordinator: coordinator, principal: principal)
            // Out of reach answers exactly like nobody: the same words.
            guard places[user] != nil, organisations[user] != nil, input.userIds == nil || parts.isCoordinator || parts.isMDOAdmin else {
                problems.append(FieldError(field, "no person you may nominate has this id")); continue
            }
            let (action, actor): (NominationAction, NominationActor) = input.userIds == nil ? (.apply, .learner)
                : (.nominate, parts.isCoordinator ? .coordinator : .mdoAdmin)
            do throws(NominationFlow.Refusal) {
                starts[user] = (try NominationFlow.start(action, by: actor, route: programme.route), actor, action)
            } catch {
                switch error { case .notYours(let e), .conflict(let e): problems.append(FieldError(field, e.reason)) }
            }
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let chosen = starts
        return try await database.transaction { database in
            let sql = database as! any SQLDatabase
            // Every batch each person holds or waits for, not only the last: none may overlap this one's dates.
            let heldQuery = sql.select().columns("user_id", "batch_id", "start_day", "end_day").from(Nomination.schema)
                .where("user_id", .in, SQLBind.group(people))
                .where("status", .notIn, SQLBind.group([NominationStatus.rejected.rawValue, NominationStatus.withdrawn.rawValue])).query
            var held: [UUID: [(id: UUID, days: BatchDays)]] = [:]
            for row in try await sql.rows(heldQuery, { cells in (try cells.id(0), try cells.id(1), try cells.int(2) ?? 0, try cells.int(3) ?? 0) }) {
                held[row.0, default: []].append((row.1, BatchDays(start: row.2, end: row.3)))
            }
            var problems: [FieldError] = []
            for (index, user) in people.enumerated() {
                let field = input.userIds == nil ? "userId" : "userIds[\(index)]"
                if held[user]?.contains(where: { $0.id == batchID }) == true {
                    problems.append(FieldError(field, "already has a nomination for this batch")); continue
                }
                if let other = batch.days.firstOverlap(in: held[user] ?? []), let clash = try await ProgrammeBatch.find(other, on: database) {
                    problems.append(FieldError(field, "holds \(clash.name) (\(IndiaDay.string(clash.startDay)) to \(IndiaDay.string(clash.endDay))), "
                        + "whose dates overlap this batch's; one person takes one batch at a time"))
                }
            }
            if !problems.isEmpty { throw Problem.invalid(problems) }
            // A withdrawn or rejected nomination for this batch starts again, its earlier steps kept.
            let earlier = try await Nomination.query(on: database).filter(\.$batchID == batchID).filter(\.$userID ~~ people).all()
            let earlierByUser = Dictionary(earlier.map { ($0.userID, $0) }, uniquingKeysWith: { a, _ in a })
            var made: [Nomination] = []
            for (index, user) in people.enumerated() {
                let (status, actor, action) = chosen[user]!
                let nomination = earlierByUser[user] ?? Nomination()
                let before: NominationStatus? = nomination.id == nil ? nil : nomination.status
                if nomination.id == nil {
                    nomination.id = UUID()
                    nomination.batchID = batchID
                    nomination.programmeID = programme.id!
                    nomination.userID = user
                    nomination.createdAt = now
                }
                nomination.status = status
                nomination.startDay = batch.startDay
                nomination.endDay = batch.endDay
                // The waitlist takes people in the order of approval; those approved together, in the order they were named.
                nomination.approvedAt = status == .approved ? now.addingTimeInterval(Double(index) / 1_000) : nil
                nomination.coursesEnrolled = "[]"
                nomination.createdBy = principal.userID
                nomination.updatedAt = now
                try await nomination.save(on: database)
                try await step(nomination, from: before, to: status, action: action.rawValue, actor: actor.rawValue, by: principal.userID, reason: reason, at: now, on: sql)
                made.append(nomination)
            }
            try await fillSeats(of: batch.id!, programme: programme, by: principal, clock: clock, on: database)
            return try await Nomination.query(on: database).filter(\.$id ~~ made.map { $0.id! }).all()
        }
    }

    private static func checkedReason(_ reason: String?) throws -> String? {
        guard let reason = reason?.trimmed, !reason.isEmpty else { return nil }
        guard reason.unicodeScalars.count <= 1_000 else { throw Problem.invalid("reason", "must be at most 1000 characters") }
        return reason
    }

    /// The nominations of a batch the signed-in person may see: all for its coordinators; those of people within their
    /// reach for an MDO admin; their own for a learner.
    static func nominations(of batchID: UUID, by principal: Principal, on database: any Database) async throws -> [Nomination] {
        let batch = try await batch(batchID, on: database)
        let programme = try await find(batch.programmeID, on: database)
        let all = try await Nomination.query(on: database).filter(\.$batchID == batchID).sort(\.$createdAt).sort(\.$id).limit(10_000).all()
        if try await mayCoordinate(programme, principal, on: database) { return all }
        let places = try await Rollups.places(of: all.map(\.userID), on: database as! any SQLDatabase)
        return all.filter { parts(for: $0.userID, place: places[$0.userID], coordinator: false, principal: principal).any }
    }

    /// A nomination the signed-in person has a part in, or not found.
    private static func visible(_ id: UUID, by principal: Principal, on database: any Database) async throws -> (Nomination, Programme, Parts) {
        guard let nomination = try await Nomination.find(id, on: database) else { throw Problem.notFound("nomination") }
        let programme = try await find(nomination.programmeID, on: database)
        let place = try await Rollups.place(of: nomination.userID, on: database)
        let parts = parts(for: nomination.userID, place: place, coordinator: try await mayCoordinate(programme, principal, on: database), principal: principal)
        guard parts.any else { throw Problem.notFound("nomination") }
        return (nomination, programme, parts)
    }

    /// Approve, reject or withdraw, by whoever's part it is; the seat freed by a withdrawal goes to the first waiting.
    static func decide(_ id: UUID, _ action: NominationAction, reason: String?, by principal: Principal, clock: PlatformClock,
                       on database: any Database) async throws -> Nomination {
        let reason = try checkedReason(reason)
        let now = clock.now()
        let (found, programme, parts) = try await visible(id, by: principal, on: database)
        return try await database.transaction { database in
            let sql = database as! any SQLDatabase
            // Read again inside the transaction: two decisions at once take turns, the second meets the first's result.
            guard let nomination = try await Nomination.find(found.id!, on: database) else { throw Problem.notFound("nomination") }
            let actor: NominationActor
            if action == .withdraw {
                actor = parts.isSelf ? .learner : parts.isMDOAdmin ? .mdoAdmin : .coordinator
            } else {
                guard let chosen = parts.actor(for: nomination.status) else { throw Problem.notFound("nomination") }
                actor = chosen
            }
            let next: NominationStatus
            do throws(NominationFlow.Refusal) {
                next = try NominationFlow.next(from: nomination.status, action, by: actor, isSelf: parts.isSelf, route: programme.route)
            } catch {
                switch error {
                case .notYours(let e): throw Problem(.forbidden, e.reason)
                case .conflict(let e): throw Problem(.conflict, e.reason)
                }
            }
            let before = nomination.status
            nomination.status = next
            nomination.updatedAt = now
            if next == .approved { nomination.approvedAt = now }
            try await nomination.update(on: database)
            try await step(nomination, from: before, to: next, action: action.rawValue, actor: actor.rawValue, by: principal.userID, reason: reason, at: now, on: sql)
            if before.holdsSeat, !next.holdsSeat {
                // The seat is freed and the courses this nomination enrolled the person in are left (progress is kept).
                try await sql.update(ProgrammeBatch.schema).set(SQLIdentifier("taken"), to: SQLRaw("taken - 1"))
                    .where("id", .equal, SQLBind(nomination.batchID)).run()
                try await Enrolments.leave(nomination.enrolledCourseIDs, of: nomination.userID, on: database)
            }
            try await fillSeats(of: nomination.batchID, programme: programme, by: principal, clock: clock, on: database)
            return try await Nomination.find(nomination.id!, on: database)!
        }
    }

    /// Gives free seats to the approved nominations waiting, first approved first, and enrols each in the programme's
    /// courses. Runs inside the transaction that approved or freed.
    private static func fillSeats(of batchID: UUID, programme: Programme, by principal: Principal, clock: PlatformClock,
                                  on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let now = clock.now()
        let waiting = try await Nomination.query(on: database).filter(\.$batchID == batchID).filter(\.$status == .approved)
            .sort(\.$approvedAt).sort(\.$id).limit(500).all()
        guard !waiting.isEmpty else { return }
        let organisations = try await Users.organisations(of: waiting.map(\.userID), on: database)
        for nomination in waiting {
            // A seat is taken by the one statement that finds one free.
            let seat = try await sql.raw("""
                UPDATE \(ident: ProgrammeBatch.schema) SET \(ident: "taken") = \(ident: "taken") + 1
                WHERE \(ident: "id") = \(bind: batchID) AND \(ident: "taken") < \(ident: "seats") RETURNING \(ident: "id")
                """).all()
            guard !seat.isEmpty else { return }
            var enrolled: [UUID] = []
            if let organisation = organisations[nomination.userID] {
                for course in programme.courseIDs {
                    let created = try await Enrolments.enrol(course, user: nomination.userID, organisation: organisation, by: principal, clock: clock, on: database).created
                    if created { enrolled.append(course) }
                }
            }
            nomination.status = .enrolled
            nomination.coursesEnrolled = String(decoding: try JSONEncoder.api.encode(enrolled), as: UTF8.self)
            nomination.updatedAt = now
            try await nomination.update(on: database)
            try await step(nomination, from: .approved, to: .enrolled, action: "seat", actor: "platform", by: principal.userID, reason: nil, at: now, on: sql)
        }
    }

    private static func step(_ nomination: Nomination, from: NominationStatus?, to: NominationStatus, action: String, actor: String, by user: UUID,
                             reason: String?, at: Date, on sql: any SQLDatabase) async throws {
        try await sql.insert(into: "programme_nomination_steps")
            .columns("id", "nomination_id", "from_status", "to_status", "action", "actor", "by_user", "reason", "at")
            .values(SQLBind(UUID()), SQLBind(nomination.id!), SQLBind(from?.rawValue), SQLBind(to.rawValue), SQLBind(action), SQLBind(actor),
                    SQLBind(user), SQLBind(reason), SQLBind(at))
            .run()
    }

    static func nominationDTOs(_ nominations: [Nomination], on database: any Database) async throws -> [NominationDTO] {
        guard !nominations.isEmpty else { return [] }
        let sql = database as! any SQLDatabase
        let names = try await Users.named(nominations.map(\.userID), on: database)
        var steps: [UUID: [NominationStepDTO]] = [:]
        let ids = nominations.map { $0.id! }
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let query = sql.select().columns("nomination_id", "from_status", "to_status", "action", "actor", "by_user", "reason", "at")
                .from("programme_nomination_steps").where("nomination_id", .in, SQLBind.group(Array(ids[start..<min(start + 1_000, ids.count)])))
                .orderBy("at").query
            for (id, step) in try await sql.rows(query, { cells in
                (try cells.id(0), NominationStepDTO(from: try cells.string(1).flatMap(NominationStatus.init(rawValue:)),
                                                    to: NominationStatus(rawValue: try cells.string(2) ?? "") ?? .applied,
                                                    action: try cells.string(3) ?? "", actor: try cells.string(4) ?? "", byUserId: try cells.id(5),
                                                    reason: try cells.string(6), at: try cells.date(7) ?? .distantPast))
            }) { steps[id, default: []].append(step) }
        }
        // Waitlist places: the approved of each batch in their order.
        var positions: [UUID: Int] = [:]
        for batch in Set(nominations.filter { $0.status == .approved }.map(\.batchID)) {
            let waiting = try await Nomination.query(on: database).filter(\.$batchID == batch).filter(\.$status == .approved)
                .sort(\.$approvedAt).sort(\.$id).all(\.$id)
            for (index, id) in waiting.enumerated() { positions[id] = index + 1 }
        }
        return nominations.map { nomination in
            NominationDTO(id: nomination.id!, batchId: nomination.batchID, programmeId: nomination.programmeID, userId: nomination.userID,
                          name: names[nomination.userID]?.name, status: nomination.status, waitlistPosition: positions[nomination.id!],
                          startDate: IndiaDay.string(nomination.startDay), endDate: IndiaDay.string(nomination.endDay), steps: steps[nomination.id!] ?? [])
        }
    }
}
