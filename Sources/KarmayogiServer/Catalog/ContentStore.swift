import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// Where uploaded course files live. A directory by default; object storage can stand behind the same interface.
protocol ContentStore: Sendable {
    /// Stores the bytes under their SHA-256 and answers it; storing the same bytes twice keeps one copy.
    func put(_ bytes: [UInt8]) async throws -> String
    func url(for sha256: String) -> URL?
    /// Unpacks `archive` (its files under `prefix`) as the package stored under `sha256`, once: a second import of
    /// the same archive finds it there. The folder appears whole or not at all.
    func unpack(_ archive: PackageArchive, prefix: String, as sha256: String) async throws
    /// A file of the package unpacked under `sha256`, by its path in the package; nil when there is none.
    func packageFile(_ sha256: String, path: String) -> URL?
}

/// Files in a directory, two levels deep by hash (ab/abcdef…), written atomically.
struct DirectoryContentStore: ContentStore {
    let root: URL

    func put(_ bytes: [UInt8]) async throws -> String {
        let hash = SecretToken.hex(SHA256.hash(data: bytes))
        let folder = root.appendingPathComponent(String(hash.prefix(2)), isDirectory: true)
        let file = folder.appendingPathComponent(hash)
        try await Task.detached {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: file.path) { try Data(bytes).write(to: file, options: .atomic) }
        }.value
        return hash
    }

    func url(for sha256: String) -> URL? {
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else { return nil }
        let file = root.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(sha256)
        return FileManager.default.fileExists(atPath: file.path) ? file : nil
    }

    private func packageFolder(_ sha256: String) -> URL? {
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else { return nil }
        return root.appendingPathComponent("packages", isDirectory: true).appendingPathComponent(sha256, isDirectory: true)
    }

    func unpack(_ archive: PackageArchive, prefix: String, as sha256: String) async throws {
        guard let folder = packageFolder(sha256) else { return }
        let manager = FileManager.default
        if manager.fileExists(atPath: folder.path) { return }
        let staging = folder.deletingLastPathComponent().appendingPathComponent(".unpacking-\(UUID().uuidString)", isDirectory: true)
        try await Task.detached {
            try manager.createDirectory(at: staging, withIntermediateDirectories: true)
            do {
                try archive.unpack(to: staging, prefix: prefix)
                if (try? manager.moveItem(at: staging, to: folder)) == nil {
                    // Another node or request unpacked the same archive first: theirs stands.
                    try? manager.removeItem(at: staging)
                }
            } catch {
                try? manager.removeItem(at: staging)
                throw error
            }
        }.value
    }

    func packageFile(_ sha256: String, path: String) -> URL? {
        guard let folder = packageFolder(sha256), let path = PackageArchive.normalised(path) else { return nil }
        let file = folder.appendingPathComponent(path)
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder) && !isFolder.boolValue ? file : nil
    }
}

/// A stored file as the catalogue knows it: what it is, how big, who sent it for which provider.
final class ContentFile: Model, @unchecked Sendable {
    static let schema = "content_files"

    @ID(custom: "sha256", generatedBy: .user) var id: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "provider_id") var providerID: UUID
    @Field(key: "uploaded_by") var uploadedBy: UUID
    @Field(key: "media_type") var mediaType: String
    @Field(key: "size") var size: Int
    @Field(key: "file_name") var fileName: String

    init() {}
}

struct CreateContentFiles: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ContentFile.schema)
            .field("sha256", .string, .identifier(auto: false))
            .field("provider_id", .uuid, .required, .references(Organisation.schema, "id"))
            .field("uploaded_by", .uuid, .required)
            .field("media_type", .string, .required)
            .field("size", .int64, .required)
            .field("file_name", .string, .required)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ContentFile.schema).delete()
    }
}

struct ContentFileDTO: Content {
    /// What a content item's `url` names: "content:<sha256>".
    var reference: String
    var mediaType: String
    var size: Int
    var fileName: String
}

extension Application {
    private struct ContentStoreKey: StorageKey { typealias Value = any ContentStore }

    var contentStore: any ContentStore {
        get { storage[ContentStoreKey.self] ?? DirectoryContentStore(root: URL(fileURLWithPath: settings.contentDirectory, isDirectory: true)) }
        set { storage[ContentStoreKey.self] = newValue }
    }
}

