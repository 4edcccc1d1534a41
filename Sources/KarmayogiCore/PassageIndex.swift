import Foundation

/// Where a passage of the assistant's knowledge comes from.
public enum KnowledgeSource: String, Codable, Sendable, CaseIterable {
    case faq, policy, course, competency
    case caseStudy = "case_study"
    /// The asking person's own records: what is due, what is done.
    case record
}

/// About eighty words of the platform's own knowledge, with where they come from.
public struct Passage: Sendable, Equatable, Codable {
    /// The document it was cut from, one key per document ("course:…", "document:…"): a document's passages share it.
    public var document: String
    public var source: KnowledgeSource
    public var title: String
    /// The heading of the part of the document it was cut from, when it has one.
    public var section: String?
    public var text: String
    /// Where the person reads the whole of it.
    public var link: String
    public var language: String

    public init(document: String, source: KnowledgeSource, title: String, section: String? = nil, text: String, link: String, language: String) {
        self.document = document
        self.source = source
        self.title = title
        self.section = section
        self.text = text
        self.link = link
        self.language = language
    }
}

/// Cuts a document into passages of about eighty words: a heading (a line starting with `#`) begins a part of its own,
/// and within a part passages end at paragraph and sentence ends (`.`, `?`, `!` and the Devanagari danda).
public enum PassageCutter {
    public struct Piece: Equatable, Sendable {
        public var section: String?
        public var text: String
        /// Which part of the document it is from: 0 before the first heading, then 1, 2, … a heading each.
        public var part: Int
    }

