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

    public var encoded: String {
        let data = try! JSONEncoder().encode(self)
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public init?(encoded: String) {
        guard encoded.count <= 2048 else { return nil }
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let cursor = try? JSONDecoder().decode(Cursor.self, from: data) else {
            return nil
        }
        self = cursor
    }
}
