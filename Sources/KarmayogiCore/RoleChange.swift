/// What a change of someone's roles does when an admin sends the roles they should hold through an organisation:
/// the admin may add and remove only grants they could give; every other grant stays, and is reported with the reason.
public struct RoleChange: Equatable, Sendable {
    public struct Kept: Equatable, Sendable {
        public var grant: Grant
        public var reason: String
    }

    /// Why a change is refused: asking for a grant beyond one's reach is forbidden; the rest is an invalid request.
    public enum Refusal: Error, Equatable {
        case beyondReach(FieldError)
        case invalid(FieldError)
    }

    public var added: [Grant]
    public var removed: [Grant]
    public var kept: [Kept]

    /// The roles that count as administering people or plans: one must keep at least one of one's own.
    public static let adminRoles: Set<Role> = [.nationalAdmin, .stateAdmin, .mdoAdmin, .cbpAdmin]

    /// - Parameters:
    ///   - held: the person's grants now.
    ///   - requested: the grants the admin asks for, each already placed (on the organisation, its State, or the nation).
    ///   - organisationPath: the organisation the change is made through; grants on other organisations are not touched.
    ///   - access: the admin's.
    ///   - onSelf: whether the admin is changing their own roles.
    public static func plan(held: [Grant], requested: [Grant], through organisationPath: String, by access: Access,
                            onSelf: Bool) throws(Refusal) -> RoleChange {
        if let beyond = requested.first(where: { !access.mayGrant($0) }) {
            throw .beyondReach(FieldError("roles", "\(beyond.role.rawValue) is beyond your own reach"))
        }
        var change = RoleChange(added: [], removed: [], kept: [])
        for grant in held {
            if case .organisation(let path) = grant.target, path != organisationPath {
                change.kept.append(Kept(grant: grant, reason: "granted on another organisation; change it there"))
            } else if !access.mayGrant(grant) {
                change.kept.append(Kept(grant: grant, reason: "beyond your reach: only an admin whose roles reach it may change it"))
            } else if !requested.contains(grant) {
                change.removed.append(grant)
            }
        }
        var seen = Set(held)
        for grant in requested where seen.insert(grant).inserted { change.added.append(grant) }
        if onSelf, held.contains(where: { adminRoles.contains($0.role) }) {
            let after = held.filter { !change.removed.contains($0) } + change.added
            if !after.contains(where: { adminRoles.contains($0.role) }) {
                throw .invalid(FieldError("roles", "you may not remove your own last admin role; ask another admin"))
            }
        }
        return change
    }

    /// Whether an admin may disable a person holding `held`: not themselves, and not someone whose grants reach beyond theirs.
    public static func mayDisable(holding held: [Grant], by access: Access, onSelf: Bool) -> FieldError? {
        if onSelf { return FieldError("status", "you may not disable your own account; ask another admin") }
        if let beyond = held.first(where: { !access.mayGrant($0) }) {
            return FieldError("status", "this person holds \(beyond.role.rawValue) beyond your reach; only an admin whose roles reach it may disable them")
        }
        return nil
    }
}
