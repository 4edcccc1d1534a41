import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Training cascades: the coordinator certifies lead trainers; lead trainers open batches that certify master trainers;
/// certified master trainers open one-day batches that certify participants on attendance. Every certification is a
/// node of the tree (who certified whom, in which batch), made once per person and tier, and counted in the reach
/// counters in the same transaction.
enum Cascades {
    static let certifications = "cascade_certifications"
    static let attendance = "cascade_attendance"
    static let reachTable = "cascade_reach"
    /// The day of the reach rows that hold all days together.
    static let allDays = 0
    static let maximumPeople = 500

    // MARK: Cascades

    static func mayCoordinate(_ cascade: Cascade, _ principal: Principal, on database: any Database) async throws -> Bool {
        try await Programmes.mayCoordinate(providedBy: cascade.providerID, createdBy: cascade.createdBy, principal, on: database)
    }

    /// Cascades are open to everyone signed in: trainers and participants look them up.
    static func find(_ id: UUID, on database: any Database) async throws -> Cascade {
        guard let cascade = try await Cascade.find(id, on: database) else { throw Problem.notFound("cascade") }
        return cascade
    }

    static func coordinated(_ id: UUID, by principal: Principal, on database: any Database) async throws -> Cascade {
        let cascade = try await find(id, on: database)
        guard try await mayCoordinate(cascade, principal, on: database) else { throw Problem(.forbidden, "Only the cascade's coordinators may do this.") }
        return cascade
    }

