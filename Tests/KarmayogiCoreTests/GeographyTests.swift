import Testing
@testable import KarmayogiCore

@Suite struct GeographyTests {
    @Test func loadsEveryStateAndDistrict() {
        #expect(geography.states.count == 36)
        #expect(geography.states.filter(\.isUnionTerritory).count == 8)
        #expect(geography.districts.count == 784)
        #expect(geography.state(code: 8)?.name == "Rajasthan")
    }

    @Test func findsStatesAndDistrictsByCodeOrName() {
        #expect(geography.state(named: "rajasthan")?.code == 8)
        #expect(geography.state(named: " 23 ")?.name == "Madhya Pradesh")
        #expect(geography.state(named: "Andaman & Nicobar Islands")?.code == 35)
        #expect(geography.state(named: "Atlantis") == nil)
        let jaipur = geography.districts(inState: 8).first { $0.name == "Jaipur" }
        #expect(jaipur != nil)
        #expect(geography.district(named: "JAIPUR", inState: 8) == jaipur)
        #expect(geography.district(named: "Jaipur", inState: 23) == nil, "a district is looked up within its State")
        #expect(geography.district(named: String(jaipur!.code), inState: 10) == nil)
    }
}
