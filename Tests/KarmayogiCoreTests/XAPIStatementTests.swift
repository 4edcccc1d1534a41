import Foundation
import Testing
@testable import KarmayogiCore

/// The ADL LRS conformance suite's templates (fixtures/xapi): each is a whole statement or one part of one, put in
/// its place in an otherwise valid statement. The suite has no list of outcomes; this is ours, from the xAPI 1.0.3
/// text: the invalid ones and the path each must be refused at. Every other template must be valid.
@Suite struct XAPIStatementTests {
    static let folder = standardFixtures.appendingPathComponent("xapi/lrs-conformance-v1.0.3-templates")

    static let invalid: [String: String] = [
        "agents/account_no_homepage.json": "actor.account.homePage",
        "agents/account_no_name.json": "actor.account.name",
        "groups/anonymous_no_member.json": "actor.member",
        "groups/identified_account_no_homepage.json": "actor.account.homePage",
        "groups/identified_account_no_name.json": "actor.account.name",
        "verbs/no_id.json": "verb.id",
        "activities/no_id.json": "object.id",
        "activities/name_invalid.json": "object.definition.name.something",
        "activities/description_invalid.json": "object.definition.description.something",
        "activities/numeric_name.json": "object.definition.name",
        "activities/numeric_description.json": "object.definition.description",
        "activities/string_name.json": "object.definition.name",
        "activities/string_description.json": "object.definition.description",
        "activities/interaction_type_invalid_iri.json": "object.definition.interactionType",
        "activities/interaction_type_invalid_numeric.json": "object.definition.interactionType",
        "activities/interaction_type_invalid_object.json": "object.definition.interactionType",
        "activities/interaction_type_invalid_string.json": "object.definition.interactionType",
        "contexts/invalid_activity.json": "context.contextActivities.consequences",
        "contexts/instructor.json": "context.instructor",
        "contexts/team.json": "context.team.member",
        "statements/no_actor.json": "actor",
        "statements/no_verb.json": "verb",
        "statements/no_object.json": "object",
        "statements/multiple_actor.json": "actor",
        "statements/object_actor.json": "object",
        "statements/object_statementref_no_id.json": "object.id",
        "statements/authority.json": "authority",
        // Skeletons the suite fills in before sending: alone, they lack what xAPI requires.
        "statements/actor.json": "actor",
        "statements/verb.json": "verb.id",
        "statements/object_activity.json": "object.id",
        "statements/object_substatement.json": "object.actor",
        "substatements/activity.json": "object.object.id",
        "substatements/verb.json": "object.verb.id",
        "substatements/no_actor.json": "object.actor",
        "substatements/no_verb.json": "object.verb",
        "substatements/no_object.json": "object.object",
        "substatements/actor.json": "object.actor",
        "substatements/agent.json": "object.object",
        "substatements/group.json": "object.object.member",
        "substatements/statementref_no_id.json": "object.object.id",
        "substatements/verb_invalid.json": "object.verb.display.s-something",
        "substatements/activity_definition_name_invalid.json": "object.object.definition.name",
        "substatements/activity_definition_description_invalid.json": "object.object.definition.description",
        "substatements/context_invalid_language_map.json": "object.context.language",
        "substatements/interaction_component_invalid_language_map.json": "object.object.definition.steps",
    ]

    static var base: [String: Any] {
        ["actor": ["mbox": "mailto:learner@example.gov.in"], "verb": ["id": "http://adlnet.gov/expapi/verbs/attended"],
         "object": ["id": "http://www.example.com/meetings/occurances/34534"]]
    }

    /// The template as a whole statement: parts go where their folder says.
    static func statement(_ relative: String) throws -> (Data, Any) {
        let data = try Data(contentsOf: folder.appendingPathComponent(relative))
        let part = try JSONSerialization.jsonObject(with: data)
        let place = ["agents": "actor", "groups": "actor", "verbs": "verb", "activities": "object", "substatements": "object",
                     "contexts": "context", "results": "result"][String(relative.prefix(while: { $0 != "/" }))]
        guard let place else { return (data, part) }
        var whole = base
        whole[place] = part
        if relative == "verbs/voided.json" { whole["object"] = ["objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"] }
        return (try JSONSerialization.data(withJSONObject: whole), whole)
    }

