import Fluent
import Foundation
import KarmayogiCore
import Vapor

struct StateController: RouteCollection {
    /// The first part of the States' addresses, in the API and on the portal.
    static let root: PathComponent = "states"

    func boot(routes: any RoutesBuilder) throws {
        routes.get(Self.root, "overview", use: Self.overview)
        routes.get(Self.root, ":code", "mous", use: Self.mous)
        routes.post(Self.root, ":code", "mous", use: Self.addMoU)
        routes.patch(Self.root, ":code", "mous", ":id", use: Self.changeMoU)
        routes.get(Self.root, ":code", "plan", use: Self.plan)
        routes.put(Self.root, ":code", "plan", use: Self.setPlan)
        routes.get("atis", use: Self.atis)
        routes.post("atis", use: Self.addATI)
        routes.patch("atis", ":id", use: Self.changeATI)
    }

    /// The State/UT of the address, when it exists and the principal reaches it.
    static func state(_ request: Request, _ principal: Principal) throws -> Geography.State {
        let text = request.parameters.get("code") ?? ""
        guard let code = Int(text), text.count <= 4 else { throw Problem(.notFound, "No State/UT with LGD code \(text.prefix(10)) is visible to you.") }
        return try StatePartnerships.state(code, for: principal)
    }

    @Sendable static func overview(_ request: Request) async throws -> StatesOverviewDTO {
        try await StatePartnerships.overview(for: try request.principal(), today: IndiaDay.of(request.application.clock.now()), on: request.db)
    }

    @Sendable static func mous(_ request: Request) async throws -> Page<MoUDTO> {
        let state = try state(request, try request.principal())
        return Page(items: try await StatePartnerships.mous(of: state.code, on: request.db).map(MoUDTO.init), nextCursor: nil)
    }

    @Sendable static func addMoU(_ request: Request) async throws -> Response {
        let principal = try request.principal()
        let state = try state(request, principal)
        let mou = try await StatePartnerships.record(try request.decodeStrict(MoUInput.self), for: state.code, by: principal,
                                                     now: request.application.clock.now(), on: request.db)
        return try await MoUDTO(mou).encodeResponse(status: .created, for: request)
    }

    @Sendable static func changeMoU(_ request: Request) async throws -> MoUDTO {
        let principal = try request.principal()
        let state = try state(request, principal)
        let existing = try await StatePartnerships.mou(try request.id(of: "MoU"), of: state.code, on: request.db)
        return MoUDTO(try await StatePartnerships.record(try request.decodeStrict(MoUInput.self), for: state.code, existing: existing, by: principal,
                                                         now: request.application.clock.now(), on: request.db))
    }

    /// The plan for `year` (a financial year, YYYY-YY), the one under way when left out.
    static func year(_ request: Request) throws -> String {
        let today = IndiaDay.of(request.application.clock.now())
        guard let text = request.query[String.self, at: "year"] else { return KPIPeriod.financialYear(of: today) }
        guard text.count == 7, case .success(let period) = KPIPeriod.read(text, today: today + 366), period.end - period.start > 40 else {
            throw Problem.invalid("year", "must be a financial year, YYYY-YY (e.g. 2026-27)")
        }
        return period.text
    }

    @Sendable static func plan(_ request: Request) async throws -> StatePlanDTO {
        let state = try state(request, try request.principal())
        return try await StatePartnerships.plan(of: state.code, year: try year(request), today: IndiaDay.of(request.application.clock.now()), on: request.db)
    }

    @Sendable static func setPlan(_ request: Request) async throws -> StatePlanDTO {
        let principal = try request.principal()
        let state = try state(request, principal)
        return try await StatePartnerships.setPlan(try request.decodeStrict(StatePlanInput.self), for: state.code, by: principal,
                                                   now: request.application.clock.now(), on: request.db)
    }

    @Sendable static func atis(_ request: Request) async throws -> Page<ATIDTO> {
        let principal = try request.principal()
        var code: Int?
        if let text = request.query[String.self, at: "stateCode"] {
            guard let parsed = Int(text), text.count <= 4 else { throw Problem.invalid("stateCode", "must be a State/UT's LGD code") }
            code = try StatePartnerships.state(parsed, for: principal).code
        }
        let atis = try await StatePartnerships.atis(for: principal, stateCode: code, on: request.db)
        return Page(items: try await StatePartnerships.dtos(atis, on: request.db), nextCursor: nil)
    }

    @Sendable static func addATI(_ request: Request) async throws -> Response {
        try await StatePartnerships.add(try request.decodeStrict(ATIInput.self), by: try request.principal(), now: request.application.clock.now(), on: request.db)
            .encodeResponse(status: .created, for: request)
    }

    @Sendable static func changeATI(_ request: Request) async throws -> ATIDTO {
        try await StatePartnerships.link(try request.id(of: "ATI"), try request.decodeStrict(ATIInput.self), by: try request.principal(),
                                         now: request.application.clock.now(), on: request.db)
    }
}
