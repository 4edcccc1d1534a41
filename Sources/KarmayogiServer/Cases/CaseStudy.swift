import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A case study of the Amrit Gyaan Kosh, written by a training institute's case editors.
final class CaseStudy: Model, @unchecked Sendable {
    static let schema = "case_studies"

    @ID(key: .id) var id: UUID?
    @Field(key: "institute_id") var instituteID: UUID
    /// The institute's materialised path, so its editors' reach is a prefix test.
    @Field(key: "institute_path") var institutePath: String
    @Field(key: "title") var title: String
    @Field(key: "abstract") var abstract: String
    @Field(key: "body") var body: String
    /// A PDF of the case in the content store ("content:<sha256>"), beside or instead of the text.
    @OptionalField(key: "pdf") var pdf: String?
    @Field(key: "teaching_note") var teachingNote: String
    /// JSON: the authors' names, in order.
    @Field(key: "authors") var authors: String
    @Field(key: "state_code") var stateCode: Int
    /// JSON: the SDGs (1–17) the case speaks to.
    @Field(key: "sdgs") var sdgs: String
    @Field(key: "sector") var sector: String
    @Field(key: "year") var year: Int
    /// JSON: the competency ids the case teaches.
    @Field(key: "competency_ids") var competencies: String
    @Field(key: "language") var language: String
    @Field(key: "status") var status: String
    @Field(key: "co_publisher") var coPublisher: String
    @Enum(key: "stage") var stage: CaseStage
    /// The words search knows it by (title, abstract, authors, co-publisher), normalised (`SearchText`).
    @Field(key: "search_words") var searchWords: String
    @Field(key: "created_by") var createdBy: UUID
    @OptionalField(key: "submitted_by") var submittedBy: UUID?
    @OptionalField(key: "published_at") var publishedAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var authorNames: [String] { (try? JSONDecoder().decode([String].self, from: Data(authors.utf8))) ?? [] }
    var goals: [Int] { (try? JSONDecoder().decode([Int].self, from: Data(sdgs.utf8))) ?? [] }
    var competencyIDs: [UUID] { (try? JSONDecoder().decode([UUID].self, from: Data(competencies.utf8))) ?? [] }
    var placement: Placement { Placement(organisationPath: institutePath, stateCodes: []) }
}

/// Each step of a case through review: who did what, when, and why (a note when sent back).
final class CaseReviewStep: Model, @unchecked Sendable {
    static let schema = "case_study_steps"

    @ID(key: .id) var id: UUID?
    @Field(key: "case_id") var caseID: UUID
    @Enum(key: "action") var action: CaseAction
    @Field(key: "by") var by: UUID
    @Field(key: "note") var note: String
    @Field(key: "at") var at: Date

    init() {}
}

struct CreateCaseStudies: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CaseStudy.schema)
            .id()
            .field("institute_id", .uuid, .required)
            .field("institute_path", .string, .required)
            .field("title", .string, .required)
            .field("abstract", .string, .required)
            .field("body", .string, .required)
            .field("pdf", .string)
            .field("teaching_note", .string, .required)
            .field("authors", .string, .required)
            .field("state_code", .int, .required)
            .field("sdgs", .string, .required)
            .field("sector", .string, .required)
            .field("year", .int, .required)
            .field("competency_ids", .string, .required)
            .field("language", .string, .required)
            .field("status", .string, .required)
            .field("co_publisher", .string, .required)
            .field("stage", .string, .required)
            .field("search_words", .string, .required)
            .field("created_by", .uuid, .required)
            .field("submitted_by", .uuid)
            .field("published_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.index("case_studies_stage", on: CaseStudy.schema, columns: ["stage", "year"])
        try await database.index("case_studies_institute", on: CaseStudy.schema, columns: ["institute_path", "stage"])
        try await database.schema(CaseReviewStep.schema)
            .id()
            .field("case_id", .uuid, .required)
            .field("action", .string, .required)
            .field("by", .uuid, .required)
            .field("note", .string, .required)
            .field("at", .datetime, .required)
            .create()
        try await database.index("case_study_steps_case", on: CaseReviewStep.schema, columns: ["case_id", "at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CaseReviewStep.schema).delete()
        try await database.schema(CaseStudy.schema).delete()
    }
}

/// A case as it is written and changed: every field on creation (but the text, PDF and teaching note, which may
/// follow), any of them in a change of a draft.
struct CaseInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable {
        case instituteId, title, abstract, body, teachingNote, authors, stateCode, sdgs, sector, year, competencyIds, language, status, coPublisher
    }

    var instituteId: UUID?
    var title: String?
    var abstract: String?
    var body: String?
    var teachingNote: String?
    var authors: [String]?
    var stateCode: Int?
    var sdgs: [Int]?
    var sector: String?
    var year: Int?
    var competencyIds: [UUID]?
    var language: String?
    var status: String?
    var coPublisher: String?
}

