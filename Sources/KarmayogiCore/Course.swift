import Foundation

/// What a course is made of, and the rules a version must meet to be saved and to be published.
public enum ContentKind: String, Codable, CaseIterable, Sendable {
    case video, document, web, scorm, xapi, assessment, offline, link
    /// An assignable unit of an imported cmi5 course, named by its `url` "cmi5:<package id>/<AU id>".
    case cmi5
    /// A case study of the Amrit Gyaan Kosh, named by its `url` "case:<id>".
    case caseStudy = "case_study"
    /// A tool of another system launched with LTI 1.3, named by its `url` "lti:<tool id>".
    case lti
}

extension CourseContent.Item {
    /// Where a browser opens the item: a stored file at /content/<sha256>, a case study at /cases/<id>, else its URL.
    public var href: String? {
        guard let url else { return nil }
        if url.hasPrefix("content:") { return "/content/" + url.dropFirst("content:".count) }
        if kind == .caseStudy, let id = CaseItemReference.caseID(url) { return "/cases/" + id.uuidString.lowercased() }
        return url
    }
}

/// How a course item names a case study of the Kosh: "case:<id>". An editor may paste the case's address instead.
public enum CaseItemReference {
    public static let prefix = "case:"

    /// The case's id in a reference "case:<id>", or in a pasted address ending "/cases/<id>".
    public static func caseID(_ text: String) -> UUID? {
        let text = text.trimmed
        if text.hasPrefix(prefix) { return UUIDText.parse(String(text.dropFirst(prefix.count))) }
        guard let range = text.range(of: "/cases/", options: .backwards) else { return nil }
        let rest = text[range.upperBound...].prefix { $0 != "?" && $0 != "#" && $0 != "/" }
        return UUIDText.parse(String(rest))
    }

    public static func reference(_ id: UUID) -> String { prefix + id.uuidString.lowercased() }
}

/// How a course item names one activity of an imported content package: "scorm:<package id>/<activity identifier>",
/// or "cmi5:<package id>/<AU id>" for an assignable unit of a cmi5 course.
public struct PackageItemReference: Equatable, Hashable, Sendable {
    public static let prefix = "scorm:"
    public static let cmi5Prefix = "cmi5:"
    public var package: UUID
    public var activity: String
    /// The item kind the reference is for: `.scorm` or `.cmi5`.
    public var kind: ContentKind

    public init(package: UUID, activity: String, kind: ContentKind = .scorm) {
        self.package = package
        self.activity = activity
        self.kind = kind
    }

    public init?(_ text: String) {
        let kind: ContentKind = text.hasPrefix(Self.cmi5Prefix) ? .cmi5 : .scorm
        let prefix = kind == .cmi5 ? Self.cmi5Prefix : Self.prefix
        guard text.hasPrefix(prefix) else { return nil }
        let rest = text.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/"), let id = UUIDText.parse(String(rest[..<slash])) else { return nil }
        let activity = String(rest[rest.index(after: slash)...])
        guard !activity.isEmpty, activity.count <= 500 else { return nil }
        self.init(package: id, activity: activity, kind: kind)
    }

    public var text: String { (kind == .cmi5 ? Self.cmi5Prefix : Self.prefix) + package.uuidString.lowercased() + "/" + activity }
}

public struct CourseContent: Codable, Equatable, Sendable {
    public struct Module: Codable, Equatable, Sendable {
        public var id: UUID?
        public var title: String
        public var items: [Item]

        public init(id: UUID? = nil, title: String, items: [Item]) {
            self.id = id
            self.title = title
            self.items = items
        }
    }

    public struct Item: Codable, Equatable, Sendable {
        /// Kept from version to version, so progress on an item outlives edits of the course.
        public var id: UUID?
        public var title: String
        public var kind: ContentKind
        public var durationMinutes: Int
        public var required: Bool
        /// Where the content lives: a URL for web pages and links, a content-store reference for uploads.
        public var url: String?
        /// For an assessment item: its question bank and rules (never shown to learners; attempts draw from it).
        public var assessment: AssessmentSpec?

