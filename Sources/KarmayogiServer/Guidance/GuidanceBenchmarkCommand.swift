import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// `karmayogi bench-guidance`: times recommendations for people of the busiest organisation, and its gap map,
/// in-process on a generated nation. Maps the organisation's designations first (each to five competencies the
/// catalogue teaches, at levels 1–4, the same every run). For `Benchmarks/guidance`; prints one line per measurement.
struct GuidanceBenchmarkCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "runs", help: "recommendations timed (default 500), each for the next of 200 people") var runs: Int?
    }

    var help: String { "Times recommendations and an organisation's gap map in-process (for Benchmarks/guidance)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let database = app.db
        let runs = signature.runs ?? 500
        guard let busiest = try await Users.busiestOrganisations(limit: 1, on: database).first,
              let organisation = try await Organisations.located([busiest.id], on: database).first
        else { throw Abort(.internalServerError, reason: "nobody to recommend for: generate a nation first") }
        var generator = SeededGenerator(seed: 22)
        let taught = Array(Set(try await app.catalogueSearch.cards(on: database).values.flatMap { $0.competencies.map(\.competencyId) }))
            .sorted { $0.uuidString < $1.uuidString }
        guard taught.count >= 5 else { throw Abort(.internalServerError, reason: "the catalogue teaches fewer than five competencies") }
        let mappings = DemoWorld.designations.map { designation in
            (designation, Array(taught.shuffled(using: &generator).prefix(5)).map { RoleRequirement(competencyId: $0, level: Int.random(in: 1...4, using: &generator)) })
        }
        try await Designations.replace(mappings, in: organisation, by: nil, on: database)
        let people = try await Users.holding(DemoWorld.designations, in: organisation.id!, limit: 200, on: database)
        let persons = people.map { person in
            Guidance.Person(id: person.id, designation: person.designation, organisationID: organisation.id!, organisationPath: organisation.path,
                            language: "hi")
        }
        var times: [Double] = []
        var answered = 0
        for run in 0...runs {
            let started = ContinuousClock.now
            let result = try await Guidance.recommendations(for: persons[run % persons.count], language: "hi", limit: 10, app: app, on: database)
            if run > 0 { times.append(InsightsBenchmarkCommand.milliseconds(ContinuousClock.now - started)) }
            answered += result.items.isEmpty ? 0 : 1
        }
        context.console.print("recommendations for \(persons.count) people of an organisation of \(busiest.people) (\(answered) of \(runs + 1) answers had some): "
            + "p50 \(InsightsBenchmarkCommand.percentile(times, 0.5)) ms, p99 \(InsightsBenchmarkCommand.percentile(times, 0.99)) ms (\(runs) runs after a first)")
        var maps: [Double] = []
        var counted = 0
        for _ in 0..<20 {
            let started = ContinuousClock.now
            counted = try await Guidance.organisationGaps(of: organisation, app: app, on: database).people
            maps.append(InsightsBenchmarkCommand.milliseconds(ContinuousClock.now - started))
        }
        context.console.print("gap map of that organisation (\(counted) people in mapped designations): "
            + "p50 \(InsightsBenchmarkCommand.percentile(maps, 0.5)) ms, p99 \(InsightsBenchmarkCommand.percentile(maps, 0.99)) ms (20 runs)")
    }
}
