import Foundation

/// What a version changes against the one published before it: what a reviewer reads first.
public enum CourseChange: Equatable, Sendable {
    /// A course field: title, summary, description, keywords, language, durationMinutes.
    case field(String)
    case competencyAdded(UUID, level: Int)
    case competencyRemoved(UUID)
    case competencyLevel(UUID, from: Int, to: Int)
    case moduleAdded(String)
    case moduleRemoved(String)
    case moduleRenamed(from: String, to: String)
    case modulesReordered
    case itemAdded(UUID, title: String)
    case itemRemoved(title: String)
    /// An item's changed parts: title, kind, durationMinutes, required, url (a new file or link), questions.
    case itemChanged(UUID, title: String, parts: [String])
    case itemsReordered(module: String)

    /// The changes from `old` (the published version; nil for a course never published) to `new`, in reading order.
    public static func changes(from old: CourseContent?, to new: CourseContent) -> [CourseChange] {
        guard let old else { return [] }
        var changes: [CourseChange] = []
        let fields: [(String, Bool)] = [("title", old.title != new.title), ("summary", old.summary != new.summary), ("description", old.description != new.description),
                                        ("keywords", old.keywords != new.keywords), ("language", old.language != new.language),
                                        ("durationMinutes", old.durationMinutes != new.durationMinutes)]
        changes += fields.filter(\.1).map { .field($0.0) }
        let before = Dictionary(old.competencies.map { ($0.competencyId, $0.level) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new.competencies.map { ($0.competencyId, $0.level) }, uniquingKeysWith: { first, _ in first })
        for requirement in new.competencies {
            if let level = before[requirement.competencyId] {
                if level != requirement.level { changes.append(.competencyLevel(requirement.competencyId, from: level, to: requirement.level)) }
            } else {
                changes.append(.competencyAdded(requirement.competencyId, level: requirement.level))
            }
        }
        changes += old.competencies.filter { after[$0.competencyId] == nil }.map { .competencyRemoved($0.competencyId) }

        let oldModules = Dictionary(old.modules.compactMap { module in module.id.map { ($0, module) } }, uniquingKeysWith: { first, _ in first })
        let newModuleIDs = Set(new.modules.compactMap(\.id))
        for module in new.modules {
            guard let id = module.id, let previous = oldModules[id] else { changes.append(.moduleAdded(module.title)); continue }
            if previous.title != module.title { changes.append(.moduleRenamed(from: previous.title, to: module.title)) }
        }
        changes += old.modules.filter { $0.id.map { !newModuleIDs.contains($0) } ?? true }.map { .moduleRemoved($0.title) }
        let kept = new.modules.compactMap(\.id).filter { oldModules[$0] != nil }
        if kept != old.modules.compactMap(\.id).filter(newModuleIDs.contains) { changes.append(.modulesReordered) }

        let oldItems = Dictionary(old.modules.flatMap(\.items).compactMap { item in item.id.map { ($0, item) } }, uniquingKeysWith: { first, _ in first })
        let newItemIDs = Set(new.modules.flatMap(\.items).compactMap(\.id))
        for module in new.modules {
            for item in module.items {
                guard let id = item.id, let previous = oldItems[id] else { changes.append(.itemAdded(item.id ?? UUID(), title: item.title)); continue }
                let parts: [(String, Bool)] = [("title", previous.title != item.title), ("kind", previous.kind != item.kind),
                                               ("durationMinutes", previous.durationMinutes != item.durationMinutes), ("required", previous.required != item.required),
                                               ("url", previous.url != item.url), ("questions", previous.assessment != item.assessment)]
                let changed = parts.filter(\.1).map(\.0)
                if !changed.isEmpty { changes.append(.itemChanged(id, title: item.title, parts: changed)) }
            }
            if let id = module.id, let previous = oldModules[id] {
                let order = module.items.compactMap(\.id).filter { oldItems[$0] != nil }
                let was = previous.items.compactMap(\.id).filter(Set(order).contains)
                if order != was { changes.append(.itemsReordered(module: module.title)) }
            }
        }
        changes += old.modules.flatMap(\.items).filter { $0.id.map { !newItemIDs.contains($0) } ?? true }.map { .itemRemoved(title: $0.title) }
        return changes
    }

    /// The items a change touches (added or changed), to mark them where they are shown.
    public var itemID: UUID? {
        switch self {
        case .itemAdded(let id, _), .itemChanged(let id, _, _): id
        default: nil
        }
    }
}
