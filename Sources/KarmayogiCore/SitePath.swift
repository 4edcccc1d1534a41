import Foundation

/// What a redirect may point at and what may enter a response header, when part of it came from outside.
public enum SitePath {
    /// `text` when it is a path on this site, else `nil`: one leading `/`, no `//` or `\` anywhere it would let a
    /// browser leave for another host, only printable ASCII, and no control characters once percent-decoded either.
    public static func local(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.first == UInt8(ascii: "/"), bytes.count <= 2048, bytes.allSatisfy({ (0x21...0x7E).contains($0) }),
              !bytes.contains(UInt8(ascii: "\\"))
        else { return nil }
        if bytes.count > 1, bytes[1] == UInt8(ascii: "/") { return nil }
        guard let decoded = text.removingPercentEncoding,
              !decoded.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\\" || $0 == "\u{2028}" || $0 == "\u{2029}" }),
              !decoded.hasPrefix("//")
        else { return nil }
        return text
    }

    /// `text` percent-encoded so that only unreserved characters (RFC 3986) remain: safe in a query value,
    /// a fragment or a header.
    public static func component(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
