import Testing
@testable import KarmayogiCore

@Suite struct OnboardingSheetTests {
    let defaults = OnboardingSheet.Defaults(stateCode: 8, districtCode: nil)

    func sheet(_ text: String) throws -> OnboardingSheet {
        try OnboardingSheet(bytes: Array(text.utf8), geography: geography, defaults: defaults)
    }

    @Test func acceptsValidRowsAndNamesEachBadCell() throws {
        let sheet = try sheet("""
            name,email,phone,employee_id,designation,state,district,language
            Asha Verma,Asha@Example.gov.in,+91 98290 12345,E1,Section Officer,Rajasthan,Jaipur,hi
            ,no-at-sign,12345,E2,,Atlantis,,xx
            Ravi,ravi@example.gov.in,,E3,,Madhya Pradesh,Jaipur,
            Dup,asha@example.gov.in,,E4,,,,
            Too,few
            =cmd|' /C calc'!A0,formula@example.gov.in,,,,,,
            """)
        #expect(sheet.total == 6)
        #expect(sheet.rows.map(\.line) == [2, 7])
        let asha = sheet.rows[0]
        #expect(asha.email == "asha@example.gov.in")
        #expect(asha.phone == "9829012345")
        #expect(asha.stateCode == 8 && asha.districtCode != nil && asha.language == "hi")
        #expect(sheet.rows[1].name == "=cmd|' /C calc'!A0", "formula-like text is kept as given")
        #expect(sheet.rows[1].stateCode == 8, "an empty State falls back to the organisation's")
        let byLine = Dictionary(grouping: sheet.errors, by: \.line)
        #expect(Set(byLine[3]!.compactMap(\.column)) == ["name", "email", "phone", "state", "language"])
        #expect(byLine[4]!.map(\.column) == ["district"])
        #expect(byLine[5]!.first!.reason.contains("duplicate in file"))
        #expect(byLine[6]!.first!.column == nil && byLine[6]!.first!.reason.contains("columns"))
    }

    @Test func headerMustNameKnownColumns() {
        #expect(throws: CSVError.self) { try sheet("name,emial\nA,a@b.in") }
        #expect(throws: CSVError.self) { try sheet("email,phone\na@b.in,9829012345") }
        #expect(throws: CSVError.self) { try sheet("") }
    }

    @Test func columnOrderIsFree() throws {
        let sheet = try sheet("\u{FEFF}Email,Name\nx@y.gov.in,X")
        #expect(sheet.rows.first?.name == "X")
    }
}
