import Foundation
import KarmayogiCore
import Testing

@Suite struct InsightRuleTests {
    @Test func daysAreIndianCalendarDays() {
        let day = IndiaDay.parse("2026-11-23")!
        #expect(IndiaDay.string(day) == "2026-11-23")
        // 19:00 UTC on the 22nd is 00:30 IST on the 23rd.
        #expect(IndiaDay.of(try! Date("2026-11-22T19:00:00Z", strategy: .iso8601)) == day)
        #expect(IndiaDay.of(try! Date("2026-11-22T18:29:59Z", strategy: .iso8601)) == day - 1)
        #expect(IndiaDay.end(day) == (try! Date("2026-11-23T18:29:59Z", strategy: .iso8601)))
        #expect(IndiaDay.parse("2026-02-29") == nil && IndiaDay.parse("2024-02-29") != nil && IndiaDay.parse("2026-1-1") == nil)
        #expect(IndiaDay.string(IndiaDay.weekStart(day)) == "2026-11-23") // a Monday
        #expect(IndiaDay.string(IndiaDay.weekStart(day + 6)) == "2026-11-23")
        #expect(IndiaDay.string(IndiaDay.monthStart(day)) == "2026-11-01")
        for number in stride(from: -1_000, to: 40_000, by: 37) { #expect(IndiaDay.parse(IndiaDay.string(number)) == number) }
    }

    @Test func aScopeParsesOrSaysWhy() throws {
        let id = UUID()
        #expect(try InsightScope.parse("nation").get() == .nation)
        #expect(try InsightScope.parse("state:8").get() == .state(8))
        #expect(try InsightScope.parse("district:99").get() == .district(99))
        #expect(try InsightScope.parse("org:\(id.uuidString)").get() == .organisation(id))
        for bad in ["", "nation:1", "state:", "state:x", "district:-3", "org:nope", "country"] {
            #expect((try? InsightScope.parse(bad).get()) == nil, "\(bad)")
        }
        let root = UUID(), own = UUID()
        let scopes = InsightScope.scopes(organisationPath: "/\(root.uuidString.lowercased())/\(own.uuidString.lowercased())/", stateCode: 8, districtCode: 99)
        #expect(scopes == [.nation, .state(8), .district(99), .organisation(root), .organisation(own)])
        #expect(Set(scopes.map(\.key)).count == 5)
    }

    @Test func activeWindowsCountEachPersonOncePerWindow() {
        // First activity ever: every window ending in the next `length` days gains one.
        #expect(ActiveWindows.newWindowEnds(day: 100, length: 7, otherActiveDays: []) == Array(100...106))
        // Active three days ago: only windows that did not already hold that day gain.
        #expect(ActiveWindows.newWindowEnds(day: 100, length: 7, otherActiveDays: [97]) == [104, 105, 106])
        #expect(ActiveWindows.newWindowEnds(day: 100, length: 1, otherActiveDays: [99, 101]) == [100])
        // Out of order: a later day already counts the person in the windows it covers.
        #expect(ActiveWindows.newWindowEnds(day: 100, length: 7, otherActiveDays: [102]) == [100, 101])
        // Incremental counting agrees with recounting from all days, whatever the order days arrive in.
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<50 {
            let days = (0..<12).map { _ in Int.random(in: 0..<60, using: &generator) }
            for length in ActiveWindows.lengths {
                var counted: [Int: Int] = [:], seen: [Int] = []
                for day in days where !seen.contains(day) {
                    for end in ActiveWindows.newWindowEnds(day: day, length: length, otherActiveDays: seen) { counted[end, default: 0] += 1 }
                    seen.append(day)
                }
                let recounted = ActiveWindows.windowEnds(of: days, length: length)
                #expect(Set(counted.keys) == recounted && counted.values.allSatisfy { $0 == 1 })
            }
        }
    }

    @Test func aPeriodIsChecked() {
        #expect(InsightPeriod.problems(from: "2026-11-01", to: "2026-11-30").errors.isEmpty)
        #expect(InsightPeriod.problems(from: "2026-12-01", to: "2026-11-30").errors.map(\.field) == ["from"])
        #expect(InsightPeriod.problems(from: "yesterday", to: nil).errors.map(\.field) == ["from"])
        #expect(SeriesInterval.month.bucket(IndiaDay.parse("2026-11-23")!) == IndiaDay.parse("2026-11-01"))
    }
}

@Suite struct RollupTallyTests {
    @Test func aPersonCountsInTheirStateDistrictAndEveryOrganisationUpTheTree() {
        let root = UUID(), own = UUID(), course = UUID()
        let path = "/\(root.uuidString.lowercased())/\(own.uuidString.lowercased())/"
        // Posted in their organisation's State: the organisation's district fills in.
        #expect(LearnerPlace(organisationPath: path, userState: 8, userDistrict: nil, organisationState: 8, organisationDistrict: 99).districtCode == 99)
        // Posted elsewhere: not the organisation's district.
        #expect(LearnerPlace(organisationPath: path, userState: 9, userDistrict: nil, organisationState: 8, organisationDistrict: 99).districtCode == nil)
        let place = LearnerPlace(organisationPath: path, userState: nil, userDistrict: nil, organisationState: 8, organisationDistrict: 99)
        var tally = RollupTally()
        tally.add(RollupCounters(enrolments: 1, active1: 1), place: place, day: 10, course: course)
        tally.add(RollupCounters(learningSeconds: 60), place: place, day: 10, course: course)
        #expect(tally.rows.count == 10, "five scopes, each with the all-courses row and the course's row")
        let nation = tally.rows[.init(scope: "n", day: 10, course: RollupTally.allCourses)]
        #expect(nation == RollupCounters(enrolments: 1, learningSeconds: 60, active1: 1))
        let month = IndiaDay.monthStart(10)
        #expect(tally.rows[.init(scope: "d:99", day: month, course: course)] == RollupCounters(enrolments: 1, learningSeconds: 60),
                "course rows by month, without activity")
        #expect(tally.sorted.map(\.key) == tally.rows.keys.sorted())
        var other = RollupTally()
        other.add(RollupCounters(completions: 1), place: place, day: 10)
        other.add(RollupCounters(registrations: 2), place: place, day: 12)
        #expect(other.rows[.init(scope: "n", day: RollupTally.allTime, course: RollupTally.allCourses)] == RollupCounters(registrations: 2),
                "registrations also count in the all-time row")
        #expect(other.filter(days: 10...12).rows.keys.allSatisfy { $0.day >= 10 })
        tally.merge(other)
        #expect(tally.rows[.init(scope: "s:8", day: 10, course: RollupTally.allCourses)]?.completions == 1)
    }

    @Test func theBuilderCountsExactlyAsTheTallyDoes() {
        var random = SeededGenerator(seed: 7)
        let ministry = UUID(), departments = [UUID(), UUID()], courses = [UUID(), UUID(), UUID()]
        let places = departments.flatMap { department in
            [nil, 8, 9].map { state in
                LearnerPlace(organisationPath: "/\(ministry.uuidString.lowercased())/\(department.uuidString.lowercased())/", userState: state,
                             userDistrict: state.map { $0 * 100 + 1 }, organisationState: nil, organisationDistrict: nil)
            }
        }
        var tally = RollupTally(), builder = RollupTally.Builder()
        let numbers = places.map { builder.number($0) }
        for _ in 0..<2_000 {
            let place = Int.random(in: 0..<places.count, using: &random), day = Int.random(in: 20_000...20_070, using: &random)
            let course = Bool.random(using: &random) ? courses.randomElement(using: &random) : nil
            let counters = RollupCounters(enrolments: Int.random(in: 0...1, using: &random), learningSeconds: Int.random(in: 0...2, using: &random) * 60,
                                          registrations: Int.random(in: 0...1, using: &random), active7: Int.random(in: 0...1, using: &random))
            tally.add(counters, place: places[place], day: day, course: course)
            builder.add(counters, place: numbers[place], day: day, course: course)
        }
        #expect(tally.rows.count > 500)
        #expect(builder.tally.rows == tally.rows)
    }
}

