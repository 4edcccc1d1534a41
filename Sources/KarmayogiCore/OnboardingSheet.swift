/// The staff spreadsheet an organisation uploads to onboard its people: which columns it has, and
/// which rows may become users. Rows are checked on their own and against each other (a person
/// twice in one file); checks against stored users are the server's.
public struct OnboardingSheet: Sendable {
    public enum Column: String, CaseIterable, Sendable {
        case name, email, phone, employeeId = "employee_id", designation, state, district, language
    }

    public struct Row: Sendable, Equatable {
        public var line: Int
        public var name: String
        public var email: String
        public var phone: String?
        public var employeeId: String?
        public var designation: String?
        public var stateCode: Int?
        public var districtCode: Int?
        public var language: String
    }

    /// What is wrong with a row: a code and its values, so a page can say it in the reader's language (the catalogues'
    /// `upload.reason.<code>`), and in English for the API.
    public enum RowProblem: Sendable, Equatable {
        case columnCount(found: Int, header: Int)
        case duplicateEmailInFile(email: String, line: Int)
        case duplicateEmployeeIdInFile(id: String, line: Int)
        case missingName
        case nameTooLong(maximum: Int)
        case notOneLine
        case invalidEmail(String)
        case missingEmail
        case invalidMobile(String)
        case tooLong(maximum: Int)
        case unknownState(String)
        case unknownDistrict(String, state: String)
        case districtNeedsState
        case unknownLanguage(String)
        case alreadyInOrganisation(email: String)
        case emailRegistered(email: String)
        case employeeIdUsed(id: String)

        public var code: String {
            switch self {
            case .columnCount: "columnCount"
            case .duplicateEmailInFile: "duplicateEmailInFile"
            case .duplicateEmployeeIdInFile: "duplicateEmployeeIdInFile"
            case .missingName: "missingName"
            case .nameTooLong: "nameTooLong"
            case .notOneLine: "notOneLine"
            case .invalidEmail: "invalidEmail"
            case .missingEmail: "missingEmail"
            case .invalidMobile: "invalidMobile"
            case .tooLong: "tooLong"
            case .unknownState: "unknownState"
            case .unknownDistrict: "unknownDistrict"
            case .districtNeedsState: "districtNeedsState"
            case .unknownLanguage: "unknownLanguage"
            case .alreadyInOrganisation: "alreadyInOrganisation"
            case .emailRegistered: "emailRegistered"
            case .employeeIdUsed: "employeeIdUsed"
            }
        }

        public var values: [String: String] {
            switch self {
            case .columnCount(let found, let header): ["found": String(found), "header": String(header)]
            case .duplicateEmailInFile(let email, let line): ["value": email, "line": String(line)]
            case .duplicateEmployeeIdInFile(let id, let line): ["value": id, "line": String(line)]
            case .nameTooLong(let maximum), .tooLong(let maximum): ["maximum": String(maximum)]
            case .invalidEmail(let text), .invalidMobile(let text), .unknownState(let text), .unknownLanguage(let text): ["value": text]
            case .unknownDistrict(let text, let state): ["value": text, "state": state]
            case .alreadyInOrganisation(let email), .emailRegistered(let email): ["value": email]
            case .employeeIdUsed(let id): ["value": id]
            case .missingName, .notOneLine, .missingEmail, .districtNeedsState: [:]
            }
        }

