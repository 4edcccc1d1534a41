import Foundation

/// Made-up but realistic catalogue content for generated data and benchmarks: course titles, summaries and
/// descriptions in six languages, durations, and popularity skewed as in real catalogues (a few courses
/// hold most enrolments). Seeded, so the same seed gives the same courses.
public struct CatalogueSample {
    public static let vocabulary: [String: [String]] = [
        "en": ["office", "procedure", "cyber", "security", "stress", "management", "leadership", "public", "procurement", "finance", "ethics",
               "governance", "citizen", "service", "digital", "data", "analytics", "project", "policy", "health", "yoga", "law", "criminal", "revenue"],
        "hi": ["कार्यालय", "प्रक्रिया", "साइबर", "सुरक्षा", "तनाव", "प्रबंधन", "नेतृत्व", "लोक", "खरीद", "वित्त", "नैतिकता", "शासन", "नागरिक", "सेवा", "डिजिटल"],
        "ta": ["அலுவலக", "நடைமுறை", "இணைய", "பாதுகாப்பு", "மன", "அழுத்தம்", "மேலாண்மை", "தலைமை", "பொது", "நிதி"],
        "bn": ["অফিস", "পদ্ধতি", "সাইবার", "নিরাপত্তা", "চাপ", "ব্যবস্থাপনা", "নেতৃত্ব", "জনসেবা", "অর্থ"],
        "te": ["కార్యాలయ", "విధానం", "సైబర్", "భద్రత", "ఒత్తిడి", "నిర్వహణ", "నాయకత్వం", "ప్రజా", "ఆర్థిక"],
        "ur": ["دفتری", "طریقہ", "سائبر", "تحفظ", "دباؤ", "انتظام", "قیادت", "عوامی", "مالیات"],
    ]
    public static let languages = vocabulary.keys.sorted()

    public var generator: SeededGenerator

    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    public mutating func phrase(_ language: String, words: Int) -> String {
        (0..<words).map { _ in Self.vocabulary[language]!.randomElement(using: &generator)! }.joined(separator: " ")
    }

    /// One course: a third in English, the rest spread over the other languages.
    public mutating func course(number: Int) -> (language: String, title: String, summary: String, description: String, keywords: [String],
                                                 minutes: Int, enrolments: Int) {
        let language = number % 3 == 0 ? "en" : Self.languages.randomElement(using: &generator)!
        return (language, phrase(language, words: Int.random(in: 2...6, using: &generator)), phrase(language, words: 12),
                phrase(language, words: 60), (0..<4).map { _ in phrase(language, words: 1) }, Int.random(in: 10...900, using: &generator),
                Int(pow(Double.random(in: 0...1, using: &generator), 4) * 300_000))
    }
}
