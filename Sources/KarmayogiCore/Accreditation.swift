import Foundation

/// NSCSTI accreditation of civil-service training institutes: the framework (pillars of metrics with their maximum
/// scores, the questions of the institute's profile, the star bands), the check that keeps an assessor independent of
/// the institute, score sheets, and the decision: stars from the moderated total by the framework's bands, a validity,
/// and a quality improvement plan for an institute of two stars or fewer.
public struct AccreditationFramework: Codable, Sendable, Equatable {
    /// What the platform already knows about an institute and fills in as evidence where a metric asks for it.
    public enum Figure: String, Codable, CaseIterable, Sendable {
        case coursesPublished = "courses_published"
        case averageRating = "average_rating"
        case completions
        case facultyTrained = "faculty_trained"
    }

    public struct Metric: Codable, Sendable, Equatable {
        public var key: String
        public var title: String
        public var maxScore: Int
        public var figure: Figure?

        public init(key: String, title: String, maxScore: Int, figure: Figure? = nil) {
            self.key = key
            self.title = title
            self.maxScore = maxScore
            self.figure = figure
        }
    }

    public struct Pillar: Codable, Sendable, Equatable {
        public var key: String
        public var title: String
        public var metrics: [Metric]

        public init(key: String, title: String, metrics: [Metric]) {
            self.key = key
            self.title = title
            self.metrics = metrics
        }
    }

    /// The lowest share of the maximum total (0–100) that earns `stars`.
    public struct Band: Codable, Sendable, Equatable {
        public var stars: Int
        public var minimumPercent: Double

        public init(stars: Int, minimumPercent: Double) {
            self.stars = stars
            self.minimumPercent = minimumPercent
        }
    }

    public var pillars: [Pillar]
    public var profileQuestions: [String]
    public var bands: [Band]
    public var validityYears: Int

    public init(pillars: [Pillar], profileQuestions: [String], bands: [Band], validityYears: Int) {
        self.pillars = pillars
        self.profileQuestions = profileQuestions
        self.bands = bands
        self.validityYears = validityYears
    }

    public var metrics: [Metric] { pillars.flatMap(\.metrics) }
    public var maximumTotal: Int { metrics.reduce(0) { $0 + $1.maxScore } }

    /// Field errors of a framework as a national admin sends it; empty when it may be stored.
    public func problems() -> [FieldError] {
        var errors: [FieldError] = []
        if pillars.isEmpty || pillars.count > 20 { errors.append(FieldError("pillars", "name 1–20 pillars")) }
        var keys = Set<String>()
        for (p, pillar) in pillars.enumerated().prefix(20) {
            if !Self.isKey(pillar.key) { errors.append(FieldError("pillars[\(p)].key", "must be 1–40 letters, digits, '-' or '_'")) }
            if pillar.title.trimmed.isEmpty || pillar.title.count > 200 { errors.append(FieldError("pillars[\(p)].title", "must be 1–200 characters")) }
            if pillar.metrics.isEmpty || pillar.metrics.count > 50 { errors.append(FieldError("pillars[\(p)].metrics", "name 1–50 metrics")) }
            for (m, metric) in pillar.metrics.enumerated().prefix(50) {
                let field = "pillars[\(p)].metrics[\(m)]"
                if !Self.isKey(metric.key) { errors.append(FieldError("\(field).key", "must be 1–40 letters, digits, '-' or '_'")) }
                else if !keys.insert(metric.key).inserted { errors.append(FieldError("\(field).key", "\(metric.key) is used by another metric")) }
                if metric.title.trimmed.isEmpty || metric.title.count > 300 { errors.append(FieldError("\(field).title", "must be 1–300 characters")) }
                if !(1...100).contains(metric.maxScore) { errors.append(FieldError("\(field).maxScore", "must be from 1 to 100")) }
            }
        }
        if profileQuestions.count > 50 { errors.append(FieldError("profileQuestions", "at most 50 questions")) }
        for (index, question) in profileQuestions.enumerated().prefix(50) where question.trimmed.isEmpty || question.count > 300 {
            errors.append(FieldError("profileQuestions[\(index)]", "must be 1–300 characters"))
        }
        if Set(bands.map(\.stars)) != Set(0...5) || bands.count != 6 {
            errors.append(FieldError("bands", "give one band for each of 0 to 5 stars"))
        } else {
            let ordered = bands.sorted { $0.stars < $1.stars }
            if ordered[0].minimumPercent != 0 { errors.append(FieldError("bands", "0 stars starts at 0 %")) }
            if zip(ordered, ordered.dropFirst()).contains(where: { $0.minimumPercent >= $1.minimumPercent }) || ordered.contains(where: { !(0...100).contains($0.minimumPercent) }) {
                errors.append(FieldError("bands", "each star needs a higher share than the one below, up to 100 %"))
            }
        }
        if !(1...10).contains(validityYears) { errors.append(FieldError("validityYears", "must be from 1 to 10")) }
        return errors
    }

