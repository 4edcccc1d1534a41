import Foundation

/// Reading a UUID's 36 characters without going through a formatter (corelibs Foundation's `UUID(uuidString:)` parses
/// with `sscanf`): what a database that keeps ids as text (SQLite) hands back for every row, and what every request
/// names things by. Accepts what `UUID(uuidString:)` accepts: 36 characters, hyphens at 8, 13, 18 and 23, either case.
public enum UUIDText {
    public static func parse(_ text: String) -> UUID? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    public static func parse(utf8: UnsafeBufferPointer<UInt8>) -> UUID? {
        guard utf8.count == 36, utf8[8] == 45, utf8[13] == 45, utf8[18] == 45, utf8[23] == 45 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            var position = 0
            for index in 0..<16 {
                if position == 8 || position == 13 || position == 18 || position == 23 { position += 1 }
                guard let high = nibble(utf8[position]), let low = nibble(utf8[position + 1]) else { return false }
                out[index] = high << 4 | low
                position += 2
            }
            return true
        }
        return valid ? UUID(uuid: bytes) : nil
    }

    /// The 36 upper-case characters `UUID.uuidString` gives (which formats with `sprintf` on Linux): how SQLite
    /// stores an id, so text written here compares equal to text written there.
    public static func uppercase(_ id: UUID) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            withUnsafeBytes(of: id.uuid) { bytes in
                var position = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 { out[position] = 45; position += 1 }
                    out[position] = digit(bytes[index] >> 4)
                    out[position + 1] = digit(bytes[index] & 15)
                    position += 2
                }
            }
            return 36
        }
    }

    @inline(__always) private static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 + nibble : 55 + nibble }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case 48...57: character - 48
        case 65...70: character - 55
        case 97...102: character - 87
        default: nil
        }
    }
}
