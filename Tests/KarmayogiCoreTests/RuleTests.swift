import Foundation
import Testing
@testable import KarmayogiCore

@Suite struct ContactTests {
    @Test(arguments: ["a@b.in", "first.last+tag@nic.gov.in", "UPPER@Example.COM"])
    func acceptsEmail(_ text: String) { #expect(Contact.email(text) == text.lowercased()) }

    @Test(arguments: ["", "a", "a@b", "a@@b.in", ".a@b.in", "a..b@c.in", "a b@c.in", "a@-b.in", "a@b.i1", "<script>@x.in"])
    func refusesEmail(_ text: String) { #expect(Contact.email(text) == nil) }

    @Test func normalisesIndianMobiles() {
        #expect(Contact.mobile("+91 98290-12345") == "9829012345")
        #expect(Contact.mobile("919829012345") == "9829012345")
        #expect(Contact.mobile("09829012345") == "9829012345")
        #expect(Contact.mobile("5829012345") == nil)
        #expect(Contact.mobile("98290") == nil)
        #expect(Contact.mobile("९८२९०१२३४५") == nil)
    }
}

@Suite struct OrganisationTreeTests {
    func draft(_ type: OrganisationType, parent: OrganisationType? = nil, parentState: Int? = nil,
               state: Int? = nil, district: Int? = nil) -> OrganisationDraft {
        OrganisationDraft(name: "X", code: "X-1", type: type, parent: parent.map { ($0, parentState) },
                          stateCode: state, districtCode: district, sanctionedStrength: 10)
    }

    @Test func followsTheTree() {
        #expect(draft(.ministry).problems(in: geography).isEmpty)
        #expect(draft(.department, parent: .ministry).problems(in: geography).isEmpty)
        #expect(draft(.department).problems(in: geography).map(\.field) == ["parentId"])
        #expect(draft(.ministry, parent: .ministry).problems(in: geography).map(\.field) == ["parentId"])
        #expect(draft(.stateDepartment).problems(in: geography).map(\.field) == ["stateCode"])
        let jaipur = geography.district(named: "Jaipur", inState: 8)!.code
        #expect(draft(.ulb, state: 8, district: jaipur).problems(in: geography).isEmpty)
        #expect(draft(.ulb, state: 23, district: jaipur).problems(in: geography).map(\.field) == ["districtCode"])
        #expect(draft(.ulb, parent: .stateDepartment, parentState: 23, state: 8, district: jaipur)
            .problems(in: geography).map(\.field) == ["stateCode"])
        #expect(draft(.panchayat, state: 99, district: 1).problems(in: geography).map(\.field) == ["stateCode", "districtCode"])
    }
}

@Suite struct LoginThrottleTests {
    let throttle = LoginThrottle()
    let start = Date(timeIntervalSince1970: 1_000_000)

    @Test func allowsAFewFailuresThenDoublesTheWait() {
        var record: LoginThrottle.Record?
        for _ in 0..<4 { record = throttle.failing(record, now: start) }
        #expect(throttle.retryAfter(record, now: start) == nil)
        record = throttle.failing(record, now: start)
        #expect(throttle.retryAfter(record, now: start) == 2)
        record = throttle.failing(record, now: start)
        #expect(throttle.retryAfter(record, now: start) == 4)
        #expect(throttle.retryAfter(record, now: start.addingTimeInterval(5)) == nil)
        for _ in 0..<30 { record = throttle.failing(record, now: start) }
        #expect(throttle.retryAfter(record, now: start) == throttle.maximumDelay)
    }

    @Test func forgetsOldFailures() {
        var record: LoginThrottle.Record?
        for _ in 0..<9 { record = throttle.failing(record, now: start) }
        let later = start.addingTimeInterval(throttle.window + throttle.maximumDelay + 1)
        #expect(throttle.failing(record, now: later).failures == 1)
    }
}

@Suite struct PasswordPolicyTests {
    let policy = PasswordPolicy(common: ["password", "dragon", "qwertyuiop123", "monkey"])

    @Test func demandsTwelveCharactersNotCountingPadding() {
        #expect(policy.problem(with: "short phrase") == nil)
        #expect(policy.problem(with: "eleven char") != nil)
        #expect(policy.problem(with: "   tiny one   ") != nil)
        #expect(policy.problem(with: "\t\n eleven char \n") != nil)
        #expect(policy.problem(with: "tea with jaggery") == nil)
        #expect(policy.problem(with: String(repeating: "अ", count: 25)) != nil)
        #expect(policy.problem(with: String(repeating: "long phrase ", count: 7)) != nil)
    }

    @Test func refusesCommonPasswordsAndOnesBuiltOnThem() {
        #expect(policy.problem(with: "QWERTYUIOP123")?.contains("most common") == true)
        #expect(policy.problem(with: "Password@2026")?.contains("\"password\"") == true)
        #expect(policy.problem(with: "2026!!P@ssw0rd!!") != nil)
        #expect(policy.problem(with: "Karmayogi@2026")?.contains("karmayogi") == true)
        #expect(policy.problem(with: "aaaaaaaaaaaaaaaa")?.contains("too few") == true)
        #expect(policy.problem(with: "monkey on a bicycle") == nil)
    }

