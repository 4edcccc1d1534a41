import Crypto
import Foundation
import Vapor

/// The portal's static files (Resources/Assets): each is served at a path that carries a hash of its content,
/// `/assets/style.3f9a1c2b7e.css`, and cached for a year, so a phone fetches the stylesheet once per release.
/// The plain name (`/assets/style.css`) still answers, cached for an hour, for anything that links to it.
enum Assets {
    struct File: Sendable {
        let name: String
        let hashedName: String
        let body: ByteBuffer
        let type: HTTPMediaType
    }

    static let names = ["style.css", "player.js", "admin.js", "scorm-api.js", "scorm-frame.js", "cmi5-return.js", "lti-post.js", "favicon.svg"]

    static let files: [String: File] = {
        var files: [String: File] = [:]
        for name in names {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            guard let url = Bundle.module.url(forResource: parts[0], withExtension: parts[1], subdirectory: "Resources/Assets"),
                  let data = try? Data(contentsOf: url)
            else { fatalError("Resources/Assets/\(name) is missing") }
            let hash = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined().prefix(10)
            let type = switch parts[1] {
            case "css": HTTPMediaType(type: "text", subType: "css", parameters: ["charset": "utf-8"])
            case "svg": HTTPMediaType(type: "image", subType: "svg+xml")
            default: HTTPMediaType(type: "text", subType: "javascript", parameters: ["charset": "utf-8"])
            }
            let file = File(name: name, hashedName: "\(parts[0]).\(hash).\(parts[1])", body: ByteBuffer(data: data), type: type)
            files[file.name] = file
            files[file.hashedName] = file
        }
        return files
    }()

    /// The long-cached address of a file of Resources/Assets.
    static func url(_ name: String) -> String {
        guard let file = files[name] else { preconditionFailure("no asset \(name)") }
        return "/assets/\(file.hashedName)"
    }

    static func serve(_ request: Request) throws -> Response {
        let name = request.parameters.get("file") ?? ""
        guard let file = files[name] else { throw Problem.notFound("file") }
        let hashed = name == file.hashedName
        let tag = "\"\(file.hashedName)\""
        var headers = HTTPHeaders()
        headers.contentType = file.type
        headers.replaceOrAdd(name: .cacheControl, value: hashed ? "public, max-age=31536000, immutable" : "public, max-age=3600")
        headers.replaceOrAdd(name: .eTag, value: tag)
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        if request.headers.first(name: .ifNoneMatch) == tag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(buffer: file.body))
    }
}
