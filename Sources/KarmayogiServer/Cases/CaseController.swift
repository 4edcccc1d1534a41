import Fluent
import Foundation
import KarmayogiCore
import Vapor

struct CaseController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("cases", use: Self.create)
        routes.get("cases", use: Self.search)
        routes.get("cases", "coverage", use: Self.coverage)
        routes.get("cases", ":id", use: Self.read)
        routes.patch("cases", ":id", use: Self.change)
        routes.on(.POST, "cases", ":id", "pdf", body: .stream, use: Self.attach)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let study = try await CaseStudies.create(try request.decodeStrict(CaseInput.self), by: principal, geography: request.geography,
                                                 now: request.application.clock.now(), on: request.db)
        let response = try await CaseStudies.dtos([study], for: principal, full: true, teachingNote: true, geography: request.geography, on: request.db)[0]
            .encodeResponse(status: .created, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/cases/\(study.id!)")
        return response
    }

    /// What a search asks for, from the query string: each filter checked and named when it is wrong.
    struct Search {
        var query = CaseQuery()
        var offset = 0
        var limit = 20
        /// Set: the editor's own cases at that stage rather than the Kosh.
        var stage: CaseStage?

        init(_ request: Request, geography: Geography) throws {
            var errors: [FieldError] = []
            // A page's form sends an empty field for "any"; the API asks that a filter be left out instead (words may be empty).
            let api = request.url.path.hasPrefix("/api/")
            func text(_ name: String) -> String? {
                guard let given = request.query[String.self, at: name]?.trimmed else { return nil }
                if given.isEmpty, api, name != "q", name != "language" { errors.append(FieldError(name, "is empty: leave it out to mean any")) }
                return given.isEmpty ? nil : given
            }
            func number(_ name: String, _ range: ClosedRange<Int>, _ reason: String) -> Int? {
                guard let given = text(name) else { return nil }
                guard let value = Int(given), range.contains(value) else { errors.append(FieldError(name, reason)); return nil }
                return value
            }
            query.text = text("q") ?? ""
            if query.text.count > 200 { errors.append(FieldError("q", "must be at most 200 characters")) }
            query.sdg = number("sdg", CaseDraft.sdgs, "must be a Sustainable Development Goal, 1–17")
            if let code = number("state", 1...9_999, "must be a State/UT's LGD code") {
                if geography.state(code: code) == nil { errors.append(FieldError("state", "no State/UT has LGD code \(code)")) } else { query.stateCode = code }
            }
            if let sector = text("sector") {
                if CaseSector(rawValue: sector) == nil { errors.append(FieldError("sector", "must be one of \(CaseSector.allCases.map(\.rawValue).joined(separator: ", "))")) }
                query.sector = sector
            }
            query.year = number("year", 1947...2100, "must be a year from 1947")
            if let competency = text("competency") {
                if let id = UUIDText.parse(competency) { query.competencyId = id } else { errors.append(FieldError("competency", "must be a competency's id")) }
            }
            if let language = text("language") {
                if let known = Language.named(language) { query.language = known.code } else { errors.append(FieldError("language", "is not one of the platform's languages")) }
            }
            if let status = text("status") {
                if CaseStatus(rawValue: status) == nil { errors.append(FieldError("status", "must be ongoing or completed")) }
                query.status = status
            }
            if let stage = text("stage") {
                if let known = CaseStage(rawValue: stage) { self.stage = known == .published ? nil : known } else {
                    errors.append(FieldError("stage", "must be draft, in_review or published"))
                }
            }
            offset = number("offset", 0...1_000_000, "must be a whole number from 0") ?? 0
            limit = number("limit", 1...100, "must be a whole number from 1 to 100") ?? 20
            if !errors.isEmpty { throw Problem.invalid(errors) }
        }
    }

    @Sendable static func search(_ request: Request) async throws -> CaseSearchDTO {
        let principal = try request.principal()
        let search = try Search(request, geography: request.geography)
        if let stage = search.stage {
            let studies = try await CaseStudies.ofInstitutes(principal, stage: stage, limit: search.limit, on: request.db)
            let items = try await CaseStudies.dtos(studies, for: principal, full: false, teachingNote: false, geography: request.geography, on: request.db)
            return CaseSearchDTO(items: items, total: items.count, facets: [:], nextOffset: nil)
        }
        let found = try await CaseStudies.search(search.query, offset: search.offset, limit: search.limit, on: request.db)
        let items = try await CaseStudies.dtos(found.studies, for: principal, full: false, teachingNote: false, geography: request.geography, on: request.db)
        return CaseSearchDTO(items: items, total: found.total, facets: found.facets, nextOffset: found.nextOffset)
    }

    @Sendable static func coverage(_ request: Request) async throws -> CaseCoverageDTO {
        _ = try request.principal()
        return try await CaseStudies.coverage(geography: request.geography, on: request.db)
    }

    /// A case; `include=teachingNote` adds its teaching note, for faculty and the institute's editors only.
    @Sendable static func read(_ request: Request) async throws -> CaseStudyDTO {
        let principal = try request.principal()
        let study = try await CaseStudies.visible(try request.id(of: "case study"), to: principal, on: request.db)
        let include = request.query[String.self, at: "include"]
        if let include, include != "teachingNote" { throw Problem.invalid("include", "may only be teachingNote") }
        let note = include != nil
        if note, !CaseStudies.mayReadTeachingNote(study, principal) {
            throw Problem(.forbidden, "A case's teaching note is for faculty of a training institute.",
                          errors: [FieldError("include", "teachingNote is read by faculty of a training institute and the case's editors")])
        }
        return try await CaseStudies.dtos([study], for: principal, full: true, teachingNote: note, geography: request.geography, on: request.db)[0]
    }

    @Sendable static func change(_ request: Request) async throws -> CaseStudyDTO {
        let principal = try request.principal()
        let study = try await CaseStudies.change(try request.id(of: "case study"), try request.decodeStrict(CasePatch.self), by: principal,
                                                 geography: request.geography, now: request.application.clock.now(), on: request.db)
        return try await CaseStudies.dtos([study], for: principal, full: true, teachingNote: true, geography: request.geography, on: request.db)[0]
    }

    struct FileForm: Content {
        var file: File?
    }

    /// The case's PDF, as a multipart form's `file`: a draft's editors only.
    @Sendable static func attach(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let limit = request.application.settings.contentMaxBytes
        if let declared = request.headers.first(name: .contentLength).flatMap(Int.init), declared > limit + 64 * 1024 {
            throw Problem(.payloadTooLarge, "A case's PDF may be at most \(limit / 1_048_576) MiB.")
        }
        let study = try await CaseStudies.visible(try request.id(of: "case study"), to: principal, on: request.db)
        guard CaseStudies.mayEdit(study, principal) else { throw Problem.forbidden }
        guard let type = request.headers.contentType, type.type == "multipart", type.subType == "form-data" else {
            throw Problem(.unsupportedMediaType, "Send a multipart form with the field 'file' (a PDF).")
        }
        _ = try await request.body.collect(max: limit + 64 * 1024).get()
        let form = try request.content.decode(FileForm.self)
        let stored = try await ContentFiles.accept(form.file, as: ContentKind.document.rawValue, provider: study.instituteID, by: principal, request: request)
        let changed = try await CaseStudies.attach(pdf: stored.reference, to: study.id!, by: principal, now: request.application.clock.now(), on: request.db)
        return try await CaseStudies.dtos([changed], for: principal, full: true, teachingNote: true, geography: request.geography, on: request.db)[0]
            .encodeResponse(status: .created, for: request)
    }
}
