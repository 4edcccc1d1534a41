import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

struct RoleDTO: Content, Hashable {
    var role: Role
    var organisationId: UUID?
    var stateCode: Int?
}

struct UserDTO: Content {
    var id: UUID
    var name: String
    var email: String
    var phone: String?
    var employeeId: String?
    var designation: String?
    var organisationId: UUID
    var organisationName: String
    var stateCode: Int?
    var districtCode: Int?
    var language: String
    var status: User.Status
    var roles: [RoleDTO]
    var createdAt: Date?
    /// After a change of roles: the grants that stayed although not asked for, and why.
    var keptRoles: [KeptRoleDTO]?
}

struct KeptRoleDTO: Content, Equatable {
    var role: Role
    var organisationId: UUID?
    var stateCode: Int?
    var reason: String
}

struct NewUserInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable {
        case name, email, phone, employeeId, designation, stateCode, districtCode, language, roles, password
    }
    var name: String
    var email: String
    var phone: String?
    var employeeId: String?
    var designation: String?
    var stateCode: Int?
    var districtCode: Int?
    var language: String?
    var roles: [Role]?
    var password: String?
}

struct UserPatch: StrictInput {
    enum Fields: String, CodingKey, CaseIterable {
        case name, phone, employeeId, designation, stateCode, districtCode, language, status, roles
    }
    var name: String?
    var phone: String?
    var employeeId: String?
    var designation: String?
    var stateCode: Int?
    var districtCode: Int?
    var language: String?
    var status: User.Status?
    var roles: [Role]?
}

/// The people of the platform as admins see them: created one by one, found, listed and changed,
/// always within the reach of the admin's grants. What is out of reach answers as if it did not exist.
enum Users {
    static func dto(_ user: User, on database: any Database) async throws -> UserDTO {
        try await dtos([user], on: database)[0]
    }

    static func dtos(_ users: [User], on database: any Database) async throws -> [UserDTO] {
        guard !users.isEmpty else { return [] }
        let held = try await Principal.grants(of: users.map { $0.id! }, on: database)
        let organisationIDs = Array(Set(users.map { $0.$organisation.id }))
        let organisations = try await Organisation.query(on: database).filter(\.$id ~~ organisationIDs).all()
        let names = Dictionary(uniqueKeysWithValues: organisations.map { ($0.id!, $0.name) })
        return users.map { dto($0, organisationName: names[$0.$organisation.id] ?? "", held: (held[$0.id!] ?? []).map(\.role)) }
    }

    static func dto(_ user: User, organisationName: String, held: [RoleDTO]) -> UserDTO {
        UserDTO(id: user.id!, name: user.name, email: user.email, phone: user.phone, employeeId: user.employeeId,
                designation: user.designation, organisationId: user.$organisation.id, organisationName: organisationName,
                stateCode: user.stateCode, districtCode: user.districtCode, language: user.language, status: user.status,
                roles: roles(in: user.$organisation.id, held: held), createdAt: user.createdAt)
    }

    /// People as other rooms name them (a comment's author, who recorded a value): name and e-mail by id.
    struct Named: Content {
        var id: UUID
        var name: String
        var email: String
    }

    static func named(_ ids: some Collection<UUID>, on database: any Database) async throws -> [UUID: Named] {
        guard !ids.isEmpty else { return [:] }
        return try await User.query(on: database).filter(\.$id ~~ Set(ids)).all()
            .reduce(into: [UUID: Named]()) { $0[$1.id!] = Named(id: $1.id!, name: $1.name, email: $1.email) }
    }