        public init(id: UUID? = nil, title: String, kind: ContentKind, durationMinutes: Int, required: Bool, url: String? = nil,
                    assessment: AssessmentSpec? = nil) {
            self.id = id
            self.title = title
            self.kind = kind
            self.durationMinutes = durationMinutes
            self.required = required
            self.url = url
            self.assessment = assessment
        }
    }

    public var title: String
    public var summary: String
    public var description: String
    public var keywords: [String]
    public var language: String
    public var durationMinutes: Int
    public var competencies: [RoleRequirement]
    public var modules: [Module]

    public init(title: String, summary: String, description: String, keywords: [String], language: String, durationMinutes: Int,
                competencies: [RoleRequirement], modules: [Module]) {
        self.title = title
        self.summary = summary
        self.description = description
        self.keywords = keywords
        self.language = language
        self.durationMinutes = durationMinutes
        self.competencies = competencies
        self.modules = modules
    }

    /// Field errors that stop a version from being saved at all.
    public func problems(current: Set<UUID>, retired: Set<UUID>) -> [FieldError] {
        var errors: [FieldError] = []
        if title.trimmed.isEmpty || title.count > 300 { errors.append(.init("title", "must be 1–300 characters")) }
        if summary.count > 1000 { errors.append(.init("summary", "must be at most 1,000 characters")) }
        if description.count > 20000 { errors.append(.init("description", "must be at most 20,000 characters")) }
        if keywords.count > 30 { errors.append(.init("keywords", "at most 30 keywords")) }
        for (index, keyword) in keywords.enumerated() where keyword.trimmed.isEmpty || keyword.count > 60 {
            errors.append(.init("keywords[\(index)]", "must be 1–60 characters"))
        }
        if Language.named(language) == nil { errors.append(.init("language", "is not one of the platform's languages (ISO 639 code)")) }
        if !(1...100_000).contains(durationMinutes) { errors.append(.init("durationMinutes", "must be from 1 to 100,000 minutes")) }
        errors += RoleRequirement.problems(competencies, current: current, retired: retired)
        if modules.count > 200 { errors.append(.init("modules", "at most 200 modules")) }
        var itemIDs = Set<UUID>()
        for (m, module) in modules.enumerated() {
            if module.title.trimmed.isEmpty || module.title.count > 300 { errors.append(.init("modules[\(m)].title", "must be 1–300 characters")) }
            if module.items.count > 500 { errors.append(.init("modules[\(m)].items", "at most 500 items in a module")) }
            for (i, item) in module.items.enumerated() {
                let field = "modules[\(m)].items[\(i)]"
                if item.title.trimmed.isEmpty || item.title.count > 300 { errors.append(.init("\(field).title", "must be 1–300 characters")) }
                if !(0...10_000).contains(item.durationMinutes) { errors.append(.init("\(field).durationMinutes", "must be from 0 to 10,000 minutes")) }
                if let id = item.id, !itemIDs.insert(id).inserted { errors.append(.init("\(field).id", "is used by another item")) }
                if item.kind == .caseStudy {
                    if item.url.map({ !$0.hasPrefix(CaseItemReference.prefix) || CaseItemReference.caseID($0) == nil }) ?? true {
                        errors.append(.init("\(field).url", "a case study item names its case: case:<id>, or the case's address"))
                    }
                } else if item.kind == .scorm {
                    if let url = item.url, PackageItemReference(url)?.kind != .scorm {
                        errors.append(.init("\(field).url", "a SCORM item names an activity of an imported package: scorm:<package id>/<activity>; upload the package to import it"))
                    }
                } else if item.kind == .cmi5 {
                    if item.url.flatMap(PackageItemReference.init)?.kind != .cmi5 {
                        errors.append(.init("\(field).url", "a cmi5 item names an assignable unit of an imported course: cmi5:<package id>/<AU id>; upload its cmi5.xml or ZIP to import it"))
                    }
                } else if item.kind == .lti {
                    if item.url.flatMap(LTIItemReference.toolID) == nil {
                        errors.append(.init("\(field).url", "an LTI item names a tool its provider or the platform registered: lti:<tool id>"))
                    }
                } else if let url = item.url, url.count > 2000 || !(url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("content:")) {
                    errors.append(.init("\(field).url", "must be an http(s) address or a content-store reference"))
                }
                if [.web, .link].contains(item.kind), item.url == nil { errors.append(.init("\(field).url", "is required for a \(item.kind.rawValue) item")) }
                if let spec = item.assessment {
                    if item.kind == .assessment { errors += spec.problems(field: "\(field).assessment") }
                    else { errors.append(.init("\(field).assessment", "only an assessment item has questions")) }
                }
            }
        }
        return errors
    }