    @Test func readsTheShippedListsFormat() {
        let listed = PasswordPolicy(list: "# a comment\nSunshine123\n\n  letmein  \n")
        #expect(listed.count == 2)
        #expect(listed.problem(with: "sunshine123!!!")?.contains("sunshine") == true)
    }
}

@Suite struct CursorTests {
    @Test func roundTripsAndRefusesGarbage() {
        let cursor = Cursor(key: "Verma, Asha", id: UUID())
        #expect(Cursor(encoded: cursor.encoded) == cursor)
        #expect(Cursor(encoded: "not a cursor") == nil)
        #expect(Cursor(encoded: String(repeating: "A", count: 5000)) == nil)
        for key in ["", "quote \" backslash \\", "line\nbreak\u{1}", "कार्यालय प्रक्रिया ✓ 𝄞"] {
            let odd = Cursor(key: key, id: UUID())
            #expect(Cursor(encoded: odd.encoded) == odd, "\(key)")
            #expect(odd.encoded.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }, "\(odd.encoded)")
        }
    }

    @Test func base64URLMatchesFoundationsAlphabetSwappedAndUnpadded() {
        var generator = SeededGenerator(seed: 7)
        for count in 0..<40 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected, "\(count) bytes")
            #expect(Base64URL.decode(expected) == Data(bytes))
        }
        #expect(Base64URL.decode("not base64!") == nil)
    }

    @Test func aJSONStringWrittenByHandReadsBackAsSent() throws {
        for text in ["", "plain", "quote \" backslash \\ slash /", "line\nbreak\ttab\r\u{1}\u{1F}", "हिन्दी ✓ 𝄞"] {
            var bytes: [UInt8] = []
            JSONText.appendString(text, to: &bytes)
            #expect(try JSONDecoder().decode(String.self, from: Data(bytes)) == text, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(!bytes.contains { $0 < 0x20 })
        }
    }
}

@Suite struct AnswerRevealTests {
    func spec(_ rule: AssessmentSpec.AnswerReveal?) -> AssessmentSpec {
        var spec = AssessmentSpec(questions: [], drawCount: 1, timeLimitSeconds: 60, maxAttempts: 3, passPercent: 50)
        spec.showAnswers = rule
        return spec
    }

    @Test func answersAreShownOnlyWhenTheyCanNoLongerBeUsed() {
        #expect(!spec(nil).revealsAnswers(attemptNumber: 1, passed: false))
        #expect(!spec(nil).revealsAnswers(attemptNumber: 2, passed: true))
        #expect(spec(nil).revealsAnswers(attemptNumber: 3, passed: false))
        #expect(spec(.afterPass).revealsAnswers(attemptNumber: 1, passed: true))
        #expect(!spec(.afterPass).revealsAnswers(attemptNumber: 3, passed: false))
        #expect(!spec(.never).revealsAnswers(attemptNumber: 3, passed: true))
    }
}

@Suite struct DisplayNameTests {
    @Test func aNameIsOneLineOfBoundedLength() {
        #expect(DisplayName.problem("आशा वर्मा", maximum: 200) == nil)
        #expect(DisplayName.problem("Asha O'Neil-Verma", maximum: 200) == nil)
        #expect(DisplayName.problem("", maximum: 200) == "must be 1–200 characters")
        #expect(DisplayName.problem(String(repeating: "a", count: 201), maximum: 200) == "must be 1–200 characters")
        for broken in ["Asha\tVerma", "Asha\nVerma", "Asha\u{13}", "Asha\u{2028}Verma", "\u{0}"] {
            #expect(DisplayName.problem(broken, maximum: 200)?.contains("control characters") == true, "\(broken.debugDescription)")
        }
    }
}

@Suite struct OrganisationMoveTests {
    @Test func anOrganisationNeverMovesUnderItsOwn() {
        #expect(OrganisationMove.problem(moving: "/a/b/", currentParentPath: "/a/", to: "/a/b/c/")?.reason.contains("loop") == true)
        #expect(OrganisationMove.problem(moving: "/a/b/", currentParentPath: "/a/", to: "/a/b/")?.reason.contains("itself") == true)
        #expect(OrganisationMove.problem(moving: "/a/b/", currentParentPath: "/a/", to: "/a/")?.reason.contains("already") == true)
        #expect(OrganisationMove.problem(moving: "/a/b/", currentParentPath: "/a/", to: "/x/") == nil)
        #expect(OrganisationMove.problem(moving: "/a/b/", currentParentPath: "/a/", to: nil) == nil)
        #expect(OrganisationMove.problem(moving: "/a/b/", currentParentPath: "/a/", to: "/a/bb/") == nil, "a sibling whose id starts alike is not inside")
    }

    @Test func pathsUnderTheMovedOrganisationFollowIt() {
        let moved = OrganisationMove.newPath(of: "/a/b/", under: "/x/")
        #expect(moved == "/x/b/")
        #expect(OrganisationMove.path("/a/b/c/d/", movingSubtree: "/a/b/", to: moved) == "/x/b/c/d/")
        #expect(OrganisationMove.path("/a/e/", movingSubtree: "/a/b/", to: moved) == "/a/e/")
        #expect(OrganisationMove.newPath(of: "/a/b/", under: nil) == "/b/")
    }
}
