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