/// A change of a case: its content (a draft's), or a step of its review (`action`, with a `note` when sent back).
struct CasePatch: StrictInput {
    enum Fields: String, CodingKey, CaseIterable {
        case title, abstract, body, teachingNote, authors, stateCode, sdgs, sector, year, competencyIds, language, status, coPublisher, action, note
    }

    var title: String?
    var abstract: String?
    var body: String?
    var teachingNote: String?
    var authors: [String]?
    var stateCode: Int?
    var sdgs: [Int]?
    var sector: String?
    var year: Int?
    var competencyIds: [UUID]?
    var language: String?
    var status: String?
    var coPublisher: String?
    var action: CaseAction?
    var note: String?

    var content: CaseInput {
        CaseInput(instituteId: nil, title: title, abstract: abstract, body: body, teachingNote: teachingNote, authors: authors, stateCode: stateCode, sdgs: sdgs,
                  sector: sector, year: year, competencyIds: competencyIds, language: language, status: status, coPublisher: coPublisher)
    }

    var changesContent: Bool {
        [title, abstract, body, teachingNote, sector, language, status, coPublisher].contains { $0 != nil } || authors != nil || stateCode != nil
            || sdgs != nil || year != nil || competencyIds != nil
    }
}

struct CaseStudyDTO: Content {
    struct Step: Content {
        var action: CaseAction
        var by: UUID
        var byName: String?
        var note: String
        var at: Date
    }

    var id: UUID
    var instituteId: UUID
    var instituteName: String?
    var title: String
    var abstract: String
    /// The text; left out of lists.
    var body: String?
    /// "content:<sha256>" of the case's PDF, downloadable at /content/<sha256> on the portal.
    var pdf: String?
    var hasTeachingNote: Bool
    /// Only when asked for (`include=teachingNote`) by faculty or the institute's editors.
    var teachingNote: String?
    var authors: [String]
    var stateCode: Int
    var stateName: String?
    var sdgs: [Int]
    var sector: CaseSector
    var year: Int
    var competencyIds: [UUID]
    var language: String
    var status: CaseStatus
    var coPublisher: String?
    var stage: CaseStage
    var publishedAt: Date?
    var updatedAt: Date
    /// The review's steps, oldest first, for the institute's editors (empty for others).
    var steps: [Step]
}

struct CaseSearchDTO: Content {
    var items: [CaseStudyDTO]
    var total: Int
    /// Per facet (sdg, state, sector, year, competency, language, status), how many cases each value gives with the
    /// other filters as they are.
    var facets: [String: [String: Int]]
    /// The `offset` of the next page, when there is one.
    var nextOffset: Int?
}

struct CaseCoverageDTO: Content {
    struct Cell: Content {
        var sdg: Int
        var stateCode: Int
        var cases: Int
    }

    struct StateTotal: Content {
        var stateCode: Int
        var name: String
        var cases: Int
    }

    /// Published cases per SDG and State/UT (only cells with cases).
    var cells: [Cell]
    /// Cases per SDG (1–17, every goal).
    var bySdg: [Int]
    /// Cases per State/UT that has any.
    var byState: [StateTotal]
    var cases: Int
}
