import Foundation
import Testing
@testable import KarmayogiCore

@Suite struct CompetencyTests {
    static let kcm: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/KarmayogiServer/Resources/kcm-competencies.csv")
        return try! String(contentsOf: url, encoding: .utf8)
    }()

    @Test func readsTheNationalFramework() throws {
        let entries = try CompetencyEntry.framework(csv: Self.kcm)
        #expect(entries.count == 149)
        let themes = entries.filter { $0.subTheme == nil }
        #expect(themes.filter { $0.area == .behavioural }.count == 13)
        #expect(themes.filter { $0.area == .functional }.count == 22, "21 themes and the later 'Data Protection'")
        #expect(entries.contains { $0.key == "functional/project management/project kpis monitoring" })
        #expect(Set(entries.map(\.key)).count == entries.count)
    }

    @Test func aDomainCompetencysKeyNamesItsDomain() {
        let railways = CompetencyEntry(area: .domain, theme: "Asset Management", subTheme: "Rolling Stock", description: "d")
        #expect(railways.key(inDomain: " Railways ") == "domain/railways/asset management/rolling stock")
        #expect(railways.key(inDomain: "Power") != railways.key(inDomain: "Railways"))
        let functional = CompetencyEntry(area: .functional, theme: "Office Management", subTheme: nil, description: "d")
        #expect(functional.key(inDomain: "Railways") == "functional/office management")
    }

    @Test func refusesAMalformedFramework() {
        #expect(throws: CSVError.self) { try CompetencyEntry.framework(csv: "area,theme,subtheme,description\nCosmic,X,,y\n") }
        #expect(throws: CSVError.self) { try CompetencyEntry.framework(csv: "area,theme,subtheme,description\nDomain,X,,a\nDomain,x,,b\n") }
    }

    @Test func mappingsNameEveryBadEntry() {
        let known = UUID(), other = UUID(), old = UUID()
        let problems = RoleRequirement.problems([
            .init(competencyId: known, level: 3),
            .init(competencyId: UUID(), level: 2),
            .init(competencyId: known, level: 0),
            .init(competencyId: old, level: 6),
            .init(competencyId: other, level: 5),
        ], current: [known, other], retired: [old])
        #expect(problems.map(\.field) == ["competencies[1].competencyId", "competencies[2].competencyId", "competencies[2].level",
                                          "competencies[3].competencyId", "competencies[3].level"])
    }

    @Test func designationsIgnoreCaseAndSpacing() {
        #expect(Designation.key("  Section   Officer ") == Designation.key("section officer"))
        #expect(Designation.normalised("  Section   Officer ") == "Section Officer")
        #expect(ProficiencyLevel.generic.keys.sorted() == [1, 2, 3, 4, 5])
    }
}