        /// The English the API answers with; the catalogue's `upload.reason.<code>` says the same (a test keeps them equal).
        public var english: String {
            let v = values
            return switch self {
            case .columnCount: "has \(v["found"]!) columns, the header has \(v["header"]!)"
            case .duplicateEmailInFile: "duplicate in file: \(v["value"]!) is also on line \(v["line"]!)"
            case .duplicateEmployeeIdInFile: "duplicate in file: employee id \(v["value"]!) is also on line \(v["line"]!)"
            case .missingName: "missing name"
            case .nameTooLong: "must be 1–\(v["maximum"]!) characters"
            case .notOneLine: "must be one line of text, without tabs, line breaks or other control characters"
            case .invalidEmail: "'\(v["value"]!)' is not a valid e-mail address"
            case .missingEmail: "missing e-mail address"
            case .invalidMobile: "'\(v["value"]!)' is not a 10-digit Indian mobile number"
            case .tooLong: "longer than \(v["maximum"]!) characters"
            case .unknownState: "unknown State/UT '\(v["value"]!)'"
            case .unknownDistrict: "unknown district '\(v["value"]!)' in \(v["state"]!)"
            case .districtNeedsState: "a district needs its State"
            case .unknownLanguage: "unknown language '\(v["value"]!)'"
            case .alreadyInOrganisation: "skipped: \(v["value"]!) is already registered in this organisation"
            case .emailRegistered: "duplicate in database: \(v["value"]!) is already registered"
            case .employeeIdUsed: "duplicate in database: employee id \(v["value"]!) is already used in this organisation"
            }
        }

        public static let examples: [RowProblem] = [
            .columnCount(found: 3, header: 2), .duplicateEmailInFile(email: "a@b.in", line: 2), .duplicateEmployeeIdInFile(id: "E1", line: 2),
            .missingName, .nameTooLong(maximum: 200), .notOneLine, .invalidEmail("x"), .missingEmail, .invalidMobile("12"), .tooLong(maximum: 64),
            .unknownState("Atlantis"), .unknownDistrict("Gotham", state: "Rajasthan"), .districtNeedsState, .unknownLanguage("xx"),
            .alreadyInOrganisation(email: "a@b.in"), .emailRegistered(email: "a@b.in"), .employeeIdUsed(id: "E1"),
        ]
    }

    public struct RowError: Sendable, Equatable, Codable {
        public var line: Int
        public var column: String?
        public var reason: String
        /// The problem's code and values (`RowProblem`), for saying it in another language.
        public var code: String?
        public var values: [String: String]?

        public init(line: Int, column: String?, _ problem: RowProblem) {
            self.line = line
            self.column = column
            reason = problem.english
            code = problem.code
            values = problem.values
        }

        public init(line: Int, column: String?, reason: String, code: String? = nil, values: [String: String]? = nil) {
            self.line = line
            self.column = column
            self.reason = reason
            self.code = code
            self.values = values
        }
    }

    /// The organisation's own place, used where a row leaves State or district empty.
    public struct Defaults: Sendable {
        public var stateCode: Int?
        public var districtCode: Int?
        public var language: String

        public init(stateCode: Int?, districtCode: Int?, language: String = "en") {
            self.stateCode = stateCode
            self.districtCode = districtCode
            self.language = language
        }
    }

    public var rows: [Row] = []
    public var errors: [RowError] = []
    /// Data rows read, valid or not.
    public var total = 0

    public static let maximumRows = 100_000

    /// Reads a whole sheet. A sheet that cannot be read at all (no header, a broken quote, bad UTF-8,
    /// too many rows) throws; a bad row is reported and the others still count.
    public init(bytes: [UInt8], geography: Geography, defaults: Defaults) throws(CSVError) {
        var columns: [Column?] = []
        var seenEmails: [String: Int] = [:]
        var seenEmployeeIds: [String: Int] = [:]
        var sawHeader = false
        try CSVReader(bytes: bytes).forEachRow { (record: CSVReader.Row) throws(CSVError) in
            guard sawHeader else {
                columns = try Self.header(record)
                sawHeader = true
                return
            }
            total += 1
            if total > Self.maximumRows {
                throw CSVError(line: record.line, reason: "a sheet may hold at most \(Self.maximumRows) rows; split the file")
            }
            guard record.fields.count == columns.count else {
                errors.append(RowError(line: record.line, column: nil, .columnCount(found: record.fields.count, header: columns.count)))
                return
            }
            switch Self.row(record, columns: columns, geography: geography, defaults: defaults) {
            case .invalid(let rowErrors):
                errors.append(contentsOf: rowErrors)
            case .valid(let row):
                if let first = seenEmails[row.email] {
                    errors.append(RowError(line: row.line, column: "email", .duplicateEmailInFile(email: row.email, line: first)))
                } else if let employeeId = row.employeeId, let first = seenEmployeeIds[employeeId] {
                    errors.append(RowError(line: row.line, column: "employee_id", .duplicateEmployeeIdInFile(id: employeeId, line: first)))
                } else {
                    seenEmails[row.email] = row.line
                    if let employeeId = row.employeeId { seenEmployeeIds[employeeId] = row.line }
                    rows.append(row)
                }
            }
        }
        if !sawHeader {
            throw CSVError(line: 1, reason: "the file is empty: expected a header row naming the columns (\(Column.allCases.map(\.rawValue).joined(separator: ",")))")
        }
    }

