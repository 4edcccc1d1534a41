import Foundation

/// Rules for the ways a public servant is reached: e-mail addresses, Indian mobile numbers, and the web addresses of
/// online sessions and events.
public enum Contact {
    /// Whether text is an http(s) address with a host, of at most 2000 characters (an online session's or event's link).
    public static func isWebAddress(_ text: String) -> Bool {
        guard text.unicodeScalars.count <= 2_000, let url = URL(string: text) else { return false }
        return ["https", "http"].contains(url.scheme?.lowercased() ?? "") && url.host != nil
    }

    /// A normalised address (lower case) when `text` is a plausible e-mail address, else `nil`.
    public static func email(_ text: String) -> String? {
        let email = text.trimmed.lowercased()
        guard email.count <= 254, email.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { return nil }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
              (1...64).contains(local.count), !local.hasPrefix("."), !local.hasSuffix("."), !local.contains(".."),
              local.allSatisfy({ $0.isLetter || $0.isNumber || "!#$%&'*+/=?^_`{|}~.-".contains($0) })
        else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2,
              labels.allSatisfy({ label in
                  (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                      && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
              }),
              let top = labels.last, top.count >= 2, top.allSatisfy(\.isLetter)
        else { return nil }
        return email
    }

    /// The ten-digit Indian mobile number in `text` (spaces, dashes, a leading +91, 91 or 0 allowed), else `nil`.
    public static func mobile(_ text: String) -> String? {
        var digits = text.filter { !" -()".contains($0) }
        if digits.hasPrefix("+91") { digits.removeFirst(3) } else if digits.count == 12, digits.hasPrefix("91") {
            digits.removeFirst(2)
        } else if digits.count == 11, digits.hasPrefix("0") { digits.removeFirst() }
        guard digits.count == 10, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
              let first = digits.first, "6789".contains(first)
        else { return nil }
        return digits
    }
}

extension Contact {
    /// An address shown to someone without the right to see it: the first letter, then the domain ("r•••@gov.in").
    public static func masked(email: String) -> String {
        guard let at = email.firstIndex(of: "@"), let first = email.first, at != email.startIndex else { return "•••" }
        return "\(first)•••\(email[at...])"
    }

    /// A number shown to someone without the right to see it: the last two digits ("••••••••10").
    public static func masked(phone: String) -> String {
        String(repeating: "•", count: max(0, phone.count - 2)) + phone.suffix(2)
    }
}
