import Fluent
import SQLKit
import Foundation
import KarmayogiCore
import Vapor

/// What a developer sees on a first `swift run karmayogi serve`: central ministries with departments,
/// State departments in three States, an urban local body, a panchayat, training institutes, and
/// about two hundred people in every role, posted across districts. Always the same world (seeded).
enum DemoWorld {
    static let password = "Karmayogi@2026"

    struct SignIn {
        var email: String
        var role: Role
        var organisationCode: String
        var note: String
    }

    static let signIns: [SignIn] = [
        .init(email: "admin@karmayogi.example.org", role: .nationalAdmin, organisationCode: "KARMAYOGI-BHARAT", note: "national admin: everything"),
        .init(email: "mdo.mha@karmayogi.example.org", role: .mdoAdmin, organisationCode: "MHA", note: "MDO admin, Ministry of Home Affairs and its departments"),
        .init(email: "cbp.mohfw@karmayogi.example.org", role: .cbpAdmin, organisationCode: "MOHFW", note: "CBP admin, Ministry of Health and Family Welfare"),
        .init(email: "state.rajasthan@karmayogi.example.org", role: .stateAdmin, organisationCode: "RJ-DOP", note: "State admin, Rajasthan"),
        .init(email: "state.mp@karmayogi.example.org", role: .stateAdmin, organisationCode: "MP-GAD", note: "State admin, Madhya Pradesh"),
        .init(email: "creator.lbsnaa@karmayogi.example.org", role: .contentCreator, organisationCode: "LBSNAA", note: "content creator, LBSNAA"),
        .init(email: "reviewer.lbsnaa@karmayogi.example.org", role: .contentReviewer, organisationCode: "LBSNAA", note: "content reviewer, LBSNAA"),
        .init(email: "publisher.lbsnaa@karmayogi.example.org", role: .contentPublisher, organisationCode: "LBSNAA", note: "content publisher, LBSNAA"),
        .init(email: "coordinator.ripa@karmayogi.example.org", role: .programmeCoordinator, organisationCode: "HCM-RIPA", note: "programme coordinator, HCM RIPA Jaipur"),
        .init(email: "editor.ripa@karmayogi.example.org", role: .caseEditor, organisationCode: "HCM-RIPA", note: "case study editor, HCM RIPA Jaipur"),
        .init(email: "admin.ripa@karmayogi.example.org", role: .mdoAdmin, organisationCode: "HCM-RIPA", note: "MDO admin, HCM RIPA Jaipur (applies for accreditation)"),
        .init(email: "faculty.lbsnaa@karmayogi.example.org", role: .faculty, organisationCode: "LBSNAA", note: "faculty, LBSNAA (reads teaching notes)"),
        .init(email: "learner@karmayogi.example.org", role: .learner, organisationCode: "JMC-GREATER", note: "learner, Jaipur Municipal Corporation Greater"),
    ]

    /// (code, name, type, parent code, State, district name)
    static let organisations: [(String, String, OrganisationType, String?, Int?, String?)] = [
        ("MHA", "Ministry of Home Affairs", .ministry, nil, nil, nil),
        ("MHA-DBM", "Department of Border Management", .department, "MHA", nil, nil),
        ("MHA-DOL", "Department of Official Language", .department, "MHA", nil, nil),
        ("MOHFW", "Ministry of Health and Family Welfare", .ministry, nil, nil, nil),
        ("MOHFW-DHFW", "Department of Health and Family Welfare", .department, "MOHFW", nil, nil),
        ("MOHFW-DHR", "Department of Health Research", .department, "MOHFW", nil, nil),
        ("ICMR", "Indian Council of Medical Research", .organisation, "MOHFW-DHR", nil, nil),
        ("MOPPGP", "Ministry of Personnel, Public Grievances and Pensions", .ministry, nil, nil, nil),
        ("DOPT", "Department of Personnel and Training", .department, "MOPPGP", nil, nil),
        ("DARPG", "Department of Administrative Reforms and Public Grievances", .department, "MOPPGP", nil, nil),
        ("LBSNAA", "Lal Bahadur Shastri National Academy of Administration", .trainingInstitute, "DOPT", nil, nil),
        ("MORD", "Ministry of Rural Development", .ministry, nil, nil, nil),
        ("MORD-DRD", "Department of Rural Development", .department, "MORD", nil, nil),
        ("RJ-DOP", "Department of Personnel, Rajasthan", .stateDepartment, nil, 8, nil),
        ("RJ-MHFW", "Medical, Health and Family Welfare Department, Rajasthan", .stateDepartment, nil, 8, nil),
        ("HCM-RIPA", "HCM Rajasthan State Institute of Public Administration", .trainingInstitute, "RJ-DOP", 8, nil),
        ("JMC-GREATER", "Jaipur Municipal Corporation Greater", .ulb, nil, 8, "Jaipur"),
        ("MP-GAD", "General Administration Department, Madhya Pradesh", .stateDepartment, nil, 23, nil),
        ("MP-PRD", "Panchayat and Rural Development Department, Madhya Pradesh", .stateDepartment, nil, 23, nil),
        ("MP-GP-BILKISGANJ", "Gram Panchayat Bilkisganj", .panchayat, "MP-PRD", 23, "Sehore"),
        ("BR-GAD", "General Administration Department, Bihar", .stateDepartment, nil, 10, nil),
        ("BR-BIPARD", "Bihar Institute of Public Administration and Rural Development", .trainingInstitute, "BR-GAD", 10, nil),
    ]

