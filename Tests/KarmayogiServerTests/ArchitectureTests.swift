import Foundation
import Testing

/// Rooms with walls (issue 16): each table belongs to the room (folder of `Sources/KarmayogiServer`) whose code
/// declares it, and only that room's code names it — by its model (`User.query`, `\User.$email`, `User()`), its
/// schema or table constant, or its name in a string. Other rooms call the owning room's functions.
///
/// The house does not meet this yet: `crossings` lists, room by room, how often each room still names another
/// room's table. The test fails when a room names a table it did not before, or names one more often; and when a
/// crossing is mended, until its line here is lowered too — the list only shrinks. New rooms start at zero.
@Suite struct ArchitectureTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/KarmayogiServer")

    /// The crossings as they stand ("room names table": times). Lower a line when you mend one; never raise one.
    static let crossings: [String: Int] = [
        "App names organisations": 1,
        // The catalogue's addresses an answer links to ("/courses/{id}", "/courses?q="), not the table.
        "Assistant names courses": 2,
        "App names role_grants": 1,
        "App names rollups": 1,
        "App names users": 2,
        "Catalog names competencies": 2,
        "Catalog names organisations": 8,
        "Catalog names users": 3,
        "Competencies names organisations": 5,
        "Competencies names users": 1,
        "Credentials names competencies": 2,
        "Credentials names enrolments": 1,
        "Credentials names organisations": 3,
        "Credentials names passbook_entries": 8,
        "Credentials names users": 5,
        "Demo names competencies": 1,
        "Demo names courses": 3,
        "Demo names designation_competencies": 1,
        "Demo names organisations": 1,
        "Demo names users": 5,
        "Generate names active_days": 2,
        "Generate names competencies": 2,
        "Generate names course_versions": 4,
        "Generate names courses": 5,
        "Generate names enrolments": 4,
        "Generate names learning_days": 2,
        "Generate names organisations": 1,
        "Generate names plan_courses": 1,
        "Generate names plans": 1,
        "Generate names users": 5,
        "Identity names districts": 2,
        "Identity names organisations": 9,
        "Identity names states": 2,
        "Insights names certificates": 4,
        "Insights names enrolments": 11,
        "Insights names organisations": 20,
        "Insights names plans": 4,
        "Insights names users": 10,
        // The first parts of the addresses "/users/{id}/gaps" and "/admin/organisations/{id}/gaps", not the tables.
        "Guidance names organisations": 1,
        "Guidance names users": 1,
        "Learning names certificates": 2,
        "Learning names competencies": 1,
        "Learning names courses": 4,
        "Learning names organisations": 4,
        "Learning names users": 5,
        "Onboarding names organisations": 3,
        "Onboarding names users": 4,
        "Organisations names districts": 1,
        "Organisations names states": 1,
        "Organisations names users": 1,
        // The first part of the address "/courses/{id}/packages", not the table.
        "Packages names courses": 1,
        "Plans names courses": 3,
        "Plans names designation_competencies": 2,
        "Plans names enrolments": 3,
        "Plans names organisations": 7,
        "Plans names passbook_entries": 1,
        "Plans names users": 4,
        // The first part of the address "/courses/{id}/items/{item}/launch", not the table.
        "Records names courses": 1,
        // The address of an organisation's tools page, "/admin/organisations/{id}/lti-tools", not the table.
        "Tools names organisations": 3,
        // The first parts of addresses ("/courses/{id}/nsqf", "/programmes/{id}/nsqf", "/states/…"), not the tables.
        "Qualifications names courses": 1,
        "Qualifications names programmes": 1,
        "States names states": 1,
    ]

    struct Table { var name: String; var room: String; var type: String? }

    static func files() throws -> [(room: String, text: String)] {
        let manager = FileManager.default
        var found: [(String, String)] = []
        for room in try manager.contentsOfDirectory(atPath: sources.path).sorted() where room != "Resources" {
            let folder = sources.appendingPathComponent(room)
            guard let names = manager.enumerator(atPath: folder.path) else { continue }
            for case let name as String in names where name.hasSuffix(".swift") {
                found.append((room, try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)))
            }
        }
        return found
    }

    /// Each table and its room: a model's `static let schema = "…"`, a type's `static let table = "…"`, or a table a
    /// room's migration creates by name.
    static func tables(in files: [(room: String, text: String)]) -> [Table] {
        var tables: [String: Table] = [:]
        let type = try! Regex(#"^\s*(?:public |private |fileprivate )?(?:final )?(?:class|enum|struct)\s+(\w+)"#)
        let constant = try! Regex(#"static let (?:schema|table) = "(\w+)""#)
        let created = try! Regex(#"\.schema\("(\w+)"\)"#)
        for file in files {
            var current: String?
            for line in file.text.split(separator: "\n") {
                if let match = line.firstMatch(of: type) { current = String(match.output[1].substring ?? "") }
                if let match = line.firstMatch(of: constant), let owner = current {
                    let name = String(match.output[1].substring ?? "")
                    tables[name] = Table(name: name, room: file.room, type: owner)
                }
            }
        }
        for file in files {
            for match in file.text.matches(of: created) {
                let name = String(match.output[1].substring ?? "")
                if tables[name] == nil { tables[name] = Table(name: name, room: file.room, type: nil) }
            }
        }
        return tables.values.sorted { $0.name < $1.name }
    }

    /// How often each room names each other room's tables.
    static func measured() throws -> [String: Int] {
        let files = try files()
        var counts: [String: Int] = [:]
        for table in tables(in: files) {
            var patterns = [#""\#(table.name)""#]
            if let type = table.type { patterns.append(#"(?:^|[^\w.])\\?\#(type)(?:\.(?:query|find|schema|table)\b|\(\)|\.\$)"#) }
            let regex = try Regex(patterns.joined(separator: "|"))
            for file in files where file.room != table.room {
                let times = file.text.matches(of: regex).count
                if times > 0 { counts["\(file.room) names \(table.name)", default: 0] += times }
            }
        }
        return counts
    }

    @Test func everyTableHasARoom() throws {
        let tables = Self.tables(in: try Self.files())
        let names = Set(tables.map(\.name))
        for expected in ["users", "organisations", "enrolments", "courses", "course_versions", "plans", "rollups", "kpi_inputs", "outbox"] {
            #expect(names.contains(expected), "\(expected) has no room")
        }
        #expect(tables.first { $0.name == "users" }?.room == "Identity" && tables.first { $0.name == "enrolments" }?.room == "Learning")
    }

    @Test func noRoomNamesAnotherRoomsTableMoreThanItDid() throws {
        let now = try Self.measured()
        var problems: [String] = []
        for (crossing, times) in now.sorted(by: { $0.key < $1.key }) {
            let allowed = Self.crossings[crossing] ?? 0
            if times > allowed { problems.append("\(crossing): \(times) times (allowed \(allowed)); call the owning room's functions instead") }
        }
        for (crossing, allowed) in Self.crossings.sorted(by: { $0.key < $1.key }) where (now[crossing] ?? 0) < allowed {
            problems.append("\(crossing): now \(now[crossing] ?? 0) times, mended: lower its line in ArchitectureTests.crossings to \(now[crossing] ?? 0)")
        }
        #expect(problems.isEmpty, "\(problems.count) crossings of the rooms' walls:\n\(problems.joined(separator: "\n"))")
    }
}
