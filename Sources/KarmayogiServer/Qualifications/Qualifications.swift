import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// An NCVET qualification: courses bundled with a pass rule, at an NSQF level, worth the credits its notional hours make.
final class Qualification: Model, @unchecked Sendable {
    static let schema = "qualifications"

    @ID(key: .id) var id: UUID?
    @Field(key: "title") var title: String
    @Field(key: "awarding_body") var awardingBody: String
    @Field(key: "nsqf_level") var nsqfLevel: Int
    @Field(key: "notional_hours") var notionalHours: Int
    @Field(key: "credits") var credits: Double
    /// JSON: the courses bundled.
    @Field(key: "course_ids") var courseIDs: String
    @Field(key: "minimum_courses") var minimumCourses: Int
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var rule: QualificationRule {
        QualificationRule(courseIDs: (try? JSONDecoder().decode([UUID].self, from: Data(courseIDs.utf8))) ?? [], minimumCourses: minimumCourses)
    }
}

/// A line of a learner's credit ledger: a qualification earned, once.
final class CreditEntry: Model, @unchecked Sendable {
    static let schema = "credit_entries"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "qualification_id") var qualificationID: UUID
    @Field(key: "credits") var credits: Double
    @Field(key: "nsqf_level") var nsqfLevel: Int
    @Field(key: "earned_at") var earnedAt: Date
    /// The Open Badges 3.0 certificate issued for it.
    @OptionalField(key: "certificate_id") var certificateID: UUID?

    init() {}
}

struct CreateQualifications: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Qualification.schema)
            .id()
            .field("title", .string, .required)
            .field("awarding_body", .string, .required)
            .field("nsqf_level", .int, .required)
            .field("notional_hours", .int, .required)
            .field("credits", .double, .required)
            .field("course_ids", .string, .required)
            .field("minimum_courses", .int, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema(CreditEntry.schema)
            .id()
            .field("user_id", .uuid, .required)
            .field("qualification_id", .uuid, .required)
            .field("credits", .double, .required)
            .field("nsqf_level", .int, .required)
            .field("earned_at", .datetime, .required)
            .unique(on: "user_id", "qualification_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CreditEntry.schema).delete()
        try await database.schema(Qualification.schema).delete()
    }
}

/// Each qualification earned comes with its certificate.
struct RecordQualificationCertificates: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CreditEntry.schema).field("certificate_id", .uuid).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CreditEntry.schema).deleteField("certificate_id").update()
    }
}

struct QualificationInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case title, awardingBody, nsqfLevel, notionalHours, credits, courseIds, minimumCourses }
    var title: String?
    var awardingBody: String?
    var nsqfLevel: Int?
    var notionalHours: Int?
    var credits: Double?
    var courseIds: [UUID]?
    var minimumCourses: Int?
}

struct QualificationDTO: Content {
    var id: UUID
    var title: String
    var awardingBody: String
    var nsqfLevel: Int
    var notionalHours: Int
    var credits: Double
    var courseIds: [UUID]
    var minimumCourses: Int
    var createdAt: Date

    init(_ qualification: Qualification) {
        let rule = qualification.rule
        (id, title, awardingBody, nsqfLevel) = (qualification.id!, qualification.title, qualification.awardingBody, qualification.nsqfLevel)
        (notionalHours, credits, courseIds, minimumCourses, createdAt) = (qualification.notionalHours, qualification.credits, rule.courseIDs,
                                                                         rule.minimumCourses, qualification.createdAt)
    }
}

struct CreditsDTO: Content {
    struct Line: Content {
        var qualificationId: UUID
        var title: String
        var awardingBody: String
        var nsqfLevel: Int
        var credits: Double
        var earnedAt: Date
        var certificateId: UUID?
    }

    var items: [Line]
    var totalCredits: Double
    /// The highest NSQF level earned, if any.
    var highestLevel: Int?
}

