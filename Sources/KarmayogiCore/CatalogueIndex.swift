import Foundation

/// Words for search in any script: Unicode-normalised (NFKC), lower-cased, and for Latin letters
/// also free of accents. Indic vowel signs and other combining marks stay: they are part of the word — but
/// Devanagari's nukta is dropped and chandrabindu read as anusvara, the two marks people write either way
/// (फ़ाइल and फाइल, हिंदी and हिँदी).
public enum SearchText {
    /// Whether two words are at most one edit apart: one letter added, dropped, changed, or two neighbours swapped.
    public static func withinOneEdit(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Bool {
        if a == b { return true }
        if abs(a.count - b.count) > 1 { return false }
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        if a.count == b.count {
            if a[(i + 1)...] == b[(i + 1)...] { return true }
            return i + 1 < a.count && a[i] == b[i + 1] && a[i + 1] == b[i] && a[(i + 2)...] == b[(i + 2)...]
        }
        let (long, short) = a.count > b.count ? (a, b) : (b, a)
        return long[(i + 1)...] == short[i...]
    }

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
                continue
            }
            switch scalar.value {
            case 0x093C: current.removeLast()  // nukta: फ़ is read as फ
            case 0x0901: current.removeLast(); current.append(Unicode.Scalar(0x0902)!)  // chandrabindu as anusvara
            default: break
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

    /// What filters, facets and ordering read, per slot, as plain values: a search over thousands of
    /// matches then neither retains nor hashes anything. Strings and ids are interned to small numbers.
    private struct Facts {
        var live = true
        var language: Int32
        var provider: Int32
        var areas: UInt8
        var kinds: UInt16
        var competencies: Range<Int32>
        var minutes: Int
        var duration: UInt8
        var enrolments: Double
        var rating: Double
        var published: Double
        /// The entry's place among all titles, so ties are broken without comparing strings (set by `prepare`).
        var titleRank = 0
    }

    /// Values seen in some entry, each numbered once.
    private struct Interned<Value: Hashable & Sendable>: Sendable {
        var values: [Value] = []
        var numbers: [Value: Int32] = [:]

        mutating func number(_ value: Value) -> Int32 {
            if let number = numbers[value] { return number }
            values.append(value)
            numbers[value] = Int32(values.count - 1)
            return Int32(values.count - 1)
        }
    }

    private var entries: [Stored?] = []
    private var facts: [Facts] = []
    private var competencyPool: [Int32] = []
    private var languages = Interned<String>()
    private var providers = Interned<UUID>()
    private var competencies = Interned<UUID>()
    private var slots: [UUID: Int] = [:]
    private var postings: [String: [Int: Double]] = [:]
    private var lengths: [Double] = []
    private var totalLength = 0.0
    private var vocabulary: [String] = []
    private var vocabularyIsSorted = true
    private var titlesAreRanked = true

    static let fieldWeights = (title: 3.0, keywords: 2.0, summary: 1.5, description: 1.0)
    private static let areas = CompetencyArea.allCases
    private static let kinds = ContentKind.allCases
    private static let durationBuckets = ["under-30", "30-120", "120-600", "600-plus"]

    public init() {}

    public var count: Int { slots.count }

    public mutating func upsert(_ entry: CatalogueEntry) {
        remove(entry.id)
        let slot = entries.count
        entries.append(Stored(entry))
        slots[entry.id] = slot
        titlesAreRanked = false
        let poolStart = Int32(competencyPool.count)
        for competency in entry.competencies.keys { competencyPool.append(competencies.number(competency)) }
        facts.append(Facts(
            language: languages.number(entry.language), provider: providers.number(entry.providerId),
            areas: entry.competencies.values.reduce(0) { $0 | 1 << UInt8(Self.areas.firstIndex(of: $1)!) },
            kinds: entry.kinds.reduce(0) { $0 | 1 << UInt16(Self.kinds.firstIndex(of: $1)!) },
            competencies: poolStart..<Int32(competencyPool.count), minutes: entry.durationMinutes,
            duration: UInt8(Self.durationBuckets.firstIndex(of: Self.durationBucket(entry.durationMinutes))!),
            enrolments: Double(entry.enrolments), rating: entry.rating, published: entry.publishedAt.timeIntervalSince1970))
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
        facts[slot].live = false
        totalLength -= lengths[slot]
    }

    /// Sorts the vocabulary for prefix lookups and ranks the titles; call after a batch of changes.
    public mutating func prepare() {
        if !vocabularyIsSorted {
            vocabulary = Array(Set(vocabulary)).sorted()
            vocabularyIsSorted = true
        }
        let byTitle = entries.indices.filter { entries[$0] != nil }.sorted { entries[$0]!.entry.title < entries[$1]!.entry.title }
        for (rank, slot) in byTitle.enumerated() { facts[slot].titleRank = rank }
        titlesAreRanked = true
    }

    public func search(_ query: CatalogueQuery) -> CatalogueResult {
        precondition(vocabularyIsSorted && titlesAreRanked, "call prepare() after changing the index")
        let words = SearchText.words(query.text)
        // score[slot] < 0: not a match. Flat arrays: a search touches each posting once.
        var score = [Double](repeating: words.isEmpty ? 0 : -1, count: entries.count)
        if !words.isEmpty {
            let live = Double(max(slots.count, 1))
            let averageLength = max(totalLength / live, 1)
            var wordScore = [Double](repeating: -1, count: entries.count)
            for (index, word) in words.enumerated() {
                // The last word may be unfinished: it matches every word it begins.
                var terms = index == words.count - 1 ? prefixed(word) : (postings[word] == nil ? [] : [word])
                // A word found nowhere may be mistyped: words one edit away stand in, ranked lower.
                if terms.isEmpty && word.unicodeScalars.count >= 4 { terms = nearby(word) }
                var touched: [Int] = []
                for term in terms {
                    guard let list = postings[term], !list.isEmpty else { continue }
                    let idf = log(1 + (live - Double(list.count) + 0.5) / (Double(list.count) + 0.5))
                    let exactness = term == word ? 1.0 : term.hasPrefix(word) ? 0.8 : 0.6
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

        // The filters in interned numbers; a value no entry has matches nothing.
        let language = query.language.map { languages.numbers[$0] ?? -1 }
        let provider = query.providerId.map { providers.numbers[$0] ?? -1 }
        let competency = query.competencyId.map { competencies.numbers[$0] ?? -1 }
        let area = query.area.map { UInt8(1) << UInt8(Self.areas.firstIndex(of: $0)!) }
        let kind = query.kind.map { UInt16(1) << UInt16(Self.kinds.firstIndex(of: $0)!) }
        var languageCounts = [Int](repeating: 0, count: languages.values.count)
        var providerCounts = [Int](repeating: 0, count: providers.values.count)
        var competencyCounts = [Int](repeating: 0, count: competencies.values.count)
        var areaCounts = [Int](repeating: 0, count: Self.areas.count)
        var kindCounts = [Int](repeating: 0, count: Self.kinds.count)
        var durationCounts = [Int](repeating: 0, count: Self.durationBuckets.count)

        /// What ordering needs, read once per match; a title is read only when everything else ties.
        struct Key { var primary: Double; var secondary: Double; var slot: Int }
        var keys: [Key] = []
        facts.withUnsafeBufferPointer { facts in
            competencyPool.withUnsafeBufferPointer { pool in
                for slot in score.indices where score[slot] >= 0 {
                    let fact = facts[slot]
                    guard fact.live else { continue }
                    if let language, fact.language != language { continue }
                    if let provider, fact.provider != provider { continue }
                    if let area, fact.areas & area == 0 { continue }
                    if let kind, fact.kinds & kind == 0 { continue }
                    if let minimum = query.minDuration, fact.minutes < minimum { continue }
                    if let maximum = query.maxDuration, fact.minutes > maximum { continue }
                    if let competency, !pool[Int(fact.competencies.lowerBound)..<Int(fact.competencies.upperBound)].contains(competency) { continue }
                    languageCounts[Int(fact.language)] += 1
                    providerCounts[Int(fact.provider)] += 1
                    for number in pool[Int(fact.competencies.lowerBound)..<Int(fact.competencies.upperBound)] { competencyCounts[Int(number)] += 1 }
                    for bit in 0..<Self.areas.count where fact.areas & (1 << UInt8(bit)) != 0 { areaCounts[bit] += 1 }
                    for bit in 0..<Self.kinds.count where fact.kinds & (1 << UInt16(bit)) != 0 { kindCounts[bit] += 1 }
                    durationCounts[Int(fact.duration)] += 1
                    switch query.sort {
                    case .relevance: keys.append(Key(primary: score[slot], secondary: fact.enrolments, slot: slot))
                    case .popularity: keys.append(Key(primary: fact.enrolments, secondary: score[slot], slot: slot))
                    case .rating: keys.append(Key(primary: fact.rating, secondary: fact.enrolments, slot: slot))
                    case .newest: keys.append(Key(primary: fact.published, secondary: 0, slot: slot))
                    }
                }
            }
        }
        // A total order (the title's rank breaks ties, and ranks are distinct), so that paging never repeats or skips a course.
        func before(_ a: Key, _ b: Key) -> Bool {
            if a.primary != b.primary { return a.primary > b.primary }
            if a.secondary != b.secondary { return a.secondary > b.secondary }
            return facts[a.slot].titleRank < facts[b.slot].titleRank
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
        var facets: [String: [String: Int]] = [:]
        func put<Value>(_ name: String, _ counts: [Int], _ values: [Value], _ label: (Value) -> String) {
            var named: [String: Int] = [:]
            for (index, count) in counts.enumerated() where count > 0 { named[label(values[index])] = count }
            if !named.isEmpty { facets[name] = named }
        }
        put("language", languageCounts, languages.values) { $0 }
        put("provider", providerCounts, providers.values) { UUIDText.uppercase($0) }
        put("area", areaCounts, Self.areas) { $0.rawValue }
        put("competency", competencyCounts, competencies.values) { UUIDText.uppercase($0) }
        put("kind", kindCounts, Self.kinds) { $0.rawValue }
        put("duration", durationCounts, Self.durationBuckets) { $0 }
        return CatalogueResult(ids: top.dropFirst(query.offset).map { entries[$0.slot]!.entry.id }, total: keys.count, facets: facets)
    }

    public static func durationBucket(_ minutes: Int) -> String {
        switch minutes {
        case ..<30: "under-30"
        case ..<120: "30-120"
        case ..<600: "120-600"
        default: "600-plus"
        }
    }

    /// The vocabulary's words one edit from `word` (at most 50).
    private func nearby(_ word: String) -> [String] {
        let scalars = Array(word.unicodeScalars)
        var found: [String] = []
        for term in vocabulary where abs(term.unicodeScalars.count - scalars.count) <= 1 {
            if SearchText.withinOneEdit(scalars, Array(term.unicodeScalars)) {
                found.append(term)
                if found.count == 50 { break }
            }
        }
        return found
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
