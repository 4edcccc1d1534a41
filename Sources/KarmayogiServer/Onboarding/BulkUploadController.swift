import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct BulkUploadDTO: Content {
    struct RowError: Content {
        var line: Int
        var column: String?
        var reason: String
        var code: String?
        var values: [String: String]?
    }

    var id: UUID
    var organisationId: UUID
    var fileName: String
    var status: BulkUpload.Status
    var total: Int
    var done: Int
    var created: Int
    var skipped: Int
    var failed: Int
    var failure: String?
    var createdAt: Date?
    var finishedAt: Date?
    var errors: [RowError]?
    /// How many row errors there are in all; `errors` holds the first `errorLimit` from `errorsFrom`.
    var errorCount: Int?
}

enum BulkUploads {
    /// Uploads still queued or running in organisations whose people this person manages, newest first.
    static func unfinished(for principal: Principal, on database: any Database) async throws -> [BulkUpload] {
        try await BulkUpload.query(on: database).filter(\.$status ~~ [.queued, .running]).with(\.$organisation)
            .sort(\.$createdAt, .descending).limit(200).all()
            .filter { principal.access.allows(.manageUsers, on: $0.organisation.placement) }
    }

    /// Reads and checks the sheet before anything is stored: a file that cannot be read is refused whole.
    static func accept(_ bytes: [UInt8], fileName: String, into organisationID: UUID, by principal: Principal,
                       app: Application, on database: any Database) async throws -> BulkUpload {
        let organisation = try await Organisations.visible(organisationID, to: principal, on: database)
        guard principal.access.allows(.manageUsers, on: organisation.placement) else { throw Problem.forbidden }
        guard !bytes.isEmpty else { throw Problem.invalid("file", "is empty; expected a CSV with a header row") }
        let defaults = OnboardingSheet.Defaults(stateCode: organisation.stateCode, districtCode: organisation.districtCode)
        let parsed = await Task.detached { () -> Result<OnboardingSheet, CSVError> in
            do throws(CSVError) { return .success(try OnboardingSheet(bytes: bytes, geography: .reference, defaults: defaults)) } catch { return .failure(error) }
        }.value
        let sheet: OnboardingSheet
        switch parsed {
        case .success(let checked): sheet = checked
        case .failure(let error):
            throw Problem(.unprocessableEntity, "The file cannot be read as a staff sheet: line \(error.line): \(error.reason).",
                          errors: [.init("file", "line \(error.line): \(error.reason)")])
        }
        let upload = BulkUpload()
        upload.$organisation.id = organisationID
        upload.createdBy = principal.userID
        upload.fileName = String(fileName.prefix(200))
        upload.contentSHA256 = SecretToken.hex(SHA256.hash(data: bytes))
        upload.content = Data(bytes)
        upload.status = .queued
        upload.total = sheet.total
        upload.done = 0
        upload.created = 0
        upload.skipped = 0
        upload.failed = 0
        let job = try await database.transaction { database in
            try await upload.create(on: database)
            return try await Jobs.enqueue(OnboardingJobs.kind, subject: upload.id!, at: app.clock.now(), on: database)
        }
        // This node has the checked sheet in hand: it starts at once, unless another node was quicker.
        try await app.jobs.claimNow(job, hint: sheet, app: app)
        return upload
    }

    static func find(_ id: UUID, in organisationID: UUID, for principal: Principal, on database: any Database) async throws -> BulkUpload {
        let organisation = try await Organisations.visible(organisationID, to: principal, on: database)
        guard principal.access.allows(.manageUsers, on: organisation.placement),
              let upload = try await BulkUpload.find(id, on: database), upload.$organisation.id == organisationID
        else { throw Problem.notFound("upload") }
        return upload
    }

