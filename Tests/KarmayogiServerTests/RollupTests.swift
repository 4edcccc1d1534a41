import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Testing
import Vapor
@testable import KarmayogiServer

/// The counters of one scope, day and course (all courses when nil), as stored.
func counters(_ app: Application, _ scope: InsightScope, day: Int = IndiaDay.of(Date()), course: String? = nil) async throws -> RollupCounters {
    // Course rows are kept by month (their first day).
    let row = try await (app.db as! any SQLDatabase).select().columns(RollupCounters.names).from(Rollups.table)
        .where("scope", .equal, SQLBind(scope.key)).where("day", .equal, SQLBind(course == nil ? day : IndiaDay.monthStart(day)))
        .where("course_id", .equal, SQLBind(course.flatMap(UUID.init(uuidString:)) ?? RollupTally.allCourses)).first()
    guard let row else { return RollupCounters() }
    return RollupCounters(values: try RollupCounters.names.map { try row.decode(column: $0, as: Int.self) })
}

@Suite struct RollupTests {
    @Test func eventsAreCountedInTheirTransactionForEveryScopeAndVerifyAgrees() async throws {
        try await withApp { app, world in
            // The test world's people were made behind the API's back: count them once, as the demo world does.
            let baseline = try await RollupCheck.run(repair: true, on: app.db)
            #expect(baseline.differenceCount > 0 && baseline.repairedDays > 0)
            #expect(try await RollupCheck.run(repair: false, on: app.db).differenceCount == 0)

            let (course, items) = try await publishedCourse(app, world)
            try await complete(app, course, items, as: "learner.jaipur")
            let jaipur = Geography.reference.district(named: "Jaipur", inState: 8)!.code
            for scope in [InsightScope.nation, .state(8), .district(jaipur), .organisation(world.jaipurULB)] {
                let all = try await counters(app, scope), one = try await counters(app, scope, course: course)
                #expect(all.enrolments == 1 && all.completions == 1 && all.certificates == 1 && all.learningSeconds == 600, "\(scope): \(all)")
                #expect(all.active1 == 1 && all.active7 == 1 && all.active30 == 1)
                #expect(one == RollupCounters(enrolments: 1, completions: 1, certificates: 1, learningSeconds: 600), "\(scope): \(one)")
            }
            #expect(try await counters(app, .state(23)).enrolments == 0)
            #expect(try await counters(app, .nation, day: IndiaDay.of(Date()) + 6).active7 == 1, "the week ending six days on still holds today's learner")
            #expect(try await counters(app, .nation, day: IndiaDay.of(Date()) + 7).active7 == 0)

            // A person made through the API counts as registered where they are posted.
            let registered = try await counters(app, .district(jaipur)).registrations
            let created = try await app.send(.POST, "/api/v1/orgs/\(world.jaipurULB)/users", token: try await app.token("state.rajasthan"),
                                             json: ["name": "Meera Sharma", "email": "meera@test.example.org", "password": TestWorld.password])
            #expect(created.status == .created)
            #expect(try await counters(app, .district(jaipur)).registrations == registered + 1)
            let report = try await RollupCheck.run(repair: false, on: app.db)
            #expect(report.differenceCount == 0, "\(report.differences.prefix(5))")
        }
    }

