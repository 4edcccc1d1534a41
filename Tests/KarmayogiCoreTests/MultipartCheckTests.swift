import Testing
@testable import KarmayogiCore

@Suite struct MultipartCheckTests {
    private func body(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func readsTheFieldsAndFileOfABrowsersForm() throws {
        let bytes = body("--X\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n"
            + "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"लोग.csv\"\r\nContent-Type: text/csv\r\n\r\nname\r\nAsha\r\n--X--\r\n")
        let parts = try MultipartCheck.parts(of: bytes, boundary: "X")
        #expect(parts.count == 2)
        #expect(Array(bytes[parts[0].content]) == body("abc"))
        #expect(Array(bytes[parts[1].content]) == body("name\r\nAsha"))
        #expect(parts[1].header("content-type") == "text/csv")
        #expect(MultipartCheck.parameter("filename", in: parts[1].header("Content-Disposition")!) == "लोग.csv")
    }

    @Test func refusesAHeaderNameWithAByteAbove127() {
        // The body that stopped the server: multipart-kit indexed a 128-entry table with 0xC3.
        let bytes: [UInt8] = body("--X\r\n") + [0xC3, 0xA9] + body(": y\r\n\r\nz\r\n--X--\r\n")
        #expect(throws: MultipartCheck.Failure(reason: "part 1 has a header name with a character a header name may not hold")) {
            try MultipartCheck.parts(of: bytes, boundary: "X")
        }
    }

    @Test func refusesBoundariesThatAreMissingEmptyTooLongOrOutsideTheirCharacters() {
        let valid = body("--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--X--")
        for boundary in [nil, "", String(repeating: "b", count: 71), "é", "a\r\nb", "ends "] {
            #expect(throws: MultipartCheck.Failure.self) { try MultipartCheck.parts(of: valid, boundary: boundary) }
        }
        #expect((try? MultipartCheck.parts(of: body("--" + String(repeating: "b", count: 70) + "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--"
            + String(repeating: "b", count: 70) + "--"), boundary: String(repeating: "b", count: 70)))?.count == 1)
    }

    @Test func refusesEveryTruncationOfAValidBody() {
        let bytes = body("--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--X--")
        #expect((try? MultipartCheck.parts(of: bytes, boundary: "X"))?.count == 1)
        for length in 0..<bytes.count {
            #expect(throws: MultipartCheck.Failure.self) { try MultipartCheck.parts(of: Array(bytes.prefix(length)), boundary: "X") }
        }
    }

    @Test func refusesPreamblesBareLineFeedsControlCharactersAndNamelessParts() {
        let cases = [
            "junk--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--X--",
            "--X\nContent-Disposition: form-data; name=\"a\"\n\n1\n--X--",
            "--X\r\nContent-Disposition: form-data; name=\"a\u{1}\"\r\n\r\n1\r\n--X--",
            "--X\r\nContent-Disposition: form-data\r\n\r\n1\r\n--X--",
            "--X\r\nContent-Type: text/plain\r\n\r\n1\r\n--X--",
            "--X\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n--X--",
            "--X\r\n: no name\r\n\r\n1\r\n--X--",
            "--X  \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--X--",
        ]
        for text in cases {
            #expect(throws: MultipartCheck.Failure.self, "\(text.debugDescription)") { try MultipartCheck.parts(of: body(text), boundary: "X") }
        }
    }

    @Test func refusesHeaderFloodsAndPartFloods() {
        let longLine = "--X\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: \(String(repeating: "p", count: 9000))\r\n\r\n1\r\n--X--"
        #expect(throws: MultipartCheck.Failure.self) { try MultipartCheck.parts(of: body(longLine), boundary: "X") }
        let manyHeaders = "--X\r\nContent-Disposition: form-data; name=\"a\"\r\n" + String(repeating: "X-H: 1\r\n", count: 20) + "\r\n1\r\n--X--"
        #expect(throws: MultipartCheck.Failure.self) { try MultipartCheck.parts(of: body(manyHeaders), boundary: "X") }
        let manyParts = String(repeating: "--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n", count: 1001) + "--X--"
        #expect(throws: MultipartCheck.Failure(reason: "the body has more than 1000 parts")) { try MultipartCheck.parts(of: body(manyParts), boundary: "X") }
    }

    @Test func neverTrapsOnRandomMutations() {
        var random = SeededGenerator(seed: 7)
        let valid = body("--X\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--X\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n\u{0}\u{1}\r\n--X--\r\n")
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
                default: bytes.remove(at: index)
                }
            }
            if (try? MultipartCheck.parts(of: bytes, boundary: "X")) != nil { accepted += 1 }
        }
        // Most mutations of a small body break it; some (inside a value) do not.
        #expect(accepted > 0 && accepted < 20_000)
    }
}
