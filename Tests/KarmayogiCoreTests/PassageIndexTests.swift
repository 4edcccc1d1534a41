import Foundation
import KarmayogiCore
import Testing

/// The assistant's retrieval rules: documents cut into passages under their headings, words matched in any script with
/// common endings and question words set aside, BM25 ranking, and a confidence that falls to nothing for a question
/// the knowledge does not hold.
@Suite struct PassageIndexTests {
    func passage(_ title: String, _ section: String?, _ text: String, language: String = "en") -> Passage {
        Passage(document: "document:\(title)", source: .faq, title: title, section: section, text: text, link: "/assistant/documents/x", language: language)
    }

    @Test func headingsBeginPartsAndLongPartsAreCutAtSentenceEnds() {
        let sentence = "Every public servant learns at their own pace on the platform, on a phone or a computer, in their language."  // 20 words
        let text = """
            # Certificates
            A certificate is issued when the course is complete. It carries a QR code.

            # Learning
            \(Array(repeating: sentence, count: 9).joined(separator: " "))
            # Empty heading
            # हिंदी
            प्रमाणपत्र तुरंत मिलता है। आवेदन नहीं करना होता।
            """
        let pieces = PassageCutter.cut(text)
        #expect(pieces.map(\.section) == ["Certificates", "Learning", "Learning", "Learning", "हिंदी"])
        // Each heading is a part, counted even when nothing stands under it (a document's page numbers them the same).
        #expect(pieces.map(\.part) == [1, 2, 2, 2, 4])
        #expect(pieces[0].text == "A certificate is issued when the course is complete. It carries a QR code.")
        // Nine sentences of 20 words: passages of about eighty words, each ending at a sentence's end.
        let learning = pieces.filter { $0.section == "Learning" }
        #expect(learning.allSatisfy { $0.text.hasSuffix(".") })
        #expect(learning.map { $0.text.split(separator: " ").count } == [80, 80, 20])
        #expect(pieces.last?.text == "प्रमाणपत्र तुरंत मिलता है। आवेदन नहीं करना होता।")
        // A run of words with no sentence end is cut by words.
        let runOn = PassageCutter.cut(Array(repeating: "word", count: 200).joined(separator: " "))
        #expect(runOn.map { $0.text.split(separator: " ").count } == [80, 80, 40])
    }

    @Test func wordsMeetAcrossEndingsAndQuestionWordsAreSetAside() {
        #expect(KnowledgeWords.terms("How do I download my certificates?") == KnowledgeWords.terms("download certificate"))
        #expect(KnowledgeWords.terms("enrolled") == KnowledgeWords.terms("enrol"))
        #expect(KnowledgeWords.terms("enrolling") == KnowledgeWords.terms("Enrol"))
        #expect(KnowledgeWords.terms("प्रमाणपत्रों") == KnowledgeWords.terms("प्रमाणपत्र"))
        #expect(KnowledgeWords.terms("मुझे प्रमाणपत्र कैसे मिलेगा?") == KnowledgeWords.terms("प्रमाणपत्र मिलेगा"))
        // Nukta and chandrabindu are written either way.
        #expect(KnowledgeWords.terms("फ़ाइल") == KnowledgeWords.terms("फाइल"))
        #expect(KnowledgeWords.terms("what is the").isEmpty)
        // Words that only look plural keep their ending.
        #expect(KnowledgeWords.terms("bus status") == ["bus", "status"])
    }

    @Test func theBestPassageRanksFirstWithItsConfidence() {
        let index = PassageIndex([
            passage("Certificates", "Downloading a certificate", "Open My certificates and download each certificate as a PDF with a QR code."),
            passage("Certificates", "When a certificate is issued", "A certificate is issued automatically when every required item is complete."),
            passage("Karma points", "Earning", "Karma points are earned for completing courses and rating them."),
            passage("प्रमाणपत्र", "डाउनलोड", "मेरे प्रमाणपत्र खोलें और हर प्रमाणपत्र पीडीएफ़ के रूप में डाउनलोड करें।", language: "hi"),
        ])
        let found = index.search("How do I download my certificate as a PDF?", language: "en")
        #expect(found.hits.first?.passage.section == "Downloading a certificate")
        #expect(found.confidence == 1)
        #expect(found.hits.count == 2)

        let hindi = index.search("प्रमाणपत्र डाउनलोड कैसे करें?", language: "hi")
        #expect(hindi.hits.first?.passage.language == "hi")
        #expect(hindi.confidence == 1)

        // Half the question's weight unmatched: the confidence says so.
        let partly = index.search("karma points for yoga", language: "en")
        #expect(partly.hits.first?.passage.title == "Karma points")
        #expect(partly.confidence > 0 && partly.confidence < 0.6)

        // A script the knowledge does not hold matches nothing.
        let tamil = index.search("சான்றிதழை எப்படி பதிவிறக்குவது?", language: "ta")
        #expect(tamil.hits.isEmpty)
        #expect(tamil.confidence == 0)
        #expect(index.search("what is it?").confidence == 0)
    }

    @Test func passagesOfTheMomentAreWeighedWithTheIndexsRarities() {
        let index = PassageIndex([
            passage("Plans", "Due dates", "Each plan has a due date; a course is overdue when the date has passed."),
            passage("Karma points", "Earning", "Karma points are earned for completing courses."),
        ])
        let record = Passage(document: "record:plan", source: .record, title: "Your records",
                             text: "Your plan MHA 2026 is due on 31 March 2027. Courses left: Noting and Drafting.", link: "/my/plans", language: "en")
        let found = index.search("when is my MHA plan due?", language: "en", also: [PassageIndex.Entry(record)])
        #expect(found.hits.first?.passage.source == .record)
        #expect(found.hits.count == 2)
        #expect(index.search("when is my MHA plan due?", language: "en").hits.first?.passage.title == "Plans")
    }

    @Test func recallAndNDCGScoreARanking() {
        #expect(RetrievalQuality.recall([false, true, false], answers: 1, at: 5) == 1)
        #expect(RetrievalQuality.recall([false, false, false, false, false, true], answers: 1, at: 5) == 0)
        #expect(RetrievalQuality.recall([true, false, true], answers: 4, at: 5) == 0.5)
        #expect(RetrievalQuality.ndcg([true], answers: 1, at: 10) == 1)
        #expect(abs(RetrievalQuality.ndcg([false, true], answers: 1, at: 10) - 1 / log2(3)) < 1e-12)
        #expect(RetrievalQuality.ndcg([false, false], answers: 1, at: 1) == 0)
        #expect(RetrievalQuality.ndcg([true, true], answers: 2, at: 10) == 1)
        #expect(RetrievalQuality.recall([], answers: 0, at: 5) == 0)
    }
}
