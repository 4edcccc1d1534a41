import KarmayogiCore
import Vapor

/// Decodes `multipart/form-data` bodies, pages' and the API's alike, only after `MultipartCheck` has read the bytes:
/// multipart-kit traps on some malformed bodies, and one such request would stop the process.
/// Registered for the media type in `configure`, so no route can hand a body to multipart-kit unchecked.
struct CheckedFormDataDecoder: ContentDecoder {
    private let parser = FormDataDecoder()

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders) throws -> D {
        try decode(D.self, from: body, headers: headers, userInfo: [:])
    }

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders,
                              userInfo: [CodingUserInfoKey: any Sendable]) throws -> D {
        do {
            _ = try MultipartCheck.parts(of: Array(body.readableBytesView), boundary: headers.contentType?.parameters["boundary"])
        } catch {
            throw Problem(.badRequest, "The multipart form is malformed: \(error.reason).", type: "urn:karmayogi:malformed-body")
        }
        do {
            return try parser.decode(D.self, from: body, headers: headers, userInfo: userInfo)
        } catch let error as DecodingError {
            throw error
        } catch {
            // What the check lets through and the parser still cannot read (a form of no parts at all) is malformed too.
            throw Problem(.badRequest, "The multipart form is malformed: it could not be read.", type: "urn:karmayogi:malformed-body")
        }
    }
}
