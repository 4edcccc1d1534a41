import Foundation
import Testing
@testable import KarmayogiCore

@Suite struct SearchTextTests {
    @Test func foldsLatinButKeepsIndicVowelSigns() {
        #expect(SearchText.words("Café RÉSUMÉ, e-Office!") == ["cafe", "resume", "e", "office"])
        #expect(SearchText.words("कार्यालय प्रक्रिया") == ["कार्यालय", "प्रक्रिया"], "matras and viramas stay")
        #expect(SearchText.words("அலுவலக நடைமுறை") == ["அலுவலக", "நடைமுறை"])
        #expect(SearchText.words("دفتری طریقہ کار") == ["دفتری", "طریقہ", "کار"])
        #expect(SearchText.words("ＧＦＲ　２０１７") == ["gfr", "2017"], "full-width forms are normalised")
    }

    @Test func decomposedAndComposedFormsAreOneWord() {
        #expect(SearchText.words("cafe\u{301}") == SearchText.words("café"))
        #expect(SearchText.words("क़ानून") == SearchText.words("क\u{93C}ानून"))
    }

    @Test func nuktaAndChandrabinduAreWrittenEitherWay() {
        #expect(SearchText.words("फ़ाइल") == SearchText.words("फाइल"))
        #expect(SearchText.words("क़ानून") == SearchText.words("कानून"))
        #expect(SearchText.words("हिँदी") == SearchText.words("हिंदी"))
    }

    @Test func oneEditApartIsAddedDroppedChangedOrSwapped() {
        func near(_ a: String, _ b: String) -> Bool { SearchText.withinOneEdit(Array(a.unicodeScalars), Array(b.unicodeScalars)) }
        #expect(near("cyber", "cyber") && near("cybr", "cyber") && near("cyberr", "cyber") && near("cyner", "cyber") && near("cyebr", "cyber"))
        #expect(!near("cbyre", "cyber") && !near("cy", "cyber") && !near("cider", "cyber"))
        #expect(near("प्रबंधन", "प्रबधन"))
    }
}

@Suite struct CatalogueIndexTests {
    let provider = UUID(), other = UUID(), behavioural = UUID(), functional = UUID()

    func entry(_ title: String, summary: String = "", keywords: [String] = [], language: String = "en", provider: UUID? = nil,
               competencies: [UUID: CompetencyArea] = [:], kinds: Set<ContentKind> = [.video], minutes: Int = 60, enrolments: Int = 0,
               rating: Double = 0, day: Int = 0) -> CatalogueEntry {
        CatalogueEntry(id: UUID(), title: title, summary: summary, description: "", keywords: keywords, language: language,
                       providerId: provider ?? self.provider, competencies: competencies, kinds: kinds, durationMinutes: minutes,
                       enrolments: enrolments, rating: rating, publishedAt: Date(timeIntervalSince1970: Double(day) * 86400))
    }

    func index(_ entries: [CatalogueEntry]) -> CatalogueIndex {
        var index = CatalogueIndex()
        for entry in entries { index.upsert(entry) }
        index.prepare()
        return index
    }

    func search(_ index: CatalogueIndex, _ text: String, _ change: (inout CatalogueQuery) -> Void = { _ in }) -> [UUID] {
        var query = CatalogueQuery()
        query.text = text
        change(&query)
        return index.search(query).ids
    }

    @Test func titlesOutrankDescriptionsAndAllWordsMustMatch() {
        let inTitle = entry("Public Procurement under GFR")
        let inSummary = entry("Finance basics", summary: "touches on public procurement")
        let oneWord = entry("Public speaking")
        let index = index([inTitle, inSummary, oneWord])
        #expect(search(index, "public procurement") == [inTitle.id, inSummary.id])
        #expect(search(index, "procure") == [inTitle.id, inSummary.id], "the last word matches as a prefix")
        #expect(search(index, "nothing here").isEmpty)
    }

    @Test func searchesEveryScript() {
        let hindi = entry("कार्यालय प्रक्रिया का परिचय", language: "hi")
        let tamil = entry("அலுவலக நடைமுறை", language: "ta")
        let index = index([hindi, tamil, entry("Office procedure")])
        #expect(search(index, "प्रक्रिया") == [hindi.id])
        #expect(search(index, "நடைமுறை") == [tamil.id])
        #expect(search(index, "OFFICE") .count == 1)
    }

    @Test func aMistypedWordStillFindsTheCourseRankedBelowExactMatches() {
        let cyber = entry("Cyber Security Basics"), safe = entry("Stay Safe in Cyber Space")
        let hindi = entry("साइबर सुरक्षा", keywords: ["cyber", "साइबर"], language: "hi")
        let files = entry("ई-ऑफ़िस में फ़ाइल प्रबंधन", language: "hi")
        let index = index([cyber, safe, hindi, files])
        #expect(Set(search(index, "cybr security")) == [cyber.id], "one letter dropped")
        #expect(Set(search(index, "secuirty")) == [cyber.id], "two letters swapped")
        #expect(Set(search(index, "CYBER")) == [cyber.id, safe.id, hindi.id], "case is ignored, and a Latin keyword finds the Hindi course")
        #expect(search(index, "फाइल") == [files.id], "without the nukta")
        #expect(search(index, "cat").isEmpty, "short words are not guessed at")
        // An exact word outranks a guessed one.
        let exact = entry("Cyber law"), near = entry("Cyder making")
        let both = self.index([exact, near])
        #expect(search(both, "cyber").first == exact.id)
    }

