/// The shape a `multipart/form-data` body must have before any library parses it.
///
/// A body from outside may be anything. The multipart parser the server uses traps (and so stops the process)
/// on some malformed bodies, for example a part header whose name holds a byte of 0x80 or more, or an empty
/// boundary. This check walks the bytes itself, never indexing past them, and accepts only a strict subset of
/// RFC 7578: a boundary of 1–70 of RFC 2046's characters, no preamble, each part headed by `Name: value`
/// lines ending in CRLF (names are RFC 9110 tokens; values are UTF-8 without control characters but tab),
/// a `Content-Disposition: form-data` with a `name` on every part, and the closing delimiter.
/// What it accepts, the parser reads without trapping; what it refuses gets a reason a person can act on.
public enum MultipartCheck {
    public static let maximumParts = 1_000
    public static let maximumHeadersPerPart = 16
    public static let maximumHeaderLineBytes = 8 * 1024

    public struct Part: Sendable, Equatable {
        public var headers: [Header]
        /// Where the part's content lies in the body.
        public var content: Range<Int>

        public struct Header: Sendable, Equatable {
            public var name: String
            public var value: String
        }

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The parts of `body`, or the first reason it is malformed.
    public static func parts(of body: [UInt8], boundary: String?) throws(Failure) -> [Part] {
        guard let boundary else { throw Failure(reason: "the Content-Type has no boundary parameter") }
        try check(boundary: boundary)
        let delimiter = Array("--\(boundary)".utf8)
        let crlf: [UInt8] = [13, 10]
        var position: Int
        if starts(body, with: delimiter, at: 0) {
            position = delimiter.count
        } else if starts(body, with: crlf + delimiter, at: 0) {
            position = delimiter.count + 2
        } else {
            throw Failure(reason: "the body does not start with its boundary (--\(boundary))")
        }
        let separator = crlf + delimiter
        var parts: [Part] = []
        while true {
            // After a delimiter: "--" closes the body, CRLF opens a part.
            if starts(body, with: [45, 45], at: position) { break }
            guard starts(body, with: crlf, at: position) else {
                throw Failure(reason: position >= body.count ? "the body ends without its closing boundary (--\(boundary)--)"
                                                             : "a boundary is followed by something other than a line break or --")
            }
            position += 2
            guard parts.count < maximumParts else { throw Failure(reason: "the body has more than \(maximumParts) parts") }
            let number = parts.count + 1
            var headers: [Part.Header] = []
            while true {
                guard let end = lineEnd(in: body, from: position) else {
                    throw Failure(reason: "part \(number) ends inside its headers")
                }
                if end == position { position += 2; break }
                guard end - position <= maximumHeaderLineBytes else {
                    throw Failure(reason: "part \(number) has a header line longer than \(maximumHeaderLineBytes) bytes")
                }
                guard headers.count < maximumHeadersPerPart else {
                    throw Failure(reason: "part \(number) has more than \(maximumHeadersPerPart) headers")
                }
                headers.append(try header(body[position..<end], part: number))
                position = end + 2
            }
            guard let disposition = headers.first(where: { $0.name.lowercased() == "content-disposition" })?.value else {
                throw Failure(reason: "part \(number) has no Content-Disposition header")
            }
            guard isFormData(disposition), parameter("name", in: disposition) != nil else {
                throw Failure(reason: "part \(number)'s Content-Disposition is not form-data with a name")
            }
            guard let next = firstIndex(of: separator, in: body, from: position) else {
                throw Failure(reason: "the body ends inside part \(number), without its closing boundary (--\(boundary)--)")
            }
            parts.append(Part(headers: headers, content: position..<next))
            position = next + separator.count
        }
        return parts
    }

    /// RFC 2046: 1–70 characters from a small set, the last not a space.
    static func check(boundary: String) throws(Failure) {
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ".utf8)
        let bytes = Array(boundary.utf8)
        guard (1...70).contains(bytes.count), bytes.allSatisfy(allowed.contains), bytes.last != 32 else {
            throw Failure(reason: "the boundary must be 1 to 70 letters, digits or '()+_,-./:=? (not ending in a space)")
        }
    }

    private static func header(_ line: ArraySlice<UInt8>, part: Int) throws(Failure) -> Part.Header {
        guard let colon = line.firstIndex(of: 58), colon > line.startIndex else {
            throw Failure(reason: "part \(part) has a header line that is not 'Name: value'")
        }
        let name = line[line.startIndex..<colon]
        guard name.allSatisfy(isTokenByte) else {
            throw Failure(reason: "part \(part) has a header name with a character a header name may not hold")
        }
        let value = line[(colon + 1)...]
        guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }), let text = String(validating: value, as: UTF8.self) else {
            throw Failure(reason: "part \(part) has a header value with control characters or bytes that are not UTF-8")
        }
        return Part.Header(name: String(decoding: name, as: UTF8.self), value: text.trimmed)
    }

    /// RFC 9110 `tchar`: the bytes a header name is made of.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 48...57, 65...90, 97...122: true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: true
        default: false
        }
    }

    private static func isFormData(_ disposition: String) -> Bool {
        disposition.split(separator: ";").first.map { String($0).trimmed.lowercased() == "form-data" } ?? false
    }

    /// A parameter of a header value, such as `name` in `form-data; name="file"`, unquoted.
    public static func parameter(_ key: String, in value: String) -> String? {
        for piece in value.split(separator: ";").dropFirst() {
            let pair = String(piece).trimmed
            guard let equals = pair.firstIndex(of: "="), pair[..<equals].lowercased() == key else { continue }
            var text = String(pair[pair.index(after: equals)...])
            if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
            return text
        }
        return nil
    }

    /// The index of the CR of the next CRLF from `start`, or `nil`; a lone CR or LF is no line end.
    private static func lineEnd(in body: [UInt8], from start: Int) -> Int? {
        var index = start
        while index < body.count {
            switch body[index] {
            case 13: return index + 1 < body.count && body[index + 1] == 10 ? index : nil
            case 10: return nil
            default: index += 1
            }
        }
        return nil
    }

    private static func starts(_ body: [UInt8], with prefix: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, body.count - offset >= prefix.count else { return false }
        for (index, byte) in prefix.enumerated() where body[offset + index] != byte { return false }
        return true
    }

    private static func firstIndex(of needle: [UInt8], in body: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, body.count >= needle.count else { return nil }
        var index = start
        let last = body.count - needle.count
        while index <= last {
            if body[index] == first, starts(body, with: needle, at: index) { return index }
            index += 1
        }
        return nil
    }
}
