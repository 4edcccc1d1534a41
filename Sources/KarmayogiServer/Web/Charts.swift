import Foundation

/// Charts drawn on the server as SVG: they show without a script, print, and scale on a phone.
enum Charts {
    static let colours = ["#0b3d91", "#e07b00", "#0a6b2d", "#8a1c7c"]

    /// Horizontal bars, one per item, longest first as given, with the value at the end of each bar.
    static func bars(_ items: [(label: String, value: Double)], title: String, format: (Double) -> String = { Formats.number($0) }) -> HTML {
        let width = 640.0, labelWidth = 200.0, row = 24.0
        let height = Double(items.count) * row + 8
        let largest = max(items.map(\.value).max() ?? 0, 1)
        var parts: [HTML] = []
        for (index, item) in items.enumerated() {
            let y = Double(index) * row + 4
            let length = (width - labelWidth - 80) * item.value / largest
            parts.append("""
                <text x="\(labelWidth - 6)" y="\(y + 16)" text-anchor="end" font-size="12"><title>\(item.label)</title>\(fit(item.label, width: labelWidth - 8))</text>\
                <rect x="\(labelWidth)" y="\(y + 4)" width="\(String(format: "%.1f", max(length, item.value > 0 ? 1 : 0)))" height="\(row - 8)" fill="\(colours[0])"><title>\(item.label): \(format(item.value))</title></rect>\
                <text x="\(String(format: "%.1f", labelWidth + length + 4))" y="\(y + 16)" font-size="12">\(format(item.value))</text>
                """)
        }
        return """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" width="100%" role="img" aria-label="\(title)" xmlns="http://www.w3.org/2000/svg">\
            <title>\(title)</title>\(parts)</svg>
            """
    }

    /// A label that fits its width at 12 px: whole when short, else cut at a word where it can be and ended with "…"
    /// (the full name stays in the label's title). Never clipped at the edge of the chart.
    static func fit(_ label: String, width: Double) -> String {
        let room = Int(width / 7)
        guard label.count > room else { return label }
        let cut = String(label.prefix(room - 1))
        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > room / 2 { return cut[..<space] + "…" }
        return cut + "…"
    }

    /// Lines over time: one per named series, sharing the y axis, with the first, middle and last dates marked.
    static func series(_ points: [(label: String, values: [Double])], names: [String], title: String) -> HTML {
        let width = 640.0, height = 220.0, left = 48.0, bottom = 24.0, top = 10.0
        let largest = max(points.flatMap(\.values).max() ?? 0, 1)
        let step = points.count > 1 ? (width - left - 10) / Double(points.count - 1) : 0
        func x(_ index: Int) -> Double { left + Double(index) * step }
        func y(_ value: Double) -> Double { top + (height - top - bottom) * (1 - value / largest) }
        var parts: [HTML] = [
            "<line x1=\"\(Int(left))\" y1=\"\(Int(height - bottom))\" x2=\"\(Int(width - 10))\" y2=\"\(Int(height - bottom))\" stroke=\"#99a\"/>",
            "<text x=\"\(Int(left - 4))\" y=\"\(Int(top + 10))\" text-anchor=\"end\" font-size=\"11\">\(Formats.number(largest))</text>",
            "<text x=\"\(Int(left - 4))\" y=\"\(Int(height - bottom))\" text-anchor=\"end\" font-size=\"11\">0</text>",
        ]
        for (line, name) in names.enumerated() {
            let path = points.enumerated().map { index, point in
                String(format: "%@%.1f,%.1f", index == 0 ? "M" : "L", x(index), y(point.values[line]))
            }.joined(separator: " ")
            parts.append("<path d=\"\(path)\" fill=\"none\" stroke=\"\(colours[line % colours.count])\" stroke-width=\"2\"><title>\(name)</title></path>")
            parts.append("<text x=\"\(Int(left + 8 + Double(line) * 140))\" y=\"\(Int(height - 4))\" font-size=\"11\" fill=\"\(colours[line % colours.count])\">■ \(name)</text>")
        }
        for index in Set([0, points.count / 2, points.count - 1]).sorted() where points.indices.contains(index) {
            // The last date ends at the right edge, so it is never cut off there.
            let anchor = index == points.count - 1 && index > 0 ? "end" : "middle"
            parts.append("<text x=\"\(String(format: "%.1f", x(index)))\" y=\"\(Int(height - bottom + 12))\" text-anchor=\"\(anchor)\" font-size=\"10\">\(points[index].label)</text>")
        }
        return """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height + 4))" width="100%" role="img" aria-label="\(title)" xmlns="http://www.w3.org/2000/svg">\
            <title>\(title)</title>\(parts)</svg>
            """
    }

    /// A heat map: a row per label, a column per heading, each cell shaded by its count (none: blank), with the count
    /// written in it and a title naming both. Drawn at a size a phone can read, inside a box that scrolls sideways.
    static func heatMap(rows: [String], columns: [String], counts: [[Int]], title: String,
                        cellTitle: (Int, Int, Int) -> String) -> HTML {
        let labelWidth = 170.0, cell = 30.0, top = 26.0
        let width = labelWidth + cell * Double(columns.count) + 4, height = top + cell * Double(rows.count) + 4
        let largest = Double(max(counts.flatMap { $0 }.max() ?? 0, 1))
        var parts: [HTML] = []
        for (index, column) in columns.enumerated() {
            parts.append("<text x=\"\(labelWidth + cell * Double(index) + cell / 2)\" y=\"18\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\">\(column)</text>")
        }
        for (row, label) in rows.enumerated() {
            let y = top + cell * Double(row)
            parts.append("<text x=\"\(labelWidth - 6)\" y=\"\(y + 19)\" text-anchor=\"end\" font-size=\"12\"><title>\(label)</title>\(fit(label, width: labelWidth - 8))</text>")
            for (column, count) in counts[row].enumerated() {
                let x = labelWidth + cell * Double(column)
                // Light to dark blue with the count; text turns white on the dark half.
                let share = Double(count) / largest
                let fill = count == 0 ? "#f4f5f8" : String(format: "#%02x%02x%02x", Int(220 - 209 * share), Int(230 - 169 * share), Int(250 - 105 * share))
                parts.append("""
                    <rect x="\(x + 1)" y="\(y + 1)" width="\(cell - 2)" height="\(cell - 2)" fill="\(fill)"><title>\(cellTitle(row, column, count))</title></rect>\
                    \(count == 0 ? "" : "<text x=\"\(x + cell / 2)\" y=\"\(y + 19)\" text-anchor=\"middle\" font-size=\"11\" fill=\"\(share > 0.5 ? "#fff" : "#111")\">\(count)</text>" as HTML)
                    """)
            }
        }
        return """
            <div class="scroll" role="region" aria-label="\(title)" tabindex="0">\
            <svg class="chart heat" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" role="img" aria-label="\(title)" xmlns="http://www.w3.org/2000/svg">\
            <title>\(title)</title>\(parts)</svg></div>
            """
    }
}
