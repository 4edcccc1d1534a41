import Fluent
import SQLKit
import Foundation
import KarmayogiCore
import Vapor

extension DemoWorld {
    /// (institute code, title, State LGD code, SDGs, sector, year, status, co-publisher). Illustrative cases written for
    /// the demo, in the shape of the Kosh's: India-focused, across States and goals.
    static let cases: [(String, String, Int, [Int], CaseSector, Int, CaseStatus, String)] = [
        ("HCM-RIPA", "Piped water to the desert villages of Barmer", 8, [6, 3], .waterSanitation, 2023, .completed, ""),
        ("HCM-RIPA", "Jan Soochna: a State's information portal for every citizen", 8, [16], .digitalGovernance, 2022, .completed, ""),
        ("HCM-RIPA", "Sheep breeders and the Rajasthan camel: keeping a livelihood alive", 8, [1, 15], .agriculture, 2024, .ongoing, ""),
        ("HCM-RIPA", "Chief Minister's free medicines scheme: supply chains in district hospitals", 8, [3, 10], .health, 2021, .completed, ""),
        ("BR-BIPARD", "Jeevika: women's self-help groups at the scale of a State", 10, [1, 5, 8], .ruralDevelopment, 2023, .completed, "Asian Development Bank Institute"),
        ("BR-BIPARD", "Kosi floods: the first seventy-two hours", 10, [11, 13], .disasterManagement, 2022, .completed, ""),
        ("BR-BIPARD", "Bicycles for girls and the secondary school", 10, [4, 5], .education, 2021, .completed, ""),
        ("BR-BIPARD", "Har Ghar Nal Ka Jal in a flood-prone district", 10, [6], .waterSanitation, 2024, .ongoing, ""),
        ("LBSNAA", "Odisha's cyclone shelters: from Phailin to Fani", 21, [11, 13, 16], .disasterManagement, 2021, .completed, "Asian Development Bank Institute"),
        ("LBSNAA", "Kudumbashree: a mission of neighbourhood groups", 32, [1, 5, 10], .socialWelfare, 2022, .completed, ""),
        ("LBSNAA", "Mohalla clinics: primary care in the neighbourhood", 7, [3], .health, 2023, .completed, ""),
        ("LBSNAA", "Surat after the plague: a city that cleaned itself", 24, [3, 6, 11], .urbanDevelopment, 2021, .completed, ""),
        ("LBSNAA", "Sikkim goes organic", 11, [2, 12, 15], .agriculture, 2022, .completed, "Asian Development Bank Institute"),
        ("LBSNAA", "Indore's waste segregation at source", 23, [11, 12], .urbanDevelopment, 2023, .completed, ""),
        ("LBSNAA", "Telangana's Mission Kakatiya: restoring village tanks", 36, [2, 6, 15], .waterSanitation, 2022, .completed, ""),
        ("LBSNAA", "Tamil Nadu's noon meal: from charity to entitlement", 33, [2, 4], .socialWelfare, 2021, .completed, ""),
        ("LBSNAA", "Solar pumps for farmers in Gujarat", 24, [7, 13], .energy, 2024, .ongoing, "Asian Development Bank Institute"),
        ("LBSNAA", "Meghalaya's community-led landscape management", 17, [6, 13, 15], .environment, 2023, .ongoing, ""),
        ("LBSNAA", "Andhra Pradesh's village secretariats", 28, [16, 17], .governance, 2022, .completed, ""),
        ("LBSNAA", "Assam's tea garden health programme", 18, [3, 8, 10], .health, 2024, .ongoing, ""),
        ("LBSNAA", "Kerala's digital literacy drive", 32, [4, 9], .digitalGovernance, 2021, .completed, ""),
        ("LBSNAA", "Mizoram's bamboo value chain", 15, [8, 9, 12], .agriculture, 2023, .ongoing, ""),
        ("LBSNAA", "Himachal Pradesh's ban on plastic bags", 2, [12, 14, 15], .environment, 2021, .completed, ""),
        ("LBSNAA", "Punjab's stubble: alternatives to burning", 3, [3, 13], .agriculture, 2024, .ongoing, "Asian Development Bank Institute"),
        ("LBSNAA", "Chhattisgarh's public distribution reforms", 22, [1, 2, 16], .publicFinance, 2022, .completed, ""),
        ("LBSNAA", "Maharashtra's Jalyukt Shivar", 27, [6, 13], .waterSanitation, 2023, .completed, ""),
        ("LBSNAA", "Uttar Pradesh's one district, one product", 9, [8, 9], .infrastructure, 2024, .ongoing, ""),
        ("LBSNAA", "Karnataka's Bhoomi: land records online", 29, [1, 16], .digitalGovernance, 2021, .completed, "Asian Development Bank Institute"),
        ("LBSNAA", "Jharkhand's forest rights titles", 20, [1, 10, 15], .governance, 2023, .ongoing, ""),
        ("LBSNAA", "Ladakh's ice stupas", 37, [6, 13], .environment, 2022, .completed, ""),
        ("LBSNAA", "Goa's river pollution and the mining ban", 30, [6, 14], .environment, 2024, .ongoing, ""),
        ("LBSNAA", "Madhya Pradesh's Ladli Laxmi: a cohort of girls grows up", 23, [5, 10], .socialWelfare, 2023, .completed, ""),
    ]

