import Foundation

/// The SCORM editions Karmayogi plays.
public enum ScormVersion: String, Codable, Sendable, CaseIterable {
    case scorm12 = "scorm_1.2"
    case scorm2004v2 = "scorm_2004_2nd"
    case scorm2004v3 = "scorm_2004_3rd"
    case scorm2004v4 = "scorm_2004_4th"

    public var is2004: Bool { self != .scorm12 }

    public var title: String {
        switch self {
        case .scorm12: "SCORM 1.2"
        case .scorm2004v2: "SCORM 2004 2nd Edition"
        case .scorm2004v3: "SCORM 2004 3rd Edition"
        case .scorm2004v4: "SCORM 2004 4th Edition"
        }
    }
}

/// SCORM 2004 sequencing as far as Karmayogi runs it: control modes, pre-condition rules over objectives,
/// and objectives mapped to global ones (forced order, flow and choice).
public struct ScormSequencing: Codable, Equatable, Sendable {
    public struct ControlMode: Codable, Equatable, Sendable {
        public var choice = true
        public var choiceExit = true
        public var flow = false
        public var forwardOnly = false
        public init() {}
    }

    public struct Condition: Codable, Equatable, Sendable {
        public var objective: String?
        /// satisfied, objectiveStatusKnown, completed, attempted, always, …
        public var condition: String
        public var not: Bool
    }

    public struct Rule: Codable, Equatable, Sendable {
        public var any: Bool
        public var conditions: [Condition]
        /// skip, disabled, hiddenFromChoice, stopForwardTraversal
        public var action: String
    }

    public struct Objective: Codable, Equatable, Sendable {
        public struct Map: Codable, Equatable, Sendable {
            public var target: String
            public var readSatisfied: Bool
            public var writeSatisfied: Bool
        }

        public var id: String
        public var primary: Bool
        public var satisfiedByMeasure: Bool
        public var minNormalizedMeasure: Double?
        public var maps: [Map]
    }

    public var controlMode = ControlMode()
    public var preConditions: [Rule] = []
    public var objectives: [Objective] = []
    public init() {}
}

/// One activity of the package's default organisation: a cluster with children, or a leaf that launches a
/// SCO (which talks to the API) or an asset (which does not).
public struct ScormActivity: Codable, Equatable, Sendable {
    public var identifier: String
    public var title: String
    /// The launch address relative to the package's root, with the item's parameters; nil for a cluster.
    public var launch: String?
    public var isSCO: Bool
    public var visible: Bool
    public var children: [ScormActivity]
    public var sequencing: ScormSequencing?
    /// `cmi.launch_data` (1.2 `adlcp:datafromlms`, 2004 `adlcp:dataFromLMS`).
    public var launchData: String?
    /// SCORM 1.2 `adlcp:masteryscore`, 0–100.
    public var masteryScore: Double?
    /// SCORM 2004: `adlcp:completionThreshold`, and the primary objective's minimum normalised measure.
    public var completionThreshold: Double?
    public var scaledPassingScore: Double?
    public var timeLimitAction: String?

    /// The activities that launch, in the order a learner meets them.
    public var leaves: [ScormActivity] { children.isEmpty ? (launch == nil ? [] : [self]) : children.flatMap(\.leaves) }
}

/// What a package's `imsmanifest.xml` holds, once checked: the edition, the default organisation as a tree of
/// activities, and what was noticed but does not stop the package from playing.
public struct ScormPackage: Codable, Equatable, Sendable {
    public var version: ScormVersion
    public var identifier: String
    public var title: String
    public var organisation: ScormActivity
    public var warnings: [String]

    public var leaves: [ScormActivity] { organisation.leaves }
}

/// Reads and checks a SCORM package: the manifest's structure beyond what its schema says (identifiers unique,
/// references resolved, a default organisation that exists, launch files that do), with a reason for each refusal.
public enum ScormManifest {
    public struct Refusal: Error, Equatable, Sendable {
        public var reasons: [String]
        public init(reasons: [String]) { self.reasons = reasons }
    }