    static let firstNames = ["Aarav", "Asha", "Rohit", "Priya", "Sandeep", "Kavita", "Imran", "Meena", "Arjun", "Lakshmi", "Vikram", "Neha",
                             "Suresh", "Anjali", "Farhan", "Deepa", "Harpreet", "Sunita", "Rajesh", "Pooja", "Gaurav", "Nandini", "Manoj",
                             "Shabnam", "Kiran", "Ritu", "Tenzin", "Lalthlamuani", "Biswajit", "Revathi"]
    static let surnames = ["Verma", "Sharma", "Khan", "Iyer", "Das", "Singh", "Meena", "Patel", "Reddy", "Nair", "Yadav", "Choudhary",
                           "Gupta", "Kumar", "Mishra", "Banerjee", "Gill", "Rao", "Joshi", "Bhati", "Sinha", "Pillai", "Naqvi"]
    static let designations = ["Section Officer", "Assistant Section Officer", "Under Secretary", "Deputy Secretary", "Director",
                               "Multi-Tasking Staff", "Upper Division Clerk", "Medical Officer", "Block Development Officer",
                               "Executive Engineer", "Revenue Inspector", "Panchayat Secretary", "Nodal Officer", "Stenographer"]

    /// Creates the world when the database holds nobody yet, and prints the sign-ins once.
    static func seedIfEmpty(_ app: Application) async throws {
        guard try await User.query(on: app.db).count() == 0 else { return }
        let hash = try await app.password.async.hash(password)
        let geography = Geography.reference
        try await app.db.transaction { database in
            var byCode: [String: Organisation] = ["KARMAYOGI-BHARAT": try await NationalAdmins.platformOrganisation(on: database)]
            for (code, name, type, parentCode, state, districtName) in organisations {
                let district = districtName.flatMap { geography.district(named: $0, inState: state!) }
                let organisation = Organisation(name: name, code: code, type: type, parent: parentCode.flatMap { byCode[$0] }, stateCode: state,
                                                districtCode: district?.code, sanctionedStrength: 40 + (code.utf8.reduce(0) { $0 + Int($1) } % 160))
                try await organisation.create(on: database)
                byCode[code] = organisation
            }
            var generator = SeededGenerator(seed: 2026)
            var used = Set<String>()
            var serial = 1000
            func makeUser(name: String, email: String, in organisation: Organisation, active: Bool) async throws -> User {
                let user = User()
                user.$organisation.id = organisation.id!
                user.name = name
                user.email = email
                user.designation = designations.randomElement(using: &generator)
                serial += 1
                user.employeeId = "\(organisation.code)-\(serial)"
                let state = organisation.stateCode ?? geography.states.randomElement(using: &generator)!.code
                user.stateCode = state
                user.districtCode = organisation.districtCode ?? geography.districts(inState: state).randomElement(using: &generator)?.code
                user.phone = "9\(String(format: "%09d", Int.random(in: 0..<1_000_000_000, using: &generator)))"
                user.language = state == 8 || state == 23 || state == 10 ? "hi" : ["en", "hi", "en"].randomElement(using: &generator)!
                if active {
                    user.status = .active
                    user.passwordHash = hash
                } else {
                    user.status = .pending
                    let token = SecretToken.make()
                    user.activationTokenHash = SecretToken.hash(token)
                    user.activationExpiresAt = Date().addingTimeInterval(app.settings.activationLifetime)
                    try await user.create(on: database)
                    try await ActivationMessage(user: user, organisationName: organisation.name, token: token, publicURL: app.settings.publicURL)
                        .record().create(on: database)
                    return user
                }
                try await user.create(on: database)
                return user
            }
            for signIn in signIns {
                let organisation = byCode[signIn.organisationCode]!
                let user = try await makeUser(name: "\(firstNames.randomElement(using: &generator)!) \(surnames.randomElement(using: &generator)!)",
                                              email: signIn.email, in: organisation, active: true)
                if signIn.role != .learner {
                    try await Users.record(Users.grant(for: signIn.role, organisation: organisation, stateCode: organisation.stateCode)!,
                                           for: user.id!, by: nil, on: database)
                }
            }
            let homes = organisations.map { byCode[$0.0]! }
            // About two hundred people in all, the sign-ins among them.
            for index in 0..<(200 - signIns.count) {
                let first = firstNames.randomElement(using: &generator)!, last = surnames.randomElement(using: &generator)!
                let organisation = homes[index % homes.count]
                var email = "\(first).\(last)".lowercased() + "@\(organisation.code.lowercased()).example.org"
                if used.contains(email) { email = "\(first).\(last).\(index)".lowercased() + "@\(organisation.code.lowercased()).example.org" }
                used.insert(email)
                _ = try await makeUser(name: "\(first) \(last)", email: email, in: organisation, active: index % 10 != 0)
            }
            try await mapCompetencies(byCode: byCode, on: database)
        }
        try await addLearningWeekAndTalks(app) { try await addLearning(app) }
        try await addPlan(app)
        try await addProgrammes(app)
        try await addCases(app)
        try await addAccreditations(app)
        try await addQualifications(app)
        try await addStates(app)
        try await addPanchayats(app)
        try await addAssistantDocuments(app)
        // People made above were not counted as they were made: the dashboards' counters are computed from them once.
        _ = try await RollupCheck.run(repair: true, on: app.db)
        var lines = ["", "A demo world was created (development only). Sign in at \(app.settings.publicURL)/login with password \(password):"]
        for signIn in signIns { lines.append("  \(signIn.email.padding(toLength: 42, withPad: " ", startingAt: 0)) \(signIn.note)") }
        lines.append("  \(panchayatSignIn.email.padding(toLength: 42, withPad: " ", startingAt: 0)) \(panchayatSignIn.note)")
        lines.append("")
        print(lines.joined(separator: "\n"))
    }
}