/// Qualifications and the credit ledger. The national admin (Karmayogi Bharat, an NCVET awarding body) sets up
/// qualifications; a learner's ledger is settled when it is read: each qualification whose rule their completed courses
/// meet is entered once, with its credits and level as they were then.
enum Qualifications {
    static func create(_ input: QualificationInput, by principal: Principal, now: Date, on database: any Database) async throws -> Qualification {
        guard principal.access.isNationalAdmin else { throw Problem(.forbidden, "Qualifications are set up by a national admin for the awarding body.") }
        var problems: [FieldError] = []
        let title = input.title?.trimmed ?? "", body = input.awardingBody?.trimmed ?? "Karmayogi Bharat"
        if title.isEmpty || title.count > 300 { problems.append(FieldError("title", "must be 1–300 characters")) }
        if body.isEmpty || body.count > 200 { problems.append(FieldError("awardingBody", "must be 1–200 characters")) }
        problems += NSQF.problems(level: input.nsqfLevel, hours: input.notionalHours, credits: input.credits)
        let rule = QualificationRule(courseIDs: input.courseIds ?? [], minimumCourses: input.minimumCourses)
        problems += rule.problems
        for (index, course) in rule.courseIDs.enumerated().prefix(50) where try await Courses.publishedVersion(of: course, on: database) == nil {
            problems.append(FieldError("courseIds[\(index)]", "no published course has this id"))
        }
        if !problems.isEmpty { throw Problem.invalid(problems) }
        let qualification = Qualification()
        qualification.title = title
        qualification.awardingBody = body
        qualification.nsqfLevel = input.nsqfLevel!
        qualification.notionalHours = input.notionalHours!
        qualification.credits = NSQF.credits(hours: input.notionalHours!)
        qualification.courseIDs = StoredJSON.text(rule.courseIDs)
        qualification.minimumCourses = rule.minimumCourses
        qualification.createdBy = principal.userID
        qualification.createdAt = now
        try await qualification.create(on: database)
        return qualification
    }

    static func list(on database: any Database) async throws -> [Qualification] {
        try await Qualification.query(on: database).sort(\.$title).limit(500).all()
    }

    /// Enters each qualification the person has newly earned, with its certificate, and answers their ledger.
    static func ledger(of userID: UUID, now: Date, keys: CredentialKeys, on database: any Database) async throws -> CreditsDTO {
        let completed = try await Enrolments.completedCourseIDs(of: userID, on: database)
        let held = Set(try await CreditEntry.query(on: database).filter(\.$userID == userID).all(\.$qualificationID))
        let qualifications = try await list(on: database)
        for qualification in qualifications where !held.contains(qualification.id!) && qualification.rule.isMet(byCompleted: completed) {
            let entry = CreditEntry()
            entry.userID = userID
            entry.qualificationID = qualification.id!
            entry.credits = qualification.credits
            entry.nsqfLevel = qualification.nsqfLevel
            entry.earnedAt = now
            // Another request may have entered it a moment ago: the unique keys keep one of each.
            do {
                try await database.transaction { database in
                    try await entry.create(on: database)
                    entry.certificateID = try await certify(qualification, userID: userID, now: now, keys: keys, on: database)
                    try await entry.save(on: database)
                }
            } catch where WriteRetry.isContention(error) {}
        }
        let byID = Dictionary(uniqueKeysWithValues: qualifications.map { ($0.id!, $0) })
        let entries = try await CreditEntry.query(on: database).filter(\.$userID == userID).sort(\.$earnedAt).all()
        let lines = entries.compactMap { entry in
            byID[entry.qualificationID].map {
                CreditsDTO.Line(qualificationId: entry.qualificationID, title: $0.title, awardingBody: $0.awardingBody, nsqfLevel: entry.nsqfLevel,
                                credits: entry.credits, earnedAt: entry.earnedAt, certificateId: entry.certificateID)
            }
        }
        return CreditsDTO(items: lines, totalCredits: (lines.reduce(0) { $0 + $1.credits } * 100).rounded() / 100, highestLevel: lines.map(\.nsqfLevel).max())
    }
}

