import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// A cascade's reach in one scope, read from its counters (a few hundred rows whatever the size of the cascade) and the
/// master trainers' batch counts.
enum CascadeReachReport {
    static let busiest = 10

    /// The cascade's coordinators read any scope (the nation first); others read the scopes their dashboards reach (their own first).
    static func report(of cascadeID: UUID, scope text: String?, by principal: Principal, on database: any Database) async throws -> CascadeReachDTO {
        let cascade = try await Cascades.find(cascadeID, on: database)
        let scope: InsightScope, name: String
        if try await Cascades.mayCoordinate(cascade, principal, on: database) {
            switch InsightScope.parse(text ?? "nation") {
            case .success(let parsed): scope = parsed
            case .failure(let problem): throw Problem.invalid([problem])
            }
            name = try await Insights.name(of: scope, on: database)
        } else {
            // Without a scope, the reader's own (their State or organisation), as their dashboards open.
            (scope, name) = try await Insights.scope(text ?? Insights.homeScope(of: principal), for: principal, on: database)
        }
        let sql = database as! any SQLDatabase
        let id = cascade.id!
        let totals = try await Cascades.reach(of: id, scopes: [scope.key], day: Cascades.allDays, on: sql)[scope.key] ?? CascadeReach()
        let children = try await Insights.children(of: scope, on: sql)
        let counted = try await Cascades.reach(of: id, scopes: children.map(\.scope.key), day: Cascades.allDays, on: sql)
        let areas = children.compactMap { child -> CascadeReachDTO.Area? in
            let reach = counted[child.scope.key] ?? CascadeReach()
            if case .organisation = child.scope, reach.isEmpty { return nil }
            return CascadeReachDTO.Area(scope: child.scope.text, kind: child.kind, name: child.name, reach: reach)
        }
        struct DayRow: Decodable { var day: Int; var lead_trainers: Int; var master_trainers: Int; var batches: Int; var participants: Int }
        let days = try await sql.select().columns("day", "lead_trainers", "master_trainers", "batches", "participants").from(Cascades.reachTable)
            .where("cascade_id", .equal, SQLBind(id)).where("scope", .equal, SQLBind(scope.key)).where("day", .notEqual, SQLBind(Cascades.allDays))
            .orderBy("day").all(decoding: DayRow.self)
            .map { CascadeReachDTO.Day(date: IndiaDay.string($0.day), reach: CascadeReach(leadTrainers: $0.lead_trainers, masterTrainers: $0.master_trainers,
                                                                                      batches: $0.batches, participants: $0.participants)) }
        // The master trainers counted in the scope, by the batches they ran.
        func masters(_ select: SQLSelectBuilder) async throws -> SQLSelectBuilder {
            let query = select.from(Cascades.certifications).where("cascade_id", .equal, SQLBind(id)).where("tier", .equal, SQLBind(CascadeTier.master.rawValue))
            switch scope {
            case .nation: return query
            case .state(let code): return query.where("state_code", .equal, SQLBind(code))
            case .district(let code): return query.where("district_code", .equal, SQLBind(code))
            case .organisation:
                let path = try await Reports.path(of: scope, on: database) ?? "~"
                return query.where("organisation_path", .greaterThanOrEqual, SQLBind(path)).where("organisation_path", .lessThan, SQLBind(path + "~"))
            }
        }
        struct Load: Decodable { var batches_run: Int; var n: Int }
        let loads = try await masters(sql.select().column("batches_run").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n"))
            .groupBy("batches_run").all(decoding: Load.self)
        struct Busy: Decodable { var user_id: UUID; var batches_run: Int }
        let busiest = try await masters(sql.select().columns("user_id", "batches_run")).where("batches_run", .greaterThan, SQLBind(0))
            .orderBy("batches_run", .descending).orderBy("user_id").limit(busiest).all(decoding: Busy.self)
        let names = try await Users.named(busiest.map(\.user_id), on: database)
        return CascadeReachDTO(cascadeId: id, scope: scope.text, name: name, totals: totals, areas: areas, days: days,
                               batchesPerTrainer: TrainerLoad.histogram(loads.map { ($0.batches_run, $0.n) })
                                   .map { CascadeReachDTO.Load(batches: $0.batches, trainers: $0.trainers, orMore: $0.orMore) },
                               busiestTrainers: busiest.map { CascadeReachDTO.Trainer(userId: $0.user_id, name: names[$0.user_id]?.name, batches: $0.batches_run) })
    }
}
