import Fluent
import Foundation
import SQLKit
import KarmayogiCore
import Vapor

/// A JSON body whose fields are known: a field the endpoint does not take is refused rather than
/// silently ignored, so that a typo ("emial") never passes as an empty value.
protocol StrictInput: Decodable {
    associatedtype Fields: CodingKey & CaseIterable
    /// The fields of objects inside the body (an object, or each object of a list), by the field that holds them:
    /// a name there that is not among them is refused like one at the top.
    static var nestedFields: [String: Set<String>] { get }
}

extension StrictInput {
    static var nestedFields: [String: Set<String>] { [:] }
}

extension Request {
    func decodeStrict<Input: StrictInput>(_ type: Input.Type) throws -> Input {
        let (data, fields) = try jsonObject()
        return try decodeStrict(Input.self, data: data, fields: fields)
    }

    /// An optional body: none at all, an empty one, or an empty object `{}` is `nil`; anything else must be valid.
    func decodeStrictIfPresent<Input: StrictInput>(_ type: Input.Type) throws -> Input? {
        guard let buffer = body.data, buffer.readableBytes > 0 else { return nil }
        let (data, fields) = try jsonObject()
        return fields.isEmpty ? nil : try decodeStrict(Input.self, data: data, fields: fields)
    }

    /// The body as a JSON object, checked like a strict one, for bodies from other systems whose fields may carry
    /// extensions (an LTI tool's scores and line items).
    func lenientJSON() throws -> [String: Any] {
        try jsonObject().1
    }

    /// The body as a JSON object, checked for its media type, size and syntax before any decoder sees it.
    private func jsonObject() throws -> (Data, [String: Any]) {
        guard let contentType = headers.contentType, contentType.type == "application",
              contentType.subType == "json" || contentType.subType.hasSuffix("+json")
        else { throw Problem(.unsupportedMediaType, "Send the body as application/json.") }
        guard let buffer = body.data, buffer.readableBytes > 0 else { throw Problem(.badRequest, "The body is empty; expected a JSON object.") }
        let limit = application.routes.defaultMaxBodySize.value
        if buffer.readableBytes > limit { throw Problem(.payloadTooLarge, "The body is larger than this endpoint accepts (\(ByteSize.describe(limit))).") }
        let data = Data(buffer.readableBytesView)
        guard let object = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) else {
            throw Problem(.badRequest, "The body is not valid JSON.")
        }
        guard let fields = object as? [String: Any] else { throw Problem(.badRequest, "The body must be a JSON object.") }
        // Beyond ±2⁵³ integers stop being exact: no field takes such a number, and the decoder would call the body not JSON.
        if Self.mayHoldInexactNumbers(data),
           let path = Self.numberPaths(in: fields, where: { $0 is NSDecimalNumber || abs($0.doubleValue) > 9_007_199_254_740_992 }).first {
            throw Problem.invalid(path, "is a number beyond any this field takes")
        }
        return (data, fields)
    }

    /// Whether the JSON text has a number that may be beyond ±2⁵³ or held as a decimal: sixteen digits in a row (a point
    /// among them), or an exponent, outside strings. Most bodies have neither, and walking every number of a decoded body is costly
    /// (a dynamic cast per value).
    private static func mayHoldInexactNumbers(_ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            var inString = false, escaped = false, digits = 0
            for byte in bytes {
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""): inString = true; digits = 0
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    digits += 1
                    if digits >= 16 { return true }
                case UInt8(ascii: "."): if digits > 0 { digits += 1 }
                case UInt8(ascii: "e"), UInt8(ascii: "E"): if digits > 0 { return true }  // not the e of true or false
                default: digits = 0
                }
            }
            return false
        }
    }

    /// The paths of the numbers in a JSON value that match, in key order.
    private static func numberPaths(in value: Any, at path: String = "", where matches: (NSNumber) -> Bool) -> [String] {
        switch value {
        case let object as [String: Any]:
            return object.keys.sorted().flatMap { numberPaths(in: object[$0]!, at: path.isEmpty ? $0 : "\(path).\($0)", where: matches) }
        case let array as [Any]:
            return array.enumerated().flatMap { numberPaths(in: $1, at: "\(path)[\($0)]", where: matches) }
        case let number as NSNumber where !(number is Bool):
            return matches(number) ? [path] : []
        default:
            return []
        }
    }

    private func decodeStrict<Input: StrictInput>(_ type: Input.Type, data: Data, fields: [String: Any]) throws -> Input {
        let known = Set(Input.Fields.allCases.map(\.stringValue))
        var unknown = fields.keys.filter { !known.contains($0) }.sorted()
            .map { FieldError($0, "is not a field of this request; the fields are \(known.sorted().joined(separator: ", "))") }
        for (field, allowed) in Input.nestedFields.sorted(by: { $0.key < $1.key }) {
            let objects: [(String, [String: Any])] = switch fields[field] {
            case let object as [String: Any]: [(field, object)]
            case let list as [Any]: list.enumerated().compactMap { index, item in (item as? [String: Any]).map { ("\(field)[\(index)]", $0) } }
            default: []
            }
            for (path, object) in objects {
                unknown += object.keys.filter { !allowed.contains($0) }.sorted()
                    .map { FieldError("\(path).\($0)", "is not a field here; the fields are \(allowed.sorted().joined(separator: ", "))") }
            }
        }
        if !unknown.isEmpty { throw Problem.invalid(unknown) }
        do {
            return try JSONDecoder.api.decode(Input.self, from: data)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // The syntax was checked above, so what the decoder could not read is a number a field cannot hold:
            // on Linux a fraction where a whole number is wanted fails here, without the field's name.
            let fractions = Self.numberPaths(in: fields, where: { $0.doubleValue != $0.doubleValue.rounded() })
            if fractions.isEmpty { throw Problem(.badRequest, "The body has a value none of this request's fields can hold.") }
            throw Problem.invalid(fractions.map { FieldError($0, "must be a whole number") })
        }
    }
}