    static func dto(_ upload: BulkUpload, errorsFrom: Int = 0, errorLimit: Int? = nil, on database: any Database) async throws -> BulkUploadDTO {
        var dto = BulkUploadDTO(id: upload.id!, organisationId: upload.$organisation.id, fileName: upload.fileName, status: upload.status,
                                total: upload.total, done: upload.done, created: upload.created, skipped: upload.skipped,
                                failed: upload.failed, failure: upload.failure, createdAt: upload.createdAt, finishedAt: upload.finishedAt)
        if let errorLimit {
            let sql = database as! any SQLDatabase
            struct Row: Decodable {
                var line: Int
                var column_name: String?
                var reason: String
                var code: String?
                var details: String?
            }
            let rows = try await sql.select().columns("line", "column_name", "reason", "code", "details").from("bulk_upload_errors")
                .where("upload_id", .equal, SQLBind(upload.id!)).where("line", .greaterThanOrEqual, SQLBind(errorsFrom))
                .orderBy("line").limit(errorLimit).all(decoding: Row.self)
            dto.errors = rows.map {
                .init(line: $0.line, column: $0.column_name, reason: $0.reason, code: $0.code,
                      values: $0.details.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) })
            }
            struct Count: Decodable { var count: Int }
            dto.errorCount = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count").from("bulk_upload_errors")
                .where("upload_id", .equal, SQLBind(upload.id!)).first(decoding: Count.self)?.count ?? 0
        }
        return dto
    }

    static func recent(in organisationID: UUID, for principal: Principal, limit: Int, on database: any Database) async throws -> [BulkUpload] {
        let organisation = try await Organisations.visible(organisationID, to: principal, on: database)
        guard principal.access.allows(.manageUsers, on: organisation.placement) else { throw Problem.forbidden }
        return try await BulkUpload.query(on: database).filter(\.$organisation.$id == organisationID)
            .field(\.$id).field(\.$organisation.$id).field(\.$fileName).field(\.$status).field(\.$total).field(\.$done)
            .field(\.$created).field(\.$skipped).field(\.$failed).field(\.$failure).field(\.$createdAt).field(\.$finishedAt)
            .field(\.$createdBy).field(\.$contentSHA256)
            .sort(\.$createdAt, .descending).limit(limit).all()
    }
}

struct BulkUploadController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.on(.POST, "orgs", ":id", "users", "bulk", body: .collect(maxSize: "64mb"), use: Self.upload)
        routes.get("orgs", ":id", "users", "bulk", use: Self.list)
        routes.get("orgs", ":id", "users", "bulk", ":uploadId", use: Self.status)
    }

    @Sendable static func upload(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let organisationID = try request.id(of: "organisation")
        let (fileName, bytes) = try request.csvUpload()
        let upload = try await BulkUploads.accept(bytes, fileName: fileName, into: organisationID, by: principal,
                                                  app: request.application, on: request.db)
        let response = try await BulkUploads.dto(upload, on: request.db).encodeResponse(status: .accepted, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/orgs/\(organisationID)/users/bulk/\(upload.id!)")
        return response
    }

    @Sendable static func status(_ request: Request) async throws -> BulkUploadDTO {
        let upload = try await BulkUploads.find(try request.id("uploadId", of: "upload"), in: try request.id(of: "organisation"),
                                                for: try request.principal(), on: request.db)
        let errorsFrom = (try? request.query.get(Int.self, at: "errorsFrom")) ?? 0
        let errorLimit = min(max((try? request.query.get(Int.self, at: "errorLimit")) ?? 1000, 1), 10_000)
        return try await BulkUploads.dto(upload, errorsFrom: errorsFrom, errorLimit: errorLimit, on: request.db)
    }

    @Sendable static func list(_ request: Request) async throws -> Page<BulkUploadDTO> {
        let uploads = try await BulkUploads.recent(in: try request.id(of: "organisation"), for: try request.principal(), limit: 50, on: request.db)
        var items: [BulkUploadDTO] = []
        for upload in uploads { items.append(try await BulkUploads.dto(upload, on: request.db)) }
        return Page(items: items, nextCursor: nil)
    }
}
