import Foundation
import KarmayogiCore
import Testing
import ZIPFoundation

/// A PDF made here, object by object, the way writers lay them out: a catalogue, the pages, a page's fonts (one with
/// a standard encoding, one whose text is glyph codes read through a ToUnicode map, as Hindi PDFs carry it) and its
/// content streams, plain or compressed.
struct MiniPDF {
    var objects: [[UInt8]] = []
    var trailerExtra = ""

    /// Adds an object and returns its number.
    mutating func add(_ dictionary: String, stream: [UInt8]? = nil) -> Int {
        var body = Array(dictionary.utf8)
        if let stream { body += Array("\nstream\n".utf8) + stream + Array("\nendstream".utf8) }
        objects.append(body)
        return objects.count
    }

    func bytes() -> [UInt8] {
        var out = Array("%PDF-1.7\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
        for (index, body) in objects.enumerated() { out += Array("\(index + 1) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8) }
        out += Array("trailer\n<< /Root 1 0 R \(trailerExtra)>>\n%%EOF\n".utf8)
        return out
    }

    /// A zlib stream of `data`: the two header bytes, deflate, and the Adler-32 of the data.
    static func flate(_ data: [UInt8]) throws -> [UInt8] {
        var deflated: [UInt8] = []
        _ = try Data.compress(size: Int64(data.count), bufferSize: max(data.count, 1), provider: { position, size in
            Data(data[Int(position)..<Int(position) + size])
        }, consumer: { deflated += $0 })
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
        let adler = b << 16 | a
        return [0x78, 0x9C] + deflated + [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
    }

    /// A one-page PDF whose page shows `content` with fonts F1 (Helvetica) and F2 (codes through `cmap`).
    static func page(_ content: [UInt8], compressed: Bool = false, cmap: String? = nil, trailer: String = "") throws -> [UInt8] {
        var pdf = MiniPDF()
        pdf.trailerExtra = trailer
        _ = pdf.add("<< /Type /Catalog /Pages 2 0 R >>")
        _ = pdf.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        _ = pdf.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>")
        let stream = compressed ? try flate(content) : content
        _ = pdf.add("<< /Length \(stream.count)\(compressed ? " /Filter /FlateDecode" : "") >>", stream: stream)
        _ = pdf.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        if let cmap {
            _ = pdf.add("<< /Type /Font /Subtype /Type0 /BaseFont /NotoSansDevanagari /Encoding /Identity-H /ToUnicode 7 0 R >>")
            let compressedMap = try flate(Array(cmap.utf8))
            _ = pdf.add("<< /Length \(compressedMap.count) /Filter /FlateDecode >>", stream: compressedMap)
        } else {
            _ = pdf.add("<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>")
        }
        return pdf.bytes()
    }
}

@Suite struct PDFTextTests {
    @Test func textShownOnAPageIsReadLineByLine() throws {
        let content = """
            BT /F1 14 Tf 72 760 Td (Downloading a certificate) Tj ET
            BT /F1 11 Tf 72 730 Td (Open My certificates \\(every one\\) and press) Tj 0 -14 Td (Download: a PDF with a QR code.) Tj ET
            """
        let text = try PDFText.extract(try MiniPDF.page(Array(content.utf8)))
        #expect(text == "Downloading a certificate\nOpen My certificates (every one) and press\nDownload: a PDF with a QR code.")
    }

    @Test func compressedStreamsKerningAndLatinLettersAreRead() throws {
        let content = "BT /F1 12 Tf [(Karma) -20 (yogi) -600 (caf\\351) 80 (s)] TJ ET BT <4F6666696365> Tj ET"
        let text = try PDFText.extract(try MiniPDF.page(Array(content.utf8), compressed: true))
        #expect(text == "Karmayogi cafés\nOffice")
    }

    @Test func glyphCodesAreReadThroughTheFontsToUnicodeMap() throws {
        // Codes 0001–0004 stand for प्र मा ण पत्र's letters; a range maps 0010–0012 to क ख ग.
        let cmap = """
            /CIDInit /ProcSet findresource begin 12 dict begin begincmap
            1 begincodespacerange <0000> <FFFF> endcodespacerange
            4 beginbfchar
            <0001> <092A094D0930>
            <0002> <092E093E>
            <0003> <0923>
            <0004> <092A0924094D0930>
            endbfchar
            1 beginbfrange
            <0010> <0012> <0915>
            endbfrange
            endcmap CMapName currentdict /CMap defineresource pop end end
            """
        let content = "BT /F2 12 Tf <0001000200030004> Tj 0 -14 Td [<0010> -300 <00110012>] TJ ET"
        let text = try PDFText.extract(try MiniPDF.page(Array(content.utf8), compressed: true, cmap: cmap))
        #expect(text == "प्रमाणपत्र\nक खग")
    }

    @Test func pagesAndFontsKeptInObjectStreamsAreFound() throws {
        var pdf = MiniPDF()
        _ = pdf.add("<< /Type /Catalog /Pages 3 0 R >>")
        let kept = ["<< /Type /Page /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
        let header = "3 0 5 \(kept[0].utf8.count + 1) "
        let body = Array((header + kept.joined(separator: " ")).utf8)
        let packed = try MiniPDF.flate(body)
        _ = pdf.add("<< /Type /ObjStm /N 2 /First \(header.utf8.count) /Length \(packed.count) /Filter /FlateDecode >>", stream: packed)
        _ = pdf.add("<< /Ignored true >>")  // object 3 lives in the stream; this top-level 3 is a different object number below
        let content = Array("BT /F1 12 Tf (Kept in an object stream) Tj ET\u{7}".utf8)
        _ = pdf.add("<< /Length \(content.count) >>", stream: content)
        var bytes = pdf.bytes()
        // Renumber the placeholder so that object 3 is defined only inside the object stream.
        let placeholder = Array("3 0 obj\n<< /Ignored true >>".utf8)
        if let at = (0..<(bytes.count - placeholder.count)).first(where: { bytes[$0..<($0 + placeholder.count)].elementsEqual(placeholder) }) {
            bytes.replaceSubrange(at..<(at + 1), with: Array("9".utf8))
        }
        #expect(try PDFText.extract(bytes) == "Kept in an object stream")
    }

    @Test func whatCannotBeReadIsSaidNeverTrapped() throws {
        #expect(throws: PDFText.Failure.notPDF) { try PDFText.extract(Array("Hello, not a PDF".utf8)) }
        #expect(throws: PDFText.Failure.encrypted) {
            try PDFText.extract(try MiniPDF.page(Array("BT (x) Tj ET".utf8), trailer: "/Encrypt 9 0 R "))
        }
        // A page of pictures: no text operators at all.
        #expect(throws: PDFText.Failure.noText) { try PDFText.extract(try MiniPDF.page(Array("q 595 0 0 842 0 0 cm /Im1 Do Q".utf8))) }
        // A damaged compressed stream.
        var damaged = try MiniPDF.page(Array("BT /F1 12 Tf (Karmayogi Saathi answers) Tj ET".utf8), compressed: true)
        let header = try #require(damaged.indices.dropLast().first { damaged[$0] == 0x78 && damaged[$0 + 1] == 0x9C })
        for offset in 2..<10 { damaged[header + offset] ^= 0x5A }
        #expect(throws: PDFText.Failure.noText) { try PDFText.extract(damaged) }
        var pdf = MiniPDF()
        _ = pdf.add("<< /Type /Page /Contents 2 0 R >>")
        let whole = try MiniPDF.flate(Array(String(repeating: "BT (words) Tj ET ", count: 50).utf8))
        _ = pdf.add("<< /Filter /FlateDecode >>", stream: Array(whole.prefix(whole.count / 2)))
        // A stream cut short gives what inflates before the cut, or nothing: never more than was written.
        if let partial = try? PDFText.extract(pdf.bytes()) {
            #expect(partial.split(separator: "\n").allSatisfy { $0 == "words" })
        }
        // Random bytes after the header, and every prefix of a good PDF: an error or some text, never a crash.
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<50 {
            let noise = Array("%PDF-1.4\n".utf8) + (0..<400).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? PDFText.extract(noise)
        }
        let good = try MiniPDF.page(Array("BT /F1 12 Tf [(a) -300 (b)] TJ (c) ' ET".utf8), compressed: true)
        for length in stride(from: 5, to: good.count, by: 7) { _ = try? PDFText.extract(Array(good.prefix(length))) }
    }
}