@Suite struct TopTotalsTests {
    /// Months of skewed counts for a catalogue, read from the top of each month ever deeper, as the summary reads them:
    /// whenever the rule settles, it names exactly the best of each group that adding everything up names.
    @Test func readingFromTheTopFindsWhatAddingEverythingUpFinds() {
        var random = SeededGenerator(seed: 11)
        for trial in 0..<200 {
            let items = Int.random(in: 0...300, using: &random), months = Int.random(in: 1...3, using: &random)
            // Three groups, the last rare; an item may be in two, or none.
            let groupsOf = (0..<items).map { _ in [0, 0, 0, 1, 1, 2].shuffled(using: &random).prefix(Int.random(in: 0...2, using: &random)).uniqued() }
            let counts = (0..<months).map { _ in
                (0..<items).map { item in Int.random(in: 0...3, using: &random) == 0 ? 0 : Int(Double(1_000 / (item + 1)) * Double.random(in: 0.5...1.5, using: &random)) }
            }
            let everything = Dictionary(uniqueKeysWithValues: (0..<items).map { item in (item, counts.reduce(0) { $0 + $1[item] }) })
            let sizes = Dictionary(uniqueKeysWithValues: (0..<3).map { group in (group, groupsOf.filter { $0.contains(group) }.count) })
            let expected = TopTotals.settle(rankings: [], totals: everything, count: 5, sizes: sizes) { groupsOf[$0] }!
            let byValue = counts.map { month in month.indices.filter { month[$0] > 0 }.sorted { month[$0] > month[$1] } }
            var depth = 4, settled: [Int: [(id: Int, total: Int)]]?
            while settled == nil {
                let read = byValue.map { $0.prefix(depth) }
                let met = Set(read.joined())
                settled = TopTotals.settle(rankings: zip(read, counts).map { rows, month in .init(values: rows.map { month[$0] }, complete: rows.count < depth) },
                                           totals: everything.filter { met.contains($0.key) }, count: 5, sizes: sizes) { groupsOf[$0] }
                depth *= 2
            }
            for group in 0..<3 {
                #expect(settled![group]!.map(\.id) == expected[group]!.map(\.id), "trial \(trial), group \(group)")
                #expect(settled![group]!.map(\.total) == expected[group]!.map(\.total))
            }
            if trial == 0 { #expect(expected[0]!.count == 5) }
        }
    }

    @Test func aGroupShortOfItsCountWaitsForTheEndOrItsLastItem() {
        // Group 1 has one member among items read so far: the rankings must be read to the end before it is sure.
        let read = [TopTotals.Ranking(values: [90, 80], complete: false)]
        let partial = TopTotals.settle(rankings: read, totals: [1: 90, 2: 80], count: 2, sizes: [0: 4, 1: 2]) { $0 == 1 || $0 == 4 ? [0, 1] : [0] }
        #expect(partial == nil)
        let whole = TopTotals.settle(rankings: [.init(values: [90, 80, 5], complete: true)], totals: [1: 90, 2: 80, 3: 5], count: 2, sizes: [0: 4, 1: 2]) {
            $0 == 1 || $0 == 4 ? [0, 1] : [0]
        }
        #expect(whole?[1]?.map(\.id) == [1])
        #expect(whole?[0]?.map(\.id) == [1, 2])
        // Unless the group has no other item: a group of one, or of none, is settled once its items are met.
        // (Item 2's 80 is no more than an unread item may have, but it is group 1's only item.)
        let small = TopTotals.settle(rankings: read, totals: [1: 90, 2: 80], count: 1, sizes: [0: 4, 1: 1, 2: 0]) { $0 == 2 ? [0, 1] : [0] }
        #expect(small?[1]?.map(\.id) == [2] && small?[2]?.isEmpty == true && small?[0]?.map(\.id) == [1])
        #expect(TopTotals.settle(rankings: read, totals: [1: 90, 2: 80], count: 1, sizes: [0: 4, 1: 2]) { $0 == 2 ? [0, 1] : [0] } == nil)
        // A tie with the last value read is not settled: an unread item with that value and a smaller id comes first.
        let tied = TopTotals.settle(rankings: [.init(values: [10, 5], complete: false)], totals: [2: 10, 3: 5], count: 2, sizes: [0: 3]) { _ in [0] }
        #expect(tied == nil)
        let after = TopTotals.settle(rankings: [.init(values: [10, 5, 5], complete: true)], totals: [2: 10, 3: 5, 1: 5], count: 2, sizes: [0: 3]) { _ in [0] }
        #expect(after?[0]?.map(\.id) == [2, 1])
    }
}

private extension Sequence where Element: Hashable {
    func uniqued() -> [Element] { var seen = Set<Element>(); return filter { seen.insert($0).inserted } }
}

@Suite struct KPIRuleTests {
    let onboarding = KPIDefinition(key: "onboarding", area: .onboarding, name: "Onboarding", definition: "Registered / sanctioned", unit: "percent",
                                   measure: .onboardedShare, target: 90, amberAt: 0.6, higherIsBetter: true, appliesTo: ["mdo"])

