import Foundation
import Testing
@testable import KarmayogiCore

@Suite struct NominationFlowTests {
    @Test func aNominationStartsWhereItsRouteSays() throws {
        #expect(try NominationFlow.start(.apply, by: .learner, route: .none) == .approved)
        #expect(try NominationFlow.start(.apply, by: .learner, route: .mdo) == .applied)
        #expect(try NominationFlow.start(.apply, by: .learner, route: .coordinator) == .nominated)
        #expect(try NominationFlow.start(.apply, by: .learner, route: .both) == .applied)
        #expect(try NominationFlow.start(.nominate, by: .mdoAdmin, route: .mdo) == .approved)
        #expect(try NominationFlow.start(.nominate, by: .mdoAdmin, route: .both) == .nominated)
        #expect(try NominationFlow.start(.nominate, by: .coordinator, route: .both) == .approved)
        #expect(throws: NominationFlow.Refusal.self) { try NominationFlow.start(.nominate, by: .learner, route: .none) }
        #expect(throws: NominationFlow.Refusal.self) { try NominationFlow.start(.apply, by: .mdoAdmin, route: .none) }
    }

    @Test func bothApprovalsInTurn() throws {
        var status = try NominationFlow.start(.apply, by: .learner, route: .both)
        // The coordinator may not decide before the MDO admin.
        #expect(throws: NominationFlow.Refusal.self) {
            try NominationFlow.next(from: status, .approve, by: .coordinator, isSelf: false, route: .both)
        }
        status = try NominationFlow.next(from: status, .approve, by: .mdoAdmin, isSelf: false, route: .both)
        #expect(status == .nominated)
        #expect(throws: NominationFlow.Refusal.self) {
            try NominationFlow.next(from: status, .approve, by: .mdoAdmin, isSelf: false, route: .both)
        }
        status = try NominationFlow.next(from: status, .approve, by: .coordinator, isSelf: false, route: .both)
        #expect(status == .approved)
        #expect(throws: NominationFlow.Refusal.self) {
            try NominationFlow.next(from: status, .approve, by: .coordinator, isSelf: false, route: .both)
        }
    }

    @Test func nobodyDecidesTheirOwn() {
        #expect(throws: NominationFlow.Refusal.notYours(FieldError("nomination", "nobody approves or rejects their own nomination"))) {
            try NominationFlow.next(from: .applied, .approve, by: .mdoAdmin, isSelf: true, route: .mdo)
        }
        #expect(throws: NominationFlow.Refusal.self) { try NominationFlow.next(from: .nominated, .reject, by: .coordinator, isSelf: true, route: .coordinator) }
        #expect(throws: NominationFlow.Refusal.self) { try NominationFlow.next(from: .applied, .approve, by: .learner, isSelf: false, route: .mdo) }
    }

    @Test func rejectionsAndWithdrawals() throws {
        #expect(try NominationFlow.next(from: .applied, .reject, by: .mdoAdmin, isSelf: false, route: .mdo) == .rejected)
        #expect(try NominationFlow.next(from: .nominated, .reject, by: .coordinator, isSelf: false, route: .coordinator) == .rejected)
        for status in [NominationStatus.applied, .nominated, .approved, .enrolled] {
            #expect(try NominationFlow.next(from: status, .withdraw, by: .learner, isSelf: true, route: .both) == .withdrawn)
        }
        for status in [NominationStatus.completed, .rejected, .withdrawn] {
            #expect(throws: NominationFlow.Refusal.self) { try NominationFlow.next(from: status, .withdraw, by: .learner, isSelf: true, route: .both) }
        }
        #expect(throws: NominationFlow.Refusal.self) { try NominationFlow.next(from: .rejected, .approve, by: .coordinator, isSelf: false, route: .both) }
        #expect(NominationStatus.enrolled.holdsSeat && NominationStatus.completed.holdsSeat && !NominationStatus.approved.holdsSeat)
        #expect(!NominationStatus.withdrawn.isActive && NominationStatus.approved.isActive)
    }
}

@Suite struct BatchRuleTests {
    @Test func seatsAndTheWaitlist() {
        #expect(Seats.problem(0)?.field == "seats")
        #expect(Seats.problem(-3) != nil)
        #expect(Seats.problem(30) == nil)
        #expect(Seats.promote(seats: 30, holding: 28, waiting: 5) == 2)
        #expect(Seats.promote(seats: 30, holding: 30, waiting: 5) == 0)
        #expect(Seats.promote(seats: 30, holding: 31, waiting: 5) == 0)
        #expect(Seats.promote(seats: 30, holding: 0, waiting: 5) == 5)
    }

