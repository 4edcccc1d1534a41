import Foundation
import Testing
@testable import KarmayogiCore

@Suite struct CSVReaderTests {
    @Test func readsQuotedFieldsAndKeepsPhysicalLines() throws {
        let rows = try CSVReader(text: "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"two\nlines\",z\nlast,1").rows()
        #expect(rows == [
            .init(line: 1, fields: ["a", "b"]),
            .init(line: 2, fields: ["x, y", "say \"hi\""]),
            .init(line: 4, fields: ["two\nlines", "z"]),
            .init(line: 6, fields: ["last", "1"]),
        ])
    }

    @Test func dropsByteOrderMark() throws {
        let rows = try CSVReader(bytes: [0xEF, 0xBB, 0xBF] + Array("name\nअ".utf8)).rows()
        #expect(rows.map(\.fields) == [["name"], ["अ"]])
    }

    @Test func refusesInvalidUTF8WithItsLine() {
        #expect(throws: CSVError(line: 2, reason: "the text is not valid UTF-8 (save the file as CSV UTF-8)")) {
            try CSVReader(bytes: Array("a\n".utf8) + [0xC3, 0x28]).rows()
        }
    }

    @Test func refusesUnclosedQuote() {
        #expect(throws: CSVError.self) { try CSVReader(text: "a\n\"open").rows() }
    }
}

@Suite struct CSVWriterTests {
    @Test func formulasAreDefusedAndSpecialCellsQuoted() {
        #expect(CSVWriter.cell("=HYPERLINK(\"http://evil\",\"x\")") == "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"")
        #expect(CSVWriter.cell("+91 98") == "'+91 98" && CSVWriter.cell("-5") == "'-5" && CSVWriter.cell("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVWriter.cell("\tcmd") == "'\tcmd")
        #expect(CSVWriter.cell("Section Officer, MHA") == "\"Section Officer, MHA\"")
        #expect(CSVWriter.cell("two\nlines") == "\"two\nlines\"" && CSVWriter.cell("plain") == "plain" && CSVWriter.cell("") == "")
        #expect(CSVWriter.line(["a", "b,c"]) == "a,\"b,c\"\r\n")
        // What the writer writes, the reader reads back (less the apostrophe that defuses a formula).
        let cells = ["Ravi \"RK\" Kumar", "line\nbreak", "comma, here", "नमस्ते"]
        #expect(try! CSVReader(text: CSVWriter.line(cells)).rows().first?.fields == cells)
    }

    /// The byte writer reports stream with writes what the formatters would, cell for cell.
    @Test func bytesMatchTheFormatters() {
        var generator = SeededGenerator(seed: 16)
        var text = CSVText()
        var expected = ""
        for _ in 0..<2_000 {
            let id = UUID()
            let date = Date(timeIntervalSince1970: Double.random(in: -2e9...4e9, using: &generator))
            let percent = Double(Int.random(in: 0...100_000, using: &generator)) / 1000
            let number = Int.random(in: 0...1_000_000, using: &generator)
            text.cell(id)
            text.cell(time: date)
            text.cell(tenths: percent)
            text.cell(number)
            text.cell("=1+2")
            text.cell(nil as String?)
            text.endLine()
            expected += CSVWriter.line([id.uuidString.lowercased(), date.formatted(.iso8601), String(format: "%.1f", percent), String(number), "=1+2", ""])
        }
        let written = String(decoding: text.bytes, as: UTF8.self).components(separatedBy: "\r\n"), wanted = expected.components(separatedBy: "\r\n")
        #expect(written.count == wanted.count)
        for (line, want) in zip(written, wanted) where line != want { Issue.record("\(line) is not \(want)") }
        text.clear()
        #expect(text.isEmpty)
        text.cell(time: Date(timeIntervalSince1970: 1_795_000_000.9))
        text.cell(-5)
        // A number the report computes is no formula: only text is defused.
        #expect(String(decoding: text.bytes, as: UTF8.self) == "2026-11-18T11:06:40Z,-5")
    }

    @Test func idsAreReadFromTextInEitherCase() {
        let id = UUID()
        #expect(UUIDText.parse(id.uuidString) == id && UUIDText.parse(id.uuidString.lowercased()) == id)
        for broken in ["", "not-a-uuid", String(id.uuidString.dropLast()) + "G", String(id.uuidString.dropLast()), id.uuidString.replacingOccurrences(of: "-", with: "x")] {
            #expect(UUIDText.parse(broken) == nil, "\(broken)")
        }
    }

    /// SQLite keeps ids as the text `uuidString` gives: the fast rendering must be the same text, or lookups miss.
    @Test func idsAreWrittenAsUUIDStringWritesThem() {
        for id in [UUID(), UUID(), UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                   UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))] {
            #expect(UUIDText.uppercase(id) == id.uuidString)
            #expect(UUIDText.parse(UUIDText.uppercase(id)) == id)
        }
    }

    @Test func contactsAreMaskedForThoseWithoutTheRight() {
        #expect(Contact.masked(email: "ravi.kumar@gov.in") == "r•••@gov.in")
        #expect(Contact.masked(phone: "9876543210") == "••••••••10")
        #expect(Contact.masked(email: "broken") == "•••")
    }
}
