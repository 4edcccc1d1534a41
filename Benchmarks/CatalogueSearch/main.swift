// Catalogue search in-process: builds an index of N published courses in six languages and times
// a mix of searches (words, prefixes, filters, sorts), reporting p50/p99 latency and searches per second.
// `swift run -c release catalogue-benchmark [courses] [searches]`
import Foundation
import KarmayogiCore

let courses = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000 : 10_000
let searches = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 5_000 : 5_000
var random = SeededGenerator(seed: 7)

let languages = CatalogueSample.languages
var sample = CatalogueSample(seed: 2026)
let providers = (0..<200).map { _ in UUID() }
let competencies = (0..<150).map { index in (UUID(), index < 54 ? CompetencyArea.behavioural : index < 149 ? .functional : .domain) }
@MainActor func phrase(_ language: String, _ count: Int) -> String { sample.phrase(language, words: count) }

let buildStart = ContinuousClock.now
var index = CatalogueIndex()
for number in 0..<courses {
    let course = sample.course(number: number)
    let tagged = (0..<Int.random(in: 1...3, using: &random)).map { _ in competencies.randomElement(using: &random)! }
    index.upsert(CatalogueEntry(
        id: UUID(), title: course.title, summary: course.summary, description: course.description, keywords: course.keywords,
        language: course.language, providerId: providers.randomElement(using: &random)!,
        competencies: Dictionary(tagged, uniquingKeysWith: { first, _ in first }), kinds: [ContentKind.allCases.randomElement(using: &random)!],
        durationMinutes: course.minutes, enrolments: course.enrolments, rating: Double.random(in: 2.5...5, using: &random),
        publishedAt: Date(timeIntervalSince1970: Double.random(in: 1.6e9...1.78e9, using: &random))))
}
index.prepare()
let buildTime = ContinuousClock.now - buildStart

var queries: [CatalogueQuery] = []
for _ in 0..<searches {
    var query = CatalogueQuery()
    let language = languages.randomElement(using: &random)!
    switch Int.random(in: 0..<6, using: &random) {
    case 0: query.text = phrase(language, 1)
    case 1: query.text = phrase(language, 2)
    case 2: query.text = String(phrase(language, 1).prefix(3))
    case 3: query.text = phrase(language, 1); query.language = language; query.sort = .popularity
    case 4: query.area = .behavioural; query.maxDuration = 120; query.sort = .rating
    default: query.text = phrase(language, 1); query.kind = ContentKind.allCases.randomElement(using: &random)!
    }
    queries.append(query)
}

var latencies: [Duration] = []
var matched = 0
let start = ContinuousClock.now
for query in queries {
    let began = ContinuousClock.now
    matched += index.search(query).total
    latencies.append(ContinuousClock.now - began)
}
let elapsed = ContinuousClock.now - start
latencies.sort()
func ms(_ duration: Duration) -> String {
    String(format: "%.2f ms", Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15)
}
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("courses \(courses), searches \(searches), index built in \(ms(buildTime)), average \(matched / max(searches, 1)) matches a search")
print("p50 \(ms(latencies[latencies.count / 2])), p99 \(ms(latencies[latencies.count * 99 / 100])), max \(ms(latencies.last!)), \(Int(Double(searches) / seconds)) searches/s (one core)")
