import Foundation
import KarmayogiCore
import Testing

@Suite struct ScormDataModelTests {
    @Test func scorm12AnswersWithItsErrorCodes() {
        var data = ScormRuntimeData(version: .scorm12)
        #expect(data.set("cmi.core.lesson_status", "incomplete") == 0)
        #expect(data.get("cmi.core.lesson_status") == ("incomplete", 0))
        #expect(data.set("cmi.core.lesson_status", "not attempted") == 405, "a SCO may not set 'not attempted'")
        #expect(data.set("cmi.core.lesson_status", "done") == 405)
        #expect(data.set("cmi.core.student_id", "x") == 403, "read-only")
        #expect(data.get("cmi.core.exit").error == 404, "write-only")
        #expect(data.set("cmi.core.score.raw", "101") == 405 && data.set("cmi.core.score.raw", "abc") == 405)
        #expect(data.set("cmi.core.score.raw", "85.5") == 0 && data.set("cmi.core.score.raw", "") == 0, "1.2 scores may be blanked")
        #expect(data.set("cmi.core.session_time", "0000:05:30.25") == 0 && data.set("cmi.core.session_time", "PT5M") == 405)
        #expect(data.set("cmi.core._children", "x") == 402 && data.set("cmi.objectives._count", "1") == 402)
        #expect(data.get("cmi.core._children").value.contains("lesson_status"))
        #expect(data.get("cmi.core.score._children") == ("raw,min,max", 0))
        #expect(data.get("cmi.launch_data._children").error == 202 && data.get("cmi.core.lesson_status._count").error == 203)
        #expect(data.get("cmi.nothing").error == 201 && data.set("cmi.nothing", "1") == 201)
        #expect(data.set("cmi.suspend_data", String(repeating: "x", count: 4096)) == 0)
        #expect(data.set("cmi.suspend_data", String(repeating: "x", count: 4097)) == 405)
        #expect(data.set("cmi.student_preference.audio", "-2") == 405 && data.set("cmi.student_preference.audio", "50") == 0)
        #expect(data.set("cmi.objectives.1.id", "obj1") == 201, "arrays fill in order")
        #expect(data.set("cmi.objectives.0.id", "obj0") == 0 && data.set("cmi.objectives.1.id", "obj1") == 0)
        #expect(data.get("cmi.objectives._count") == ("2", 0))
        #expect(data.set("cmi.interactions.0.id", "q1") == 0 && data.set("cmi.interactions.0.result", "wrong") == 0)
        #expect(data.set("cmi.interactions.0.result", "0.5") == 0 && data.set("cmi.interactions.0.result", "maybe") == 405)
        #expect(data.get("cmi.interactions.0.id").error == 404, "interactions are write-only in 1.2")
        #expect(data.set("cmi.interactions.0.time", "25:00:00") == 405)
    }

