import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// A competency gap as the API answers it: the competency named, the level required and the level held, and what
/// requires it.
struct GapDTO: Content {
    var competencyId: UUID
    var competency: String
    var area: CompetencyArea?
    var required: Int
    var held: Int
    var size: Int
    var sources: [GapSource]
}

struct GapsDTO: Content {
    var userId: UUID
    var designation: String?
    var organisationId: UUID
    /// Whether the person's designation is mapped to competencies in their organisation.
    var designationMapped: Bool
    var gaps: [GapDTO]
}

/// One recommendation: what to take, the gap it serves, and each reason for its place with its points.
struct RecommendationDTO: Content {
    var kind: LearningOffer.Kind
    var id: UUID
    var title: String
    /// Its page.
    var url: String
    var language: String?
    var durationMinutes: Int
    /// When an event starts, or a programme's next batch.
    var startsAt: Date?
    var gap: GapDTO
    /// The level it teaches the gap's competency at.
    var level: Int
    /// Whether it reaches the required level (else it narrows the gap).
    var closes: Bool
    var alsoCloses: [UUID]
    var score: Int
    var factors: [RankFactor]
    /// The reasons in words, in the language asked for.
    var why: [String]
}

struct RecommendationsDTO: Content {
    /// Whether the person's designation is mapped to competencies in their organisation.
    var designationMapped: Bool
    var gaps: [GapDTO]
    var items: [RecommendationDTO]
}

/// An organisation's gap map: designation by designation, how many people lack each competency, by the level held.
struct OrganisationGapsDTO: Content {
    struct Cell: Content {
        var competencyId: UUID
        var competency: String
        var required: Int
        var lacking: Int
        /// `byHeld[l]`: how many of those lacking it hold level l (0: none yet).
        var byHeld: [Int]
    }

    struct DesignationGaps: Content {
        var designation: String
        var people: Int
        var competencies: [Cell]
    }

    struct ClosingCourse: Content {
        var courseId: UUID
        var title: String
        /// The people's gaps it closes that no course before it closed.
        var closes: Int
        var cumulative: Int
        /// The share of all the people's gaps closed by it and the courses before it, 0 to 1.
        var share: Double
    }

    var organisationId: UUID
    /// People counted: those holding a mapped designation.
    var people: Int
    /// Gaps summed over people (a person lacking two competencies counts twice).
    var lacking: Int
    var designations: [DesignationGaps]
    /// The fewest courses that close the most of the map, in the order chosen.
    var courses: [ClosingCourse]
    /// Set when the organisation has more people in mapped designations than one map counts.
    var truncated: Bool
}

/// Gaps and recommendations (issue 22): a person's gaps from their designation and live plans against their passbook,
/// the courses, events and programmes that close them ranked with reasons, and an organisation's gap map. This room
/// keeps no tables: it asks the rooms that own what it reads.
enum Guidance {
    /// Whom the guidance is for.
    struct Person {
        var id: UUID
        var designation: String?
        var organisationID: UUID
        var organisationPath: String
        var language: String

        init(id: UUID, designation: String?, organisationID: UUID, organisationPath: String, language: String) {
            self.id = id
            self.designation = designation
            self.organisationID = organisationID
            self.organisationPath = organisationPath
            self.language = language
        }

        init(_ principal: Principal) {
            id = principal.userID
            designation = principal.me.designation
            organisationID = principal.organisationID
            organisationPath = principal.organisationPath
            language = principal.me.language
        }

        init(_ user: User, in organisation: Organisation) {
            id = user.id!
            designation = user.designation
            organisationID = organisation.id!
            organisationPath = organisation.path
            language = user.language
        }
    }

    /// The most people one organisation's map counts.
    static let mapLimit = 100_000
    /// The most peers whose completions are counted for a recommendation.
    static let peerLimit = 5_000

    // MARK: A person's gaps

    /// What the person's designation (in their organisation) and each live plan assigned to them require; a plan
    /// requires what its courses teach, at the levels they teach it.
    static func needs(of person: Person, cards: [UUID: CourseCard], on database: any Database) async throws -> (needs: [Need], designationMapped: Bool) {
        var needs: [Need] = []
        var mapped = false
        if let designation = person.designation {
            let required = try await Designations.requirements(of: designation, in: person.organisationID, on: database)
            mapped = !required.isEmpty
            let source = GapSource(kind: .designation, name: designation)
            needs += required.map { Need(competencyId: $0.competencyId, level: $0.level, source: source) }
        }
        let plans = try await Plans.assignedCourses(to: PlanPerson(id: person.id, designation: person.designation, organisationPath: person.organisationPath),
                                                    on: database)
        for plan in plans {
            let source = GapSource(kind: .plan, name: plan.name, id: plan.id)
            for course in plan.courseIDs {
                needs += (cards[course]?.competencies ?? []).map { Need(competencyId: $0.competencyId, level: $0.level, source: source) }
            }
        }
        return (needs, mapped)
    }

