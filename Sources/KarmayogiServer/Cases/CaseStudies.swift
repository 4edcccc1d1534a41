import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// The Amrit Gyaan Kosh: case studies written by training institutes' case editors, reviewed by a second editor of the
/// institute and published to everyone signed in. A case's teaching note is for faculty (the `faculty` role on any
/// training institute) and the institute's editors. Drafts and cases in review exist only for their institute's
/// editors: to anyone else they are not there.
enum CaseStudies {
    // MARK: Who may do what

    static func mayEdit(_ study: CaseStudy, _ principal: Principal) -> Bool {
        principal.access.holds(.caseEditor, on: study.placement)
    }

    /// Faculty of any training institute, the case's editors and national admins read its teaching note.
    static func mayReadTeachingNote(_ study: CaseStudy, _ principal: Principal) -> Bool {
        principal.access.grants.contains { $0.role == .faculty } || mayEdit(study, principal)
    }

    /// Whether the principal edits cases anywhere (and so is offered the editor's pages).
    static func editsCases(_ principal: Principal) -> Bool {
        principal.access.grants.contains { $0.role == .caseEditor || $0.role == .nationalAdmin }
    }

    /// A case the principal may see: a published one, or one of their institute's; else 404.
    static func visible(_ id: UUID, to principal: Principal, on database: any Database) async throws -> CaseStudy {
        guard let study = try await CaseStudy.find(id, on: database), study.stage == .published || mayEdit(study, principal) else {
            throw Problem.notFound("case study")
        }
        return study
    }

    /// The training institutes the principal writes cases for.
    static func institutes(of principal: Principal, on database: any Database) async throws -> [Organisation] {
        try await Organisations.trainingInstitutes(within: principal.access.subtrees(holding: .caseEditor), on: database)
    }

    // MARK: Writing

    static func create(_ input: CaseInput, by principal: Principal, geography: Geography, now: Date, on database: any Database) async throws -> CaseStudy {
        var problems: [FieldError] = []
        let study = CaseStudy()
        study.id = UUID()
        if let id = input.instituteId {
            if let institute = try await Organisations.find(id, on: database), institute.organisationType == .trainingInstitute,
               principal.access.holds(.caseEditor, on: institute.placement) {
                study.instituteID = id
                study.institutePath = institute.path
            } else {
                problems.append(FieldError("instituteId", "is no training institute whose cases you edit"))
            }
        } else {
            problems.append(FieldError("instituteId", "is required: the training institute publishing the case"))
        }
        problems += try await apply(input, to: study, creating: true, geography: geography, now: now, on: database)
        if !problems.isEmpty { throw Problem.invalid(problems) }
        study.stage = .draft
        study.createdBy = principal.userID
        study.createdAt = now
        study.updatedAt = now
        try await study.create(on: database)
        return study
    }

    /// Sets the input's fields on the case and answers what is wrong with the result (nothing is stored here).
    static func apply(_ input: CaseInput, to study: CaseStudy, creating: Bool, geography: Geography, now: Date,
                      on database: any Database) async throws -> [FieldError] {
        func text(_ given: String?, _ current: @autoclosure () -> String) -> String { given.map(\.trimmed) ?? (creating ? "" : current()) }
        var draft = CaseDraft(
            title: text(input.title, study.title), abstract: text(input.abstract, study.abstract), body: text(input.body, study.body),
            teachingNote: text(input.teachingNote, study.teachingNote), authors: input.authors ?? (creating ? [] : study.authorNames),
            stateCode: input.stateCode ?? (creating ? nil : study.stateCode), sdgs: input.sdgs ?? (creating ? [] : study.goals),
            sector: input.sector ?? (creating ? "" : study.sector), year: input.year ?? (creating ? nil : study.year),
            language: input.language ?? (creating ? "en" : study.language), status: input.status ?? (creating ? "" : study.status),
            coPublisher: text(input.coPublisher, study.coPublisher))
        draft.authors = draft.authors.map(\.trimmed)
        var problems = draft.problems(in: geography, currentYear: IndiaDay.civil(IndiaDay.of(now)).year)
        let competencies = input.competencyIds ?? (creating ? [] : study.competencyIDs)
        if competencies.count > 20 { problems.append(FieldError("competencyIds", "at most 20 competencies")) }
        if input.competencyIds != nil {
            let current = try await Competencies.states(of: competencies, on: database).current
            for (index, id) in competencies.enumerated().prefix(20) where !current.contains(id) {
                problems.append(FieldError("competencyIds[\(index)]", "no current competency has this id"))
            }
        }
        guard problems.isEmpty else { return problems }
        study.title = draft.title
        study.abstract = draft.abstract
        study.body = draft.body
        study.teachingNote = draft.teachingNote
        study.authors = StoredJSON.text(draft.authors)
        study.stateCode = draft.stateCode!
        study.sdgs = StoredJSON.text(draft.sdgs.sorted())
        study.sector = draft.sector
        study.year = draft.year!
        study.competencies = StoredJSON.text(Array(Set(competencies)).sorted { $0.uuidString < $1.uuidString })
        study.language = Language.named(draft.language)!.code
        study.status = draft.status
        study.coPublisher = draft.coPublisher
        study.searchWords = SearchText.words([draft.title, draft.abstract, draft.coPublisher, draft.authors.joined(separator: " ")].joined(separator: " "))
            .joined(separator: " ")
        return []
    }

