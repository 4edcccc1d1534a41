import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// `karmayogi generate --scale S`: a nation at a fraction S of its size, written in bulk (not through the API):
/// central ministries and their departments, every State's departments and urban local bodies in every district,
/// people spread over the States by their population and over three years of onboarding, courses whose popularity
/// is skewed as in real catalogues, enrolments, completions and learning time, plans, and finally the rollups,
/// recomputed from all of it (so `rollups verify` finds them exact).
enum NationalGenerator {
    struct Totals {
        var organisations = 0, people = 0, courses = 0, enrolments = 0, completions = 0, plans = 0, otherRows = 0
        var rows: Int { organisations + people + courses + enrolments + otherRows }
    }

    /// Where people are placed: an organisation, its State and district, and how many people it gets.
    private struct Home {
        var id: UUID
        var path: String
        var state: Int?
        var district: Int?
        var people: Int
    }

    /// The domains of generated ministries: (domain, theme, description), from the sectors of the Government of India.
    static let sectors: [(domain: String, theme: String, description: String)] = [
        ("Public Health", "Health Programme Management", "Plans, runs and monitors national health programmes from district to nation."),
        ("Railways", "Railway Operations", "Runs train operations, safety and signalling."),
        ("Revenue", "Tax Administration", "Assesses, collects and audits direct and indirect taxes."),
        ("Agriculture", "Farming Systems", "Advises farmers on integrated farming systems, soil health and allied activities."),
        ("Rural Development", "Rural Livelihoods", "Runs rural employment and livelihood schemes."),
        ("School Education", "School Administration", "Runs schools, teachers' postings and the measurement of learning outcomes."),
        ("Power", "Power Distribution", "Plans and regulates the generation, transmission and distribution of electricity."),
        ("Posts", "Postal Operations", "Runs mail, parcel and postal banking services."),
        ("Environment", "Environmental Clearances", "Appraises projects for environmental and forest clearances."),
        ("Urban Affairs", "Municipal Services", "Delivers water, sanitation and solid waste services in cities."),
        ("Home Affairs", "Criminal Law Administration", "Applies the Bharatiya Nyaya Sanhita, Nagarik Suraksha Sanhita and Sakshya Adhiniyam."),
        ("Defence", "Defence Procurement", "Buys defence equipment under the Defence Acquisition Procedure."),
        ("Telecommunications", "Spectrum Management", "Plans, assigns and monitors the use of radio spectrum."),
        ("Finance", "Government Accounting", "Keeps the government's accounts under the applicable accounting standards."),
        ("Labour", "Labour Law Enforcement", "Enforces the labour codes on wages, safety and social security."),
        ("External Affairs", "Consular Services", "Issues passports and visas and assists citizens abroad."),
        ("Road Transport", "Highway Development", "Plans, builds and maintains national highways."),
        ("Women and Child Development", "Child Nutrition Services", "Runs anganwadi and supplementary nutrition services."),
        ("Food and Public Distribution", "Public Distribution", "Procures, stores and distributes food grains to ration card holders."),
        ("Cyber Security", "Cyber Security Operations", "Protects government systems and responds to cyber incidents."),
    ]