extension DemoWorld {
    /// (organisation, designation, competency keys with levels)
    static let roleMappings: [(String, String, [(String, Int)])] = [
        ("MHA", "Section Officer", [("functional/office management/office procedures", 3), ("functional/administration matters", 2), ("behavioural/self-awareness", 2)]),
        ("MHA", "Under Secretary", [("functional/office management", 4), ("functional/cabinet note preparation", 3), ("behavioural/collaborative leadership", 3)]),
        ("MOHFW", "Medical Officer", [("domain/public health/public health programme management", 3), ("behavioural/self-awareness", 2)]),
        ("MOHFW", "Director", [("domain/public health/public health programme management", 4), ("behavioural/collaborative leadership", 4)]),
        // The demo learner's role, so their home recommends courses for it.
        ("JMC-GREATER", "Stenographer", [("functional/office management", 2), ("functional/digital fluency", 2), ("functional/handling rti matters", 2),
                                         ("functional/grievance redressal", 1)]),
    ]

    /// (domain, theme, description, owning organisation)
    static let domainCompetencies: [(String, String, String, String)] = [
        ("Public Health", "Public Health Programme Management",
         "Plans, runs and monitors national health programmes (immunisation, TB elimination, maternal health) from district to nation.", "MOHFW"),
        ("Rural Development", "Farming Systems", "Advises farmers on integrated farming systems, soil health and allied activities.", "MORD"),
        ("Home Affairs", "Criminal Law Administration", "Applies the Bharatiya Nyaya Sanhita, Nagarik Suraksha Sanhita and Sakshya Adhiniyam in daily work.", "MHA"),
        ("Finance", "Revenue Recognition", "Recognises and accounts for government revenue under the applicable accounting standards.", "DOPT"),
    ]

    static func mapCompetencies(byCode: [String: Organisation], on database: any Database) async throws {
        for (domain, theme, description, owner) in domainCompetencies {
            _ = try await Competency.add(CompetencyEntry(area: .domain, theme: theme, subTheme: nil, description: description), domain: domain,
                                         owner: byCode[owner]!.id, by: nil, on: database)
        }
        let byKey = Dictionary(uniqueKeysWithValues: try await Competency.query(on: database).all().map { ($0.key, $0) })
        for (code, designation, needs) in roleMappings {
            for (key, level) in needs {
                guard let competency = byKey[key] else { throw Abort(.internalServerError, reason: "the demo world maps \(key), which the framework lacks") }
                let row = DesignationRequirement()
                row.$organisation.id = byCode[code]!.id!
                row.$competency.id = competency.id!
                row.designation = designation
                row.designationKey = Designation.key(designation)
                row.level = level
                try await row.create(on: database)
            }
        }
        try await addCourses(byCode: byCode, competencies: byKey, on: database)
    }

