/// An RFC 4180 reader that keeps the physical line on which each record starts, so that every
/// complaint about a spreadsheet can name its line. Accepts a UTF-8 byte-order mark, CRLF or LF,
/// quoted fields with embedded commas, quotes and line breaks; refuses invalid UTF-8.
public struct CSVReader: Sendable {
    public struct Row: Sendable, Equatable {
        public var line: Int
        public var fields: [String]
    }

    private let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { self.bytes = Array(bytes.dropFirst(3)) } else { self.bytes = bytes }
    }

    public init(text: String) { self.init(bytes: Array(text.utf8)) }

    /// Every non-blank record, in order.
    public func rows() throws(CSVError) -> [Row] {
        var rows: [Row] = []
        try forEachRow { rows.append($0) }
        return rows
    }

    public func forEachRow(_ body: (Row) throws(CSVError) -> Void) throws(CSVError) {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var line = 1
        var index = 0
        let end = bytes.count
        while index < end {
            let recordLine = line
            var fields: [String] = []
            var field: [UInt8] = []
            var recordDone = false
            while !recordDone {
                field.removeAll(keepingCapacity: true)
                if index < end, bytes[index] == quote {
                    index += 1
                    var closed = false
                    while index < end {
                        let byte = bytes[index]
                        if byte == quote {
                            if index + 1 < end, bytes[index + 1] == quote {
                                field.append(quote)
                                index += 2
                                continue
                            }
                            index += 1
                            closed = true
                            break
                        }
                        if byte == lf { line += 1 }
                        field.append(byte)
                        index += 1
                    }
                    if !closed { throw CSVError(line: recordLine, reason: "a quoted field is never closed") }
                    if index < end, bytes[index] != comma, bytes[index] != lf, bytes[index] != cr {
                        throw CSVError(line: line, reason: "unexpected text after a closing quote")
                    }
                } else {
                    while index < end, bytes[index] != comma, bytes[index] != lf, bytes[index] != cr {
                        if bytes[index] == quote { throw CSVError(line: line, reason: "a quote inside an unquoted field") }
                        field.append(bytes[index])
                        index += 1
                    }
                }
                guard let text = String(validating: field, as: UTF8.self) else {
                    throw CSVError(line: line, reason: "the text is not valid UTF-8 (save the file as CSV UTF-8)")
                }
                fields.append(text)
                if index < end, bytes[index] == comma {
                    index += 1
                } else {
                    if index < end, bytes[index] == cr { index += 1 }
                    if index < end, bytes[index] == lf { index += 1 }
                    line += 1
                    recordDone = true
                }
            }
            if fields.count == 1, fields[0].isEmpty { continue }
            try body(Row(line: recordLine, fields: fields))
        }
    }
}

public struct CSVError: Error, Equatable, Sendable {
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}
