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
    /// Entries behind a reference, so a search that touches thousands of them copies none.
    private final class Stored: Sendable {
        let entry: CatalogueEntry
        init(_ entry: CatalogueEntry) { self.entry = entry }
    }

    private var entries: [Stored?] = []
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
        entries.append(Stored(entry))
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
        guard let slot = slots.removeValue(forKey: id), let entry = entries[slot]?.entry else { return }
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
        // score[slot] < 0: not a match. Flat arrays: a search touches each posting once.
        var score = [Double](repeating: words.isEmpty ? 0 : -1, count: entries.count)
        if !words.isEmpty {
            let live = Double(max(slots.count, 1))
            let averageLength = max(totalLength / live, 1)
            var wordScore = [Double](repeating: -1, count: entries.count)
            for (index, word) in words.enumerated() {
                // The last word may be unfinished: it matches every word it begins.
                let terms = index == words.count - 1 ? prefixed(word) : (postings[word] == nil ? [] : [word])
                var touched: [Int] = []
                for term in terms {
                    guard let list = postings[term], !list.isEmpty else { continue }
                    let idf = log(1 + (live - Double(list.count) + 0.5) / (Double(list.count) + 0.5))
                    let exactness = term == word ? 1.0 : 0.8
                    for (slot, frequency) in list where index == 0 || score[slot] >= 0 {
                        let norm = frequency + 1.2 * (0.25 + 0.75 * lengths[slot] / averageLength)
                        let value = idf * frequency * 2.2 / norm * exactness
                        if wordScore[slot] < 0 { touched.append(slot) }
                        if value > wordScore[slot] { wordScore[slot] = value }
                    }
                }
                if index == 0 {
                    for slot in touched { score[slot] = wordScore[slot] }
                } else {
                    for slot in score.indices where score[slot] >= 0 { score[slot] = wordScore[slot] < 0 ? -1 : score[slot] + wordScore[slot] }
                }
                for slot in touched { wordScore[slot] = -1 }
                if touched.isEmpty { return CatalogueResult(ids: [], total: 0, facets: [:]) }
            }
        }

        var counts = FacetCounts()
        /// What ordering needs, read once per match; a title is read only when everything else ties.
        struct Key { var primary: Double; var secondary: Double; var slot: Int }
        var keys: [Key] = []
        for slot in score.indices where score[slot] >= 0 {
            guard let stored = entries[slot], passes(stored.entry, query) else { continue }
            counts.add(stored.entry)
            let entry = stored.entry
            switch query.sort {
            case .relevance: keys.append(Key(primary: score[slot], secondary: Double(entry.enrolments), slot: slot))
            case .popularity: keys.append(Key(primary: Double(entry.enrolments), secondary: score[slot], slot: slot))
            case .rating: keys.append(Key(primary: entry.rating, secondary: Double(entry.enrolments), slot: slot))
            case .newest: keys.append(Key(primary: entry.publishedAt.timeIntervalSince1970, secondary: 0, slot: slot))
            }
        }
        // A total order (title, then slot, break ties), so that paging never repeats or skips a course.
        func before(_ a: Key, _ b: Key) -> Bool {
            if a.primary != b.primary { return a.primary > b.primary }
            if a.secondary != b.secondary { return a.secondary > b.secondary }
            let titleA = entries[a.slot]!.entry.title, titleB = entries[b.slot]!.entry.title
            return titleA != titleB ? titleA < titleB : a.slot < b.slot
        }
        // Only the courses up to the end of the asked page need ordering.
        let needed = min(query.offset + query.limit, keys.count)
        var top: [Key] = []
        top.reserveCapacity(needed + 1)
        for key in keys {
            if top.count == needed, let last = top.last, !before(key, last) { continue }
            var low = 0, high = top.count
            while low < high {
                let middle = (low + high) / 2
                if before(top[middle], key) { low = middle + 1 } else { high = middle }
            }
            top.insert(key, at: low)
            if top.count > needed { top.removeLast() }
        }
        return CatalogueResult(ids: top.dropFirst(query.offset).map { entries[$0.slot]!.entry.id }, total: keys.count, facets: counts.facets)
    }

    /// Facet counting with typed keys; strings are made once per value, not once per match.
    private struct FacetCounts {
        var languages: [String: Int] = [:]
        var providers: [UUID: Int] = [:]
        var areas: [CompetencyArea: Int] = [:]
        var competencies: [UUID: Int] = [:]
        var kinds: [ContentKind: Int] = [:]
        var durations: [String: Int] = [:]

        mutating func add(_ entry: CatalogueEntry) {
            languages[entry.language, default: 0] += 1
            providers[entry.providerId, default: 0] += 1
            var seenAreas: Set<CompetencyArea> = []
            for (competency, area) in entry.competencies {
                competencies[competency, default: 0] += 1
                if seenAreas.insert(area).inserted { areas[area, default: 0] += 1 }
            }
            for kind in entry.kinds { kinds[kind, default: 0] += 1 }
            durations[CatalogueIndex.durationBucket(entry.durationMinutes), default: 0] += 1
        }

        var facets: [String: [String: Int]] {
            var facets: [String: [String: Int]] = [:]
            func put<Key>(_ name: String, _ counts: [Key: Int], _ label: (Key) -> String) {
                if !counts.isEmpty { facets[name] = Dictionary(uniqueKeysWithValues: counts.map { (label($0.key), $0.value) }) }
            }
            put("language", languages) { $0 }
            put("provider", providers) { $0.uuidString }
            put("area", areas) { $0.rawValue }
            put("competency", competencies) { $0.uuidString }
            put("kind", kinds) { $0.rawValue }
            put("duration", durations) { $0 }
            return facets
        }
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