/// A size as people read it: "1 MB", "64 MB", "512 KB".
enum ByteSize {
    static func describe(_ bytes: Int) -> String {
        if bytes >= 1_048_576, bytes % 1_048_576 == 0 { return "\(bytes / 1_048_576) MB" }
        if bytes >= 1024 { return "\(bytes / 1024) KB" }
        return "\(bytes) bytes"
    }
}

extension JSONDecoder {
    static let api: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

extension JSONEncoder {
    static let api: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

/// `{"items": [...], "nextCursor": ...}`: one page of a list.
struct Page<Item: Content>: Content {
    var items: [Item]
    var nextCursor: NextCursor
    /// On lists whose pages go both ways (`before=`), the cursor to the page before; left out on the first page.
    var previousCursor: String? = nil
}

/// The cursor to a list's next page: always written, as `null` on the last page, never left out.
struct NextCursor: Codable, Sendable, Equatable, ExpressibleByNilLiteral {
    var value: String?

    init(_ value: String?) { self.value = value }
    init(nilLiteral: ()) { value = nil }
    init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(String?.self) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// The query string's parameters, parsed once per request: Vapor's `request.query[_, at:]` parses the whole string
/// again at every call (a tenth of a catalogue search's time). `+` is a space and `%XX` a byte, as in a form; a name
/// given twice keeps its first value; text whose escapes are not UTF-8 is kept as sent.
struct QueryParameters: Sendable {
    private let values: [String: String]

    init(_ query: String?) {
        var values: [String: String] = [:]
        for (name, value) in Self.pairs(in: query) where values[name] == nil { values[name] = value }
        self.values = values
    }

    /// Every name and value in the query string, in order, decoded.
    static func pairs(in query: String?) -> [(name: String, value: String)] {
        (query ?? "").split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decoded(parts[0]), parts.count > 1 ? decoded(parts[1]) : "")
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    private static func decoded(_ text: Substring) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(text) }
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

extension Request {
    private struct QueryParametersKey: StorageKey { typealias Value = QueryParameters }

    /// This request's query parameters, parsed at the first ask.
    var queryValues: QueryParameters {
        if let parsed = storage[QueryParametersKey.self] { return parsed }
        let parsed = QueryParameters(url.query)
        storage[QueryParametersKey.self] = parsed
        return parsed
    }
}

/// `cursor=` and `limit=` from the query string, checked.
struct PageRequest {
    var cursor: Cursor?
    var limit: Int
    /// The page before the cursor (`before=`), for the lists whose pages go both ways.
    var backward = false

    init(cursor: Cursor? = nil, limit: Int) {
        self.cursor = cursor
        self.limit = limit
    }

    init(_ request: Request, defaultLimit: Int = 50, maximum: Int = 200, bothWays: Bool = false) throws {
        for name in bothWays ? ["cursor", "before"] : ["cursor"] {
            guard let text = request.queryValues[name], !text.isEmpty else { continue }
            guard let cursor = Cursor(encoded: text) else { throw Problem.invalid(name, "is not a cursor this list handed out") }
            self.cursor = cursor
            backward = name == "before"
        }
        if let text = request.queryValues["limit"] {
            guard let limit = Int(text), (1...maximum).contains(limit) else {
                throw Problem.invalid("limit", "must be a whole number from 1 to \(maximum)")
            }
            self.limit = limit
        } else {
            limit = defaultLimit
        }
    }