    static func gaps(of person: Person, cards: [UUID: CourseCard], on database: any Database) async throws -> (gaps: [CompetencyGap], designationMapped: Bool) {
        let (needs, mapped) = try await needs(of: person, cards: cards, on: database)
        let verified = try await Passbook.verified(of: person.id, on: database)
        return (CompetencyGap.gaps(needs: needs, verified: verified), mapped)
    }

    static func gapDTOs(_ gaps: [CompetencyGap], on database: any Database) async throws -> [GapDTO] {
        let competencies = try await Competencies.byID(gaps.map(\.competencyId), on: database)
        return gaps.map { gap in
            GapDTO(competencyId: gap.competencyId, competency: competencies[gap.competencyId]?.displayName ?? "", area: competencies[gap.competencyId]?.area,
                   required: gap.required, held: gap.held, size: gap.size, sources: gap.sources)
        }
    }

    static func gapsDTO(of person: Person, app: Application, on database: any Database) async throws -> GapsDTO {
        let cards = try await app.catalogueSearch.cards(on: database)
        let (gaps, mapped) = try await gaps(of: person, cards: cards, on: database)
        return GapsDTO(userId: person.id, designation: person.designation, organisationId: person.organisationID, designationMapped: mapped,
                       gaps: try await gapDTOs(gaps, on: database))
    }

    // MARK: Recommendations

    /// A person's gaps and what closes them, best first, in `language` (the ranking prefers offers in it).
    static func recommendations(for person: Person, language: String, limit: Int, app: Application, on database: any Database) async throws -> RecommendationsDTO {
        let t = Catalogue.all[language] ?? Catalogue.all["en"]!
        let cards = try await app.catalogueSearch.cards(on: database)
        let (gaps, mapped) = try await gaps(of: person, cards: cards, on: database)
        let gapDTOs = try await gapDTOs(gaps, on: database)
        guard !gaps.isEmpty else { return RecommendationsDTO(designationMapped: mapped, gaps: [], items: []) }
        let wanted = Set(gaps.map(\.competencyId))
        func serves(_ claims: [RoleRequirement]) -> Bool { claims.contains { wanted.contains($0.competencyId) } }

        // Courses: their ratings, and how many people of the same designation in the organisation completed them.
        let courses = cards.values.filter { serves($0.competencies) }
        let ratings = try await Ratings.summaries(of: courses.map(\.id), on: database)
        var completions: [UUID: Int] = [:]
        if let designation = person.designation {
            let peers = try await Users.holding([designation], in: person.organisationID, except: person.id, limit: peerLimit, on: database)
            completions = try await Enrolments.completions(by: peers.map(\.id), on: database)
        }
        var offers = courses.map { card in
            LearningOffer(kind: .course, id: card.id, competencies: card.competencies, language: card.language, durationMinutes: card.durationMinutes,
                          peerCompletions: completions[card.id] ?? 0, rating: ratings[card.id].flatMap { $0.count > 0 ? $0.average : nil },
                          ratingCount: ratings[card.id]?.count ?? 0)
        }
        var titles: [UUID: (title: String, url: String, startsAt: Date?)] = [:]
        for card in courses { titles[card.id] = (card.title, "/courses/\(card.id.uuidString.lowercased())", nil) }

        // Events open for registration and programmes with a seat in a coming batch.
        let now = app.clock.now()
        for event in try await Events.upcomingOpen(after: now, limit: 500, on: database) where serves(event.claims) {
            offers.append(LearningOffer(kind: .event, id: event.id!, competencies: event.claims, language: nil, durationMinutes: event.minutes))
            titles[event.id!] = (language == "hi" && !event.titleHi.isEmpty ? event.titleHi : event.title, "/events/\(event.id!.uuidString.lowercased())", event.startsAt)
        }
        for (programme, batch) in try await Programmes.open(after: IndiaDay.of(now), limit: 1_000, on: database) where serves(programme.claims) {
            let days = max(1, batch.endDay - batch.startDay + 1)
            offers.append(LearningOffer(kind: .programme, id: programme.id!, competencies: programme.claims, language: nil, durationMinutes: days * 6 * 60))
            titles[programme.id!] = (language == "hi" && !programme.titleHi.isEmpty ? programme.titleHi : programme.title,
                                     "/programmes/\(programme.id!.uuidString.lowercased())", IndiaDay.start(batch.startDay))
        }

        let enrolled = try await Enrolments.courseIDs(of: person.id, on: database)
        let ranked = Recommender.recommend(for: gaps, from: offers, language: language, excluding: enrolled, limit: limit)
        let byCompetency = Dictionary(uniqueKeysWithValues: gapDTOs.map { ($0.competencyId, $0) })
        let items: [RecommendationDTO] = ranked.compactMap { choice in
            guard let named = titles[choice.offer.id], let gap = byCompetency[choice.gap.competencyId] else { return nil }
            return RecommendationDTO(kind: choice.offer.kind, id: choice.offer.id, title: named.title, url: named.url, language: choice.offer.language,
                                     durationMinutes: choice.offer.durationMinutes, startsAt: named.startsAt, gap: gap, level: choice.level,
                                     closes: choice.closes, alsoCloses: choice.alsoCloses, score: choice.score, factors: choice.factors,
                                     why: choice.factors.map { reason($0, gap: gap, t) })
        }
        return RecommendationsDTO(designationMapped: mapped, gaps: gapDTOs, items: items)
    }

