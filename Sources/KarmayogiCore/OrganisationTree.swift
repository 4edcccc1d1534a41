/// The shape of the organisation tree: which kind of organisation may sit under which, and where it must be located.
public enum OrganisationType: String, Codable, CaseIterable, Sendable {
    case ministry
    case department
    case organisation
    case stateDepartment = "state_department"
    case ulb
    case panchayat
    case trainingInstitute = "training_institute"
    case courseProvider = "course_provider"

    /// The kinds of parent an organisation of this type may have; `nil` in the set means it may be a root.
    public var allowedParents: Set<OrganisationType?> {
        switch self {
        case .ministry: [nil]
        case .department: [.ministry]
        case .organisation: [.ministry, .department, .stateDepartment, .organisation]
        case .stateDepartment: [nil, .stateDepartment]
        case .ulb, .panchayat: [nil, .stateDepartment]
        case .trainingInstitute, .courseProvider: [nil, .ministry, .department, .organisation, .stateDepartment]
        }
    }

    public var needsState: Bool { [.stateDepartment, .ulb, .panchayat].contains(self) }
    public var needsDistrict: Bool { self == .ulb || self == .panchayat }
}

public struct OrganisationDraft: Sendable {
    public var name: String
    public var code: String
    public var type: OrganisationType
    public var parent: (type: OrganisationType, stateCode: Int?)?
    public var stateCode: Int?
    public var districtCode: Int?
    public var sanctionedStrength: Int?

    public init(name: String, code: String, type: OrganisationType, parent: (type: OrganisationType, stateCode: Int?)?,
                stateCode: Int?, districtCode: Int?, sanctionedStrength: Int?) {
        self.name = name
        self.code = code
        self.type = type
        self.parent = parent
        self.stateCode = stateCode
        self.districtCode = districtCode
        self.sanctionedStrength = sanctionedStrength
    }

    /// Field errors of the draft against the tree's rules and the geography; empty when it may be stored.
    public func problems(in geography: Geography) -> [FieldError] {
        var errors: [FieldError] = []
        if let problem = DisplayName.problem(name.trimmed, maximum: 300) { errors.append(.init("name", problem)) }
        if !OrganisationDraft.isValidCode(code) {
            errors.append(.init("code", "must be 2–40 characters of letters, digits, '-' or '_'"))
        }
        if !type.allowedParents.contains(parent?.type) {
            let allowed = type.allowedParents.map { $0?.rawValue ?? "none" }.sorted().joined(separator: ", ")
            errors.append(.init("parentId", "a \(type.rawValue) may sit under: \(allowed)"))
        }
        if let stateCode {
            if geography.state(code: stateCode) == nil { errors.append(.init("stateCode", "no State/UT has LGD code \(stateCode)")) }
        } else if type.needsState {
            errors.append(.init("stateCode", "is required for a \(type.rawValue)"))
        }
        if let parentState = parent?.stateCode, let stateCode, parentState != stateCode {
            errors.append(.init("stateCode", "must be the parent's State (\(parentState))"))
        }
        if let districtCode {
            if let district = geography.district(code: districtCode) {
                if let stateCode, district.stateCode != stateCode {
                    errors.append(.init("districtCode", "district \(districtCode) is not in State \(stateCode)"))
                }
                if stateCode == nil { errors.append(.init("stateCode", "is required when a district is given")) }
            } else {
                errors.append(.init("districtCode", "no district has LGD code \(districtCode)"))
            }
        } else if type.needsDistrict {
            errors.append(.init("districtCode", "is required for a \(type.rawValue)"))
        }
        if let sanctionedStrength, sanctionedStrength < 0 || sanctionedStrength > 10_000_000 {
            errors.append(.init("sanctionedStrength", "must be between 0 and 10,000,000"))
        }
        return errors
    }

    public static func isValidCode(_ code: String) -> Bool {
        (2...40).contains(code.count) && code.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}

/// Moving an organisation (with everything under it) to another parent, or to the top of the tree.
public enum OrganisationMove {
    /// Why the move cannot be made, if it cannot: under itself or one of its own organisations, or where it already is.
    public static func problem(moving path: String, currentParentPath: String?, to parentPath: String?) -> FieldError? {
        if let parentPath, parentPath.hasPrefix(path) {
            return FieldError("parentId", parentPath == path ? "an organisation cannot sit under itself"
                              : "is one of this organisation's own organisations: moving it there would make a loop")
        }
        if parentPath == currentParentPath { return FieldError("parentId", "the organisation is already there") }
        return nil
    }

    /// The path an organisation (or one under it) has after its subtree moves: the old prefix replaced by the new one.
    public static func path(_ path: String, movingSubtree old: String, to new: String) -> String {
        guard path.hasPrefix(old) else { return path }
        return new + path.dropFirst(old.count)
    }

    /// The new path of the moved organisation itself: its own id under the new parent.
    public static func newPath(of path: String, under parentPath: String?) -> String {
        let own = path.split(separator: "/").last.map(String.init) ?? ""
        return (parentPath ?? "/") + own + "/"
    }
}