    @Test func statusIsGreenAtTheTargetAmberOnTheWayAndRedBelow() {
        #expect(onboarding.status(of: 95) == .green && onboarding.status(of: 90) == .green)
        #expect(onboarding.status(of: 54) == .amber && onboarding.status(of: 53.9) == .red)
        #expect(onboarding.status(of: nil) == .none)
        var errors = onboarding
        errors.higherIsBetter = false
        errors.target = 2
        errors.amberAt = 0.5
        #expect(errors.status(of: 1) == .green && errors.status(of: 4) == .amber && errors.status(of: 4.1) == .red)
    }

    @Test func periodsAreMonthsOrFinancialYearsAlreadyUnderWay() throws {
        let today = IndiaDay.days(year: 2026, month: 12, day: 5)
        let november = try KPIPeriod.read("2026-11", today: today).get()
        #expect(IndiaDay.string(november.start) == "2026-11-01" && IndiaDay.string(november.end) == "2026-11-30")
        let year = try KPIPeriod.read(" 2026-27 ", today: today).get()
        #expect(IndiaDay.string(year.start) == "2026-04-01" && IndiaDay.string(year.end) == "2027-03-31" && year.text == "2026-27")
        #expect(try KPIPeriod.read("2026-12", today: today).get().start <= today, "the month under way")
        for future in ["2027-01", "2027-28"] {
            #expect(throws: FieldError.self) { try KPIPeriod.read(future, today: today).get() }
        }
        if case .failure(let error) = KPIPeriod.read("2027-01", today: today) { #expect(error.reason.contains("has not started")) }
        for bad in ["", "2026", "2026-13", "2026-29", "26-27", "2026-1", "२०२६-११", "2026-11-01"] {
            #expect(throws: FieldError.self) { try KPIPeriod.read(bad, today: today).get() }
        }
        #expect(KPIPeriod.month(of: today) == "2026-12" && KPIPeriod.financialYear(of: today) == "2026-27")
        #expect(KPIPeriod.financialYear(of: IndiaDay.days(year: 2027, month: 3, day: 31)) == "2026-27")
    }

    @Test func aShareOverAHundredIsNeverOnTarget() {
        #expect(onboarding.status(of: 100) == .green)
        #expect(onboarding.status(of: 12_034.4) == .check && onboarding.status(of: 100.01) == .check)
        #expect(KPIMeasure.onboardedShare.likelyCauseOfExcess == "more registered than sanctioned: check the sanctioned strength")
        var hours = onboarding
        hours.unit = "hours"
        #expect(hours.status(of: 120) == .green, "only percentages stop at 100")
    }

    @Test func theBundledFrameworkIsWellFormed() throws {
        var bad = onboarding
        bad.key = "has space"
        bad.amberAt = 2
        bad.appliesTo = ["planet"]
        #expect(bad.problems(field: "kpi").map(\.field) == ["kpi.key", "kpi.amberAt", "kpi.appliesTo"])
        #expect(onboarding.problems(field: "kpi").isEmpty)
    }
}

@Suite struct NationalSampleTests {
    @Test func partsAddUpAndFollowTheWeights() {
        let parts = NationalScale.apportion(1_000, weights: [3, 1, 0, 6])
        #expect(parts == [300, 100, 0, 600])
        let uneven = NationalScale.apportion(10, weights: [1, 1, 1])
        #expect(uneven.reduce(0, +) == 10 && uneven.max()! - uneven.min()! <= 1)
        let nation = NationalScale(scale: 0.01)!
        #expect(nation.peopleCount == 150_000 && nation.enrolmentCount == 800_000 && nation.courseCount == 44)
        #expect(NationalScale(scale: 0) == nil && NationalScale(scale: 1.5) == nil && NationalScale(scale: .nan) == nil)
    }

    @Test func popularityIsSkewedLikeARealCatalogue() {
        let sampler = ZipfSampler(count: 1_000)
        var generator = SeededGenerator(seed: 1)
        var counts = [Int](repeating: 0, count: 1_000)
        for _ in 0..<100_000 { counts[sampler.next(using: &generator)] += 1 }
        let top10 = counts.prefix(10).reduce(0, +)
        #expect(top10 > 35_000, "the top 1% of courses draw over a third of enrolments (\(top10))")
        #expect(counts[0] > counts[1] && counts[1] > counts[10] && counts[10] > counts[500])
    }
}
