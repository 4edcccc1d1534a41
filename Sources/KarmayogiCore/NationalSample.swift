import Foundation

/// The shape of the nation the generator draws at a fraction `scale` of its size: at 1.0, 15 million people,
/// 80 million enrolments and 4,400 courses (the platform's published figures, March 2026).
public struct NationalScale: Sendable {
    public static let people = 15_000_000
    public static let enrolments = 80_000_000
    public static let courses = 4_400
    /// Of the people onboarded, the share from States and UTs (the rest are in central ministries).
    public static let stateShare = 0.6
    /// Of enrolments, the share completed (6.2 crore of 8.2 crore, December 2025).
    public static let completionShare = 0.75

    public let scale: Double

    public init?(scale: Double) {
        guard scale.isFinite, scale > 0, scale <= 1 else { return nil }
        self.scale = scale
    }

    public var peopleCount: Int { max(100, Int((Double(Self.people) * scale).rounded())) }
    public var enrolmentCount: Int { max(500, Int((Double(Self.enrolments) * scale).rounded())) }
    public var courseCount: Int { max(40, Int((Double(Self.courses) * scale).rounded())) }
    /// Central ministries, each with four departments.
    public var ministries: Int { max(8, Int((60 * scale.squareRoot()).rounded())) }
    /// Departments of each State, and urban local bodies of each district.
    public var stateDepartments: Int { max(3, Int((12 * scale.squareRoot()).rounded())) }
    public var localBodiesPerDistrict: Int { max(1, Int((3 * scale.squareRoot()).rounded())) }

    /// Splits `total` in proportion to `weights` so that the parts add up to `total` exactly (largest remainders).
    public static func apportion(_ total: Int, weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        guard sum > 0, total > 0 else { return weights.map { _ in 0 } }
        let exact = weights.map { Double(total) * $0 / sum }
        var parts = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { exact[$0] - Double(parts[$0]) > exact[$1] - Double(parts[$1]) }
        for index in order.prefix(total - parts.reduce(0, +)) { parts[index] += 1 }
        return parts
    }
}

/// Draws ranks 0..<count with probability falling as 1 / (rank + 1)^exponent: a few courses hold most enrolments.
public struct ZipfSampler: Sendable {
    private let cumulative: [Double]

    public init(count: Int, exponent: Double = 1.1) {
        var total = 0.0
        cumulative = (0..<count).map { rank in
            total += 1 / pow(Double(rank + 1), exponent)
            return total
        }
    }

    public func next(using generator: inout some RandomNumberGenerator) -> Int {
        let target = Double.random(in: 0..<cumulative.last!, using: &generator)
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > target { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
