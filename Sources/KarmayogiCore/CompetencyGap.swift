import Foundation

/// Why a level is required of a person: their designation in their organisation, or a live plan that assigns them a
/// course teaching it.
public struct GapSource: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable { case designation, plan }
    public var kind: Kind
    /// The designation as the organisation writes it, or the plan's name.
    public var name: String
    /// The plan's id (none for a designation).
    public var id: UUID?

    public init(kind: Kind, name: String, id: UUID? = nil) {
        self.kind = kind
        self.name = name
        self.id = id
    }
}

/// A level one source requires of a competency.
public struct Need: Hashable, Sendable {
    public var competencyId: UUID
    public var level: Int
    public var source: GapSource

    public init(competencyId: UUID, level: Int, source: GapSource) {
        self.competencyId = competencyId
        self.level = level
        self.source = source
    }
}

/// The gap between what a role needs and what a person has shown: for each competency required, the highest level any
/// source requires against the highest level verified in the person's passbook.
public struct CompetencyGap: Equatable, Sendable {
    public var competencyId: UUID
    public var required: Int
    /// The highest verified level, 0 when none.
    public var held: Int
    /// Every source that requires the competency, the designation first; `required` is the highest of their levels.
    public var sources: [GapSource]

    public var size: Int { required - held }

    public init(competencyId: UUID, required: Int, held: Int, sources: [GapSource] = []) {
        self.competencyId = competencyId
        self.required = required
        self.held = held
        self.sources = sources
    }

    /// The gaps, largest first (then by competency id, so the order is stable); competencies already met are left out.
    public static func gaps(needs: [Need], verified: [RoleRequirement]) -> [CompetencyGap] {
        let held = highest(verified)
        var gaps: [UUID: CompetencyGap] = [:]
        for need in needs {
            var gap = gaps[need.competencyId] ?? CompetencyGap(competencyId: need.competencyId, required: 0, held: held[need.competencyId] ?? 0)
            gap.required = max(gap.required, need.level)
            if !gap.sources.contains(need.source) { gap.sources.append(need.source) }
            gaps[need.competencyId] = gap
        }
        return gaps.values.filter { $0.size > 0 }
            .map { gap in
                var gap = gap
                gap.sources.sort { ($0.kind == .designation ? 0 : 1, $0.name) < ($1.kind == .designation ? 0 : 1, $1.name) }
                return gap
            }
            .sorted { ($1.size, $0.competencyId.uuidString) < ($0.size, $1.competencyId.uuidString) }
    }

    /// The highest level of each competency among `entries`.
    public static func highest(_ entries: [RoleRequirement]) -> [UUID: Int] {
        var held: [UUID: Int] = [:]
        for entry in entries { held[entry.competencyId] = max(held[entry.competencyId] ?? 0, entry.level) }
        return held
    }
}

/// Something a person can take to close a gap: a published course, an upcoming event, a programme with a batch open.
public struct LearningOffer: Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case course, event, programme }

    public var kind: Kind
    public var id: UUID
    /// What it teaches, at which levels.
    public var competencies: [RoleRequirement]
    /// Its language, when it has one (events and programmes are taught in the room's language).
    public var language: String?
    public var durationMinutes: Int
    /// How many people of the person's designation (in their organisation) completed it.
    public var peerCompletions: Int
    /// The average of its ratings, when it has any.
    public var rating: Double?
    public var ratingCount: Int

    public init(kind: Kind, id: UUID, competencies: [RoleRequirement], language: String?, durationMinutes: Int,
                peerCompletions: Int = 0, rating: Double? = nil, ratingCount: Int = 0) {
        self.kind = kind
        self.id = id
        self.competencies = competencies
        self.language = language
        self.durationMinutes = durationMinutes
        self.peerCompletions = peerCompletions
        self.rating = rating
        self.ratingCount = ratingCount
    }

    /// The level it teaches a competency at, if it teaches it.
    public func level(of competencyId: UUID) -> Int? {
        competencies.filter { $0.competencyId == competencyId }.map(\.level).max()
    }
}

