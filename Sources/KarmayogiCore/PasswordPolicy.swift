/// What a new password must be (NIST SP 800-63B): long enough, and not one that attackers try first.
/// Length is counted without white space at either end, so padding a short password with spaces does not pass.
/// There is no rule on mixing kinds of characters: a long passphrase is stronger than `Passw0rd!` and easier to keep.
public struct PasswordPolicy: Sendable {
    public static let minimumLength = 12
    /// bcrypt reads no further.
    public static let maximumBytes = 72
    /// The rule as people read it, on the pages and in the problem.
    public static let rule = "at least \(minimumLength) characters (spaces at either end do not count), and not a common password or one built on a common word"

    /// Lower-cased common passwords.
    private let common: Set<String>
    /// Words of this platform that people reach for first.
    private static let contextWords: Set<String> = ["karmayogi", "igot", "igotkarmayogi", "missionkarmayogi", "karmayogibharat", "bharat", "india"]

    public init(common: some Sequence<String>) {
        self.common = Set(common.map { $0.lowercased() })
    }

    /// A list with one password a line; lines starting with `#` are comments.
    public init(list text: String) {
        self.init(common: text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }.map { String($0).trimmed }.filter { !$0.isEmpty })
    }

    public var count: Int { common.count }

    /// What is wrong with a new password, or `nil` when it may be used.
    public func problem(with password: String) -> String? {
        let kept = password.trimmed
        if kept.count < Self.minimumLength {
            return "must be at least \(Self.minimumLength) characters, not counting spaces at either end"
        }
        if password.utf8.count > Self.maximumBytes { return "must be at most \(Self.maximumBytes) bytes" }
        if Set(kept.lowercased()).count < 5 { return "uses too few different characters; \(Self.rule)" }
        let lowered = kept.lowercased()
        if common.contains(lowered) || Self.contextWords.contains(lowered) {
            return "is one of the most common passwords, which are tried first; \(Self.rule)"
        }
        // "Password@2026" and "K@rmay0gi!!" are a common word with decoration: strip the decoration and look again.
        let words = [Self.trimmingEnds(of: lowered) { $0.properties.isAlphabetic || $0.properties.numericType != nil },
                     Self.trimmingEnds(of: lowered) { $0.properties.isAlphabetic }]
        for word in words + words.map(Self.undoingSubstitutions) where word.count >= 4 && (common.contains(word) || Self.contextWords.contains(word)) {
            return "is built on \"\(word)\", a common password or a word of this platform; \(Self.rule)"
        }
        return nil
    }

    /// Without the characters at either end that are not `kept` (symbols, or symbols and digits).
    static func trimmingEnds(of text: String, keeping kept: (Unicode.Scalar) -> Bool) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let start = scalars.firstIndex(where: kept),
              let end = scalars.lastIndex(where: kept) else { return "" }
        return String(String.UnicodeScalarView(scalars[start...end]))
    }

    /// The usual look-alike substitutions undone: `p@ssw0rd` is `password`.
    static func undoingSubstitutions(_ text: String) -> String {
        let map: [Character: Character] = ["@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t", "+": "t", "8": "b"]
        return String(text.map { map[$0] ?? $0 })
    }
}
