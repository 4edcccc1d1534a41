import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element with what package manifests need of it: children and attributes by local name (the
/// prefixes packages use vary), its namespace, its text. Parsing never loads external entities or DTDs.
public struct XMLTree: Sendable {
    public var name: String
    public var namespace: String
    public var attributes: [String: String]
    public var children: [XMLTree]
    public var text: String

    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses `data` strictly: the first error (with its line) refuses the document, where a recovering parser
    /// would guess. Entities outside the document are never resolved.
    public static func parse(_ data: Data) throws(Malformed) -> XMLTree {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let parsed = parser.parse()
        guard parsed, builder.failure == nil, let root = builder.root else {
            let reason = builder.failure ?? parser.parserError.map { Self.reason(($0 as NSError).code) } ?? "it is empty"
            throw Malformed(description: "is not well-formed XML (line \(builder.failureLine ?? parser.lineNumber)): \(reason)")
        }
        return root
    }

    /// What libxml2's commonest error codes mean, in words.
    static func reason(_ code: Int) -> String {
        switch code {
        case 4: "it is empty"
        case 5: "it ends before its elements are closed"
        case 9: "it holds a character XML does not allow"
        case 26: "it uses an entity it does not declare"
        case 38, 39, 40, 41: "an attribute is malformed"
        case 64: "its XML declaration is malformed"
        case 73: "a tag is not closed with >"
        case 76: "an end tag does not match the element it should close"
        case 85: "an element is not closed"
        default: "the XML parser's error \(code)"
        }
    }

    init(qualifiedName: String, attributes raw: [String: String]) {
        let parts = qualifiedName.split(separator: ":", maxSplits: 1)
        name = String(parts.last ?? "")
        var attributes: [String: String] = [:]
        for (key, value) in raw { attributes[String(key.split(separator: ":").last ?? "")] = value }
        self.attributes = attributes
        namespace = parts.count == 2 ? raw["xmlns:" + parts[0]] ?? "" : raw["xmlns"] ?? ""
        children = []
        text = ""
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var texts: [String] = []
        var root: XMLTree?
        var failure: String?
        var failureLine: Int?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if stack.count > 200 {
                failure = "its elements nest more than 200 deep"
                parser.abortParsing()
                return
            }
            var element = XMLTree(qualifiedName: elementName, attributes: attributes)
            if element.namespace.isEmpty, let parent = stack.last, !elementName.contains(":") { element.namespace = parent.namespace }
            stack.append(element)
            texts.append("")
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !texts.isEmpty { texts[texts.count - 1] += string }
        }

        func parser(_ parser: XMLParser, foundCDATA block: Data) {
            if !texts.isEmpty { texts[texts.count - 1] += String(decoding: block, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard var element = stack.popLast(), let text = texts.popLast() else { return }
            element.text = text.trimmed
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            if failure == nil {
                failure = XMLTree.reason((parseError as NSError).code)
                failureLine = parser.lineNumber
            }
        }
    }

    /// The attribute of this local name, whatever its prefix; `anyCase` for names packages spell two ways
    /// (`scormtype` in SCORM 1.2, `scormType` in 2004).
    public func attribute(_ name: String, anyCase: Bool = false) -> String? {
        if let value = attributes[name] { return value }
        guard anyCase else { return nil }
        return attributes.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    public func children(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }
    public func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }
    public func descendant(_ path: String...) -> XMLTree? {
        var node: XMLTree? = self
        for step in path { node = node?.child(step) }
        return node
    }
}