    @Test func scorm2004AnswersWithItsErrorCodes() {
        var data = ScormRuntimeData(version: .scorm2004v4)
        #expect(data.get("cmi._version") == ("1.0", 0))
        #expect(data.get("cmi.location").error == 403, "not initialised yet")
        #expect(data.set("cmi.location", "page-3") == 0 && data.get("cmi.location") == ("page-3", 0))
        #expect(data.set("cmi.completion_status", "done") == 406 && data.set("cmi.completion_status", "completed") == 0)
        #expect(data.set("cmi.score.scaled", "1.5") == 407 && data.set("cmi.score.scaled", "-0.5") == 0)
        #expect(data.set("cmi.progress_measure", "2") == 407 && data.set("cmi.progress_measure", "x") == 406)
        #expect(data.set("cmi.learner_id", "x") == 404 && data.get("cmi.session_time").error == 405)
        #expect(data.set("cmi.session_time", "PT1H5M30.5S") == 0 && data.set("cmi.session_time", "00:05:00") == 406 && data.set("cmi.session_time", "P") == 406)
        #expect(data.set("cmi.objectives.0.success_status", "passed") == 408, "an objective's id comes first")
        #expect(data.set("cmi.objectives.0.id", "urn:obj:1") == 0 && data.set("cmi.objectives.0.success_status", "passed") == 0)
        #expect(data.set("cmi.objectives.2.id", "urn:obj:3") == 351)
        #expect(data.get("cmi.objectives.5.id").error == 301)
        #expect(data.set("cmi.interactions.0.id", "q1") == 0 && data.set("cmi.interactions.0.timestamp", "2026-12-07T10:15:00Z") == 0)
        #expect(data.set("cmi.interactions.0.timestamp", "yesterday") == 406)
        #expect(data.set("cmi.interactions.0.objectives.0.id", "urn:obj:1") == 0 && data.get("cmi.interactions.0.objectives._count") == ("1", 0))
        #expect(data.set("cmi.interactions.0.result", "incorrect") == 0 && data.set("cmi.interactions.0.result", "wrong") == 406)
        #expect(data.set("adl.nav.request", "continue") == 0 && data.set("adl.nav.request", "{target=intro}choice") == 0)
        #expect(data.set("adl.nav.request", "fly") == 406)
        #expect(data.set("cmi.undefined_thing", "1") == 401 && data.set("cmi.score._children", "x") == 404)
        #expect(data.set("cmi.suspend_data", String(repeating: "x", count: 70_000)) == 0, "2004's lengths are a least, not a limit")
    }

    @Test func theDataBecomesTheItemsProgress() {
        var twelve = ScormRuntimeData(version: .scorm12)
        #expect(twelve.outcome().status == .notStarted)
        _ = twelve.set("cmi.core.lesson_status", "incomplete")
        #expect(twelve.outcome().status == .inProgress)
        _ = twelve.set("cmi.core.score.raw", "60")
        _ = twelve.set("cmi.core.lesson_status", "completed")
        #expect(twelve.outcome().status == .completed && twelve.outcome().score == 60)
        let mastered = twelve.outcome(masteryScore: 80)
        #expect(mastered.status == .inProgress && mastered.passed == false, "below the mastery score the LMS says failed")
        _ = twelve.set("cmi.core.score.raw", "85")
        #expect(twelve.outcome(masteryScore: 80).status == .completed && twelve.outcome(masteryScore: 80).passed == true)

        var twenty = ScormRuntimeData(version: .scorm2004v3)
        _ = twenty.set("cmi.progress_measure", "0.5")
        #expect(twenty.outcome().status == .inProgress && twenty.outcome().percent == 50)
        #expect(twenty.outcome(completionThreshold: 0.5).status == .completed, "progress at the threshold completes")
        _ = twenty.set("cmi.completion_status", "completed")
        _ = twenty.set("cmi.score.scaled", "0.6")
        #expect(twenty.outcome().status == .completed && twenty.outcome().score == 60)
        #expect(twenty.outcome(scaledPassingScore: 0.8).status == .inProgress && twenty.outcome(scaledPassingScore: 0.8).passed == false)
        _ = twenty.set("cmi.success_status", "failed")
        #expect(twenty.outcome().status == .inProgress, "a failed SCO is not a completed item")
    }

    @Test func theDefinitionsTravelAsJSON() throws {
        for version in ScormVersion.allCases {
            let definitions = ScormDataModel.definitions(version)
            #expect(Set(definitions.map(\.name)).count == definitions.count, "\(version) names each element once")
            let json = try JSONEncoder().encode(definitions)
            #expect(try JSONDecoder().decode([ScormDataModel.Definition].self, from: json) == definitions)
        }
    }

    @Test func timesAreReadAndWrittenBothWays() {
        #expect(ScormTime.timespan(3725) == "0001:02:05" && ScormTime.interval(3725) == "PT1H2M5S")
        #expect(ScormTime.seconds(timespan: "0001:02:05.50") == 3725 && ScormTime.seconds(timespan: "x") == nil)
        #expect(ScormTime.seconds(interval: "PT1H2M5.5S") == 3725 && ScormTime.seconds(interval: "P1DT1S") == 86_401)
        #expect(ScormTime.seconds(interval: "PT") == nil && ScormTime.seconds(interval: "1H") == nil)
    }
}