    static var templates: [String] {
        let names = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test func everyTemplateGetsItsOutcome() throws {
        #expect(Self.templates.count == 119)
        for name in Self.templates {
            let (data, statement) = try Self.statement(name)
            var problems = XAPIStatement.problems(statement)
            if let key = JSONDuplicateKeys.first(in: data) { problems.append(.init(path: key, reason: "is given twice")) }
            if let path = Self.invalid[name] {
                #expect(problems.contains { $0.path == path || $0.path.hasPrefix(path + ".") || $0.path.hasPrefix(path + "[") }, "\(name): \(problems)")
            } else {
                #expect(problems.isEmpty, "\(name): \(problems)")
            }
        }
    }

    @Test func voidingTakesAStatementReferenceOnly() {
        var statement = Self.base
        statement["verb"] = ["id": XAPIStatement.voided]
        #expect(XAPIStatement.problems(statement).map(\.path) == ["object"])
        statement["object"] = ["objectType": "StatementRef", "id": UUID().uuidString]
        #expect(XAPIStatement.problems(statement).isEmpty)
    }

    @Test func scoresTimesAndVersions() {
        var statement = Self.base
        statement["result"] = ["score": ["scaled": 1.5, "raw": 120, "min": 0, "max": 100], "success": 1, "duration": "PT"]
        statement["timestamp"] = "2026-12-07T10:00:00-00:00"
        statement["version"] = "2.0.0"
        let paths = Set(XAPIStatement.problems(statement).map(\.path))
        #expect(paths == ["result.score.scaled", "result.score.raw", "result.success", "result.duration", "timestamp", "version"])
        #expect(XAPIStatement.timestamp("2026-12-07T10:00:00.123456+05:30") != nil)
        #expect(XAPIStatement.duration("PT1H30M") == 5_400)
        #expect(XAPIStatement.duration("P1DT0.5S") == 86_400.5)
        #expect(XAPIStatement.isSupportedVersion("1.0.3") && XAPIStatement.isSupportedVersion("1.0") && !XAPIStatement.isSupportedVersion("1.0.9"))
    }

    @Test func languageTags() {
        for tag in ["en", "en-US", "hi-IN", "tlh", "zh-Hant-TW", "sl-rozaj-biske", "x-private", "de-CH-1901", "en-a-bbb-x-a-ccc"] {
            #expect(XAPIStatement.isLanguageTag(tag), "\(tag)")
        }
        for tag in ["something", "s-something", "", "en-", "e", "en_US", "1234"] { #expect(!XAPIStatement.isLanguageTag(tag), "\(tag)") }
    }

    @Test func duplicateKeysAreFoundAtAnyDepth() {
        #expect(JSONDuplicateKeys.first(in: Data(#"{"a":{"b":1,"c":[{"d":1,"\u0064":2}]}}"#.utf8)) == "d")
        #expect(JSONDuplicateKeys.first(in: Data(#"{"a":"{\"a\":1,\"a\":2}","b":[1,2]}"#.utf8)) == nil)
    }

    @Test func actorsAreIdentifiedOnce() {
        #expect(XAPIStatement.identifier(ofActor: ["mbox": "mailto:A@Example.gov.in"]) == "mbox:mailto:a@example.gov.in")
        #expect(XAPIStatement.identifier(ofActor: ["account": ["homePage": "https://igot.gov.in", "name": "42"]]) == "account:https://igot.gov.in|42")
        #expect(XAPIStatement.identifier(ofActor: ["mbox": "mailto:a@b.in", "openid": "https://id.example"]) == nil)
    }
}