    static func stateWeights() throws -> [Int: Double] {
        guard let url = Bundle.module.url(forResource: "state-weights", withExtension: "csv", subdirectory: "Resources") else {
            throw Problem(.internalServerError, "Resources/state-weights.csv is missing from the build")
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        var weights: [Int: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("state_code") {
            let parts = line.split(separator: ",")
            if parts.count == 2, let code = Int(parts[0]), let population = Double(parts[1]) { weights[code] = population }
        }
        return weights
    }

    /// With `learningWeeks`, also a past national learning week of the published shape (`LearningWeekShape`), laid
    /// 30 days back, and a national campaign live from today (for the campaign benchmark).
    static func run(_ nation: NationalScale, seed: UInt64, learningWeeks: Bool = false, on database: any Database, say say0: @escaping (String) -> Void,
                    progress: @escaping @Sendable (String, Int, Int) -> Void) async throws -> Totals {
        var generator = SeededGenerator(seed: seed)
        var totals = Totals()
        // Each step is announced with how long the one before it took.
        var phaseStarted: (name: String, at: Date)?
        func say(_ phase: String) {
            say0(phaseStarted.map { "\(phase) (\($0.name) took \(String(format: "%.1f", Date().timeIntervalSince($0.at))) s)" } ?? phase)
            phaseStarted = (phase, Date())
        }
        let geography = Geography.reference
        let weights = try stateWeights()
        let states = geography.states.filter { weights[$0.code] != nil }
        let tag = String(UUID().uuidString.prefix(6)).lowercased()
        let today = IndiaDay.of(Date())
        let firstDay = IndiaDay.parse("2023-01-01")!

        // The organisations, and how many people each gets.
        say("Organisations")
        let peopleInStates = Int(Double(nation.peopleCount) * NationalScale.stateShare)
        let centralPeople = nation.peopleCount - peopleInStates
        var homes: [Home] = []
        var organisationRows: [[any SQLExpression]] = []
        func organisation(_ name: String, code: String, type: OrganisationType, parent: Home?, state: Int?, district: Int?, people: Int) -> Home {
            let id = UUID()
            let home = Home(id: id, path: (parent?.path ?? "/") + id.uuidString.lowercased() + "/", state: state, district: district, people: people)
            let sanctioned = people == 0 ? nil : Int(Double(people) / Double.random(in: 0.55...0.95, using: &generator))
            organisationRows.append([SQLBind(id), SQLBind(parent?.id), SQLBind(home.path), SQLBind(name), SQLBind(code), SQLBind(type.rawValue),
                                     SQLBind(state), SQLBind(district), SQLBind(sanctioned), SQLBind(Date()), SQLBind(Date())])
            return home
        }
        let ministryShares = NationalScale.apportion(centralPeople, weights: (0..<nation.ministries).map { _ in Double.random(in: 0.2...3, using: &generator) })
        var ministries: [Home] = []
        for (number, share) in ministryShares.enumerated() {
            let parts = NationalScale.apportion(share, weights: [2, 1, 1, 1, 1])
            let ministry = organisation("Ministry \(number + 1) (generated \(tag))", code: "GEN-\(tag)-M\(number + 1)", type: .ministry, parent: nil,
                                        state: nil, district: nil, people: parts[0])
            ministries.append(ministry)
            homes.append(ministry)
            for department in 1...4 {
                homes.append(organisation("Department \(department), Ministry \(number + 1) (generated \(tag))", code: "GEN-\(tag)-M\(number + 1)-D\(department)",
                                          type: .department, parent: ministry, state: nil, district: nil, people: parts[department]))
            }
        }
        let stateShares = NationalScale.apportion(peopleInStates, weights: states.map { weights[$0.code]! })
        for (state, share) in zip(states, stateShares) {
            let districts = geography.districts(inState: state.code)
            let localShare = districts.isEmpty ? 0 : share / 2
            let departmentShares = NationalScale.apportion(share - localShare, weights: (0..<nation.stateDepartments).map { _ in Double.random(in: 0.3...2, using: &generator) })
            var urban: Home?
            for (number, people) in departmentShares.enumerated() {
                let name = number == 0 ? "Urban Development Department" : "Department \(number + 1)"
                let home = organisation("\(name), \(state.name) (generated \(tag))", code: "GEN-\(tag)-S\(state.code)-D\(number + 1)", type: .stateDepartment,
                                        parent: nil, state: state.code, district: nil, people: people)
                homes.append(home)
                if number == 0 { urban = home }
            }
            let bodies = districts.flatMap { district in (1...nation.localBodiesPerDistrict).map { (district, $0) } }
            let bodyShares = NationalScale.apportion(localShare, weights: bodies.map { _ in Double.random(in: 0.2...3, using: &generator) })
            for ((district, number), people) in zip(bodies, bodyShares) {
                homes.append(organisation("Municipal body \(number), \(district.name) (generated \(tag))", code: "GEN-\(tag)-U\(district.code)-\(number)", type: .ulb,
                                          parent: urban, state: state.code, district: district.code, people: people))
            }
        }
        let sql = database as! any SQLDatabase
        for start in stride(from: 0, to: organisationRows.count, by: 500) {
            try await sql.insert(into: Organisation.schema)
                .columns("id", "parent_id", "path", "name", "code", "type", "state_code", "district_code", "sanctioned_strength", "created_at", "updated_at")
                .rows(Array(organisationRows[start..<min(start + 500, organisationRows.count)])).run()
        }
        totals.organisations = organisationRows.count

        // Each ministry's domain (as on the platform, where ministries own their domain competencies), then the courses
        // (the existing bulk path, covering all three areas) and their order of popularity.
        say("Courses")
        for (number, ministry) in ministries.enumerated() {
            let sector = Self.sectors[number % Self.sectors.count], cycle = number / Self.sectors.count
            _ = try await Competency.add(CompetencyEntry(area: .domain, theme: sector.theme, subTheme: nil, description: sector.description),
                                         domain: "\(sector.domain)\(cycle == 0 ? "" : " \(cycle + 1)") (generated \(tag))", owner: ministry.id, by: nil, on: database)
        }
        let provider = try await GenerateCommand.addCourses(nation.courseCount, seed: seed, on: database) { progress("courses", $0, nation.courseCount) }
        let courses = try await CourseVersion.query(on: database).join(Course.self, on: \CourseVersion.$course.$id == \Course.$id)
            .filter(Course.self, \.$provider.$id == provider.id!).all()
            .map { (id: $0.$course.id, minutes: $0.content.durationMinutes) }
            .shuffled(using: &generator)
        totals.courses = courses.count
        let popularity = ZipfSampler(count: courses.count)

        // People, their enrolments, learning time and active days, a few thousand people to a transaction.
        say("People and enrolments")
        let perPerson = Double(nation.enrolmentCount) / Double(nation.peopleCount)
        let stateCodes = states.map(\.code), stateWeights = states.map { weights[$0.code]! }
        let districtsOf = Dictionary(grouping: geography.districts, by: \.stateCode).mapValues { $0.map(\.code) }
        let cumulativeStates = stateWeights.reduce(into: [Double]()) { $0.append(($0.last ?? 0) + $1) }
        var serial = 0
        var batch = Batch()
        let now = Date()
        let week = (today - 30)...(today - 24)
        try await withoutSecondaryIndexes(on: [User.schema, Enrolment.schema, "learning_days", "active_days"], database: database) {
            for home in homes {
                for _ in 0..<home.people {
                    serial += 1
                    let id = UUID()
                    // Central staff are posted across India; State staff where their organisation is.
                    let state = home.state ?? stateCodes[cumulativeStates.firstIndex { $0 > Double.random(in: 0..<cumulativeStates.last!, using: &generator) }!]
                    let district = home.district ?? districtsOf[state]?.randomElement(using: &generator)
                    // Onboarding grew steeply: most people joined in the last year.
                    let growth = 3.0
                    let joined = firstDay + Int(log(1 + Double.random(in: 0..<1, using: &generator) * (exp(growth) - 1)) / growth * Double(today - firstDay))
                    let registered = IndiaDay.start(joined).addingTimeInterval(Double.random(in: 9 * 3600...18 * 3600, using: &generator))
                    let name = "\(DemoWorld.firstNames.randomElement(using: &generator)!) \(DemoWorld.surnames.randomElement(using: &generator)!)"
                    batch.users.append([SQLBind(id), SQLBind(home.id), SQLBind(name), SQLBind("p\(serial).\(tag)@people.example.org"),
                                        SQLBind(DemoWorld.designations.randomElement(using: &generator)!), SQLBind(state), SQLBind(district),
                                        SQLBind(state == 8 || state == 9 || state == 10 || state == 23 ? "hi" : "en"),
                                        SQLBind(Double.random(in: 0..<1, using: &generator) < 0.92 ? User.Status.active.rawValue : User.Status.pending.rawValue),
                                        SQLBind(registered), SQLBind(registered)])
                    // Enrolments: about `perPerson` each, in distinct courses drawn by popularity.
                    let wanted = min(courses.count, Int(Double.random(in: 0...(2 * perPerson), using: &generator).rounded()))
                    var taken = Set<Int>()
                    var activeDays = Set<Int>()
                    while taken.count < wanted { taken.insert(popularity.next(using: &generator)) }
                    for rank in taken {
                        let course = courses[rank]
                        let span = max(0, today - joined)
                        let enrolledDay = joined + Int(Double(span) * Double.random(in: 0..<1, using: &generator).squareRoot())
                        let enrolledAt = min(now, IndiaDay.start(enrolledDay).addingTimeInterval(Double.random(in: 8 * 3600...20 * 3600, using: &generator)))
                        let completes = Double.random(in: 0..<1, using: &generator) < NationalScale.completionShare
                        var completedAt: Date?
                        if completes { completedAt = min(now, enrolledAt.addingTimeInterval(Double.random(in: 600...(30 * 86_400), using: &generator))) }
                        let percent = completes ? 100.0 : Double(Int.random(in: 0...90, using: &generator))
                        let seconds = Int(Double(course.minutes * 60) * (completes ? Double.random(in: 0.7...1.3, using: &generator) : percent / 100))
                        let last = completedAt ?? enrolledAt
                        batch.enrolments.append([SQLBind(UUID()), SQLBind(id), SQLBind(course.id), SQLBind(home.id), SQLBind(1),
                                                 SQLBind((completes ? Enrolment.Status.completed : .active).rawValue), SQLBind(percent), SQLBind(seconds),
                                                 SQLBind(last), SQLBind(last), SQLBind(enrolledAt), SQLBind(id), SQLBind(completedAt),
                                                 SQLBind(completes ? course.minutes : nil)])
                        if seconds > 0 { batch.learning.append([SQLBind(id), SQLBind(course.id), SQLBind(IndiaDay.of(last)), SQLBind(seconds)]) }
                        activeDays.insert(IndiaDay.of(enrolledAt))
                        activeDays.insert(IndiaDay.of(last))
                        totals.enrolments += 1
                        if completes { totals.completions += 1 }
                    }
                    // The learning week: this person's courses that week, if they took part (joined before it).
                    let weekly = learningWeeks && joined < week.lowerBound ? LearningWeekShape.enrolments(using: &generator) : 0
                    var weekTaken = 0
                    while weekTaken < weekly, taken.count < courses.count {
                        let rank = popularity.next(using: &generator)
                        guard taken.insert(rank).inserted else { continue }
                        weekTaken += 1
                        let course = courses[rank]
                        let enrolledAt = IndiaDay.start(week.lowerBound + Int.random(in: 0..<7, using: &generator)).addingTimeInterval(Double.random(in: 9 * 3600...19 * 3600, using: &generator))
                        let completes = Double.random(in: 0..<1, using: &generator) < LearningWeekShape.completionsPerEnrolment
                        let lastDay = min(week.upperBound, IndiaDay.of(enrolledAt) + Int.random(in: 0...2, using: &generator))
                        let last = max(enrolledAt, IndiaDay.start(lastDay).addingTimeInterval(Double.random(in: 9 * 3600...20 * 3600, using: &generator)))
                        let seconds = max(60, LearningWeekShape.seconds(using: &generator))
                        batch.enrolments.append([SQLBind(UUID()), SQLBind(id), SQLBind(course.id), SQLBind(home.id), SQLBind(1),
                                                 SQLBind((completes ? Enrolment.Status.completed : .active).rawValue), SQLBind(completes ? 100.0 : 40.0),
                                                 SQLBind(seconds), SQLBind(last), SQLBind(last), SQLBind(enrolledAt), SQLBind(id), SQLBind(completes ? last : nil),
                                                 SQLBind(completes ? course.minutes : nil)])
                        batch.learning.append([SQLBind(id), SQLBind(course.id), SQLBind(IndiaDay.of(last)), SQLBind(seconds)])
                        activeDays.insert(IndiaDay.of(enrolledAt))
                        activeDays.insert(IndiaDay.of(last))
                        totals.enrolments += 1
                        if completes { totals.completions += 1 }
                    }
                    for day in activeDays { batch.active.append([SQLBind(id), SQLBind(day)]) }
                    totals.people += 1
                    if batch.users.count >= 2_000 {
                        totals.otherRows += try await batch.write(on: database)
                        progress("people", totals.people, nation.peopleCount)
                    }
                }
            }
            totals.otherRows += try await batch.write(on: database)
            progress("people", totals.people, nation.peopleCount)
            say("Indexes")
        }

        // Plans: most ministries have published this financial year's plan for all their staff.
        say("Plans")
        let civil = IndiaDay.civil(today)
        let financialYear = civil.month >= 4 ? civil.year : civil.year - 1
        let author = try await User.query(on: database).filter(\.$organisation.$id == ministries[0].id).first()?.id ?? UUID()
        for ministry in ministries where Double.random(in: 0..<1, using: &generator) < 0.7 {
            let plan = Plan()
            plan.id = UUID()
            plan.organisationID = ministry.id
            plan.createdBy = author
            plan.name = "Annual capacity building plan \(financialYear)–\(String(financialYear + 1).suffix(2))"
            plan.year = financialYear
            plan.state = .live
            plan.dueDay = IndiaDay.days(year: financialYear + 1, month: 3, day: 31)
            plan.assignment = .init(value: .allStaff(includeSubtree: true))
            plan.publishedAt = now
            try await plan.create(on: database)
            var insert = sql.insert(into: "plan_courses").columns("plan_id", "course_id", "position")
            for (position, course) in courses.prefix(5).enumerated() { insert = insert.values(SQLBind(plan.id!), SQLBind(course.id), SQLBind(position)) }
            try await insert.run()
            totals.plans += 1
        }

        say("Rollups")
        let report = try await RollupCheck.run(repair: true, on: database) { done, total in progress("months of rollups", done, total) }
        totals.otherRows += report.rows
        if learningWeeks {
            say("Learning weeks")
            try await Campaigns.addGenerated(pastWeek: week, liveFrom: today, by: author, now: now, on: database)
            _ = try await CampaignCheck.run(repair: true, now: now, on: database)
        }
        say("Done")
        return totals
    }

    /// On SQLite, drops the secondary indexes of some tables for a bulk load and makes them again after it, also when
    /// the load fails: building an index once from sorted rows is far cheaper than keeping it through millions of
    /// random inserts. The indexes behind primary keys and unique constraints stay (they check the rows as they come).
    private static func withoutSecondaryIndexes(on tables: [String], database: any Database, load: () async throws -> Void) async throws {
        let sql = database as! any SQLDatabase
        guard sql.dialect.name == "sqlite" else { return try await load() }
        struct Index: Decodable { var name: String; var sql: String }
        let indexes = try await sql.select().columns("name", "sql").from("sqlite_master")
            .where("type", .equal, "index").where(SQLColumn("sql"), .isNot, SQLLiteral.null)
            .where("tbl_name", .in, tables).all(decoding: Index.self)
        for index in indexes { try await sql.raw("DROP INDEX \(ident: index.name)").run() }
        do {
            try await load()
        } catch {
            for index in indexes { try? await sql.raw("\(unsafeRaw: index.sql)").run() }
            throw error
        }
        for index in indexes { try await sql.raw("\(unsafeRaw: index.sql)").run() }
    }

    /// Rows waiting to be written together.
    private struct Batch {
        var users: [[any SQLExpression]] = []
        var enrolments: [[any SQLExpression]] = []
        var learning: [[any SQLExpression]] = []
        var active: [[any SQLExpression]] = []

        /// Writes and empties the batch in one transaction; answers how many rows besides people and enrolments it wrote.
        mutating func write(on database: any Database) async throws -> Int {
            let (users, enrolments, learning, active) = (self.users, self.enrolments, self.learning, self.active)
            self = Batch()
            guard !users.isEmpty else { return 0 }
            try await database.transaction { database in
                let sql = database as! any SQLDatabase
                func insert(_ table: String, _ columns: [String], _ rows: [[any SQLExpression]], conflict: [String]? = nil) async throws {
                    let step = max(1, 6_000 / columns.count)
                    for start in stride(from: 0, to: rows.count, by: step) {
                        let statement = sql.insert(into: table).columns(columns).rows(Array(rows[start..<min(start + step, rows.count)]))
                        if let conflict { try await statement.ignoringConflicts(with: conflict).run() } else { try await statement.run() }
                    }
                }
                try await insert(User.schema, ["id", "organisation_id", "name", "email", "designation", "state_code", "district_code", "language", "status",
                                               "created_at", "updated_at"], users)
                try await insert(Enrolment.schema, ["id", "user_id", "course_id", "organisation_id", "version", "status", "percent", "seconds_spent",
                                                    "last_accessed_at", "updated_at", "enrolled_at", "enrolled_by", "completed_at", "credited_minutes"], enrolments)
                try await insert("learning_days", ["user_id", "course_id", "day", "seconds"], learning, conflict: ["user_id", "course_id", "day"])
                try await insert("active_days", ["user_id", "day"], active, conflict: ["user_id", "day"])
            }
            return learning.count + active.count
        }
    }
}
