import Foundation
import KarmayogiCore
import Testing

@Suite struct Cmi5StructureTests {
    static let folder = standardFixtures.appendingPathComponent("cmi5")

    /// EXPECTED.csv's rows, with each glob made the files it names.
    static let cases: [(file: String, valid: Bool)] = {
        let text = try! String(contentsOf: folder.appendingPathComponent("EXPECTED.csv"), encoding: .utf8)
        return try! CSVReader(text: text).rows().dropFirst().flatMap { row -> [(String, Bool)] in
            let pattern = row.fields[0], valid = row.fields[1].hasPrefix("valid")
            guard let star = pattern.firstIndex(of: "*") else { return [(pattern, valid)] }
            let directory = (pattern[..<star] as Substring).split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            let prefix = String(pattern[pattern.index(after: pattern[..<star].lastIndex(of: "/")!)..<star])
            let suffix = String(pattern[pattern.index(after: star)...])
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(directory).path)) ?? []
            return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }.sorted().map { ("\(directory)/\($0)", valid) }
        }
    }()

    static func inspect(_ file: String) throws -> Result<Cmi5Course, Cmi5Structure.Refusal> {
        let data = try Data(contentsOf: folder.appendingPathComponent(file))
        do {
            // A course structure kept without its package (the fixtures' valid cmi5.xml files) is read as from a package whose
            // files are unknown; every other file is offered as an upload would be.
            if file.hasSuffix(".xml"), file.contains("/valid/") {
                return .success(try Cmi5Structure.inspect(data, from: .package(files: nil)))
            }
            return .success(try Cmi5Structure.inspect(upload: data).course)
        } catch {
            return .failure(error)
        }
    }

    @Test func theFixturesAreFound() {
        #expect(Self.cases.count >= 40, "\(Self.cases.count)")
    }

    @Test(arguments: cases.map(\.file))
    func everyFixtureGetsItsExpectedOutcome(_ file: String) throws {
        let valid = Self.cases.first { $0.file == file }!.valid
        switch try Self.inspect(file) {
        case .success(let course):
            #expect(valid, "\(file) should be refused")
            #expect(!course.aus.isEmpty && Cmi5Structure.isAbsoluteIRI(course.id))
        case .failure(let refusal):
            #expect(!valid, "\(file) should be accepted: \(refusal.reasons)")
        }
    }

    @Test func theReasonsNameWhatIsWrong() throws {
        func reasons(_ file: String) throws -> [String] {
            guard case .failure(let refusal) = try Self.inspect("lts/invalid/" + file) else { return [] }
            return refusal.reasons
        }
        #expect(try reasons("201-1-iris-course-id.xml").contains { $0.contains("course id") && $0.contains("not an absolute IRI") })
        #expect(try reasons("202-1-relative-url-no-zip.xml").contains { $0.contains("is relative") })
        #expect(try reasons("203-1-relative-url-no-reference.zip").contains { $0.contains("names a file the package lacks") })
        #expect(try reasons("204-query-string-conflict-endpoint.xml").contains { $0.contains("‘endpoint’") })
        #expect(try reasons("205-3-duplicated-au.xml").contains { $0.contains("is used twice") })
        #expect(try reasons("206-1-invalid-au-url.xml").contains { $0.contains("is not a URL") })
        #expect(try reasons("208-1-invalid-package.md") == ["is neither a ZIP archive nor a cmi5.xml course structure"])
        #expect(try reasons("210-1-no-cmi5-xml.zip") == ["the package has no cmi5.xml at its root"])
    }

    @Test func aPackageIsReadWithItsAUs() throws {
        guard case .success(let course) = try Self.inspect("packages/pre_post_test_framed.zip") else { Issue.record("refused"); return }
        #expect(course.aus.count >= 3 && course.aus.contains { $0.moveOn == .passed } && course.aus.allSatisfy { !$0.blocks.isEmpty })
        guard case .success(let thousand) = try Self.inspect("lts/valid/import/101-one-thousand-aus.xml") else { Issue.record("refused"); return }
        #expect(thousand.aus.count == 1001, "the import-scale fixture holds 1,001 AUs")
    }
}