    /// Each person's organisation.
    static func organisations(of ids: [UUID], on database: any Database) async throws -> [UUID: UUID] {
        var found: [UUID: UUID] = [:]
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            for user in try await User.query(on: database).filter(\.$id ~~ Array(ids[start..<min(start + 1_000, ids.count)])).field(\.$id).field(\.$organisation.$id).all() {
                found[user.id!] = user.$organisation.id
            }
        }
        return found
    }

    /// The organisations with the most people, most first (for benchmarks).
    static func busiestOrganisations(limit: Int, on database: any Database) async throws -> [(id: UUID, people: Int)] {
        struct Row: Decodable { var organisation_id: UUID; var people: Int }
        return try await (database as! any SQLDatabase).select().column("organisation_id")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "people").from(User.schema)
            .groupBy("organisation_id").orderBy("people", .descending).limit(limit).all(decoding: Row.self).map { ($0.organisation_id, $0.people) }
    }

    /// The people of an organisation (not disabled) holding one of `designations`, matched as `Designation.key` does,
    /// each with the designation as written: at most `limit`, in order of id.
    static func holding(_ designations: [String], in organisationID: UUID, except: UUID? = nil, limit: Int,
                        on database: any Database) async throws -> [(id: UUID, designation: String)] {
        guard !designations.isEmpty else { return [] }
        struct Row: Decodable { var id: UUID; var designation: String }
        let query = (database as! any SQLDatabase).select().columns("id", "designation").from(User.schema)
            .where("organisation_id", .equal, SQLBind(organisationID))
            .where("status", .notEqual, SQLBind(User.Status.disabled.rawValue))
            .where(SQLFunction("LOWER", args: SQLIdentifier("designation")), .in, SQLBind.group(Set(designations.map(Designation.key)).sorted()))
        if let except { query.where("id", .notEqual, SQLBind(except)) }
        return try await query.orderBy("id").limit(limit).all(decoding: Row.self).map { ($0.id, $0.designation) }
    }

    /// The ids of the people with these e-mail addresses (as stored: lower case), by address.
    /// The first `limit` active people in order of id, each with their organisation and posting: for generators.
    static func homes(limit: Int, on sql: any SQLDatabase) async throws -> [(id: UUID, organisation: UUID, stateCode: Int?, districtCode: Int?)] {
        let query = sql.select().columns("id", "organisation_id", "state_code", "district_code").from(User.schema)
            .where("status", .equal, SQLBind(User.Status.active.rawValue)).orderBy("id").limit(limit).query
        return try await sql.rows(query) { cells in (try cells.id(0), try cells.id(1), try cells.int(2), try cells.int(3)) }
    }

    /// Some national admin, if there is one.
    /// An active person made without an invitation (the demo world's people); the caller hashes the password once for all.
    static func insertActive(name: String, email: String, designation: String?, organisation: Organisation, districtCode: Int?, language: String,
                             passwordHash: String, on database: any Database) async throws -> UUID {
        let user = User()
        user.$organisation.id = organisation.id!
        user.name = name
        user.email = email
        user.designation = designation
        user.stateCode = organisation.stateCode
        user.districtCode = districtCode ?? organisation.districtCode
        user.language = language
        user.status = .active
        user.passwordHash = passwordHash
        try await user.create(on: database)
        return user.id!
    }

    static func someNationalAdmin(on database: any Database) async throws -> UUID? {
        try await RoleGrantRecord.query(on: database).filter(\.$role == Role.nationalAdmin.rawValue).first()?.$user.id
    }

    static func ids(ofEmails emails: [String], on database: any Database) async throws -> [String: UUID] {
        var ids: [String: UUID] = [:]
        let unique = Array(Set(emails))
        for start in stride(from: 0, to: unique.count, by: 1_000) {
            for user in try await User.query(on: database).filter(\.$email ~~ Array(unique[start..<min(start + 1_000, unique.count)])).field(\.$id).field(\.$email).all() {
                ids[user.email] = user.id!
            }
        }
        return ids
    }

    /// The person with an e-mail address, if they belong to an organisation at or under `path`.
    static func member(email: String, within path: String, on database: any Database) async throws -> Named? {
        guard let user = try await User.query(on: database).filter(\.$email == email).first(),
              let home = try await Organisation.find(user.$organisation.id, on: database), home.path.hasPrefix(path)
        else { return nil }
        return Named(id: user.id!, name: user.name, email: user.email)
    }

    /// Every user is a learner in their own organisation; other roles are the grants they hold.
    static func roles(in organisationID: UUID, held: [RoleDTO]) -> [RoleDTO] {
        [RoleDTO(role: .learner, organisationId: organisationID, stateCode: nil)] + held
    }

    /// A person is placed in their organisation's subtree, and in both their posting's State and their organisation's.
    static func placement(postedIn stateCode: Int?, in organisation: Organisation) -> Placement {
        Placement(organisationPath: organisation.path, stateCodes: Set([stateCode, organisation.stateCode].compactMap { $0 }))
    }

    static func placement(of user: User, in organisation: Organisation) -> Placement {
        placement(postedIn: user.stateCode, in: organisation)
    }

    /// A user the principal may see (themselves, or within the reach of their grants), else 404.
    static func visible(_ id: UUID, to principal: Principal, on database: any Database) async throws -> (User, Organisation) {
        guard let user = try await User.find(id, on: database), let organisation = try await Organisation.find(user.$organisation.id, on: database),
              user.id == principal.userID || principal.access.allows(.viewUsers, on: placement(of: user, in: organisation))
        else { throw Problem.notFound("user") }
        return (user, organisation)
    }

    static func create(_ input: NewUserInput, in organisationID: UUID, by principal: Principal, request: Request) async throws -> User {
        let database = request.db
        let organisation = try await Organisations.visible(organisationID, to: principal, on: database)
        var errors: [FieldError] = []
        let name = input.name.trimmed
        if let problem = DisplayName.problem(name, maximum: 200) { errors.append(.init("name", problem)) }
        let email = Contact.email(input.email)
        if email == nil { errors.append(.init("email", "is not a valid e-mail address")) }
        var phone: String?
        if let text = input.phone, !text.trimmed.isEmpty {
            phone = Contact.mobile(text)
            if phone == nil { errors.append(.init("phone", "is not a 10-digit Indian mobile number")) }
        }
        if let employeeId = input.employeeId, employeeId.count > 64 { errors.append(.init("employeeId", "must be at most 64 characters")) }
        if let designation = input.designation, designation.count > 200 { errors.append(.init("designation", "must be at most 200 characters")) }
        let stateCode = input.stateCode ?? organisation.stateCode
        let districtCode = input.districtCode ?? (input.stateCode == nil ? organisation.districtCode : nil)
        errors += placementProblems(stateCode: stateCode, districtCode: districtCode)
        let language = input.language.map { Language.named($0)?.code } ?? "en"
        if language == nil { errors.append(.init("language", "is not one of the platform's languages (ISO 639 code)")) }
        if let password = input.password, let problem = PasswordPolicy.platform.problem(with: password) { errors.append(.init("password", problem)) }
        let granted = Self.grants(for: input.roles ?? [], organisation: organisation, stateCode: stateCode)
        if case .failure(let error) = granted { errors.append(error) }
        let grants = (try? granted.get()) ?? []
        if !errors.isEmpty { throw Problem.invalid(errors) }

        guard principal.access.allows(.manageUsers, on: placement(postedIn: stateCode, in: organisation)) else {
            throw principal.access.allows(.viewOrganisations, on: organisation.placement) || principal.organisationPath.hasPrefix(organisation.path)
                ? Problem.forbidden : Problem.notFound("organisation")
        }
        try ensure(principal, mayGrant: grants)
        if try await User.query(on: database).filter(\.$email == email!).count() > 0 {
            throw Problem(.conflict, "An account with this e-mail address already exists.", errors: [.init("email", "is already registered")])
        }
        if let employeeId = input.employeeId?.trimmed.nilIfEmpty {
            try await ensureEmployeeIdIsFree(employeeId, in: organisationID, except: nil, on: database)
        }

        let user = User()
        user.id = UUID()
        user.$organisation.id = organisationID
        user.name = name
        user.email = email!
        user.phone = phone
        user.employeeId = input.employeeId?.trimmed.nilIfEmpty
        user.designation = input.designation.map(Designation.normalised)?.nilIfEmpty
        user.stateCode = stateCode
        user.districtCode = districtCode
        user.language = language!
        let activationToken = input.password == nil ? SecretToken.make() : nil
        if let password = input.password {
            user.passwordHash = try await request.password.async.hash(password)
            user.status = .active
        } else if let activationToken {
            user.status = .pending
            user.activationTokenHash = SecretToken.hash(activationToken)
            user.activationExpiresAt = Date().addingTimeInterval(request.application.settings.activationLifetime)
        }
        try await database.transaction { database in
            try await user.create(on: database)
            for grant in grants { try await record(grant, for: user.id!, by: principal.userID, on: database) }
            if let activationToken {
                try await ActivationMessage(user: user, organisationName: organisation.name, token: activationToken,
                                            publicURL: request.application.settings.publicURL).record().create(on: database)
            }
            var tally = RollupTally()
            tally.add(RollupCounters(registrations: 1), place: Rollups.place(of: user, in: organisation), day: IndiaDay.of(user.createdAt ?? Date()))
            try await Rollups.write(tally, on: database)
        }
        return user
    }

    /// Changes a person; with `roles`, only the grants the admin could give are added or removed (see `RoleChange`).
    static func update(_ id: UUID, with patch: UserPatch, by principal: Principal, on database: any Database) async throws -> (User, RoleChange?) {
        let (user, organisation) = try await visible(id, to: principal, on: database)
        let onSelf = id == principal.userID
        let isAdmin = principal.access.allows(.manageUsers, on: placement(of: user, in: organisation))
        if !isAdmin {
            let adminOnly = [patch.name == nil ? nil : "name", patch.employeeId == nil ? nil : "employeeId", patch.designation == nil ? nil : "designation",
                             patch.stateCode == nil ? nil : "stateCode", patch.districtCode == nil ? nil : "districtCode",
                             patch.status == nil ? nil : "status", patch.roles == nil ? nil : "roles"].compactMap { $0 }
            if !adminOnly.isEmpty {
                throw Problem(.forbidden, "Only your organisation's admin may change these.", errors: adminOnly.map { FieldError($0, "is changed by an admin") })
            }
        }
        var errors: [FieldError] = []
        if let name = patch.name?.trimmed {
            if let problem = DisplayName.problem(name, maximum: 200) { errors.append(.init("name", problem)) } else { user.name = name }
        }
        if let text = patch.phone {
            if text.trimmed.isEmpty { user.phone = nil } else if let phone = Contact.mobile(text) { user.phone = phone } else {
                errors.append(.init("phone", "is not a 10-digit Indian mobile number"))
            }
        }
        if let employeeId = patch.employeeId { user.employeeId = employeeId.trimmed.nilIfEmpty }
        if let designation = patch.designation { user.designation = Designation.normalised(designation).nilIfEmpty }
        if patch.stateCode != nil || patch.districtCode != nil {
            let stateCode = patch.stateCode ?? user.stateCode
            let districtCode = patch.districtCode ?? (patch.stateCode == nil ? user.districtCode : nil)
            errors += placementProblems(stateCode: stateCode, districtCode: districtCode)
            user.stateCode = stateCode
            user.districtCode = districtCode
        }
        if let text = patch.language {
            if let language = Language.named(text) { user.language = language.code } else { errors.append(.init("language", "is not one of the platform's languages")) }
        }
        let held = try await Principal.grants(of: [id], on: database)[id, default: []].compactMap(\.grant)
        if let status = patch.status {
            if status == .disabled, user.status != .disabled, let refusal = RoleChange.mayDisable(holding: held, by: principal.access, onSelf: onSelf) {
                throw Problem(.forbidden, "This account may not be disabled by you: \(refusal.reason).", errors: [refusal])
            }
            if status == .pending { errors.append(.init("status", "may be set to active or disabled")) }
            else if status == .active, user.passwordHash == nil { errors.append(.init("status", "the person must activate their account first")) }
            else { user.status = status }
        }
        let granted = patch.roles.map { grants(for: $0, organisation: organisation, stateCode: user.stateCode) }
        if case .failure(let error)? = granted { errors.append(error) }
        let requested = try? granted?.get()
        if !errors.isEmpty { throw Problem.invalid(errors) }
        let change: RoleChange?
        do {
            change = try requested.map { requested throws(RoleChange.Refusal) in
                try RoleChange.plan(held: held, requested: requested, through: organisation.path, by: principal.access, onSelf: onSelf)
            }
        } catch .beyondReach(let error) {
            throw Problem(.forbidden, "You may not grant that role there.", errors: [error])
        } catch .invalid(let error) {
            throw Problem.invalid([error])
        }
        if patch.employeeId != nil, let employeeId = user.employeeId {
            try await ensureEmployeeIdIsFree(employeeId, in: organisation.id!, except: id, on: database)
        }
        try await database.transaction { database in
            try await user.save(on: database)
            if let change {
                for grant in change.removed { try await revoke(grant, from: id, on: database) }
                for grant in change.added { try await record(grant, for: id, by: principal.userID, on: database) }
            }
        }
        if user.status == .disabled {
            try await (database as! any SQLDatabase).update(RefreshToken.schema).set("revoked_at", to: SQLBind(Date()))
                .where("user_id", .equal, SQLBind(id)).where("revoked_at", .is, SQLLiteral.null).run()
        }
        return (user, change)
    }

    private static func ensure(_ principal: Principal, mayGrant grants: [Grant]) throws {
        for grant in grants where !principal.access.mayGrant(grant) {
            throw Problem(.forbidden, "You may not grant \(grant.role.rawValue) there.", errors: [.init("roles", "\(grant.role.rawValue) is beyond your own reach")])
        }
    }

    private static func ensureEmployeeIdIsFree(_ employeeId: String, in organisationID: UUID, except userID: UUID?, on database: any Database) async throws {
        let holder = try await User.query(on: database).filter(\.$organisation.$id == organisationID).filter(\.$employeeId == employeeId).first()
        if let holder, holder.id != userID {
            throw Problem(.conflict, "Someone in this organisation already has this employee id.", errors: [.init("employeeId", "is taken in this organisation")])
        }
    }

    /// Where a role granted through an organisation lands: a State admin on the person's State (`nil` when neither
    /// the person nor the organisation has one), a national admin on the nation, anything else on the organisation's subtree.
    static func grant(for role: Role, organisation: Organisation, stateCode: Int?) -> Grant? {
        switch role {
        case .nationalAdmin: Grant(role: role, target: .nation)
        case .stateAdmin: (stateCode ?? organisation.stateCode).map { Grant(role: role, target: .state(code: $0)) }
        default: Grant(role: role, target: .organisation(path: organisation.path))
        }
    }

    /// The grants the roles mean, or the field error that says which cannot be given.
    static func grants(for roles: [Role], organisation: Organisation, stateCode: Int?) -> Result<[Grant], FieldError> {
        var grants: [Grant] = []
        for role in roles where role != .learner {
            if role.onlyOnTrainingInstitutes, organisation.organisationType != .trainingInstitute {
                return .failure(FieldError("roles", "\(role.rawValue) is held on a training institute; \(organisation.name) is not one"))
            }
            guard let grant = grant(for: role, organisation: organisation, stateCode: stateCode) else {
                return .failure(FieldError("roles", "\(role.rawValue) needs a State: give the person a stateCode (\(organisation.name) is in none)"))
            }
            grants.append(grant)
        }
        return .success(grants)
    }

    static func record(_ grant: Grant, for userID: UUID, by granter: UUID?, on database: any Database) async throws {
        let (organisationID, stateCode) = columns(of: grant)
        try await RoleGrantRecord(userID: userID, role: grant.role, organisationID: organisationID, stateCode: stateCode, grantedBy: granter)
            .create(on: database)
    }

    static func revoke(_ grant: Grant, from userID: UUID, on database: any Database) async throws {
        let (organisationID, stateCode) = columns(of: grant)
        // One by one, so the change is announced (`PeopleChangeMiddleware`).
        for record in try await RoleGrantRecord.query(on: database).filter(\.$user.$id == userID).filter(\.$role == grant.role.rawValue)
            .filter(\.$organisation.$id == organisationID).filter(\.$stateCode == stateCode).all() {
            try await record.delete(on: database)
        }
    }

    /// Where a grant is kept: its organisation (the last id of the path), or its State, or neither for the nation.
    static func columns(of grant: Grant) -> (organisationID: UUID?, stateCode: Int?) {
        switch grant.target {
        case .nation: (nil, nil)
        case .state(let code): (nil, code)
        case .organisation(let path): (path.split(separator: "/").last.flatMap { UUIDText.parse(String($0)) }, nil)
        }
    }

    static func placementProblems(stateCode: Int?, districtCode: Int?) -> [FieldError] {
        var errors: [FieldError] = []
        if let stateCode, Geography.reference.state(code: stateCode) == nil { errors.append(.init("stateCode", "no State/UT has LGD code \(stateCode)")) }
        if let districtCode {
            if let district = Geography.reference.district(code: districtCode) {
                if district.stateCode != stateCode { errors.append(.init("districtCode", "district \(districtCode) is not in State \(stateCode.map(String.init) ?? "(none)")")) }
            } else {
                errors.append(.init("districtCode", "no district has LGD code \(districtCode)"))
            }
        }
        return errors
    }

    struct ListFilter {
        var query: String?
        var includeSubtree = false
        var designation: String?
        var status: User.Status?
        var stateCode: Int?
        var districtCode: Int?
        var role: Role?
    }

    /// The people of an organisation the principal may see: all of them where the organisation is
    /// within reach, those posted in the principal's States otherwise.
    static func list(in organisationID: UUID, filter: ListFilter, page: PageRequest, for principal: Principal,
                     on database: any Database) async throws -> Page<UserDTO> {
        let reach = principal.access.reach(of: .viewUsers)
        let organisation: Organisation
        if let visible = try? await Organisations.visible(organisationID, to: principal, on: database) {
            organisation = visible
        } else if !reach.stateCodes.isEmpty, let found = try await Organisation.find(organisationID, on: database) {
            // A State's admin may look into any organisation for the people posted in their State.
            organisation = found
        } else {
            throw Problem.notFound("organisation")
        }
        let query = User.query(on: database)
        if filter.includeSubtree {
            query.join(Organisation.self, on: \User.$organisation.$id == \Organisation.$id).filter(Organisation.self, \.$path =~ organisation.path)
        } else {
            query.filter(\.$organisation.$id == organisationID)
        }
        if !principal.access.allows(.viewUsers, on: organisation.placement) {
            guard !reach.stateCodes.isEmpty else { throw reach.isEmpty ? Problem.forbidden : Problem.notFound("organisation") }
            query.filter(\.$stateCode ~~ Array(reach.stateCodes))
        }
        if let text = filter.query?.trimmed, !text.isEmpty {
            let pattern = "%\(text.lowercased())%"
            let like = database.caseInsensitiveLike
            query.group(.or) { $0.filter(\.$name, like, pattern).filter(\.$email, like, pattern).filter(\.$employeeId, like, pattern) }
        }
        if let designation = filter.designation.map(Designation.normalised)?.nilIfEmpty {
            // The designation in any case (a LIKE without wildcards; one that holds them is matched exactly).
            if designation.contains(where: { $0 == "%" || $0 == "_" }) { query.filter(\.$designation == designation) }
            else { query.filter(\.$designation, database.caseInsensitiveLike, designation) }
        }
        if let status = filter.status { query.filter(\.$status == status) }
        if let stateCode = filter.stateCode { query.filter(\.$stateCode == stateCode) }
        if let districtCode = filter.districtCode { query.filter(\.$districtCode == districtCode) }
        if let role = filter.role, role != .learner {
            let holders = try await RoleGrantRecord.query(on: database).filter(\.$role == role.rawValue).all(\.$user.$id)
            query.filter(\.$id ~~ Array(Set(holders)))
        }
        let (rows, next, previous) = page.sliceBothWays(try await query.page(by: \.$name, page).all(), key: \.name, id: { $0.id! })
        return Page(items: try await dtos(rows, on: database), nextCursor: next, previousCursor: previous)
    }
}

