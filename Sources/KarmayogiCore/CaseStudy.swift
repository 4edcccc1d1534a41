import Foundation

/// The Amrit Gyaan Kosh's rules: what a case study must say, how it moves from draft to published, and how its
/// published cases are searched, counted by facet and mapped by SDG and State.

/// The sectors a case study is filed under.
public enum CaseSector: String, Codable, CaseIterable, Sendable {
    case agriculture, health, education, governance, energy, environment, infrastructure
    case urbanDevelopment = "urban_development"
    case ruralDevelopment = "rural_development"
    case waterSanitation = "water_sanitation"
    case disasterManagement = "disaster_management"
    case publicFinance = "public_finance"
    case socialWelfare = "social_welfare"
    case digitalGovernance = "digital_governance"
}

/// Where the research behind a case stands.
public enum CaseStatus: String, Codable, CaseIterable, Sendable {
    case ongoing, completed
}

/// Where a case stands in its institute's review: written, sent for review, out in the Kosh.
public enum CaseStage: String, Codable, CaseIterable, Sendable {
    case draft
    case inReview = "in_review"
    case published
}

/// What an editor does to a case's stage.
public enum CaseAction: String, Codable, CaseIterable, Sendable {
    /// A draft goes to the institute's other editors.
    case submit
    /// A case in review goes out, by an editor who did not submit it.
    case publish
    /// A case in review goes back to its author, with a note.
    case sendBack = "return"
    /// A published case is taken back to draft to be corrected.
    case withdraw

    /// The stage the action leads to from `stage`, or why it may not be taken. `bySubmitter`: the one acting sent the
    /// case for review (and so may not publish it: a second pair of eyes publishes).
    public func next(from stage: CaseStage, bySubmitter: Bool) -> Result<CaseStage, FieldError> {
        switch (self, stage) {
        case (.submit, .draft): return .success(.inReview)
        case (.publish, .inReview):
            return bySubmitter ? .failure(FieldError("action", "you sent this case for review: another editor of the institute publishes it")) : .success(.published)
        case (.sendBack, .inReview): return .success(.draft)
        case (.withdraw, .published): return .success(.draft)
        default: return .failure(FieldError("action", "a case that is \(stage.rawValue) cannot be given \(rawValue)"))
        }
    }
}

/// The content of a case study as its editor sends it, checked before it is stored.
public struct CaseDraft: Sendable, Equatable {
    public static let sdgs = 1...17
    public static let maximumAuthors = 20

    public var title: String
    public var abstract: String
    public var body: String
    public var teachingNote: String
    public var authors: [String]
    public var stateCode: Int?
    public var sdgs: [Int]
    public var sector: String
    public var year: Int?
    public var language: String
    public var status: String
    public var coPublisher: String

    public init(title: String, abstract: String, body: String, teachingNote: String, authors: [String], stateCode: Int?, sdgs: [Int],
                sector: String, year: Int?, language: String, status: String, coPublisher: String) {
        self.title = title
        self.abstract = abstract
        self.body = body
        self.teachingNote = teachingNote
        self.authors = authors
        self.stateCode = stateCode
        self.sdgs = sdgs
        self.sector = sector
        self.year = year
        self.language = language
        self.status = status
        self.coPublisher = coPublisher
    }

