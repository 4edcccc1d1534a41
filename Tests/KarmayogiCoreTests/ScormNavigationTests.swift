import Foundation
import KarmayogiCore
import Testing

@Suite struct ScormNavigationTests {
    func package(_ file: String) throws -> ScormPackage {
        let data = try Data(contentsOf: standardFixtures.appendingPathComponent("scorm/" + file))
        return try ScormManifest.inspect(try PackageArchive(data: data)).package
    }

    @Test func forcedOrderOpensEachPartWhenTheOneBeforeIsSatisfied() throws {
        let golf = try package("scorm2004/SequencingForcedSequential_SCORM20043rdEdition.zip")
        let parts = golf.leaves.map(\.identifier)
        #expect(parts.prefix(4) == ["playing_item", "etuqiette_item", "handicapping_item", "havingfun_item"])
        var known: [String: ScormNavigation.Known] = [:]
        var open = ScormNavigation.availability(of: golf, known: known)
        #expect(open["playing_item"] == .open && open["etuqiette_item"] == .disabled && open["handicapping_item"] == .disabled)
        #expect(ScormNavigation.next(after: "playing_item", in: golf, known: known) == nil, "flow stops at a shut part")

        known["playing_item"] = .init(["cmi.completion_status": "incomplete"])
        #expect(ScormNavigation.availability(of: golf, known: known)["etuqiette_item"] == .disabled, "begun is not satisfied")
        known["playing_item"] = .init(["cmi.completion_status": "completed", "cmi.success_status": "passed"])
        open = ScormNavigation.availability(of: golf, known: known)
        #expect(open["etuqiette_item"] == .open && open["handicapping_item"] == .disabled)
        #expect(ScormNavigation.next(after: "playing_item", in: golf, known: known) == "etuqiette_item")
        #expect(ScormNavigation.previous(before: "etuqiette_item", in: golf, known: known) == "playing_item")
        known["etuqiette_item"] = .init(["cmi.completion_status": "completed", "cmi.success_status": "failed"])
        #expect(ScormNavigation.availability(of: golf, known: known)["handicapping_item"] == .disabled, "failed is not satisfied")
    }

    @Test func aFlowOnlyPackageOffersNoChoiceButFlows() throws {
        let golf = try package("scorm2004/SequencingSimpleRemediation_SCORM20043rdEdition.zip")
        let open = ScormNavigation.availability(of: golf, known: [:])
        #expect(golf.organisation.sequencing?.controlMode.choice == false)
        #expect(open.values.allSatisfy { $0 != .open }, "no part is offered for choice: \(open)")
        let first = golf.leaves[0].identifier
        #expect(ScormNavigation.next(after: first, in: golf, known: [:]) == golf.leaves[1].identifier)
        #expect(ScormNavigation.offered(of: golf, known: [:])[first] == .open, "the flow's first part is offered")
        let done = [first: ScormNavigation.Known(["cmi.completion_status": "completed", "cmi.success_status": "passed"])]
        let offered = ScormNavigation.offered(of: golf, known: done)
        #expect(offered[first] == .skipped && offered[golf.leaves[1].identifier] == .open,
                "then the next one; the satisfied part is skipped, as the package's remediation rules say: \(offered)")
    }

    @Test func whatAnAttemptSaysIsReadForBothEditions() {
        #expect(ScormNavigation.Known(["cmi.core.lesson_status": "passed"]) == .init(attempted: true, completed: true, satisfied: true))
        #expect(ScormNavigation.Known(["cmi.core.lesson_status": "incomplete"]) == .init(attempted: true, completed: false, satisfied: nil))
        #expect(ScormNavigation.Known(["cmi.completion_status": "completed", "cmi.success_status": "failed"]) == .init(attempted: true, completed: true, satisfied: false))
        #expect(ScormNavigation.Known([:]) == .init())
    }
}