    public static func cut(_ text: String, words target: Int = 80) -> [Piece] {
        var pieces: [Piece] = []
        var section: String?
        var part = 0
        var sentences: [String] = []
        func flushPart() {
            var current: [String] = [], count = 0
            func emit() {
                let joined = current.joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines)
                if !joined.isEmpty { pieces.append(Piece(section: section, text: joined, part: part)) }
                current = []
                count = 0
            }
            for sentence in sentences {
                let words = sentence.split(whereSeparator: \.isWhitespace)
                if words.count > target + target / 2 {
                    // A run-on sentence (or a list with no full stops) is cut by words.
                    emit()
                    stride(from: 0, to: words.count, by: target).forEach { start in
                        current = [words[start..<min(start + target, words.count)].joined(separator: " ")]
                        emit()
                    }
                    continue
                }
                if count > 0 && count + words.count > target + target / 4 { emit() }
                current.append(sentence)
                count += words.count
                if count >= target { emit() }
            }
            emit()
            sentences = []
        }
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") {
                flushPart()
                let heading = trimmed.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
                section = heading.isEmpty ? nil : heading
                part += 1
            } else if trimmed.isEmpty {
                // A paragraph ends: its last sentence ends here even without a full stop.
                if let last = sentences.last, !last.isEmpty { sentences.append("") }
            } else {
                sentences += Self.sentences(trimmed)
            }
        }
        sentences.removeAll { $0.isEmpty }
        flushPart()
        return pieces
    }

    static func sentences(_ line: String) -> [String] {
        var result: [String] = [], current = ""
        var previous: Character?
        for character in line {
            if character.isWhitespace, let previous, ".?!।॥".contains(previous) {
                result.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        if !current.isEmpty { result.append(current) }
        return result.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// The words a question and a passage are matched on: `SearchText.words` (any script, case and nukta folded), without
/// the words every question has ("what", "how", "क्या", "कैसे"), and with common endings removed so that "certificates"
/// meets "certificate" and "प्रमाणपत्रों" meets "प्रमाणपत्र".
public enum KnowledgeWords {
    static let english: Set<String> = [
        "a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "i", "me", "my", "mine", "we", "us", "our",
        "you", "your", "it", "its", "of", "to", "in", "on", "at", "for", "from", "by", "with", "and", "or", "what", "which", "who", "whom",
        "how", "when", "where", "why", "can", "could", "should", "would", "will", "shall", "may", "there", "this", "that", "these", "those",
        "as", "if", "about", "into", "any", "some", "please", "tell", "need", "want", "know", "much", "many", "has", "have", "had", "so",
        "than", "then", "also", "not", "no", "yes", "one", "all", "get", "here", "they", "them", "their", "he", "she", "his", "her", "mean",
        "means", "meant", "meaning",
    ]
    static let hindi: Set<String> = [
        "क्या", "है", "हैं", "था", "थी", "थे", "मैं", "में", "की", "का", "के", "को", "से", "पर", "और", "या", "यह", "वह", "ये", "वे", "कैसे",
        "कब", "कहाँ", "कहां", "कौन", "कौनसा", "कौनसी", "किस", "किसे", "किसको", "कितना", "कितने", "कितनी", "मुझे", "मेरा", "मेरे", "मेरी",
        "हम", "हमें", "हमारा", "हमारे", "हमारी", "आप", "आपको", "आपका", "आपके", "आपकी", "अपना", "अपने", "अपनी", "एक", "तो", "भी",
        "ही", "नहीं", "हो", "होता", "होती", "होते", "होगा", "होगी", "होंगे", "करें", "करना", "करता", "करती", "करते", "कर", "सकता", "सकते",
        "सकती", "सकूं", "सकूँ", "लिए", "बारे", "जाता", "जाती", "जाते", "इस", "उस", "इसे", "उसे", "कोई", "कुछ", "जब", "तक", "बताइए",
        "बताएं", "बताओ", "कृपया", "चाहिए", "चाहता", "चाहती", "वाला", "वाले", "वाली", "द्वारा", "जो", "सभी", "तथा", "एवं", "मतलब", "अर्थ",
    ]

    /// Endings removed from Devanagari words, the longest first.
    static let hindiEndings: [[Unicode.Scalar]] = [
        "ाएंगे", "ाएंगी", "ेंगे", "ेंगी", "ूँगा", "ूंगा", "ूँगी", "ूंगी", "ोगे", "ोगी", "ेगा", "ेगी", "ेगे", "ियाँ", "ियां", "ियों", "ाओं", "ाएं", "ाएँ", "ुओं", "ुएं", "ाने", "ाना", "ानी", "ाता", "ाती", "ाते", "ों", "ें",
        "ीं", "ाँ", "ां", "ता", "ती", "ते", "ना", "नी", "ने", "ी", "ा", "े", "ो", "ि", "ु", "ू",
    ].map { Array($0.unicodeScalars) }

    public static func terms(_ text: String) -> [String] {
        SearchText.words(text).compactMap { word in
            if english.contains(word) || hindi.contains(word) { return nil }
            return stem(word)
        }
    }

    static func stem(_ word: String) -> String {
        let scalars = Array(word.unicodeScalars)
        if scalars.allSatisfy({ $0.value < 0x0250 }) {
            return englishStem(word)
        }
        if scalars.allSatisfy({ (0x0900...0x097F).contains($0.value) || $0.value == 0x200C || $0.value == 0x200D }) {
            for ending in hindiEndings where scalars.count > ending.count + 1 && scalars.suffix(ending.count).elementsEqual(ending) {
                return String(String.UnicodeScalarView(scalars.dropLast(ending.count)))
            }
        }
        return word
    }

    /// A light English stemmer: plurals, "-ing", "-ed", "-ment", "-ation" and "-ly", never below four letters.
    static func englishStem(_ word: String) -> String {
        guard word.count > 3, word.allSatisfy(\.isLetter) else { return word }
        var word = word
        func strip(_ suffix: String, _ replacement: String = "", keeping minimum: Int = 4) -> Bool {
            guard word.hasSuffix(suffix), word.count - suffix.count + replacement.count >= minimum else { return false }
            word = String(word.dropLast(suffix.count)) + replacement
            return true
        }
        if !strip("ies", "y") && !strip("sses", "ss") && !word.hasSuffix("ss") && !word.hasSuffix("us") && !word.hasSuffix("is") {
            _ = strip("s", keeping: 3)
        }
        _ = strip("ations", "") || strip("ation", "") || strip("ments") || strip("ment") || strip("ing") || strip("ed") || strip("ly")
        if word.hasSuffix("e") && word.count > 4 { word.removeLast() }
        // "enrolled", "enrolling" and "enroll" meet "enrol".
        if word.count > 4, let last = word.last, word.dropLast().last == last, last != "s", !"aeiou".contains(last) { word.removeLast() }
        return word
    }
}

/// The assistant's knowledge as an inverted index, ranked with BM25 (a passage's title and heading count twice), with a
/// confidence: the share of the question's weight (each word weighs its rarity) that the best passage holds.
public struct PassageIndex: Sendable {
    public struct Hit: Sendable, Equatable {
        public var passage: Passage
        public var score: Double
        /// From 0 to 1: the share of the question's weight this passage holds.
        public var coverage: Double
        /// The cosine between the question's and the passage's sentence vectors, when the semantic ranking found it.
        public var similarity: Double? = nil
    }

    /// The question's sentence vector and the passages' (aligned with this index's passages), for hybrid retrieval.
    public struct SemanticQuery: Sendable {
        public var vector: [Float]
        public var vectors: PassageVectors

        public init(vector: [Float], vectors: PassageVectors) {
            self.vector = vector
            self.vectors = vectors
        }
    }

    public struct Retrieval: Sendable {
        /// The best passages, best first.
        public var hits: [Hit]
        /// The lexically best passage's coverage (0 when nothing matches).
        public var confidence: Double
        /// The question's words as they were matched.
        public var terms: [String]
        /// The semantically nearest passage's cosine, when the search was hybrid.
        public var similarity: Double? = nil
    }

    /// A passage with its words counted, once: an index is rebuilt from entries without reading the text again.
    public struct Entry: Sendable {
        public var passage: Passage
        var counts: [String: Float]
        var length: Float

        public init(_ passage: Passage) {
            self.passage = passage
            var counts: [String: Float] = [:]
            for term in KnowledgeWords.terms(passage.title + " " + (passage.section ?? "")) { counts[term, default: 0] += 2 }
            for term in KnowledgeWords.terms(passage.text) { counts[term, default: 0] += 1 }
            self.counts = counts
            length = counts.values.reduce(0, +)
        }
    }

    /// The least cosine at which a passage is a semantic candidate.
    public static let semanticFloor = 0.25

    public private(set) var passages: [Passage] = []
    private var postings: [String: [(passage: Int32, frequency: Float)]] = [:]
    private var lengths: [Float] = []
    private var averageLength: Double = 1

    public init() {}

    public init(_ passages: [Passage]) {
        self.init(entries: passages.map(Entry.init))
    }

    public init(entries: [Entry]) {
        passages = entries.map(\.passage)
        lengths = entries.map(\.length)
        for (number, entry) in entries.enumerated() {
            for (term, frequency) in entry.counts { postings[term, default: []].append((Int32(number), frequency)) }
        }
        averageLength = entries.isEmpty ? 1 : max(1, lengths.reduce(0.0) { $0 + Double($1) } / Double(entries.count))
    }

    public var count: Int { passages.count }

    func idf(_ term: String) -> Double {
        let n = Double(passages.count), found = Double(postings[term]?.count ?? 0)
        return log(1 + (n - found + 0.5) / (found + 0.5))
    }

    /// The passages that answer `question` best, at most `limit`; those in `language` rank a little higher. `also` are
    /// passages of the moment (a person's own records), weighed with this index's word rarities. With `semantic`, the
    /// lexical ranking and the nearest sentence vectors (the first 100 of each) are fused by reciprocal rank.
    public func search(_ question: String, language: String? = nil, limit: Int = 10, also extra: [Entry] = [], semantic: SemanticQuery? = nil) -> Retrieval {
        let terms = Array(Set(KnowledgeWords.terms(question))).sorted()
        guard !terms.isEmpty || semantic != nil, !passages.isEmpty || !extra.isEmpty else { return Retrieval(hits: [], confidence: 0, terms: terms) }
        let k1 = 1.2, b = 0.75
        let weights = Dictionary(uniqueKeysWithValues: terms.map { ($0, idf($0)) })
        func bm25(_ frequency: Float, _ length: Float) -> Double {
            let f = Double(frequency)
            return f * (k1 + 1) / (f + k1 * (1 - b + b * Double(length) / averageLength))
        }
        // Passages are numbered: this index's first, then the extra ones.
        var scores: [Int: Double] = [:]
        var held: [Int: Set<String>] = [:]
        for term in terms {
            for (passage, frequency) in postings[term] ?? [] {
                scores[Int(passage), default: 0] += weights[term]! * bm25(frequency, lengths[Int(passage)])
                held[Int(passage), default: []].insert(term)
            }
        }
        for (offset, entry) in extra.enumerated() {
            for term in terms {
                guard let frequency = entry.counts[term] else { continue }
                scores[passages.count + offset, default: 0] += weights[term]! * bm25(frequency, entry.length)
                held[passages.count + offset, default: []].insert(term)
            }
        }
        func passage(_ number: Int) -> Passage { number < passages.count ? passages[number] : extra[number - passages.count].passage }
        for (number, score) in scores {
            // The asker's own records answer what they ask about themselves before any general page does.
            if number >= passages.count { scores[number] = score * 1.5 }
            if let language, passage(number).language == language { scores[number]! *= 1.1 }
        }
        let lexical = scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        // Summed in the same order both times, so that a passage holding every word covers exactly 1.
        let whole = terms.reduce(0) { $0 + weights[$1]! }
        func coverage(_ number: Int) -> Double {
            whole > 0 ? terms.filter { held[number]?.contains($0) == true }.reduce(0) { $0 + weights[$1]! } / whole : 0
        }
        var order = lexical, similarities: [Int: Double] = [:], nearest: Double?
        let confidence = lexical.first.map(coverage) ?? 0
        if let semantic {
            // Cosines below the floor are noise for a sentence model: such passages are no semantic candidates. The
            // lexical ranking counts as much as the question's words are found (its confidence).
            let near = semantic.vectors.nearest(to: semantic.vector, limit: 100).filter { $0.similarity >= Self.semanticFloor }
            for found in near { similarities[found.passage] = found.similarity }
            nearest = near.first?.similarity
            order = RankFusion.fuse([(Array(lexical.prefix(100)), max(2 * confidence, 0.1)), (near.map(\.passage), 1)]).map(\.item)
        }
        let hits = order.prefix(limit).map { Hit(passage: passage($0), score: scores[$0] ?? 0, coverage: coverage($0), similarity: similarities[$0]) }
        return Retrieval(hits: hits, confidence: confidence, terms: terms, similarity: nearest)
    }
}

/// How well a ranking finds what answers a question: `relevant[i]` says whether the passage at rank i+1 answers it, and
/// `answers` is how many passages answer it in all.
public enum RetrievalQuality {
    /// The share of the answering passages found in the first `k`.
    public static func recall(_ relevant: [Bool], answers: Int, at k: Int) -> Double {
        guard answers > 0 else { return 0 }
        return Double(relevant.prefix(k).filter { $0 }.count) / Double(answers)
    }

    /// Normalised discounted cumulative gain at `k`: 1 when the answering passages lead the ranking, less the lower they come.
    public static func ndcg(_ relevant: [Bool], answers: Int, at k: Int) -> Double {
        guard answers > 0 else { return 0 }
        let gain = relevant.prefix(k).enumerated().reduce(0.0) { $0 + ($1.element ? 1 / log2(Double($1.offset) + 2) : 0) }
        let ideal = (0..<min(answers, k)).reduce(0.0) { $0 + 1 / log2(Double($1) + 2) }
        return gain / ideal
    }
}
