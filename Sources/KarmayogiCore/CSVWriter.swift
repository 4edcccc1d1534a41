import Foundation

/// Writing CSV (RFC 4180) that opens safely in a spreadsheet: a cell a spreadsheet would read as a formula
/// (starting with =, +, -, @, a tab or a carriage return) is written with a leading apostrophe, as OWASP advises,
/// and cells holding commas, quotes or line breaks are quoted.
public enum CSVWriter {
    public static func cell(_ value: String) -> String {
        var text = CSVText()
        text.cell(value)
        return String(decoding: text.bytes, as: UTF8.self)
    }

    /// One line, ended by CRLF.
    public static func line(_ cells: [String]) -> String {
        var text = CSVText()
        for cell in cells { text.cell(cell) }
        text.endLine()
        return String(decoding: text.bytes, as: UTF8.self)
    }
}

/// CSV written straight into bytes, a cell at a time, by the same rules as `CSVWriter`: what a report of a million
/// rows streams, without a string per cell. Ids are written in lower case, times as ISO 8601 in UTC to the second
/// ("2026-11-23T10:00:00Z"), and numbers without going through a formatter.
public struct CSVText: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Cells written on the line so far: each after the first is preceded by a comma.
    private var cells = 0

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public var isEmpty: Bool { bytes.isEmpty }

    /// Forgets what was written, keeping the memory for the next page.
    public mutating func clear() {
        bytes.removeAll(keepingCapacity: true)
        cells = 0
    }

    /// The byte-order mark that tells a spreadsheet the file is UTF-8 (so it reads Indian scripts right).
    public mutating func byteOrderMark() { bytes.append(contentsOf: [0xEF, 0xBB, 0xBF]) }

    public mutating func endLine() {
        bytes.append(13)
        bytes.append(10)
        cells = 0
    }

    private mutating func separate() {
        if cells > 0 { bytes.append(44) }
        cells += 1
    }

    public mutating func cell(_ value: String?) {
        separate()
        guard var value, !value.isEmpty else { return }
        value.withUTF8 { utf8 in
            let first = utf8[0]
            // = + - @ tab CR: a spreadsheet would take the cell for a formula.
            let formula = first == 61 || first == 43 || first == 45 || first == 64 || first == 9 || first == 13
            // , " LF CR: the cell must be quoted.
            let quoted = utf8.contains { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }
            if !formula && !quoted {
                bytes.append(contentsOf: utf8)
                return
            }
            if quoted { bytes.append(34) }
            if formula { bytes.append(39) }
            for byte in utf8 {
                if byte == 34 { bytes.append(34) }
                bytes.append(byte)
            }
            if quoted { bytes.append(34) }
        }
    }

    public mutating func cell(_ id: UUID?) {
        separate()
        guard let id else { return }
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &text) { out in
            withUnsafeBytes(of: id.uuid) { raw in
                var position = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[position] = 45
                        position += 1
                    }
                    out[position] = Self.hex(raw[index] >> 4)
                    out[position + 1] = Self.hex(raw[index] & 0x0F)
                    position += 2
                }
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: out[0..<36]))
        }
    }

    public mutating func cell(_ number: Int?) {
        separate()
        guard let number else { return }
        if number < 0 { bytes.append(45) }
        digits(number.magnitude, width: 1)
    }

    /// A number to one decimal place, as `String(format: "%.1f")` writes it ("66.7").
    public mutating func cell(tenths value: Double?) {
        guard let value else { return separate() }
        let exact = value * 10, scaled = exact.rounded()
        // Near a tie the product's rounding decides, so the formatter (which reads the exact binary value) writes it.
        guard scaled.isFinite, abs(scaled) < 1e17, abs(abs(exact - exact.rounded(.towardZero)) - 0.5) > 1e-6 else {
            return cell(String(format: "%.1f", value))
        }
        separate()
        let tenths = Int(scaled)
        if tenths < 0 { bytes.append(45) }
        digits(tenths.magnitude / 10, width: 1)
        bytes.append(46)
        digits(tenths.magnitude % 10, width: 1)
    }

    /// An instant in UTC to the second, as `Date.formatted(.iso8601)` writes it.
    public mutating func cell(time date: Date?) {
        separate()
        guard let date else { return }
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let time = seconds - day * 86_400
        let (year, month, dayOfMonth) = IndiaDay.civil(day)
        digits(UInt(max(year, 0)), width: 4)
        bytes.append(45)
        digits(UInt(month), width: 2)
        bytes.append(45)
        digits(UInt(dayOfMonth), width: 2)
        bytes.append(84)
        digits(UInt(time / 3600), width: 2)
        bytes.append(58)
        digits(UInt(time / 60 % 60), width: 2)
        bytes.append(58)
        digits(UInt(time % 60), width: 2)
        bytes.append(90)
    }

    /// A whole number in decimal, padded with zeros to `width` digits.
    private mutating func digits(_ number: UInt, width: Int) {
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &text) { digits in
            var count = 0
            var rest = number
            repeat {
                digits[23 - count] = 48 + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0 || count < width
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: digits[(24 - count)...]))
        }
    }

    /// A nibble's lower-case hexadecimal digit.
    @inline(__always) private static func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 + nibble : 87 + nibble }
}
