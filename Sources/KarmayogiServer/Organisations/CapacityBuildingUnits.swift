import Fluent
import Foundation
import KarmayogiCore
import SQLKit
import Vapor

/// An MDO's capacity building unit, as its admin records it: when it was formed, its members, its nodal officer.
/// The scorecard's "capacity building unit formed" is computed from it.
final class CapacityBuildingUnit: Model, @unchecked Sendable {
    static let schema = "capacity_building_units"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    // reference fields
    @Field(key: "organisation_id") var organisationID: UUID
    @OptionalField(key: "nodal_officer_id") var nodalOfficerID: UUID?
    @Field(key: "recorded_by") var recordedBy: UUID

    // data fields
    /// The day it was formed (IndiaDay number).
    @Field(key: "formed_on") var formedOn: Int
    @Field(key: "members") var members: Members

    /// The members' ids, kept as one JSON document on both databases.
    struct Members: Codable, Sendable { var ids: [UUID] }

    var memberIDs: [UUID] {
        get { members.ids }
        set { members = Members(ids: newValue) }
    }

    init() {}
}

struct CreateCapacityBuildingUnits: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CapacityBuildingUnit.schema)
            .id()
            .field("updated_at", .datetime)
            .field("organisation_id", .uuid, .required, .references(Organisation.schema, "id"))
            .field("nodal_officer_id", .uuid, .references(User.schema, "id"))
            .field("recorded_by", .uuid, .required)
            .field("formed_on", .int, .required)
            .field("members", .json, .required)
            .unique(on: "organisation_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CapacityBuildingUnit.schema).delete()
    }
}

struct CapacityBuildingUnitInput: StrictInput {
    enum Fields: String, CodingKey, CaseIterable { case formedOn, nodalOfficerEmail, memberEmails }
    /// "YYYY-MM-DD", today or before.
    var formedOn: String
    var nodalOfficerEmail: String?
    var memberEmails: [String]?
}

struct CapacityBuildingUnitDTO: Content {
    var organisationId: UUID
    var formedOn: String
    var nodalOfficer: Users.Named?
    var members: [Users.Named]
    var updatedAt: Date?
}

enum CapacityBuildingUnits {
    static func of(_ organisationID: UUID, on database: any Database) async throws -> CapacityBuildingUnitDTO? {
        guard let unit = try await CapacityBuildingUnit.query(on: database).filter(\.$organisationID == organisationID).first() else { return nil }
        let byID = try await Users.named(unit.memberIDs + [unit.nodalOfficerID].compactMap { $0 }, on: database)
        return CapacityBuildingUnitDTO(organisationId: organisationID, formedOn: IndiaDay.string(unit.formedOn), nodalOfficer: unit.nodalOfficerID.flatMap { byID[$0] },
                                       members: unit.memberIDs.compactMap { byID[$0] }, updatedAt: unit.updatedAt)
    }

    /// Whether the organisation's unit is formed by today: the KPI's value.
    static func formed(_ organisationID: UUID, on database: any Database) async throws -> Bool {
        try await CapacityBuildingUnit.query(on: database).filter(\.$organisationID == organisationID)
            .filter(\.$formedOn <= IndiaDay.of(Date())).count() > 0
    }

    /// Records (or changes) the unit, by the organisation's admins: every member and the nodal officer must be people of
    /// the organisation or under it; each one that is not is named, and nothing is stored.
    static func record(_ input: CapacityBuildingUnitInput, for organisationID: UUID, by principal: Principal, on database: any Database) async throws -> CapacityBuildingUnitDTO {
        let organisation = try await Organisations.visible(organisationID, to: principal, on: database)
        guard principal.access.allows(.manageUsers, on: organisation.placement) else { throw Problem.notFound("organisation") }
        var errors: [FieldError] = []
        let day = IndiaDay.parse(input.formedOn.trimmed)
        if day == nil { errors.append(.init("formedOn", "must be a date, YYYY-MM-DD")) }
        else if day! > IndiaDay.of(Date()) { errors.append(.init("formedOn", "is in the future: record the unit once it is formed")) }
        func person(_ text: String, field: String) async throws -> UUID? {
            guard let email = Contact.email(text) else { errors.append(.init(field, "\(text) is not an e-mail address")); return nil }
            guard let person = try await Users.member(email: email, within: organisation.path, on: database)
            else { errors.append(.init(field, "no one in \(organisation.name) has the address \(email)")); return nil }
            return person.id
        }
        var nodal: UUID?
        if let text = input.nodalOfficerEmail?.trimmed, !text.isEmpty { nodal = try await person(text, field: "nodalOfficerEmail") }
        var members: [UUID] = []
        let emails = (input.memberEmails ?? []).map(\.trimmed).filter { !$0.isEmpty }
        if emails.count > 200 { errors.append(.init("memberEmails", "at most 200 members")) }
        for (index, email) in emails.prefix(200).enumerated() {
            if let id = try await person(email, field: "memberEmails[\(index)]"), !members.contains(id) { members.append(id) }
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        let unit = try await CapacityBuildingUnit.query(on: database).filter(\.$organisationID == organisationID).first() ?? CapacityBuildingUnit()
        unit.organisationID = organisationID
        unit.formedOn = day!
        unit.nodalOfficerID = nodal
        unit.memberIDs = members
        unit.recordedBy = principal.userID
        try await unit.save(on: database)
        return try await of(organisationID, on: database)!
    }
}