    private static func header(_ record: CSVReader.Row) throws(CSVError) -> [Column?] {
        var columns: [Column?] = []
        for name in record.fields {
            let key = name.trimmed.lowercased().replacingOccurrences(of: " ", with: "_")
            guard let column = Column(rawValue: key) else {
                throw CSVError(line: record.line, reason: "unknown column '\(name)' in the header; the columns are \(Column.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if columns.contains(column) { throw CSVError(line: record.line, reason: "column '\(key)' appears twice in the header") }
            columns.append(column)
        }
        for required in [Column.name, .email] where !columns.contains(required) {
            throw CSVError(line: record.line, reason: "the header has no '\(required.rawValue)' column")
        }
        return columns
    }

    private enum Checked {
        case valid(Row)
        case invalid([RowError])
    }

    private static func row(_ record: CSVReader.Row, columns: [Column?], geography: Geography,
                            defaults: Defaults) -> Checked {
        var cells: [Column: String] = [:]
        for (column, value) in zip(columns, record.fields) {
            if let column { cells[column] = value.trimmed }
        }
        var errors: [RowError] = []
        func fail(_ column: Column, _ problem: RowProblem) {
            errors.append(RowError(line: record.line, column: column.rawValue, problem))
        }
        func present(_ column: Column) -> String? { cells[column].flatMap { $0.isEmpty ? nil : $0 } }

        let name = present(.name) ?? ""
        if name.isEmpty {
            fail(.name, .missingName)
        } else if DisplayName.problem(name, maximum: 200) != nil {
            fail(.name, name.count > 200 ? .nameTooLong(maximum: 200) : .notOneLine)
        }
        var email = ""
        if let text = present(.email) {
            if let valid = Contact.email(text) { email = valid } else { fail(.email, .invalidEmail(text)) }
        } else {
            fail(.email, .missingEmail)
        }
        var phone: String?
        if let text = present(.phone) {
            phone = Contact.mobile(text)
            if phone == nil { fail(.phone, .invalidMobile(text)) }
        }
        let employeeId = present(.employeeId)
        if let employeeId, employeeId.count > 64 { fail(.employeeId, .tooLong(maximum: 64)) }
        // Spaced the one way plans and role mappings compare it.
        let designation = present(.designation).map(Designation.normalised)
        if let designation, designation.count > 200 { fail(.designation, .tooLong(maximum: 200)) }
        var stateCode = defaults.stateCode
        if let text = present(.state) {
            stateCode = geography.state(named: text)?.code
            if stateCode == nil { fail(.state, .unknownState(text)) }
        }
        var districtCode = present(.state) == nil ? defaults.districtCode : nil
        if let text = present(.district) {
            if let stateCode {
                districtCode = geography.district(named: text, inState: stateCode)?.code
                if districtCode == nil {
                    fail(.district, .unknownDistrict(text, state: geography.state(code: stateCode)?.name ?? "?"))
                }
            } else if present(.state) == nil {
                fail(.state, .districtNeedsState)
            }
        }
        var language = defaults.language
        if let text = present(.language) {
            if let known = Language.named(text) { language = known.code } else { fail(.language, .unknownLanguage(text)) }
        }
        guard errors.isEmpty else { return .invalid(errors) }
        return .valid(Row(line: record.line, name: name, email: email, phone: phone, employeeId: employeeId,
                            designation: designation, stateCode: stateCode, districtCode: districtCode, language: language))
    }
}