    @Test func verifyNamesEveryDifferenceAndRebuildRepairsIt() async throws {
        try await withApp { app, world in
            _ = try await RollupCheck.run(repair: true, on: app.db)
            let (course, _) = try await publishedCourse(app, world)
            _ = try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: try await app.token("learner.mha"))
            let today = IndiaDay.of(Date())
            try await (app.db as! any SQLDatabase).update(Rollups.table)
                .set("enrolments", to: SQLBinaryExpression(SQLColumn("enrolments"), .add, SQLBind(3)))
                .where("scope", .equal, SQLBind("n")).where("day", .equal, SQLBind(today)).where("course_id", .equal, SQLBind(RollupTally.allCourses)).run()
            try await (app.db as! any SQLDatabase).delete(from: Rollups.table).where("scope", .equal, SQLBind(InsightScope.organisation(world.mhaDepartment).key)).run()
            let report = try await RollupCheck.run(repair: false, on: app.db)
            let described = report.differences.map(\.description)
            #expect(report.differenceCount == report.differences.count && report.differenceCount >= 3, "\(described)")
            #expect(described.contains("\(IndiaDay.string(today)) n all courses: enrolments stored 4, recomputed 1"))
            #expect(described.contains("\(IndiaDay.string(IndiaDay.monthStart(today))) \(InsightScope.organisation(world.mhaDepartment).key) course \(course.lowercased()): enrolments stored 0, recomputed 1"))
            let repaired = try await RollupCheck.run(repair: true, on: app.db)
            #expect(repaired.repairedDays > 0)
            #expect(try await RollupCheck.run(repair: false, on: app.db).differenceCount == 0)
            #expect(try await counters(app, .nation).enrolments == 1)
        }
    }

    @Test func aGeneratedNationIsCountedExactlyAndKeepsItsIndexes() async throws {
        try await withBareApp { app in
            let sql = app.db as! any SQLDatabase
            struct Index: Decodable { var name: String }
            func indexes() async throws -> [String] {
                sql.dialect.name == "sqlite"
                    ? try await sql.select().column("name").from("sqlite_master").where("type", .equal, "index").where("tbl_name", .equal, Enrolment.schema)
                        .all(decoding: Index.self).map(\.name).sorted()
                    : []
            }
            let before = try await indexes()
            let totals = try await NationalGenerator.run(NationalScale(scale: 0.000_001)!, seed: 5, on: app.db, say: { _ in }, progress: { _, _, _ in })
            #expect(totals.people == 100 && totals.enrolments > 100 && totals.courses == 40 && totals.plans > 0)
            #expect(try await indexes() == before, "the indexes dropped for the load are made again")
            let report = try await RollupCheck.run(repair: false, on: app.db)
            #expect(report.rows > 1_000 && report.differenceCount == 0, "\(report.differences.prefix(5))")
            let nation = try await counters(app, .nation, day: RollupTally.allTime)
            #expect(nation.registrations == 100)
        }
    }

    @Test func concurrentEventsAllCountAndActiveWindowsFollowThePerson() async throws {
        try await withApp { app, world in
            _ = try await RollupCheck.run(repair: true, on: app.db)
            let first = try await publishedCourse(app, world, title: "First"), second = try await publishedCourse(app, world, title: "Second")
            let people = ["learner.mha", "learner.health", "learner.jaipur", "health.in.rajasthan", "mdo.mha", "cbp.mha", "creator.mha", "reviewer.mha"]
            var tokens: [String] = []
            for person in people { tokens.append(try await app.token(person)) }
            let enrolments = tokens.flatMap { token in [first.id, second.id].map { (token, $0) } }
            try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for (token, course) in enrolments { group.addTask { try await app.send(.POST, "/api/v1/courses/\(course)/enrol", token: token).status } }
                for try await status in group { #expect(status == .created) }
            }
            let nation = try await counters(app, .nation)
            #expect(nation.enrolments == 16 && nation.active1 == people.count, "\(nation)")
            #expect(try await counters(app, .nation, course: first.id).enrolments == 8)

            // A person active three days ago and again today counts once in this week's windows, in new ones from today on.
            let person = world.users["learner.mha"]!
            let place = try #require(try await Rollups.place(of: person, on: app.db))
            let today = IndiaDay.of(Date())
            for day in [today - 3, today + 1] {
                try await app.db.transaction { database in
                    var tally = RollupTally()
                    try await Rollups.activity(of: person, place: place, day: day, seconds: [UUID(uuidString: first.id)!: 30], into: &tally, on: database)
                    try await Rollups.write(tally, on: database)
                }
            }
            #expect(try await counters(app, .nation, day: today - 3).active7 == 1)
            #expect(try await counters(app, .nation, day: today).active7 == people.count, "learner.mha counted once")
            #expect(try await counters(app, .nation, day: today + 1).active1 == 1)
            let report = try await RollupCheck.run(repair: false, on: app.db)
            #expect(report.differenceCount == 0, "\(report.differences.prefix(5))")
        }
    }
}
