import Foundation
import KarmayogiCore
import Testing

/// The semantic half of the assistant's retrieval: passages' sentence vectors searched by cosine, fused with the
/// lexical ranking by reciprocal rank, and the vectors' wire and storage form.
@Suite struct PassageVectorsTests {
    func passage(_ title: String, _ text: String, language: String = "en") -> Passage {
        Passage(document: "document:\(title)", source: .faq, title: title, section: nil, text: text, link: "/assistant/documents/x", language: language)
    }

    func unit(_ values: [Float]) -> [Float] {
        let length = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { $0 / length }
    }

    @Test func theNearestComeFirstAndPassagesWithoutAVectorAreNotCandidates() {
        let vectors = PassageVectors(dimensions: 3, count: 5) { number in
            [unit([1, 0, 0]), nil, unit([1, 1, 0]), unit([0, 0, 1]), [1, 0]][number]
        }
        // Passage 1 has none, and passage 4's is of the wrong size.
        #expect(vectors.held == 3)
        let near = vectors.nearest(to: unit([1, 0.2, 0]), limit: 2)
        #expect(near.map(\.passage) == [0, 2])
        #expect(abs(near[0].similarity - Double(unit([1, 0.2, 0])[0])) < 1e-6)
        #expect(vectors.nearest(to: [1, 0], limit: 3).isEmpty)
        #expect(PassageVectors().nearest(to: [1, 0, 0], limit: 3).isEmpty)
    }

    @Test func vectorsTravelAsLittleEndianFloats() throws {
        let vector: [Float] = [0.25, -1.5, 3.0e-8, 1]
        let data = PassageVectors.encode(vector)
        #expect(data.count == 16)
        #expect(Array(data.prefix(4)) == [0x00, 0x00, 0x80, 0x3E])  // 0.25
        #expect(PassageVectors.decode(data) == vector)
        #expect(PassageVectors.decode(Data([1, 2, 3])) == nil)
        #expect(PassageVectors.decode(Data()) == nil)
        #expect(PassageVectors.decode(PassageVectors.encode([1, .nan])) == nil)
    }

    @Test func reciprocalRankFusionRaisesWhatBothRankingsFind() {
        let fused = RankFusion.fuse([([1, 2, 3], 1), ([4, 2, 5], 1)])
        #expect(fused.first?.item == 2)
        #expect(Set(fused.map(\.item)) == [1, 2, 3, 4, 5])
        // Items found once, at the same rank, tie and keep a fixed order.
        #expect(fused.map(\.item).prefix(3) == [2, 1, 4])
        #expect(abs(fused[0].score - 2 / 62.0) < 1e-12)
        // A ranking weighed less gives way: the other's first leads.
        #expect(RankFusion.fuse([([1, 2], 0.3), ([2, 3], 1)]).map(\.item) == [2, 3, 1])
        #expect(RankFusion.fuse([([1, 2], 0.3), ([3, 4], 1)]).map(\.item) == [3, 4, 1, 2])
    }

    @Test func aHybridSearchFindsByMeaningWhatSharesNoWord() {
        let passages = [
            passage("Leave", "Casual leave is granted by the head of the office."),
            passage("Certificates", "A certificate is issued when the course is complete."),
            passage("Canteen", "The canteen opens at nine."),
        ]
        let index = PassageIndex(passages)
        // "When do I receive proof that I finished?" shares no word with the certificate passage.
        let question = "When do I receive proof that I finished?"
        #expect(index.search(question).hits.isEmpty)
        let vectors = PassageVectors(dimensions: 2, count: 3) { [unit([0, 1]), unit([1, 0.1]), unit([0.2, 1])][$0] }
        let found = index.search(question, semantic: .init(vector: unit([1, 0]), vectors: vectors))
        #expect(found.hits.first?.passage.title == "Certificates")
        #expect(found.hits.first?.coverage == 0)
        #expect(found.confidence == 0)
        #expect(abs((found.similarity ?? 0) - Double(unit([1, 0.1])[0])) < 1e-6)
        #expect(found.hits.allSatisfy { $0.similarity != nil })

        // With words in common, a passage both rankings find leads.
        let both = index.search("certificate canteen", semantic: .init(vector: unit([1, 0]), vectors: vectors))
        #expect(both.hits.first?.passage.title == "Certificates")
        #expect(both.confidence > 0)
    }

    @Test func onlyAQuestionMostlyInLatinLettersGoesToTheEnglishModel() {
        #expect(PassageVectors.readable("How do I get my certificate?"))
        #expect(PassageVectors.readable("How do I download my certificate from the कर्मयोगी portal?"))
        #expect(!PassageVectors.readable("कर्मयोगी पोर्टल portal"))
        #expect(!PassageVectors.readable("मुझे प्रमाणपत्र कब मिलेगा?"))
        #expect(!PassageVectors.readable("சான்றிதழை எப்படி பதிவிறக்குவது?"))
        #expect(!PassageVectors.readable("!!! ???"))
    }
}