extension Users.ListFilter {
    /// `designation=`, `status=`, `state=`, `district=` and `role=` from a query string, each checked.
    mutating func read(_ query: URLQueryContainer) throws {
        func text(_ name: String) -> String? { (try? query.get(String.self, at: name))?.trimmed.nilIfEmpty }
        if let value = text("designation") {
            guard value.count <= 200 else { throw Problem.invalid("designation", "must be at most 200 characters") }
            designation = value
        }
        if let value = text("status") {
            guard let status = User.Status(rawValue: value) else { throw Problem.invalid("status", "must be pending, active or disabled") }
            self.status = status
        }
        if let value = text("state") {
            guard let code = Int(value), Geography.reference.state(code: code) != nil else { throw Problem.invalid("state", "no State/UT has LGD code \(value)") }
            stateCode = code
        }
        if let value = text("district") {
            guard let code = Int(value), let district = Geography.reference.district(code: code) else { throw Problem.invalid("district", "no district has LGD code \(value)") }
            if let stateCode, district.stateCode != stateCode { throw Problem.invalid("district", "district \(code) is not in State \(stateCode)") }
            districtCode = code
        }
        if let value = text("role") {
            guard let role = Role(rawValue: value) else { throw Problem.invalid("role", "is not a role of the platform") }
            self.role = role
        }
    }
}

