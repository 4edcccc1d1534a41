import Foundation

/// A cmi5 course structure (`cmi5.xml`), checked beyond its XSD: every id an absolute IRI and unique, AU urls that
/// are URLs and do not use the launch parameters the LMS adds, moveOn and masteryScore in range, objectives that
/// exist, and — for a standalone file — AUs that live elsewhere (absolute urls); in a package, files that exist.
public struct Cmi5Course: Codable, Equatable, Sendable {
    public enum MoveOn: String, Codable, Sendable, CaseIterable {
        case notApplicable = "NotApplicable", passed = "Passed", completed = "Completed"
        case completedAndPassed = "CompletedAndPassed", completedOrPassed = "CompletedOrPassed"
    }

    public struct AU: Codable, Equatable, Sendable {
        public var id: String
        public var title: String
        public var url: String
        public var moveOn: MoveOn
        public var masteryScore: Double?
        public var launchMethod: String
        public var launchParameters: String?
        public var entitlementKey: String?
        /// The blocks it sits in, outermost first.
        public var blocks: [String]
    }

    public var id: String
    public var title: String
    public var aus: [AU]
}

public enum Cmi5Structure {
    /// Where the structure came from: a `cmi5.xml` alone (its AUs must be absolute URLs), or inside a package
    /// whose files are `files` (nil: not known, as for a structure read without its package).
    public enum Source: Sendable {
        case standalone
        case package(files: Set<String>?)
    }

    public struct Refusal: Error, Equatable, Sendable {
        public var reasons: [String]
        public init(reasons: [String]) { self.reasons = reasons }
    }

    /// The query parameters the LMS adds to every launch: an AU's url may not use them (cmi5 8.1.0.0-6).
    static let reserved: Set<String> = ["endpoint", "fetch", "actor", "registration", "activityId"]