    /// The demo's case studies: each written and sent for review by an editor of its institute (HCM RIPA's is a demo
    /// sign-in; the other institutes' are people of theirs made editors here), and published by the national admin, the
    /// second pair of eyes. One of HCM RIPA's stays a draft, and one waits in review for its editor to publish.
    static func addCases(_ app: Application) async throws {
        let people = try await Users.ids(ofEmails: ["admin@karmayogi.example.org", "editor.ripa@karmayogi.example.org"], on: app.db)
        guard let adminID = people["admin@karmayogi.example.org"], let ripaEditor = people["editor.ripa@karmayogi.example.org"],
              let admin = try await Principal.load(userID: adminID, on: app.db)
        else { return }
        let signIns = Set(try await Users.ids(ofEmails: Self.signIns.map(\.email), on: app.db).values)
        let homes = try await Users.homes(limit: 1_000, on: app.db as! any SQLDatabase).filter { !signIns.contains($0.id) }
        var editors: [String: Principal] = [:]
        for code in Set(cases.map(\.0)) {
            guard let id = try await Organisations.id(ofCode: code, on: app.db), let institute = try await Organisations.find(id, on: app.db) else { continue }
            var editorID = code == "HCM-RIPA" ? ripaEditor : nil
            if editorID == nil, let someone = homes.first(where: { $0.organisation == id })?.id {
                try await Users.record(Users.grant(for: .caseEditor, organisation: institute, stateCode: nil)!, for: someone, by: adminID, on: app.db)
                editorID = someone
            }
            if let editorID, let principal = try await Principal.load(userID: editorID, on: app.db) { editors[code] = principal }
        }
        let competencies = try await Competencies.list(.init(), page: PageRequest(limit: 40), on: app.db).items.map(\.id)
        let now = app.clock.now()
        for (index, entry) in cases.enumerated() {
            let (code, title, state, goals, sector, year, status, coPublisher) = entry
            guard let institute = try await Organisations.id(ofCode: code, on: app.db), let editor = editors[code] else { continue }
            let input = CaseInput(
                instituteId: institute, title: title,
                abstract: "How the work behind “\(title)” came about, who decided what and when, and what it asks of the officers who run it now.",
                body: "The setting, and the people in it.\n\nThe decision the officers faced, with the figures they had.\n\nWhat was done, and what followed.",
                teachingNote: "Open with the decision the district officer faced; ask the class which figures they would want first.\n\nClose with what another State could take from it.",
                authors: ["Faculty of \(code)", "A. Researcher"], stateCode: state, sdgs: goals, sector: sector.rawValue, year: year,
                competencyIds: competencies.isEmpty ? [] : [competencies[index % competencies.count]], language: index % 5 == 4 ? "hi" : "en",
                status: status.rawValue, coPublisher: coPublisher)
            // One of HCM RIPA's cases is written and sent by the national admin, so that its editor has one to publish.
            let author = index == 2 ? admin : editor
            let study = try await CaseStudies.create(input, by: author, geography: .reference, now: now, on: app.db)
            if index == 1 { continue }
            var step = CasePatch()
            step.action = .submit
            _ = try await CaseStudies.change(study.id!, step, by: author, geography: .reference, now: now, on: app.db)
            if index == 2 { continue }
            step.action = .publish
            _ = try await CaseStudies.change(study.id!, step, by: admin, geography: .reference, now: now, on: app.db)
        }
    }
}
