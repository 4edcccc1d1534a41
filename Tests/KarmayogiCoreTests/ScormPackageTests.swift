import Foundation
import KarmayogiCore
import Testing
import ZIPFoundation

/// The content-standard fixtures beside the repository (../shared/fixtures): read there, never copied.
let standardFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/fixtures")

/// A ZIP archive made in memory from (path, bytes, type) entries, for the archives no real tool would write.
func makeZip(_ entries: [(path: String, bytes: Data, type: Entry.EntryType)], compression: CompressionMethod = .deflate) throws -> Data {
    let archive = try Archive(data: Data(), accessMode: .create, pathEncoding: nil)
    for entry in entries {
        try archive.addEntry(with: entry.path, type: entry.type, uncompressedSize: Int64(entry.bytes.count), compressionMethod: compression) { position, size in
            entry.bytes.subdata(in: Int(position)..<Int(position) + size)
        }
    }
    return archive.data!
}

@Suite struct ScormPackageTests {
    struct Expectation {
        var file: String
        var expected: String
    }

    static let expectations: [Expectation] = {
        let text = try! String(contentsOf: standardFixtures.appendingPathComponent("scorm/EXPECTED.csv"), encoding: .utf8)
        return try! CSVReader(text: text).rows().dropFirst().map { Expectation(file: $0.fields[0], expected: $0.fields[2]) }
    }()

    static func inspect(_ file: String) throws -> Result<(package: ScormPackage, root: String), ScormManifest.Refusal> {
        let data = try Data(contentsOf: standardFixtures.appendingPathComponent("scorm/" + file))
        do {
            let archive = try PackageArchive(data: data)
            return .success(try ScormManifest.inspect(archive))
        } catch let refusal as ScormManifest.Refusal {
            return .failure(refusal)
        } catch let refusal as PackageArchive.Refusal {
            return .failure(.init(reasons: [refusal.description]))
        }
    }

    @Test(arguments: expectations.filter { $0.file.hasSuffix(".zip") }.map(\.file))
    func everyFixturePackageGetsItsExpectedOutcome(_ file: String) throws {
        let expected = Self.expectations.first { $0.file == file }!.expected
        let outcome = try Self.inspect(file)
        switch outcome {
        case .success(let found):
            #expect(expected.hasPrefix("valid") || expected.hasPrefix("parses"), "\(file) should be refused (\(expected))")
            #expect(!found.package.leaves.isEmpty)
            if expected == "valid" {
                #expect(found.package.warnings.allSatisfy { $0.hasPrefix("the launch file") && $0.hasSuffix("is not in the package") },
                        "a valid package is accepted without remarks, but for a launch file a manifest-only fixture lacks: \(found.package.warnings)")
            }
            if expected.hasPrefix("parses") || expected.contains("manifest only") { #expect(!found.package.warnings.isEmpty, "files missing are said") }
        case .failure(let refusal):
            #expect(expected == "invalid" || expected == "not SCORM", "\(file) should be accepted: \(refusal.reasons)")
            #expect(!refusal.reasons.isEmpty && refusal.reasons.allSatisfy { !$0.isEmpty })
        }
    }

    @Test func theReasonsNameWhatIsWrong() throws {
        func reasons(_ file: String) throws -> [String] {
            guard case .failure(let refusal) = try Self.inspect(file) else { return [] }
            return refusal.reasons
        }
        let malformed = try reasons("invalid/MalformedXml_SCORM12.zip")
        #expect(malformed == ["imsmanifest.xml is not well-formed XML (line 27): an end tag does not match the element it should close"])
        #expect(try reasons("invalid/MissingLaunchUrl_SCORM12.zip") == ["the SCO ‘resource_1’ of the item ‘item_1’ has no href to launch"])
        #expect(try reasons("invalid/MissingRequiredFields_SCORM12.zip") == ["the organization ‘default_org’ has no <title>"])
        #expect(try reasons("invalid/InvalidMissingOrgIdentifier_SCORM20043rdEdition.zip").contains("an <organization> has no identifier"))
        #expect(try reasons("invalid/CM-01-broken-default-org_SCORM2004.zip") == ["the default organization ‘NONEXISTENT_ORG’ is not one of the manifest's organizations"])
        #expect(try reasons("aicc/aicc.zip") == ["is an AICC course (.crs and .au files), not a SCORM package: it has no imsmanifest.xml"])
    }