    /// (English title, competency key, minutes, provider, translations by language)
    static let courses: [(String, String, Int, String, [String: String])] = [
        ("Yoga Break at Workplace", "behavioural/personal effectiveness", 30, "KARMAYOGI-BHARAT",
         ["hi": "कार्यस्थल पर योग ब्रेक", "ta": "பணியிடத்தில் யோகா இடைவேளை", "bn": "কর্মস্থলে যোগ বিরতি", "mr": "कामाच्या ठिकाणी योग विश्रांती",
          "te": "పని ప్రదేశంలో యోగా విరామం", "gu": "કાર્યસ્થળ પર યોગ વિરામ"]),
        ("Orientation Module on Mission LiFE (Lifestyle for Environment)", "behavioural/service orientation", 45, "KARMAYOGI-BHARAT",
         ["hi": "मिशन लाइफ़ (पर्यावरण के लिए जीवनशैली) पर अभिविन्यास मॉड्यूल"]),
        ("Stress Management", "behavioural/self-awareness", 60, "LBSNAA",
         ["hi": "तनाव प्रबंधन", "ta": "மன அழுத்த மேலாண்மை", "bn": "মানসিক চাপ ব্যবস্থাপনা", "mr": "ताण व्यवस्थापन", "te": "ఒత్తిడి నిర్వహణ", "gu": "તણાવ વ્યવસ્થાપન"]),
        ("Self Leadership", "behavioural/self-awareness", 90, "LBSNAA", ["hi": "स्व-नेतृत्व"]),
        ("Heart in Governance", "behavioural/service orientation", 60, "LBSNAA", [:]),
        ("Code of Conduct for Government Employees", "functional/vigilance administration", 75, "HCM-RIPA",
         ["hi": "सरकारी कर्मचारियों के लिए आचरण संहिता", "bn": "সরকারি কর্মচারীদের আচরণবিধি", "te": "ప్రభుత్వ ఉద్యోగుల ప్రవర్తనా నియమావళి",
          "gu": "સરકારી કર્મચારીઓ માટે આચાર સંહિતા"]),
        ("Prevention of Sexual Harassment of Women at Workplace", "functional/establishment & hr", 60, "KARMAYOGI-BHARAT",
         ["hi": "कार्यस्थल पर महिलाओं के यौन उत्पीड़न की रोकथाम"]),
        ("Introduction to Emerging Technologies", "functional/digital fluency", 120, "KARMAYOGI-BHARAT", ["hi": "उभरती प्रौद्योगिकियों का परिचय"]),
        ("Stay Safe in Cyber Space", "functional/digital fluency", 40, "HCM-RIPA",
         ["hi": "साइबर स्पेस में सुरक्षित रहें", "ta": "இணைய வெளியில் பாதுகாப்பாக இருங்கள்", "bn": "সাইবার জগতে নিরাপদ থাকুন",
          "mr": "सायबर जगतात सुरक्षित राहा", "te": "సైబర్ ప్రపంచంలో సురక్షితంగా ఉండండి", "gu": "સાયબર વિશ્વમાં સુરક્ષિત રહો"]),
        ("Microsoft Excel for Beginners", "functional/data analytics", 180, "BR-BIPARD", ["hi": "शुरुआती लोगों के लिए माइक्रोसॉफ्ट एक्सेल"]),
        ("Women Self Defense Techniques", "behavioural/personal effectiveness", 90, "BR-BIPARD", [:]),
        ("Understanding Revenue Recognition Principle", "domain/finance/revenue recognition", 120, "LBSNAA", [:]),
        ("Cyber Security Best Practices for an Organization", "functional/digital fluency", 150, "HCM-RIPA", [:]),
        ("Farming Systems Approach", "domain/rural development/farming systems", 240, "BR-BIPARD", ["hi": "कृषि प्रणाली दृष्टिकोण"]),
        ("Bharatiya Nyaya Sanhita, 2023: An Overview", "domain/home affairs/criminal law administration", 180, "LBSNAA",
         ["hi": "भारतीय न्याय संहिता, 2023: एक परिचय", "ta": "பாரதிய நியாய சன்ஹிதா, 2023: ஓர் அறிமுகம்", "mr": "भारतीय न्याय संहिता, 2023: परिचय"]),
        ("Bharatiya Nagarik Suraksha Sanhita, 2023", "domain/home affairs/criminal law administration", 180, "LBSNAA", ["hi": "भारतीय नागरिक सुरक्षा संहिता, 2023"]),
        ("Bharatiya Sakshya Adhiniyam, 2023", "domain/home affairs/criminal law administration", 150, "LBSNAA", ["hi": "भारतीय साक्ष्य अधिनियम, 2023"]),
        ("Noting and Drafting in e-Office", "functional/office management", 120, "HCM-RIPA", ["hi": "ई-ऑफिस में टिप्पण और प्रारूपण"]),
        ("Public Procurement under GFR 2017", "functional/public procurement (gfr)", 300, "LBSNAA", ["hi": "सामान्य वित्तीय नियम 2017 के अंतर्गत सार्वजनिक खरीद"]),
        ("Handling RTI Applications", "functional/handling rti matters", 90, "HCM-RIPA", ["hi": "आरटीआई आवेदनों का निपटान"]),
        ("Grievance Redressal through CPGRAMS", "functional/grievance redressal", 60, "KARMAYOGI-BHARAT", ["hi": "सीपीग्राम्स के माध्यम से शिकायत निवारण"]),
        ("Immunisation Programme Management", "domain/public health/public health programme management", 240, "MOHFW-DHFW", ["hi": "टीकाकरण कार्यक्रम प्रबंधन"]),
    ]