/// One reason for a recommendation's place, with the points it adds or takes away: the sum of the points is the score
/// the recommendations are ordered by, so a page can say exactly why one comes before another.
public struct RankFactor: Codable, Equatable, Sendable {
    public enum Code: String, Codable, Sendable, CaseIterable {
        /// 100 points per level of the gap it serves: the largest gaps come first.
        case gapSize
        /// It teaches the competency at exactly the level required (+60), above it (+40), or below it (+10 a level gained).
        case exactLevel, aboveLevel, belowLevel
        /// It is in the person's language (+30).
        case language
        /// It also closes other gaps of the person (+25 each).
        case otherGaps
        /// People of the same designation completed it (+5 each, at most +25).
        case peers
        /// Its rating, when three people or more rated it: (average − 3) × 10, from −20 to +20.
        case rating
        /// Its length: −1 a quarter of an hour, at most −30.
        case duration
        /// Better offers already serve the same gap (−100 for each one before it, as if the gap were a level smaller).
        case alternative
    }

    public var code: Code
    public var points: Int
    /// The number the reason is about: the gap's size, the level, the count, the average × 10, the minutes.
    public var value: Int?

    public init(_ code: Code, points: Int, value: Int? = nil) {
        self.code = code
        self.points = points
        self.value = value
    }
}

/// Offers ranked for a person's gaps, each naming the gap it serves and why it ranks where it does.
public enum Recommender {
    public struct Recommendation: Sendable {
        public var offer: LearningOffer
        /// The gap it serves best.
        public var gap: CompetencyGap
        /// The level it teaches that competency at.
        public var level: Int
        /// The person's other gaps it closes too.
        public var alsoCloses: [UUID]
        public var factors: [RankFactor]

        public var score: Int { factors.reduce(0) { $0 + $1.points } }
        /// Whether it reaches the required level, or only narrows the gap.
        public var closes: Bool { level >= gap.required }
    }

    /// The offers for `gaps`, best first. An offer serves a gap when it teaches the competency above the level held; it
    /// is scored for each gap it serves and placed by its best. Offers in `excluding` (already enrolled, registered)
    /// are left out.
    public static func recommend(for gaps: [CompetencyGap], from offers: [LearningOffer], language: String,
                                 excluding: Set<UUID> = [], limit: Int = 10) -> [Recommendation] {
        var scored: [Recommendation] = []
        for offer in offers where !excluding.contains(offer.id) {
            var best: Recommendation?
            let closing = gaps.filter { gap in offer.level(of: gap.competencyId).map { $0 >= gap.required } ?? false }.map(\.competencyId)
            for gap in gaps {
                guard let level = offer.level(of: gap.competencyId), level > gap.held else { continue }
                let others = closing.filter { $0 != gap.competencyId }
                let candidate = Recommendation(offer: offer, gap: gap, level: level, alsoCloses: others,
                                               factors: factors(offer, gap: gap, level: level, others: others.count, language: language))
                if best == nil || candidate.score > best!.score { best = candidate }
            }
            if let best { scored.append(best) }
        }
        scored.sort(by: before)
        // Each further offer for a gap already served ranks lower by what came before it, then all are placed again.
        var served: [UUID: Int] = [:]
        for index in scored.indices {
            let earlier = served[scored[index].gap.competencyId, default: 0]
            if earlier > 0 { scored[index].factors.append(RankFactor(.alternative, points: -100 * earlier, value: earlier)) }
            served[scored[index].gap.competencyId] = earlier + 1
        }
        return Array(scored.sorted(by: before).prefix(limit))
    }

    static func before(_ a: Recommendation, _ b: Recommendation) -> Bool {
        (a.score, a.gap.size, b.offer.durationMinutes, b.offer.id.uuidString) > (b.score, b.gap.size, a.offer.durationMinutes, a.offer.id.uuidString)
    }

    static func factors(_ offer: LearningOffer, gap: CompetencyGap, level: Int, others: Int, language: String) -> [RankFactor] {
        var factors = [RankFactor(.gapSize, points: 100 * gap.size, value: gap.size)]
        if level == gap.required { factors.append(RankFactor(.exactLevel, points: 60, value: level)) }
        else if level > gap.required { factors.append(RankFactor(.aboveLevel, points: 40, value: level)) }
        else { factors.append(RankFactor(.belowLevel, points: 10 * (level - gap.held), value: level)) }
        if offer.language == language { factors.append(RankFactor(.language, points: 30)) }
        if others > 0 { factors.append(RankFactor(.otherGaps, points: 25 * others, value: others)) }
        if offer.peerCompletions > 0 { factors.append(RankFactor(.peers, points: min(25, 5 * offer.peerCompletions), value: offer.peerCompletions)) }
        if let rating = offer.rating, offer.ratingCount >= 3 {
            let points = Int(((rating - 3) * 10).rounded())
            if points != 0 { factors.append(RankFactor(.rating, points: points, value: Int((rating * 10).rounded()))) }
        }
        let quarters = min(30, offer.durationMinutes / 15)
        if quarters > 0 { factors.append(RankFactor(.duration, points: -quarters, value: offer.durationMinutes)) }
        return factors
    }
}

