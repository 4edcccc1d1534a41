import Fluent
import KarmayogiCore
import Vapor

/// The `karmayogi` executable: `serve` (the default), `create-admin`, and Vapor's own commands.
public enum Karmayogi {
    public static let version = "0.1.0"

    public static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.contains("--version") {
            print("karmayogi \(version)")
            return
        }
        // Help needs the commands, not the database: nothing is opened or created for it.
        let onlyHelp = arguments.contains("--help") || arguments.contains("-h")
        var environment = try Environment.detect()
        try LoggingSystem.bootstrap(from: &environment)
        let app = try await Application.make(environment)
        do {
            app.asyncCommands.use(CreateAdminCommand(), as: "create-admin")
            app.asyncCommands.use(GenerateCommand(), as: "generate")
            app.asyncCommands.use(RollupsCommand(), as: "rollups")
            app.asyncCommands.use(ProgrammesCommand(), as: ProgrammesCommand.name)
            app.asyncCommands.use(InsightsBenchmarkCommand(), as: "bench-insights")
            app.asyncCommands.use(GuidanceBenchmarkCommand(), as: "bench-guidance")
            app.asyncCommands.use(AssistantBenchmarkCommand(), as: "bench-assistant")
            if !onlyHelp { try await configure(app) }
            try await app.execute()
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

/// `karmayogi create-admin --email E --password P`: a national admin, for a new installation, scripts and recovery.
struct CreateAdminCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "the admin's e-mail address") var email: String?
        @Option(name: "password", help: "at least 12 characters, not a common password") var password: String?
        @Option(name: "name", help: "the admin's name (default: National Admin)") var name: String?
    }

    var help: String { "Creates a national admin, or restores one: an existing account gets the role and the new password." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let text = signature.email, let email = Contact.email(text) else {
            throw Problem(.badRequest, "--email: give a valid e-mail address")
        }
        guard let password = signature.password else { throw Problem(.badRequest, "--password: give the admin's password") }
        if let problem = PasswordPolicy.platform.problem(with: password) { throw Problem(.badRequest, "--password \(problem)") }
        let app = context.application
        let hash = try await app.password.async.hash(password)
        let user = try await NationalAdmins.ensure(email: email, passwordHash: hash, name: signature.name ?? "National Admin", on: app.db)
        context.console.print("National admin \(user.email) is ready; sign in at \(app.settings.publicURL)/login")
    }
}

enum NationalAdmins {
    /// The operator of the platform, home of its national admins.
    static func platformOrganisation(on database: any Database) async throws -> Organisation {
        if let existing = try await Organisation.query(on: database).filter(\.$code == "KARMAYOGI-BHARAT").first() { return existing }
        let organisation = Organisation(name: "Karmayogi Bharat", code: "KARMAYOGI-BHARAT", type: .courseProvider, parent: nil,
                                        stateCode: nil, districtCode: nil, sanctionedStrength: nil)
        try await organisation.create(on: database)
        return organisation
    }

    static func ensure(email: String, passwordHash hash: String, name: String, on database: any Database) async throws -> User {
        try await database.transaction { database in
            let user: User
            if let existing = try await User.query(on: database).filter(\.$email == email).first() {
                user = existing
            } else {
                user = User()
                user.$organisation.id = try await platformOrganisation(on: database).id!
                user.name = name
                user.email = email
                user.language = "en"
            }
            user.passwordHash = hash
            user.status = .active
            user.activationTokenHash = nil
            let new = user.id == nil
            try await user.save(on: database)
            if new {
                var tally = RollupTally()
                tally.add(RollupCounters(registrations: 1), place: Rollups.place(of: user, in: try await platformOrganisation(on: database)),
                          day: IndiaDay.of(user.createdAt ?? Date()))
                try await Rollups.write(tally, on: database)
            }
            let hasRole = try await RoleGrantRecord.query(on: database).filter(\.$user.$id == user.id!)
                .filter(\.$role == Role.nationalAdmin.rawValue).count() > 0
            if !hasRole {
                try await Users.record(Grant(role: .nationalAdmin, target: .nation), for: user.id!, by: nil, on: database)
            }
            return user
        }
    }
}
