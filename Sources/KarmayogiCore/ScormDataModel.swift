import Foundation

/// The SCORM run-time data model, as data: every element of SCORM 1.2 and 2004 with its access and value type,
/// so that the server (checking what a player commits) and the browser's API adapter (answering `SetValue` at
/// once, with the standard error codes) apply the same rules. The adapter receives `definitions` as JSON.
public enum ScormDataModel {
    public enum Access: String, Codable, Sendable { case read = "r", write = "w", readWrite = "rw" }

    /// How a value is checked. `kind` names the check; the other fields are its parameters.
    public struct ValueType: Codable, Equatable, Sendable {
        /// string, identifier, decimal, integer, vocabulary, timespan (1.2 HHHH:MM:SS.SS), time (1.2 HH:MM:SS.SS),
        /// interval (2004 ISO 8601 duration), timestamp (2004 ISO 8601 time), result (a vocabulary or a decimal)
        public var kind: String
        public var max: Int?
        public var low: Double?
        public var high: Double?
        public var values: [String]?
        /// Whether the empty string is a value (1.2's score elements may be blanked; its `exit` may be empty).
        public var blank: Bool

        static func string(_ max: Int) -> ValueType { .init(kind: "string", max: max, blank: true) }
        static func identifier(_ max: Int) -> ValueType { .init(kind: "identifier", max: max, blank: false) }
        static func decimal(_ low: Double? = nil, _ high: Double? = nil, blank: Bool = false) -> ValueType {
            .init(kind: "decimal", low: low, high: high, blank: blank)
        }
        static func integer(_ low: Double, _ high: Double) -> ValueType { .init(kind: "integer", low: low, high: high, blank: false) }
        static func vocabulary(_ values: [String]) -> ValueType { .init(kind: "vocabulary", values: values, blank: values.contains("")) }
        static let timespan = ValueType(kind: "timespan", blank: false)
        static let time = ValueType(kind: "time", blank: false)
        static let interval = ValueType(kind: "interval", blank: false)
        static let timestamp = ValueType(kind: "timestamp", blank: false)
        static func result(_ values: [String]) -> ValueType { .init(kind: "result", values: values, blank: false) }

        init(kind: String, max: Int? = nil, low: Double? = nil, high: Double? = nil, values: [String]? = nil, blank: Bool) {
            self.kind = kind
            self.max = max
            self.low = low
            self.high = high
            self.values = values
            self.blank = blank
        }
    }

    /// One element; `name` has `n` where an index stands (cmi.objectives.n.id).
    public struct Definition: Codable, Equatable, Sendable {
        public var name: String
        public var access: Access
        public var type: ValueType
    }

    /// The arrays of each edition: their elements are named `<array>.<index>.<field>`, and `<array>._count` counts them.
    public static func arrays(_ version: ScormVersion) -> [String] {
        version.is2004
            ? ["cmi.comments_from_learner", "cmi.comments_from_lms", "cmi.interactions", "cmi.interactions.n.objectives",
               "cmi.interactions.n.correct_responses", "cmi.objectives"]
            : ["cmi.objectives", "cmi.interactions", "cmi.interactions.n.objectives", "cmi.interactions.n.correct_responses"]
    }

    /// The `_children` answer of each parent that has one.
    public static func children(_ version: ScormVersion) -> [String: String] {
        if version.is2004 {
            return [
                "cmi.comments_from_learner": "comment,location,timestamp", "cmi.comments_from_lms": "comment,location,timestamp",
                "cmi.interactions": "id,type,objectives,timestamp,correct_responses,weighting,learner_response,result,latency,description",
                "cmi.learner_preference": "audio_level,language,delivery_speed,audio_captioning",
                "cmi.objectives": "id,score,success_status,completion_status,progress_measure,description",
                "cmi.score": "scaled,raw,min,max", "cmi.objectives.n.score": "scaled,raw,min,max",
            ]
        }
        return [
            "cmi.core": "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time",
            "cmi.core.score": "raw,min,max", "cmi.objectives": "id,score,status", "cmi.objectives.n.score": "raw,min,max",
            "cmi.student_data": "mastery_score,max_time_allowed,time_limit_action", "cmi.student_preference": "audio,language,speed,text",
            "cmi.interactions": "id,objectives,time,type,correct_responses,weighting,student_response,result,latency",
        ]
    }