    @Test func editionsLaunchesAndSequencingAreRead() throws {
        guard case .success(let golf12) = try Self.inspect("scorm12/ContentPackagingOneFilePerSCO_SCORM12.zip"),
              case .success(let single) = try Self.inspect("scorm12/ContentPackagingSingleSCO_SCORM12.zip"),
              case .success(let nested) = try Self.inspect("scorm12/LaunchUrlFromNestedItem_SCORM12.zip"),
              case .success(let dangling) = try Self.inspect("edge-cases/ItemWithNonExistentResourceId_SCORM12.zip"),
              case .success(let noVersion) = try Self.inspect("edge-cases/ContentPackagingNoSchemaVersion_SCORM20042ndEdition.zip"),
              case .success(let forced) = try Self.inspect("scorm2004/SequencingForcedSequential_SCORM20043rdEdition.zip"),
              case .success(let rollup) = try Self.inspect("scorm2004/SequencingPostTestRollup4thEd_SCORM20044thEdition.zip")
        else { Issue.record("a valid fixture was refused"); return }
        #expect(golf12.package.version == .scorm12 && golf12.package.leaves.count > 1 && golf12.package.leaves.count > 10)
        #expect(golf12.package.leaves.first { $0.identifier == "playing_quiz_item" }?.launch == "shared/assessmenttemplate.html?questions=Playing",
                "an item's parameters join its resource's address")
        #expect(single.package.leaves.map(\.isSCO) == [true] && single.package.leaves[0].launch == "shared/launchpage.html")
        #expect(nested.package.leaves.map(\.launch).allSatisfy { $0 != nil })
        #expect(dangling.package.leaves.map(\.launch) == ["content/item2.html"], "the launch falls back to the item whose resource exists")
        #expect(dangling.package.warnings.contains { $0.contains("non_existent_resource") })
        #expect(noVersion.package.version == .scorm2004v2)
        #expect(forced.package.version == .scorm2004v3 && rollup.package.version == .scorm2004v4)
        let etiquette = try #require(forced.package.leaves.first { $0.identifier == "etuqiette_item" })
        #expect(etiquette.sequencing?.preConditions.first?.action == "disabled")
        #expect(etiquette.sequencing?.preConditions.first?.conditions.map(\.condition) == ["satisfied", "objectiveStatusKnown"])
        #expect(etiquette.sequencing?.objectives.contains { $0.id == "previous_sco_satisfied" && $0.maps.first?.readSatisfied == true } == true)
        #expect(forced.package.organisation.sequencing?.controlMode.flow == true || etiquette.sequencing?.controlMode.flow == true,
                "the shared sequencing collection's flow control reaches the items")
    }

    @Test func everyConformanceSuiteManifestReadsWithoutErrors() throws {
        let folder = standardFixtures.appendingPathComponent("scorm/scorm2004/adl-cts-manifests")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".xml") }.sorted()
        #expect(names.count == 189)
        for name in names {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            do {
                let package = try ScormManifest.inspect(manifest: data, files: [])
                #expect(package.version.is2004, "\(name)")
            } catch {
                Issue.record("\(name): \(error.reasons)")
            }
        }
    }
}

@Suite struct PackageArchiveTests {
    let page = Data("<html></html>".utf8)