struct ContentFileController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Streamed: the limit is applied while the body arrives, so an oversized file is refused before it is read whole.
        routes.on(.POST, "courses", ":id", "files", body: .stream, use: Self.upload)
    }

    /// A stored file, by its hash, for anyone signed in (the page player links items' files here). Content never
    /// changes under a hash, so browsers may keep it.
    @Sendable static func download(_ request: Request) async throws -> Response {
        _ = try request.pagePrincipal()
        guard let hash = request.parameters.get("sha256"), let url = request.application.contentStore.url(for: hash),
              let record = try await ContentFile.find(hash, on: request.db)
        else { throw Problem.notFound("file") }
        let response = try await request.fileio.asyncStreamFile(at: url.path)
        let type = record.mediaType.split(separator: "/").map(String.init)
        response.headers.contentType = HTTPMediaType(type: type.first ?? "application", subType: type.last ?? "octet-stream")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=31536000, immutable")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        return response
    }

    struct Form: Content {
        var file: File?
        var kind: String?
    }

    /// What every upload to a course starts with: a content creator of its provider, a multipart form, and a body
    /// within the content limit (refused while it arrives). Answers the caller and the course, the body collected.
    static func received(_ request: Request, what: String, fields: String) async throws -> (Principal, Course) {
        let principal = try request.principal()
        let limit = request.application.settings.contentMaxBytes
        if let declared = request.headers.first(name: .contentLength).flatMap(Int.init), declared > limit + 64 * 1024 {
            throw Problem(.payloadTooLarge, "\(what) may be at most \(limit / 1_048_576) MiB.")
        }
        let (course, _) = try await Courses.visible(try request.id(of: "course"), to: principal, on: request.db)
        guard principal.access.holds(.contentCreator, on: course.provider.placement) else { throw Problem.forbidden }
        guard let type = request.headers.contentType, type.type == "multipart", type.subType == "form-data" else {
            throw Problem(.unsupportedMediaType, "Send a multipart form with \(fields).")
        }
        _ = try await request.body.collect(max: limit + 64 * 1024).get()
        return (principal, course)
    }

    @Sendable static func upload(_ request: Request) async throws -> Response {
        let (principal, course) = try await received(request, what: "A course file", fields: "the fields 'file' and 'kind'")
        let form = try request.content.decode(Form.self)
        let stored = try await ContentFiles.accept(form.file, as: form.kind, provider: course.$provider.id, by: principal, request: request)
        return try await stored.encodeResponse(status: .created, for: request)
    }
}

/// The one way a file enters the content store, from the API and from the course editor alike.
enum ContentFiles {
    /// Checks `file` against the kind of item it is for (of a course or a case study of the provider) (size, and its bytes' real type) and stores it.
    static func accept(_ file: File?, as kindName: String?, provider providerID: UUID, by principal: Principal, request: Request) async throws -> ContentFileDTO {
        let limit = request.application.settings.contentMaxBytes
        var errors: [FieldError] = []
        let kind = kindName.flatMap(ContentKind.init(rawValue:))
        if kind == .scorm || kind == .cmi5 {
            errors.append(.init("kind", "a SCORM package or cmi5 course is imported, not stored as a file: send it to /api/v1/courses/{id}/packages, which checks it and makes its activities items"))
        } else if kind == nil || kind!.acceptedFiles.isEmpty {
            let kinds = ContentKind.allCases.filter { !$0.acceptedFiles.isEmpty }.map(\.rawValue)
            errors.append(.init("kind", "must be one of \(kinds.joined(separator: ", ")) (the kinds that take a file)"))
        }
        guard let file, file.data.readableBytes > 0 else { throw Problem.invalid(errors + [.init("file", "is missing or empty")]) }
        if file.data.readableBytes > limit { throw Problem(.payloadTooLarge, "A course file may be at most \(limit / 1_048_576) MiB.") }
        let bytes = Array(file.data.readableBytesView)
        let detected = FileSignature.detect(bytes)
        if let kind, !kind.acceptedFiles.isEmpty, detected.map({ !kind.acceptedFiles.contains($0) }) ?? true {
            let expected = kind.acceptedFiles.map(\.description).sorted().joined(separator: " or ")
            errors.append(.init("file", "its bytes are \(detected?.description ?? "of no known type"), not \(expected) as a \(kind.rawValue) item needs"))
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        let hash = try await request.application.contentStore.put(bytes)
        let record = ContentFile()
        record.id = hash
        record.providerID = providerID
        record.uploadedBy = principal.userID
        record.mediaType = detected!.mediaType
        record.size = bytes.count
        record.fileName = String(file.filename.prefix(200))
        if try await ContentFile.find(hash, on: request.db) == nil { try await record.create(on: request.db) }
        return ContentFileDTO(reference: "content:\(hash)", mediaType: record.mediaType, size: bytes.count, fileName: record.fileName)
    }
}