    @Test func filtersFacetsAndSorts() {
        let a = entry("Cyber hygiene", language: "en", competencies: [functional: .functional], kinds: [.video], minutes: 20, enrolments: 50, rating: 4.1, day: 1)
        let b = entry("Cyber security for offices", language: "hi", provider: other, competencies: [behavioural: .behavioural, functional: .functional],
                      kinds: [.scorm, .assessment], minutes: 240, enrolments: 500, rating: 3.9, day: 3)
        let c = entry("Cyber law", language: "en", competencies: [behavioural: .behavioural], kinds: [.document], minutes: 90, enrolments: 10, rating: 4.8, day: 2)
        let index = index([a, b, c])
        #expect(Set(search(index, "cyber") { $0.language = "en" }) == [a.id, c.id])
        #expect(search(index, "cyber") { $0.area = .behavioural; $0.sort = .popularity } == [b.id, c.id])
        #expect(search(index, "cyber") { $0.kind = .scorm } == [b.id])
        #expect(search(index, "cyber") { $0.minDuration = 30; $0.maxDuration = 120 } == [c.id])
        #expect(search(index, "cyber") { $0.providerId = other } == [b.id])
        #expect(search(index, "cyber") { $0.competencyId = functional; $0.sort = .rating } == [a.id, b.id])
        #expect(search(index, "") { $0.sort = .newest } == [b.id, c.id, a.id])
        #expect(search(index, "") { $0.sort = .popularity; $0.offset = 1; $0.limit = 1 } == [a.id])
        var query = CatalogueQuery()
        query.text = "cyber"
        let result = index.search(query)
        #expect(result.total == 3)
        #expect(result.facets["language"] == ["en": 2, "hi": 1])
        #expect(result.facets["area"] == ["functional": 2, "behavioural": 2])
        #expect(result.facets["duration"] == ["under-30": 1, "30-120": 1, "120-600": 1])
    }

    @Test func updatesAndRemovalsAreSeen() {
        var index = index([])
        var course = entry("Stress management")
        index.upsert(course)
        index.prepare()
        #expect(search(index, "stress") == [course.id])
        course.title = "Yoga break at the workplace"
        index.upsert(course)
        index.prepare()
        #expect(search(index, "stress").isEmpty && search(index, "yoga") == [course.id])
        index.remove(course.id)
        #expect(search(index, "yoga").isEmpty && index.count == 0)
    }

    @Test func tiesAreBrokenByTitleAlsoAfterChanges() {
        let courses = [entry("Charlie"), entry("Bravo"), entry("Delta"), entry("Able")]
        var index = index(Array(courses.prefix(3)))
        let title = Dictionary(uniqueKeysWithValues: courses.map { ($0.id, $0.title) })
        #expect(search(index, "") { $0.sort = .rating }.map { title[$0]! } == ["Bravo", "Charlie", "Delta"], "equal ratings: by title")
        index.upsert(courses[3])
        index.prepare()
        #expect(search(index, "") { $0.sort = .rating }.map { title[$0]! } == ["Able", "Bravo", "Charlie", "Delta"], "a new course takes its place")
        #expect(search(index, "") { $0.sort = .rating; $0.offset = 2; $0.limit = 2 }.map { title[$0]! } == ["Charlie", "Delta"])
    }

    /// Whatever the query, every result passes its filters, and paging never repeats or loses a course.
    @Test(arguments: 0..<25) func resultsAlwaysHonourTheFilters(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let words = ["cyber", "office", "yoga", "procurement", "law", "ethics", "कार्यालय", "नैतिकता"]
        let entries = (0..<60).map { _ in
            entry((0..<3).map { _ in words.randomElement(using: &generator)! }.joined(separator: " "),
                  language: ["en", "hi", "ta"].randomElement(using: &generator)!,
                  kinds: [ContentKind.allCases.randomElement(using: &generator)!], minutes: Int.random(in: 5...700, using: &generator),
                  enrolments: Int.random(in: 0...1000, using: &generator))
        }
        let index = index(entries)
        let byID = Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0) })
        var query = CatalogueQuery()
        query.text = Bool.random(using: &generator) ? words.randomElement(using: &generator)! : ""
        query.language = ["en", "hi", nil].randomElement(using: &generator)!
        query.maxDuration = [nil, 100, 400].randomElement(using: &generator)!
        query.sort = CatalogueQuery.Sort.allCases.randomElement(using: &generator)!
        query.limit = 1000
        let all = index.search(query)
        for id in all.ids {
            let entry = byID[id]!
            #expect(query.language == nil || entry.language == query.language)
            #expect(query.maxDuration == nil || entry.durationMinutes <= query.maxDuration!)
            #expect(query.text.isEmpty || SearchText.words(entry.title).contains(query.text.lowercased()))
        }
        var paged: [UUID] = []
        query.limit = 7
        while paged.count < all.total {
            query.offset = paged.count
            paged += index.search(query).ids
        }
        #expect(paged == all.ids)
    }
}