    /// Checks the package in `archive`. A manifest may sit in the archive's root or, as packages zipped with
    /// their folder often do, in the one folder that holds everything; `root` answers which.
    public static func inspect(_ archive: PackageArchive) throws(Refusal) -> (package: ScormPackage, root: String) {
        var root = ""
        if !archive.contains("imsmanifest.xml") {
            let folders = Set(archive.files.keys.map { $0.split(separator: "/").first.map(String.init) ?? "" })
            if folders.count == 1, let folder = folders.first, archive.contains(folder + "/imsmanifest.xml") {
                root = folder + "/"
            } else if archive.files.keys.contains(where: { $0.lowercased().hasSuffix(".crs") || $0.lowercased().hasSuffix(".au") }) {
                throw Refusal(reasons: ["is an AICC course (.crs and .au files), not a SCORM package: it has no imsmanifest.xml"])
            } else {
                throw Refusal(reasons: ["is not a SCORM package: it has no imsmanifest.xml at its root"])
            }
        }
        let manifest: Data
        do { manifest = try archive.read(root + "imsmanifest.xml") } catch { throw Refusal(reasons: [error.description]) }
        let files = Set(archive.files.keys.filter { $0.hasPrefix(root) }.map { String($0.dropFirst(root.count)) })
        return (try inspect(manifest: manifest, files: files), root)
    }

    /// Checks a manifest alone. `files` are the package's paths relative to the manifest; files the manifest
    /// names but the package lacks are warnings, since such a package still imports (and may be completed later).
    public static func inspect(manifest data: Data, files: Set<String>) throws(Refusal) -> ScormPackage {
        let tree: XMLTree
        do { tree = try XMLTree.parse(data) } catch { throw Refusal(reasons: ["imsmanifest.xml " + error.description]) }
        var reader = Reader(tree: tree, files: files)
        return try reader.read()
    }

    private struct Reader {
        let tree: XMLTree
        let files: Set<String>
        var errors: [String] = []
        var warnings: [String] = []
        var resources: [String: XMLTree] = [:]
        var resourceBase = ""
        var collections: [String: XMLTree] = [:]
        var seenItems: Set<String> = []
        var version = ScormVersion.scorm12

        init(tree: XMLTree, files: Set<String>) {
            self.tree = tree
            self.files = files
        }

        mutating func read() throws(Refusal) -> ScormPackage {
            guard tree.name == "manifest" else { throw Refusal(reasons: ["imsmanifest.xml has <\(tree.name)> at its root, not <manifest>"]) }
            version = edition()
            let identifier = tree.attribute("identifier")?.trimmed ?? ""
            if identifier.isEmpty { errors.append("the manifest has no identifier") }
            readResources()
            for collection in tree.child("sequencingCollection")?.children("sequencing") ?? [] {
                if let id = collection.attribute("ID") { collections[id] = collection }
            }
            let organisation = readOrganisation()
            if !errors.isEmpty { throw Refusal(reasons: errors) }
            guard let organisation else { throw Refusal(reasons: ["the manifest has no organization to launch"]) }
            if organisation.leaves.isEmpty {
                throw Refusal(reasons: ["no item of the organization ‘\(organisation.identifier)’ launches anything: every item lacks a resource with an href"])
            }
            return ScormPackage(version: version, identifier: identifier, title: organisation.title, organisation: organisation, warnings: warnings)
        }

        /// The edition by `<schemaversion>`, else by the namespaces (SCORM 1.2's content packaging, 2004's ADL ones).
        func edition() -> ScormVersion {
            let declared = (tree.descendant("metadata", "schemaversion")?.text ?? "").lowercased()
            if declared == "1.2" { return .scorm12 }
            if declared.contains("4th") { return .scorm2004v4 }
            if declared.contains("3rd") { return .scorm2004v3 }
            if declared.contains("2nd") || declared == "cam 1.3" || declared.hasPrefix("2004") { return .scorm2004v2 }
            if tree.namespace.contains("imscp_rootv1p1p2") { return .scorm12 }
            let namespaces = tree.attributes.values.joined(separator: " ")
            if namespaces.contains("adlcp_rootv1p2") { return .scorm12 }
            if namespaces.contains("adlcp_v1p3") { return .scorm2004v3 }
            return .scorm2004v2
        }

