/// Writing CSV (RFC 4180) that opens safely in a spreadsheet: a cell a spreadsheet would read as a formula
/// (starting with =, +, -, @, a tab or a carriage return) is written with a leading apostrophe, as OWASP advises,
/// and cells holding commas, quotes or line breaks are quoted.
public enum CSVWriter {
    public static func cell(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }

    /// One line, ended by CRLF.
    public static func line(_ cells: [String]) -> String { cells.map(cell).joined(separator: ",") + "\r\n" }
}
