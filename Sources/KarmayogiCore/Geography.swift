import Foundation

/// India's States/UTs and districts by their LGD codes, read from the reference CSV.
public struct Geography: Sendable {
    public struct State: Hashable, Sendable, Codable {
        public var code: Int
        public var name: String
        public var isUnionTerritory: Bool
    }

    public struct District: Hashable, Sendable, Codable {
        public var code: Int
        public var name: String
        public var stateCode: Int
    }

    public private(set) var states: [State] = []
    public private(set) var districts: [District] = []
    private var stateByCode: [Int: State] = [:]
    private var districtByCode: [Int: District] = [:]
    private var stateByName: [String: State] = [:]
    private var districtByName: [String: District] = [:]
    /// Names exactly as the reference spells them (and in lower case): most sheets use them, and these lookups skip folding.
    private var stateBySpelling: [String: State] = [:]
    private var districtBySpelling: [String: District] = [:]

    public init(states: [State], districts: [District]) {
        self.states = states.sorted { $0.name < $1.name }
        self.districts = districts.sorted { ($0.stateCode, $0.name) < ($1.stateCode, $1.name) }
        for state in states {
            stateByCode[state.code] = state
            stateByName[Geography.key(state.name)] = state
            stateBySpelling[state.name] = state
            stateBySpelling[state.name.lowercased()] = state
        }
        for district in districts {
            districtByCode[district.code] = district
            districtByName["\(district.stateCode)|\(Geography.key(district.name))"] = district
            districtBySpelling["\(district.stateCode)|\(district.name)"] = district
            districtBySpelling["\(district.stateCode)|\(district.name.lowercased())"] = district
        }
    }

    /// Reads `state_code,state_name,state_type,district_code,district_name` rows.
    public init(districtsCSV: String) throws {
        var states: [Int: State] = [:]
        var districts: [District] = []
        for row in try CSVReader(text: districtsCSV).rows().dropFirst() {
            guard row.fields.count == 5, let stateCode = Int(row.fields[0]), let districtCode = Int(row.fields[3]) else {
                throw CSVError(line: row.line, reason: "expected state_code,state_name,state_type,district_code,district_name")
            }
            states[stateCode] = State(code: stateCode, name: row.fields[1], isUnionTerritory: row.fields[2] == "UT")
            districts.append(District(code: districtCode, name: row.fields[4], stateCode: stateCode))
        }
        self.init(states: Array(states.values), districts: districts)
    }

    public func state(code: Int) -> State? { stateByCode[code] }
    public func district(code: Int) -> District? { districtByCode[code] }

    /// A venue's State and district, checked: each must exist and the district lie in the State; a State not given
    /// follows from the district.
    public func venue(stateCode: Int?, districtCode: Int?) -> (stateCode: Int?, problems: [FieldError]) {
        var problems: [FieldError] = []
        if let stateCode, state(code: stateCode) == nil { problems.append(FieldError("stateCode", "no State or UT has LGD code \(stateCode)")) }
        guard let districtCode else { return (stateCode, problems) }
        guard let found = district(code: districtCode) else {
            return (stateCode, problems + [FieldError("districtCode", "no district has LGD code \(districtCode)")])
        }
        if let stateCode, found.stateCode != stateCode { problems.append(FieldError("districtCode", "is not in the State given")) }
        return (stateCode ?? found.stateCode, problems)
    }
    public func districts(inState code: Int) -> [District] { districts.filter { $0.stateCode == code } }

    /// A State given in a spreadsheet: its LGD code or its name, in any case.
    public func state(named text: String) -> State? {
        if let exact = stateBySpelling[text] { return exact }
        if let code = Int(text.trimmed) { return state(code: code) }
        return stateByName[Geography.key(text)]
    }

    /// A district given in a spreadsheet, within its State: its LGD code or its name.
    public func district(named text: String, inState stateCode: Int) -> District? {
        if let exact = districtBySpelling["\(stateCode)|\(text)"] { return exact }
        if let code = Int(text.trimmed) {
            return district(code: code).flatMap { $0.stateCode == stateCode ? $0 : nil }
        }
        return districtByName["\(stateCode)|\(Geography.key(text))"]
    }

    private static func key(_ name: String) -> String {
        name.trimmed.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .replacingOccurrences(of: "&", with: "and")
            .split(whereSeparator: { $0 == " " || $0 == "-" }).joined(separator: " ")
    }
}