        mutating func readResources() {
            guard let section = tree.child("resources") else {
                errors.append("the manifest has no <resources>")
                return
            }
            resourceBase = (tree.attribute("base") ?? "") + (section.attribute("base") ?? "")
            for resource in section.children("resource") {
                guard let id = resource.attribute("identifier")?.trimmed, !id.isEmpty else {
                    errors.append("a <resource> has no identifier")
                    continue
                }
                if resources[id] != nil { errors.append("the resource identifier ‘\(id)’ is used twice") }
                resources[id] = resource
            }
        }

        mutating func readOrganisation() -> ScormActivity? {
            guard let section = tree.child("organizations") else {
                errors.append("the manifest has no <organizations>")
                return nil
            }
            let organisations = section.children("organization")
            var read: [String: ScormActivity] = [:]
            var first: ScormActivity?
            for organisation in organisations {
                guard let id = organisation.attribute("identifier")?.trimmed, !id.isEmpty else {
                    errors.append("an <organization> has no identifier")
                    continue
                }
                let title = organisation.child("title")?.text ?? ""
                if title.isEmpty { errors.append("the organization ‘\(id)’ has no <title>") }
                if seenItems.contains(id) { errors.append("the identifier ‘\(id)’ is used twice") }
                seenItems.insert(id)
                let children = organisation.children("item").compactMap { readItem($0) }
                var activity = ScormActivity(identifier: id, title: title, launch: nil, isSCO: false, visible: true, children: children)
                activity.sequencing = sequencing(of: organisation)
                read[id] = activity
                if first == nil { first = activity }
            }
            if let wanted = section.attribute("default")?.trimmed, !wanted.isEmpty {
                guard let chosen = read[wanted] else {
                    errors.append("the default organization ‘\(wanted)’ is not one of the manifest's organizations")
                    return nil
                }
                return chosen
            }
            return first
        }

        mutating func readItem(_ item: XMLTree) -> ScormActivity? {
            guard let id = item.attribute("identifier")?.trimmed, !id.isEmpty else {
                errors.append("an <item> has no identifier")
                return nil
            }
            if seenItems.contains(id) { errors.append("the identifier ‘\(id)’ is used twice") }
            seenItems.insert(id)
            let title = item.child("title")?.text ?? ""
            if title.isEmpty { errors.append("the item ‘\(id)’ has no <title>") }
            let children = item.children("item").compactMap { readItem($0) }
            var activity = ScormActivity(identifier: id, title: title, launch: nil, isSCO: false,
                                         visible: item.attribute("isvisible").map { $0 != "false" } ?? true, children: children)
            activity.sequencing = sequencing(of: item)
            if children.isEmpty, let reference = item.attribute("identifierref")?.trimmed, !reference.isEmpty {
                if let resource = resources[reference] {
                    resolve(&activity, resource: resource, parameters: item.attribute("parameters"))
                } else {
                    warnings.append("the item ‘\(id)’ names the resource ‘\(reference)’, which the manifest lacks: it is left out")
                }
            } else if children.isEmpty {
                warnings.append("the item ‘\(id)’ has neither a resource nor items of its own: it is left out")
            }
            let number = { (name: String) in (item.child(name)?.text).flatMap(Double.init) }
            activity.launchData = item.child("datafromlms")?.text ?? item.child("dataFromLMS")?.text
            activity.masteryScore = number("masteryscore")
            activity.timeLimitAction = item.child("timelimitaction")?.text ?? item.child("timeLimitAction")?.text
            if let threshold = item.child("completionThreshold") {
                activity.completionThreshold = Double(threshold.text) ?? threshold.attribute("minProgressMeasure").flatMap(Double.init)
            }
            activity.scaledPassingScore = activity.sequencing?.objectives.first { $0.primary && $0.satisfiedByMeasure }?.minNormalizedMeasure
            return activity
        }