    static func create(_ input: CascadeInput, by principal: Principal, now: Date, on database: any Database) async throws -> Cascade {
        var problems: [FieldError] = []
        for (field, missing) in [("title", input.title == nil), ("providerId", input.providerId == nil), ("modules", input.modules == nil)] where missing {
            problems.append(FieldError(field, "is required"))
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let cascade = Cascade()
        cascade.id = UUID()
        let text = Programmes.offeringText(title: input.title!, titleHi: input.titleHi, description: input.description)
        (cascade.title, cascade.titleHi, cascade.description) = (text.title, text.titleHi, text.description)
        problems += text.problems
        switch await Programmes.coordinatedProvider(input.providerId!, by: principal, on: database) {
        case .success(let id): cascade.providerID = id
        case .failure(let problem): problems.append(problem)
        }
        let modules = input.modules!.map { CascadeTemplate.Module(title: $0.title.trimmed, titleHi: $0.titleHi?.trimmed, minutes: $0.minutes) }
        problems += CascadeTemplate(modules: modules).problems
        cascade.modules = String(decoding: try JSONEncoder.api.encode(modules), as: UTF8.self)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        cascade.createdBy = principal.userID
        cascade.createdAt = now
        cascade.updatedAt = now
        try await cascade.create(on: database)
        return cascade
    }

    static func list(page: PageRequest, on database: any Database) async throws -> (rows: [Cascade], next: String?) {
        try await Cascade.query(on: database).page(by: \.$title, page)
    }

    static func dtos(_ cascades: [Cascade], for principal: Principal, on database: any Database) async throws -> [CascadeDTO] {
        let names = try await Organisations.names(Array(Set(cascades.map(\.providerID))), on: database)
        let sql = database as! any SQLDatabase
        var dtos: [CascadeDTO] = []
        for cascade in cascades {
            let totals = try await reach(of: cascade.id!, scopes: [InsightScope.nation.key], day: allDays, on: sql)[InsightScope.nation.key] ?? CascadeReach()
            dtos.append(CascadeDTO(id: cascade.id!, title: cascade.title, titleHi: cascade.titleHi, description: cascade.description,
                                   providerId: cascade.providerID, providerName: names[cascade.providerID], modules: cascade.template.modules, totals: totals,
                                   mayCoordinate: try await mayCoordinate(cascade, principal, on: database), createdAt: cascade.createdAt))
        }
        return dtos
    }

    // MARK: People

    /// The people named by id or e-mail (not both), each known, at most 500; the errors name each one that is not.
    static func people(_ input: CascadePeopleInput, on database: any Database) async throws -> [UUID] {
        switch (input.userIds, input.emails) {
        case (let ids?, nil):
            guard (1...maximumPeople).contains(ids.count) else { throw Problem.invalid("userIds", "name from 1 to \(maximumPeople) people") }
            let known = try await Users.named(ids, on: database)
            let problems = ids.enumerated().filter { known[$0.element] == nil }.map { FieldError("userIds[\($0.offset)]", "no person has this id") }
            if !problems.isEmpty { throw Problem.invalid(problems) }
            return Array(NSOrderedSet(array: ids)) as! [UUID]
        case (nil, let emails?):
            guard (1...maximumPeople).contains(emails.count) else { throw Problem.invalid("emails", "name from 1 to \(maximumPeople) people") }
            let normalised = emails.map { Contact.email($0) }
            let known = try await Users.ids(ofEmails: normalised.compactMap { $0 }, on: database)
            var problems: [FieldError] = []
            var ids: [UUID] = []
            for (index, email) in normalised.enumerated() {
                guard let email else { problems.append(FieldError("emails[\(index)]", "is not an e-mail address")); continue }
                guard let id = known[email] else { problems.append(FieldError("emails[\(index)]", "no person has this e-mail address")); continue }
                if !ids.contains(id) { ids.append(id) }
            }
            if !problems.isEmpty { throw Problem.invalid(problems) }
            return ids
        default:
            throw Problem.invalid("userIds", "give userIds or emails (one of them)")
        }
    }

    /// The coordinator certifies lead trainers (the root of the tree).
    static func certifyLeads(of cascadeID: UUID, _ input: CascadePeopleInput, by principal: Principal, now: Date, on database: any Database) async throws -> CascadeAttendanceDTO {
        let cascade = try await coordinated(cascadeID, by: principal, on: database)
        let people = try await people(input, on: database)
        return try await database.transaction { database in
            let certified = try await certify(people, as: .lead, in: cascade.id!, by: principal.userID, batch: nil, day: IndiaDay.of(now), now: now, on: database)
            return CascadeAttendanceDTO(batchId: nil, recorded: people.count, certified: certified.count, attended: people.count)
        }
    }

    /// Certifies each person in `tier` unless they are already (a person trained twice counts once), and counts the new
    /// ones in the reach of their scopes, in the caller's transaction. Answers who was certified now.
    @discardableResult
    static func certify(_ people: [UUID], as tier: CascadeTier, in cascade: UUID, by trainer: UUID, batch: UUID?, day: Int, now: Date,
                        on database: any Database) async throws -> [UUID] {
        guard !people.isEmpty else { return [] }
        let sql = database as! any SQLDatabase
        let places = try await Rollups.places(of: people, on: sql)
        var certified: [UUID] = []
        let ordered = people.sorted()
        for start in stride(from: 0, to: ordered.count, by: 500) {
            var insert = sql.insert(into: certifications)
                .columns("cascade_id", "user_id", "tier", "certified_by", "batch_id", "day", "state_code", "district_code", "organisation_path", "batches_run", "at")
            for person in ordered[start..<min(start + 500, ordered.count)] {
                let place = places[person]
                insert = insert.values(SQLBind(cascade), SQLBind(person), SQLBind(tier.rawValue), SQLBind(trainer), SQLBind(batch), SQLBind(day),
                                       SQLBind(place?.stateCode), SQLBind(place?.districtCode), SQLBind(place?.organisationPath ?? "/"), SQLBind(0), SQLBind(now))
            }
            struct Row: Decodable { var user_id: UUID }
            certified += try await insert.ignoringConflicts(with: ["cascade_id", "user_id", "tier"]).returning("user_id").all(decoding: Row.self).map(\.user_id)
        }
        var counters: [String: CascadeReach] = [:]
        for person in certified {
            let keys = places[person]?.scopeKeys ?? [InsightScope.nation.key]
            for key in keys { counters[key, default: CascadeReach()] += .certified(tier) }
        }
        try await addReach(counters, day: day, cascade: cascade, on: sql)
        return certified
    }

    /// Adds to the reach counters of each scope on the day and over all days, in key order.
    static func addReach(_ counters: [String: CascadeReach], day: Int, cascade: UUID, on sql: any SQLDatabase) async throws {
        let keys = counters.keys.sorted()
        guard !keys.isEmpty else { return }
        let columns = ["lead_trainers", "master_trainers", "batches", "participants"]
        for start in stride(from: 0, to: keys.count, by: 300) {
            var insert = sql.insert(into: reachTable).columns(["cascade_id", "scope", "day"] + columns)
            for key in keys[start..<min(start + 300, keys.count)] {
                let c = counters[key]!
                for on in [allDays, day] {
                    insert = insert.values(SQLBind(cascade), SQLBind(key), SQLBind(on), SQLBind(c.leadTrainers), SQLBind(c.masterTrainers),
                                           SQLBind(c.batches), SQLBind(c.participants))
                }
            }
            try await insert.onConflict(with: ["cascade_id", "scope", "day"]) { update in
                var update = update
                for name in columns {
                    update = update.set(name, to: SQLBinaryExpression(SQLColumn(name, table: reachTable), .add, SQLExcludedColumn(name)))
                }
                return update
            }.run()
        }
    }

    /// The reach counters of a cascade in some scopes on one day (or `allDays`).
    static func reach(of cascade: UUID, scopes: [String], day: Int, on sql: any SQLDatabase) async throws -> [String: CascadeReach] {
        guard !scopes.isEmpty else { return [:] }
        struct Row: Decodable { var scope: String; var lead_trainers: Int; var master_trainers: Int; var batches: Int; var participants: Int }
        return try await sql.select().columns("scope", "lead_trainers", "master_trainers", "batches", "participants").from(reachTable)
            .where("cascade_id", .equal, SQLBind(cascade)).where("day", .equal, SQLBind(day)).where("scope", .in, SQLBind.group(scopes))
            .all(decoding: Row.self)
            .reduce(into: [:]) { $0[$1.scope] = CascadeReach(leadTrainers: $1.lead_trainers, masterTrainers: $1.master_trainers, batches: $1.batches, participants: $1.participants) }
    }

    /// The tiers a person is certified in, in a cascade.
    static func tiers(of person: UUID, in cascade: UUID, on sql: any SQLDatabase) async throws -> Set<CascadeTier> {
        struct Row: Decodable { var tier: String }
        return Set(try await sql.select().column("tier").from(certifications).where("cascade_id", .equal, SQLBind(cascade))
            .where("user_id", .equal, SQLBind(person)).all(decoding: Row.self).compactMap { CascadeTier(rawValue: $0.tier) })
    }

    // MARK: Batches

    /// A trainer certified in the tier above opens a batch: master batches (training of trainers) may last days; a
    /// participant batch is one day of the cascade's template.
    static func openBatch(in cascadeID: UUID, _ input: CascadeBatchInput, by principal: Principal, now: Date, on database: any Database) async throws -> CascadeBatch {
        let cascade = try await find(cascadeID, on: database)
        let sql = database as! any SQLDatabase
        var problems: [FieldError] = []
        for (field, missing) in [("tier", input.tier == nil), ("startDate", input.startDate == nil), ("stateCode", input.stateCode == nil),
                                 ("seats", input.seats == nil)] where missing {
            problems.append(FieldError(field, "is required"))
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let trainer = input.trainerId ?? principal.userID
        if trainer != principal.userID, !(try await mayCoordinate(cascade, principal, on: database)) {
            throw Problem.invalid("trainerId", "only the cascade's coordinators open a batch for another trainer; leave it out to open your own")
        }
        if let refusal = CascadeTier.mayOpen(batchFor: input.tier!, trainerTiers: try await tiers(of: trainer, in: cascade.id!, on: sql)) {
            throw Problem.invalid([refusal])
        }
        let batch = CascadeBatch()
        batch.id = UUID()
        batch.cascadeID = cascade.id!
        batch.tier = input.tier!
        batch.trainerID = trainer
        let start = IndiaDay.parse(input.startDate!)
        if start == nil { problems.append(FieldError("startDate", "must be a date, YYYY-MM-DD")) }
        var end = start
        if let text = input.endDate {
            if input.tier == .participant, IndiaDay.parse(text) != start { problems.append(FieldError("endDate", "a participant batch is one day: leave it out")) }
            end = IndiaDay.parse(text)
            if end == nil { problems.append(FieldError("endDate", "must be a date, YYYY-MM-DD")) }
        }
        if let start, let end {
            problems += BatchDays.problems(start: start, end: end)
            if start < IndiaDay.of(now) - ManualMarks.daysAfterBatch { problems.append(FieldError("startDate", "is more than \(ManualMarks.daysAfterBatch) days past")) }
            batch.startDay = start
            batch.endDay = end
        }
        let place = Geography.reference.venue(stateCode: input.stateCode, districtCode: input.districtCode)
        problems += place.problems
        batch.stateCode = place.stateCode ?? 0
        batch.districtCode = input.districtCode
        if let venue = input.venue {
            if venue.unicodeScalars.count > 500 { problems.append(FieldError("venue", "must be at most 500 characters")) }
            batch.venue = venue.trimmed.isEmpty ? nil : venue.trimmed
        }
        if let problem = Seats.problem(input.seats!) { problems.append(problem) }
        batch.seats = input.seats!
        if !problems.isEmpty { throw Problem.invalid(problems) }
        batch.organisationPath = try await Rollups.place(of: trainer, on: database)?.organisationPath ?? "/"
        batch.attended = 0
        batch.createdBy = principal.userID
        batch.createdAt = now
        try await batch.create(on: database)
        return batch
    }

    static func batch(_ id: UUID, on database: any Database) async throws -> CascadeBatch {
        guard let batch = try await CascadeBatch.find(id, on: database) else { throw Problem.notFound("batch") }
        return batch
    }

    static func batches(of cascadeID: UUID, trainer: UUID?, page: PageRequest, on database: any Database) async throws -> (rows: [CascadeBatch], next: String?) {
        _ = try await find(cascadeID, on: database)
        var query = CascadeBatch.query(on: database).filter(\.$cascadeID == cascadeID)
        if let trainer { query = query.filter(\.$trainerID == trainer) }
        if let cursor = page.cursor, let day = Int(cursor.key) {
            query = query.group(.or) { group in
                group.filter(\.$startDay > day)
                group.group(.and) { $0.filter(\.$startDay == day).filter(\.$id > cursor.id) }
            }
        }
        let rows = try await query.sort(\.$startDay).sort(\.$id).limit(page.limit + 1).all()
        let next = rows.count > page.limit ? Cursor(key: String(rows[page.limit - 1].startDay), id: rows[page.limit - 1].id!).encoded : nil
        return (Array(rows.prefix(page.limit)), next)
    }

    /// The batches a trainer runs on a day, in every cascade.
    static func running(trainer: UUID, on day: Int, on database: any Database) async throws -> [CascadeBatch] {
        try await CascadeBatch.query(on: database).filter(\.$trainerID == trainer).filter(\.$startDay <= day).filter(\.$endDay >= day)
            .sort(\.$startDay).limit(50).all()
    }

    /// Who attended a batch, in the order they were recorded.
    static func attendees(of batch: UUID, on database: any Database) async throws -> [(user: UUID, at: Date)] {
        struct Row: Decodable { var user_id: UUID; var at: Date }
        return try await (database as! any SQLDatabase).select().columns("user_id", "at").from(attendance).where("batch_id", .equal, SQLBind(batch))
            .orderBy("at").orderBy("user_id").all(decoding: Row.self).map { ($0.user_id, $0.at) }
    }

    /// Some of the people certified in a tier of a cascade.
    static func certified(_ tier: CascadeTier, in cascade: UUID, limit: Int, on database: any Database) async throws -> [UUID] {
        struct Row: Decodable { var user_id: UUID }
        return try await (database as! any SQLDatabase).select().column("user_id").from(certifications).where("cascade_id", .equal, SQLBind(cascade))
            .where("tier", .equal, SQLBind(tier.rawValue)).orderBy("user_id").limit(limit).all(decoding: Row.self).map(\.user_id)
    }

    static func batchDTOs(_ batches: [CascadeBatch], on database: any Database) async throws -> [CascadeBatchDTO] {
        let names = try await Users.named(Set(batches.map(\.trainerID)), on: database)
        var templates: [UUID: [CascadeTemplate.Module]] = [:]
        for id in Set(batches.map(\.cascadeID)) { templates[id] = try await Cascade.find(id, on: database)?.template.modules ?? [] }
        return batches.map { batch in
            CascadeBatchDTO(id: batch.id!, cascadeId: batch.cascadeID, tier: batch.tier, trainerId: batch.trainerID, trainerName: names[batch.trainerID]?.name,
                            startDate: IndiaDay.string(batch.startDay), endDate: IndiaDay.string(batch.endDay), stateCode: batch.stateCode,
                            districtCode: batch.districtCode, venue: batch.venue, seats: batch.seats, attended: batch.attended,
                            modules: batch.tier == .participant ? templates[batch.cascadeID] ?? [] : [])
        }
    }

    /// The batch's trainer (or a coordinator) records who attended, from the batch's first day until seven days after
    /// its last; each attendee is certified in the batch's tier unless they are already. The batch counts as run, for
    /// its trainer's load and (a participant batch) the reach, when its first attendee is recorded.
    static func recordAttendance(of batchID: UUID, _ input: CascadePeopleInput, by principal: Principal, now: Date, on database: any Database) async throws -> CascadeAttendanceDTO {
        let batch = try await batch(batchID, on: database)
        let cascade = try await find(batch.cascadeID, on: database)
        let coordinates = try await mayCoordinate(cascade, principal, on: database)
        guard batch.trainerID == principal.userID || coordinates else {
            throw Problem(.forbidden, "Only the batch's trainer or the cascade's coordinators record its attendance.")
        }
        let today = IndiaDay.of(now)
        guard today >= batch.startDay else { throw Problem(.conflict, "The batch has not begun: attendance is recorded from \(IndiaDay.string(batch.startDay)).") }
        guard ManualMarks.allowed(today: today, batchEnd: batch.endDay) else {
            throw Problem(.conflict, "Attendance is recorded until \(ManualMarks.daysAfterBatch) days after the batch ends (\(IndiaDay.string(batch.endDay + ManualMarks.daysAfterBatch))).")
        }
        let people = try await people(input, on: database)
        if let index = people.firstIndex(of: batch.trainerID) {
            throw Problem.invalid(input.userIds != nil ? "userIds[\(index)]" : "emails[\(index)]", "is the batch's trainer, who does not attend their own batch")
        }
        return try await database.transaction { database in
            let sql = database as! any SQLDatabase
            var insert = sql.insert(into: attendance).columns("batch_id", "user_id", "by_user", "at")
            for person in people.sorted() { insert = insert.values(SQLBind(batch.id!), SQLBind(person), SQLBind(principal.userID), SQLBind(now)) }
            struct Row: Decodable { var user_id: UUID }
            let recorded = try await insert.ignoringConflicts(with: ["batch_id", "user_id"]).returning("user_id").all(decoding: Row.self).map(\.user_id)
            struct Count: Decodable { var attended: Int }
            let attended = try await sql.update(CascadeBatch.schema).set(SQLColumn("attended"), to: SQLBinaryExpression(SQLColumn("attended"), .add, SQLBind(recorded.count)))
                .where("id", .equal, SQLBind(batch.id!)).returning("attended").first(decoding: Count.self)?.attended ?? 0
            guard attended <= batch.seats else {
                throw Problem.invalid(input.userIds != nil ? "userIds" : "emails", "the batch has \(batch.seats) seats; \(attended - recorded.count) attended already")
            }
            if attended > 0, attended == recorded.count {
                // The batch's first attendees: it has run.
                try await sql.update(certifications).set(SQLColumn("batches_run"), to: SQLBinaryExpression(SQLColumn("batches_run"), .add, SQLBind(1)))
                    .where("cascade_id", .equal, SQLBind(cascade.id!)).where("user_id", .equal, SQLBind(batch.trainerID))
                    .where("tier", .equal, SQLBind(batch.tier.trainedBy!.rawValue)).run()
                if batch.tier == .participant {
                    try await addReach(Dictionary(uniqueKeysWithValues: batch.scopeKeys.map { ($0, CascadeReach(batches: 1)) }), day: batch.startDay,
                                       cascade: cascade.id!, on: sql)
                }
            }
            let certified = try await certify(recorded, as: batch.tier, in: cascade.id!, by: batch.trainerID, batch: batch.id!, day: today, now: now, on: database)
            return CascadeAttendanceDTO(batchId: batch.id!, recorded: recorded.count, certified: certified.count, attended: attended)
        }
    }

    // MARK: The tree

    /// A person's certifications in the cascade and the chain of who certified them, up to the coordinator. For the
    /// person, the cascade's coordinators and the trainers above them; to anyone else it does not exist.
    static func chain(of person: UUID, in cascadeID: UUID, by principal: Principal, on database: any Database) async throws -> [CascadeCertificationDTO] {
        let cascade = try await find(cascadeID, on: database)
        let sql = database as! any SQLDatabase
        struct Row: Decodable { var user_id: UUID; var tier: String; var certified_by: UUID; var batch_id: UUID?; var day: Int; var batches_run: Int }
        func rows(of user: UUID) async throws -> [Row] {
            try await sql.select().columns("user_id", "tier", "certified_by", "batch_id", "day", "batches_run").from(certifications)
                .where("cascade_id", .equal, SQLBind(cascade.id!)).where("user_id", .equal, SQLBind(user)).all(decoding: Row.self)
        }
        var chain: [Row] = []
        var next = try await rows(of: person).sorted { tierOrder($0.tier) > tierOrder($1.tier) }
        var seen = Set<UUID>()
        while let row = next.first, seen.insert(row.user_id).inserted {
            chain += row.user_id == person ? next : [row]
            let above = CascadeTier(rawValue: row.tier)?.trainedBy
            guard let above else { break }
            next = try await rows(of: row.certified_by).filter { $0.tier == above.rawValue }
        }
        let allowed = person == principal.userID || chain.dropFirst().contains { $0.user_id == principal.userID }
        let coordinates = try await mayCoordinate(cascade, principal, on: database)
        guard !chain.isEmpty, allowed || coordinates else { throw Problem.notFound("person in this cascade") }
        let names = try await Users.named(Set(chain.flatMap { [$0.user_id, $0.certified_by] }), on: database)
        var dtos: [CascadeCertificationDTO] = []
        for row in chain {
            struct Count: Decodable { var n: Int }
            let others = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(certifications)
                .where("cascade_id", .equal, SQLBind(cascade.id!)).where("certified_by", .equal, SQLBind(row.user_id))
                .first(decoding: Count.self)?.n ?? 0
            dtos.append(CascadeCertificationDTO(userId: row.user_id, name: names[row.user_id]?.name, tier: CascadeTier(rawValue: row.tier) ?? .participant,
                                                certifiedBy: row.certified_by, certifiedByName: names[row.certified_by]?.name, batchId: row.batch_id,
                                                date: IndiaDay.string(row.day), batchesRun: row.batches_run, certifiedOthers: row.tier == CascadeTier.participant.rawValue ? 0 : others))
        }
        return dtos
    }

    private static func tierOrder(_ tier: String) -> Int { CascadeTier.allCases.firstIndex { $0.rawValue == tier } ?? 0 }
}
