import Foundation
import ZIPFoundation

/// The text of a PDF, for the assistant to answer from: what its pages' content streams show with the text operators
/// (`Tj`, `TJ`, `'`, `"`), in reading order of the streams, each text object (`BT` … `ET`) a line. Strings are read
/// through their font's `/ToUnicode` map where it has one (how Hindi and other Indic PDFs carry their text), else as
/// PDFDocEncoding/Latin-1. Streams are uncompressed or `/FlateDecode`d, within a limit on what they inflate to.
/// Encrypted PDFs, objects kept only in object streams, and scanned pages (images, no text) give no text: the caller
/// says so. Malformed input is an error, never a trap.
public enum PDFText {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notPDF, encrypted, noText, tooLarge
        public var description: String {
            switch self {
            case .notPDF: "is not a PDF"
            case .encrypted: "is an encrypted PDF, which cannot be read"
            case .noText: "holds no text the platform can read (a scanned PDF is pictures of pages: add its text instead)"
            case .tooLarge: "inflates to more than 50 MB"
            }
        }
    }

    static let inflateLimit = 50 << 20

    public static func extract(_ bytes: [UInt8]) throws -> String {
        guard bytes.starts(with: Array("%PDF-".utf8)) else { throw Failure.notPDF }
        var objects = Self.objects(bytes)
        if objects.values.contains(where: { $0.dictionary.contains("/Filter/Standard") || $0.dictionary.contains("/Filter /Standard") })
            || find(Array("/Encrypt".utf8), in: bytes, from: 0) != nil {
            throw Failure.encrypted
        }
        var inflated = 0
        func content(_ object: Object) throws -> [UInt8]? {
            guard let stream = object.stream else { return nil }
            let filter = object.dictionary
            if filter.contains("/Filter") {
                guard filter.contains("/FlateDecode"), !filter.contains("/DCTDecode"), !filter.contains("/JPXDecode") else { return nil }
                let out = try inflate(stream, budget: inflateLimit - inflated)
                inflated += out.count
                return out
            }
            return stream
        }
        // Objects kept in object streams (PDF 1.5 and later keep pages and fonts there): each is read once, and one also
        // written outside a stream keeps that definition.
        for (_, holder) in objects where Self.dictionary(holder.dictionary, has: "/Type", "/ObjStm") {
            guard let count = Self.number(after: "/N", in: holder.dictionary), let first = Self.number(after: "/First", in: holder.dictionary),
                  count > 0, count < 1_000_000, let data = try content(holder), first <= data.count
            else { continue }
            let header = String(decoding: data[0..<first], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" }).compactMap { Int($0) }
            var pairs: [(number: Int, offset: Int)] = []
            var index = 0
            while index + 1 < header.count, pairs.count < count { pairs.append((header[index], header[index + 1])); index += 2 }
            for (position, pair) in pairs.enumerated() where objects[pair.number] == nil {
                let start = first + pair.offset, end = position + 1 < pairs.count ? first + pairs[position + 1].offset : data.count
                guard start >= first, start <= end, end <= data.count else { continue }
                objects[pair.number] = Object(dictionary: String(decoding: data[start..<end], as: UTF8.self), stream: nil)
            }
        }
        // Each font's ToUnicode map, by the font's object number; each page's fonts by resource name.
        var maps: [Int: CharacterMap] = [:]
        for (number, object) in objects {
            if let reference = Self.reference(after: "/ToUnicode", in: object.dictionary), let target = objects[reference], let data = try content(target) {
                maps[number] = CharacterMap(String(decoding: data, as: UTF8.self))
            }
        }
        var lines: [String] = []
        for page in objects.keys.sorted() where Self.isPage(objects[page]!.dictionary) {
            let dictionary = objects[page]!.dictionary
            let fonts = Self.fonts(of: dictionary, objects: objects)
            var streams: [Int] = []
            if let range = dictionary.range(of: "/Contents") {
                let rest = dictionary[range.upperBound...].trimmingCharacters(in: .whitespaces)
                if rest.hasPrefix("[") {
                    streams = Self.references(in: String(rest.prefix { $0 != "]" }))
                } else if let single = Self.reference(after: "/Contents", in: dictionary) {
                    streams = [single]
                }
            }
            for number in streams {
                guard let object = objects[number], let data = try content(object) else { continue }
                lines += Self.text(of: data, fonts: fonts.compactMapValues { maps[$0] })
            }
        }
        // Control characters (a symbol font's codes read as Latin-1) are dropped; tabs become spaces.
        let text = lines.map { line in
            String(String.UnicodeScalarView(line.unicodeScalars.compactMap { $0 == "\t" ? " " : $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? nil : $0 }))
                .trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }.joined(separator: "\n")
        guard text.contains(where: { $0.isLetter }) else { throw Failure.noText }
        return text
    }

    // MARK: Objects

    /// Whether `dictionary` sets `key` to the name `value` (with or without a space between).
    static func dictionary(_ dictionary: String, has key: String, _ value: String) -> Bool {
        guard let range = dictionary.range(of: key) else { return false }
        let rest = dictionary[range.upperBound...].drop { $0 == " " || $0 == "\n" || $0 == "\r" }
        guard rest.hasPrefix(value) else { return false }
        return rest.dropFirst(value.count).first.map { !$0.isLetter } ?? true
    }

    /// The whole number right after `key`.
    static func number(after key: String, in dictionary: String) -> Int? {
        guard let range = dictionary.range(of: key + " ") ?? dictionary.range(of: key) else { return nil }
        return Int(dictionary[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber })
    }

    /// Whether a dictionary is a page's: `/Type /Page`, not `/Pages`.
    static func isPage(_ text: String) -> Bool { dictionary(text, has: "/Type", "/Page") }

    struct Object {
        var dictionary: String
        var stream: [UInt8]?
    }

    /// Every `N G obj … endobj` of the file by number (the last definition wins, as incremental updates mean).
    static func objects(_ bytes: [UInt8]) -> [Int: Object] {
        var found: [Int: Object] = [:]
        let marker = Array(" obj".utf8), end = Array("endobj".utf8), streamWord = Array("stream".utf8), endStream = Array("endstream".utf8)
        var at = 0
        while let hit = find(marker, in: bytes, from: at) {
            at = hit + marker.count
            // The object's number: the digits before " G obj".
            var cursor = hit - 1
            func digitsBackwards() -> Int? {
                var value = 0, scale = 1, seen = false
                while cursor >= 0, (48...57).contains(bytes[cursor]), scale < 1_000_000_000 {
                    value += Int(bytes[cursor] - 48) * scale
                    scale *= 10
                    seen = true
                    cursor -= 1
                }
                return seen ? value : nil
            }
            guard digitsBackwards() != nil, cursor >= 0, bytes[cursor] == 32 else { continue }
            cursor -= 1
            guard let number = digitsBackwards() else { continue }
            let stop = find(end, in: bytes, from: at) ?? bytes.count
            var object = Object(dictionary: "", stream: nil)
            if let streamAt = find(streamWord, in: bytes, from: at, before: stop) {
                object.dictionary = String(decoding: bytes[at..<streamAt], as: UTF8.self)
                var start = streamAt + streamWord.count
                if start < bytes.count, bytes[start] == 13 { start += 1 }
                if start < bytes.count, bytes[start] == 10 { start += 1 }
                var finish = find(endStream, in: bytes, from: start) ?? stop
                if finish > start, bytes[finish - 1] == 10 { finish -= 1 }
                if finish > start, bytes[finish - 1] == 13 { finish -= 1 }
                object.stream = start <= finish ? Array(bytes[start..<finish]) : []
            } else {
                object.dictionary = String(decoding: bytes[at..<min(stop, bytes.count)], as: UTF8.self)
            }
            found[number] = object
            at = min(stop, bytes.count)
        }
        return found
    }

    /// Where `needle` first stands at or after `start` and before `end`.
    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int, before end: Int? = nil) -> Int? {
        let limit = min(end ?? bytes.count, bytes.count)
        guard !needle.isEmpty, start >= 0, limit >= needle.count else { return nil }
        var index = start
        while index <= limit - needle.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// The object number of the reference `N G R` right after `key`.
    static func reference(after key: String, in dictionary: String) -> Int? {
        guard let range = dictionary.range(of: key) else { return nil }
        let parts = dictionary[range.upperBound...].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" }).prefix(3)
        guard parts.count == 3, parts.last?.hasPrefix("R") == true, let number = Int(parts.first!) else { return nil }
        return number
    }

    static func references(in text: String) -> [Int] {
        let parts = text.replacingOccurrences(of: "[", with: " ").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" })
        var found: [Int] = []
        var index = 0
        while index + 2 < parts.count {
            if parts[index + 2].hasPrefix("R"), let number = Int(parts[index]), Int(parts[index + 1]) != nil { found.append(number); index += 3 } else { index += 1 }
        }
        return found
    }

    /// A page's fonts: resource name ("F1") to the font's object number, from `/Font << /F1 5 0 R >>` in the page or in
    /// the resources object it refers to.
    static func fonts(of page: String, objects: [Int: Object]) -> [String: Int] {
        var text = page
        if let resources = reference(after: "/Resources", in: page), let object = objects[resources] { text += object.dictionary }
        if let fontObject = reference(after: "/Font", in: text), let object = objects[fontObject] { text += " /Font " + object.dictionary }
        guard let range = text.range(of: "/Font") else { return [:] }
        let after = text[range.upperBound...]
        guard let open = after.range(of: "<<"), let close = after.range(of: ">>"), open.upperBound <= close.lowerBound else { return [:] }
        let inner = after[open.upperBound..<close.lowerBound]
        var fonts: [String: Int] = [:]
        let parts = inner.replacingOccurrences(of: "/", with: " /").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" })
        var index = 0
        while index + 3 < parts.count {
            if parts[index].hasPrefix("/"), let number = Int(parts[index + 1]), parts[index + 3].hasPrefix("R") {
                fonts[String(parts[index].dropFirst())] = number
                index += 4
            } else { index += 1 }
        }
        return fonts
    }

    /// Inflates a zlib stream (two header bytes, deflate data, a checksum) within `budget` bytes of output.
    static func inflate(_ data: [UInt8], budget: Int) throws -> [UInt8] {
        guard data.count > 2, data[0] & 0x0F == 8, (UInt16(data[0]) << 8 | UInt16(data[1])) % 31 == 0, data[1] & 0x20 == 0 else {
            throw Failure.noText
        }
        let body = Array(data.dropFirst(2))
        // The whole input is given as one chunk padded to the buffer's size: inflation stops at the stream's end.
        let size = max(body.count, 65_536)
        let padded = Data(body + [UInt8](repeating: 0, count: size - body.count))
        var output: [UInt8] = []
        var given = false
        do {
            _ = try Data.decompress(size: Int64(size), bufferSize: size, skipCRC32: true, provider: { _, _ in
                // A stream that has not ended when its bytes are spent is damaged.
                guard !given else { throw Failure.noText }
                given = true
                return padded
            }, consumer: { chunk in
                output += chunk
                if output.count > budget { throw Failure.tooLarge }
            })
        } catch Failure.tooLarge {
            throw Failure.tooLarge
        } catch {
            throw Failure.noText
        }
        return output
    }

    // MARK: Content streams

    /// A font's ToUnicode map: character codes (of one or two bytes) to text.
    struct CharacterMap {
        var width = 1
        var codes: [UInt32: String] = [:]

        init(_ text: String) {
            let tokens = PDFText.hexTokens(text)
            var index = 0
            var mode = ""
            while index < tokens.count {
                let token = tokens[index]
                switch token.kind {
                case .word(let word):
                    if word.hasPrefix("begin") { mode = word } else if word.hasPrefix("end") { mode = "" }
                    index += 1
                case .hex(let bytes):
                    if mode == "begincodespacerange" { width = max(1, min(bytes.count, 4)); index += 2; continue }
                    if mode == "beginbfchar", index + 1 < tokens.count, case .hex(let target) = tokens[index + 1].kind {
                        codes[Self.number(bytes)] = Self.utf16(target)
                        index += 2
                        continue
                    }
                    if mode == "beginbfrange", index + 2 < tokens.count, case .hex(let high) = tokens[index + 1].kind {
                        let low = Self.number(bytes), top = Self.number(high)
                        // A font has at most 65,536 glyphs: a map that claims more is not read further.
                        guard top >= low, top - low < 65_536, codes.count + Int(top - low) <= 65_536 else { index += 3; continue }
                        switch tokens[index + 2].kind {
                        case .hex(let start):
                            var first = Array(start)
                            for code in low...top {
                                codes[code] = Self.utf16(first)
                                if let last = first.indices.last { first[last] &+= 1 }
                            }
                            index += 3
                        case .array(let targets):
                            for (offset, target) in targets.enumerated() where low + UInt32(offset) <= top { codes[low + UInt32(offset)] = Self.utf16(target) }
                            index += 3
                        default:
                            index += 3
                        }
                        continue
                    }
                    index += 1
                case .array:
                    index += 1
                }
            }
        }

        static func number(_ bytes: [UInt8]) -> UInt32 { bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }

        static func utf16(_ bytes: [UInt8]) -> String {
            var units: [UInt16] = []
            var index = 0
            while index + 1 < bytes.count { units.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])); index += 2 }
            return String(decoding: units, as: UTF16.self)
        }

        func text(_ bytes: [UInt8]) -> String {
            var text = ""
            var index = 0
            while index < bytes.count {
                let end = min(index + width, bytes.count)
                text += codes[Self.number(Array(bytes[index..<end]))] ?? ""
                index = end
            }
            return text
        }
    }

    struct Token {
        enum Kind { case word(String), hex([UInt8]), array([[UInt8]]) }
        var kind: Kind
    }

    /// The hex strings, `[ <…> <…> ]` arrays and words of a CMap.
    static func hexTokens(_ text: String) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(text.utf8)
        var index = 0
        func hex() -> [UInt8] { hexString(characters, at: &index) }
        while index < characters.count {
            let character = characters[index]
            if character == UInt8(ascii: "<"), index + 1 < characters.count, characters[index + 1] != UInt8(ascii: "<") {
                tokens.append(Token(kind: .hex(hex())))
            } else if character == UInt8(ascii: "[") {
                var items: [[UInt8]] = []
                index += 1
                while index < characters.count, characters[index] != UInt8(ascii: "]") {
                    if characters[index] == UInt8(ascii: "<") { items.append(hex()) } else { index += 1 }
                }
                index += 1
                tokens.append(Token(kind: .array(items)))
            } else if (97...122).contains(character) || (65...90).contains(character) {
                let start = index
                while index < characters.count, (97...122).contains(characters[index]) || (65...90).contains(characters[index]) { index += 1 }
                tokens.append(Token(kind: .word(String(decoding: characters[start..<index], as: UTF8.self))))
            } else {
                index += 1
            }
        }
        return tokens
    }

    /// The bytes of the hex string `<…>` that starts at `index` (a missing last digit is 0); `index` moves past its `>`.
    static func hexString(_ bytes: [UInt8], at index: inout Int) -> [UInt8] {
        var digits: [UInt8] = []
        index += 1
        while index < bytes.count, bytes[index] != UInt8(ascii: ">") {
            if let value = hexValue(bytes[index]) { digits.append(value) }
            index += 1
        }
        index += 1
        if digits.count % 2 == 1 { digits.append(0) }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case 48...57: character - 48
        case 65...70: character - 55
        case 97...102: character - 87
        default: nil
        }
    }

    /// The lines a content stream shows: each text object a line; `TJ` gaps wider than a space's worth become spaces.
    static func text(of data: [UInt8], fonts: [String: CharacterMap]) -> [String] {
        var lines: [String] = []
        var line = ""
        var font: CharacterMap?
        var operands: [Operand] = []
        var index = 0
        enum Operand { case string([UInt8]), name(String), number(Double), array([Operand]) }
        func show(_ bytes: [UInt8]) {
            if let font { line += font.text(bytes) } else { line += String(bytes.map { Character(Unicode.Scalar($0)) }) }
        }
        func readString() -> [UInt8] {
            var bytes: [UInt8] = []
            var depth = 1
            index += 1
            while index < data.count {
                let character = data[index]
                if character == UInt8(ascii: "\\"), index + 1 < data.count {
                    index += 1
                    let escaped = data[index]
                    switch escaped {
                    case UInt8(ascii: "n"): bytes.append(10)
                    case UInt8(ascii: "r"): bytes.append(13)
                    case UInt8(ascii: "t"): bytes.append(9)
                    case UInt8(ascii: "b"): bytes.append(8)
                    case UInt8(ascii: "f"): bytes.append(12)
                    case 48...55:
                        var value = 0, count = 0
                        while count < 3, index < data.count, (48...55).contains(data[index]) { value = value * 8 + Int(data[index] - 48); index += 1; count += 1 }
                        bytes.append(UInt8(value & 0xFF))
                        continue
                    case 10, 13: break
                    default: bytes.append(escaped)
                    }
                    index += 1
                    continue
                }
                if character == UInt8(ascii: "(") { depth += 1 }
                if character == UInt8(ascii: ")") { depth -= 1; if depth == 0 { index += 1; break } }
                bytes.append(character)
                index += 1
            }
            return bytes
        }
        func readHex() -> [UInt8] { hexString(data, at: &index) }
        func isDelimiter(_ character: UInt8) -> Bool { "()<>[]{}/% \n\r\t\u{0C}".utf8.contains(character) || character == 0 }
        var arrayStack: [[Operand]] = []
        func push(_ operand: Operand) {
            if arrayStack.isEmpty { operands.append(operand) } else { arrayStack[arrayStack.count - 1].append(operand) }
        }
        while index < data.count {
            let character = data[index]
            switch character {
            case UInt8(ascii: "("): push(.string(readString()))
            case UInt8(ascii: "<"):
                if index + 1 < data.count, data[index + 1] == UInt8(ascii: "<") {
                    // An inline dictionary (marked content properties): skipped whole.
                    var depth = 0
                    while index + 1 < data.count {
                        if data[index] == UInt8(ascii: "<"), data[index + 1] == UInt8(ascii: "<") { depth += 1; index += 2; continue }
                        if data[index] == UInt8(ascii: ">"), data[index + 1] == UInt8(ascii: ">") { depth -= 1; index += 2; if depth == 0 { break }; continue }
                        index += 1
                    }
                } else {
                    push(.string(readHex()))
                }
            case UInt8(ascii: "["): arrayStack.append([]); index += 1
            case UInt8(ascii: "]"):
                index += 1
                if let items = arrayStack.popLast() { push(.array(items)) }
            case UInt8(ascii: "%"):
                while index < data.count, data[index] != 10, data[index] != 13 { index += 1 }
            case UInt8(ascii: "/"):
                let start = index + 1
                index += 1
                while index < data.count, !isDelimiter(data[index]) { index += 1 }
                push(.name(String(decoding: data[start..<index], as: UTF8.self)))
            case _ where isDelimiter(character): index += 1
            default:
                let start = index
                while index < data.count, !isDelimiter(data[index]) { index += 1 }
                let word = String(decoding: data[start..<index], as: UTF8.self)
                if let number = Double(word) { push(.number(number)); continue }
                guard arrayStack.isEmpty else { continue }
                switch word {
                case "BT": line = ""
                case "ET": lines.append(line); line = ""
                case "Tf":
                    if operands.count >= 2, case .name(let name) = operands[operands.count - 2] { font = fonts[name] }
                case "Tj", "'", "\"":
                    if word != "Tj" { line += " " }
                    if case .string(let bytes)? = operands.last { show(bytes) }
                case "TJ":
                    if case .array(let items)? = operands.last {
                        for item in items {
                            switch item {
                            case .string(let bytes): show(bytes)
                            case .number(let gap) where gap < -200: line += " "
                            default: break
                            }
                        }
                    }
                case "Td", "TD", "T*":
                    // A move down starts a new line; one along the line is a space.
                    if word == "T*" || (operands.count >= 2 && { if case .number(let dy) = operands[operands.count - 1] { return dy != 0 } else { return false } }()) {
                        lines.append(line); line = ""
                    } else if !line.isEmpty, !line.hasSuffix(" ") { line += " " }
                case "BI":
                    // An inline image: its data runs to "EI".
                    while index + 2 < data.count, !(data[index] == UInt8(ascii: "E") && data[index + 1] == UInt8(ascii: "I") && isDelimiter(data[index + 2])) { index += 1 }
                    index += 2
                default: break
                }
                operands = []
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
