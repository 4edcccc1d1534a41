import Foundation
import Testing
@testable import KarmayogiCore

@Suite struct CampaignRuleTests {
    @Test func goals() {
        #expect(CampaignGoal(kind: .hours, value: 4).problem == nil)
        #expect(CampaignGoal(kind: .hours, value: 0).problem?.field == "goal.value")
        #expect(CampaignGoal(kind: .hours, value: -1).problem != nil)
        #expect(CampaignGoal(kind: .hours, value: .nan).problem != nil)
        #expect(CampaignGoal(kind: .completions, value: 2.5).problem != nil)
        #expect(CampaignGoal(kind: .completions, value: 3).problem == nil)
        let hours = CampaignGoal(kind: .hours, value: 4)
        #expect(!hours.isReached(seconds: 4 * 3600 - 60, completions: 9))
        #expect(hours.isReached(seconds: 4 * 3600, completions: 0))
        let completions = CampaignGoal(kind: .completions, value: 2)
        #expect(!completions.isReached(seconds: 99_999, completions: 1))
        #expect(completions.isReached(seconds: 0, completions: 2))
    }

    @Test func stagesFollowTheDates() {
        #expect(CampaignStage.of(published: false, closedEarly: false, startDay: 10, endDay: 16, today: 12) == .draft)
        #expect(CampaignStage.of(published: true, closedEarly: false, startDay: 10, endDay: 16, today: 9) == .scheduled)
        #expect(CampaignStage.of(published: true, closedEarly: false, startDay: 10, endDay: 16, today: 10) == .live)
        #expect(CampaignStage.of(published: true, closedEarly: false, startDay: 10, endDay: 16, today: 16) == .live)
        #expect(CampaignStage.of(published: true, closedEarly: false, startDay: 10, endDay: 16, today: 17) == .closed)
        #expect(CampaignStage.of(published: true, closedEarly: true, startDay: 10, endDay: 16, today: 12) == .closed)
        #expect(CampaignDates.problems(startDay: 10, endDay: 9).first?.field == "endDate")
        #expect(CampaignDates.problems(startDay: 10, endDay: 10).isEmpty)
        #expect(CampaignDates.overlap(10...16, 16...20))
        #expect(!CampaignDates.overlap(10...16, 17...20))
    }

    @Test func sizeBuckets() {
        #expect(SizeBucket.of(staff: 0) == .xs)
        #expect(SizeBucket.of(staff: 99) == .xs)
        #expect(SizeBucket.of(staff: 100) == .s)
        #expect(SizeBucket.of(staff: 9_999) == .m)
        #expect(SizeBucket.of(staff: 99_999) == .l)
        #expect(SizeBucket.of(staff: 100_000) == .xl)
    }

    @Test func ranksShareTies() {
        #expect(Standings.ranks([9, 7, 7, 3]) == [1, 2, 2, 4])
        #expect(Standings.ranks([Int]()) == [])
        #expect(Standings.share(3, of: 4) == 0.75)
        #expect(Standings.share(3, of: 0) == 0)
        #expect(Standings.share(5, of: 4) == 1)
    }
}

@Suite struct EventRuleTests {
    @Test func checkInCodesChangeAndBelongToOneEvent() {
        let one = CheckInCode(secret: "event-one"), two = CheckInCode(secret: "event-two")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let code = one.code(at: now)
        #expect(code.count == 6 && code.allSatisfy(\.isNumber))
        #expect(one.accepts(code, at: now) == CheckInCode.window(at: now))
        #expect(one.accepts(code, at: now.addingTimeInterval(CheckInCode.period)) != nil)   // the window after: still taken
        #expect(one.accepts(code, at: now.addingTimeInterval(CheckInCode.period * 2)) == nil)  // expired
        #expect(two.accepts(code, at: now) == nil)  // another event's code (these two secrets' codes differ)
        #expect(one.code(at: now.addingTimeInterval(CheckInCode.period)) != code)
        #expect(one.accepts(String(code.reversed()), at: now) == nil)  // forged
        #expect(CheckInCode.expiry(at: now) > now)
    }

    @Test func minutesPresentCountOverlapsOnce() {
        let start = Date(timeIntervalSince1970: 0), end = start.addingTimeInterval(3600)
        func at(_ minutes: Double) -> Date { start.addingTimeInterval(minutes * 60) }
        #expect(AttendanceRule.minutesPresent([(at(-10), at(10)), (at(5), at(20)), (at(50), nil)], start: start, end: end) == 30)
        #expect(AttendanceRule.minutesPresent([(at(70), at(80))], start: start, end: end) == 0)
        #expect(AttendanceRule.minutesPresent([], start: start, end: end) == 0)
        let rule = AttendanceRule(kind: .minutes, minutes: 30)
        #expect(rule.attended(minutes: 30, checkedIn: false))
        #expect(!rule.attended(minutes: 29, checkedIn: true))
        #expect(AttendanceRule(kind: .checkIn).attended(minutes: 0, checkedIn: true))
        #expect(rule.problem(eventMinutes: 20)?.field == "attendanceRule.minutes")
        #expect(AttendanceRule(kind: .minutes, minutes: 0).problem(eventMinutes: 60) != nil)
    }
}