    /// The platform we replace compared a new batch with the person's last batch only: here every one counts.
    @Test func overlapIsCheckedAgainstEveryBatch() {
        let held = [(id: "early", days: BatchDays(start: 100, end: 104)), (id: "late", days: BatchDays(start: 200, end: 201))]
        #expect(BatchDays(start: 103, end: 105).firstOverlap(in: held) == "early")
        #expect(BatchDays(start: 201, end: 201).firstOverlap(in: held) == "late")
        #expect(BatchDays(start: 105, end: 199).firstOverlap(in: held) == nil)
        #expect(BatchDays(start: 90, end: 300).firstOverlap(in: held) == "early")
        #expect(BatchDays.problems(start: 10, end: 9).first?.field == "endDate")
        #expect(BatchDays.problems(start: 10, end: 10).isEmpty)
    }

    @Test func completionAndManualMarks() {
        let rule = ProgrammeCompletion(minimumAttendancePercent: 75)
        #expect(rule.isMet(attended: 3, sessions: 4, coursesComplete: 2, courses: 2))
        #expect(!rule.isMet(attended: 2, sessions: 4, coursesComplete: 2, courses: 2))
        #expect(!rule.isMet(attended: 4, sessions: 4, coursesComplete: 1, courses: 2))
        #expect(ProgrammeCompletion(minimumAttendancePercent: 101).problem != nil)
        #expect(ManualMarks.allowed(today: 107, batchEnd: 100))
        #expect(!ManualMarks.allowed(today: 108, batchEnd: 100))
    }
}

@Suite struct AttendanceTokenTests {
    let tokens = AttendanceToken(secret: "test secret")
    let session = UUID()
    let now = Date(timeIntervalSince1970: 1_800_000_015)

    @Test func aTokenIsGoodForItsSessionAndWindow() throws {
        let shown = tokens.token(session: session, at: now)
        #expect(try tokens.check(shown, session: session, at: now) == AttendanceToken.window(at: now))
        // Scanned just after the code changed: still accepted; a window later: expired.
        #expect(throws: Never.self) { try tokens.check(shown, session: session, at: now.addingTimeInterval(30)) }
        #expect(throws: AttendanceToken.Refusal.expired) { try tokens.check(shown, session: session, at: now.addingTimeInterval(60)) }
        #expect(throws: AttendanceToken.Refusal.expired) { try tokens.check(tokens.token(session: session, at: now.addingTimeInterval(60)), session: session, at: now) }
        #expect(AttendanceToken.expiry(at: now) == Date(timeIntervalSince1970: 1_800_000_060))
    }

    @Test func forgedOrForeignTokensAreRefused() {
        let shown = tokens.token(session: session, at: now)
        #expect(throws: AttendanceToken.Refusal.otherSession) { try tokens.check(shown, session: UUID(), at: now) }
        #expect(throws: AttendanceToken.Refusal.forged) { try AttendanceToken(secret: "another").check(shown, session: session, at: now) }
        let window = AttendanceToken.window(at: now)
        let moved = shown.replacingOccurrences(of: ".\(window).", with: ".\(window + 1).")
        #expect(throws: AttendanceToken.Refusal.forged) { try tokens.check(moved, session: session, at: now) }
        for junk in ["", "a.b", "...", "\(session).x.y", String(repeating: "é", count: 80)] {
            #expect(throws: AttendanceToken.Refusal.forged) { try tokens.check(junk, session: session, at: now) }
        }
    }
}

@Suite struct VenueTests {
    @Test func aVenuesStateAndDistrictAgree() {
        let jaipur = geography.district(named: "Jaipur", inState: 8)!.code
        let derived = geography.venue(stateCode: nil, districtCode: jaipur)
        #expect(derived.stateCode == 8 && derived.problems.isEmpty, "the State follows from the district")
        #expect(geography.venue(stateCode: 8, districtCode: jaipur).problems.isEmpty)
        #expect(geography.venue(stateCode: 23, districtCode: jaipur).problems.map(\.field) == ["districtCode"])
        #expect(geography.venue(stateCode: 999, districtCode: nil).problems.map(\.field) == ["stateCode"])
        #expect(geography.venue(stateCode: nil, districtCode: 99_999_999).problems.map(\.field) == ["districtCode"])
    }

    @Test func webAddresses() {
        #expect(Contact.isWebAddress("https://meet.example.gov.in/talk-1"))
        #expect(Contact.isWebAddress("http://10.0.0.5:8080/room"))
        #expect(!Contact.isWebAddress("javascript:alert(1)"))
        #expect(!Contact.isWebAddress("meet.example.gov.in"))
        #expect(!Contact.isWebAddress("https://" + String(repeating: "a", count: 2_000) + ".in"))
    }
}
