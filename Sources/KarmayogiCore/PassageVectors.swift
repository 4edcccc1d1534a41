import Foundation

/// Sentence vectors of an index's passages (unit length, from the embedding sidecar), searched by cosine: the semantic
/// half of the assistant's hybrid retrieval. A passage without a vector (not yet embedded, or in a language the model
/// does not read) is simply not among the semantic candidates.
public struct PassageVectors: Sendable {
    public let dimensions: Int
    /// The vectors one after another, in the index's passage order; zeros where a passage has none.
    private var values: [Float]
    private var present: [Bool]
    /// How many passages have a vector.
    public private(set) var held = 0

    public init() {
        dimensions = 0
        values = []
        present = []
    }

    /// `vector(n)` is passage n's vector, or nil; one of another length than `dimensions` is left out.
    public init(dimensions: Int, count: Int, vector: (Int) -> [Float]?) {
        self.dimensions = dimensions
        values = [Float](repeating: 0, count: dimensions * count)
        present = [Bool](repeating: false, count: count)
        for number in 0..<count {
            guard let given = vector(number), given.count == dimensions else { continue }
            values.replaceSubrange(number * dimensions..<(number + 1) * dimensions, with: given)
            present[number] = true
            held += 1
        }
    }

    /// The `limit` passages nearest to `query` (a unit vector), nearest first, with their cosine similarity.
    public func nearest(to query: [Float], limit: Int) -> [(passage: Int, similarity: Double)] {
        guard query.count == dimensions, dimensions > 0, limit > 0 else { return [] }
        var found: [(passage: Int, similarity: Double)] = []
        values.withUnsafeBufferPointer { all in
            query.withUnsafeBufferPointer { q in
                for number in present.indices where present[number] {
                    let base = number * dimensions
                    var sum: Float = 0
                    for i in 0..<dimensions { sum += all[base + i] * q[i] }
                    found.append((number, Double(sum)))
                }
            }
        }
        found.sort { $0.similarity != $1.similarity ? $0.similarity > $1.similarity : $0.passage < $1.passage }
        return Array(found.prefix(limit))
    }

    /// A vector as the sidecar sends it and the database keeps it: little-endian 32-bit floats.
    public static func decode(_ data: Data) -> [Float]? {
        guard !data.isEmpty, data.count % 4 == 0 else { return nil }
        var vector = [Float](repeating: 0, count: data.count / 4)
        for index in vector.indices {
            let bits = UInt32(data[data.startIndex + 4 * index]) | UInt32(data[data.startIndex + 4 * index + 1]) << 8
                | UInt32(data[data.startIndex + 4 * index + 2]) << 16 | UInt32(data[data.startIndex + 4 * index + 3]) << 24
            vector[index] = Float(bitPattern: bits)
        }
        guard vector.allSatisfy(\.isFinite) else { return nil }
        return vector
    }

    public static func encode(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for value in vector {
            let bits = value.bitPattern
            data.append(contentsOf: [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)])
        }
        return data
    }

    /// Whether a question is one the (English) sentence model can read: most of its letters are Latin.
    public static func readable(_ question: String) -> Bool {
        let letters = question.unicodeScalars.filter { CharacterSet.letters.contains($0) }
        guard !letters.isEmpty else { return false }
        return Double(letters.filter { $0.isASCII }.count) >= 0.8 * Double(letters.count)
    }
}

/// Reciprocal rank fusion: each ranking gives an item weight / (k + rank); the sums order the fused list. It needs no
/// common scale between BM25 scores and cosines, and an item found by both rankings rises above one found by either.
public enum RankFusion {
    public static func fuse(_ rankings: [(items: [Int], weight: Double)], k: Double = 60) -> [(item: Int, score: Double)] {
        var scores: [Int: Double] = [:]
        for ranking in rankings {
            for (rank, item) in ranking.items.enumerated() { scores[item, default: 0] += ranking.weight / (k + Double(rank + 1)) }
        }
        return scores.map { (item: $0.key, score: $0.value) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }
    }
}