    static func isKey(_ text: String) -> Bool {
        (1...40).contains(text.count) && text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" || $0 == "_" }
    }

    /// Field errors of a score sheet: every metric scored once, none above its maximum.
    public func problems(of scores: [String: Int], field: String = "scores") -> [FieldError] {
        var errors: [FieldError] = []
        let known = Dictionary(uniqueKeysWithValues: metrics.map { ($0.key, $0) })
        for key in scores.keys.sorted() where known[key] == nil { errors.append(FieldError("\(field).\(key)", "is no metric of this framework")) }
        for metric in metrics {
            guard let score = scores[metric.key] else { errors.append(FieldError("\(field).\(metric.key)", "is not scored")); continue }
            if score < 0 || score > metric.maxScore { errors.append(FieldError("\(field).\(metric.key)", "must be from 0 to \(metric.maxScore), the metric's maximum")) }
        }
        return errors
    }

    /// The stars a share of the maximum total earns.
    public func stars(percent: Double) -> Int {
        bands.filter { percent >= $0.minimumPercent }.map(\.stars).max() ?? 0
    }

    /// The percentage of the maximum total that `scores` make.
    public func percent(of scores: [String: Int]) -> Double {
        guard maximumTotal > 0 else { return 0 }
        return Double(metrics.reduce(0) { $0 + (scores[$1.key] ?? 0) }) * 100 / Double(maximumTotal)
    }

    /// The framework a platform starts with: the NSCSTI shape, eight pillars, bands at 30, 45, 60, 75 and 90 %.
    public static let starting = AccreditationFramework(
        pillars: [
            Pillar(key: "governance", title: "Governance and leadership", metrics: [
                Metric(key: "vision", title: "Vision, mission and annual plan approved by the governing body", maxScore: 10),
                Metric(key: "autonomy", title: "Administrative and financial autonomy", maxScore: 10)]),
            Pillar(key: "programmes", title: "Training programmes", metrics: [
                Metric(key: "needs", title: "Programmes designed from training needs and competencies", maxScore: 15),
                Metric(key: "digital", title: "Courses published on the platform", maxScore: 10, figure: .coursesPublished)]),
            Pillar(key: "faculty", title: "Faculty and their development", metrics: [
                Metric(key: "strength", title: "Core and guest faculty against sanctioned posts", maxScore: 10),
                Metric(key: "development", title: "Faculty trained in the last year", maxScore: 10, figure: .facultyTrained)]),
            Pillar(key: "outcomes", title: "Learning outcomes", metrics: [
                Metric(key: "completion", title: "Participants completing programmes", maxScore: 10, figure: .completions),
                Metric(key: "feedback", title: "Participants' ratings of programmes", maxScore: 10, figure: .averageRating)]),
            Pillar(key: "infrastructure", title: "Infrastructure and digital readiness", metrics: [
                Metric(key: "campus", title: "Classrooms, hostel and accessibility", maxScore: 10),
                Metric(key: "connectivity", title: "Connectivity and learning systems", maxScore: 5)]),
        ],
        profileQuestions: ["Year of establishment", "Sanctioned faculty posts", "Participants trained last year", "Annual budget (₹ lakh)"],
        bands: [Band(stars: 0, minimumPercent: 0), Band(stars: 1, minimumPercent: 30), Band(stars: 2, minimumPercent: 45),
                Band(stars: 3, minimumPercent: 60), Band(stars: 4, minimumPercent: 75), Band(stars: 5, minimumPercent: 90)],
        validityYears: 3)
}

/// An assessor must come from neither the institute's organisation tree nor its State.
public enum AssessorIndependence {
    public static func conflict(assessorPath: String, assessorState: Int?, institutePath: String, instituteState: Int?) -> String? {
        if assessorPath.hasPrefix(institutePath) || institutePath.hasPrefix(assessorPath) {
            return "belongs to the institute's own organisation"
        }
        if let state = instituteState, assessorState == state { return "is from the institute's own State" }
        return nil
    }
}

/// Where an application stands: the institute fills and submits it; desktop assessment, then on-site; then decided.
public enum AccreditationStage: String, Codable, CaseIterable, Sendable {
    case draft, submitted, desktop, onsite, decided
}

/// An assessor's part: desktop (the evidence) or on-site (the visit).
public enum AssessmentPhase: String, Codable, CaseIterable, Sendable {
    case desktop, onsite
}
