import Foundation
import Testing
@testable import KarmayogiServer

/// A loop that must never stop on one stuck call (the progress group commit) waits for it at most so long.
@Suite struct DeadlineTests {
    @Test func anAnswerInTimeIsPassedOnAndAStuckCallIsLeftBehind() async throws {
        #expect(try await Deadline.run(seconds: 5) { 42 } == 42)
        await #expect(throws: Deadline.Passed.self) {
            try await Deadline.run(seconds: 0.1) { () async throws -> Int in
                // A call that never answers and ignores cancellation, as a future on a dead connection would.
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
                return 1
            }
        }
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await Deadline.run(seconds: 5) { () async throws -> Int in throw Refused() } }
    }
}
