import Foundation

/// Words for search in any script: Unicode-normalised (NFKC), lower-cased, and for Latin letters
/// also free of accents. Indic vowel signs and other combining marks stay: they are part of the word.
public enum SearchText {
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            guard !current.isEmpty else { return }
            let word = String(current)
            words.append(word.unicodeScalars.allSatisfy { $0.value < 0x0250 } ? word.folding(options: .diacriticInsensitive, locale: nil) : word)
            current = String.UnicodeScalarView()
        }
        for scalar in text.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars {
            switch scalar.properties.generalCategory {
            case .lowercaseLetter, .uppercaseLetter, .titlecaseLetter, .otherLetter, .modifierLetter,
                 .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .otherNumber, .letterNumber:
                current.append(scalar)
            default:
                if scalar.value == 0x200C || scalar.value == 0x200D { current.append(scalar) } else { flush() }
            }
        }
        flush()
        return words
    }
}

/// A published course as search knows it.
public struct CatalogueEntry: Sendable, Equatable {
    public var id: UUID
    public var title: String
    public var summary: String
    public var description: String
    public var keywords: [String]
    public var language: String
    public var providerId: UUID
    public var competencies: [UUID: CompetencyArea]
    public var kinds: Set<ContentKind>
    public var durationMinutes: Int
    public var enrolments: Int
    public var rating: Double
    public var publishedAt: Date

    public init(id: UUID, title: String, summary: String, description: String, keywords: [String], language: String, providerId: UUID,
                competencies: [UUID: CompetencyArea], kinds: Set<ContentKind>, durationMinutes: Int, enrolments: Int = 0, rating: Double = 0,
                publishedAt: Date) {
        self.id = id
        self.title = title
        self.summary = summary
        self.description = description
        self.keywords = keywords
        self.language = language
        self.providerId = providerId
        self.competencies = competencies
        self.kinds = kinds
        self.durationMinutes = durationMinutes
        self.enrolments = enrolments
        self.rating = rating
        self.publishedAt = publishedAt
    }
}

public struct CatalogueQuery: Sendable {
    public enum Sort: String, Sendable, CaseIterable { case relevance, popularity, rating, newest }

    public var text = ""
    public var area: CompetencyArea?
    public var competencyId: UUID?
    public var language: String?
    public var providerId: UUID?
    public var kind: ContentKind?
    public var minDuration: Int?
    public var maxDuration: Int?
    public var sort = Sort.relevance
    public var offset = 0
    public var limit = 20

    public init() {}
}

public struct CatalogueResult: Sendable {
    public var ids: [UUID]
    public var total: Int
    /// For each filter, how many of the matching courses have each value.
    public var facets: [String: [String: Int]]
}

/// An inverted index over the published catalogue, ranked with BM25 over weighted fields
/// (title, keywords, summary, description); filters, facet counts and four sort orders.
public struct CatalogueIndex: Sendable {
    private var entries: [CatalogueEntry?] = []
    private var slots: [UUID: Int] = [:]
    private var postings: [String: [Int: Double]] = [:]
    private var lengths: [Double] = []
    private var totalLength = 0.0
    private var vocabulary: [String] = []
    private var vocabularyIsSorted = true

    static let fieldWeights = (title: 3.0, keywords: 2.0, summary: 1.5, description: 1.0)

    public init() {}

    public var count: Int { slots.count }

    public mutating func upsert(_ entry: CatalogueEntry) {
        remove(entry.id)
        let slot = entries.count
        entries.append(entry)
        slots[entry.id] = slot
        var weighted: [String: Double] = [:]
        let weights = Self.fieldWeights
        for (text, weight) in [(entry.title, weights.title), (entry.keywords.joined(separator: " "), weights.keywords),
                               (entry.summary, weights.summary), (entry.description, weights.description)] {
            for word in SearchText.words(text) { weighted[word, default: 0] += weight }
        }
        lengths.append(weighted.values.reduce(0, +))
        totalLength += lengths[slot]
        for (word, weight) in weighted {
            if postings[word] == nil {
                vocabulary.append(word)
                vocabularyIsSorted = false
            }
            postings[word, default: [:]][slot] = weight
        }
    }

    public mutating func remove(_ id: UUID) {
        guard let slot = slots.removeValue(forKey: id), let entry = entries[slot] else { return }
        for word in Set(SearchText.words([entry.title, entry.keywords.joined(separator: " "), entry.summary, entry.description].joined(separator: " "))) {
            postings[word]?[slot] = nil
        }
        entries[slot] = nil
        totalLength -= lengths[slot]
    }

    /// Sorts the vocabulary for prefix lookups; call after a batch of changes (search calls it when needed).
    public mutating func prepare() {
        if !vocabularyIsSorted {
            vocabulary = Array(Set(vocabulary)).sorted()
            vocabularyIsSorted = true
        }
    }

