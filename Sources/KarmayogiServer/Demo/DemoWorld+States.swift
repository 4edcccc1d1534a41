import Fluent
import Foundation
import KarmayogiCore
import Vapor

extension DemoWorld {
    /// The Administrative Training Institutes, one per State/UT listed (LGD code, name), the last seven not yet on the
    /// platform: 26 of 33 on it, as the Mission reported in December 2024.
    static let atis: [(state: Int, name: String, code: String)] = [
        (8, "HCM Rajasthan State Institute of Public Administration", "HCM-RIPA"),
        (10, "Bihar Institute of Public Administration and Rural Development", "BR-BIPARD"),
        (23, "RCVP Noronha Academy of Administration and Management", "MP-RCVPNAAM"),
        (27, "Yashwantrao Chavan Academy of Development Administration", "MH-YASHADA"),
        (33, "Anna Institute of Management", "TN-AIM"),
        (29, "Administrative Training Institute, Mysuru", "KA-ATI"),
        (32, "Institute of Management in Government", "KL-IMG"),
        (24, "Sardar Patel Institute of Public Administration", "GJ-SPIPA"),
        (6, "Haryana Institute of Public Administration", "HR-HIPA"),
        (3, "Mahatma Gandhi State Institute of Public Administration", "PB-MGSIPA"),
        (9, "Uttar Pradesh Academy of Administration and Management", "UP-UPAAM"),
        (21, "Gopabandhu Academy of Administration", "OD-GAA"),
        (19, "Administrative Training Institute, Kolkata", "WB-ATI"),
        (18, "Assam Administrative Staff College", "AS-AASC"),
        (5, "Dr. R.S. Tolia Uttarakhand Academy of Administration", "UK-ATI"),
        (2, "Himachal Pradesh Institute of Public Administration", "HP-HIPA"),
        (20, "Shri Krishna Institute of Public Administration", "JH-SKIPA"),
        (22, "Chhattisgarh Academy of Administration", "CG-CAA"),
        (30, "Goa Institute of Public Administration and Rural Development", "GA-GIPARD"),
        (28, "Andhra Pradesh Human Resource Development Institute", "AP-HRDI"),
        (36, "Dr. MCR Human Resource Development Institute of Telangana", "TS-MCRHRDI"),
        (11, "Sikkim Administrative Training Institute", "SK-ATI"),
        (16, "Tripura State Institute of Public Administration and Rural Development", "TR-SIPARD"),
        (1, "Institute of Management, Public Administration and Rural Development", "JK-IMPARD"),
        (17, "Meghalaya Administrative Training Institute", "ML-ATI"),
        (15, "Mizoram Administrative Training Institute", "MZ-ATI"),
        (14, "Manipur Administrative Training Institute", "MN-ATI"),
        (13, "Nagaland Administrative Training Institute", "NL-ATI"),
        (12, "Arunachal Pradesh Administrative Training Institute", "AR-ATI"),
        (34, "Puducherry Administrative Training Institute", "PY-ATI"),
        (7, "Delhi Administrative Training Institute", "DL-ATI"),
        (35, "Andaman and Nicobar Administrative Training Institute", "AN-ATI"),
        (37, "Ladakh Administrative Training Institute", "LA-ATI"),
    ]

    /// MoUs with 29 States/UTs, signed month by month since January 2023 (tripartite), a proposed one with Ladakh; the
    /// 33 ATIs, 26 of them on the platform as training institutes; Rajasthan's plan for the year.
    static func addStates(_ app: Application) async throws {
        let people = try await Users.ids(ofEmails: ["admin@karmayogi.example.org"], on: app.db)
        guard let adminID = people["admin@karmayogi.example.org"], let admin = try await Principal.load(userID: adminID, on: app.db) else { return }
        let now = app.clock.now()
        let today = IndiaDay.of(now)
        let geography = Geography.reference
        let signing = atis.map(\.state).filter { geography.state(code: $0) != nil }.prefix(29)
        for (index, code) in signing.enumerated() {
            let signed = min(IndiaDay.days(year: 2023, month: 1, day: 16) + index * 23, today - 1)
            _ = try await StatePartnerships.record(MoUInput(kind: .tripartite, status: .signed, signedOn: IndiaDay.string(signed), validUntil: IndiaDay.string(signed + 5 * 365),
                                                            documents: [MoUDocument(title: "Signed MoU", url: "https://example.gov.in/mous/\(code).pdf")]),
                                                   for: code, by: admin, now: now, on: app.db)
        }
        if geography.state(code: 37) != nil {
            _ = try await StatePartnerships.record(MoUInput(kind: .tripartite, status: .proposed, signedOn: nil, validUntil: nil, documents: []), for: 37, by: admin, now: now, on: app.db)
        }
        for (index, ati) in atis.enumerated() where geography.state(code: ati.state) != nil {
            var organisation = try await Organisations.id(ofCode: ati.code, on: app.db)
            if organisation == nil, index < 26 {
                let made = Organisation(name: ati.name, code: ati.code, type: .trainingInstitute, parent: nil, stateCode: ati.state, districtCode: nil, sanctionedStrength: 60)
                try await made.create(on: app.db)
                organisation = made.id
            }
            _ = try await StatePartnerships.add(ATIInput(stateCode: ati.state, name: ati.name, organisationId: organisation), by: admin, now: now, on: app.db)
        }
        // Rajasthan's plan: its departments and a few districts.
        let departments = try await Organisations.ofState(8, type: .stateDepartment, on: app.db)
        var targets = departments.map { StatePlanTarget(organisationId: $0.id, onboarded: 40, completions: 120, hours: 600) }
        for (name, people) in [("Jaipur", 2_000), ("Jodhpur", 900), ("Udaipur", 700)] {
            if let district = geography.district(named: name, inState: 8) {
                targets.append(StatePlanTarget(districtCode: district.code, onboarded: people, completions: people * 3, hours: people * 12))
            }
        }
        _ = try await StatePartnerships.setPlan(StatePlanInput(year: KPIPeriod.financialYear(of: today), targets: targets), for: 8, by: admin, now: now, on: app.db)
    }
}
