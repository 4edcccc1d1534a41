import Testing
@testable import KarmayogiCore

@Suite struct FileSignatureTests {
    @Test func knowsFilesByTheirFirstBytes() {
        #expect(FileSignature.detect(Array("%PDF-1.7\n".utf8)) == .pdf)
        #expect(FileSignature.detect([0, 0, 0, 0x18] + Array("ftypmp42".utf8)) == .mp4)
        #expect(FileSignature.detect([0x50, 0x4B, 0x03, 0x04, 0x14]) == .zip)
        #expect(FileSignature.detect([0x1A, 0x45, 0xDF, 0xA3]) == .webm)
        #expect(FileSignature.detect(Array("<html><script>".utf8)) == nil)
        #expect(FileSignature.detect([UInt8]()) == nil)
    }

    @Test func eachKindTakesItsOwnFiles() {
        #expect(ContentKind.document.acceptedFiles == [.pdf])
        #expect(ContentKind.xapi.acceptedFiles.contains(.zip) && ContentKind.scorm.acceptedFiles.isEmpty && !ContentKind.video.acceptedFiles.contains(.zip))
        #expect(ContentKind.link.acceptedFiles.isEmpty)
    }
}
