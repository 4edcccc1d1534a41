import Foundation
import Vapor

/// The UI's words, one catalogue per language (Resources/Locales/<code>.json); a page never holds a literal phrase.
struct Catalogue: Sendable {
    let language: String
    private let messages: [String: String]
    private let fallback: [String: String]

    static let languages = ["en", "hi"]

    static let all: [String: Catalogue] = {
        func load(_ code: String) -> [String: String] {
            guard let url = Bundle.module.url(forResource: code, withExtension: "json", subdirectory: "Resources/Locales"),
                  let data = try? Data(contentsOf: url),
                  let messages = try? JSONDecoder().decode([String: String].self, from: data)
            else { fatalError("the message catalogue Resources/Locales/\(code).json is missing or not a JSON object of strings") }
            return messages
        }
        let english = load("en")
        return Dictionary(uniqueKeysWithValues: languages.map { ($0, Catalogue(language: $0, messages: load($0), fallback: english)) })
    }()

    static func messages(_ code: String) -> [String: String] { all[code]?.messages ?? [:] }

    /// "1 course" or "3 courses": `key.one` for one, `key.other` for any other count, with `{count}` grouped the Indian way.
    func plural(_ key: String, _ count: Int, _ values: [String: String] = [:]) -> String {
        self("\(key).\(count == 1 ? "one" : "other")", values.merging(["count": Formats.number(count)]) { $1 })
    }

    /// Whether this language's catalogue (not the English fallback) has `key`.
    func has(_ key: String) -> Bool { messages[key] != nil }

    /// Words kept as data (a KPI's name, a level's description) in English: this language's own, when its catalogue has them.
    func translated(_ key: String, else stored: String) -> String {
        language != "en" && has(key) ? self(key) : stored
    }

    /// The message for `key`, with `{name}` placeholders filled in.
    func callAsFunction(_ key: String, _ values: [String: String] = [:]) -> String {
        var text = messages[key] ?? fallback[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }
}

extension Request {
    /// The page language: `?lang=` (remembered in a cookie), else the cookie, else the browser's preference.
    var catalogue: Catalogue {
        if let code = storage[CatalogueKey.self] { return Catalogue.all[code]! }
        var code = "en"
        if let asked = query[String.self, at: "lang"], Catalogue.languages.contains(asked) {
            code = asked
        } else if let remembered = cookies["lang"]?.string, Catalogue.languages.contains(remembered) {
            code = remembered
        } else if let preferred = headers.first(name: .acceptLanguage)?.split(separator: ",").first?.prefix(2), preferred == "hi" {
            code = "hi"
        }
        storage[CatalogueKey.self] = code
        return Catalogue.all[code]!
    }

    private struct CatalogueKey: StorageKey { typealias Value = String }
}
