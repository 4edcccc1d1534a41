import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// NSCSTI accreditation. A training institute's admins (MDO admins of the institute) apply, answer the profile, score
/// themselves with evidence per metric (what the platform knows is filled in) and submit; a national admin assigns
/// independent assessors (from neither the institute's organisation nor its State), who score the desktop assessment
/// and then the on-site one; the national admin moderates and decides: stars by the framework's bands, valid for the
/// framework's years, with a quality improvement plan for two stars or fewer. Decided accreditations within their
/// validity make the public register. An application is seen by its institute's admins, its assessors and national
/// admins; to anyone else it does not exist.
enum Accreditations {
    // MARK: The framework

    static func latest(on database: any Database) async throws -> AccreditationFrameworkVersion {
        guard let latest = try await AccreditationFrameworkVersion.query(on: database).sort(\.$version, .descending).first() else {
            throw Problem(.serviceUnavailable, "No accreditation framework is set up.")
        }
        return latest
    }

    static func framework(version: Int, on database: any Database) async throws -> AccreditationFramework {
        try await AccreditationFrameworkVersion.query(on: database).filter(\.$version == version).first()?.framework ?? .starting
    }

    static func frameworks(on database: any Database) async throws -> [FrameworkDTO] {
        try await AccreditationFrameworkVersion.query(on: database).sort(\.$version, .descending).limit(50).all()
            .map { FrameworkDTO(version: $0.version, framework: $0.framework, maximumTotal: $0.framework.maximumTotal, createdAt: $0.createdAt) }
    }

    /// A new version of the framework; applications keep the version they were made under.
    static func publish(_ input: FrameworkInput, by principal: Principal, now: Date, on database: any Database) async throws -> FrameworkDTO {
        guard principal.access.isNationalAdmin else { throw Problem(.forbidden, "Only a national admin changes the accreditation framework.") }
        var missing: [FieldError] = []
        for (field, absent) in [("pillars", input.pillars == nil), ("bands", input.bands == nil), ("validityYears", input.validityYears == nil)] where absent {
            missing.append(FieldError(field, "is required"))
        }
        if !missing.isEmpty { throw Problem.invalid(missing) }
        var shaped = AccreditationFramework(pillars: input.pillars!, profileQuestions: input.profileQuestions ?? [], bands: input.bands!,
                                            validityYears: input.validityYears!)
        shaped.pillars = shaped.pillars.map { pillar in
            var pillar = pillar
            pillar.title = pillar.title.trimmed
            pillar.metrics = pillar.metrics.map { var metric = $0; metric.title = metric.title.trimmed; return metric }
            return pillar
        }
        let framework = shaped
        let problems = framework.problems()
        if !problems.isEmpty { throw Problem.invalid(problems) }
        return try await WriteRetry.run {
            try await database.transaction { database in
                let next = (try await AccreditationFrameworkVersion.query(on: database).max(\.$version) ?? 0) + 1
                let record = AccreditationFrameworkVersion()
                record.version = next
                record.body = String(decoding: try JSONEncoder().encode(framework), as: UTF8.self)
                record.createdBy = principal.userID
                record.createdAt = now
                try await record.create(on: database)
                return FrameworkDTO(version: next, framework: framework, maximumTotal: framework.maximumTotal, createdAt: now)
            }
        }
    }

    // MARK: Who may do what

    static func isInstituteAdmin(_ placement: Placement, _ principal: Principal) -> Bool {
        principal.access.holds(.mdoAdmin, on: placement)
    }

    struct Seen {
        var record: AccreditationRecord
        var institute: Bool
        var national: Bool
        var phases: Set<AssessmentPhase>
    }

    /// An application and what the principal is to it; 404 to anyone who is nothing to it.
    static func seen(_ id: UUID, by principal: Principal, on database: any Database) async throws -> Seen {
        guard let record = try await AccreditationRecord.find(id, on: database) else { throw Problem.notFound("accreditation") }
        let phases = Set(try await AccreditationAssessor.query(on: database).filter(\.$accreditationID == id).filter(\.$userID == principal.userID).all().map(\.phase))
        let seen = Seen(record: record, institute: isInstituteAdmin(record.placement, principal), national: principal.access.isNationalAdmin, phases: phases)
        guard seen.institute || seen.national || !phases.isEmpty else { throw Problem.notFound("accreditation") }
        return seen
    }