extension Qualifications {
    /// The qualification's Open Badges 3.0 certificate for one person: its credits and NSQF level in the standard's fields.
    static func certify(_ qualification: Qualification, userID: UUID, now: Date, keys: CredentialKeys, on database: any Database) async throws -> UUID? {
        let name = try await Users.named([userID], on: database)[userID]?.name ?? ""
        let body = try await NationalAdmins.platformOrganisation(on: database)
        let rule = qualification.rule
        let award = Certificates.Award(
            subject: .qualification(qualification.id!, credits: qualification.credits, nsqfLevel: qualification.nsqfLevel), title: qualification.title,
            summary: "An NCVET qualification at NSQF level \(qualification.nsqfLevel), worth \(qualification.credits) credits (\(qualification.notionalHours) notional hours).",
            organiserID: body.id!, organiserName: qualification.awardingBody, minutes: qualification.notionalHours * 60, competencies: [], endedAt: now,
            rule: "completed \(rule.minimumCourses) of its \(rule.courseIDs.count) courses")
        return try await Certificates.issue(for: award, attendees: [(userID, name)], at: now, keys: keys, on: database)[userID]
    }
}

/// The transcript as a signed credential: the JSON and the compact JWS that secures it.
struct TranscriptDTO: Content {
    var credential: [String: JSONValue]
    var jws: String
}

extension Qualifications {
    /// The learner's transcript as a Comprehensive Learner Record, signed now with the platform's key: each qualification
    /// earned, with its own certificate enveloped inside.
    static func transcript(of principal: Principal, now: Date, keys: CredentialKeys, on database: any Database) async throws -> TranscriptDTO {
        let ledger = try await ledger(of: principal.userID, now: now, keys: keys, on: database)
        let credentials = try await Certificates.standing(ledger.items.compactMap(\.certificateId), of: principal.userID, on: database)
        let transcript = ClrTranscript(id: "\(keys.publicURL)/transcripts/\(UUID().uuidString.lowercased())", issuer: keys.issuer, learnerID: principal.userID.uuidString,
                                       learnerName: principal.me.name, salt: SecretToken.make(), issuedAt: now, credentials: credentials)
        let payload = try transcript.encoded()
        return TranscriptDTO(credential: JSONValue.object(payload) ?? [:], jws: try CredentialJWS.sign(payload, kid: keys.kid, with: keys.privateKey))
    }
}

struct QualificationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("qualifications", use: Self.create)
        routes.get("qualifications", use: Self.list)
        routes.get("me", "credits", use: Self.mine)
        routes.get("me", "credits", "transcript", use: Self.transcript)
    }

    @Sendable static func transcript(_ request: Request) async throws -> TranscriptDTO {
        try await Qualifications.transcript(of: try request.principal(), now: request.application.clock.now(), keys: request.application.credentialKeys, on: request.db)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let qualification = try await Qualifications.create(try request.decodeStrict(QualificationInput.self), by: principal,
                                                            now: request.application.clock.now(), on: request.db)
        return try await QualificationDTO(qualification).encodeResponse(status: .created, for: request)
    }

    @Sendable static func list(_ request: Request) async throws -> Page<QualificationDTO> {
        _ = try request.principal()
        return Page(items: try await Qualifications.list(on: request.db).map(QualificationDTO.init), nextCursor: nil)
    }

    @Sendable static func mine(_ request: Request) async throws -> CreditsDTO {
        let principal = try request.principal()
        return try await Qualifications.ledger(of: principal.userID, now: request.application.clock.now(), keys: request.application.credentialKeys, on: request.db)
    }
}

