import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// `karmayogi bench-insights`: times the dashboard summary in-process at each scope level (the nation, the largest
/// State, its largest district, the largest ministry), and a plan's compliance when `--plan` names one. For
/// `Benchmarks/insights`; prints one line per measurement.
struct InsightsBenchmarkCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "runs", help: "summaries per scope (default 200)") var runs: Int?
        @Option(name: "plan", help: "a plan whose compliance to time") var plan: String?
    }

    var help: String { "Times dashboard summaries and plan compliance in-process (for Benchmarks/insights)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let database = app.db
        let sql = database as! any SQLDatabase
        let runs = signature.runs ?? 200
        struct Largest: Decodable { var scope: String; var registered: Int }
        func largest(_ prefix: String) async throws -> String? {
            let row = try await sql.select().column("scope").column(SQLQueryString("CAST(SUM(\(ident: "registrations")) AS BIGINT)"), as: "registered")
                .from(Rollups.table).where("scope", .like, SQLBind(prefix + "%")).where("course_id", .equal, SQLBind(RollupTally.allCourses))
                .groupBy("scope").orderBy("registered", .descending).limit(1).first(decoding: Largest.self)
            return row?.scope
        }
        var scopes: [InsightScope] = [.nation]
        if let state = try await largest("s:"), let code = Int(state.dropFirst(2)) {
            scopes.append(.state(code))
            let districts = Geography.reference.districts(inState: code).map { "d:\($0.code)" }
            if !districts.isEmpty {
                let row = try await sql.select().column("scope").column(SQLQueryString("CAST(SUM(\(ident: "registrations")) AS BIGINT)"), as: "registered")
                    .from(Rollups.table).where("scope", .in, SQLBind.group(districts)).where("course_id", .equal, SQLBind(RollupTally.allCourses))
                    .groupBy("scope").orderBy("registered", .descending).limit(1).first(decoding: Largest.self)
                if let row, let code = Int(row.scope.dropFirst(2)) { scopes.append(.district(code)) }
            }
        }
        if let ministry = try await Organisation.query(on: database).filter(\.$type == OrganisationType.ministry.rawValue).filter(\.$parent.$id == nil).all()
            .max(by: { ($0.sanctionedStrength ?? 0) < ($1.sanctionedStrength ?? 0) }) {
            scopes.append(.organisation(ministry.id!))
        }
        let today = IndiaDay.of(Date())
        for scope in scopes {
            // The first summary of a scope reads its rows from disk; it is reported apart from the runs that follow.
            var times: [Double] = []
            for _ in 0...runs {
                let started = ContinuousClock.now
                _ = try await Insights.summary(of: scope, named: scope.text, from: today - 29, to: today, interval: .day, app: app, on: database)
                times.append(Self.milliseconds(ContinuousClock.now - started))
            }
            let first = times.removeFirst()
            context.console.print("summary \(scope.text): p50 \(Self.percentile(times, 0.5)) ms, p99 \(Self.percentile(times, 0.99)) ms (\(runs) runs after a first of \(String(format: "%.2f", first)) ms, 30 days)")
        }
        if let text = signature.plan, let id = UUIDText.parse(text), let plan = try await Plan.find(id, on: database),
           let organisation = try await Organisation.find(plan.organisationID, on: database) {
            var times: [Double] = []
            var people = 0
            for _ in 0..<20 {
                let started = ContinuousClock.now
                people = try await Plans.compliance(plan, of: organisation, designation: nil, page: PageRequest(limit: 50), on: database).people
                times.append(Self.milliseconds(ContinuousClock.now - started))
            }
            context.console.print("compliance of a plan assigned to \(people) people: p50 \(Self.percentile(times, 0.5)) ms, p99 \(Self.percentile(times, 0.99)) ms (20 runs)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
    }

    static func percentile(_ values: [Double], _ share: Double) -> String {
        let sorted = values.sorted()
        return String(format: "%.2f", sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * share + 0.5))])
    }
}