    // MARK: Applying

    static func apply(for instituteID: UUID, _ input: ApplicationInput, by principal: Principal, now: Date, app: Application,
                      on database: any Database) async throws -> AccreditationRecord {
        guard let institute = try await Organisations.find(instituteID, on: database), institute.organisationType == .trainingInstitute,
              isInstituteAdmin(institute.placement, principal) || principal.access.isNationalAdmin
        else { throw Problem.notFound("training institute") }
        let earlier = try await AccreditationRecord.query(on: database).filter(\.$instituteID == instituteID).sort(\.$createdAt, .descending).all()
        if let open = earlier.first(where: { $0.stage != .decided }) {
            throw Problem(.conflict, "The institute has an application under way.", errors: [FieldError("instituteId", "application \(open.id!) is \(open.stage.rawValue)")])
        }
        if let previous = input.previousId, !earlier.contains(where: { $0.id == previous }) {
            throw Problem.invalid("previousId", "is no earlier application of this institute")
        }
        let framework = try await latest(on: database)
        let record = AccreditationRecord()
        record.id = UUID()
        record.instituteID = instituteID
        record.institutePath = institute.path
        record.stateCode = institute.stateCode
        record.frameworkVersion = framework.version
        record.stage = .draft
        record.profile = StoredJSON.text(Array(repeating: "", count: framework.framework.profileQuestions.count))
        record.selfScores = "{}"
        record.previousID = input.previousId ?? earlier.first?.id
        record.createdBy = principal.userID
        record.createdAt = now
        record.updatedAt = now
        try await database.transaction { database in
            try await record.create(on: database)
            try await fillFigures(of: record, framework: framework.framework, app: app, now: now, on: database)
        }
        return record
    }

    /// The figures the platform knows, as evidence for the metrics that ask for them (replacing the earlier ones).
    static func fillFigures(of record: AccreditationRecord, framework: AccreditationFramework, app: Application, now: Date, on database: any Database) async throws {
        let asked = framework.metrics.filter { $0.figure != nil }
        guard !asked.isEmpty else { return }
        let cards = try await app.catalogueSearch.cards(on: database).values.filter { $0.providerId == record.instituteID }
        let rated = cards.compactMap(\.rating).filter { $0.count > 0 }
        let ratings = rated.reduce(0) { $0 + $1.count }
        let average = ratings == 0 ? 0 : rated.reduce(0.0) { $0 + $1.average * Double($1.count) } / Double(ratings)
        let learning = try await Enrolments.figures(ofCourses: cards.map(\.id), staffOf: record.instituteID, on: database as! any SQLDatabase)
        try await AccreditationEvidence.query(on: database).filter(\.$accreditationID == record.id!).filter(\.$kind == .figure).delete()
        for metric in asked {
            let evidence = AccreditationEvidence()
            evidence.accreditationID = record.id!
            evidence.metricKey = metric.key
            evidence.kind = .figure
            switch metric.figure! {
            case .coursesPublished: (evidence.value, evidence.note) = (String(cards.count), "courses of the institute published on the platform")
            case .averageRating: (evidence.value, evidence.note) = (String(format: "%.1f", average), "average of \(ratings) learners' ratings of its courses")
            case .completions: (evidence.value, evidence.note) = (String(learning.completions), "completions of its courses on the platform")
            case .facultyTrained: (evidence.value, evidence.note) = (String(learning.staffTrained), "people of the institute who completed a course")
            }
            evidence.addedAt = now
            try await evidence.create(on: database)
        }
    }

