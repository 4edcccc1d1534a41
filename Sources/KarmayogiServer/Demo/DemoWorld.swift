import Fluent
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
                    try await Users.record(Users.grant(for: signIn.role, organisation: organisation, stateCode: organisation.stateCode),
                                           for: user.id!, by: nil, on: database)
                }
            }
            let homes = organisations.map { byCode[$0.0]! }
            for index in 0..<190 {
                let first = firstNames.randomElement(using: &generator)!, last = surnames.randomElement(using: &generator)!
                let organisation = homes[index % homes.count]
                var email = "\(first).\(last)".lowercased() + "@\(organisation.code.lowercased()).example.org"
                if used.contains(email) { email = "\(first).\(last).\(index)".lowercased() + "@\(organisation.code.lowercased()).example.org" }
                used.insert(email)
                _ = try await makeUser(name: "\(first) \(last)", email: email, in: organisation, active: index % 10 != 0)
            }
            try await mapCompetencies(byCode: byCode, on: database)
        }
        var lines = ["", "A demo world was created (development only). Sign in at \(app.settings.publicURL)/login with password \(password):"]
        for signIn in signIns { lines.append("  \(signIn.email.padding(toLength: 42, withPad: " ", startingAt: 0)) \(signIn.note)") }
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
    ]

    static func mapCompetencies(byCode: [String: Organisation], on database: any Database) async throws {
        let health = byCode["MOHFW"]!
        let version = try await FrameworkVersion.next("added domain/public health/public health programme management", by: nil, on: database)
        try await Competency(CompetencyEntry(area: .domain, theme: "Public Health Programme Management",
                                             subTheme: nil, description: "Plans, runs and monitors national health programmes (immunisation, TB elimination, maternal health) from district to nation."),
                             domain: "Public Health", owner: health.id, levels: nil, version: version)
            .create(on: database)
        let competencies = try await Competency.query(on: database).all()
        var byKey = Dictionary(uniqueKeysWithValues: competencies.map { ($0.key, $0) })
        if let added = competencies.first(where: { $0.domain == "Public Health" }) { byKey["domain/public health/public health programme management"] = added }
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
    }
}