    /// A change of a draft's content, a step of its review, or both (content first).
    static func change(_ id: UUID, _ patch: CasePatch, by principal: Principal, geography: Geography, now: Date,
                       on database: any Database) async throws -> CaseStudy {
        try await database.transaction { database in
            let study = try await visible(id, to: principal, on: database)
            guard mayEdit(study, principal) else { throw Problem.forbidden }
            if patch.changesContent {
                guard study.stage == .draft else {
                    throw Problem(.conflict, "A case in review or published is not changed: send it back or withdraw it to draft first.",
                                  errors: [FieldError("stage", "is \(study.stage.rawValue)")])
                }
                let problems = try await apply(patch.content, to: study, creating: false, geography: geography, now: now, on: database)
                if !problems.isEmpty { throw Problem.invalid(problems) }
            }
            let note = patch.note?.trimmed ?? ""
            if note.unicodeScalars.count > 2_000 { throw Problem.invalid("note", "must be at most 2,000 characters") }
            if let action = patch.action {
                switch action.next(from: study.stage, bySubmitter: study.submittedBy == principal.userID) {
                case .failure(let problem): throw Problem(.conflict, "The case cannot take that step now.", errors: [problem])
                case .success(let stage):
                    if action == .submit, study.body.isEmpty, study.pdf == nil {
                        throw Problem.invalid("body", "write the case's text or attach its PDF before sending it for review")
                    }
                    if action == .sendBack, note.isEmpty { throw Problem.invalid("note", "say what the author should change") }
                    study.stage = stage
                    if action == .submit { study.submittedBy = principal.userID }
                    if action == .publish { study.publishedAt = now }
                    let step = CaseReviewStep()
                    step.caseID = study.id!
                    step.action = action
                    step.by = principal.userID
                    step.note = note
                    step.at = now
                    try await step.create(on: database)
                }
            } else if !patch.changesContent {
                throw Problem.invalid("action", "send the fields to change, or an action: submit, publish, return or withdraw")
            }
            study.updatedAt = now
            try await study.update(on: database)
            return study
        }
    }

    /// Attaches a PDF of the case to a draft.
    static func attach(pdf reference: String, to id: UUID, by principal: Principal, now: Date, on database: any Database) async throws -> CaseStudy {
        let study = try await visible(id, to: principal, on: database)
        guard mayEdit(study, principal) else { throw Problem.forbidden }
        guard study.stage == .draft else { throw Problem(.conflict, "A PDF is attached to a draft.", errors: [FieldError("stage", "is \(study.stage.rawValue)")]) }
        study.pdf = reference
        study.updatedAt = now
        try await study.update(on: database)
        return study
    }

    // MARK: Reading

