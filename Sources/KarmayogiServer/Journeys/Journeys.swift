import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Cohort journeys: phases over months, each with activities; a cohort of participants with mentors. What a member
/// has done is read from where it happens (courses from their enrolments, sessions from the attendance ledger, the rest
/// from this room's records), and which phases are open is decided from it here (`PhaseGate`), never on the device.
/// Completing a phase gives an Open Badges 3.0 badge; completing all of them, the journey's certificate.
enum Journeys {
    static let awards = "journey_awards"
    static let maximumPeople = 500

    /// A journey with its phases and activities in order.
    struct Plan {
        var journey: Journey
        var phases: [JourneyPhase]
        var activities: [JourneyActivity]

        var gate: PhaseGate {
            PhaseGate(required: phases.map { phase in activities.filter { $0.phaseID == phase.id! && $0.required }.map { $0.id! } })
        }

        func phaseIndex(of activity: JourneyActivity) -> Int { phases.firstIndex { $0.id == activity.phaseID } ?? 0 }

        func phaseStart(_ index: Int) -> Int { Journeys.adding(months: phases.prefix(index).map(\.months).reduce(0, +), to: journey.startDay) }
    }

    static func mayCoordinate(_ journey: Journey, _ principal: Principal, on database: any Database) async throws -> Bool {
        try await Programmes.mayCoordinate(providedBy: journey.providerID, createdBy: journey.createdBy, principal, on: database)
    }

    static func adding(months: Int, to day: Int) -> Int {
        let civil = IndiaDay.civil(day)
        let total = civil.year * 12 + (civil.month - 1) + months
        return IndiaDay.days(year: total / 12, month: total % 12 + 1, day: min(civil.day, 28))
    }

    /// Journeys are open to everyone signed in (who is in their cohort, and how far each has come, is not).
    static func plan(_ id: UUID, on database: any Database) async throws -> Plan {
        guard let journey = try await Journey.find(id, on: database) else { throw Problem.notFound("journey") }
        let phases = try await JourneyPhase.query(on: database).filter(\.$journeyID == id).sort(\.$position).all()
        let activities = try await JourneyActivity.query(on: database).filter(\.$journeyID == id).sort(\.$position).all()
        return Plan(journey: journey, phases: phases, activities: activities)
    }

    // MARK: Making a journey

