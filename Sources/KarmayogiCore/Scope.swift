/// Who may see what: a grant covers an organisation's subtree, a State, or (national admin) everything.
/// Organisations are located by their materialised path ("/root-id/child-id/"), so "within a subtree"
/// is a prefix test here and a `LIKE 'prefix%'` in SQL.
public struct Grant: Hashable, Sendable, Codable {
    public enum Target: Hashable, Sendable, Codable {
        case nation
        case organisation(path: String)
        case state(code: Int)
    }

    public var role: Role
    public var target: Target

    public init(role: Role, target: Target) {
        self.role = role
        self.target = target
    }
}

/// Where a resource sits: the organisation it belongs to and the State it is posted or located in.
public struct Placement: Hashable, Sendable {
    public var organisationPath: String
    public var stateCodes: Set<Int>

    public init(organisationPath: String, stateCodes: Set<Int>) {
        self.organisationPath = organisationPath
        self.stateCodes = stateCodes
    }
}

public struct Access: Sendable {
    public var grants: [Grant]

    public init(grants: [Grant]) { self.grants = grants }

    public func grants(_ permission: Permission) -> [Grant] {
        grants.filter { $0.role.permissions.contains(permission) }
    }

    public func allows(_ permission: Permission, on placement: Placement) -> Bool {
        grants(permission).contains { $0.covers(placement) }
    }

    public var isNationalAdmin: Bool { grants.contains { $0.role == .nationalAdmin } }

    /// Whether the principal holds `role` over `placement` (a national admin holds every role everywhere).
    public func holds(_ role: Role, on placement: Placement) -> Bool {
        grants.contains { ($0.role == role || $0.role == .nationalAdmin) && $0.covers(placement) }
    }

    /// The organisation subtrees where the principal holds `role`; nil for a national admin, who holds every role
    /// everywhere.
    public func subtrees(holding role: Role) -> [String]? {
        if isNationalAdmin { return nil }
        return grants.compactMap { grant in
            guard grant.role == role, case .organisation(let path) = grant.target else { return nil }
            return path
        }
    }

    /// The slice of the world a permission reaches: organisation subtrees and States, or everything.
    public func reach(of permission: Permission) -> Reach {
        var reach = Reach()
        for grant in grants(permission) {
            switch grant.target {
            case .nation: reach.everything = true
            case .organisation(let path): reach.organisationPaths.insert(path)
            case .state(let code): reach.stateCodes.insert(code)
            }
        }
        return reach
    }

    /// Whether this principal may hand out `grant`: never beyond its own reach, and national admin only by a national admin.
    public func mayGrant(_ grant: Grant) -> Bool {
        if isNationalAdmin { return true }
        switch grant.target {
        case .nation:
            return false
        case .organisation(let path):
            return grant.role.grantableOnOrganisation
                && grants(.manageUsers).contains { $0.covers(Placement(organisationPath: path, stateCodes: [])) }
        case .state(let code):
            return grant.role.grantableOnState
                && grants(.manageUsers).contains { $0.role == .stateAdmin && $0.target == .state(code: code) }
        }
    }
}

public struct Reach: Hashable, Sendable {
    public var everything = false
    public var organisationPaths: Set<String> = []
    public var stateCodes: Set<Int> = []

    public init() {}

    public var isEmpty: Bool { !everything && organisationPaths.isEmpty && stateCodes.isEmpty }
}

extension Grant {
    public func covers(_ placement: Placement) -> Bool {
        switch target {
        case .nation: true
        case .organisation(let path): placement.organisationPath.hasPrefix(path)
        case .state(let code): placement.stateCodes.contains(code)
        }
    }
}
