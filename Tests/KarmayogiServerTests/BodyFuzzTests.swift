import Foundation
import KarmayogiCore
import Testing
import Vapor
@testable import KarmayogiServer

/// No body, however malformed, may stop the server: every form endpoint gets thousands of mutated bodies.
@Suite struct BodyFuzzTests {
    static let boundary = "----fuzz7MA4YWxkTrZu0gW"

    /// A form as a browser sends it: a CSRF token, a field with Hindi in it, and a small file.
    static func validForm(csrf: String) -> [UInt8] {
        let b = boundary
        return Array(("--\(b)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(csrf)\r\n"
            + "--\(b)\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nआशा वर्मा\r\n"
            + "--\(b)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            + "name,email\r\nAsha,asha@example.org\r\n--\(b)--\r\n").utf8)
    }

    /// One malformed variant of `form`: bytes changed, inserted (into header names too), dropped, cut short,
    /// a header made huge, line breaks broken, or the boundary itself made wrong.
    static func mutate(_ form: [UInt8], using random: inout SeededGenerator) -> (body: [UInt8], contentType: String) {
        var bytes = form
        var contentType = "multipart/form-data; boundary=\(boundary)"
        switch Int.random(in: 0..<9, using: &random) {
        case 0:
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
        case 1:
            // A byte of any value at the start of a header line, where a header name begins.
            let starts = bytes.indices.filter { $0 > 1 && bytes[$0 - 2] == 13 && bytes[$0 - 1] == 10 }
            bytes.insert(UInt8.random(in: 0...255, using: &random), at: starts.randomElement(using: &random)!)
        case 2:
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
        case 3:
            let at = Int.random(in: 0..<bytes.count, using: &random)
            bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &random)))
        case 4:
            let header = Array("X-Padding: \(String(repeating: "a", count: Int.random(in: 1...200_000, using: &random)))\r\n".utf8)
            bytes.insert(contentsOf: header, at: boundary.utf8.count + 4)
        case 5:
            let lineBreak = ["\n", "\r", "\r\r\n", ""].randomElement(using: &random)!
            bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: lineBreak).utf8)
        case 6:
            contentType = ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
                           "multipart/form-data; boundary=é", "multipart/form-data; boundary=\(String(repeating: "z", count: 200))",
                           "multipart/form-data; boundary=other", "multipart/form-data; boundary=\"\(boundary)\"",
                           "multipart/form-data; boundary=\(boundary); boundary=x"].randomElement(using: &random)!
        case 7:
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                var inserted: [UInt8] = []
                for _ in 0..<Int.random(in: 1...16, using: &random) { inserted.append(UInt8.random(in: 0...255, using: &random)) }
                bytes.insert(contentsOf: inserted, at: Int.random(in: 0...bytes.count, using: &random))
            }
        default:
            // A urlencoded body instead, or sent under the wrong type.
            let pieces: [String] = ["csrf=", "a=%", "a=%zz", "%C3%28=1", "a[[[[[[[[[[=1", "a[]=1&a[]=2&a[0]=3", "a[b][c][d][e][f][g][h][i][j]=1",
                          "=", "&&&", "a=\u{0}", "roles[]=x", "next=//evil", String(repeating: "k[", count: 400) + "=1"]
            var chosen: [String] = []
            for _ in 0..<Int.random(in: 1...6, using: &random) { chosen.append(pieces.randomElement(using: &random)!) }
            bytes = Array(chosen.joined(separator: "&").utf8)
            for _ in 0..<Int.random(in: 0...4, using: &random) { bytes.append(UInt8.random(in: 0...255, using: &random)) }
            contentType = ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8", contentType].randomElement(using: &random)!
        }
        return (bytes, contentType)
    }

    @Test func whatTheCheckAcceptsMultipartKitParsesWithoutTrapping() throws {
        // The check's strictness is what keeps the process alive: each mutation it lets through goes to multipart-kit itself.
        var random = SeededGenerator(seed: 2026)
        let form = Self.validForm(csrf: "token")
        var accepted = 0
        struct Fields: Decodable {
            var csrf: String?
            var name: String?
            var file: File?
        }
        for _ in 0..<30_000 {
            let (body, type) = Self.mutate(form, using: &random)
            let boundary = HTTPHeaders([("Content-Type", type)]).contentType?.parameters["boundary"]
            guard (try? MultipartCheck.parts(of: body, boundary: boundary)) != nil, let boundary else { continue }
            accepted += 1
            let decoded: Fields? = try? FormDataDecoder().decode(Fields.self, from: body, boundary: boundary)
            _ = decoded
        }
        #expect(accepted > 100)
    }

    @Test func theBodyThatStoppedTheServerIsABadRequest() async throws {
        try await withApp { app, world in
            let body: [UInt8] = Array("--X\r\n".utf8) + [0xC3, 0xA9] + Array(": y\r\n\r\nz\r\n--X--\r\n".utf8)
            let type = HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": "X"])
            let token = try await app.token("mdo.mha")
            for (path, bearer) in [("/login", nil), ("/api/v1/orgs/\(world.mha)/users/bulk", token), ("/admin/uploads?org=\(world.mha)", nil)] {
                let reply = try await app.send(.POST, path, token: bearer, bytes: body, contentType: type)
                #expect(reply.status == .badRequest, "\(path)")
                #expect(reply.isProblem, "\(path)")
                #expect((reply.json["detail"] as? String)?.contains("header name") == true, "\(path)")
            }
            #expect(try await app.send(.GET, "/health").status == .ok)
        }
    }

    @Test func thousandsOfMutatedBodiesToEveryFormEndpointAreAnsweredWithoutAServerError() async throws {
        try await withApp { app, world in
            var browser = Browser(app)
            try await browser.signIn("national")
            _ = try await browser.get("/")
            let token = try await app.token("national")
            let form = Self.validForm(csrf: browser.csrf ?? "")
            // Every route that takes a body, its parameters filled with a real organisation where one fits.
            let routes = app.routes.all.filter { [.POST, .PUT, .PATCH].contains($0.method) }
            func path(of route: Route) -> String {
                let touchesOrganisations = route.path.prefix(3).contains { $0.description == "orgs" }
                return "/" + route.path.map { component -> String in
                    switch component {
                    case .constant(let text): text
                    case .parameter: touchesOrganisations ? world.mha.uuidString : UUID().uuidString
                    default: "x"
                    }
                }.joined(separator: "/")
            }
            let paths: [(HTTPMethod, String)] = routes.map { ($0.method, path(of: $0)) }
                + [(.POST, "/admin/uploads?org=\(world.mha)"), (.POST, "/admin/users?org=\(world.mha)")]
            var random = SeededGenerator(seed: 13)
            var answered: [UInt: Int] = [:]
            var cases = 0
            for (method, path) in paths {
                let rounds = path.hasPrefix("/login") || path.contains("/users/bulk") || path.hasPrefix("/admin/uploads") ? 400 : 25
                for _ in 0..<rounds {
                    let (body, type) = Self.mutate(form, using: &random)
                    var headers = HTTPHeaders()
                    headers.add(name: .contentType, value: type)
                    headers.add(name: .cookie, value: browser.cookieHeader)
                    if path.hasPrefix("/api/") { headers.bearerAuthorization = BearerAuthorization(token: token) }
                    try await app.testing().test(method, path, headers: headers, body: ByteBuffer(bytes: body)) { response in
                        answered[response.status.code, default: 0] += 1
                        #expect(response.status.code < 500, "\(method) \(path) answered \(response.status) to \(type): \(response.body.string)")
                    }
                    cases += 1
                }
            }
            print("body fuzz: \(cases) bodies to \(paths.count) endpoints, answered \(answered.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))")
            #expect(cases > 3_000)
            #expect((answered[400] ?? 0) > 1_000)
            #expect(try await app.send(.GET, "/health").status == .ok)
        }
    }
}
