import Foundation

/// An assessment's bank of questions and its rules: how many questions an attempt draws, the time limit,
/// the number of attempts and the pass mark. It lives in the course version, so a published one never changes.
public struct AssessmentSpec: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case single, multiple
        case trueFalse = "true_false"
        case numeric
    }

    public struct Question: Codable, Equatable, Sendable {
        public var id: UUID?
        public var kind: Kind
        public var text: String
        /// The choices, for single and multiple choice (true/false has its own two).
        public var options: [String]?
        /// Indices of the correct options (for true/false: 0 true, 1 false).
        public var correct: [Int]?
        public var answer: Double?
        /// How far a numeric answer may be from `answer` and still be right.
        public var tolerance: Double?
        /// Why the right answer is right: shown with the answers, when they are shown.
        public var explanation: String?
        /// What the question counts for in the score (1 when not given).
        public var marks: Int?

        public init(id: UUID? = nil, kind: Kind, text: String, options: [String]? = nil, correct: [Int]? = nil, answer: Double? = nil, tolerance: Double? = nil,
                    explanation: String? = nil, marks: Int? = nil) {
            self.id = id
            self.kind = kind
            self.text = text
            self.options = options
            self.correct = correct
            self.answer = answer
            self.tolerance = tolerance
            self.explanation = explanation
            self.marks = marks
        }

        public var weight: Int { marks ?? 1 }

        /// The options a learner sees, in the bank's order.
        public var shownOptions: [String] {
            switch kind {
            case .trueFalse: ["True", "False"]
            case .single, .multiple: options ?? []
            case .numeric: []
            }
        }
    }

    /// When a learner is shown the right answers after submitting: never before they could no longer use them,
    /// so that a bank cannot be harvested by failing on purpose.
    public enum AnswerReveal: String, Codable, CaseIterable, Sendable {
        /// On an attempt that passed.
        case afterPass
        /// On the attempt that uses the last one allowed (the default).
        case afterLastAttempt
        case never
    }

    public var questions: [Question]
    public var drawCount: Int
    public var timeLimitSeconds: Int
    public var maxAttempts: Int
    public var passPercent: Int
    /// `nil` reads as `afterLastAttempt`.
    public var showAnswers: AnswerReveal?

    /// Whether a submitted attempt (the `number`th) shows its right answers.
    public func revealsAnswers(attemptNumber number: Int, passed: Bool) -> Bool {
        switch showAnswers ?? .afterLastAttempt {
        case .afterPass: passed
        case .afterLastAttempt: number >= maxAttempts
        case .never: false
        }
    }

    public init(questions: [Question], drawCount: Int, timeLimitSeconds: Int, maxAttempts: Int, passPercent: Int) {
        self.questions = questions
        self.drawCount = drawCount
        self.timeLimitSeconds = timeLimitSeconds
        self.maxAttempts = maxAttempts
        self.passPercent = passPercent
    }

    public func problems(field: String) -> [FieldError] {
        var errors: [FieldError] = []
        if questions.isEmpty || questions.count > 500 { errors.append(.init("\(field).questions", "give 1 to 500 questions")) }
        if !(1...max(questions.count, 1)).contains(drawCount) { errors.append(.init("\(field).drawCount", "must be from 1 to the number of questions")) }
        if !(30...14_400).contains(timeLimitSeconds) { errors.append(.init("\(field).timeLimitSeconds", "must be from 30 seconds to 4 hours")) }
        if !(1...20).contains(maxAttempts) { errors.append(.init("\(field).maxAttempts", "must be from 1 to 20")) }
        if !(1...100).contains(passPercent) { errors.append(.init("\(field).passPercent", "must be from 1 to 100")) }
        var ids = Set<UUID>()
        for (index, question) in questions.enumerated() {
            let at = "\(field).questions[\(index)]"
            if question.text.trimmed.isEmpty || question.text.count > 2000 { errors.append(.init("\(at).text", "must be 1–2,000 characters")) }
            if let id = question.id, !ids.insert(id).inserted { errors.append(.init("\(at).id", "is used by another question")) }
            if let explanation = question.explanation, explanation.count > 2000 { errors.append(.init("\(at).explanation", "must be at most 2,000 characters")) }
            if let marks = question.marks, !(1...100).contains(marks) { errors.append(.init("\(at).marks", "must be from 1 to 100")) }
            let count = question.shownOptions.count
            switch question.kind {
            case .single, .multiple:
                if !(2...10).contains(count) || question.shownOptions.contains(where: { $0.trimmed.isEmpty || $0.count > 500 }) {
                    errors.append(.init("\(at).options", "give 2 to 10 options of 1–500 characters"))
                }
            case .trueFalse, .numeric:
                if question.options != nil { errors.append(.init("\(at).options", "a \(question.kind.rawValue) question has no options of its own")) }
            }
            switch question.kind {
            case .single, .trueFalse:
                if question.correct?.count != 1 || !(0..<max(count, 1)).contains(question.correct![0]) {
                    errors.append(.init("\(at).correct", "give the index of the one correct option"))
                }
            case .multiple:
                let correct = question.correct ?? []
                if correct.isEmpty || Set(correct).count != correct.count || correct.contains(where: { !(0..<count).contains($0) }) {
                    errors.append(.init("\(at).correct", "give the indices of the correct options, at least one"))
                }
            case .numeric:
                if question.answer == nil || !(question.answer!.isFinite) { errors.append(.init("\(at).answer", "give the number that is right")) }
                if let tolerance = question.tolerance, tolerance < 0 || !tolerance.isFinite { errors.append(.init("\(at).tolerance", "must be zero or more")) }
            }
        }
        return errors
    }

    /// Ids for new questions; ids already given are kept.
    public func identified() -> AssessmentSpec {
        var spec = self
        for index in spec.questions.indices where spec.questions[index].id == nil { spec.questions[index].id = UUID() }
        return spec
    }
}

