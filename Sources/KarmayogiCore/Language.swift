/// The languages of the platform: English and the 22 scheduled languages of India, by ISO 639 code
/// (639-1 where one exists, 639-2 otherwise), each with its name in its own script.
public struct Language: Hashable, Sendable, Codable {
    public var code: String
    public var name: String
    public var nativeName: String

    public static let all: [Language] = [
        .init(code: "en", name: "English", nativeName: "English"),
        .init(code: "hi", name: "Hindi", nativeName: "हिन्दी"),
        .init(code: "as", name: "Assamese", nativeName: "অসমীয়া"),
        .init(code: "bn", name: "Bengali", nativeName: "বাংলা"),
        .init(code: "brx", name: "Bodo", nativeName: "बड़ो"),
        .init(code: "doi", name: "Dogri", nativeName: "डोगरी"),
        .init(code: "gu", name: "Gujarati", nativeName: "ગુજરાતી"),
        .init(code: "kn", name: "Kannada", nativeName: "ಕನ್ನಡ"),
        .init(code: "ks", name: "Kashmiri", nativeName: "کٲشُر"),
        .init(code: "kok", name: "Konkani", nativeName: "कोंकणी"),
        .init(code: "mai", name: "Maithili", nativeName: "मैथिली"),
        .init(code: "ml", name: "Malayalam", nativeName: "മലയാളം"),
        .init(code: "mni", name: "Manipuri", nativeName: "ꯃꯤꯇꯩꯂꯣꯟ"),
        .init(code: "mr", name: "Marathi", nativeName: "मराठी"),
        .init(code: "ne", name: "Nepali", nativeName: "नेपाली"),
        .init(code: "or", name: "Odia", nativeName: "ଓଡ଼ିଆ"),
        .init(code: "pa", name: "Punjabi", nativeName: "ਪੰਜਾਬੀ"),
        .init(code: "sa", name: "Sanskrit", nativeName: "संस्कृतम्"),
        .init(code: "sat", name: "Santali", nativeName: "ᱥᱟᱱᱛᱟᱲᱤ"),
        .init(code: "sd", name: "Sindhi", nativeName: "سنڌي"),
        .init(code: "ta", name: "Tamil", nativeName: "தமிழ்"),
        .init(code: "te", name: "Telugu", nativeName: "తెలుగు"),
        .init(code: "ur", name: "Urdu", nativeName: "اردو"),
    ]

    private static let byCode = Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0) })
    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name.lowercased(), $0) })

    public static func named(_ text: String) -> Language? {
        let key = text.trimmed.lowercased()
        return byCode[key] ?? byName[key]
    }
}
