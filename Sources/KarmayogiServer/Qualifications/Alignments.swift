import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// What an awarding body has aligned a course or a programme to: its notional hours, the credits they make, its NSQF level.
final class NSQFAlignment: Model, @unchecked Sendable {
    static let schema = "nsqf_alignments"

    enum Kind: String, Codable, Sendable { case course, programme }

    @ID(key: .id) var id: UUID?
    @Enum(key: "subject_kind") var kind: Kind
    @Field(key: "subject_id") var subjectID: UUID
    @Field(key: "notional_hours") var notionalHours: Int
    @Field(key: "credits") var credits: Double
    @Field(key: "nsqf_level") var nsqfLevel: Int
    @Field(key: "awarding_body") var awardingBody: String
    @Field(key: "set_by") var setBy: UUID
    @Field(key: "set_at") var setAt: Date

    init() {}
}

struct CreateNSQFAlignments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(NSQFAlignment.schema)
            .id()
            .field("subject_kind", .string, .required)
            .field("subject_id", .uuid, .required)
            .field("notional_hours", .int, .required)
            .field("credits", .double, .required)
            .field("nsqf_level", .int, .required)
            .field("awarding_body", .string, .required)
            .field("set_by", .uuid, .required)
            .field("set_at", .datetime, .required)
            .unique(on: "subject_kind", "subject_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(NSQFAlignment.schema).delete()
    }
}

struct AlignmentInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case notionalHours, credits, nsqfLevel, awardingBody }
    var notionalHours: Int?
    var credits: Double?
    var nsqfLevel: Int?
    var awardingBody: String?
}

struct AlignmentDTO: Content {
    var notionalHours: Int
    var credits: Double
    var nsqfLevel: Int
    var awardingBody: String
    var setAt: Date

    init(_ alignment: NSQFAlignment) {
        (notionalHours, credits, nsqfLevel, awardingBody, setAt) = (alignment.notionalHours, alignment.credits, alignment.nsqfLevel, alignment.awardingBody, alignment.setAt)
    }
}

extension Qualifications {
    static func alignment(of kind: NSQFAlignment.Kind, _ id: UUID, on database: any Database) async throws -> NSQFAlignment? {
        try await NSQFAlignment.query(on: database).filter(\.$kind == kind).filter(\.$subjectID == id).first()
    }

    /// An awarding body's alignment of a course or programme, set (or replaced) by a national admin for it.
    static func align(_ kind: NSQFAlignment.Kind, _ id: UUID, _ input: AlignmentInput, by principal: Principal, now: Date, on database: any Database) async throws -> NSQFAlignment {
        guard principal.access.isNationalAdmin else { throw Problem(.forbidden, "NSQF alignments are set by a national admin for the awarding body.") }
        var problems = NSQF.problems(level: input.nsqfLevel, hours: input.notionalHours, credits: input.credits)
        let body = input.awardingBody?.trimmed ?? "Karmayogi Bharat"
        if body.isEmpty || body.count > 200 { problems.append(FieldError("awardingBody", "must be 1–200 characters")) }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let alignment = try await self.alignment(of: kind, id, on: database) ?? NSQFAlignment()
        alignment.kind = kind
        alignment.subjectID = id
        alignment.notionalHours = input.notionalHours!
        alignment.credits = NSQF.credits(hours: input.notionalHours!)
        alignment.nsqfLevel = input.nsqfLevel!
        alignment.awardingBody = body
        alignment.setBy = principal.userID
        alignment.setAt = now
        do { try await alignment.save(on: database) } catch where WriteRetry.isContention(error) {
            throw Problem(.conflict, "The alignment was being set by someone else at the same moment: read it again.")
        }
        return alignment
    }

    /// "NSQF level 4 · 2 credits (60 notional hours) · Karmayogi Bharat", for a course's or programme's page.
    static func line(_ alignment: NSQFAlignment?, _ t: Catalogue) -> HTML {
        guard let alignment else { return "" }
        return "<p class=\"facts\"><span>\(t("credits.alignment", ["level": String(alignment.nsqfLevel), "credits": Formats.number(alignment.credits), "hours": Formats.number(alignment.notionalHours)]))</span><span>\(alignment.awardingBody)</span></p>"
    }
}

/// A course's or programme's NSQF alignment: anyone signed in reads it; a national admin sets it.
struct AlignmentController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        for kind in ["courses", "programmes"] {
            routes.get(.constant(kind), ":id", "nsqf", use: Self.read)
            routes.put(.constant(kind), ":id", "nsqf", use: Self.set)
        }
    }

    /// The course or programme of the address, which must exist (a course published or not, as the catalogue shows it).
    static func subject(_ request: Request, _ principal: Principal) async throws -> (NSQFAlignment.Kind, UUID) {
        let programme = request.url.path.contains("/programmes/")
        let id = try request.id(of: programme ? "programme" : "course")
        if programme { _ = try await Programmes.find(id, on: request.db) } else { _ = try await Courses.visible(id, to: principal, on: request.db) }
        return (programme ? .programme : .course, id)
    }

    @Sendable static func read(_ request: Request) async throws -> AlignmentDTO {
        let principal = try request.principal()
        let (kind, id) = try await subject(request, principal)
        guard let alignment = try await Qualifications.alignment(of: kind, id, on: request.db) else { throw Problem(.notFound, "It has no NSQF alignment yet.") }
        return AlignmentDTO(alignment)
    }

    @Sendable static func set(_ request: Request) async throws -> AlignmentDTO {
        let principal = try request.principal()
        let (kind, id) = try await subject(request, principal)
        return AlignmentDTO(try await Qualifications.align(kind, id, try request.decodeStrict(AlignmentInput.self), by: principal,
                                                           now: request.application.clock.now(), on: request.db))
    }
}
