import Fluent
import Foundation
import KarmayogiCore
import Vapor

extension DemoWorld {
    /// The pilot's sarpanch who has the endline still to answer.
    static let panchayatSignIn = (email: "sarpanch.vp@karmayogi.example.org", note: "sarpanch of a Viksit Panchayat pilot gram panchayat (endline to answer)")

    /// The Viksit Panchayat pilot: 15 gram panchayats in each of Andhra Pradesh, Assam, Gujarat and Odisha, each with its
    /// sarpanch, a ward member and its secretary. All answered the baseline half a year ago; two in three have answered
    /// the endline, open now.
    static func addPanchayats(_ app: Application) async throws {
        let people = try await Users.ids(ofEmails: ["admin@karmayogi.example.org"], on: app.db)
        guard let adminID = people["admin@karmayogi.example.org"], let admin = try await Principal.load(userID: adminID, on: app.db) else { return }
        let now = app.clock.now(), today = IndiaDay.of(now)
        let hash = try await app.password.async.hash(password)
        let geography = Geography.reference
        var generator = SeededGenerator(seed: 60)
        var panchayats: [UUID] = []
        var respondents: [UUID] = []
        let villages = ["Rampur", "Kothapalli", "Chandpur", "Lakhipur", "Bhimavaram", "Sundarpur", "Gopalpur", "Devgarh", "Nandgaon", "Kalyanpur",
                        "Shivpur", "Hanspur", "Madhavpur", "Raghunathpur", "Bishnupur"]
        for (stateCode, prefix) in [(28, "AP"), (18, "AS"), (24, "GJ"), (21, "OD")] {
            let districts = geography.districts(inState: stateCode)
            guard !districts.isEmpty else { continue }
            for (index, village) in villages.enumerated() {
                let district = districts[index % min(districts.count, 5)]
                let code = "\(prefix)-GP-\(village.uppercased())"
                let panchayat = Organisation(name: "Gram Panchayat \(village), \(district.name)", code: code, type: .panchayat, parent: nil, stateCode: stateCode,
                                             districtCode: district.code, sanctionedStrength: 12)
                try await panchayat.create(on: app.db)
                panchayats.append(panchayat.id!)
                for designation in ["Sarpanch", "Ward Member", "Panchayat Secretary"] {
                    let first = firstNames.randomElement(using: &generator)!, last = surnames.randomElement(using: &generator)!
                    let email = stateCode == 28 && index == 0 && designation == "Sarpanch" ? panchayatSignIn.email
                        : "\(first).\(last).\(respondents.count)".lowercased() + "@\(code.lowercased()).example.org"
                    respondents.append(try await Users.insertActive(name: "\(first) \(last)", email: email, designation: designation, organisation: panchayat,
                                                                    districtCode: nil, language: "hi", passwordHash: hash, on: app.db))
                }
            }
        }
        let pilot = try await Surveys.create(PilotInput(name: "Viksit Panchayat pilot", panchayatIds: panchayats), by: admin, now: now, on: app.db)
        // The baseline ran half a year ago; the endline is open now.
        let then = IndiaDay.start(today - 190)
        let baseline = try await Surveys.open(SurveyInput(pilotId: pilot.id, round: .baseline, title: "Viksit Panchayat baseline self-assessment",
                                                          opensOn: IndiaDay.string(today - 200), closesOn: IndiaDay.string(today - 170)), by: admin, now: then, on: app.db)
        let endline = try await Surveys.open(SurveyInput(pilotId: pilot.id, round: .endline, title: "Viksit Panchayat endline self-assessment",
                                                         opensOn: IndiaDay.string(today - 10), closesOn: IndiaDay.string(today + 20)), by: admin, now: now, on: app.db)
        for (index, person) in respondents.enumerated() {
            guard let principal = try await Principal.load(userID: person, on: app.db),
                  let role = PanchayatRole.of(designation: principal.me.designation) else { continue }
            let keys = Surveys.framework.competencies(of: role).map(\.key)
            let before = Dictionary(uniqueKeysWithValues: keys.map { ($0, Int.random(in: 1...3, using: &generator)) })
            try await Surveys.answer(baseline.id!, SurveyAnswersInput(answers: before), by: principal, now: then, on: app.db)
            guard index % 3 != 0, principal.me.email != panchayatSignIn.email else { continue }
            let after = before.mapValues { min(5, $0 + Int.random(in: 0...2, using: &generator)) }
            try await Surveys.answer(endline.id!, SurveyAnswersInput(answers: after), by: principal, now: now, on: app.db)
        }
    }
}