    /// Courses still in the works: drafts waiting for a reviewer.
    static let coursesInReview: [(String, String, String)] = [
        ("Leading Change in Government", "functional/change management", "LBSNAA"),
        ("Citizen-Centric Service Design", "functional/citizen centricity", "KARMAYOGI-BHARAT"),
        ("Monitoring and Evaluation of Schemes", "functional/monitoring & evaluation", "HCM-RIPA"),
    ]

    /// The demo learner is on their way in three courses, so "my learning" has something to continue; their
    /// progress goes through the same rules as a player's.
    static func addLearning(_ app: Application) async throws {
        guard let learner = try await User.query(on: app.db).filter(\.$email == "learner@karmayogi.example.org").first() else { return }
        learner.designation = "Stenographer"
        try await learner.save(on: app.db)
        guard let principal = try await Principal.load(userID: learner.id!, on: app.db)
        else { return }
        let courses = try await Course.query(on: app.db).filter(\.$status == .published).sort(\.$createdAt).limit(3).all()
        for (index, course) in courses.enumerated() {
            _ = try await Enrolments.enrol(course.id!, user: learner.id!, organisation: principal.organisationID, by: principal, clock: app.clock, on: app.db)
            let content = try await app.publishedContents.content(of: course.id!, version: course.publishedVersion!, on: app.db)
            let items = content.modules.flatMap(\.items).filter { $0.kind != .assessment }.prefix(index + 1)
            let updates = items.enumerated().map { number, item in
                ProgressBatchInput.UpdateInput(courseId: course.id!.uuidString, itemId: item.id!.uuidString, status: number == index ? 1 : 2,
                                               percent: number == index ? 40 : 100, secondsSpent: item.durationMinutes * 60, clientTime: nil,
                                               key: "demo-\(course.id!.uuidString)-\(number)")
            }
            _ = try await LearningProgress.apply(ProgressBatchInput(updates: updates), for: principal, app: app, on: app.db)
        }
    }

    /// The Ministry of Home Affairs has a live capacity building plan for this financial year, so its MDO admin has
    /// compliance to follow: three published courses for all its staff, due in three months.
    static func addPlan(_ app: Application) async throws {
        guard let admin = try await User.query(on: app.db).filter(\.$email == "admin@karmayogi.example.org").first(),
              let principal = try await Principal.load(userID: admin.id!, on: app.db),
              let ministry = try await Organisation.query(on: app.db).filter(\.$code == "MHA").first()
        else { return }
        let courses = try await Course.query(on: app.db).filter(\.$status == .published).sort(\.$createdAt).limit(3).all().compactMap(\.id)
        let today = IndiaDay.of(Date())
        let civil = IndiaDay.civil(today)
        var input = PlanInput()
        input.name = "ACBP \(KPIPeriod.financialYear(of: today))"
        input.year = civil.month >= 4 ? civil.year : civil.year - 1
        input.courseIds = courses
        input.assignment = .init(allStaff: true, includeSubtree: true)
        input.dueDate = IndiaDay.string(today + 90)
        let plan = try await Plans.create(input, in: ministry.id!, by: principal, on: app.db)
        _ = try await Plans.transition(plan.id!, .publish, comment: nil, by: principal, on: app.db)
    }