    /// Which of `ids` are published cases (a course's case study items name only those).
    static func published(_ ids: [UUID], on database: any Database) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        return Set(try await CaseStudy.query(on: database).filter(\.$id ~~ Array(Set(ids))).filter(\.$stage == .published).all(\.$id))
    }

    /// Published cases as search knows them.
    static func entries(on database: any Database) async throws -> [CaseEntry] {
        struct Row: Decodable {
            var id: UUID, title: String, search_words: String, state_code: Int, sdgs: String, sector: String, year: Int, competency_ids: String
            var language: String, status: String
        }
        let rows = try await (database as! any SQLDatabase).select()
            .columns("id", "title", "search_words", "state_code", "sdgs", "sector", "year", "competency_ids", "language", "status")
            .from(CaseStudy.schema).where("stage", .equal, CaseStage.published.rawValue).all(decoding: Row.self)
        let decoder = JSONDecoder()
        return rows.map { row in
            CaseEntry(id: row.id, title: row.title, words: row.search_words.split(separator: " ").map(String.init), stateCode: row.state_code,
                      sdgs: Set((try? decoder.decode([Int].self, from: Data(row.sdgs.utf8))) ?? []), sector: row.sector, year: row.year,
                      competencies: Set((try? decoder.decode([UUID].self, from: Data(row.competency_ids.utf8))) ?? []), language: row.language, status: row.status)
        }
    }

    struct Found {
        var studies: [CaseStudy]
        var total: Int
        var facets: [String: [String: Int]]
        var nextOffset: Int?
    }

    static func search(_ query: CaseQuery, offset: Int, limit: Int, on database: any Database) async throws -> Found {
        let result = CaseIndex.search(try await entries(on: database), query)
        let ids = Array(result.ids.dropFirst(offset).prefix(limit))
        let byID = Dictionary(uniqueKeysWithValues: try await CaseStudy.query(on: database).filter(\.$id ~~ ids).all().map { ($0.id!, $0) })
        return Found(studies: ids.compactMap { byID[$0] }, total: result.ids.count, facets: result.facets,
                     nextOffset: offset + ids.count < result.ids.count ? offset + ids.count : nil)
    }

    /// The cases of the principal's institutes at a stage, newest change first.
    static func ofInstitutes(_ principal: Principal, stage: CaseStage, limit: Int, on database: any Database) async throws -> [CaseStudy] {
        let query = CaseStudy.query(on: database).filter(\.$stage == stage)
        if let paths = principal.access.subtrees(holding: .caseEditor) {
            guard !paths.isEmpty else { return [] }
            query.group(.or) { group in for path in paths { group.filter(\.$institutePath =~ path) } }
        }
        return try await query.sort(\.$updatedAt, .descending).limit(limit).all()
    }

    static func coverage(geography: Geography, on database: any Database) async throws -> CaseCoverageDTO {
        let entries = try await entries(on: database)
        let cells = CaseIndex.coverage(entries)
        var byState: [Int: Int] = [:]
        for entry in entries { byState[entry.stateCode, default: 0] += 1 }
        return CaseCoverageDTO(
            cells: cells.keys.sorted().flatMap { sdg in cells[sdg]!.keys.sorted().map { .init(sdg: sdg, stateCode: $0, cases: cells[sdg]![$0]!) } },
            bySdg: CaseDraft.sdgs.map { sdg in cells[sdg]?.values.reduce(0, +) ?? 0 },
            byState: byState.keys.sorted().map { .init(stateCode: $0, name: geography.state(code: $0)?.name ?? String($0), cases: byState[$0]!) },
            cases: entries.count)
    }

    static func dtos(_ studies: [CaseStudy], for principal: Principal, full: Bool, teachingNote: Bool, geography: Geography,
                     on database: any Database) async throws -> [CaseStudyDTO] {
        let institutes = try await Organisations.names(studies.map(\.instituteID), on: database)
        var steps: [UUID: [CaseReviewStep]] = [:]
        let edited = studies.filter { full && mayEdit($0, principal) }.map { $0.id! }
        if !edited.isEmpty {
            for step in try await CaseReviewStep.query(on: database).filter(\.$caseID ~~ edited).sort(\.$at).all() { steps[step.caseID, default: []].append(step) }
        }
        let people = try await Users.named(Set(steps.values.flatMap { $0.map(\.by) }), on: database)
        return studies.map { study in
            CaseStudyDTO(
                id: study.id!, instituteId: study.instituteID, instituteName: institutes[study.instituteID], title: study.title, abstract: study.abstract,
                body: full ? study.body : nil, pdf: study.pdf, hasTeachingNote: !study.teachingNote.isEmpty,
                teachingNote: teachingNote && mayReadTeachingNote(study, principal) ? study.teachingNote : nil, authors: study.authorNames,
                stateCode: study.stateCode, stateName: geography.state(code: study.stateCode)?.name, sdgs: study.goals,
                sector: CaseSector(rawValue: study.sector) ?? .governance, year: study.year, competencyIds: study.competencyIDs, language: study.language,
                status: CaseStatus(rawValue: study.status) ?? .ongoing, coPublisher: study.coPublisher.isEmpty ? nil : study.coPublisher, stage: study.stage,
                publishedAt: study.publishedAt, updatedAt: study.updatedAt,
                steps: (steps[study.id!] ?? []).map { .init(action: $0.action, by: $0.by, byName: people[$0.by]?.name, note: $0.note, at: $0.at) })
        }
    }
}