/// The activation link an onboarded person is sent, as it waits in the outbox.
struct ActivationMessage {
    var user: User
    var organisationName: String
    var token: String
    var publicURL: String

    var link: String { "\(publicURL)/activate?token=\(token)" }

    func record() -> OutboxMessage {
        OutboxMessage("activation", to: user, subject: "Activate your Karmayogi account",
                      body: "Namaste \(user.name),\n\n\(organisationName) has registered you on Karmayogi. Choose your password here: \(link)\n\nThe link works once and for 14 days.")
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

struct UserController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("orgs", ":id", "users", use: Self.create)
        routes.get("orgs", ":id", "users", use: Self.list)
        routes.get("users", ":id", use: Self.read)
        routes.patch("users", ":id", use: Self.update)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let input = try request.decodeStrict(NewUserInput.self)
        let user = try await Users.create(input, in: try request.id(of: "organisation"), by: try request.principal(), request: request)
        return try await Users.dto(user, on: request.db).encodeResponse(status: .created, for: request)
    }

    @Sendable static func list(_ request: Request) async throws -> Page<UserDTO> {
        var filter = Users.ListFilter()
        filter.query = try? request.query.get(String.self, at: "q")
        if let query = filter.query, query.count > 200 { throw Problem.invalid("q", "must be at most 200 characters") }
        if let text = try? request.query.get(String.self, at: "includeSubtree") {
            guard let value = Bool(text) else { throw Problem.invalid("includeSubtree", "must be true or false") }
            filter.includeSubtree = value
        }
        try filter.read(request.query)
        return try await Users.list(in: try request.id(of: "organisation"), filter: filter, page: try PageRequest(request, bothWays: true),
                                    for: try request.principal(), on: request.db)
    }

    @Sendable static func read(_ request: Request) async throws -> UserDTO {
        let (user, _) = try await Users.visible(try request.id(of: "user"), to: try request.principal(), on: request.db)
        return try await Users.dto(user, on: request.db)
    }

    @Sendable static func update(_ request: Request) async throws -> UserDTO {
        let patch = try request.decodeStrict(UserPatch.self)
        let (user, change) = try await Users.update(try request.id(of: "user"), with: patch, by: try request.principal(), on: request.db)
        var dto = try await Users.dto(user, on: request.db)
        dto.keptRoles = change?.kept.map { kept in
            let (organisationID, stateCode) = Users.columns(of: kept.grant)
            return KeptRoleDTO(role: kept.grant.role, organisationId: organisationID, stateCode: stateCode, reason: kept.reason)
        }
        return dto
    }
}
