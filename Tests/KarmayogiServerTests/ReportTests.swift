import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Testing
import Vapor
@testable import KarmayogiServer

/// A CSV download read back: its header and rows (the byte-order mark taken off).
func csv(_ reply: Reply) throws -> (header: [String], rows: [[String]]) {
    guard reply.status == .ok else { throw TestFailure("not a report: \(reply.status) \(reply.body)") }
    let text = reply.body.hasPrefix("\u{FEFF}") ? String(reply.body.dropFirst()) : reply.body
    let rows = try CSVReader(text: text).rows().map(\.fields)
    guard let header = rows.first else { throw TestFailure("an empty report: \(reply.status) \(reply.body)") }
    return (header, Array(rows.dropFirst()))
}

@Suite struct ReportTests {
    @Test func reportsStreamEveryRowAndDefuseFormulas() async throws {
        try await withApp { app, world in
            let (course, items) = try await publishedCourse(app, world)
            try await complete(app, course, items, as: "learner.jaipur")
            let state = try await app.token("state.rajasthan")
            _ = try await app.send(.PATCH, "/api/v1/users/\(world.users["learner.jaipur"]!)", token: state, json: ["name": "=HYPERLINK(\"http://evil\")"])

            let users = try await app.send(.GET, "/api/v1/reports/users.csv?scope=state:8", token: state)
            #expect(users.status == .ok && users.headers.contentType?.subType == "csv")
            #expect(users.headers.first(name: .contentDisposition)?.contains("karmayogi-users-state-8-") == true)
            let table = try csv(users)
            #expect(table.header.first == "user_id" && table.header.contains("email"))
            let email = table.header.firstIndex(of: "email")!, name = table.header.firstIndex(of: "name")!
            #expect(Set(table.rows.map { $0[email] }) == ["state.rajasthan@test.example.org", "learner.jaipur@test.example.org", "health.in.rajasthan@test.example.org"],
                    "people posted in Rajasthan, unmasked for its admin")
            #expect(table.rows.contains { $0[name] == "'=HYPERLINK(\"http://evil\")" }, "a formula is written as text")

            let enrolments = try csv(try await app.send(.GET, "/api/v1/reports/enrolments.csv?scope=state:8", token: state))
            #expect(enrolments.rows.count == 1 && enrolments.rows[0][enrolments.header.firstIndex(of: "status")!] == "completed")
            #expect(enrolments.rows[0][enrolments.header.firstIndex(of: "course")!] == "Disaster management basics")
            let attempts = try csv(try await app.send(.GET, "/api/v1/reports/assessment-results.csv?scope=state:8", token: state))
            #expect(attempts.header.contains("passed") && attempts.rows.isEmpty)
            let mapping = try csv(try await app.send(.GET, "/api/v1/reports/course-competencies.csv", token: try await app.token("national")))
            #expect(mapping.rows.count == 1 && mapping.rows[0][mapping.header.firstIndex(of: "area")!] == "functional")

            #expect(try await app.send(.GET, "/api/v1/reports/users.csv?scope=state:23", token: state).status == .forbidden)
            #expect(try await app.send(.GET, "/api/v1/reports/users.csv?scope=somewhere", token: state).fields == ["scope"])
            #expect(try await app.send(.GET, "/api/v1/reports/users.csv?scope=state:8", token: try await app.token("learner.jaipur")).status == .forbidden)
            #expect(try await app.send(.GET, "/api/v1/reports/everything.csv", token: state).status == .notFound)
        }
    }

    /// A scope's report holds exactly the people its rollups count there (`LearnerPlace`), however each is placed:
    /// their own State and district or none, in an organisation of that State or another.
    @Test func aScopesReportHoldsThePeopleItsRollupsCount() async throws {
        try await withApp { app, world in
            let sql = app.db as! any SQLDatabase
            let organisations = try await Organisations.directory(on: sql)
            let districts = Set(organisations.compactMap(\.districtCode) + Geography.reference.districts(inState: 8).prefix(2).map(\.code))
            var people = sql.insert(into: User.schema).columns("id", "organisation_id", "name", "email", "language", "status", "state_code", "district_code", "created_at", "updated_at")
            var index = 0
            for organisation in organisations {
                for state in [nil, 8, 9, organisation.stateCode] as [Int?] {
                    for district in [nil] + districts.sorted() as [Int?] {
                        index += 1
                        people = people.values(SQLBind(UUID()), SQLBind(organisation.id), SQLBind("Placed \(index)"), SQLBind("placed\(index)@test.example.org"),
                                               SQLBind("en"), SQLBind("active"), SQLBind(state), SQLBind(district), SQLBind(Date()), SQLBind(Date()))
                    }
                }
            }
            try await people.run()
            let byID = Dictionary(uniqueKeysWithValues: organisations.map { ($0.id, $0) })
            let places = try await User.query(on: app.db).all().map { user in
                let organisation = byID[user.$organisation.id]!
                return (user.id!.uuidString.lowercased(), LearnerPlace(organisationPath: organisation.path, userState: user.stateCode, userDistrict: user.districtCode,
                                                                       organisationState: organisation.stateCode, organisationDistrict: organisation.districtCode))
            }
            let scopes: [InsightScope] = [.nation, .state(8), .state(9)] + districts.map { .district($0) } + organisations.map { .organisation($0.id) }
            let national = try await app.token("national")
            for scope in scopes {
                let expected = Set(places.filter { $0.1.scopeKeys.contains(scope.key) }.map(\.0))
                let report = try csv(try await app.send(.GET, "/api/v1/reports/users.csv?scope=\(scope.text)", token: national))
                let found = report.rows.map { $0[0] }
                #expect(Set(found) == expected && found.count == expected.count, "\(scope.text): \(found.count) rows, \(expected.count) counted there")
            }
            #expect(index >= 50 && places.count > index, "\(index) people placed")
            _ = world
        }
    }

    @Test func aLargeReportArrivesWholeAcrossPages() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world)
            let sql = app.db as! any SQLDatabase
            let count = Reports.pageSize * 2 + 37
            for start in stride(from: 0, to: count, by: 500) {
                var people = sql.insert(into: User.schema).columns("id", "organisation_id", "name", "email", "language", "status", "created_at", "updated_at")
                var enrolments = sql.insert(into: Enrolment.schema).columns("id", "user_id", "course_id", "organisation_id", "version", "status", "percent",
                                                                              "seconds_spent", "enrolled_at", "enrolled_by", "updated_at")
                for index in start..<min(start + 500, count) {
                    let id = UUID()
                    people = people.values(SQLBind(id), SQLBind(world.health), SQLBind("Officer \(index / 3)"), SQLBind("officer\(index)@health.example.org"),
                                           SQLBind("en"), SQLBind("pending"), SQLBind(Date()), SQLBind(Date()))
                    // Every third officer enrolled.
                    if index % 3 == 0 {
                        enrolments = enrolments.values(SQLBind(UUID()), SQLBind(id), SQLBind(UUID(uuidString: course)!), SQLBind(world.health), SQLBind(1), SQLBind("active"),
                                                       SQLBind(0.0), SQLBind(0), SQLBind(Date()), SQLBind(id), SQLBind(Date()))
                    }
                }
                try await people.run()
                try await enrolments.run()
            }
            let token = try await app.token("mdo.health")
            let table = try csv(try await app.send(.GET, "/api/v1/reports/users.csv?scope=org:\(world.health)", token: token))
            let ids = table.rows.map { $0[0] }
            #expect(ids.count == count + 3 && Set(ids).count == ids.count, "every person once (\(ids.count))")
            // In the order of their names (three officers share each name, some of them across a page's edge).
            let names = table.rows.map { $0[table.header.firstIndex(of: "name")!] }
            #expect(names == names.sorted(), "by name")
            // Enrolments are read a page of people at a time: every one once, and only the scope's.
            let enrolled = try csv(try await app.send(.GET, "/api/v1/reports/enrolments.csv?scope=org:\(world.health)", token: token))
            let enrolmentIDs = enrolled.rows.map { $0[0] }
            #expect(enrolmentIDs.count == (count + 2) / 3 && Set(enrolmentIDs).count == enrolmentIDs.count, "every enrolment once (\(enrolmentIDs.count))")
            let national = try await app.token("national")
            #expect(try csv(try await app.send(.GET, "/api/v1/reports/enrolments.csv?scope=state:23", token: national)).rows.isEmpty)
            #expect(try csv(try await app.send(.GET, "/api/v1/reports/enrolments.csv?scope=nation", token: national)).rows.count == enrolmentIDs.count)
        }
    }

    @Test func anMDOAdminGivesALeaderTimeLimitedAccessWithContactsMasked() async throws {
        try await withApp { app, world in
            let (course, _) = try await publishedCourse(app, world)
            let mdo = try await app.token("mdo.mha")
            let leader = try await app.token("learner.mha")
            let path = "/api/v1/reports/users.csv?scope=org:\(world.mha)"
            #expect(try await app.send(.GET, path, token: leader).status == .forbidden)
            let grantsPath = "/api/v1/orgs/\(world.mha)/report-grants"
            for (body, field) in [(["userId": world.users["learner.health"]!.uuidString, "until": day(10)], "userId"),
                                  (["userId": world.users["learner.mha"]!.uuidString, "until": day(91)], "until"),
                                  (["userId": world.users["learner.mha"]!.uuidString, "until": day(-1)], "until"),
                                  (["userId": world.users["learner.mha"]!.uuidString, "until": "soon"], "until")] {
                #expect(try await app.send(.POST, grantsPath, token: mdo, json: body).fields == [field], "\(body)")
            }
            #expect(try await app.send(.POST, grantsPath, token: try await app.token("cbp.mha"), json: ["userId": world.users["learner.mha"]!.uuidString, "until": day(10)]).status == .forbidden)
            #expect(try await app.send(.GET, grantsPath, token: mdo).items.isEmpty, "nothing was stored")

            let granted = try await app.send(.POST, grantsPath, token: mdo, json: ["userId": world.users["learner.mha"]!.uuidString, "until": day(10)])
            #expect(granted.status == .created && granted.json["until"] as? String == day(10) && granted.json["userName"] as? String == "Learner.Mha")
            let table = try csv(try await app.send(.GET, path, token: leader))
            let emails = table.rows.map { $0[table.header.firstIndex(of: "email")!] }
            #expect(emails.count == 7 && emails.contains("m•••@test.example.org") && !emails.contains { $0.contains("mdo.mha@") }, "masked for the leader")
            let unmasked = try csv(try await app.send(.GET, path, token: mdo)).rows.map { $0[table.header.firstIndex(of: "email")!] }
            #expect(unmasked.contains("mdo.mha@test.example.org"))
            #expect(try await app.send(.GET, "/api/v1/reports/users.csv?scope=org:\(world.health)", token: leader).status == .forbidden)

            // The plan's compliance, for the same organisation.
            let plan = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/plans", token: try await app.token("cbp.mha"), json: planBody(course))
            let compliance = try csv(try await app.send(.GET, "/api/v1/reports/plan-compliance.csv?plan=\(plan.json["id"] as! String)", token: mdo))
            #expect(compliance.rows.count == 7 && compliance.rows.allSatisfy { $0[compliance.header.firstIndex(of: "standing")!] == "assigned" })
            #expect(try await app.send(.GET, "/api/v1/reports/plan-compliance.csv", token: mdo).fields == ["plan"])

            let revoked = try await app.send(.DELETE, "/api/v1/report-grants/\(granted.json["id"] as! String)", token: mdo)
            #expect(revoked.status == .ok && revoked.json["revokedAt"] is String)
            #expect(try await app.send(.GET, path, token: leader).status == .forbidden)
        }
    }
}
