import Foundation

/// The tiers of a training cascade (the Jan Seva shape): the coordinator certifies lead trainers, lead trainers certify
/// master trainers in training-of-trainers batches, certified master trainers run the one-day batches that certify
/// participants.
public enum CascadeTier: String, Codable, Sendable, CaseIterable {
    case lead, master, participant

    /// The tier whose certified people run the batches that certify this tier; nil for leads (certified by the coordinator).
    public var trainedBy: CascadeTier? {
        switch self {
        case .lead: nil
        case .master: .lead
        case .participant: .master
        }
    }

    /// The rule for who opens a batch that certifies this tier: a trainer certified in the tier above, in this cascade.
    public static func mayOpen(batchFor tier: CascadeTier, trainerTiers: Set<CascadeTier>) -> FieldError? {
        guard let needed = tier.trainedBy else {
            return FieldError("tier", "lead trainers are certified by the cascade's coordinator, not in a batch")
        }
        guard trainerTiers.contains(needed) else {
            return FieldError("trainerId", "only a certified \(needed == .lead ? "lead" : "master") trainer of this cascade opens a batch for \(tier.rawValue)s")
        }
        return nil
    }
}

/// The day's plan of a cascade batch: modules, each with its length, that fit in one working day. The Jan Seva
/// template has four.
public struct CascadeTemplate: Hashable, Sendable, Codable {
    public struct Module: Hashable, Sendable, Codable {
        public var title: String
        public var titleHi: String?
        public var minutes: Int

        public init(title: String, titleHi: String? = nil, minutes: Int) {
            self.title = title
            self.titleHi = titleHi
            self.minutes = minutes
        }
    }

    public static let maximumModules = 8
    /// A working day of training, breaks aside.
    public static let maximumMinutes = 8 * 60

    public var modules: [Module]

    public init(modules: [Module]) { self.modules = modules }

    public var problems: [FieldError] {
        guard (1...Self.maximumModules).contains(modules.count) else { return [FieldError("modules", "give from 1 to \(Self.maximumModules) modules")] }
        var problems: [FieldError] = []
        for (index, module) in modules.enumerated() {
            let title = module.title.trimmingCharacters(in: .whitespacesAndNewlines)
            if title.isEmpty || title.unicodeScalars.count > 200 { problems.append(FieldError("modules[\(index)].title", "is required, at most 200 characters")) }
            if (module.titleHi?.unicodeScalars.count ?? 0) > 200 { problems.append(FieldError("modules[\(index)].titleHi", "must be at most 200 characters")) }
            if !(10...240).contains(module.minutes) { problems.append(FieldError("modules[\(index)].minutes", "must be from 10 to 240")) }
        }
        if problems.isEmpty, modules.map(\.minutes).reduce(0, +) > Self.maximumMinutes {
            problems.append(FieldError("modules", "the modules must fit in one day: at most \(Self.maximumMinutes) minutes together"))
        }
        return problems
    }
}

/// The counters of a cascade's reach in one scope (on one day, or over all days).
public struct CascadeReach: Hashable, Sendable, Codable {
    public var leadTrainers = 0
    public var masterTrainers = 0
    public var batches = 0
    public var participants = 0

    public init(leadTrainers: Int = 0, masterTrainers: Int = 0, batches: Int = 0, participants: Int = 0) {
        self.leadTrainers = leadTrainers
        self.masterTrainers = masterTrainers
        self.batches = batches
        self.participants = participants
    }

    /// A certification of a person in `tier` counts once in each of their scopes.
    public static func certified(_ tier: CascadeTier) -> CascadeReach {
        switch tier {
        case .lead: CascadeReach(leadTrainers: 1)
        case .master: CascadeReach(masterTrainers: 1)
        case .participant: CascadeReach(participants: 1)
        }
    }

    public static func += (a: inout CascadeReach, b: CascadeReach) {
        a.leadTrainers += b.leadTrainers
        a.masterTrainers += b.masterTrainers
        a.batches += b.batches
        a.participants += b.participants
    }

    public var isEmpty: Bool { self == CascadeReach() }
}

/// How many batches each trainer ran, as a histogram: how many trainers ran 1, 2, … batches, with those beyond
/// `openEnded` counted together.
public enum TrainerLoad {
    public static let openEnded = 10

    public static func histogram(_ counts: [(batches: Int, trainers: Int)]) -> [(batches: Int, trainers: Int, orMore: Bool)] {
        var buckets: [Int: Int] = [:]
        for (batches, trainers) in counts { buckets[min(batches, openEnded), default: 0] += trainers }
        return buckets.keys.sorted().map { ($0, buckets[$0]!, $0 == openEnded) }
    }
}

/// The published shape of the Jan Seva cascade (Rashtriya Karmayogi Jan Seva programme): 822 lead trainers,
/// 15,820 master trainers, 25,388 one-day batches, 7.68 lakh participants certified.
public struct CascadeShape: Hashable, Sendable {
    public static let published = CascadeShape(leads: 822, masters: 15_820, batches: 25_388, participants: 768_000)

    public var leads: Int
    public var masters: Int
    public var batches: Int
    public var participants: Int

    public init(leads: Int, masters: Int, batches: Int, participants: Int) {
        self.leads = leads
        self.masters = masters
        self.batches = batches
        self.participants = participants
    }

    /// The shape at a fraction of its size (at least one of each); nil for a fraction outside (0, 1].
    public static func scaled(_ fraction: Double) -> CascadeShape? {
        guard fraction > 0, fraction <= 1 else { return nil }
        func part(_ n: Int) -> Int { max(1, Int((Double(n) * fraction).rounded())) }
        let p = published
        return CascadeShape(leads: part(p.leads), masters: max(part(p.masters), part(p.leads)), batches: max(part(p.batches), part(p.masters)),
                            participants: max(part(p.participants), part(p.batches)))
    }

    /// How many participants batch `index` certifies, spread so that every batch certifies some and the total is `participants`.
    public func participants(inBatch index: Int) -> Int {
        participants / batches + (index < participants % batches ? 1 : 0)
    }
}
