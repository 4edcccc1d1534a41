import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// `karmayogi generate --cascade F`: a cascade of the published Jan Seva shape at fraction F, in bulk (not through the
/// API) but row for row what the API writes: lead trainers certified by the coordinator, each running a three-day
/// batch for master trainers, master trainers running the one-day batches that certify participants, the tree, the
/// attendance, and the reach counters. Its people are drawn from those present, in order of State and district, so that
/// trainers and participants of an area train together; it ran over the 240 days before today.
enum CascadeGenerator {
    struct Totals {
        var cascade: UUID
        var certified = 0
        var batches = 0
        var rows = 0
    }

    private struct Person {
        var id: UUID
        var organisation: Int32
        var state: Int32
        var district: Int32
    }

    static func run(_ shape: CascadeShape, on database: any Database, progress: @escaping @Sendable (String, Int, Int) -> Void) async throws -> Totals {
        let sql = database as! any SQLDatabase
        // The organisations, with each one's scope keys (itself and those above it).
        let organisations = try await Organisations.directory(on: sql).sorted { $0.path < $1.path }
        guard let provider = organisations.first else { throw Problem(.conflict, "No organisations yet: generate a nation first (--scale).") }
        let index = Dictionary(uniqueKeysWithValues: organisations.enumerated().map { ($0.element.id, Int32($0.offset)) })
        let organisationKeys = organisations.map { InsightScope.scopes(organisationPath: $0.path, stateCode: nil, districtCode: nil).dropFirst().map(\.key) }
        let needed = shape.leads + shape.masters + shape.participants
        progress("people read", 0, needed)
        var people = try await Users.homes(limit: needed, on: sql).compactMap { home -> Person? in
            guard let at = index[home.organisation] else { return nil }
            let organisation = organisations[Int(at)]
            let area = LearnerPlace.area(userState: home.stateCode, userDistrict: home.districtCode, organisationState: organisation.stateCode,
                                         organisationDistrict: organisation.districtCode)
            return Person(id: home.id, organisation: at, state: Int32(area.stateCode ?? 0), district: Int32(area.districtCode ?? 0))
        }
        guard people.count >= needed else {
            throw Problem(.conflict, "A cascade of this size certifies \(needed) people; there are \(people.count) active people. Generate a larger nation first (--scale).")
        }
        people.sort { ($0.state, $0.district, $0.id.uuidString) < ($1.state, $1.district, $1.id.uuidString) }
        progress("people read", needed, needed)

        // Trainers are spread through the people in area order; the rest are participants, in the same order.
        var leads: [Person] = [], masters: [Person] = [], participants: [Person] = []
        let trainerEvery = needed / (shape.leads + shape.masters)
        for (position, person) in people.enumerated() {
            if position % trainerEvery == 0, leads.count + masters.count < shape.leads + shape.masters {
                if masters.count * shape.leads >= leads.count * shape.masters, leads.count < shape.leads { leads.append(person) } else { masters.append(person) }
            } else if participants.count < shape.participants {
                participants.append(person)
            }
        }
        let coordinator = try await Users.someNationalAdmin(on: database) ?? people[0].id
        let today = IndiaDay.of(Date())
        let firstDay = today - 240
        let now = Date()

        let cascade = Cascade()
        cascade.id = UUID()
        cascade.title = "Rashtriya Karmayogi Jan Seva (generated \(String(cascade.id!.uuidString.prefix(6)).lowercased()))"
        cascade.titleHi = "राष्ट्रीय कर्मयोगी जन सेवा"
        cascade.description = "A generated cascade of the published shape."
        cascade.providerID = provider.id
        cascade.modules = String(decoding: try JSONEncoder.api.encode([
            CascadeTemplate.Module(title: "Seva bhav: the spirit of service", titleHi: "सेवा भाव", minutes: 90),
            CascadeTemplate.Module(title: "Citizen first", titleHi: "नागरिक सर्वोपरि", minutes: 90),
            CascadeTemplate.Module(title: "Karmayogi: duty and conduct", titleHi: "कर्मयोगी: कर्तव्य और आचरण", minutes: 90),
            CascadeTemplate.Module(title: "Working together", titleHi: "मिलकर काम", minutes: 90)]), as: UTF8.self)
        cascade.createdBy = coordinator
        cascade.createdAt = now
        cascade.updatedAt = now
        try await cascade.create(on: database)
        let id = cascade.id!
        var totals = Totals(cascade: id)

        // The counters, by scope key and day.
        var reach: [String: [Int: CascadeReach]] = [:]
        func count(_ person: Person, _ add: CascadeReach, day: Int) {
            var keys = [InsightScope.nation.key]
            if person.state > 0 { keys.append(InsightScope.state(Int(person.state)).key) }
            if person.district > 0 { keys.append(InsightScope.district(Int(person.district)).key) }
            keys += organisationKeys[Int(person.organisation)]
            for key in keys {
                reach[key, default: [:]][day, default: CascadeReach()] += add
                reach[key, default: [:]][Cascades.allDays, default: CascadeReach()] += add
            }
        }
        var certifications: [[any SQLExpression]] = []
        var batches: [[any SQLExpression]] = []
        var attendance: [[any SQLExpression]] = []
        func certify(_ person: Person, _ tier: CascadeTier, by: UUID, batch: UUID?, day: Int, batchesRun: Int) {
            certifications.append([SQLBind(id), SQLBind(person.id), SQLBind(tier.rawValue), SQLBind(by), SQLBind(batch), SQLBind(day),
                                   SQLBind(person.state > 0 ? Int(person.state) : nil), SQLBind(person.district > 0 ? Int(person.district) : nil),
                                   SQLBind(organisations[Int(person.organisation)].path), SQLBind(batchesRun), SQLBind(now)])
            count(person, .certified(tier), day: day)
        }
        func batch(_ tier: CascadeTier, trainer: Person, at place: Person, day: Int, days: Int, seats: Int, attended: Int) -> UUID {
            let batchID = UUID()
            let state = place.state > 0 ? Int(place.state) : Int(trainer.state > 0 ? trainer.state : 7)
            let district = place.state > 0 && place.district > 0 ? Int(place.district) : nil
            batches.append([SQLBind(batchID), SQLBind(id), SQLBind(tier.rawValue), SQLBind(trainer.id), SQLBind(day), SQLBind(day + days - 1), SQLBind(state),
                            SQLBind(district), SQLBind(nil as String?), SQLBind(organisations[Int(trainer.organisation)].path), SQLBind(seats),
                            SQLBind(attended), SQLBind(trainer.id), SQLBind(now)])
            if tier == .participant {
                var keys = [InsightScope.nation.key, InsightScope.state(state).key]
                if let district { keys.append(InsightScope.district(district).key) }
                keys += organisationKeys[Int(trainer.organisation)]
                for key in keys {
                    reach[key, default: [:]][day, default: CascadeReach()] += CascadeReach(batches: 1)
                    reach[key, default: [:]][Cascades.allDays, default: CascadeReach()] += CascadeReach(batches: 1)
                }
            }
            return batchID
        }

        // Leads, each running one three-day batch for their share of the master trainers in the first month.
        var trainedIn = [(lead: UUID, batch: UUID, day: Int)](repeating: (coordinator, UUID(), firstDay), count: masters.count)
        for (number, lead) in leads.enumerated() {
            let share = masters.count * number / leads.count..<masters.count * (number + 1) / leads.count
            certify(lead, .lead, by: coordinator, batch: nil, day: firstDay, batchesRun: share.isEmpty ? 0 : 1)
            guard !share.isEmpty else { continue }
            let day = firstDay + 1 + number % 28
            let batchID = batch(.master, trainer: lead, at: masters[share.lowerBound], day: day, days: 3, seats: share.count, attended: share.count)
            for master in share {
                attendance.append([SQLBind(batchID), SQLBind(masters[master].id), SQLBind(lead.id), SQLBind(now)])
                trainedIn[master] = (lead.id, batchID, day + 2)
            }
        }
        // Master trainers' one-day batches: batch b is run by master b × masters / batches (so most run one or two, in
        // their own area), over the days after the training of trainers.
        var runs = [Int](repeating: 0, count: masters.count)
        var taken = 0
        let span = max(1, today - firstDay - 36)
        for number in 0..<shape.batches {
            let trainer = number * masters.count / shape.batches
            let group = participants[taken..<min(participants.count, taken + shape.participants(inBatch: number))]
            taken += group.count
            guard let first = group.first else { continue }
            let day = firstDay + 35 + number * span / shape.batches
            let batchID = batch(.participant, trainer: masters[trainer], at: first, day: day, days: 1, seats: max(group.count, 40), attended: group.count)
            runs[trainer] += 1
            for participant in group {
                attendance.append([SQLBind(batchID), SQLBind(participant.id), SQLBind(masters[trainer].id), SQLBind(now)])
                certify(participant, .participant, by: masters[trainer].id, batch: batchID, day: day, batchesRun: 0)
            }
            if number % 500 == 0 { progress("batches planned", number, shape.batches) }
        }
        for (number, master) in masters.enumerated() {
            certify(master, .master, by: trainedIn[number].lead, batch: trainedIn[number].batch, day: trainedIn[number].day, batchesRun: runs[number])
        }
        totals.certified = certifications.count
        totals.batches = batches.count

        // The rows, in bulk.
        func insert(_ table: String, _ columns: [String], _ rows: [[any SQLExpression]], what: String) async throws {
            let step = max(1, 6_000 / columns.count)
            var done = 0
            for start in stride(from: 0, to: rows.count, by: step * 20) {
                try await database.transaction { database in
                    let sql = database as! any SQLDatabase
                    for from in stride(from: start, to: min(rows.count, start + step * 20), by: step) {
                        try await sql.insert(into: table).columns(columns).rows(Array(rows[from..<min(from + step, rows.count)])).run()
                    }
                }
                done = min(rows.count, start + step * 20)
                progress(what, done, rows.count)
            }
            totals.rows += rows.count
        }
        try await insert(CascadeBatch.schema, ["id", "cascade_id", "tier", "trainer_id", "start_day", "end_day", "state_code", "district_code", "venue",
                                               "organisation_path", "seats", "attended", "created_by", "created_at"], batches, what: "batches")
        try await insert(Cascades.attendance, ["batch_id", "user_id", "by_user", "at"], attendance, what: "attendances")
        try await insert(Cascades.certifications, ["cascade_id", "user_id", "tier", "certified_by", "batch_id", "day", "state_code", "district_code",
                                                   "organisation_path", "batches_run", "at"], certifications, what: "certifications")
        var reachRows: [[any SQLExpression]] = []
        for (key, days) in reach {
            for (day, c) in days {
                reachRows.append([SQLBind(id), SQLBind(key), SQLBind(day), SQLBind(c.leadTrainers), SQLBind(c.masterTrainers), SQLBind(c.batches), SQLBind(c.participants)])
            }
        }
        try await insert(Cascades.reachTable, ["cascade_id", "scope", "day", "lead_trainers", "master_trainers", "batches", "participants"], reachRows, what: "reach counters")
        return totals
    }

}