/// One question as an attempt shows it: the options in a shuffled order, and no answers.
public struct DrawnQuestion: Codable, Equatable, Sendable {
    public var questionId: UUID
    /// `order[shown]` is the bank index of the option shown at position `shown`.
    public var order: [Int]

    public init(questionId: UUID, order: [Int]) {
        self.questionId = questionId
        self.order = order
    }
}

/// A learner's answer: the positions of the options they chose (as shown), or a number.
public struct GivenAnswer: Codable, Equatable, Sendable {
    public var questionId: UUID
    public var choices: [Int]?
    public var number: Double?

    public init(questionId: UUID, choices: [Int]? = nil, number: Double? = nil) {
        self.questionId = questionId
        self.choices = choices
        self.number = number
    }
}

public struct AttemptResult: Codable, Equatable, Sendable {
    public struct PerQuestion: Codable, Equatable, Sendable {
        public var questionId: UUID
        public var correct: Bool
        /// The right answer, as shown in this attempt (positions), or the number: revealed only after submission.
        public var correctChoices: [Int]?
        public var correctNumber: Double?
        /// The question's explanation, shown with the right answers.
        public var explanation: String?
    }

    public var percent: Double
    public var passed: Bool
    public var questions: [PerQuestion]
}

public enum AssessmentRule {
    /// Draws `drawCount` questions and shuffles each one's options.
    public static func draw(_ spec: AssessmentSpec, using generator: inout some RandomNumberGenerator) -> [DrawnQuestion] {
        spec.questions.shuffled(using: &generator).prefix(spec.drawCount).map { question in
            let indices = Array(question.shownOptions.indices)
            return DrawnQuestion(questionId: question.id!, order: question.kind == .trueFalse ? indices : indices.shuffled(using: &generator))
        }
    }

    /// Problems with the answers themselves: a question not in the attempt, an answer given twice, a position that was not shown.
    public static func problems(_ answers: [GivenAnswer], drawn: [DrawnQuestion], spec: AssessmentSpec) -> [FieldError] {
        var errors: [FieldError] = []
        let shown = Dictionary(uniqueKeysWithValues: drawn.map { ($0.questionId, $0) })
        var seen = Set<UUID>()
        for (index, answer) in answers.enumerated() {
            guard let question = shown[answer.questionId] else {
                errors.append(.init("answers[\(index)].questionId", "is not a question of this attempt"))
                continue
            }
            if !seen.insert(answer.questionId).inserted { errors.append(.init("answers[\(index)].questionId", "is answered twice")) }
            if let choices = answer.choices, choices.contains(where: { !question.order.indices.contains($0) }) {
                errors.append(.init("answers[\(index)].choices", "name options by their position as shown, from 0 to \(question.order.count - 1)"))
            }
            if let number = answer.number, !number.isFinite { errors.append(.init("answers[\(index)].number", "must be a number")) }
        }
        return errors
    }

    /// Scores an attempt: each drawn question is right or wrong (unanswered is wrong); the share of the drawn questions' marks
    /// earned, as a percentage, against the pass mark.
    public static func score(_ answers: [GivenAnswer], drawn: [DrawnQuestion], spec: AssessmentSpec) -> AttemptResult {
        let bank = Dictionary(uniqueKeysWithValues: spec.questions.compactMap { question in question.id.map { ($0, question) } })
        let given = Dictionary(answers.map { ($0.questionId, $0) }, uniquingKeysWith: { first, _ in first })
        let results: [AttemptResult.PerQuestion] = drawn.map { shown in
            guard let question = bank[shown.questionId] else { return .init(questionId: shown.questionId, correct: false) }
            let answer = given[shown.questionId]
            switch question.kind {
            case .numeric:
                let right = question.answer ?? .nan
                let correct = answer?.number.map { abs($0 - right) <= (question.tolerance ?? 0) } ?? false
                return .init(questionId: question.id!, correct: correct, correctNumber: right, explanation: question.explanation)
            case .single, .multiple, .trueFalse:
                // Positions as shown whose bank option is correct.
                let rightPositions = Set(shown.order.indices.filter { (question.correct ?? []).contains(shown.order[$0]) })
                let chosen = Set(answer?.choices ?? [])
                return .init(questionId: question.id!, correct: !chosen.isEmpty && chosen == rightPositions, correctChoices: rightPositions.sorted(),
                             explanation: question.explanation)
            }
        }
        let total = drawn.reduce(0) { $0 + (bank[$1.questionId]?.weight ?? 1) }
        let earned = results.filter(\.correct).reduce(0) { $0 + (bank[$1.questionId]?.weight ?? 1) }
        let percent = total == 0 ? 0 : (Double(earned) / Double(total) * 1000).rounded() / 10
        return AttemptResult(percent: percent, passed: percent >= Double(spec.passPercent), questions: results)
    }
}