    /// A blended programme at HCM RIPA with a batch on now (sessions today, trained by its coordinator, eight Rajasthan
    /// officers enrolled) and one next month the learner has applied for; a small Jan Seva cascade (the coordinator a
    /// master trainer in it, with a batch today); a DAKSH cohort journey the learner is on, mentored by the MHA's MDO
    /// admin, with a milestone awaiting review.
    static func addProgrammes(_ app: Application) async throws {
        let emails = ["admin@karmayogi.example.org", "learner@karmayogi.example.org", "coordinator.ripa@karmayogi.example.org", "mdo.mha@karmayogi.example.org"]
        let people = try await Users.ids(ofEmails: emails, on: app.db)
        guard let admin = people[emails[0]], let learner = people[emails[1]], let trainer = people[emails[2]], let mentor = people[emails[3]],
              let national = try await Principal.load(userID: admin, on: app.db), let learnerPrincipal = try await Principal.load(userID: learner, on: app.db),
              let mentorPrincipal = try await Principal.load(userID: mentor, on: app.db),
              let institute = try await Organisations.id(ofCode: "HCM-RIPA", on: app.db)
        else { return }
        let now = app.clock.now(), today = IndiaDay.of(now)
        // A course the learner is part way through (`addLearning`).
        let course = try await Enrolments.all(of: learner, limit: 1, on: app.db).first?.courseID
        let programme = try await Programmes.create(ProgrammeInput(
            title: "Leadership for district officers", titleHi: "ज़िला अधिकारियों के लिए नेतृत्व",
            description: "Three days at HCM RIPA on leading a district office: citizen first, grievance redressal, service delivery; with an online course before.",
            providerId: institute, approvalRoute: .both, courseIds: course.map { [$0] }, minimumAttendancePercent: 75, competencies: nil), by: national, now: now, on: app.db)
        let jaipur = Geography.reference.district(named: "Jaipur", inState: 8)?.code
        func batch(_ name: String, from: Int, to: Int, seats: Int) async throws -> ProgrammeBatch {
            try await Programmes.createBatch(in: programme.id!, BatchInput(name: name, startDate: IndiaDay.string(from), endDate: IndiaDay.string(to), stateCode: 8,
                                                                           districtCode: jaipur, venue: "HCM RIPA, Jawahar Lal Nehru Marg, Jaipur", seats: seats,
                                                                           trainerIds: [trainer]), by: national, now: now, on: app.db)
        }
        let thisWeek = try await batch("Jaipur, this week", from: today, to: today + 1, seats: 25)
        for (hour, title) in [(10.0, "Citizen first"), (14.5, "Grievance redressal that closes the loop"), (34.0, "Service delivery in a district office")] {
            let start = IndiaDay.start(today).addingTimeInterval(hour * 3600)
            _ = try await Programmes.createSession(in: thisWeek.id!, SessionInput(title: title, startsAt: Formats.iso(start), endsAt: Formats.iso(start.addingTimeInterval(2.5 * 3600)),
                                                                                 venue: "Hall 2, HCM RIPA", onlineUrl: nil), by: national, now: now, on: app.db)
        }
        // Eight Rajasthan officers (not the sign-ins, whom the browser journeys use), nominated by the coordinator: enrolled.
        let signIns = Set(try await Users.ids(ofEmails: Self.signIns.map(\.email), on: app.db).values)
        let directory = Dictionary(uniqueKeysWithValues: try await Organisations.directory(on: app.db as! any SQLDatabase).map { ($0.id, $0) })
        let officers = try await Users.homes(limit: 1_000, on: app.db as! any SQLDatabase)
            .filter { !signIns.contains($0.id) && ($0.stateCode ?? directory[$0.organisation]?.stateCode) == 8 }.prefix(8).map(\.id)
        if !officers.isEmpty {
            _ = try await Programmes.nominate(to: thisWeek.id!, NominationInput(userIds: Array(officers), reason: "Newly posted to district offices"), by: national,
                                              clock: app.clock, on: app.db)
        }
        let nextMonth = try await batch("Jaipur, next month", from: today + 30, to: today + 32, seats: 25)
        _ = try await Programmes.nominate(to: nextMonth.id!, NominationInput(), by: learnerPrincipal, clock: app.clock, on: app.db)

        // A small cascade of the Jan Seva shape, drawn from the demo's people.
        if let cascade = try? await CascadeGenerator.run(CascadeShape(leads: 2, masters: 6, batches: 12, participants: 90), on: app.db, progress: { _, _, _ in }).cascade {
            // The institute's coordinator trained as a master trainer today by one of its leads, with a batch of their own
            // today: a trainer's pages have something to show.
            let leads = try await Cascades.certified(.lead, in: cascade, limit: 2, on: app.db).filter { $0 != trainer }
            if let lead = leads.first, let leadPrincipal = try await Principal.load(userID: lead, on: app.db),
               let trainerPrincipal = try await Principal.load(userID: trainer, on: app.db) {
                let training = try await Cascades.openBatch(in: cascade, CascadeBatchInput(tier: .master, startDate: IndiaDay.string(today), stateCode: 8,
                                                                                           districtCode: jaipur, venue: "HCM RIPA, Jaipur", seats: 30),
                                                            by: leadPrincipal, now: now, on: app.db)
                _ = try await Cascades.recordAttendance(of: training.id!, CascadePeopleInput(userIds: [trainer]), by: leadPrincipal, now: now, on: app.db)
                _ = try await Cascades.openBatch(in: cascade, CascadeBatchInput(tier: .participant, startDate: IndiaDay.string(today), stateCode: 8,
                                                                                districtCode: jaipur, venue: "Collectorate, Jaipur", seats: 40),
                                                 by: trainerPrincipal, now: now, on: app.db)
            }
        }

        // A DAKSH cohort: the learner and five others, mentored by the MHA's MDO admin.
        let journey = try await Journeys.create(JourneyInput(
            title: "DAKSH: leadership for the public enterprise, cohort 1", titleHi: "दक्ष: सार्वजनिक उद्यम के लिए नेतृत्व, समूह 1",
            description: "Twelve months of training, coaching, action learning and exposure, in four phases.", providerId: national.organisationID,
            startDate: IndiaDay.string(today - 20),
            phases: [.init(title: "Foundation", titleHi: "आधार", months: 2), .init(title: "Action learning", titleHi: "क्रियात्मक अधिगम", months: 6),
                     .init(title: "Exposure", titleHi: "अध्ययन भ्रमण", months: 2), .init(title: "Capstone", titleHi: "समापन परियोजना", months: 2)],
            activities: [
                .init(phase: 0, kind: .coaching, title: "First coaching conversation", required: true),
                .init(phase: 0, kind: .milestone, title: "Project charter: the problem, the baseline, the goal", required: true),
                .init(phase: 1, kind: .milestone, title: "Mid-term review of the project", required: true),
                .init(phase: 1, kind: .coaching, title: "Coaching on the project's progress", required: true),
                .init(phase: 2, kind: .visit, title: "Exposure visit to a public enterprise", required: true),
                .init(phase: 3, kind: .milestone, title: "Final report and presentation", required: true),
            ] + (course.map { [.init(phase: 0, kind: .course, title: "Online course before the first workshop", required: false, courseId: $0)] } ?? [])),
            by: national, now: now, on: app.db)
        _ = try await Journeys.addMembers(to: journey.id!, JourneyMembersInput(userIds: [mentor], role: .mentor), by: national, now: now, on: app.db)
        let cohort = [learner] + officers.dropFirst(2).prefix(5)
        _ = try await Journeys.addMembers(to: journey.id!, JourneyMembersInput(userIds: Array(cohort), role: .participant, mentorId: mentor), by: national, now: now, on: app.db)
        let plan = try await Journeys.plan(journey.id!, on: app.db)
        let firstTalk = plan.activities.first { $0.kind == .coaching }!.id!, charter = plan.activities.first { $0.kind == .milestone }!.id!
        for person in cohort {
            _ = try await Journeys.record(firstTalk, JourneyRecordInput(userId: person, note: "Goals for the year agreed"), by: mentorPrincipal,
                                          keys: app.credentialKeys, now: now, on: app.db)
        }
        _ = try await Journeys.submit(charter, MilestoneSubmitInput(text: "Halve the time to settle property tax appeals in Jaipur: 94 days now, 45 by March.",
                                                                    link: nil), by: learnerPrincipal, now: now, on: app.db)
    }