    public static func definitions(_ version: ScormVersion) -> [Definition] {
        func d(_ name: String, _ access: Access, _ type: ValueType) -> Definition { Definition(name: name, access: access, type: type) }
        if !version.is2004 {
            let status = ["passed", "completed", "failed", "incomplete", "browsed"]
            let score = [d("raw", .readWrite, .decimal(0, 100, blank: true)), d("min", .readWrite, .decimal(0, 100, blank: true)),
                         d("max", .readWrite, .decimal(0, 100, blank: true))]
            return [
                d("cmi.core.student_id", .read, .identifier(255)), d("cmi.core.student_name", .read, .string(255)),
                d("cmi.core.lesson_location", .readWrite, .string(255)), d("cmi.core.credit", .read, .vocabulary(["credit", "no-credit"])),
                d("cmi.core.lesson_status", .readWrite, .vocabulary(status)), d("cmi.core.entry", .read, .vocabulary(["ab-initio", "resume", ""])),
                d("cmi.core.total_time", .read, .timespan), d("cmi.core.lesson_mode", .read, .vocabulary(["browse", "normal", "review"])),
                d("cmi.core.exit", .write, .vocabulary(["time-out", "suspend", "logout", ""])), d("cmi.core.session_time", .write, .timespan),
                d("cmi.suspend_data", .readWrite, .string(4096)), d("cmi.launch_data", .read, .string(4096)),
                d("cmi.comments", .readWrite, .string(4096)), d("cmi.comments_from_lms", .read, .string(4096)),
                d("cmi.student_data.mastery_score", .read, .decimal(0, 100)), d("cmi.student_data.max_time_allowed", .read, .timespan),
                d("cmi.student_data.time_limit_action", .read, .vocabulary(["exit,message", "exit,no message", "continue,message", "continue,no message"])),
                d("cmi.student_preference.audio", .readWrite, .integer(-1, 100)), d("cmi.student_preference.language", .readWrite, .string(255)),
                d("cmi.student_preference.speed", .readWrite, .integer(-100, 100)), d("cmi.student_preference.text", .readWrite, .integer(-1, 1)),
                d("cmi.objectives.n.id", .readWrite, .identifier(255)),
                d("cmi.objectives.n.status", .readWrite, .vocabulary(status + ["not attempted"])),
                d("cmi.interactions.n.id", .write, .identifier(255)), d("cmi.interactions.n.objectives.n.id", .write, .identifier(255)),
                d("cmi.interactions.n.time", .write, .time),
                d("cmi.interactions.n.type", .write, .vocabulary(["true-false", "choice", "fill-in", "matching", "performance", "sequencing", "likert", "numeric"])),
                d("cmi.interactions.n.correct_responses.n.pattern", .write, .string(255)), d("cmi.interactions.n.weighting", .write, .decimal()),
                d("cmi.interactions.n.student_response", .write, .string(255)),
                d("cmi.interactions.n.result", .write, .result(["correct", "wrong", "unanticipated", "neutral"])),
                d("cmi.interactions.n.latency", .write, .timespan),
            ] + score.map { d("cmi.core.score." + $0.name, $0.access, $0.type) } + score.map { d("cmi.objectives.n.score." + $0.name, $0.access, $0.type) }
        }
        let completion = ["completed", "incomplete", "not attempted", "unknown"]
        let success = ["passed", "failed", "unknown"]
        let score = [d("scaled", .readWrite, .decimal(-1, 1)), d("raw", .readWrite, .decimal()), d("min", .readWrite, .decimal()), d("max", .readWrite, .decimal())]
        let comment: [(String, ValueType)] = [("comment", .string(4000)), ("location", .string(250)), ("timestamp", .timestamp)]
        return [
            d("cmi._version", .read, .string(250)),
            d("cmi.completion_status", .readWrite, .vocabulary(completion)), d("cmi.completion_threshold", .read, .decimal(0, 1)),
            d("cmi.credit", .read, .vocabulary(["credit", "no-credit"])), d("cmi.entry", .read, .vocabulary(["ab-initio", "resume", ""])),
            d("cmi.exit", .write, .vocabulary(["time-out", "suspend", "logout", "normal", ""])),
            d("cmi.launch_data", .read, .string(4000)), d("cmi.learner_id", .read, .identifier(4000)), d("cmi.learner_name", .read, .string(250)),
            d("cmi.learner_preference.audio_level", .readWrite, .decimal(0)), d("cmi.learner_preference.language", .readWrite, .string(250)),
            d("cmi.learner_preference.delivery_speed", .readWrite, .decimal(0)),
            d("cmi.learner_preference.audio_captioning", .readWrite, .vocabulary(["-1", "0", "1"])),
            d("cmi.location", .readWrite, .string(1000)), d("cmi.max_time_allowed", .read, .interval),
            d("cmi.mode", .read, .vocabulary(["browse", "normal", "review"])), d("cmi.progress_measure", .readWrite, .decimal(0, 1)),
            d("cmi.scaled_passing_score", .read, .decimal(-1, 1)), d("cmi.session_time", .write, .interval),
            d("cmi.success_status", .readWrite, .vocabulary(success)),
            d("cmi.suspend_data", .readWrite, .string(version == .scorm2004v4 ? 64000 : 4000)),
            d("cmi.time_limit_action", .read, .vocabulary(["exit,message", "continue,message", "exit,no message", "continue,no message"])),
            d("cmi.total_time", .read, .interval),
            d("cmi.objectives.n.id", .readWrite, .identifier(4000)), d("cmi.objectives.n.success_status", .readWrite, .vocabulary(success)),
            d("cmi.objectives.n.completion_status", .readWrite, .vocabulary(completion)),
            d("cmi.objectives.n.progress_measure", .readWrite, .decimal(0, 1)), d("cmi.objectives.n.description", .readWrite, .string(250)),
            d("cmi.interactions.n.id", .readWrite, .identifier(4000)),
            d("cmi.interactions.n.type", .readWrite, .vocabulary(["true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
                                                                   "sequencing", "likert", "numeric", "other"])),
            d("cmi.interactions.n.objectives.n.id", .readWrite, .identifier(4000)), d("cmi.interactions.n.timestamp", .readWrite, .timestamp),
            d("cmi.interactions.n.correct_responses.n.pattern", .readWrite, .string(4000)), d("cmi.interactions.n.weighting", .readWrite, .decimal()),
            d("cmi.interactions.n.learner_response", .readWrite, .string(4000)),
            d("cmi.interactions.n.result", .readWrite, .result(["correct", "incorrect", "unanticipated", "neutral"])),
            d("cmi.interactions.n.latency", .readWrite, .interval), d("cmi.interactions.n.description", .readWrite, .string(250)),
            d("adl.nav.request", .readWrite, .string(4000)),
        ] + score.map { d("cmi.score." + $0.name, $0.access, $0.type) } + score.map { d("cmi.objectives.n.score." + $0.name, $0.access, $0.type) }
            + comment.map { d("cmi.comments_from_learner.n." + $0.0, .readWrite, $0.1) }
            + comment.map { d("cmi.comments_from_lms.n." + $0.0, .read, $0.1) }
    }

