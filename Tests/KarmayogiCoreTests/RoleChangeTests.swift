import Testing
@testable import KarmayogiCore

@Suite struct RoleChangeTests {
    let ministry = "/m/"
    var mdoAdmin: Access { Access(grants: [Grant(role: .mdoAdmin, target: .organisation(path: ministry))]) }

    @Test func addsAndRemovesOnlyWhatTheAdminCouldGive() throws {
        let stateAdmin = Grant(role: .stateAdmin, target: .state(code: 8))
        let creator = Grant(role: .contentCreator, target: .organisation(path: ministry))
        let planner = Grant(role: .cbpAdmin, target: .organisation(path: ministry))
        let change = try RoleChange.plan(held: [stateAdmin, creator], requested: [planner], through: ministry, by: mdoAdmin, onSelf: false)
        #expect(change.added == [planner])
        #expect(change.removed == [creator])
        #expect(change.kept.map(\.grant) == [stateAdmin])
    }

    @Test func leavesGrantsOnOtherOrganisationsAlone() throws {
        let elsewhere = Grant(role: .contentCreator, target: .organisation(path: "/m/d/"))
        let change = try RoleChange.plan(held: [elsewhere], requested: [], through: ministry, by: mdoAdmin, onSelf: false)
        #expect(change.removed.isEmpty)
        #expect(change.kept.first?.reason.contains("another organisation") == true)
    }

    @Test func refusesGrantsBeyondReachAndTheLastAdminRoleOfOneself() {
        #expect(throws: RoleChange.Refusal.self) {
            try RoleChange.plan(held: [], requested: [Grant(role: .nationalAdmin, target: .nation)], through: ministry, by: mdoAdmin, onSelf: false)
        }
        let own = Grant(role: .mdoAdmin, target: .organisation(path: ministry))
        #expect(throws: RoleChange.Refusal.invalid(FieldError("roles", "you may not remove your own last admin role; ask another admin"))) {
            try RoleChange.plan(held: [own], requested: [], through: ministry, by: mdoAdmin, onSelf: true)
        }
        #expect((try? RoleChange.plan(held: [own], requested: [], through: ministry, by: mdoAdmin, onSelf: false))?.removed == [own])
    }

    @Test func disablingNeedsReachOverEveryGrantAndIsNeverOfOneself() {
        #expect(RoleChange.mayDisable(holding: [Grant(role: .contentCreator, target: .organisation(path: ministry))], by: mdoAdmin, onSelf: false) == nil)
        #expect(RoleChange.mayDisable(holding: [Grant(role: .stateAdmin, target: .state(code: 8))], by: mdoAdmin, onSelf: false)?.field == "status")
        #expect(RoleChange.mayDisable(holding: [], by: mdoAdmin, onSelf: true)?.field == "status")
    }
}
