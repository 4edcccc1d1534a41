import Foundation

/// SCORM 2004 sequencing as the course player applies it between a package's activities: pre-condition rules over
/// local and global objectives (forced order: a part stays shut until the one before is satisfied), flow (where
/// `continue` and `previous` lead) and choice (whether the learner may pick a part from the list).
public enum ScormNavigation {
    /// What the platform knows of one activity for one learner, from their attempts.
    public struct Known: Equatable, Sendable {
        public var attempted: Bool
        public var completed: Bool?
        public var satisfied: Bool?

        public init(attempted: Bool = false, completed: Bool? = nil, satisfied: Bool? = nil) {
            self.attempted = attempted
            self.completed = completed
            self.satisfied = satisfied
        }

        /// Read off an attempt's committed data (2004's completion and success; 1.2's lesson status).
        public init(_ values: [String: String]) {
            attempted = !values.isEmpty
            if let status = values["cmi.core.lesson_status"] {
                completed = ["completed", "passed"].contains(status) ? true : ["incomplete", "failed"].contains(status) ? false : nil
                satisfied = status == "passed" ? true : status == "failed" ? false : nil
            } else {
                let completion = values["cmi.completion_status"]
                completed = completion == "completed" ? true : completion == "incomplete" ? false : nil
                let success = values["cmi.success_status"]
                satisfied = success == "passed" ? true : success == "failed" ? false : nil
            }
        }
    }

    public enum Availability: String, Codable, Sendable {
        /// May be launched by choice.
        case open
        /// Shown, but may not be launched (a `disabled` rule holds).
        case disabled
        /// Not offered for choice (`hiddenFromChoice`), though flow may reach it.
        case hidden
        /// Passed over by flow (`skip`), and not offered for choice.
        case skipped
    }

    /// The global objectives the activities write (a map with `writeSatisfied`): target → satisfied.
    static func globals(_ leaves: [ScormActivity], _ known: [String: Known]) -> [String: Bool] {
        var globals: [String: Bool] = [:]
        for leaf in leaves {
            guard let satisfied = known[leaf.identifier]?.satisfied ?? (known[leaf.identifier]?.completed == true && leaf.scaledPassingScore == nil ? true : nil) else { continue }
            for objective in leaf.sequencing?.objectives ?? [] where objective.primary {
                for map in objective.maps where map.writeSatisfied { globals[map.target] = satisfied }
            }
        }
        return globals
    }

    /// Each launchable activity's availability to the learner, by its pre-condition rules.
    public static func availability(of package: ScormPackage, known: [String: Known]) -> [String: Availability] {
        let leaves = package.leaves
        let globals = globals(leaves, known)
        var result: [String: Availability] = [:]
        for leaf in leaves {
            var availability = Availability.open
            for rule in leaf.sequencing?.preConditions ?? [] where holds(rule, for: leaf, known: known, globals: globals) {
                switch rule.action {
                case "disabled": availability = .disabled
                case "skip": if availability == .open || availability == .hidden { availability = .skipped }
                case "hiddenFromChoice": if availability == .open { availability = .hidden }
                default: break
                }
            }
            if availability == .open, !(package.organisation.sequencing?.controlMode.choice ?? true) { availability = .hidden }
            result[leaf.identifier] = availability
        }
        return result
    }

    /// What a learner may launch from the course's page: the activities open to choice, and — where choice is off
    /// or hides them — the one the flow has reached (the first not yet completed that is neither skipped nor shut).
    public static func offered(of package: ScormPackage, known: [String: Known]) -> [String: Availability] {
        var result = availability(of: package, known: known)
        if let current = package.leaves.first(where: { known[$0.identifier]?.completed != true && result[$0.identifier] != .skipped }),
           result[current.identifier] == .hidden {
            result[current.identifier] = .open
        }
        return result
    }

    static func holds(_ rule: ScormSequencing.Rule, for leaf: ScormActivity, known: [String: Known], globals: [String: Bool]) -> Bool {
        let results = rule.conditions.map { condition -> Bool in
            let satisfied = objective(condition.objective, of: leaf, known: known, globals: globals)
            let value: Bool
            switch condition.condition {
            case "satisfied": value = satisfied == true
            case "objectiveStatusKnown": value = satisfied != nil
            case "completed", "activityProgressKnown": value = condition.condition == "completed" ? known[leaf.identifier]?.completed == true
                : known[leaf.identifier]?.completed != nil
            case "attempted": value = known[leaf.identifier]?.attempted == true
            case "always": value = true
            default: value = false
            }
            return condition.not ? !value : value
        }
        guard !results.isEmpty else { return false }
        return rule.any ? results.contains(true) : results.allSatisfy { $0 }
    }

    /// The satisfied status of one of the activity's objectives (its primary when `id` is nil): read from the global
    /// objective it maps (`readSatisfied`) where there is one, else the activity's own.
    static func objective(_ id: String?, of leaf: ScormActivity, known: [String: Known], globals: [String: Bool]) -> Bool? {
        let objectives = leaf.sequencing?.objectives ?? []
        let chosen = id.flatMap { id in objectives.first { $0.id == id } } ?? (id == nil ? objectives.first { $0.primary } : nil)
        if let chosen, let map = chosen.maps.first(where: \.readSatisfied), let global = globals[map.target] { return global }
        if let chosen, !chosen.primary { return nil }
        return known[leaf.identifier]?.satisfied
    }

    /// Where `continue` leads from `current` under flow: the next activity that is not skipped (a disabled one
    /// stops the flow: the learner must satisfy what it waits for first). Nil at the end, or when flow is off.
    public static func next(after current: String, in package: ScormPackage, known: [String: Known]) -> String? {
        step(from: current, by: 1, in: package, known: known)
    }

    /// Where `previous` leads; nil at the start, or when the package moves forward only.
    public static func previous(before current: String, in package: ScormPackage, known: [String: Known]) -> String? {
        if package.organisation.sequencing?.controlMode.forwardOnly == true { return nil }
        return step(from: current, by: -1, in: package, known: known)
    }

    static func step(from current: String, by direction: Int, in package: ScormPackage, known: [String: Known]) -> String? {
        guard package.organisation.sequencing?.controlMode.flow ?? true else { return nil }
        let leaves = package.leaves
        guard var index = leaves.firstIndex(where: { $0.identifier == current }) else { return nil }
        let availability = availability(of: package, known: known)
        while true {
            index += direction
            guard leaves.indices.contains(index) else { return nil }
            switch availability[leaves[index].identifier] {
            case .skipped: continue
            case .disabled: return nil
            default: return leaves[index].identifier
            }
        }
    }
}