    /// Whether `value` is of `type` (its range, length and vocabulary included).
    public static func accepts(_ value: String, as type: ValueType) -> Bool {
        if value.isEmpty { return type.blank || (type.kind == "string") }
        switch type.kind {
        case "string": return value.count <= (type.max ?? .max)
        case "identifier": return value.count <= (type.max ?? .max) && !value.contains(where: \.isWhitespace)
        case "decimal", "integer":
            guard value.range(of: #"^-?(\d+\.?\d*|\.\d+)$"#, options: .regularExpression) != nil, let number = Double(value) else { return false }
            if type.kind == "integer", number.rounded() != number { return false }
            return number >= (type.low ?? -.infinity) && number <= (type.high ?? .infinity)
        case "vocabulary": return type.values?.contains(value) ?? false
        case "result": return (type.values?.contains(value) ?? false) || accepts(value, as: .decimal())
        case "timespan": return value.range(of: #"^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$"#, options: .regularExpression) != nil
        case "time": return value.range(of: #"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,2})?$"#, options: .regularExpression) != nil
        case "interval": return value.range(of: #"^P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$"#, options: .regularExpression) != nil
        case "timestamp":
            return value.range(of: #"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,2})?)?)?(Z|[+-]\d{2}(:\d{2})?)?)?)?)?$"#, options: .regularExpression) != nil
        default: return false
        }
    }
}

/// One SCO's run-time data for one learner and attempt, with the rules of `GetValue` and `SetValue`: the answers
/// are the standard's error codes (1.2: 201, 401–405; 2004: 301, 351, 401–408), never a failure of the server.
public struct ScormRuntimeData: Equatable, Sendable {
    public let version: ScormVersion
    public private(set) var values: [String: String]
    private let table: [String: ScormDataModel.Definition]

    public init(version: ScormVersion, values: [String: String] = [:]) {
        self.version = version
        self.values = values
        table = Dictionary(uniqueKeysWithValues: ScormDataModel.definitions(version).map { ($0.name, $0) })
    }

    public static func == (a: ScormRuntimeData, b: ScormRuntimeData) -> Bool { a.version == b.version && a.values == b.values }

    /// The element's name with each index made `n`, and the indices in order ("cmi.objectives.2.id" → "cmi.objectives.n.id", [2]).
    static func pattern(_ element: String) -> (name: String, indices: [Int])? {
        var parts: [String] = []
        var indices: [Int] = []
        for part in element.split(separator: ".", omittingEmptySubsequences: false) {
            if let index = Int(part), part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber) {
                guard index >= 0, index < 10_000 else { return nil }
                parts.append("n")
                indices.append(index)
            } else {
                parts.append(String(part))
            }
        }
        return (parts.joined(separator: "."), indices)
    }

    /// How many entries the array `prefix` (with real indices, e.g. "cmi.interactions.0.objectives") holds.
    public func count(_ prefix: String) -> Int {
        var next = 0
        while values.keys.contains(where: { $0.hasPrefix("\(prefix).\(next).") }) { next += 1 }
        return next
    }

    private var codes: (argument: Int, undefined: Int, notImplemented: Int, readOnly: Int, writeOnly: Int, type: Int, range: Int, keyword: Int,
                        setFailure: Int, notInitialized: Int, dependency: Int) {
        version.is2004 ? (201, 401, 402, 404, 405, 406, 407, 404, 351, 403, 408) : (201, 201, 401, 403, 404, 405, 405, 402, 201, 0, 201)
    }

    /// `GetValue`: the value and 0, or "" and an error code.
    public func get(_ element: String) -> (value: String, error: Int) {
        let c = codes
        guard !element.isEmpty else { return ("", version.is2004 ? 301 : 201) }
        if element.hasSuffix("._children") {
            guard let pattern = Self.pattern(String(element.dropLast("._children".count))),
                  let children = ScormDataModel.children(version)[pattern.name] else { return ("", version.is2004 ? 301 : 202) }
            return (children, 0)
        }
        if element.hasSuffix("._count") {
            let array = String(element.dropLast("._count".count))
            guard let pattern = Self.pattern(array), ScormDataModel.arrays(version).contains(pattern.name) else { return ("", version.is2004 ? 301 : 203) }
            return (String(count(array)), 0)
        }
        if version.is2004, element == "cmi._version" { return ("1.0", 0) }
        if version.is2004, element.hasPrefix("adl.nav.request_valid.") { return ("unknown", 0) }
        guard let pattern = Self.pattern(element), let definition = table[pattern.name] else { return ("", c.undefined) }
        if definition.access == .write { return ("", c.writeOnly) }
        if let value = values[element] { return (value, 0) }
        if version.is2004, !pattern.indices.isEmpty, pattern.indices.last! >= count(arrayPrefix(element)) { return ("", 301) }
        return ("", version.is2004 && ["cmi.location", "cmi.score.raw", "cmi.score.min", "cmi.score.max", "cmi.score.scaled", "cmi.progress_measure",
                                       "cmi.suspend_data", "cmi.completion_threshold", "cmi.scaled_passing_score", "cmi.max_time_allowed"]
                    .contains(element) ? c.notInitialized : 0)
    }

    /// The array an indexed element belongs to ("cmi.interactions.0.objectives.1.id" → "cmi.interactions.0.objectives").
    func arrayPrefix(_ element: String) -> String {
        let parts = element.split(separator: ".")
        guard let last = parts.lastIndex(where: { Int($0) != nil }) else { return element }
        return parts[..<last].joined(separator: ".")
    }

    /// `SetValue`: 0 when stored, else the error code, and nothing changes.
    public mutating func set(_ element: String, _ value: String) -> Int {
        let c = codes
        guard !element.isEmpty else { return version.is2004 ? 351 : 201 }
        if element.hasSuffix("._children") || element.hasSuffix("._count") || element.hasSuffix("._version") { return c.keyword }
        if version.is2004, element.hasPrefix("adl.nav.request_valid.") { return c.readOnly }
        guard let pattern = Self.pattern(element), let definition = table[pattern.name] else { return c.undefined }
        if definition.access == .read { return c.readOnly }
        if !pattern.indices.isEmpty {
            // Every array on the way must already hold the entries before this one.
            let parts = element.split(separator: ".")
            var prefix: [Substring] = []
            for part in parts {
                if let index = Int(part), part.allSatisfy(\.isNumber) {
                    let array = prefix.joined(separator: ".")
                    if index > count(array) { return c.setFailure }
                    let entry = array + ".\(index)"
                    let field = element.dropFirst(entry.count + 1)
                    let starts = !values.keys.contains { $0.hasPrefix(entry + ".") }
                    if version.is2004, starts, !field.hasPrefix("id"), ["cmi.objectives", "cmi.interactions"].contains(array) { return c.dependency }
                }
                prefix.append(part)
            }
        }
        if version.is2004, element == "adl.nav.request" {
            let plain = ["continue", "previous", "exit", "exitAll", "abandon", "abandonAll", "suspendAll", "_none_"]
            guard plain.contains(value) || value.range(of: #"^\{target=[^}\s]+\}(choice|jump)$"#, options: .regularExpression) != nil else { return c.type }
        } else if !ScormDataModel.accepts(value, as: definition.type) {
            let type = definition.type
            let number = value.range(of: #"^-?(\d+\.?\d*|\.\d+)$"#, options: .regularExpression) != nil ? Double(value) : nil
            if let number, type.kind == "decimal" || (type.kind == "integer" && number.rounded() == number) { return c.range }
            // SCORM 2004's lengths are the least an LMS keeps (SPM), not a limit: a longer string is kept as sent.
            if !(version.is2004 && type.kind == "string") { return c.type }
        }
        values[element] = value
        return 0
    }
}

extension ScormRuntimeData {
    /// What the data says of the activity, in the platform's terms: completed when the SCO says so (SCORM 1.2
    /// `completed` or `passed`; 2004 completion `completed`, or progress at the threshold) and has not failed
    /// its mastery or passing score; the score as a percentage where one was given.
    public func outcome(masteryScore: Double? = nil, scaledPassingScore: Double? = nil, completionThreshold: Double? = nil)
        -> (status: ItemStatus, percent: Double, score: Double?, passed: Bool?) {
        let number = { (key: String) in values[key].flatMap(Double.init) }
        if !version.is2004 {
            var status = values["cmi.core.lesson_status"] ?? "not attempted"
            let raw = number("cmi.core.score.raw")
            let score = raw.map { raw in number("cmi.core.score.max").map { $0 > 0 ? raw / $0 * 100 : raw } ?? raw }
            if let masteryScore, let raw, values["cmi.core.lesson_status"] != "browsed" { status = raw >= masteryScore ? "passed" : "failed" }
            let passed: Bool? = status == "passed" ? true : status == "failed" ? false : nil
            let done = status == "completed" || status == "passed"
            return (done ? .completed : values.isEmpty && status == "not attempted" ? .notStarted : .inProgress, done ? 100 : 0, score, passed)
        }
        let progress = number("cmi.progress_measure")
        var completion = values["cmi.completion_status"] ?? "unknown"
        if let completionThreshold, let progress { completion = progress >= completionThreshold ? "completed" : "incomplete" }
        var success = values["cmi.success_status"] ?? "unknown"
        let scaled = number("cmi.score.scaled")
        if let scaledPassingScore, let scaled { success = scaled >= scaledPassingScore ? "passed" : "failed" }
        let score = scaled.map { $0 * 100 } ?? number("cmi.score.raw").map { raw in number("cmi.score.max").map { $0 > 0 ? raw / $0 * 100 : raw } ?? raw }
        let passed: Bool? = success == "passed" ? true : success == "failed" ? false : nil
        let done = completion == "completed" && passed != false
        let status: ItemStatus = done ? .completed : values.isEmpty ? .notStarted : .inProgress
        return (status, done ? 100 : min(99, (progress ?? 0) * 100), score, passed)
    }
}

/// SCORM's two ways of writing a length of time: 1.2's `HHHH:MM:SS.SS` and 2004's ISO 8601 duration.
public enum ScormTime {
    public static func timespan(_ seconds: Int) -> String {
        String(format: "%04d:%02d:%02d", min(seconds / 3600, 9999), seconds / 60 % 60, seconds % 60)
    }

    public static func interval(_ seconds: Int) -> String {
        "PT\(seconds / 3600)H\(seconds / 60 % 60)M\(seconds % 60)S"
    }

    public static func seconds(timespan text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 3, let hours = Int(parts[0]), let minutes = Int(parts[1]), let seconds = Double(parts[2]) else { return nil }
        return hours * 3600 + minutes * 60 + Int(seconds)
    }

    public static func seconds(interval text: String) -> Int? {
        guard ScormDataModel.accepts(text, as: .init(kind: "interval", blank: false)) else { return nil }
        var total = 0.0
        var number = ""
        var inTime = false
        for character in text.dropFirst() {
            switch character {
            case "T": inTime = true
            case "Y": total += (Double(number) ?? 0) * 365 * 86_400; number = ""
            case "M": total += (Double(number) ?? 0) * (inTime ? 60 : 30 * 86_400); number = ""
            case "D": total += (Double(number) ?? 0) * 86_400; number = ""
            case "H": total += (Double(number) ?? 0) * 3600; number = ""
            case "S": total += Double(number) ?? 0; number = ""
            default: number.append(character)
            }
        }
        return total.isFinite && total < Double(Int.max / 2) ? Int(total) : nil
    }
}
