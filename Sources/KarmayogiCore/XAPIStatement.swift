import Foundation

/// xAPI 1.0.3 statements, checked as an LRS must before storing one (xAPI Part 2, §2 and §4): every property known
/// and of its type, actors with exactly one identifier, IRIs, UUIDs, language maps keyed by real language tags,
/// ISO 8601 timestamps and durations, scores in range, interaction components that fit the interaction type,
/// voiding by reference only. A statement is the JSON object `JSONSerialization` gives; a problem names where.
public enum XAPIStatement {
    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
        public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
    }

    public static let voided = "http://adlnet.gov/expapi/verbs/voided"

    /// The problems of one statement (none: it may be stored).
    public static func problems(_ statement: Any) -> [Problem] {
        var check = Checker()
        check.statement(statement, at: "", sub: false)
        return check.problems
    }

    /// The versions this LRS speaks: 1.0.0 to 1.0.3 (`X-Experience-API-Version` and a statement's `version`).
    public static func isSupportedVersion(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts[0] == "1", parts[1] == "0" else { return false }
        return parts.count == 2 || (parts[2].count == 1 && "0123".contains(parts[2]))
    }

    /// An actor's identifier as one string (`mbox:mailto:…`, `account:homePage|name`, …), or nil without exactly one.
    public static func identifier(ofActor actor: Any) -> String? {
        guard let object = actor as? [String: Any] else { return nil }
        var found: [String] = []
        if let mbox = object["mbox"] as? String { found.append("mbox:" + mbox.lowercased()) }
        if let sum = object["mbox_sha1sum"] as? String { found.append("mbox_sha1sum:" + sum.lowercased()) }
        if let openid = object["openid"] as? String { found.append("openid:" + openid) }
        if let account = object["account"] as? [String: Any], let home = account["homePage"] as? String, let name = account["name"] as? String {
            found.append("account:\(home)|\(name)")
        }
        return found.count == 1 ? found[0] : nil
    }

    /// RFC 5646 language tags as xAPI language maps use them: a 2–3 letter language (or 4–8 registered), with
    /// optional extlang, script, region, variants, extensions and private use; or private use (`x-…`) alone.
    public static func isLanguageTag(_ tag: String) -> Bool {
        let subtags = tag.split(separator: "-", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard let first = subtags.first, subtags.allSatisfy({ !$0.isEmpty && $0.count <= 8 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
        else { return false }
        func alpha(_ s: String) -> Bool { s.allSatisfy(\.isLetter) }
        if first == "x" || first == "i" { return subtags.count > 1 }
        guard alpha(first), (2...8).contains(first.count), first.count != 4 else { return false }
        var index = 1
        var extlangs = 0
        while index < subtags.count, subtags[index].count == 3, alpha(subtags[index]), first.count <= 3, extlangs < 3 { index += 1; extlangs += 1 }
        if index < subtags.count, subtags[index].count == 4, alpha(subtags[index]) { index += 1 }
        if index < subtags.count, (subtags[index].count == 2 && alpha(subtags[index])) || (subtags[index].count == 3 && subtags[index].allSatisfy(\.isNumber)) { index += 1 }
        while index < subtags.count, subtags[index].count >= 5 || (subtags[index].count == 4 && subtags[index].first!.isNumber) { index += 1 }
        while index < subtags.count, subtags[index].count == 1 {
            let singleton = subtags[index]
            index += 1
            let start = index
            while index < subtags.count, singleton == "x" ? true : subtags[index].count >= 2 { index += 1 }
            if index == start { return false }
            if singleton == "x" { break }
        }
        return index == subtags.count
    }

    /// An ISO 8601 date and time with a time zone (`Z` or ±hh:mm, never -00:00), as timestamps and `since` are.
    public static func timestamp(_ text: String) -> Date? {
        let pattern = #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$"#
        guard text.range(of: pattern, options: .regularExpression) != nil, !text.hasSuffix("-00:00"), !text.hasSuffix("-0000"), !text.hasSuffix("-00")
        else { return nil }
        var normalised = text
        if let dot = normalised.firstIndex(of: ".") {
            let zone = normalised[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" })!
            let digits = normalised[normalised.index(after: dot)..<zone]
            normalised.replaceSubrange(dot..<zone, with: "." + String((digits + "000").prefix(3)))
        }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return withFraction.date(from: normalised) ?? plain.date(from: normalised)
    }

    /// Compiled once: matching does not change it.
    private static let durationPattern = try! NSRegularExpression(
        pattern: #"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"#)

    /// An ISO 8601 duration (`PT1H30M`, `P1DT2.5S`, `P3W`), as `result.duration` is; in seconds.
    public static func duration(_ text: String) -> Double? {
        guard text.count > 1, !text.hasSuffix("T"), text.count <= 100,
              let match = durationPattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        let seconds: [Double] = [31_536_000, 2_592_000, 604_800, 86_400, 3_600, 60, 1]
        var total = 0.0
        for (index, unit) in seconds.enumerated() {
            if let range = Range(match.range(at: index + 1), in: text) { total += (Double(text[range]) ?? 0) * unit }
        }
        return total
    }

    /// Whether a value from `JSONSerialization` was `true` or `false` (on Linux, 0 and 1 also answer `is Bool`).
    public static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    static func isUUID(_ value: Any?) -> Bool {
        guard let text = value as? String, text.count == 36 else { return false }
        return UUID(uuidString: text) != nil
    }

    static let interactionTypes = ["true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing", "likert", "numeric", "other"]
    static let components: [String: Set<String>] = ["choice": ["choices"], "sequencing": ["choices"], "likert": ["scale"], "matching": ["source", "target"], "performance": ["steps"]]
}

/// Walks one statement, collecting every problem with the path to it.
private struct Checker {
    var problems: [XAPIStatement.Problem] = []

    mutating func fail(_ path: String, _ reason: String) { problems.append(.init(path: path, reason: reason)) }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The object at `path`, its unknown properties refused; nil (with a problem) when it is not an object.
    mutating func object(_ value: Any?, at path: String, allowed: Set<String>) -> [String: Any]? {
        guard let object = value as? [String: Any] else { fail(path, "must be a JSON object"); return nil }
        for key in object.keys.sorted() where !allowed.contains(key) { fail(join(path, key), "is not a property xAPI defines here") }
        return object
    }

    mutating func string(_ value: Any?, at path: String, required: Bool = false) -> String? {
        guard let value else { if required { fail(path, "is required") }; return nil }
        guard let text = value as? String else { fail(path, "must be a string"); return nil }
        return text
    }

    mutating func iri(_ value: Any?, at path: String, required: Bool = false) {
        guard let text = string(value, at: path, required: required) else { return }
        if !Cmi5Structure.isAbsoluteIRI(text) { fail(path, "‘\(text.prefix(80))’ is not an absolute IRI") }
    }

    mutating func bool(_ value: Any?, at path: String) {
        guard let value else { return }
        if !XAPIStatement.isBoolean(value) { fail(path, "must be true or false") }
    }

    mutating func number(_ value: Any?, at path: String) -> Double? {
        guard let value else { return nil }
        guard let number = value as? NSNumber, !XAPIStatement.isBoolean(number) else { fail(path, "must be a number"); return nil }
        return number.doubleValue
    }

    mutating func languageMap(_ value: Any?, at path: String) {
        guard let value else { return }
        guard let map = value as? [String: Any] else { fail(path, "must be a language map (an object of language tag → text)"); return }
        for (tag, text) in map.sorted(by: { $0.key < $1.key }) {
            if !XAPIStatement.isLanguageTag(tag) { fail(join(path, tag), "‘\(tag)’ is not a language tag (RFC 5646)") }
            if !(text is String) { fail(join(path, tag), "must be a string") }
        }
    }

    mutating func extensions(_ value: Any?, at path: String) {
        guard let value else { return }
        guard let map = value as? [String: Any] else { fail(path, "must be an object keyed by IRIs"); return }
        for key in map.keys.sorted() where !Cmi5Structure.isAbsoluteIRI(key) { fail(join(path, key), "an extension's key must be an absolute IRI") }
    }

    mutating func statement(_ value: Any, at path: String, sub: Bool) {
        let keys: Set<String> = sub
            ? ["objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"]
            : ["id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version", "attachments"]
        guard let statement = object(value, at: path, allowed: keys) else { return }
        if let id = statement["id"], !XAPIStatement.isUUID(id) { fail(join(path, "id"), "must be a UUID") }
        if let actor = statement["actor"] { agentOrGroup(actor, at: join(path, "actor")) } else { fail(join(path, "actor"), "is required") }
        let verbID: String?
        if let verb = statement["verb"] { verbID = self.verb(verb, at: join(path, "verb")) } else { fail(join(path, "verb"), "is required"); verbID = nil }
        var objectType = "Activity"
        if let target = statement["object"] {
            objectType = self.target(target, at: join(path, "object"), sub: sub)
        } else { fail(join(path, "object"), "is required") }
        if verbID == XAPIStatement.voided, objectType != "StatementRef" { fail(join(path, "object"), "a voiding statement's object must be a StatementRef") }
        if let result = statement["result"] { self.result(result, at: join(path, "result")) }
        if let context = statement["context"] { self.context(context, at: join(path, "context"), objectType: objectType) }
        for key in ["timestamp", "stored"] {
            if let text = string(statement[key], at: join(path, key)), XAPIStatement.timestamp(text) == nil {
                fail(join(path, key), "‘\(text.prefix(40))’ is not an ISO 8601 date and time with a time zone")
            }
        }
        if let authority = statement["authority"] { agentOrGroup(authority, at: join(path, "authority")) }
        if let version = string(statement["version"], at: join(path, "version")), !XAPIStatement.isSupportedVersion(version) {
            fail(join(path, "version"), "‘\(version.prefix(20))’ is not an xAPI version this LRS takes (1.0.0 to 1.0.3)")
        }
        if let attachments = statement["attachments"] { self.attachments(attachments, at: join(path, "attachments")) }
    }

    mutating func verb(_ value: Any, at path: String) -> String? {
        guard let verb = object(value, at: path, allowed: ["id", "display"]) else { return nil }
        iri(verb["id"], at: join(path, "id"), required: true)
        languageMap(verb["display"], at: join(path, "display"))
        return verb["id"] as? String
    }

    /// The object of a statement; answers its objectType.
    mutating func target(_ value: Any, at path: String, sub: Bool) -> String {
        guard let object = value as? [String: Any] else { fail(path, "must be a JSON object"); return "" }
        let type = object["objectType"] as? String ?? "Activity"
        switch type {
        case "Activity": activity(object, at: path)
        case "Agent", "Group": agentOrGroup(object, at: path)
        case "StatementRef": statementRef(object, at: path)
        case "SubStatement":
            if sub { fail(join(path, "objectType"), "a SubStatement may not hold another SubStatement") } else { statement(object, at: path, sub: true) }
        default: fail(join(path, "objectType"), "must be Activity, Agent, Group, StatementRef or SubStatement")
        }
        return type
    }

    mutating func statementRef(_ value: Any, at path: String) {
        guard let ref = object(value, at: path, allowed: ["objectType", "id"]) else { return }
        if ref["objectType"] as? String != "StatementRef" { fail(join(path, "objectType"), "must be StatementRef") }
        if ref["id"] == nil { fail(join(path, "id"), "is required") } else if !XAPIStatement.isUUID(ref["id"]) { fail(join(path, "id"), "must be a UUID") }
    }

    mutating func activity(_ value: Any, at path: String) {
        guard let activity = object(value, at: path, allowed: ["objectType", "id", "definition"]) else { return }
        if let type = activity["objectType"], type as? String != "Activity" { fail(join(path, "objectType"), "must be Activity") }
        iri(activity["id"], at: join(path, "id"), required: true)
        guard let value = activity["definition"] else { return }
        let at = join(path, "definition")
        let componentKeys: Set<String> = ["choices", "scale", "source", "target", "steps"]
        guard let definition = object(value, at: at, allowed: Set(["name", "description", "type", "moreInfo", "extensions", "interactionType", "correctResponsesPattern"]).union(componentKeys))
        else { return }
        languageMap(definition["name"], at: join(at, "name"))
        languageMap(definition["description"], at: join(at, "description"))
        iri(definition["type"], at: join(at, "type"))
        iri(definition["moreInfo"], at: join(at, "moreInfo"))
        extensions(definition["extensions"], at: join(at, "extensions"))
        var interaction: String?
        if let type = definition["interactionType"] {
            if let text = type as? String, XAPIStatement.interactionTypes.contains(text) { interaction = text }
            else { fail(join(at, "interactionType"), "must be one of \(XAPIStatement.interactionTypes.joined(separator: ", "))") }
        }
        if let pattern = definition["correctResponsesPattern"] {
            if !(pattern is [Any]) || !(pattern as! [Any]).allSatisfy({ $0 is String }) { fail(join(at, "correctResponsesPattern"), "must be a list of strings") }
            if definition["interactionType"] == nil { fail(join(at, "correctResponsesPattern"), "needs an interactionType") }
        }
        for key in componentKeys.sorted() {
            guard let list = definition[key] else { continue }
            if definition["interactionType"] == nil { fail(join(at, key), "needs an interactionType"); continue }
            if let interaction, !(XAPIStatement.components[interaction] ?? []).contains(key) {
                fail(join(at, key), "is not used by a \(interaction) interaction")
            }
            guard let items = list as? [Any] else { fail(join(at, key), "must be a list of interaction components"); continue }
            var ids: Set<String> = []
            for (index, item) in items.enumerated() {
                let here = "\(join(at, key))[\(index)]"
                guard let component = object(item, at: here, allowed: ["id", "description"]) else { continue }
                if let id = string(component["id"], at: join(here, "id"), required: true), !ids.insert(id).inserted {
                    fail(join(here, "id"), "‘\(id)’ is used twice")
                }
                languageMap(component["description"], at: join(here, "description"))
            }
        }
    }

    mutating func agentOrGroup(_ value: Any, at path: String) {
        guard let actor = value as? [String: Any] else { fail(path, "must be a JSON object"); return }
        switch actor["objectType"] as? String ?? "Agent" {
        case "Agent": agent(actor, at: path)
        case "Group":
            guard let group = object(actor, at: path, allowed: ["objectType", "name", "mbox", "mbox_sha1sum", "openid", "account", "member"]) else { return }
            let identified = identifiers(group, at: path) > 0
            _ = string(group["name"], at: join(path, "name"))
            if let members = group["member"] {
                guard let list = members as? [Any] else { fail(join(path, "member"), "must be a list of agents"); return }
                if !identified && list.isEmpty { fail(join(path, "member"), "an anonymous group needs at least one member") }
                for (index, member) in list.enumerated() {
                    let here = "\(join(path, "member"))[\(index)]"
                    if (member as? [String: Any])?["objectType"] as? String == "Group" { fail(here, "a group's member must be an Agent") } else { agent(member, at: here) }
                }
            } else if !identified {
                fail(join(path, "member"), "an anonymous group (one without mbox, mbox_sha1sum, openid or account) must list its members")
            }
        default: fail(join(path, "objectType"), "must be Agent or Group")
        }
    }

    mutating func agent(_ value: Any, at path: String) {
        guard let agent = object(value, at: path, allowed: ["objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"]) else { return }
        if let type = agent["objectType"], type as? String != "Agent" { fail(join(path, "objectType"), "must be Agent") }
        _ = string(agent["name"], at: join(path, "name"))
        if identifiers(agent, at: path) == 0 { fail(path, "an agent needs exactly one of mbox, mbox_sha1sum, openid or account") }
    }

    /// Checks the inverse functional identifiers present; answers how many there are (more than one is a problem).
    mutating func identifiers(_ actor: [String: Any], at path: String) -> Int {
        let present = ["mbox", "mbox_sha1sum", "openid", "account"].filter { actor[$0] != nil }
        if present.count > 1 { fail(path, "has \(present.joined(separator: " and ")); an actor has exactly one identifier") }
        if let mbox = string(actor["mbox"], at: join(path, "mbox")) {
            let address = mbox.dropFirst("mailto:".count)
            if !mbox.lowercased().hasPrefix("mailto:") || !address.contains("@") || address.contains(where: \.isWhitespace) {
                fail(join(path, "mbox"), "must be a mailto: IRI of an e-mail address")
            }
        }
        if let sum = string(actor["mbox_sha1sum"], at: join(path, "mbox_sha1sum")), sum.count != 40 || !sum.allSatisfy(\.isHexDigit) {
            fail(join(path, "mbox_sha1sum"), "must be the 40 hexadecimal digits of a SHA-1 sum")
        }
        iri(actor["openid"], at: join(path, "openid"))
        if let value = actor["account"], let account = object(value, at: join(path, "account"), allowed: ["homePage", "name"]) {
            iri(account["homePage"], at: join(path, "account.homePage"), required: true)
            _ = string(account["name"], at: join(path, "account.name"), required: true)
        }
        return present.count
    }

    mutating func result(_ value: Any, at path: String) {
        guard let result = object(value, at: path, allowed: ["score", "success", "completion", "response", "duration", "extensions"]) else { return }
        if let value = result["score"], let score = object(value, at: join(path, "score"), allowed: ["scaled", "raw", "min", "max"]) {
            let scaled = number(score["scaled"], at: join(path, "score.scaled"))
            let raw = number(score["raw"], at: join(path, "score.raw"))
            let min = number(score["min"], at: join(path, "score.min"))
            let max = number(score["max"], at: join(path, "score.max"))
            if let scaled, !(-1...1).contains(scaled) { fail(join(path, "score.scaled"), "must be between -1 and 1") }
            if let min, let max, min > max { fail(join(path, "score.min"), "must not be above max") }
            if let raw, let min, raw < min { fail(join(path, "score.raw"), "must not be below min") }
            if let raw, let max, raw > max { fail(join(path, "score.raw"), "must not be above max") }
        }
        bool(result["success"], at: join(path, "success"))
        bool(result["completion"], at: join(path, "completion"))
        _ = string(result["response"], at: join(path, "response"))
        if let text = string(result["duration"], at: join(path, "duration")), XAPIStatement.duration(text) == nil {
            fail(join(path, "duration"), "‘\(text.prefix(40))’ is not an ISO 8601 duration")
        }
        extensions(result["extensions"], at: join(path, "extensions"))
    }

    mutating func context(_ value: Any, at path: String, objectType: String) {
        let keys: Set<String> = ["registration", "instructor", "team", "contextActivities", "revision", "platform", "language", "statement", "extensions"]
        guard let context = object(value, at: path, allowed: keys) else { return }
        if let registration = context["registration"], !XAPIStatement.isUUID(registration) { fail(join(path, "registration"), "must be a UUID") }
        if let instructor = context["instructor"] { agentOrGroup(instructor, at: join(path, "instructor")) }
        if let team = context["team"] {
            if (team as? [String: Any])?["objectType"] as? String != "Group" { fail(join(path, "team"), "must be a Group") } else { agentOrGroup(team, at: join(path, "team")) }
        }
        for key in ["revision", "platform"] where context[key] != nil {
            _ = string(context[key], at: join(path, key))
            if objectType != "Activity" { fail(join(path, key), "is only for statements about an Activity") }
        }
        if let language = string(context["language"], at: join(path, "language")), !XAPIStatement.isLanguageTag(language) {
            fail(join(path, "language"), "‘\(language.prefix(40))’ is not a language tag (RFC 5646)")
        }
        if let ref = context["statement"] { statementRef(ref, at: join(path, "statement")) }
        extensions(context["extensions"], at: join(path, "extensions"))
        if let value = context["contextActivities"], let activities = object(value, at: join(path, "contextActivities"), allowed: ["parent", "grouping", "category", "other"]) {
            for (key, entry) in activities.sorted(by: { $0.key < $1.key }) {
                let here = join(path, "contextActivities.\(key)")
                if let list = entry as? [Any] {
                    for (index, item) in list.enumerated() { activity(item, at: "\(here)[\(index)]") }
                } else { activity(entry, at: here) }
            }
        }
    }

    mutating func attachments(_ value: Any, at path: String) {
        guard let list = value as? [Any] else { fail(path, "must be a list"); return }
        for (index, item) in list.enumerated() {
            let here = "\(path)[\(index)]"
            guard let attachment = object(item, at: here, allowed: ["usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"]) else { continue }
            iri(attachment["usageType"], at: join(here, "usageType"), required: true)
            if attachment["display"] == nil { fail(join(here, "display"), "is required") } else { languageMap(attachment["display"], at: join(here, "display")) }
            languageMap(attachment["description"], at: join(here, "description"))
            _ = string(attachment["contentType"], at: join(here, "contentType"), required: true)
            if attachment["length"] == nil { fail(join(here, "length"), "is required") }
            else if let length = number(attachment["length"], at: join(here, "length")), length < 0 || length != length.rounded() { fail(join(here, "length"), "must be a whole number of bytes") }
            _ = string(attachment["sha2"], at: join(here, "sha2"), required: true)
            if attachment["fileUrl"] == nil { fail(join(here, "fileUrl"), "this LRS takes attachments by fileUrl; it does not take their bytes in a multipart request") }
            else { iri(attachment["fileUrl"], at: join(here, "fileUrl")) }
        }
    }
}

/// Finds an object that names one property twice (`{"actor": …, "actor": …}`), which `JSONSerialization` would
/// silently merge: xAPI says a statement uses each property at most once. Answers the first repeated name.
public enum JSONDuplicateKeys {
    public static func first(in data: Data) -> String? {
        var scanner = Scanner(bytes: [UInt8](data))
        return scanner.value()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() { while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 } }

        /// Skips one value; answers a duplicated key found inside it.
        mutating func value(depth: Int = 0) -> String? {
            skipSpace()
            guard index < bytes.count, depth < 512 else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var keys: Set<String> = []
                while true {
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return nil }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    guard bytes[index] == UInt8(ascii: "\"") else { return nil }
                    let key = string()
                    if !keys.insert(key).inserted { return key }
                    skipSpace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: ":") { index += 1 }
                    if let found = value(depth: depth + 1) { return found }
                }
            case UInt8(ascii: "["):
                index += 1
                while true {
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return nil }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if let found = value(depth: depth + 1) { return found }
                }
            case UInt8(ascii: "\""):
                _ = string()
                return nil
            default:
                while index < bytes.count, !",]}".utf8.contains(bytes[index]) { index += 1 }
                return nil
            }
        }

        /// Reads a string at `index` (the opening quote), unescaping it so that `"a"` and `"\u0061"` are one key.
        mutating func string() -> String {
            let start = index
            index += 1
            var escaped = false
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { break }
            }
            // Only a key with an escape needs a JSON decoder to be compared; most have none.
            guard bytes[start..<index].contains(UInt8(ascii: "\\")) else { return String(decoding: bytes[(start + 1)..<max(start + 1, index - 1)], as: UTF8.self) }
            let raw = Data(bytes[start..<index])
            return (try? JSONSerialization.jsonObject(with: raw, options: .fragmentsAllowed) as? String) ?? String(decoding: raw, as: UTF8.self)
        }
    }
}
