import Fluent
import Foundation
import KarmayogiCore
import Vapor

struct PackageController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Streamed: the limit is applied while the body arrives, so an oversized package is refused before it is read whole.
        routes.on(.POST, "courses", ":id", "packages", body: .stream, use: Self.upload)
        routes.get("packages", ":id", use: Self.read)
    }

    struct Form: Content {
        var file: File?
    }

    /// Imports a SCORM package for the course's provider: 201 with what was found, or 422 with every reason.
    @Sendable static func upload(_ request: Request) async throws -> Response {
        let (principal, course) = try await ContentFileController.received(request, what: "A package", fields: "the field 'file' holding the package's ZIP archive")
        let form = try request.content.decode(Form.self)
        let package = try await Packages.importing(form.file, provider: course.$provider.id, by: principal, request: request)
        return try await ContentPackageDTO(package).encodeResponse(status: .created, for: request)
    }

    /// A package, for the staff of the provider that imported it; to anyone else it does not exist.
    @Sendable static func read(_ request: Request) async throws -> ContentPackageDTO {
        let principal = try request.principal()
        guard let package = try await ContentPackage.find(try request.id(of: "package"), on: request.db),
              let provider = try await Organisations.find(package.providerID, on: request.db),
              principal.access.allows(.authorCourses, on: provider.placement)
        else { throw Problem.notFound("package") }
        return ContentPackageDTO(package)
    }
}
