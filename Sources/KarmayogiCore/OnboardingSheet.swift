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

    public struct RowError: Sendable, Equatable, Codable {
        public var line: Int
        public var column: String?
        public var reason: String

        public init(line: Int, column: String?, reason: String) {
            self.line = line
            self.column = column
            self.reason = reason
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
                errors.append(RowError(line: record.line, column: nil,
                                       reason: "has \(record.fields.count) columns, the header has \(columns.count)"))
                return
            }
            switch Self.row(record, columns: columns, geography: geography, defaults: defaults) {
            case .invalid(let rowErrors):
                errors.append(contentsOf: rowErrors)
            case .valid(let row):
                if let first = seenEmails[row.email] {
                    errors.append(RowError(line: row.line, column: "email", reason: "duplicate in file: \(row.email) is also on line \(first)"))
                } else if let employeeId = row.employeeId, let first = seenEmployeeIds[employeeId] {
                    errors.append(RowError(line: row.line, column: "employee_id",
                                           reason: "duplicate in file: employee id \(employeeId) is also on line \(first)"))
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
        func fail(_ column: Column, _ reason: String) {
            errors.append(RowError(line: record.line, column: column.rawValue, reason: reason))
        }
        func present(_ column: Column) -> String? { cells[column].flatMap { $0.isEmpty ? nil : $0 } }

        let name = present(.name) ?? ""
        if name.isEmpty { fail(.name, "missing name") } else if let problem = DisplayName.problem(name, maximum: 200) { fail(.name, problem) }
        var email = ""
        if let text = present(.email) {
            if let valid = Contact.email(text) { email = valid } else { fail(.email, "'\(text)' is not a valid e-mail address") }
        } else {
            fail(.email, "missing e-mail address")
        }
        var phone: String?
        if let text = present(.phone) {
            phone = Contact.mobile(text)
            if phone == nil { fail(.phone, "'\(text)' is not a 10-digit Indian mobile number") }
        }
        let employeeId = present(.employeeId)
        if let employeeId, employeeId.count > 64 { fail(.employeeId, "longer than 64 characters") }
        // Spaced the one way plans and role mappings compare it.
        let designation = present(.designation).map(Designation.normalised)
        if let designation, designation.count > 200 { fail(.designation, "longer than 200 characters") }
        var stateCode = defaults.stateCode
        if let text = present(.state) {
            stateCode = geography.state(named: text)?.code
            if stateCode == nil { fail(.state, "unknown State/UT '\(text)'") }
        }
        var districtCode = present(.state) == nil ? defaults.districtCode : nil
        if let text = present(.district) {
            if let stateCode {
                districtCode = geography.district(named: text, inState: stateCode)?.code
                if districtCode == nil {
                    fail(.district, "unknown district '\(text)' in \(geography.state(code: stateCode)?.name ?? "the State")")
                }
            } else if present(.state) == nil {
                fail(.state, "a district needs its State")
            }
        }
        var language = defaults.language
        if let text = present(.language) {
            if let known = Language.named(text) { language = known.code } else { fail(.language, "unknown language '\(text)'") }
        }
        guard errors.isEmpty else { return .invalid(errors) }
        return .valid(Row(line: record.line, name: name, email: email, phone: phone, employeeId: employeeId,
                            designation: designation, stateCode: stateCode, districtCode: districtCode, language: language))
    }
}