    static func change(_ id: UUID, _ patch: ApplicationPatch, by principal: Principal, now: Date, app: Application,
                       on database: any Database) async throws -> AccreditationRecord {
        let seen = try await seen(id, by: principal, on: database)
        let record = seen.record
        guard seen.institute || seen.national else { throw Problem.forbidden }
        let framework = try await framework(version: record.frameworkVersion, on: database)
        if let done = patch.actionsDone {
            guard record.stage == .decided else { throw Problem(.conflict, "The plan's actions follow a decision.", errors: [FieldError("stage", "is \(record.stage.rawValue)")]) }
            let actions = try await AccreditationAction.query(on: database).filter(\.$accreditationID == id).all()
            for position in done {
                guard let action = actions.first(where: { $0.position == position }) else { throw Problem.invalid("actionsDone", "the plan has no action \(position)") }
                if action.doneAt == nil { action.doneAt = now; try await action.update(on: database) }
            }
            return record
        }
        guard record.stage == .draft else {
            throw Problem(.conflict, "A submitted application is not changed.", errors: [FieldError("stage", "is \(record.stage.rawValue)")])
        }
        var problems: [FieldError] = []
        if let profile = patch.profile {
            if profile.count != framework.profileQuestions.count {
                problems.append(FieldError("profile", "answer the framework's \(framework.profileQuestions.count) questions, in order"))
            }
            for (index, answer) in profile.enumerated().prefix(50) where answer.count > 2_000 {
                problems.append(FieldError("profile[\(index)]", "must be at most 2,000 characters"))
            }
        }
        var scores = decodeScores(record.selfScores)
        if let given = patch.selfScores {
            let known = Dictionary(uniqueKeysWithValues: framework.metrics.map { ($0.key, $0.maxScore) })
            for (key, score) in given.sorted(by: { $0.key < $1.key }) {
                guard let maximum = known[key] else { problems.append(FieldError("selfScores.\(key)", "is no metric of this framework")); continue }
                if score < 0 || score > maximum { problems.append(FieldError("selfScores.\(key)", "must be from 0 to \(maximum), the metric's maximum")) }
                else { scores[key] = score }
            }
        }
        if patch.action != nil, patch.action != "submit" { problems.append(FieldError("action", "must be submit")) }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        if let profile = patch.profile { record.profile = StoredJSON.text(profile.map(\.trimmed)) }
        record.selfScores = StoredJSON.text(scores)
        if patch.action == "submit" {
            let missing = framework.problems(of: scores, field: "selfScores")
            if !missing.isEmpty { throw Problem.invalid(missing) }
            if decodeProfile(record.profile).contains(where: { $0.isEmpty }) { throw Problem.invalid("profile", "answer every question of the profile") }
            record.stage = .submitted
            record.submittedAt = now
        }
        record.updatedAt = now
        try await database.transaction { database in
            try await record.update(on: database)
            if record.stage == .submitted { try await fillFigures(of: record, framework: framework, app: app, now: now, on: database) }
        }
        return record
    }

