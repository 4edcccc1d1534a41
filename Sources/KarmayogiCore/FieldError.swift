/// One reason an input was refused, naming the field it concerns.
public struct FieldError: Hashable, Sendable, Codable, Error {
    public var field: String
    public var reason: String

    public init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }
}

extension String {
    /// Without leading and trailing white space (Unicode's definition); quick when there is none.
    public var trimmed: String {
        let utf8 = self.utf8
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return self }
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}

/// A name as people see it on pages, certificates and reports: one line of text of a bounded length.
public enum DisplayName {
    /// Why `text` (already trimmed) is no name, or `nil`.
    public static func problem(_ text: String, maximum: Int) -> String? {
        if text.isEmpty || text.count > maximum { return "must be 1–\(maximum) characters" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
            return "must be one line of text, without tabs, line breaks or other control characters"
        }
        return nil
    }
}
