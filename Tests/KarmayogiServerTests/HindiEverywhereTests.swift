import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Testing
import Vapor
@testable import KarmayogiServer

/// Every page, rendered in Hindi for the people who use it, holds no word of the English catalogue — names, codes
/// and course content aside (the words of the data the world holds are allowed, since a name is no translation).
@Suite struct HindiEverywhereTests {
    /// Words (three letters or more) of the English messages that no Hindi message uses too.
    static let englishWords: Set<String> = {
        func words(_ messages: [String: String]) -> Set<String> {
            Set(messages.values.flatMap { text in
                text.replacingOccurrences(of: #"\{[a-zA-Z]+\}"#, with: " ", options: .regularExpression)
                    .split { !$0.isLetter }.map { $0.lowercased() }.filter { $0.count >= 3 && $0.allSatisfy(\.isASCII) }
            })
        }
        return words(Catalogue.messages("en")).subtracting(words(Catalogue.messages("hi")))
    }()

    /// The words of what the world holds: people, organisations, places, courses, competencies, plans and the like.
    static func dataWords(_ app: Application) async throws -> Set<String> {
        let sql = app.db as! any SQLDatabase
        var texts: [String] = ["Karmayogi — Mission Karmayogi", "Karmayogi", TestWorld.password]
        struct One: Decodable { var text: String? }
        for (table, columns) in [("users", ["name", "email", "designation", "employee_id"]), ("organisations", ["name", "code"]),
                                 ("competencies", ["key", "theme", "sub_theme", "description"]), ("course_versions", ["title", "content"]),
                                 ("plans", ["name"]), ("designation_competencies", ["designation"]), ("states", ["name"]), ("districts", ["name"]),
                                 ("course_ratings", ["text"]), ("bulk_uploads", ["file_name"]), ("certificates", ["title"]),
                                 ("case_studies", ["title", "abstract", "body", "teaching_note", "authors"]), ("accreditation_frameworks", ["body"])
                                ] {
            for column in columns {
                let rows = try await sql.raw("SELECT CAST(\(ident: column) AS TEXT) AS text FROM \(ident: table)").all(decoding: One.self)
                texts += rows.compactMap(\.text)
            }
        }
        return Set(texts.flatMap { $0.split { !$0.isLetter }.map { $0.lowercased() } })
    }

    /// What a reader meets: text between tags and the labels assistive technology reads; code, scripts and styles aside.
    static func readable(_ html: String) -> [String] {
        var text = html
        for pattern in [#"(?s)<script.*?</script>"#, #"(?s)<style.*?</style>"#, #"(?s)<code>.*?</code>"#, #"(?s)<textarea.*?</textarea>"#] {
            text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        var found: [String] = []
        let attributes = try! Regex(#"(?:aria-label|title|alt|placeholder)="([^"]*)""#)
        for match in text.matches(of: attributes) { found.append(String(match.output[1].substring ?? "")) }
        found += text.replacingOccurrences(of: #"(?s)<[^>]*>"#, with: "\n", options: .regularExpression).split(separator: "\n").map(String.init)
        return found.map { $0.replacingOccurrences(of: #"https?://\S+"#, with: " ", options: .regularExpression).replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&quot;", with: "\"") }
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    static func englishIn(_ html: String, allowed: Set<String>) -> [String] {
        // Ids and hashes are not words, whatever letters they happen to hold ("…-bad82fc6afa3"): whole UUIDs go first,
        // then any run of letters and digits with a digit in it.
        let uuid = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/
        return readable(html).compactMap { line in
            let words = line.replacing(uuid, with: " ").split { !($0.isLetter || $0.isNumber) }.filter { !$0.contains(where: \.isNumber) }
                .flatMap { $0.split { !$0.isLetter } }.map { $0.lowercased() }
            let english = words.filter { englishWords.contains($0) && !allowed.contains($0) }
            return english.isEmpty ? nil : "\(english.joined(separator: ", ")) in “\(line.trimmingCharacters(in: .whitespaces).prefix(120))”"
        }
    }

    /// Where the platform keeps English of its own outside the catalogues (the API's words), the English catalogue
    /// says exactly the same, so a page and the API never disagree.
    @Test func theCataloguesSayWhatTheCoreSays() {
        let english = Catalogue.all["en"]!
        for problem in OnboardingSheet.RowProblem.examples {
            #expect(english("upload.reason.\(problem.code)", problem.values) == problem.english, "\(problem.code)")
        }
        for (level, description) in ProficiencyLevel.generic {
            #expect(english("level.\(level).description") == description)
        }
    }

    @Test func theTestSeesEnglishWhereThereIsSome() {
        #expect(Self.englishWords.contains("attempt") && Self.englishWords.contains("certificate") && Self.englishWords.contains("december"))
        #expect(Self.englishIn("<p>प्रयास 1</p><p>Attempt 1 of 3</p>", allowed: []).count == 1)
        #expect(Self.englishIn("<button aria-label=\"Submit my answers\">भेजें</button>", allowed: []).count == 1)
        #expect(Self.englishIn("<p>Asha Verma</p><code>email</code>", allowed: ["asha", "verma"]).isEmpty)
        #expect(Self.englishIn("<p>1f6b6c62-db87-43d1-817f-bad82fc6afa3 · 4bad · bad</p>", allowed: []).count == 1, "ids are not words; a word is")
    }

    @Test func everyPageInHindiHasNoEnglishMessage() async throws {
        try await withApp { app, world in
            // A world with something on every page: courses (one completed with a certificate, one with an assessment
            // attempted), a rating, a plan, a mapped designation, a declaration, a bulk upload with a bad row.
            let (course, items) = try await publishedCourse(app, world, title: "Disaster management basics")
            let (quizCourse, _, assessment) = try await AssessmentTests().course(app, world)
            try await complete(app, course, items, as: "learner.mha")
            let learnerToken = try await app.token("learner.mha")
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/ratings", token: learnerToken, json: ["stars": 4, "text": "उपयोगी"])
            _ = try await app.send(.POST, "/api/v1/courses/\(quizCourse)/enrol", token: learnerToken)
            let attempt = try #require(try await app.send(.POST, "/api/v1/assessments/\(assessment)/attempts", token: learnerToken).json["id"] as? String)
            let certificate = try #require(try await app.send(.GET, "/api/v1/me/certificates", token: learnerToken).items.first?["id"] as? String)
            let competency = try #require(try await app.send(.GET, "/api/v1/competencies?q=Office%20Procedures").items.first?["id"] as? String)
            let learner = try #require(try await User.find(world.users["learner.mha"], on: app.db))
            learner.designation = "Section Officer"
            try await learner.save(on: app.db)
            _ = try await app.send(.PUT, "/api/v1/orgs/\(world.mhaDepartment)/designations/Section%20Officer", token: try await app.token("mdo.mha"),
                                   json: ["competencies": [["competencyId": competency, "level": 3]]])
            _ = try await app.send(.POST, "/api/v1/me/passbook/declarations", token: learnerToken, json: ["competencyId": competency, "level": 3])
            let cbp = try await app.token("cbp.mha")
            let plan = try #require(try await app.send(.POST, "/api/v1/orgs/\(world.mha)/plans", token: cbp, json: planBody(course)).json["id"] as? String)
            _ = try await app.send(.POST, "/api/v1/plans/\(plan)/publish", token: cbp)
            _ = try await app.send(.PATCH, "/api/v1/plans/\(plan)", token: cbp, json: ["name": "Renamed plan"])

            var admin = Browser(app)
            try await admin.signIn("mdo.mha")
            _ = try await admin.get("/admin/users?org=\(world.mha)")
            let upload = try await admin.post("/admin/uploads?org=\(world.mha)", multipart: [:],
                                              file: ("file", "staff.csv", Array("name,email\nGood,good@test.example.org\nBad,not-an-email\n".utf8)))
            let uploadPage = try #require(upload.headers.first(name: .location))
            for _ in 0..<600 where try await admin.get(uploadPage).body.contains("http-equiv=\"refresh\"") {
                try await Task.sleep(for: .milliseconds(50))
            }
            let unit = try await app.send(.PUT, "/api/v1/orgs/\(world.mha)/capacity-building-unit", token: try await app.token("mdo.mha"),
                                          json: ["formedOn": "2026-04-01", "memberEmails": ["learner.mha@test.example.org"]])
            #expect(unit.status == .ok)
            _ = try await app.send(.POST, "/api/v1/users/\(world.users["learner.health"]!)/status", token: try await app.token("mdo.health"),
                                   json: ["status": "disabled", "reason": "छुट्टी पर"])
            let (draft, draftItem) = try await AssessmentEditorTests().draftWithAnAssessment(app, world)
            let institutes = try await CaseWorld.build(on: app)
            let editor = try await app.token("editor.one")
            let study = try await app.send(.POST, "/api/v1/cases", token: editor, json: caseBody(institutes.ripa)).decoded(CaseStudyDTO.self).id.uuidString.lowercased()
            let application = try await app.send(.POST, "/api/v1/institutes/\(institutes.ripa)/accreditations", token: try await app.token("admin.ripa"))
                .decoded(AccreditationDTO.self).id.uuidString.lowercased()
            let allowed = try await Self.dataWords(app)
            let person = world.users["learner.mha"]!.uuidString.lowercased()

            let pages: [(who: String?, paths: [String])] = [
                (nil, ["/login", "/courses", "/courses/\(course)", "/competencies", "/competencies/\(competency)", "/verify", "/verify?id=\(certificate)",
                       "/certificates/\(certificate)", "/styleguide", "/accreditation", "/forgot-password", "/reset-password?token=x", "/activate?token=x", "/nothing-here"]),
                ("learner.mha", ["/", "/my/learning", "/my/certificates", "/my/passbook", "/my/karma", "/my/plans", "/learn/\(course)",
                                 "/learn/\(quizCourse)", "/attempts/\(attempt)", "/designations", "/courses?q=disaster"]),
                ("mdo.mha", ["/", "/admin/users?org=\(world.mha)", uploadPage, "/admin/declarations", "/insights", "/insights/scorecard",
                             "/designations/Section%20Officer?org=\(world.mhaDepartment)", "/admin/users/new?org=\(world.mha)&state=8",
                             "/admin/users/\(person)", "/admin/users/\(person)/status?to=disabled", "/admin/organisations",
                             "/admin/organisations/\(world.mha)", "/admin/organisations/new?parent=\(world.mha)", "/competencies/new",
                             "/insights?scope=org:\(world.mhaDepartment)"]),
                ("mdo.health", ["/admin/users/\(world.users["learner.health"]!.uuidString.lowercased())"]),
                ("cbp.mha", ["/plans", "/plans/new", "/plans/\(plan)", "/plans/\(plan)/compliance"]),
                ("creator.mha", ["/author", "/author/courses/\(course)", "/author/courses/\(draft)/assessments/\(draftItem)",
                                 "/author/courses/\(quizCourse)", "/review/\(course)"]),
                ("reviewer.mha", ["/", "/review", "/review/\(course)", "/review/\(draft)", "/review/\(draft)/reject"]),
                ("admin.ripa", ["/accreditation", "/accreditations/\(application)"]),
                ("editor.one", ["/cases", "/cases/coverage", "/cases/new", "/cases/mine", "/cases/\(study)"]),
                ("national", ["/insights?scope=nation", "/insights/scorecard", "/insights/kpis/platform_uptime?scope=nation", "/insights?scope=state:8",
                              "/admin/organisations/new", "/competencies/\(competency)/retire"]),
            ]
            var problems: [String] = []
            for (who, paths) in pages {
                var browser = Browser(app)
                if let who { try await browser.signIn(who) }
                for path in paths {
                    let page = try await browser.get(path + (path.contains("?") ? "&" : "?") + "lang=hi")
                    guard page.headers.contentType?.subType == "html" else { continue }
                    if page.status != .ok, path != "/nothing-here" { problems.append("\(who ?? "visitor") \(path) answered \(page.status.code)") }
                    problems += Self.englishIn(page.body, allowed: allowed).map { "\(who ?? "visitor") \(path) [\(page.status.code)]: \($0)" }
                }
            }
            #expect(problems.isEmpty, "\(problems.count) English phrases on Hindi pages:\n\(problems.joined(separator: "\n"))")
        }
    }
}
