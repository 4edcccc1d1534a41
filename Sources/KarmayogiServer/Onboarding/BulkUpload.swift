import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// One staff spreadsheet sent for onboarding, kept whole until it is done so that a restart resumes it.
final class BulkUpload: Model, @unchecked Sendable {
    static let schema = "bulk_uploads"

    enum Status: String, Codable, Sendable { case queued, running, completed, failed }

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "finished_at") var finishedAt: Date?

    // reference fields
    @Parent(key: "organisation_id") var organisation: Organisation
    @Field(key: "created_by") var createdBy: UUID

    // data fields
    @Field(key: "file_name") var fileName: String
    @Field(key: "content_sha256") var contentSHA256: String
    @OptionalField(key: "content") var content: Data?
    @Field(key: "status") var status: Status
    @Field(key: "total") var total: Int
    @Field(key: "done") var done: Int
    @Field(key: "created") var created: Int
    @Field(key: "skipped") var skipped: Int
    @Field(key: "failed") var failed: Int
    @OptionalField(key: "failure") var failure: String?

    init() {}
}

struct CreateBulkUploads: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(BulkUpload.schema)
            .id()
            .field("organisation_id", .uuid, .required, .references(Organisation.schema, "id"))
            .field("created_by", .uuid, .required)
            .field("file_name", .string, .required)
            .field("content_sha256", .string, .required)
            .field("content", .data)
            .field("status", .string, .required)
            .field("total", .int, .required)
            .field("done", .int, .required)
            .field("created", .int, .required)
            .field("skipped", .int, .required)
            .field("failed", .int, .required)
            .field("failure", .string)
            .field("created_at", .datetime)
            .field("finished_at", .datetime)
            .create()
        try await database.index("bulk_uploads_organisation", on: BulkUpload.schema, columns: ["organisation_id", "created_at"])
        try await database.index("bulk_uploads_status", on: BulkUpload.schema, columns: ["status"])
        try await database.schema("bulk_upload_errors")
            .field("upload_id", .uuid, .required, .references(BulkUpload.schema, "id", onDelete: .cascade))
            .field("line", .int, .required)
            .field("column_name", .string)
            .field("reason", .string, .required)
            .create()
        try await database.index("bulk_upload_errors_upload", on: "bulk_upload_errors", columns: ["upload_id", "line"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("bulk_upload_errors").delete()
        try await database.schema(BulkUpload.schema).delete()
    }
}

/// Row errors keep their problem's code and values, so a page says them in the reader's language.
struct LocaliseUploadErrors: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column at a time: SQLite adds one per ALTER TABLE.
        try await database.schema("bulk_upload_errors").field("code", .string).update()
        try await database.schema("bulk_upload_errors").field("details", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("bulk_upload_errors").deleteField("details").update()
        try await database.schema("bulk_upload_errors").deleteField("code").update()
    }
}