    func refusal(_ data: Data, limits: PackageArchive.Limits = .standard) -> String? {
        do {
            _ = try PackageArchive(data: data, limits: limits)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func entriesThatLeaveTheirFolderAreRefused() throws {
        #expect(refusal(try makeZip([("index.html", page, .file), ("../evil.html", page, .file)]))?.contains("outside the package's folder") == true)
        #expect(refusal(try makeZip([("a/../../evil.html", page, .file)]))?.contains("outside") == true)
        #expect(refusal(try makeZip([("/etc/cron.d/evil", page, .file)]))?.contains("outside") == true)
        #expect(refusal(try makeZip([("C:\\evil.bat", page, .file)]))?.contains("outside") == true)
        #expect(refusal(try makeZip([("..\\evil.html", page, .file)]))?.contains("outside") == true)
        #expect(refusal(try makeZip([("link", Data("/etc/passwd".utf8), .symlink)]))?.contains("symbolic link") == true)
        #expect(refusal(Data("PK not really".utf8)) == "is not a ZIP archive")
        #expect(refusal(Data("%PDF-1.4".utf8)) == "is not a ZIP archive")
        #expect(refusal(try makeZip([("./a/./b.html", page, .file), ("a/b.html", page, .file)]))?.contains("twice") == true)
    }

    @Test func archivesThatUnpackBeyondTheLimitsAreRefusedBeforeAnythingIsWritten() throws {
        let many = try makeZip((0...10_000).map { ("f\($0).txt", Data(), .file) }, compression: .none)
        #expect(refusal(many) == "holds more than 10000 entries")
        let zeros = try makeZip([("zeros.bin", Data(count: 20 << 20), .file)])
        #expect(zeros.count < 200_000)
        #expect(refusal(zeros) == "unpacks to more than 100 times its packed size, as a ZIP bomb does")
        let random = Data((0..<(3 << 20)).map { _ in UInt8.random(in: 0...255) })
        let big = try makeZip([("a.bin", random, .file)], compression: .none)
        #expect(refusal(big, limits: .init(unpackedBytes: 2 << 20)) == "would unpack to more than 2 MiB")
        #expect(refusal(big) == nil)
    }

    @Test func anArchiveThatLiesAboutAnEntrysSizeStopsAtTheLie() throws {
        var data = try makeZip([("index.html", Data(repeating: 65, count: 4000), .file)], compression: .none)
        // Rewrite the declared uncompressed size (4000) in both headers to 10: the bytes now run past it.
        for offset in data.indices.dropLast(4) where data[offset..<offset + 4] == Data([0xA0, 0x0F, 0, 0]) {
            data.replaceSubrange(offset..<offset + 4, with: [10, 0, 0, 0])
        }
        let archive = try PackageArchive(data: data)
        #expect(throws: PackageArchive.Refusal.self) { try archive.read("index.html") }
    }

    @Test func aSafeArchiveUnpacksEveryFileInItsFolder() throws {
        let data = try Data(contentsOf: standardFixtures.appendingPathComponent("scorm/scorm12/ContentPackagingSingleSCO_SCORM12.zip"))
        let archive = try PackageArchive(data: data)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unpack-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var reported: Int64 = 0
        try archive.unpack(to: folder) { reported = $0 }
        #expect(reported == archive.unpackedBytes)
        for path in archive.files.keys {
            #expect(try Data(contentsOf: folder.appendingPathComponent(path)) == archive.read(path))
        }
    }
}

@Suite struct PackageArchiveFuzzTests {
    /// Damaged archives (bytes flipped, cut short, sizes and offsets rewritten) are refused or read, never a trap:
    /// the reader sees every upload before anything else does.
    @Test func damagedArchivesAreRefusedNeverATrap() throws {
        let original = try makeZip([("imsmanifest.xml", Data(repeating: 60, count: 300), .file), ("a/b.html", Data("<html>hello</html>".utf8), .file),
                                    ("c.txt", Data((0..<2000).map { UInt8($0 % 251) }), .file)])
        var generator = SystemRandomNumberGenerator()
        var refused = 0
        for round in 0..<3000 {
            var data = original
            switch round % 4 {
            case 0: data = data.prefix(Int.random(in: 0..<data.count, using: &generator))
            case 1:
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    data[Int.random(in: 0..<data.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            case 2:
                // A 32-bit field somewhere in the last 100 bytes (the central directory) set to an extreme.
                let at = data.count - Int.random(in: 5...100, using: &generator)
                data.replaceSubrange(at..<at + 4, with: [[0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0x7F]][round % 3])
            default:
                let at = Int.random(in: 0..<data.count - 2, using: &generator)
                data.replaceSubrange(at..<at + 2, with: [0xFF, 0xFF])
            }
            do {
                let archive = try PackageArchive(data: data)
                for path in archive.files.keys { _ = try? archive.read(path) }
            } catch {
                refused += 1
            }
        }
        #expect(refused > 1000, "most damaged archives are refused (\(refused) of 3000)")
    }
}
