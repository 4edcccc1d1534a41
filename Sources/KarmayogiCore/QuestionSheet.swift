import Foundation

/// Assessment questions written in a spreadsheet (CSV), read all or nothing: every bad row is named with its reason.
///
/// Columns: `kind` (single, multiple, true_false, numeric), `question`, `option1`…`option10` (for single and multiple),
/// `correct` (the right option's number, "1;3" for several, true/false, or the number), `tolerance`, `explanation`, `marks`.
public enum QuestionSheet {
    public static let optionColumns = (1...10).map { "option\($0)" }
    public static let columns = ["kind", "question"] + optionColumns + ["correct", "tolerance", "explanation", "marks"]

    /// A sheet to start from: the header and one question of each kind.
    public static let template: String = {
        func row(_ fields: [String]) -> String {
            fields.map { $0.contains(where: { $0 == "," || $0 == "\"" }) ? "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" : $0 }.joined(separator: ",")
        }
        let blanks = { (count: Int) in Array(repeating: "", count: count) }
        return [
            row(columns),
            row(["single", "Which Article of the Constitution deals with the All India Services?", "Article 310", "Article 312", "Article 315"] + blanks(7)
                + ["2", "", "Article 312 lets Parliament create All India Services.", "1"]),
            row(["multiple", "Which of these are Mission Karmayogi's competency areas?", "Behavioural", "Functional", "Domain", "Financial"] + blanks(6)
                + ["1;2;3", "", "The framework has three areas.", "2"]),
            row(["true_false", "An RTI reply is due within 30 days.", ""] + blanks(9) + ["true", "", "Section 7(1) of the RTI Act.", "1"]),
            row(["numeric", "How many days does a first appeal under RTI have, at most, to be decided?"] + blanks(10) + ["45", "0", "30 days, extendable to 45.", "1"]),
        ].joined(separator: "\r\n") + "\r\n"
    }()

    public struct RowError: Equatable, Sendable {
        public var line: Int
        public var column: String
        public var reason: String
    }

    /// Every bad row of a sheet.
    public struct Problems: Error, Equatable, Sendable {
        public var rows: [RowError]
    }

    /// The questions of a sheet, or every row's problems (nothing is taken when any row is wrong).
    public static func read(_ bytes: [UInt8]) -> Result<[AssessmentSpec.Question], Problems> {
        let rows: [CSVReader.Row]
        do { rows = try CSVReader(bytes: bytes).rows() } catch {
            return .failure(Problems(rows: [RowError(line: error.line, column: "", reason: error.reason)]))
        }
        guard let header = rows.first else { return .failure(Problems(rows: [RowError(line: 1, column: "", reason: "the sheet is empty; start from the template")])) }
        let names = header.fields.map { $0.trimmed.lowercased() }
        let unknown = names.filter { !$0.isEmpty && !columns.contains($0) }
        var errors: [RowError] = unknown.map { RowError(line: header.line, column: $0, reason: "is not a column of the template") }
        for required in ["kind", "question", "correct"] where !names.contains(required) {
            errors.append(RowError(line: header.line, column: required, reason: "the column is missing; start from the template"))
        }
        guard errors.isEmpty else { return .failure(Problems(rows: errors)) }
        var questions: [AssessmentSpec.Question] = []
        for row in rows.dropFirst() where row.fields.contains(where: { !$0.trimmed.isEmpty }) {
            func value(_ column: String) -> String { names.firstIndex(of: column).flatMap { $0 < row.fields.count ? row.fields[$0].trimmed : nil } ?? "" }
            func fail(_ column: String, _ reason: String) { errors.append(RowError(line: row.line, column: column, reason: reason)) }
            guard let kind = AssessmentSpec.Kind(rawValue: value("kind").lowercased()) else {
                fail("kind", "must be single, multiple, true_false or numeric")
                continue
            }
            var question = AssessmentSpec.Question(kind: kind, text: value("question"))
            if question.text.isEmpty { fail("question", "is empty") }
            let options = optionColumns.map(value).filter { !$0.isEmpty }
            let correct = value("correct")
            switch kind {
            case .single, .multiple:
                question.options = options
                if !(2...10).contains(options.count) { fail("option1", "give 2 to 10 options") }
                let numbers = correct.split(whereSeparator: { $0 == ";" || $0 == "," || $0 == " " }).map { Int($0) }
                if numbers.isEmpty || numbers.contains(where: { $0 == nil || !(1...options.count).contains($0!) }) {
                    fail("correct", "give the number of the right option (1 to \(max(options.count, 1)))\(kind == .multiple ? ", several as 1;3" : "")")
                } else if kind == .single, numbers.count != 1 {
                    fail("correct", "a single-choice question has one right option")
                } else {
                    question.correct = numbers.map { $0! - 1 }
                }
            case .trueFalse:
                if !options.isEmpty { fail("option1", "a true/false question has no options of its own") }
                switch correct.lowercased() {
                case "true", "t", "1", "yes": question.correct = [0]
                case "false", "f", "0", "no": question.correct = [1]
                default: fail("correct", "must be true or false")
                }
            case .numeric:
                if !options.isEmpty { fail("option1", "a numeric question has no options") }
                if let number = Double(correct), number.isFinite { question.answer = number } else { fail("correct", "must be the number that is right") }
                let tolerance = value("tolerance")
                if !tolerance.isEmpty {
                    if let number = Double(tolerance), number >= 0, number.isFinite { question.tolerance = number } else { fail("tolerance", "must be zero or more") }
                }
            }
            question.explanation = value("explanation").nilIfBlank
            let marks = value("marks")
            if !marks.isEmpty {
                if let number = Int(marks), (1...100).contains(number) { question.marks = number } else { fail("marks", "must be a whole number from 1 to 100") }
            }
            if question.text.count > 2000 { fail("question", "must be at most 2,000 characters") }
            if let explanation = question.explanation, explanation.count > 2000 { fail("explanation", "must be at most 2,000 characters") }
            questions.append(question)
        }
        if errors.isEmpty, questions.isEmpty { errors.append(RowError(line: 2, column: "", reason: "the sheet has no questions")) }
        if questions.count > 500 { errors.append(RowError(line: rows.count, column: "", reason: "at most 500 questions")) }
        return errors.isEmpty ? .success(questions) : .failure(Problems(rows: errors))
    }
}

extension String {
    var nilIfBlank: String? { trimmed.isEmpty ? nil : trimmed }
}
