import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// A content package a provider imported: the archive as sent (in the content store, by its hash), the folder it
/// was unpacked to, and the structure its manifest gave, checked. Course items name its activities.
final class ContentPackage: Model, @unchecked Sendable {
    static let schema = "content_packages"

    @ID(key: .id) var id: UUID?
    @Field(key: "provider_id") var providerID: UUID
    /// scorm_1.2, scorm_2004_2nd, scorm_2004_3rd, scorm_2004_4th, cmi5
    @Field(key: "standard") var standard: String
    @Field(key: "title") var title: String
    /// The archive in the content store; its unpacked files live under the same hash.
    @Field(key: "archive_sha256") var archiveSHA256: String
    /// JSON: the checked structure (`ScormPackage`, or `Cmi5Course` for cmi5).
    @Field(key: "structure") var structure: String
    @Field(key: "uploaded_by") var uploadedBy: UUID
    @Field(key: "file_name") var fileName: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    static let cmi5Standard = "cmi5"

    var scorm: ScormPackage? { standard == Self.cmi5Standard ? nil : try? JSONDecoder().decode(ScormPackage.self, from: Data(structure.utf8)) }
    var cmi5: Cmi5Course? { standard == Self.cmi5Standard ? try? JSONDecoder().decode(Cmi5Course.self, from: Data(structure.utf8)) : nil }
}

struct CreateContentPackages: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ContentPackage.schema)
            .id()
            .field("provider_id", .uuid, .required)
            .field("standard", .string, .required)
            .field("title", .string, .required)
            .field("archive_sha256", .string, .required)
            .field("structure", .string, .required)
            .field("uploaded_by", .uuid, .required)
            .field("file_name", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ContentPackage.schema).delete()
    }
}

/// A package as the API shows it: what was found (each activity that launches, and whether it is a SCO that
/// reports to the platform) and what was noticed.
struct ContentPackageDTO: Content {
    struct Activity: Content {
        var identifier: String
        var title: String
        /// A SCO talks to the platform (status, score, where the learner was); an asset only opens.
        var sco: Bool
        var launch: String
        /// What a course item's `url` holds to play this activity.
        var reference: String
    }

    var id: UUID
    var standard: String
    var standardTitle: String
    var title: String
    var fileName: String
    var activities: [Activity]
    var warnings: [String]
    var createdAt: Date

    init(_ package: ContentPackage) {
        let structure = package.scorm
        let id = package.id!
        self.id = id
        standard = package.standard
        standardTitle = ScormVersion(rawValue: package.standard)?.title ?? package.standard
        title = package.title
        fileName = package.fileName
        activities = (structure?.leaves ?? []).map {
            Activity(identifier: $0.identifier, title: $0.title, sco: $0.isSCO, launch: $0.launch ?? "",
                     reference: PackageItemReference(package: id, activity: $0.identifier).text)
        }
        if let course = package.cmi5 {
            // Every AU reports to the platform (it is xAPI content launched the cmi5 way).
            activities = course.aus.map {
                Activity(identifier: $0.id, title: $0.title, sco: true, launch: $0.url,
                         reference: PackageItemReference(package: id, activity: $0.id, kind: .cmi5).text)
            }
        }
        warnings = structure?.warnings ?? []
        createdAt = package.createdAt
    }
}
