import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// One action on many chosen people, answered person by person: put them in a plan, enrol them in a course, or
/// deactivate them. A wrong request (no plan, no such course, no reason) is refused whole and changes nothing.
enum PeopleActions {
    typealias Outcome = (name: String, id: UUID, text: String, tone: UI.Tone)

    static func apply(_ action: String, to ids: [UUID], planID: String?, course: String?, reason: String?, in organisation: Organisation,
                      by principal: Principal, request: Request) async throws -> [Outcome] {
        let t = request.catalogue
        let database = request.db
        // Everyone chosen must be within the admin's reach; anyone else is named as not found, and left alone.
        var people: [(User, Organisation)] = []
        var outcomes: [Outcome] = []
        for id in ids {
            if let found = try? await Users.manageable(id, by: principal, on: database) { people.append(found) } else {
                outcomes.append(("—", id, t("people.outcome.notFound"), .danger))
            }
        }
        switch action {
        case "enrol":
            let courseID = try await findCourse(course ?? "", request: request)
            for (user, _) in people {
                let created = try await Enrolments.enrol(courseID, user: user.id!, organisation: user.$organisation.id, by: principal, clock: request.application.clock, on: database).created
                outcomes.append((user.name, user.id!, t(created ? "people.outcome.enrolled" : "people.outcome.alreadyEnrolled"), created ? .success : .neutral))
            }
        case "plan":
            guard let text = planID, let id = UUIDText.parse(text) else { throw Problem.invalid("planId", t("people.bulkNoPlan")) }
            let (plan, planOrganisation) = try await Plans.visible(id, to: principal, on: database)
            guard case .users(let named) = plan.assignment.value else {
                throw Problem(.conflict, t("people.bulkPlanNotNamed"), errors: [.init("planId", "is assigned by designation or to all staff, not to named people")])
            }
            var adding: [UUID] = []
            for (user, organisationOfUser) in people {
                if named.contains(user.id!) {
                    outcomes.append((user.name, user.id!, t("people.outcome.alreadyInPlan"), .neutral))
                } else if !organisationOfUser.path.hasPrefix(planOrganisation.path) {
                    outcomes.append((user.name, user.id!, t("people.outcome.outsidePlan", ["organisation": planOrganisation.name]), .danger))
                } else {
                    adding.append(user.id!)
                    outcomes.append((user.name, user.id!, t("people.outcome.addedToPlan", ["plan": plan.name]), .success))
                }
            }
            if !adding.isEmpty {
                var input = PlanInput()
                input.assignment = .init(userIds: named + adding)
                _ = try await Plans.update(id, with: input, by: principal, on: database)
            }
        case "deactivate":
            let why = (reason ?? "").trimmed
            guard !why.isEmpty else { throw Problem.invalid("reason", t("people.reasonNeeded")) }
            for (user, _) in people {
                do {
                    _ = try await Users.changeStatus(user.id!, to: .disabled, reason: why, by: principal, on: database)
                    outcomes.append((user.name, user.id!, t("people.outcome.deactivated"), .success))
                } catch let problem as Problem {
                    let text = user.status == .disabled ? t("people.outcome.alreadyDeactivated") : Layout.message(problem, t) + " " + problem.errors.map(\.reason).joined(separator: "; ")
                    outcomes.append((user.name, user.id!, text, user.status == .disabled ? .neutral : .danger))
                }
            }
        default:
            throw Problem.invalid("action", "must be plan, enrol or deactivate")
        }
        return outcomes
    }

    /// A published course by its id or its exact title (any case).
    static func findCourse(_ text: String, request: Request) async throws -> UUID {
        let wanted = text.trimmed
        let cards = try await request.application.catalogueSearch.cards(on: request.db)
        if let id = UUIDText.parse(wanted), cards[id] != nil { return id }
        let matches = cards.values.filter { $0.title.lowercased() == wanted.lowercased() }
        guard let card = matches.min(by: { ($0.language, $0.id.uuidString) < ($1.language, $1.id.uuidString) }) else {
            throw Problem.invalid("course", request.catalogue("people.bulkNoCourse"))
        }
        return card.id
    }
}
