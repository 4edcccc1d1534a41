import Foundation
import KarmayogiCore

/// The design system's components as functions, so every page draws them the same way (/styleguide shows them all).
enum UI {
    struct Crumb {
        let label: String
        let href: String?
        init(_ label: String, _ href: String? = nil) { self.label = label; self.href = href }
    }

    /// "Home › Courses › This course": the last crumb is the page itself; one without a link on the way is named only.
    static func breadcrumbs(_ crumbs: [Crumb], label: String) -> HTML {
        guard !crumbs.isEmpty else { return "" }
        let items: [HTML] = crumbs.enumerated().map { index, crumb in
            if let href = crumb.href { return "<li><a href=\"\(href)\">\(crumb.label)</a></li>" }
            return index == crumbs.count - 1 ? "<li aria-current=\"page\">\(crumb.label)</li>" : "<li><span>\(crumb.label)</span></li>"
        }
        return "<nav class=\"crumbs\" aria-label=\"\(label)\"><ol>\(items)</ol></nav>"
    }

    /// A table in a box of its own that scrolls sideways on a narrow screen, rather than the page.
    static func table(_ label: String, head: [String], rows: [HTML], empty: String, numeric: Set<Int> = []) -> HTML {
        let cells: [HTML] = head.enumerated().map { index, title in
            "<th scope=\"col\"\(numeric.contains(index) ? " class=\"number\"" : "" as HTML)>\(title)</th>"
        }
        let body: [HTML] = rows.isEmpty ? ["<tr><td colspan=\"\(head.count)\">\(empty)</td></tr>"] : rows
        return "<div class=\"scroll\" role=\"region\" aria-label=\"\(label)\" tabindex=\"0\"><table><thead><tr>\(cells)</tr></thead><tbody>\(body)</tbody></table></div>"
    }

    /// A progress bar with its figure beside it.
    static func meter(_ percent: Double, text: String, label: String) -> HTML {
        let value = min(max(percent, 0), 100)
        return "<div class=\"meter\"><progress max=\"100\" value=\"\(Int(value.rounded(.down)))\" aria-label=\"\(label)\">\(text)</progress><span>\(text)</span></div>"
    }

    /// A figure in a card: what it counts, the number, and a line under it.
    static func figure(_ label: String, _ value: HTML, hint: String? = nil) -> HTML {
        "<div class=\"figure-card\"><div class=\"muted\">\(label)</div><div class=\"figure\">\(value)</div>\(hint.map { "<div class=\"hint\">\($0)</div>" as HTML } ?? "")</div>"
    }

    enum Tone: String { case neutral = "", info, success, warning, danger }

    static func badge(_ text: String, _ tone: Tone = .neutral) -> HTML {
        "<span class=\"badge \(tone.rawValue)\">\(text)</span>"
    }

    /// An empty state says what is missing and what to do about it.
    static func empty(_ message: String, action: (label: String, href: String)? = nil) -> HTML {
        let link: HTML = action.map { "<a class=\"button secondary\" href=\"\($0.href)\">\($0.label)</a>" } ?? ""
        return "<div class=\"empty\"><p>\(message)</p>\(link)</div>"
    }

    /// A problem's message and its fields' reasons, at the top of a form.
    static func alert(_ message: String, reasons: [HTML] = []) -> HTML {
        let list: HTML = reasons.isEmpty ? "" : "<ul>\(reasons.map { "<li>\($0)</li>" as HTML })</ul>"
        return "<div class=\"alert\" role=\"alert\"><p>\(message)</p>\(list)</div>"
    }

    /// A labelled input with its hint and, when refused, its error right under the label.
    static func field(_ name: String, label: String, type: String = "text", value: String = "", hint: String? = nil, error: String? = nil,
                      required: Bool = false, autocomplete: String? = nil, step: String? = nil) -> HTML {
        let id = "field-\(name)"
        let described = [hint.map { _ in "\(id)-hint" }, error.map { _ in "\(id)-error" }].compactMap { $0 }.joined(separator: " ")
        return """
            <div class="\(error == nil ? "" : "invalid")"><label for="\(id)">\(label)</label>\
            \(hint.map { "<span class=\"hint\" id=\"\(id)-hint\">\($0)</span>" as HTML } ?? "")\
            \(error.map { "<span class=\"field-error\" id=\"\(id)-error\">\($0)</span>" as HTML } ?? "")\
            <input id="\(id)" name="\(name)" type="\(type)" value="\(value)"\(required ? " required" : "" as HTML)\(step.map { " step=\"\($0)\"" as HTML } ?? "")\
            \(autocomplete.map { " autocomplete=\"\($0)\"" as HTML } ?? "")\(error == nil ? "" : " aria-invalid=\"true\"" as HTML)\
            \(described.isEmpty ? "" : " aria-describedby=\"\(described)\"" as HTML)></div>
            """
    }

    /// The `<option>`s of a list, the chosen one selected.
    static func options(_ pairs: [(value: String, label: String)], chosen: String?) -> HTML {
        "\(pairs.map { "<option value=\"\($0.value)\"\($0.value == chosen ? " selected" : "" as HTML)>\($0.label)</option>" as HTML })"
    }

    /// Every State/UT as options, the chosen one selected.
    static func stateOptions(chosen: Int?) -> HTML {
        options(Geography.reference.states.map { (String($0.code), $0.name) }, chosen: chosen.map(String.init))
    }

    /// A State's districts as options (none without a State), the chosen one selected: a district list follows its State.
    static func districtOptions(inState state: Int?, chosen: Int?) -> HTML {
        options((state.map { Geography.reference.districts(inState: $0) } ?? []).map { (String($0.code), $0.name) }, chosen: chosen.map(String.init))
    }
}