    static func create(_ input: JourneyInput, by principal: Principal, now: Date, on database: any Database) async throws -> Journey {
        var problems: [FieldError] = []
        for (field, missing) in [("title", input.title == nil), ("providerId", input.providerId == nil), ("startDate", input.startDate == nil),
                                 ("phases", input.phases == nil), ("activities", input.activities == nil)] where missing {
            problems.append(FieldError(field, "is required"))
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let journey = Journey()
        journey.id = UUID()
        let text = Programmes.offeringText(title: input.title!, titleHi: input.titleHi, description: input.description)
        (journey.title, journey.titleHi, journey.description) = (text.title, text.titleHi, text.description)
        problems += text.problems
        switch await Programmes.coordinatedProvider(input.providerId!, by: principal, on: database) {
        case .success(let id): journey.providerID = id
        case .failure(let problem): problems.append(problem)
        }
        if let start = IndiaDay.parse(input.startDate!) {
            if start < IndiaDay.of(now) - 366 { problems.append(FieldError("startDate", "is more than a year past")) }
            journey.startDay = start
        } else {
            problems.append(FieldError("startDate", "must be a date, YYYY-MM-DD"))
        }
        let phases = input.phases!, activities = input.activities!
        problems += JourneyShape.problems(
            phases: phases.map { .init(title: $0.title, months: $0.months) },
            activities: activities.map { .init(phase: $0.phase, kind: $0.kind, title: $0.title, required: $0.required ?? true,
                                               hasCourse: $0.courseId != nil, hasSession: $0.sessionId != nil) })
        for (index, phase) in phases.enumerated() where (phase.titleHi?.unicodeScalars.count ?? 0) > 200 {
            problems.append(FieldError("phases[\(index)].titleHi", "must be at most 200 characters"))
        }
        let sessions = try await Programmes.existingSessions(activities.compactMap(\.sessionId), on: database)
        for (index, activity) in activities.enumerated().prefix(200) {
            if let course = activity.courseId, try await Courses.publishedVersion(of: course, on: database) == nil {
                problems.append(FieldError("activities[\(index)].courseId", "no published course has this id"))
            }
            if let session = activity.sessionId, !sessions.contains(session) {
                problems.append(FieldError("activities[\(index)].sessionId", "no programme session has this id"))
            }
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        journey.createdBy = principal.userID
        journey.createdAt = now
        journey.updatedAt = now
        try await database.transaction { database in
            try await journey.create(on: database)
            var phaseIDs: [UUID] = []
            for (position, input) in phases.enumerated() {
                let phase = JourneyPhase()
                phase.id = UUID()
                phase.journeyID = journey.id!
                phase.position = position
                phase.title = input.title.trimmed
                phase.titleHi = input.titleHi?.trimmed ?? ""
                phase.months = input.months
                try await phase.create(on: database)
                phaseIDs.append(phase.id!)
            }
            for (position, input) in activities.enumerated() {
                let activity = JourneyActivity()
                activity.journeyID = journey.id!
                activity.phaseID = phaseIDs[input.phase]
                activity.position = position
                activity.kind = input.kind
                activity.title = input.title.trimmed
                activity.required = input.required ?? true
                activity.courseID = input.courseId
                activity.sessionID = input.sessionId
                try await activity.create(on: database)
            }
        }
        return journey
    }

    static func list(page: PageRequest, on database: any Database) async throws -> (rows: [Journey], next: String?) {
        try await Journey.query(on: database).page(by: \.$title, page)
    }

    static func dto(_ plan: Plan, for principal: Principal, progress: JourneyProgressDTO?, on database: any Database) async throws -> JourneyDTO {
        let journey = plan.journey
        let members = try await JourneyMember.query(on: database).filter(\.$journeyID == journey.id!).filter(\.$role == .participant).count()
        let me = try await member(principal.userID, of: journey.id!, on: database)
        let phases = plan.phases.enumerated().map { index, phase in
            JourneyPhaseDTO(id: phase.id!, position: phase.position, title: phase.title, titleHi: phase.titleHi, months: phase.months,
                            startDate: IndiaDay.string(plan.phaseStart(index)),
                            activities: plan.activities.filter { $0.phaseID == phase.id! }.map {
                                JourneyActivityDTO(id: $0.id!, kind: $0.kind, title: $0.title, required: $0.required, courseId: $0.courseID, sessionId: $0.sessionID)
                            })
        }
        return JourneyDTO(id: journey.id!, title: journey.title, titleHi: journey.titleHi, description: journey.description, providerId: journey.providerID,
                          providerName: try await Organisations.names([journey.providerID], on: database)[journey.providerID],
                          startDate: IndiaDay.string(journey.startDay), endDate: IndiaDay.string(plan.phaseStart(plan.phases.count) - 1),
                          phases: phases, members: members, mayCoordinate: try await mayCoordinate(journey, principal, on: database),
                          myRole: me?.role, myProgress: progress, createdAt: journey.createdAt)
    }

    // MARK: The cohort

    static func member(_ user: UUID, of journey: UUID, on database: any Database) async throws -> JourneyMember? {
        try await JourneyMember.query(on: database).filter(\.$journeyID == journey).filter(\.$userID == user).first()
    }

    /// The coordinators add mentors, and participants each with a mentor of the journey.
    static func addMembers(to journeyID: UUID, _ input: JourneyMembersInput, by principal: Principal, now: Date, on database: any Database) async throws -> [JourneyMember] {
        let plan = try await plan(journeyID, on: database)
        guard try await mayCoordinate(plan.journey, principal, on: database) else { throw Problem(.forbidden, "Only the journey's coordinators add its members.") }
        guard let ids = input.userIds, (1...maximumPeople).contains(ids.count) else { throw Problem.invalid("userIds", "name from 1 to \(maximumPeople) people") }
        guard let role = input.role else { throw Problem.invalid("role", "is required: participant or mentor") }
        var problems: [FieldError] = []
        let known = try await Users.named(ids, on: database)
        let existing = Set(try await JourneyMember.query(on: database).filter(\.$journeyID == journeyID).filter(\.$userID ~~ ids).all(\.$userID))
        var seen = Set<UUID>()
        for (index, id) in ids.enumerated() {
            if known[id] == nil { problems.append(FieldError("userIds[\(index)]", "no person has this id")) }
            else if existing.contains(id) { problems.append(FieldError("userIds[\(index)]", "is a member of this journey already")) }
            else if !seen.insert(id).inserted { problems.append(FieldError("userIds[\(index)]", "is named twice")) }
        }
        switch (role, input.mentorId) {
        case (.participant, nil): problems.append(FieldError("mentorId", "is required for participants: a mentor of this journey"))
        case (.participant, let mentor?):
            if try await member(mentor, of: journeyID, on: database)?.role != .mentor { problems.append(FieldError("mentorId", "no mentor of this journey has this id")) }
            if ids.contains(mentor) { problems.append(FieldError("mentorId", "a participant is not their own mentor")) }
        case (.mentor, .some): problems.append(FieldError("mentorId", "is only for participants"))
        case (.mentor, nil): break
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        return try await database.transaction { database in
            var added: [JourneyMember] = []
            for id in ids {
                let member = JourneyMember()
                member.journeyID = journeyID
                member.userID = id
                member.role = role
                member.mentorID = input.mentorId
                member.addedBy = principal.userID
                member.addedAt = now
                try await member.create(on: database)
                added.append(member)
            }
            return added
        }
    }

    /// The roster: for the coordinators and mentors, everyone with their progress; for a participant, their own row.
    static func members(of journeyID: UUID, by principal: Principal, on database: any Database) async throws -> [JourneyMemberDTO] {
        let plan = try await plan(journeyID, on: database)
        let me = try await member(principal.userID, of: journeyID, on: database)
        let coordinator = try await mayCoordinate(plan.journey, principal, on: database)
        var query = JourneyMember.query(on: database).filter(\.$journeyID == journeyID)
        if !coordinator {
            guard let me else { throw Problem.notFound("journey") }
            if me.role == .participant { query = query.filter(\.$userID == principal.userID) }
        }
        let members = try await query.sort(\.$role).sort(\.$addedAt).all()
        let names = try await Users.named(Set(members.flatMap { [$0.userID] + ($0.mentorID.map { [$0] } ?? []) }), on: database)
        var dtos: [JourneyMemberDTO] = []
        for member in members {
            let progress = member.role == .participant ? try await self.progress(of: member.userID, in: plan, on: database) : nil
            dtos.append(JourneyMemberDTO(userId: member.userID, name: names[member.userID]?.name, role: member.role, mentorId: member.mentorID,
                                         mentorName: member.mentorID.flatMap { names[$0]?.name }, progress: progress))
        }
        return dtos
    }

    // MARK: Progress

    /// What the member has done, where each kind of activity is recorded.
    static func done(by user: UUID, in plan: Plan, on database: any Database) async throws -> (done: Set<UUID>, records: [UUID: JourneyRecord]) {
        let courses = plan.activities.compactMap(\.courseID)
        let completed = Set(try await Enrolments.of(user, in: courses, on: database).filter { $0.status == .completed }.map(\.courseID))
        let attended = try await Programmes.attended(user, sessions: plan.activities.compactMap(\.sessionID), on: database)
        let records = Dictionary(uniqueKeysWithValues: try await JourneyRecord.query(on: database).filter(\.$journeyID == plan.journey.id!)
            .filter(\.$userID == user).all().map { ($0.activityID, $0) })
        var done = Set<UUID>()
        for activity in plan.activities {
            let finished = switch activity.kind {
            case .course: activity.courseID.map { completed.contains($0) } ?? false
            case .session: activity.sessionID.map { attended.contains($0) } ?? false
            case .coaching, .visit, .milestone: records[activity.id!]?.isDone ?? false
            }
            if finished { done.insert(activity.id!) }
        }
        return (done, records)
    }

    static func progress(of user: UUID, in plan: Plan, on database: any Database) async throws -> JourneyProgressDTO {
        let (done, records) = try await done(by: user, in: plan, on: database)
        struct Award: Decodable { var part_id: UUID; var certificate_id: UUID }
        let awards = try await (database as! any SQLDatabase).select().columns("part_id", "certificate_id").from(awards)
            .where("journey_id", .equal, SQLBind(plan.journey.id!)).where("user_id", .equal, SQLBind(user)).all(decoding: Award.self)
        let byPart = Dictionary(uniqueKeysWithValues: awards.map { ($0.part_id, $0.certificate_id) })
        let gate = plan.gate
        return JourneyProgressDTO(
            phasesCompleted: gate.completed(done: done), phasesOpen: gate.open(done: done),
            activities: plan.activities.map { activity in
                let record = records[activity.id!]
                return JourneyActivityStateDTO(activityId: activity.id!, done: done.contains(activity.id!), status: activity.kind == .milestone ? record?.status : nil,
                                               text: record?.text, reviewNote: record?.reviewNote)
            },
            badges: Dictionary(uniqueKeysWithValues: plan.phases.compactMap { phase in byPart[phase.id!].map { (phase.id!.uuidString.lowercased(), $0) } }),
            certificateId: byPart[plan.journey.id!])
    }

    /// Gives the member the badges of the phases they have completed and, when all are, the journey's certificate, if
    /// not given before; in the caller's transaction.
    static func settle(_ user: UUID, in plan: Plan, keys: CredentialKeys, now: Date, on database: any Database) async throws {
        let (done, _) = try await done(by: user, in: plan, on: database)
        let completed = plan.gate.completed(done: done)
        guard completed > 0 else { return }
        let sql = database as! any SQLDatabase
        struct Part: Decodable { var part_id: UUID }
        let given = Set(try await sql.select().column("part_id").from(awards).where("journey_id", .equal, SQLBind(plan.journey.id!))
            .where("user_id", .equal, SQLBind(user)).all(decoding: Part.self).map(\.part_id))
        var parts: [(id: UUID, title: String, rule: String)] = plan.phases.prefix(completed).map {
            ($0.id!, "\(plan.journey.title): \($0.title)", "every required activity of the phase done")
        }
        if completed == plan.phases.count { parts.append((plan.journey.id!, plan.journey.title, "every phase of the journey completed")) }
        let missing = parts.filter { !given.contains($0.id) }
        guard !missing.isEmpty else { return }
        let name = try await Users.named([user], on: database)[user]?.name ?? ""
        let organiser = try await Organisations.names([plan.journey.providerID], on: database)[plan.journey.providerID] ?? ""
        for part in missing {
            let award = Certificates.Award(subject: .journey(part: part.id, journey: plan.journey.id!), title: part.title, summary: plan.journey.description,
                                           organiserID: plan.journey.providerID, organiserName: organiser, minutes: 0, competencies: [], endedAt: now, rule: part.rule)
            let issued = try await Certificates.issue(for: award, attendees: [(user, name)], at: now, keys: keys, on: database)
            guard let certificate = issued[user] else { continue }
            try await sql.insert(into: awards).columns("journey_id", "part_id", "user_id", "certificate_id", "at")
                .values(SQLBind(plan.journey.id!), SQLBind(part.id), SQLBind(user), SQLBind(certificate), SQLBind(now)).run()
        }
    }

    // MARK: Recording

    /// An activity of a journey, and the participant it is recorded for, who must be a participant with it open.
    private static func openActivity(_ activityID: UUID, for user: UUID, kinds: Set<JourneyActivityKind>, on database: any Database)
        async throws -> (Plan, JourneyActivity, JourneyMember) {
        guard let activity = try await JourneyActivity.find(activityID, on: database), kinds.contains(activity.kind) else {
            throw Problem.notFound(kinds == [.milestone] ? "milestone" : "activity")
        }
        let plan = try await plan(activity.journeyID, on: database)
        guard let member = try await member(user, of: plan.journey.id!, on: database), member.role == .participant else {
            throw Problem.invalid("userId", "no participant of this journey has this id")
        }
        let (done, _) = try await done(by: user, in: plan, on: database)
        let phase = plan.phaseIndex(of: activity)
        guard plan.gate.isOpen(phase: phase, done: done) else {
            throw Problem(.conflict, "Phase \(phase + 1) is not open yet: it opens when every required activity of the phase before it is done.")
        }
        return (plan, activity, member)
    }

    private static func note(_ text: String?, field: String, required: Bool, limit: Int = 2_000) throws -> String? {
        let text = text?.trimmed ?? ""
        if text.isEmpty {
            if required { throw Problem.invalid(field, "is required") }
            return nil
        }
        guard text.unicodeScalars.count <= limit else { throw Problem.invalid(field, "must be at most \(limit) characters") }
        return text
    }

    /// A mentor logs a coaching conversation with their participant; a coordinator records an exposure visit.
    static func record(_ activityID: UUID, _ input: JourneyRecordInput, by principal: Principal, keys: CredentialKeys, now: Date,
                       on database: any Database) async throws -> JourneyProgressDTO {
        guard let user = input.userId else { throw Problem.invalid("userId", "is required: the participant") }
        let note = try note(input.note, field: "note", required: false)
        let (plan, activity, member) = try await openActivity(activityID, for: user, kinds: [.coaching, .visit], on: database)
        switch activity.kind {
        case .coaching where member.mentorID != principal.userID:
            throw Problem(.forbidden, "Only the participant's mentor logs their coaching conversations.")
        case .visit where !(try await mayCoordinate(plan.journey, principal, on: database)):
            throw Problem(.forbidden, "Only the journey's coordinators record exposure visits.")
        default: break
        }
        return try await database.transaction { database in
            let record = JourneyRecord()
            record.journeyID = plan.journey.id!
            record.activityID = activityID
            record.userID = user
            record.status = JourneyRecord.recorded
            record.text = note
            record.byUser = principal.userID
            record.at = now
            do { try await record.create(on: database) } catch let error as any DatabaseError where error.isConstraintFailure {
                throw Problem(.conflict, "This is recorded for this participant already.")
            }
            try await settle(user, in: plan, keys: keys, now: now, on: database)
            return try await progress(of: user, in: plan, on: database)
        }
    }

    /// A participant submits a milestone of an open phase (again, after it was returned).
    static func submit(_ milestoneID: UUID, _ input: MilestoneSubmitInput, by principal: Principal, now: Date, on database: any Database) async throws -> JourneyProgressDTO {
        let text = try note(input.text, field: "text", required: true, limit: 10_000)
        let link = input.link?.trimmed.isEmpty == false ? input.link!.trimmed : nil
        if let link, link.unicodeScalars.count > 2_000 || !Contact.isWebAddress(link) { throw Problem.invalid("link", "must be a web address (https://…)") }
        let (plan, _, _) = try await openActivity(milestoneID, for: principal.userID, kinds: [.milestone], on: database)
        return try await database.transaction { database in
            let record = try await JourneyRecord.query(on: database).filter(\.$activityID == milestoneID).filter(\.$userID == principal.userID).first()
            let status: MilestoneStatus
            do { status = try MilestoneFlow.submit(from: record.flatMap { MilestoneStatus(rawValue: $0.status) }) } catch let error as MilestoneFlow.Refusal {
                switch error {
                case .conflict(let problem), .notYours(let problem): throw Problem(.conflict, "The milestone \(problem.reason).")
                }
            }
            let row = record ?? JourneyRecord()
            row.journeyID = plan.journey.id!
            row.activityID = milestoneID
            row.userID = principal.userID
            row.status = status.rawValue
            row.text = text
            row.link = link
            row.byUser = principal.userID
            row.at = now
            try await row.save(on: database)
            return try await progress(of: principal.userID, in: plan, on: database)
        }
    }

    /// The participant's mentor accepts a submitted milestone, or returns it with a note.
    static func review(_ milestoneID: UUID, _ input: MilestoneReviewInput, by principal: Principal, keys: CredentialKeys, now: Date,
                       on database: any Database) async throws -> JourneyProgressDTO {
        guard let user = input.userId else { throw Problem.invalid("userId", "is required: the participant") }
        guard let decision = input.decision, ["accept", "return"].contains(decision) else { throw Problem.invalid("decision", "must be accept or return") }
        let note = try note(input.note, field: "note", required: decision == "return")
        let (plan, _, member) = try await openActivity(milestoneID, for: user, kinds: [.milestone], on: database)
        return try await database.transaction { database in
            let record = try await JourneyRecord.query(on: database).filter(\.$activityID == milestoneID).filter(\.$userID == user).first()
            let status: MilestoneStatus
            do {
                status = try MilestoneFlow.review(from: record.flatMap { MilestoneStatus(rawValue: $0.status) }, accept: decision == "accept",
                                                  isMentor: member.mentorID == principal.userID)
            } catch let error as MilestoneFlow.Refusal {
                switch error {
                case .notYours: throw Problem(.forbidden, "Only the participant's mentor reviews their milestones.")
                case .conflict(let problem): throw Problem(.conflict, "The milestone \(problem.reason).")
                }
            }
            guard let record else { throw Problem(.conflict, "The milestone has nothing submitted to review.") }
            record.status = status.rawValue
            record.reviewedBy = principal.userID
            record.reviewNote = note
            record.reviewedAt = now
            try await record.update(on: database)
            try await settle(user, in: plan, keys: keys, now: now, on: database)
            return try await progress(of: user, in: plan, on: database)
        }
    }
}