    public func search(_ query: CatalogueQuery) -> CatalogueResult {
        precondition(vocabularyIsSorted, "call prepare() after changing the index")
        let words = SearchText.words(query.text)
        var scores: [Int: Double] = [:]
        if words.isEmpty {
            for (slot, entry) in entries.enumerated() where entry != nil { scores[slot] = 0 }
        } else {
            let live = Double(max(slots.count, 1))
            let averageLength = max(totalLength / live, 1)
            for (index, word) in words.enumerated() {
                // The last word may be unfinished: it matches every word it begins.
                let terms = index == words.count - 1 ? prefixed(word) : (postings[word] == nil ? [] : [word])
                var wordScores: [Int: Double] = [:]
                for term in terms {
                    guard let list = postings[term], !list.isEmpty else { continue }
                    let idf = log(1 + (live - Double(list.count) + 0.5) / (Double(list.count) + 0.5))
                    for (slot, frequency) in list {
                        let norm = frequency + 1.2 * (0.25 + 0.75 * lengths[slot] / averageLength)
                        wordScores[slot] = max(wordScores[slot] ?? 0, idf * frequency * 2.2 / norm * (term == word ? 1 : 0.8))
                    }
                }
                if index == 0 { scores = wordScores } else {
                    scores = scores.filter { wordScores[$0.key] != nil }.reduce(into: [:]) { $0[$1.key] = $1.value + wordScores[$1.key]! }
                }
                if scores.isEmpty { break }
            }
        }
        var matches: [(slot: Int, entry: CatalogueEntry, score: Double)] = []
        var facets: [String: [String: Int]] = [:]
        for (slot, score) in scores {
            guard let entry = entries[slot], passes(entry, query) else { continue }
            matches.append((slot, entry, score))
            facets["language", default: [:]][entry.language, default: 0] += 1
            facets["provider", default: [:]][entry.providerId.uuidString, default: 0] += 1
            for area in Set(entry.competencies.values) { facets["area", default: [:]][area.rawValue, default: 0] += 1 }
            for competency in entry.competencies.keys { facets["competency", default: [:]][competency.uuidString, default: 0] += 1 }
            for kind in entry.kinds { facets["kind", default: [:]][kind.rawValue, default: 0] += 1 }
            facets["duration", default: [:]][Self.durationBucket(entry.durationMinutes), default: 0] += 1
        }
        // A total order (the slot breaks every tie), so that paging never repeats or skips a course.
        matches.sort { a, b in
            switch query.sort {
            case .relevance: (a.score, a.entry.enrolments, a.entry.title, b.slot) > (b.score, b.entry.enrolments, b.entry.title, a.slot)
            case .popularity: (a.entry.enrolments, a.score, a.entry.title, b.slot) > (b.entry.enrolments, b.score, b.entry.title, a.slot)
            case .rating: (a.entry.rating, a.entry.enrolments, a.entry.title, b.slot) > (b.entry.rating, b.entry.enrolments, b.entry.title, a.slot)
            case .newest: (a.entry.publishedAt, a.entry.title, b.slot) > (b.entry.publishedAt, b.entry.title, a.slot)
            }
        }
        let page = matches.dropFirst(query.offset).prefix(query.limit)
        return CatalogueResult(ids: page.map(\.entry.id), total: matches.count, facets: facets)
    }

    public static func durationBucket(_ minutes: Int) -> String {
        switch minutes {
        case ..<30: "under-30"
        case ..<120: "30-120"
        case ..<600: "120-600"
        default: "600-plus"
        }
    }

    private func passes(_ entry: CatalogueEntry, _ query: CatalogueQuery) -> Bool {
        if let language = query.language, entry.language != language { return false }
        if let provider = query.providerId, entry.providerId != provider { return false }
        if let area = query.area, !entry.competencies.values.contains(area) { return false }
        if let competency = query.competencyId, entry.competencies[competency] == nil { return false }
        if let kind = query.kind, !entry.kinds.contains(kind) { return false }
        if let minimum = query.minDuration, entry.durationMinutes < minimum { return false }
        if let maximum = query.maxDuration, entry.durationMinutes > maximum { return false }
        return true
    }

    private func prefixed(_ word: String) -> [String] {
        var low = 0, high = vocabulary.count
        while low < high {
            let middle = (low + high) / 2
            if vocabulary[middle] < word { low = middle + 1 } else { high = middle }
        }
        var terms: [String] = []
        while low < vocabulary.count, vocabulary[low].hasPrefix(word), terms.count < 200 {
            terms.append(vocabulary[low])
            low += 1
        }
        return terms
    }
}