    public static func inspect(_ data: Data, from source: Source) throws(Refusal) -> Cmi5Course {
        let tree: XMLTree
        do { tree = try XMLTree.parse(data) } catch { throw Refusal(reasons: ["cmi5.xml " + error.description]) }
        guard tree.name == "courseStructure" else { throw Refusal(reasons: ["cmi5.xml has <\(tree.name)> at its root, not <courseStructure>"]) }
        var errors: [String] = []
        var seen: Set<String> = []
        func title(of node: XMLTree) -> String {
            node.child("title")?.children("langstring").first(where: { !$0.text.isEmpty })?.text ?? node.child("title")?.text ?? ""
        }
        func identify(_ node: XMLTree, as kind: String, attribute: String = "id") -> String {
            let id = node.attribute(attribute)?.trimmed ?? ""
            if id.isEmpty {
                errors.append("a \(kind) has no id")
            } else if !isAbsoluteIRI(id) {
                errors.append("the \(kind) id ‘\(id)’ is not an absolute IRI (it needs a scheme, such as https:)")
            } else if !seen.insert(id).inserted {
                errors.append("the id ‘\(id)’ is used twice")
            }
            return id
        }
        guard let courseNode = tree.child("course") else { throw Refusal(reasons: ["cmi5.xml has no <course>"]) }
        let courseID = identify(courseNode, as: "course")
        for objective in tree.child("objectives")?.children("objective") ?? [] { _ = identify(objective, as: "objective") }
        let objectives = Set((tree.child("objectives")?.children("objective") ?? []).compactMap { $0.attribute("id") })
        var aus: [Cmi5Course.AU] = []

        func read(_ node: XMLTree, blocks: [String]) {
            for child in node.children {
                switch child.name {
                case "block":
                    let id = identify(child, as: "block")
                    read(child, blocks: blocks + [id])
                case "au":
                    let id = identify(child, as: "AU")
                    for reference in child.child("objectives")?.children("objective") ?? [] {
                        if let ref = reference.attribute("idref"), !objectives.contains(ref) { errors.append("the AU ‘\(id)’ names the objective ‘\(ref)’, which the course lacks") }
                    }
                    let url = child.child("url")?.text.trimmed ?? ""
                    checkURL(url, of: id)
                    let moveOnText = child.attribute("moveOn") ?? "NotApplicable"
                    let moveOn = Cmi5Course.MoveOn(rawValue: moveOnText)
                    if moveOn == nil {
                        errors.append("the AU ‘\(id)’ has moveOn ‘\(moveOnText)’, not one of \(Cmi5Course.MoveOn.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    var mastery: Double?
                    if let text = child.attribute("masteryScore") {
                        mastery = Double(text)
                        if mastery.map({ !(0...1).contains($0) }) ?? true { errors.append("the AU ‘\(id)’ has masteryScore ‘\(text)’, not a number from 0 to 1") }
                    }
                    let method = child.attribute("launchMethod") ?? "AnyWindow"
                    if !["AnyWindow", "OwnWindow"].contains(method) { errors.append("the AU ‘\(id)’ has launchMethod ‘\(method)’, not AnyWindow or OwnWindow") }
                    aus.append(.init(id: id, title: title(of: child), url: url, moveOn: moveOn ?? .notApplicable, masteryScore: mastery, launchMethod: method,
                                     launchParameters: child.child("launchParameters")?.text, entitlementKey: child.child("entitlementKey")?.text, blocks: blocks))
                default:
                    break
                }
            }
        }

        func checkURL(_ url: String, of id: String) {
            guard !url.isEmpty else {
                errors.append("the AU ‘\(id)’ has no url")
                return
            }
            guard !url.contains(where: { $0.isWhitespace }), let components = URLComponents(string: url) else {
                errors.append("the url ‘\(url)’ of the AU ‘\(id)’ is not a URL")
                return
            }
            if let used = components.queryItems?.map(\.name).first(where: reserved.contains) {
                errors.append("the url of the AU ‘\(id)’ uses the query parameter ‘\(used)’, which the LMS adds at launch")
            }
            let absolute = components.scheme != nil
            switch source {
            case .standalone where !absolute:
                errors.append("the url ‘\(url)’ of the AU ‘\(id)’ is relative, but a cmi5.xml sent alone has no files for it: send the package's ZIP")
            case .package(let files?) where !absolute:
                let path = components.path
                if PackageArchive.normalised(path.removingPercentEncoding ?? path).map({ !files.contains($0) }) ?? true {
                    errors.append("the url ‘\(url)’ of the AU ‘\(id)’ names a file the package lacks")
                }
            default:
                break
            }
        }

        read(tree, blocks: [])
        if aus.isEmpty { errors.append("the course has no AU") }
        if !errors.isEmpty { throw Refusal(reasons: errors) }
        return Cmi5Course(id: courseID, title: title(of: courseNode), aus: aus)
    }

    /// Reads a package offered as a cmi5 course: a ZIP with `cmi5.xml` at its root, or a `cmi5.xml` alone.
    public static func inspect(upload data: Data) throws(Refusal) -> (course: Cmi5Course, archive: PackageArchive?) {
        if data.starts(with: [0x50, 0x4B]) {
            let archive: PackageArchive
            do { archive = try PackageArchive(data: data) } catch { throw Refusal(reasons: ["the package " + error.description]) }
            guard archive.contains("cmi5.xml") else { throw Refusal(reasons: ["the package has no cmi5.xml at its root"]) }
            let xml: Data
            do { xml = try archive.read("cmi5.xml") } catch { throw Refusal(reasons: [error.description]) }
            return (try inspect(xml, from: .package(files: Set(archive.files.keys))), archive)
        }
        let head = String(decoding: data.prefix(200), as: UTF8.self).trimmed
        guard head.hasPrefix("<") || head.hasPrefix("\u{FEFF}<") else {
            throw Refusal(reasons: ["is neither a ZIP archive nor a cmi5.xml course structure"])
        }
        return (try inspect(data, from: .standalone), nil)
    }

    /// An absolute IRI: a scheme (a letter, then letters, digits, +, - or .), a colon, and no white space.
    public static func isAbsoluteIRI(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), colon > text.startIndex else { return false }
        let scheme = text[..<colon]
        guard scheme.first!.isASCII, scheme.first!.isLetter,
              scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else { return false }
        return text.index(after: colon) < text.endIndex && !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" })
    }
}