    /// The demo courses' assessment: three of four questions about the service, 15 minutes, three attempts, pass at 60%.
    static let demoQuiz = AssessmentSpec(questions: [
        .init(kind: .single, text: "Which Act gives every citizen the right to ask a public authority for information?",
              options: ["Right to Information Act, 2005", "Official Secrets Act, 1923", "Information Technology Act, 2000"], correct: [0]),
        .init(kind: .trueFalse, text: "Mission Karmayogi is the National Programme for Civil Services Capacity Building.", correct: [0]),
        .init(kind: .multiple, text: "Which are areas of the Karmayogi Competency Model?", options: ["Behavioural", "Functional", "Domain", "Financial"], correct: [0, 1, 2]),
        .init(kind: .numeric, text: "How many States and Union Territories does India have?", answer: 36, tolerance: 0),
    ], drawCount: 3, timeLimitSeconds: 900, maxAttempts: 3, passPercent: 60)

    static func addCourses(byCode: [String: Organisation], competencies: [String: Competency], on database: any Database) async throws {
        let author = try await User.query(on: database).filter(\.$email == "creator.lbsnaa@karmayogi.example.org").first()!.id!
        func content(_ title: String, _ key: String, _ minutes: Int, _ language: String, englishTitle: String? = nil) throws -> CourseContent {
            guard let competency = competencies[key] else { throw Abort(.internalServerError, reason: "the demo catalogue names \(key), which the framework lacks") }
            return CourseContent(
                title: title, summary: "\(title): a course for public servants.", description: "Part of the Karmayogi demo catalogue.",
                // A translation also carries its English title's words, so a search in Latin letters finds it.
                keywords: [competency.theme] + (englishTitle.map { [$0] } ?? []), language: language, durationMinutes: minutes,
                competencies: [RoleRequirement(competencyId: competency.id!, level: 2)],
                modules: [.init(title: "Introduction", items: [.init(title: "Overview", kind: .video, durationMinutes: minutes / 3, required: true),
                                                               .init(title: "Reading", kind: .document, durationMinutes: minutes / 3, required: false)]),
                          .init(title: "Practice", items: [.init(title: "Check your understanding", kind: .assessment, durationMinutes: minutes / 3, required: true,
                                                                 assessment: demoQuiz)])]
            ).identified()
        }
        func add(_ content: CourseContent, provider: String, state: CourseState, family: UUID? = nil) async throws -> UUID {
            let course = Course()
            course.id = UUID()
            course.familyID = family ?? course.id!
            course.$provider.id = byCode[provider]!.id!
            course.createdBy = author
            course.status = state == .published ? .published : .draft
            course.latestVersion = 1
            course.publishedVersion = state == .published ? 1 : nil
            try await course.create(on: database)
            let version = CourseVersion(course: course.id!, version: 1, content: content, by: author)
            version.state = state
            version.publishedAt = state == .published ? Date() : nil
            try await version.create(on: database)
            return course.id!
        }
        for (title, key, minutes, provider, translations) in courses {
            let original = try await add(try content(title, key, minutes, "en"), provider: provider, state: .published)
            for (language, translated) in translations.sorted(by: { $0.key < $1.key }) {
                _ = try await add(try content(translated, key, minutes, language, englishTitle: title), provider: provider, state: .published, family: original)
            }
        }
        for (title, key, provider) in coursesInReview {
            _ = try await add(try content(title, key, 90, "en"), provider: provider, state: .inReview)
        }
    }
}