    /// Field errors of the draft; empty when it may be stored. `currentYear`: the year it is now in India.
    public func problems(in geography: Geography, currentYear: Int) -> [FieldError] {
        var errors: [FieldError] = []
        func limit(_ field: String, _ text: String, _ maximum: Int, required: Bool) {
            let count = text.trimmingCharacters(in: .whitespacesAndNewlines).unicodeScalars.count
            if required && count == 0 { errors.append(FieldError(field, "is required")) }
            else if count > maximum { errors.append(FieldError(field, "must be at most \(maximum) characters")) }
        }
        limit("title", title, 300, required: true)
        limit("abstract", abstract, 3_000, required: true)
        limit("body", body, 200_000, required: false)
        limit("teachingNote", teachingNote, 100_000, required: false)
        limit("coPublisher", coPublisher, 200, required: false)
        let names = authors.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if names.isEmpty || names.allSatisfy(\.isEmpty) { errors.append(FieldError("authors", "name at least one author")) }
        else {
            if names.count > Self.maximumAuthors { errors.append(FieldError("authors", "at most \(Self.maximumAuthors) authors")) }
            for (index, name) in names.enumerated().prefix(Self.maximumAuthors) where name.isEmpty || name.unicodeScalars.count > 200 {
                errors.append(FieldError("authors[\(index)]", "must be a name of 1–200 characters"))
            }
        }
        if let stateCode {
            if geography.state(code: stateCode) == nil { errors.append(FieldError("stateCode", "no State/UT has LGD code \(stateCode)")) }
        } else {
            errors.append(FieldError("stateCode", "is required: the State/UT the case is about (its LGD code)"))
        }
        if sdgs.isEmpty { errors.append(FieldError("sdgs", "name at least one Sustainable Development Goal, 1–17")) }
        for (index, goal) in sdgs.enumerated().prefix(17) where !Self.sdgs.contains(goal) {
            errors.append(FieldError("sdgs[\(index)]", "\(goal) is no Sustainable Development Goal: they are numbered 1–17"))
        }
        if Set(sdgs).count != sdgs.count { errors.append(FieldError("sdgs", "names a goal twice")) }
        if CaseSector(rawValue: sector) == nil {
            errors.append(FieldError("sector", "must be one of \(CaseSector.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        if let year {
            if year < 1947 || year > currentYear { errors.append(FieldError("year", "must be between 1947 and \(currentYear)")) }
        } else {
            errors.append(FieldError("year", "is required"))
        }
        if Language.named(language) == nil { errors.append(FieldError("language", "is not one of the platform's languages")) }
        if CaseStatus(rawValue: status) == nil { errors.append(FieldError("status", "must be ongoing or completed")) }
        return errors
    }
}

/// A published case as search knows it: its words and its facets.
public struct CaseEntry: Sendable, Equatable {
    public var id: UUID
    public var title: String
    public var words: [String]
    public var stateCode: Int
    public var sdgs: Set<Int>
    public var sector: String
    public var year: Int
    public var competencies: Set<UUID>
    public var language: String
    public var status: String

    public init(id: UUID, title: String, words: [String], stateCode: Int, sdgs: Set<Int>, sector: String, year: Int, competencies: Set<UUID>,
                language: String, status: String) {
        self.id = id
        self.title = title
        self.words = words
        self.stateCode = stateCode
        self.sdgs = sdgs
        self.sector = sector
        self.year = year
        self.competencies = competencies
        self.language = language
        self.status = status
    }
}

/// A search of the Kosh: words in any script and a value per facet, each optional.
public struct CaseQuery: Sendable, Equatable {
    public enum Facet: String, CaseIterable, Sendable {
        case sdg, state, sector, year, competency, language, status
    }

    public var text = ""
    public var sdg: Int?
    public var stateCode: Int?
    public var sector: String?
    public var year: Int?
    public var competencyId: UUID?
    public var language: String?
    public var status: String?

    public init() {}

    /// Whether `entry` passes every filter but `skipping` (a facet's counts are those of the other filters).
    func passes(_ entry: CaseEntry, skipping: Facet?, words: [[Unicode.Scalar]]) -> Bool {
        if skipping != .sdg, let sdg, !entry.sdgs.contains(sdg) { return false }
        if skipping != .state, let stateCode, entry.stateCode != stateCode { return false }
        if skipping != .sector, let sector, entry.sector != sector { return false }
        if skipping != .year, let year, entry.year != year { return false }
        if skipping != .competency, let competencyId, !entry.competencies.contains(competencyId) { return false }
        if skipping != .language, let language, entry.language != language { return false }
        if skipping != .status, let status, entry.status != status { return false }
        return words.allSatisfy { wanted in entry.words.contains { CaseIndex.matches(wanted, Array($0.unicodeScalars)) } }
    }
}

/// The answer to a search: the matching cases (newest year first, then by title), and per facet how many cases
/// each value would give with the other filters as they are.
public struct CaseResult: Sendable, Equatable {
    public var ids: [UUID]
    public var facets: [String: [String: Int]]
}

public enum CaseIndex {
    /// A word of the query matches a word of the case when it begins it (three letters or more), or is at most one
    /// edit from it (five letters or more: a typing slip).
    static func matches(_ wanted: [Unicode.Scalar], _ word: [Unicode.Scalar]) -> Bool {
        if word.starts(with: wanted) && (wanted.count >= 3 || wanted.count == word.count) { return true }
        return wanted.count >= 5 && SearchText.withinOneEdit(wanted, word)
    }

    public static func search(_ entries: [CaseEntry], _ query: CaseQuery) -> CaseResult {
        let words = SearchText.words(query.text).map { Array($0.unicodeScalars) }
        let ids = entries.filter { query.passes($0, skipping: nil, words: words) }
            .sorted { ($0.year, $1.title) > ($1.year, $0.title) }
            .map(\.id)
        var facets: [String: [String: Int]] = [:]
        for facet in CaseQuery.Facet.allCases {
            var counts: [String: Int] = [:]
            for entry in entries where query.passes(entry, skipping: facet, words: words) {
                switch facet {
                case .sdg: for goal in entry.sdgs { counts[String(goal), default: 0] += 1 }
                case .state: counts[String(entry.stateCode), default: 0] += 1
                case .sector: counts[entry.sector, default: 0] += 1
                case .year: counts[String(entry.year), default: 0] += 1
                case .competency: for id in entry.competencies { counts[id.uuidString.lowercased(), default: 0] += 1 }
                case .language: counts[entry.language, default: 0] += 1
                case .status: counts[entry.status, default: 0] += 1
                }
            }
            facets[facet.rawValue] = counts
        }
        return CaseResult(ids: ids, facets: facets)
    }

    /// How many published cases there are for each SDG in each State/UT: `[sdg: [stateCode: count]]` (a case of
    /// three goals counts once under each).
    public static func coverage(_ entries: [CaseEntry]) -> [Int: [Int: Int]] {
        var cells: [Int: [Int: Int]] = [:]
        for entry in entries {
            for goal in entry.sdgs { cells[goal, default: [:]][entry.stateCode, default: 0] += 1 }
        }
        return cells
    }
}
