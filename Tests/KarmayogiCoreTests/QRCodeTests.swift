import Foundation
import KarmayogiCore
import Testing

/// Whether Python's zxing-cpp (a QR decoder) is here; CI installs it and requires these tests.
let qrDecoderAvailable = pythonHas("zxingcpp, numpy", unless: "KARMAYOGI_REQUIRE_ZXING")

/// What zxing-cpp reads off the code, drawn as an image four pixels a module with its quiet zone.
func decodedByZXing(_ code: QRCode) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString).txt")
    try code.modules.map { row in String(row.map { $0 ? "1" : "0" }) }.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", """
        import sys, numpy, zxingcpp
        rows = [[0 if c == '1' else 255 for c in line.strip()] for line in open(sys.argv[1]) if line.strip()]
        image = numpy.pad(numpy.array(rows, dtype=numpy.uint8), 4, constant_values=255).repeat(4, 0).repeat(4, 1)
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        sys.stdout.write(found[0].text if found else '<nothing>')
        """, file.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    process.waitUntilExit()
    return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
}

@Suite struct QRCodeTests {
    @Test func theSmallestVersionThatHoldsTheTextIsChosen() throws {
        // Level M in byte mode holds 14 bytes in version 1, 26 in version 2, 213 in version 10.
        #expect(try QRCode(text: String(repeating: "a", count: 14)).version == 1)
        #expect(try QRCode(text: String(repeating: "a", count: 15)).version == 2)
        #expect(try QRCode(text: String(repeating: "a", count: 213)).version == 10)
        #expect(try QRCode(text: String(repeating: "a", count: 214)).version == 11)
        #expect(throws: QRCode.Failure.tooLong(bytes: 2400)) { try QRCode(bytes: Array(repeating: 65, count: 2400)) }
        #expect(try QRCode(text: "https://karmayogi.example.org/certificates/0f8fad5b-d9cb-469f-a165-70867728950e").size == 5 * 4 + 17)  // 80 bytes: version 5 holds 84
    }

    @Test func theFixedPatternsAreInPlace() throws {
        let code = try QRCode(text: "https://karmayogi.example.org/verify")
        let last = code.size - 1
        // Finder patterns: dark outer ring, light ring, dark 3×3 centre, in three corners; none bottom right.
        for (row, column) in [(0, 0), (0, last - 6), (last - 6, 0)] {
            #expect(code.modules[row][column] && code.modules[row + 6][column + 6])
            #expect(!code.modules[row + 1][column + 1] && code.modules[row + 3][column + 3])
        }
        // Timing patterns alternate along row and column 6; the dark module sits above the bottom-left finder.
        #expect((8..<(code.size - 8)).allSatisfy { code.modules[6][$0] == ($0 % 2 == 0) && code.modules[$0][6] == ($0 % 2 == 0) })
        #expect(code.modules[code.size - 8][8])
        // The format bits by the top-left finder say level M and the chosen mask.
        var bits = 0
        for i in 0...5 { bits |= (code.modules[i][8] ? 1 : 0) << i }
        bits |= (code.modules[7][8] ? 1 : 0) << 6
        bits |= (code.modules[8][8] ? 1 : 0) << 7
        bits |= (code.modules[8][7] ? 1 : 0) << 8
        for i in 9..<15 { bits |= (code.modules[8][14 - i] ? 1 : 0) << i }
        #expect((bits ^ 0x5412) >> 10 == code.mask)
    }

    @Test func theSVGDrawsEveryDarkModuleInsideAQuietZone() throws {
        let code = try QRCode(text: "KY-2026-000123")
        let svg = code.svg(title: "Scan <to> verify")
        #expect(svg.hasPrefix("<svg class=\"qr\""))
        #expect(svg.contains("viewBox=\"0 0 \(code.size + 8) \(code.size + 8)\""))
        #expect(svg.contains("aria-label=\"Scan &lt;to> verify\""))
        #expect(svg.components(separatedBy: "h1v1h-1z").count - 1 == code.modules.joined().filter { $0 }.count)
        #expect(svg.contains("M4,4h1v1h-1z"))  // the top-left finder's corner, four modules in
    }

    @Test(.enabled(if: qrDecoderAvailable, "Python's zxing-cpp is not installed (pip install zxing-cpp numpy); CI runs this"))
    func aDecoderReadsBackWhatWasEncoded() throws {
        let texts = [
            "https://karmayogi.example.org/certificates/0f8fad5b-d9cb-469f-a165-70867728950e",
            "http://127.0.0.1:8080/verify?id=0f8fad5b-d9cb-469f-a165-70867728950e",
            "कर्मयोगी प्रमाणपत्र",
            "A",
            String(repeating: "0123456789abcdef", count: 40),  // version 20+: several blocks of two lengths, version bits
        ]
        for text in texts {
            #expect(try decodedByZXing(try QRCode(text: text)) == text)
        }
    }
}