    static func addEvidence(to id: UUID, metric: String?, link: String?, file: String?, note: String?, by principal: Principal, now: Date,
                            on database: any Database) async throws -> AccreditationRecord {
        let seen = try await seen(id, by: principal, on: database)
        guard seen.institute || seen.national else { throw Problem.forbidden }
        guard seen.record.stage == .draft else {
            throw Problem(.conflict, "Evidence is added before the application is submitted.", errors: [FieldError("stage", "is \(seen.record.stage.rawValue)")])
        }
        let framework = try await framework(version: seen.record.frameworkVersion, on: database)
        var problems: [FieldError] = []
        if metric.map({ key in !framework.metrics.contains { $0.key == key } }) ?? true { problems.append(FieldError("metricKey", "is no metric of this framework")) }
        let text = (note ?? "").trimmed
        if text.count > 2_000 { problems.append(FieldError("note", "must be at most 2,000 characters")) }
        var value = file
        if file == nil {
            if let link = link?.trimmed, link.count <= 2_000, link.hasPrefix("https://") || link.hasPrefix("http://"), URL(string: link)?.host != nil { value = link }
            else { problems.append(FieldError("link", "give an http(s) address, or send a file")) }
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let evidence = AccreditationEvidence()
        evidence.accreditationID = id
        evidence.metricKey = metric!
        evidence.kind = file == nil ? .link : .file
        evidence.value = value!
        evidence.note = text
        evidence.addedBy = principal.userID
        evidence.addedAt = now
        try await evidence.create(on: database)
        return seen.record
    }

    // MARK: Assessing

    static func assign(_ input: AssessorInput, to id: UUID, by principal: Principal, now: Date, on database: any Database) async throws -> AccreditationRecord {
        let seen = try await seen(id, by: principal, on: database)
        guard seen.national else { throw Problem(.forbidden, "A national admin assigns assessors.") }
        let record = seen.record
        guard [.submitted, .desktop, .onsite].contains(record.stage) else {
            throw Problem(.conflict, "Assessors are assigned to a submitted application.", errors: [FieldError("stage", "is \(record.stage.rawValue)")])
        }
        guard let phase = input.phase else { throw Problem.invalid("phase", "is required: desktop or onsite") }
        var userID = input.userId
        if userID == nil, let email = input.email?.trimmed.lowercased() { userID = try await Users.ids(ofEmails: [email], on: database)[email] }
        guard let userID, let (user, organisation) = try? await Users.visible(userID, to: principal, on: database) else {
            throw Problem.invalid(input.email != nil ? "email" : "userId", "no person has it")
        }
        if let conflict = AssessorIndependence.conflict(assessorPath: organisation.path, assessorState: user.stateCode ?? organisation.stateCode,
                                                        institutePath: record.institutePath, instituteState: record.stateCode) {
            throw Problem.invalid(input.email != nil ? "email" : "userId", "\(user.name) \(conflict): an assessor must be independent of the institute")
        }
        if try await AccreditationAssessor.query(on: database).filter(\.$accreditationID == id).filter(\.$userID == userID).filter(\.$phase == phase).count() > 0 {
            throw Problem(.conflict, "\(user.name) is already an assessor of this phase.")
        }
        let assessor = AccreditationAssessor()
        assessor.accreditationID = id
        assessor.userID = userID
        assessor.phase = phase
        assessor.assignedBy = principal.userID
        assessor.assignedAt = now
        try await database.transaction { database in
            try await assessor.create(on: database)
            if record.stage == .submitted, phase == .desktop {
                record.stage = .desktop
                record.updatedAt = now
                try await record.update(on: database)
            }
        }
        return record
    }

    static func score(_ input: ScoresInput, of id: UUID, by principal: Principal, now: Date, on database: any Database) async throws -> AccreditationRecord {
        let seen = try await seen(id, by: principal, on: database)
        guard let phase = input.phase else { throw Problem.invalid("phase", "is required: desktop or onsite") }
        guard seen.phases.contains(phase) else { throw Problem(.forbidden, "Only an assessor of the \(phase.rawValue) assessment scores it.") }
        let record = seen.record
        let expected: AccreditationStage = phase == .desktop ? .desktop : .onsite
        guard record.stage == expected else {
            throw Problem(.conflict, phase == .onsite ? "The on-site assessment follows the desktop one." : "The desktop assessment is over.",
                          errors: [FieldError("stage", "is \(record.stage.rawValue)")])
        }
        let framework = try await framework(version: record.frameworkVersion, on: database)
        let scores = input.scores ?? [:]
        let problems = framework.problems(of: scores)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        try await database.transaction { database in
            guard let sheet = try await AccreditationAssessor.query(on: database).filter(\.$accreditationID == id).filter(\.$userID == principal.userID)
                .filter(\.$phase == phase).first() else { throw Problem.forbidden }
            sheet.scores = StoredJSON.text(scores)
            sheet.scoredAt = now
            try await sheet.update(on: database)
            if phase == .desktop {
                record.stage = .onsite
                record.updatedAt = now
                try await record.update(on: database)
            }
        }
        return record
    }

    /// The moderated decision: the moderator's scores, else the mean of the on-site assessors' per metric.
    static func decide(_ input: AccreditationDecisionInput, on id: UUID, by principal: Principal, now: Date, app: Application,
                       on database: any Database) async throws -> AccreditationRecord {
        let seen = try await seen(id, by: principal, on: database)
        guard seen.national else { throw Problem(.forbidden, "A national admin moderates and decides.") }
        let record = seen.record
        let sheets = try await AccreditationAssessor.query(on: database).filter(\.$accreditationID == id).all()
        let onsite = sheets.filter { $0.phase == .onsite }.compactMap { $0.scores.map(decodeScores) }
        guard record.stage == .onsite, sheets.contains(where: { $0.phase == .desktop && $0.scores != nil }), !onsite.isEmpty else {
            throw Problem(.conflict, "A decision follows both the desktop and the on-site assessment.", errors: [FieldError("stage", "is \(record.stage.rawValue)")])
        }
        let framework = try await framework(version: record.frameworkVersion, on: database)
        var scores: [String: Int] = [:]
        if let moderated = input.moderatedScores {
            let problems = framework.problems(of: moderated, field: "moderatedScores")
            if !problems.isEmpty { throw Problem.invalid(problems) }
            scores = moderated
        } else {
            for metric in framework.metrics {
                scores[metric.key] = Int((Double(onsite.reduce(0) { $0 + ($1[metric.key] ?? 0) }) / Double(onsite.count)).rounded())
            }
        }
        let percent = framework.percent(of: scores)
        let stars = framework.stars(percent: percent)
        let today = IndiaDay.of(now)
        var planned: [(String, Int)] = []
        var problems: [FieldError] = []
        for (index, action) in (input.actions ?? []).enumerated().prefix(50) {
            let text = action.action.trimmed
            if text.isEmpty || text.count > 500 { problems.append(FieldError("actions[\(index)].action", "must be 1–500 characters")) }
            guard let day = IndiaDay.parse(action.dueDate), day > today else {
                problems.append(FieldError("actions[\(index)].dueDate", "must be a date after today, YYYY-MM-DD")); continue
            }
            planned.append((text, day))
        }
        if stars <= 2, input.actions?.isEmpty ?? true {
            problems.append(FieldError("actions", "\(stars) stars: give the quality improvement plan's actions with their due dates"))
        }
        if let note = input.note, note.count > 5_000 { problems.append(FieldError("note", "must be at most 5,000 characters")) }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        record.finalScores = StoredJSON.text(scores)
        record.percent = (percent * 10).rounded() / 10
        record.stars = stars
        record.decisionNote = input.note?.trimmed
        record.decidedAt = now
        let civil = IndiaDay.civil(today)
        record.validUntil = IndiaDay.days(year: civil.year + framework.validityYears, month: civil.month, day: min(civil.day, 28))
        record.stage = .decided
        record.updatedAt = now
        let actions = planned
        try await database.transaction { database in
            try await record.update(on: database)
            for (position, action) in actions.enumerated() {
                let row = AccreditationAction()
                row.accreditationID = id
                row.position = position
                row.action = action.0
                row.dueDay = action.1
                try await row.create(on: database)
            }
        }
        return record
    }

    // MARK: Reading

    static func decodeScores(_ text: String) -> [String: Int] { (try? JSONDecoder().decode([String: Int].self, from: Data(text.utf8))) ?? [:] }
    static func decodeProfile(_ text: String) -> [String] { (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? [] }

    static func of(institute id: UUID, by principal: Principal, on database: any Database) async throws -> [AccreditationRecord] {
        guard let institute = try await Organisations.find(id, on: database), institute.organisationType == .trainingInstitute,
              isInstituteAdmin(institute.placement, principal) || principal.access.isNationalAdmin
        else { throw Problem.notFound("training institute") }
        return try await AccreditationRecord.query(on: database).filter(\.$instituteID == id).sort(\.$createdAt, .descending).limit(50).all()
    }

    /// Applications the principal works on: their institutes', those they assess, or (national admins) the latest 200.
    static func worklist(_ principal: Principal, on database: any Database) async throws -> [AccreditationRecord] {
        var ids = Set(try await AccreditationAssessor.query(on: database).filter(\.$userID == principal.userID).all().map(\.accreditationID))
        let query = AccreditationRecord.query(on: database)
        if principal.access.isNationalAdmin {
            ids.formUnion(try await AccreditationRecord.query(on: database).sort(\.$updatedAt, .descending).limit(200).all(\.$id))
        }
        for path in principal.access.subtrees(holding: .mdoAdmin) ?? [] { ids.formUnion(try await AccreditationRecord.query(on: database).filter(\.$institutePath =~ path).all(\.$id)) }
        guard !ids.isEmpty else { return [] }
        return try await query.filter(\.$id ~~ Array(ids)).sort(\.$updatedAt, .descending).limit(200).all()
    }

    static func dtos(_ records: [AccreditationRecord], on database: any Database) async throws -> [AccreditationDTO] {
        let ids = records.map { $0.id! }
        let institutes = try await Organisations.names(records.map(\.instituteID), on: database)
        let evidence = ids.isEmpty ? [] : try await AccreditationEvidence.query(on: database).filter(\.$accreditationID ~~ ids).sort(\.$addedAt).all()
        let assessors = ids.isEmpty ? [] : try await AccreditationAssessor.query(on: database).filter(\.$accreditationID ~~ ids).sort(\.$assignedAt).all()
        let actions = ids.isEmpty ? [] : try await AccreditationAction.query(on: database).filter(\.$accreditationID ~~ ids).sort(\.$position).all()
        let people = try await Users.named(Set(assessors.map(\.userID)), on: database)
        var frameworks: [Int: AccreditationFramework] = [:]
        for version in Set(records.map(\.frameworkVersion)) { frameworks[version] = try await framework(version: version, on: database) }
        return records.map { record in
            AccreditationDTO(
                id: record.id!, instituteId: record.instituteID, instituteName: institutes[record.instituteID], stateCode: record.stateCode,
                frameworkVersion: record.frameworkVersion, framework: frameworks[record.frameworkVersion] ?? .starting, stage: record.stage,
                profile: decodeProfile(record.profile), selfScores: decodeScores(record.selfScores),
                evidence: evidence.filter { $0.accreditationID == record.id }.map {
                    .init(id: $0.id!, metricKey: $0.metricKey, kind: $0.kind.rawValue, value: $0.value, note: $0.note, addedAt: $0.addedAt)
                },
                assessors: assessors.filter { $0.accreditationID == record.id }.map {
                    .init(userId: $0.userID, name: people[$0.userID]?.name, phase: $0.phase, scores: $0.scores.map(decodeScores), scoredAt: $0.scoredAt)
                },
                finalScores: record.finalScores.map(decodeScores), percent: record.percent, stars: record.stars, decisionNote: record.decisionNote,
                decidedAt: record.decidedAt, validUntil: record.validUntil.map(IndiaDay.string),
                improvementPlan: actions.filter { $0.accreditationID == record.id }.map {
                    .init(position: $0.position, action: $0.action, dueDate: IndiaDay.string($0.dueDay), done: $0.doneAt != nil)
                },
                previousId: record.previousID, submittedAt: record.submittedAt, updatedAt: record.updatedAt)
        }
    }

    /// The public register: each institute's latest decided accreditation still valid today, with counts by State and stars.
    static func register(today: Int, geography: Geography, on database: any Database) async throws -> RegisterDTO {
        let decided = try await AccreditationRecord.query(on: database).filter(\.$stage == .decided).filter(\.$validUntil >= today)
            .sort(\.$decidedAt, .descending).all()
        var latest: [UUID: AccreditationRecord] = [:]
        for record in decided where latest[record.instituteID] == nil { latest[record.instituteID] = record }
        let names = try await Organisations.names(Array(latest.keys), on: database)
        let entries = latest.values.map { record in
            RegisterDTO.Entry(accreditationId: record.id!, instituteId: record.instituteID, name: names[record.instituteID] ?? "", stateCode: record.stateCode,
                              stateName: record.stateCode.flatMap { geography.state(code: $0)?.name }, stars: record.stars ?? 0,
                              decidedAt: record.decidedAt ?? record.updatedAt, validUntil: IndiaDay.string(record.validUntil ?? today))
        }.sorted { ($1.stars, $0.name) < ($0.stars, $1.name) }
        var byStars = Array(repeating: 0, count: 6)
        var byState: [Int?: [Int]] = [:]
        for entry in entries {
            byStars[entry.stars] += 1
            byState[entry.stateCode, default: Array(repeating: 0, count: 6)][entry.stars] += 1
        }
        let rows = byState.map { code, counts in
            RegisterDTO.StateRow(stateCode: code, name: code.flatMap { geography.state(code: $0)?.name } ?? "Central", byStars: counts)
        }.sorted { $0.name < $1.name }
        return RegisterDTO(items: entries, byStars: byStars, byState: rows)
    }
}