/// The learner's transcript: the qualifications earned with their credits and levels, on a page and as CSV.
struct QualificationPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("my", "credits", use: Self.transcript)
        routes.get("my", "credits.csv", use: Self.csv)
        routes.get("my", "transcript.jwt", use: Self.signed)
        // Public: a certificate's achievement points here.
        routes.get("qualifications", ":id", use: Self.qualification)
    }

    @Sendable static func qualification(_ request: Request) async throws -> HTML {
        let t = request.catalogue
        guard let qualification = try await Qualification.find(try request.id(of: "qualification"), on: request.db) else { throw Problem.notFound("qualification") }
        let cards = try await request.application.catalogueSearch.cards(on: request.db)
        let rule = qualification.rule
        let courses: [HTML] = rule.courseIDs.compactMap { cards[$0] }.map { "<li><a href=\"/courses/\($0.id.uuidString)\">\($0.title)</a></li>" }
        return Layout.page(qualification.title, for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(qualification.title)], """
            <dl class="facts-list card"><dt>\(t("credits.awardingBody"))</dt><dd>\(qualification.awardingBody)</dd>\
            <dt>\(t("credits.nsqf"))</dt><dd>\(qualification.nsqfLevel)</dd><dt>\(t("credits.credits"))</dt><dd>\(Formats.number(qualification.credits))</dd>\
            <dt>\(t("credits.hours"))</dt><dd>\(Formats.number(qualification.notionalHours))</dd></dl>
            <h2>\(t("credits.rule", ["count": String(rule.minimumCourses), "total": String(rule.courseIDs.count)]))</h2>
            <ul>\(courses)</ul>
            """)
    }

    @Sendable static func transcript(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let ledger = try await Qualifications.ledger(of: principal.userID, now: request.application.clock.now(), keys: request.application.credentialKeys, on: request.db)
        let rows: [HTML] = ledger.items.map { line in
            "<tr><td><a href=\"/qualifications/\(line.qualificationId.uuidString.lowercased())\">\(line.title)</a>\(line.certificateId.map { " · <a href=\"/certificates/\($0.uuidString)\">\(t("credits.certificate"))</a>" as HTML } ?? "")</td><td>\(line.awardingBody)</td><td class=\"number\">\(line.nsqfLevel)</td><td class=\"number\">\(Formats.number(line.credits))</td><td>\(Formats.date(line.earnedAt, t))</td></tr>"
        }
        return Layout.page(t("credits.title"), for: request, crumbs: [UI.Crumb(t("nav.home"), "/"), UI.Crumb(t("credits.title"))], """
            <p class="muted">\(t("credits.intro"))</p>
            <div class="figures">\(UI.figure(t("credits.total"), HTML(stringLiteral: Formats.number(ledger.totalCredits))))\
            \(UI.figure(t("credits.level"), HTML(stringLiteral: ledger.highestLevel.map(String.init) ?? "–")))</div>
            \(UI.table(t("credits.title"), head: [t("credits.qualification"), t("credits.awardingBody"), t("credits.nsqf"), t("credits.credits"), t("credits.earned")],
                       rows: rows, empty: t("credits.none"), numeric: [2, 3]))
            <p class="actions"><a class="button secondary" href="/my/credits.csv">\(t("credits.csv"))</a> <a class="button secondary" href="/my/transcript.jwt" download>\(t("credits.signed"))</a></p>
            <p class="muted">\(t("credits.signedHint"))</p>
            """)
    }

    /// The transcript as a verifiable credential (VC-JOSE compact JWS), to hand to an employer or a university.
    @Sendable static func signed(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let transcript = try await Qualifications.transcript(of: principal, now: request.application.clock.now(), keys: request.application.credentialKeys, on: request.db)
        let response = Response(status: .ok, body: .init(string: transcript.jws))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "vc+jwt")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"transcript.jwt\"")
        return response
    }

    @Sendable static func csv(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let ledger = try await Qualifications.ledger(of: principal.userID, now: request.application.clock.now(), keys: request.application.credentialKeys, on: request.db)
        var text = CSVWriter.line(["qualification", "awarding_body", "nsqf_level", "credits", "earned_on"])
        for line in ledger.items {
            text += CSVWriter.line([line.title, line.awardingBody, String(line.nsqfLevel), String(line.credits), String(Formats.iso(line.earnedAt).prefix(10))])
        }
        text += CSVWriter.line(["total", "", ledger.highestLevel.map(String.init) ?? "", String(ledger.totalCredits), ""])
        let response = Response(status: .ok, body: .init(string: text))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"transcript.csv\"")
        return response
    }
}