        mutating func resolve(_ activity: inout ScormActivity, resource: XMLTree, parameters: String?) {
            let scormType = resource.attribute("scormtype", anyCase: true)?.lowercased() ?? "asset"
            guard let href = resource.attribute("href")?.trimmed, !href.isEmpty else {
                errors.append("the \(scormType == "sco" ? "SCO" : "resource") ‘\(resource.attribute("identifier") ?? "")’ of the item ‘\(activity.identifier)’ has no href to launch")
                return
            }
            let base = resourceBase + (resource.attribute("base") ?? "")
            let address = base + href
            if address.contains("://") {
                activity.launch = address + joined(parameters, to: address)
            } else {
                let path = String(address.prefix { $0 != "?" && $0 != "#" })
                guard let normalised = PackageArchive.normalised(path.removingPercentEncoding ?? path) else {
                    errors.append("the launch address ‘\(href)’ of the item ‘\(activity.identifier)’ leaves the package")
                    return
                }
                if !files.contains(normalised) {
                    warnings.append("the launch file ‘\(normalised)’ of the item ‘\(activity.identifier)’ is not in the package")
                }
                let rest = String(address.dropFirst(path.count))
                activity.launch = normalised + rest + joined(parameters, to: address)
            }
            activity.isSCO = scormType == "sco"
            let missing = resource.children("file").compactMap { $0.attribute("href") }
                .compactMap { PackageArchive.normalised(base + ($0.removingPercentEncoding ?? $0)) }
                .filter { !files.contains($0) && !$0.contains("://") }
            if !missing.isEmpty {
                warnings.append("the resource ‘\(resource.attribute("identifier") ?? "")’ names \(missing.count) file\(missing.count == 1 ? "" : "s") the package lacks: "
                    + missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", …" : ""))
            }
        }

        /// An item's `parameters` added to its launch address (IMS CP's rules: drop a leading `?` or `&` when the
        /// address already has a query, keep a fragment as it is).
        func joined(_ parameters: String?, to address: String) -> String {
            guard var parameters = parameters?.trimmed, !parameters.isEmpty else { return "" }
            if parameters.hasPrefix("#") { return address.contains("#") ? "" : parameters }
            while parameters.hasPrefix("?") || parameters.hasPrefix("&") { parameters.removeFirst() }
            return (address.contains("?") ? "&" : "?") + parameters
        }

        func sequencing(of node: XMLTree) -> ScormSequencing? {
            guard version.is2004 else { return nil }
            let own = node.child("sequencing")
            let shared = own?.attribute("IDRef").flatMap { collections[$0] }
            guard own != nil || shared != nil else { return nil }
            var result = ScormSequencing()
            for source in [shared, own].compactMap({ $0 }) {
                if let mode = source.child("controlMode") {
                    let flag = { (name: String, current: Bool) in mode.attribute(name).map { $0 == "true" } ?? current }
                    result.controlMode.choice = flag("choice", result.controlMode.choice)
                    result.controlMode.choiceExit = flag("choiceExit", result.controlMode.choiceExit)
                    result.controlMode.flow = flag("flow", result.controlMode.flow)
                    result.controlMode.forwardOnly = flag("forwardOnly", result.controlMode.forwardOnly)
                }
                let rules = source.child("sequencingRules")?.children("preConditionRule") ?? []
                if !rules.isEmpty { result.preConditions = rules.map(rule) }
                if let objectives = source.child("objectives") {
                    result.objectives = objectives.children.compactMap(objective)
                }
            }
            return result
        }

        func rule(_ node: XMLTree) -> ScormSequencing.Rule {
            let conditions = node.child("ruleConditions")
            return ScormSequencing.Rule(
                any: conditions?.attribute("conditionCombination") == "any",
                conditions: (conditions?.children("ruleCondition") ?? []).map {
                    ScormSequencing.Condition(objective: $0.attribute("referencedObjective"), condition: $0.attribute("condition") ?? "always",
                                              not: $0.attribute("operator") == "not")
                },
                action: node.child("ruleAction")?.attribute("action") ?? "skip")
        }

        func objective(_ node: XMLTree) -> ScormSequencing.Objective? {
            guard node.name == "primaryObjective" || node.name == "objective" else { return nil }
            return ScormSequencing.Objective(
                id: node.attribute("objectiveID") ?? "",
                primary: node.name == "primaryObjective",
                satisfiedByMeasure: node.attribute("satisfiedByMeasure") == "true",
                minNormalizedMeasure: (node.child("minNormalizedMeasure")?.text).flatMap(Double.init) ?? (node.attribute("satisfiedByMeasure") == "true" ? 1 : nil),
                maps: node.children("mapInfo").map {
                    .init(target: $0.attribute("targetObjectiveID") ?? "", readSatisfied: $0.attribute("readSatisfiedStatus") != "false",
                          writeSatisfied: $0.attribute("writeSatisfiedStatus") == "true")
                })
        }
    }
}