    /// One reason in words, with its points.
    static func reason(_ factor: RankFactor, gap: GapDTO, _ t: Catalogue) -> String {
        let value = factor.value ?? 0
        let values: [String: String] = [
            "competency": gap.competency, "size": Formats.number(gap.size), "level": t("level.\(min(max(value, 1), 5))"),
            "required": t("level.\(gap.required)"), "count": Formats.number(value), "minutes": Formats.number(value),
            "rating": String(format: "%.1f", Double(value) / 10),
        ]
        let points = factor.points >= 0 ? "+\(factor.points)" : "−\(-factor.points)"
        return "\(t("guidance.factor.\(factor.code.rawValue)", values)) (\(points))"
    }

    // MARK: An organisation's gap map

    /// An organisation the principal watches (its insights or its competency mapping), else 404.
    static func watched(_ organisationID: UUID, by principal: Principal, on database: any Database) async throws -> Organisation {
        let organisation = try await Organisations.visible(organisationID, to: principal, on: database)
        guard principal.access.allows(.viewInsights, on: organisation.placement) || principal.access.allows(.mapCompetencies, on: organisation.placement)
        else { throw Problem.notFound("organisation") }
        return organisation
    }

    static func organisationGaps(of organisation: Organisation, app: Application, on database: any Database) async throws -> OrganisationGapsDTO {
        let requirements = try await Designations.all(in: organisation.id!, on: database)
        let holders = try await Users.holding(Array(requirements.keys), in: organisation.id!, limit: mapLimit + 1, on: database)
        let counted = Array(holders.prefix(mapLimit))
        let levels = try await PassbookEntries.verifiedLevels(of: counted.map(\.id), on: database)
        let people = counted.map { GapMap.Person(designation: $0.designation, held: levels[$0.id] ?? [:]) }
        let cells = GapMap.cells(requirements: requirements, people: people)

        let cards = try await app.catalogueSearch.cards(on: database)
        let needed = Set(cells.map(\.competencyId))
        let offers = cards.values.filter { $0.competencies.contains { needed.contains($0.competencyId) } }.map {
            LearningOffer(kind: .course, id: $0.id, competencies: $0.competencies, language: $0.language, durationMinutes: $0.durationMinutes)
        }
        let lacking = cells.reduce(0) { $0 + $1.lacking }
        let chosen = GapMap.closingSet(cells, offers: offers)
        let names = try await Competencies.names(Array(needed), on: database)

        var designations: [OrganisationGapsDTO.DesignationGaps] = []
        for cell in cells {
            let row = OrganisationGapsDTO.Cell(competencyId: cell.competencyId, competency: names[cell.competencyId] ?? "", required: cell.required,
                                               lacking: cell.lacking, byHeld: cell.byHeld)
            if designations.last?.designation == cell.designation { designations[designations.count - 1].competencies.append(row) }
            else { designations.append(.init(designation: cell.designation, people: cell.people, competencies: [row])) }
        }
        return OrganisationGapsDTO(
            organisationId: organisation.id!, people: counted.count, lacking: lacking, designations: designations,
            courses: chosen.map { choice in
                .init(courseId: choice.offerId, title: cards[choice.offerId]?.title ?? "", closes: choice.closes, cumulative: choice.cumulative,
                      share: lacking == 0 ? 0 : Double(choice.cumulative) / Double(lacking))
            },
            truncated: holders.count > mapLimit)
    }
}