    /// Further errors that stop a saved version from going to review or being published.
    public var publishProblems: [FieldError] {
        var errors: [FieldError] = []
        if modules.isEmpty { errors.append(.init("modules", "a course needs at least one module")) }
        for (m, module) in modules.enumerated() {
            if module.items.isEmpty { errors.append(.init("modules[\(m)].items", "module '\(module.title)' is empty")) }
            for (i, item) in module.items.enumerated() where item.kind == .assessment && item.assessment == nil {
                errors.append(.init("modules[\(m)].items[\(i)].assessment", "assessment '\(item.title)' has no questions yet"))
            }
        }
        if !modules.isEmpty, !modules.contains(where: { $0.items.contains(where: \.required) }) {
            errors.append(.init("modules", "at least one item must be required, or the course could never be completed"))
        }
        return errors
    }

    /// The case studies the course's items name, with each item's field.
    public var caseItems: [(field: String, caseID: UUID)] {
        modules.enumerated().flatMap { m, module in
            module.items.enumerated().compactMap { i, item in
                guard item.kind == .caseStudy, let url = item.url, let id = CaseItemReference.caseID(url) else { return nil }
                return ("modules[\(m)].items[\(i)].url", id)
            }
        }
    }

    /// The LTI tools the course's items launch, with each item's field.
    public var toolItems: [(field: String, toolID: UUID)] {
        modules.enumerated().flatMap { m, module in
            module.items.enumerated().compactMap { i, item in
                guard item.kind == .lti, let id = item.url.flatMap(LTIItemReference.toolID) else { return nil }
                return ("modules[\(m)].items[\(i)].url", id)
            }
        }
    }

    /// The package activities the course's SCORM and cmi5 items name, with each item's field.
    public var packageItems: [(field: String, reference: PackageItemReference)] {
        modules.enumerated().flatMap { m, module in
            module.items.enumerated().compactMap { i, item in
                guard item.kind == .scorm || item.kind == .cmi5, let reference = item.url.flatMap(PackageItemReference.init),
                      reference.kind == item.kind else { return nil }
                return ("modules[\(m)].items[\(i)].url", reference)
            }
        }
    }

    /// Ids for new modules and items; ids already given are kept.
    public func identified() -> CourseContent {
        var content = self
        for m in content.modules.indices {
            if content.modules[m].id == nil { content.modules[m].id = UUID() }
            for i in content.modules[m].items.indices {
                if content.modules[m].items[i].id == nil { content.modules[m].items[i].id = UUID() }
                content.modules[m].items[i].assessment = content.modules[m].items[i].assessment?.identified()
            }
        }
        return content
    }
}

/// The life of a course version: a creator drafts and submits, a reviewer approves or rejects, a
/// publisher publishes, and a published course may be retired. Each step names the role it needs.
public enum CourseState: String, Codable, CaseIterable, Sendable {
    case draft
    case inReview = "in_review"
    case approved
    case published
    case retired
    /// A published version that a newer publication replaced.
    case superseded
}

public enum CourseAction: String, Codable, CaseIterable, Sendable {
    case submit, approve, reject, publish, retire

    public var role: Role {
        switch self {
        case .submit: .contentCreator
        case .approve, .reject: .contentReviewer
        case .publish, .retire: .contentPublisher
        }
    }

    /// The state this action leads to from `state`, or `nil` when it is not allowed there.
    public func next(from state: CourseState) -> CourseState? {
        switch (self, state) {
        case (.submit, .draft): .inReview
        case (.approve, .inReview): .approved
        case (.reject, .inReview), (.reject, .approved): .draft
        case (.publish, .approved): .published
        case (.retire, .published): .retired
        default: nil
        }
    }
}