/// An organisation's gap map: for each designation and each competency it requires, how many people of that
/// designation lack it, by the level they hold; and the fewest offers that close most of it.
public enum GapMap {
    public struct Cell: Codable, Equatable, Sendable {
        public var designation: String
        public var competencyId: UUID
        public var required: Int
        /// People holding the designation.
        public var people: Int
        /// Of them, how many hold the competency below the required level.
        public var lacking: Int
        /// `byHeld[l]`: how many lack it while holding level l (0 for none), for l below the required level.
        public var byHeld: [Int]

        public init(designation: String, competencyId: UUID, required: Int, people: Int, lacking: Int, byHeld: [Int]) {
            self.designation = designation
            self.competencyId = competencyId
            self.required = required
            self.people = people
            self.lacking = lacking
            self.byHeld = byHeld
        }
    }

    /// A person as the map counts them: the designation they hold and the highest verified level of each competency.
    public struct Person: Sendable {
        public var designation: String
        public var held: [UUID: Int]

        public init(designation: String, held: [UUID: Int]) {
            self.designation = designation
            self.held = held
        }
    }

    /// The map's cells, designation by designation (as `Designation.key` groups them), each designation's competencies
    /// with the most people lacking first (then the higher level). `requirements` is keyed by the designation as the organisation wrote it.
    public static func cells(requirements: [String: [RoleRequirement]], people: [Person]) -> [Cell] {
        var byKey: [String: [Person]] = [:]
        for person in people { byKey[Designation.key(person.designation), default: []].append(person) }
        var cells: [Cell] = []
        for (designation, required) in requirements.sorted(by: { $0.key < $1.key }) {
            let holders = byKey[Designation.key(designation)] ?? []
            var rows: [Cell] = []
            for requirement in required {
                var byHeld = Array(repeating: 0, count: requirement.level)
                for person in holders {
                    let level = person.held[requirement.competencyId] ?? 0
                    if level < requirement.level { byHeld[level] += 1 }
                }
                rows.append(Cell(designation: designation, competencyId: requirement.competencyId, required: requirement.level,
                                 people: holders.count, lacking: byHeld.reduce(0, +), byHeld: byHeld))
            }
            cells += rows.sorted { ($1.lacking, $1.required, $0.competencyId.uuidString) < ($0.lacking, $0.required, $1.competencyId.uuidString) }
        }
        return cells
    }

    public struct Choice: Sendable, Equatable {
        public var offerId: UUID
        /// The people's gaps it closes that no earlier choice closed.
        public var closes: Int
        /// The people's gaps closed by it and every choice before it.
        public var cumulative: Int
        /// The cells it closes (designation key, competency) that were still open.
        public var cells: [Int]
    }

    /// The fewest offers that close the most of the map (greedy weighted set cover): each round takes the offer that
    /// closes the most people's gaps still open, where an offer closes a cell when it teaches the competency at the
    /// required level or above; ties go to the shorter, then the lower id. Stops when nothing more can be closed or
    /// `limit` offers are chosen.
    public static func closingSet(_ cells: [Cell], offers: [LearningOffer], limit: Int = 10) -> [Choice] {
        var open = Set(cells.indices.filter { cells[$0].lacking > 0 })
        var left = offers.sorted { ($0.durationMinutes, $0.id.uuidString) < ($1.durationMinutes, $1.id.uuidString) }
        var chosen: [Choice] = []
        var total = 0
        while chosen.count < limit, !open.isEmpty {
            var best: (index: Int, cells: [Int], closes: Int)?
            for (index, offer) in left.enumerated() {
                let closed = open.filter { cell in offer.level(of: cells[cell].competencyId).map { $0 >= cells[cell].required } ?? false }
                let closes = closed.reduce(0) { $0 + cells[$1].lacking }
                if closes > (best?.closes ?? 0) { best = (index, closed.sorted(), closes) }
            }
            guard let best else { break }
            let offer = left.remove(at: best.index)
            open.subtract(best.cells)
            total += best.closes
            chosen.append(Choice(offerId: offer.id, closes: best.closes, cumulative: total, cells: best.cells))
        }
        return chosen
    }
}