extension DemoWorld {
    /// Rajasthan's learning week is on (it began two days ago and counts the demo learner's learning), and there are
    /// Karmayogi Talks: one last week that the demo learner attended (with its certificate), one tomorrow open to all,
    /// and a workshop in Jaipur next week by nomination.
    static func addLearningWeekAndTalks(_ app: Application, before learning: () async throws -> Void) async throws {
        let people = try await Users.ids(ofEmails: ["admin@karmayogi.example.org", "learner@karmayogi.example.org"], on: app.db)
        guard let admin = people["admin@karmayogi.example.org"], let national = try await Principal.load(userID: admin, on: app.db),
              let learner = people["learner@karmayogi.example.org"], let institute = try await Organisations.id(ofCode: "HCM-RIPA", on: app.db)
        else { return try await learning() }
        let now = app.clock.now(), today = IndiaDay.of(now)
        let week = try await Campaigns.create(CampaignInput(
            name: "Rajasthan Karmayogi Saptah", nameHi: "राजस्थान कर्मयोगी सप्ताह", stateCode: 8,
            startDate: IndiaDay.string(today - 2), endDate: IndiaDay.string(today + 4), eligible: nil, goal: .init(kind: .hours, value: 4),
            organisationGoalPercent: 60, banner: "Four hours of learning this week: every course counts.",
            bannerHi: "इस सप्ताह चार घंटे का शिक्षण: हर पाठ्यक्रम गिना जाएगा।"), by: national, now: now.addingTimeInterval(-5 * 86_400), on: app.db)
        _ = try await Campaigns.publish(week.id!, by: national, now: now.addingTimeInterval(-4 * 86_400), on: app.db)
        try await learning()

        func talk(_ title: String, _ titleHi: String, kind: Event.Kind, startsIn days: Double, speakers: [EventSpeaker], organiser: UUID,
                  online: Bool, registration: Event.Registration, rule: AttendanceRule) async throws -> Event {
            let start = IndiaDay.start(today + Int(days)).addingTimeInterval(11 * 3600)
            return try await Events.create(EventInput(
                title: title, titleHi: titleHi, kind: kind, speakers: speakers,
                description: "\(title): leaders on what it takes, with questions from civil servants across the country.",
                startsAt: Formats.iso(start), endsAt: Formats.iso(start.addingTimeInterval(90 * 60)), capacity: online ? nil : 60,
                onlineUrl: online ? "https://meet.example.gov.in/karmayogi-talks" : "", venue: online ? "" : "HCM RIPA, Jawahar Lal Nehru Marg, Jaipur",
                stateCode: online ? nil : 8, districtCode: online ? nil : Geography.reference.district(named: "Jaipur", inState: 8)?.code,
                registration: registration, attendanceRule: .init(kind: rule.kind, minutes: rule.kind == .minutes ? rule.minutes : nil), organiserId: organiser),
                by: national, now: min(now, start.addingTimeInterval(-86_400)), on: app.db)
        }
        let past = try await talk("Karmayogi Talk: Citizen first", "कर्मयोगी वार्ता: नागरिक पहले", kind: .talk, startsIn: -6,
                                  speakers: [.init(name: "S. Radhakrishnan", role: "Secretary, Department of Administrative Reforms")],
                                  organiser: national.organisationID, online: true, registration: .open, rule: .init(kind: .minutes, minutes: 45))
        guard let learnerPrincipal = try await Principal.load(userID: learner, on: app.db) else { return }
        _ = try await Events.register(past.id!, nominating: nil, by: learnerPrincipal, now: past.startsAt.addingTimeInterval(-3600), on: app.db)
        // They had the link open for 80 of its 90 minutes; attendance was decided after it ended.
        _ = try await Events.join(past.id!, by: learnerPrincipal, now: past.startsAt, on: app.db)
        try await Events.leave(past.id!, by: learnerPrincipal, now: past.startsAt.addingTimeInterval(80 * 60), on: app.db)
        _ = try await EventSettling.settleDue(app: app)
        _ = try await talk("Karmayogi Talk: Data for decisions", "कर्मयोगी वार्ता: निर्णय के लिए डेटा", kind: .talk, startsIn: 1,
                           speakers: [.init(name: "Dr. Meera Iyer", role: "Chief Data Officer"), .init(name: "Arvind Patel", role: "Joint Secretary")],
                           organiser: national.organisationID, online: true, registration: .open, rule: .init(kind: .minutes, minutes: 45))
        _ = try await talk("Workshop: Grievance redressal that closes the loop", "कार्यशाला: शिकायत निवारण जो पूरा हो", kind: .workshop, startsIn: 7,
                           speakers: [.init(name: "Kavita Choudhary", role: "Faculty, HCM RIPA")], organiser: institute, online: false,
                           registration: .nomination, rule: .init(kind: .checkIn))
    }
}
