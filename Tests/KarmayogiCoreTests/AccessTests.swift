import Testing
@testable import KarmayogiCore

@Suite struct AccessTests {
    let ministry = "/m/"
    let department = "/m/d/"
    let otherMinistry = "/n/"

    @Test func organisationGrantCoversItsSubtreeOnly() {
        let access = Access(grants: [Grant(role: .mdoAdmin, target: .organisation(path: ministry))])
        #expect(access.allows(.manageUsers, on: Placement(organisationPath: department, stateCodes: [])))
        #expect(!access.allows(.manageUsers, on: Placement(organisationPath: otherMinistry, stateCodes: [8])))
    }

    @Test func stateGrantCoversWhatIsPostedThere() {
        let access = Access(grants: [Grant(role: .stateAdmin, target: .state(code: 8))])
        #expect(access.allows(.viewUsers, on: Placement(organisationPath: otherMinistry, stateCodes: [8])))
        #expect(!access.allows(.viewUsers, on: Placement(organisationPath: otherMinistry, stateCodes: [23])))
    }

    @Test func rolesWithoutThePermissionSeeNothing() {
        let access = Access(grants: [Grant(role: .contentCreator, target: .organisation(path: ministry))])
        #expect(!access.allows(.viewUsers, on: Placement(organisationPath: department, stateCodes: [])))
        #expect(access.reach(of: .viewUsers).isEmpty)
    }

    @Test func grantsStayWithinTheGrantersReach() {
        let mdo = Access(grants: [Grant(role: .mdoAdmin, target: .organisation(path: ministry))])
        #expect(mdo.mayGrant(Grant(role: .cbpAdmin, target: .organisation(path: department))))
        #expect(!mdo.mayGrant(Grant(role: .cbpAdmin, target: .organisation(path: otherMinistry))))
        #expect(!mdo.mayGrant(Grant(role: .nationalAdmin, target: .nation)))
        #expect(!mdo.mayGrant(Grant(role: .stateAdmin, target: .state(code: 8))))
        let state = Access(grants: [Grant(role: .stateAdmin, target: .state(code: 8))])
        #expect(state.mayGrant(Grant(role: .stateAdmin, target: .state(code: 8))))
        #expect(!state.mayGrant(Grant(role: .stateAdmin, target: .state(code: 23))))
        #expect(Access(grants: [Grant(role: .nationalAdmin, target: .nation)]).mayGrant(Grant(role: .nationalAdmin, target: .nation)))
    }
}
