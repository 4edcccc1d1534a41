import Foundation

/// What someone pasted or scanned into "verify a certificate": a certificate's number (its id, with or without
/// hyphens, any case), a verification address or a QR code's text (`…/verify?id=N`, `…/certificates/N`), the
/// credential's compact JWS, or its JSON.
public enum CredentialReference: Equatable, Sendable {
    case certificate(UUID)
    case jws(String)
    case json(String)
    case unreadable

    public init(_ sent: String) {
        let text = sent.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("{") {
            self = .json(text)
        } else if let id = Self.id(text) {
            self = .certificate(id)
        } else if text.contains("/") || text.contains("?"), let id = Self.idInAddress(text) {
            self = .certificate(id)
        } else if Self.isCompactJWS(text) {
            self = .jws(text)
        } else {
            self = .unreadable
        }
    }

    /// A UUID written as 36 characters with hyphens or 32 without.
    static func id(_ text: String) -> UUID? {
        if text.count == 36 { return UUIDText.parse(text) }
        guard text.count == 32, text.allSatisfy(\.isHexDigit) else { return nil }
        let hex = Array(text)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }
        return UUIDText.parse(parts.joined(separator: "-"))
    }

    /// The certificate an address points at: its `id` query item, or the path segment after `certificates`.
    static func idInAddress(_ text: String) -> UUID? {
        guard let components = URLComponents(string: text) else { return nil }
        if let value = components.queryItems?.first(where: { $0.name == "id" })?.value, let id = id(value) { return id }
        let segments = components.path.split(separator: "/").map(String.init)
        guard let index = segments.lastIndex(of: "certificates"), index + 1 < segments.count else { return nil }
        return id(segments[index + 1])
    }

    static func isCompactJWS(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(alphabet.contains) }
    }
}
