import Foundation

/// The opaque position in a list that `nextCursor` hands out: the sort key and id of the last item
/// given, so the next page starts strictly after it whatever is inserted meanwhile.
public struct Cursor: Codable, Equatable, Sendable {
    public var key: String
    public var id: UUID

    public init(key: String, id: UUID) {
        self.key = key
        self.id = id
    }

    /// `{"key":…,"id":…}` in base64url, written by hand: every page of every list makes one.
    public var encoded: String {
        var json = Array(#"{"key":"#.utf8)
        JSONText.appendString(key, to: &json)
        json += Array(#","id":""#.utf8) + Array(UUIDText.uppercase(id).utf8) + Array(#""}"#.utf8)
        return Base64URL.encode(json)
    }

    public init?(encoded: String) {
        guard encoded.count <= 2048, let data = Base64URL.decode(encoded), let cursor = try? JSONDecoder().decode(Cursor.self, from: data) else {
            return nil
        }
        self = cursor
    }
}
