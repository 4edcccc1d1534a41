import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Content made elsewhere, brought in as a package: checked whole before anything is kept, then stored, unpacked
/// and described, so that course items can name its activities.
enum Packages {
    /// Checks and imports the SCORM package, cmi5 course (a `cmi5.xml`, or a ZIP holding one at its root) in `file`
    /// for `provider`. A package that fails any check leaves nothing behind: no file in the store, no folder, no row.
    static func importing(_ file: File?, provider: UUID, by principal: Principal, request: Request) async throws -> ContentPackage {
        let limit = request.application.settings.contentMaxBytes
        guard let file, file.data.readableBytes > 0 else { throw Problem.invalid("file", "is missing or empty: send the package's ZIP archive or a cmi5.xml") }
        if file.data.readableBytes > limit { throw Problem(.payloadTooLarge, "A package may be at most \(limit / 1_048_576) MiB.") }
        let bytes = Data(file.data.readableBytesView)
        let archive: PackageArchive?
        let standard: String, title: String, structure: Data, root: String
        do {
            let zip = bytes.starts(with: [0x50, 0x4B]) ? try PackageArchive(data: bytes) : nil
            if let zip, !zip.contains("cmi5.xml") || zip.contains("imsmanifest.xml") {
                let found = try ScormManifest.inspect(zip)
                (standard, title, structure, root) = (found.package.version.rawValue, found.package.title, try JSONEncoder().encode(found.package), found.root)
                archive = zip
            } else {
                let found = try Cmi5Structure.inspect(upload: bytes)
                (standard, title, structure, root) = (ContentPackage.cmi5Standard, found.course.title, try JSONEncoder().encode(found.course), "")
                archive = found.archive
            }
        } catch let refusal as PackageArchive.Refusal {
            throw Problem.invalid("file", said(refusal))
        } catch let refusal as ScormManifest.Refusal {
            throw Problem.invalid(refusal.reasons.map { FieldError("file", $0.hasPrefix("is ") ? "the package " + $0 : $0) })
        } catch let refusal as Cmi5Structure.Refusal {
            throw Problem.invalid(refusal.reasons.map { FieldError("file", $0.hasPrefix("is ") ? "the file " + $0 : $0) })
        }
        let store = request.application.contentStore
        let hash = try await store.put(Array(bytes))
        if let archive {
            do {
                try await store.unpack(archive, prefix: root, as: hash)
            } catch let refusal as PackageArchive.Refusal {
                throw Problem.invalid("file", said(refusal))
            }
        }
        let package = ContentPackage()
        package.id = UUID()
        package.providerID = provider
        package.standard = standard
        package.title = String(title.prefix(300))
        package.archiveSHA256 = hash
        package.structure = String(decoding: structure, as: UTF8.self)
        package.uploadedBy = principal.userID
        package.fileName = String(file.filename.prefix(200))
        package.createdAt = request.application.clock.now()
        try await package.create(on: request.db)
        return package
    }

    /// An archive's refusal as a sentence about the package.
    static func said(_ refusal: PackageArchive.Refusal) -> String {
        refusal.description.hasPrefix("its ") ? "the package's " + refusal.description.dropFirst(4) : "the package " + refusal.description
    }

    static func record(_ id: UUID, on database: any Database) async throws -> ContentPackage? {
        try await ContentPackage.find(id, on: database)
    }

    /// The packages among `ids` that `provider` imported, with the activities each offers (SCO or asset identifiers,
    /// or a cmi5 course's AU ids) and the kind of item that names them.
    static func owned(_ ids: Set<UUID>, by provider: UUID, on database: any Database) async throws -> [UUID: (kind: ContentKind, activities: Set<String>)] {
        guard !ids.isEmpty else { return [:] }
        let packages = try await ContentPackage.query(on: database).filter(\.$id ~~ Array(ids)).filter(\.$providerID == provider).all()
        return Dictionary(uniqueKeysWithValues: packages.compactMap { package in
            if let course = package.cmi5 { return (package.id!, (ContentKind.cmi5, Set(course.aus.map(\.id)))) }
            return package.scorm.map { (package.id!, (ContentKind.scorm, Set($0.leaves.map(\.identifier)))) }
        })
    }

    /// Why each SCORM or cmi5 item of `content` cannot be played as `provider`'s course: a package that is not the
    /// provider's, of the other standard, or an activity the package lacks.
    static func problems(of content: CourseContent, provider: UUID, on database: any Database) async throws -> [FieldError] {
        let items = content.packageItems
        let packages = try await owned(Set(items.map(\.reference.package)), by: provider, on: database)
        return items.compactMap { field, reference in
            guard let package = packages[reference.package], package.kind == reference.kind else {
                return FieldError(field, "no \(reference.kind == .cmi5 ? "cmi5 course" : "SCORM package") of this course's provider has this id")
            }
            return package.activities.contains(reference.activity) ? nil
                : FieldError(field, "the package has no \(reference.kind == .cmi5 ? "AU" : "activity") ‘\(reference.activity)’ that launches")
        }
    }
}