    /// The rows of this page (they were fetched with one extra) and the cursor to the next page, if there is one.
    func slice<Row>(_ rows: [Row], key: (Row) -> String, id: (Row) -> UUID) -> (rows: [Row], nextCursor: NextCursor) {
        let (shown, next, _) = sliceBothWays(rows, key: key, id: id)
        return (shown, next)
    }

    /// The rows of this page in order (a backward page was fetched the other way round), with the cursors to the
    /// pages after and before it, when there are such pages.
    func sliceBothWays<Row>(_ rows: [Row], key: (Row) -> String, id: (Row) -> UUID) -> (rows: [Row], nextCursor: NextCursor, previousCursor: String?) {
        let more = rows.count > limit
        let shown = backward ? Array(rows.prefix(limit).reversed()) : Array(rows.prefix(limit))
        func cursor(_ row: Row?) -> String? { row.map { Cursor(key: key($0), id: id($0)).encoded } }
        let next = backward || more ? cursor(shown.last) : nil
        let previous = backward ? (more ? cursor(shown.first) : nil) : (self.cursor == nil ? nil : cursor(shown.first))
        return (shown, NextCursor(next), previous)
    }
}

extension QueryBuilder where Model.IDValue == UUID {
    /// Keyset paging in (key, id) order: the rows after the cursor, one more than the page holds.
    /// A backward page takes the rows before the cursor, nearest first.
    func page(by key: KeyPath<Model, FieldProperty<Model, String>>, _ page: PageRequest) -> Self {
        if let cursor = page.cursor {
            group(.or) { group in
                if page.backward {
                    group.filter(key < cursor.key)
                    group.group(.and) { $0.filter(key == cursor.key).filter(\._$id < cursor.id) }
                } else {
                    group.filter(key > cursor.key)
                    group.group(.and) { $0.filter(key == cursor.key).filter(\._$id > cursor.id) }
                }
            }
        }
        let direction: DatabaseQuery.Sort.Direction = page.backward ? .descending : .ascending
        return sort(key, direction).sort(\._$id, direction).limit(page.limit + 1)
    }
}

extension Database {
    var dialectName: String { (self as? any SQLDatabase)?.dialect.name ?? "" }

    /// `LIKE` that ignores case on both databases.
    var caseInsensitiveLike: DatabaseQuery.Filter.Method { .custom(dialectName == "postgresql" ? "ILIKE" : "LIKE") }
}

extension Request {
    private struct FileForm: Content { var file: File }

    /// A CSV sent as the body (`text/csv`) or as a multipart form's `file` field: its file name and bytes.
    func csvUpload() throws -> (fileName: String, bytes: [UInt8]) {
        switch headers.contentType {
        case .some(let type) where type.type == "multipart" && type.subType == "form-data":
            let form: FileForm
            do { form = try content.decode(FileForm.self) } catch let problem as Problem { throw problem } catch {
                throw Problem.invalid("file", "send the CSV as a multipart field named 'file'")
            }
            return (form.file.filename, Array(form.file.data.readableBytesView))
        case .some(let type) where (type.type == "text" && type.subType == "csv") || (type.type == "application" && type.subType == "csv"):
            return ("upload.csv", body.data.map { Array($0.readableBytesView) } ?? [])
        default:
            throw Problem(.unsupportedMediaType, "Send the CSV as the body with Content-Type: text/csv, or as a multipart form with a 'file' field.")
        }
    }

    /// A UUID path parameter; a malformed one is answered like an unknown one.
    func id(_ name: String = "id", of what: String) throws -> UUID {
        guard let text = parameters.get(name), let id = UUIDText.parse(text) else { throw Problem.notFound(what) }
        return id
    }
}

extension QueryBuilder where Model.IDValue == UUID {
    /// A page of rows in order of a text field, then id, and the cursor to the next page (nil on the last).
    func page(by field: KeyPath<Model, FieldProperty<Model, String>>, _ page: PageRequest) async throws -> (rows: [Model], next: String?) {
        var query = self
        if let cursor = page.cursor {
            query = query.group(.or) { group in
                group.filter(field > cursor.key)
                group.group(.and) { $0.filter(field == cursor.key).filter(\._$id > cursor.id) }
            }
        }
        let rows = try await query.sort(field).sort(\._$id).limit(page.limit + 1).all()
        let next = rows.count > page.limit ? Cursor(key: rows[page.limit - 1][keyPath: field].wrappedValue, id: rows[page.limit - 1].id!).encoded : nil
        return (Array(rows.prefix(page.limit)), next)
    }
}

/// A value as the JSON text a column keeps (keys in order, so equal values are equal texts).
enum StoredJSON {
    static func text(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }
}
