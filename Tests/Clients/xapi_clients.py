#!/usr/bin/env python3
"""Real xAPI clients against Karmayogi's learning record store (/xapi/).

Python's `tincan` (the Rustici client) stores and reads statements, pages through `more`, voids, and keeps State,
Activity Profile and Agent Profile documents; `ralph-malph` builds statements with its own models, writes them with
its LRS backend, reads every statement back, and its models accept each one as the LRS answers it.

    python3 Tests/Clients/xapi_clients.py --url http://127.0.0.1:8080

The server is one started as a newcomer would (`karmayogi serve`, demo world); the script signs in as the demo
national admin and issues an LRS key for that admin's organisation. Exit status 0 only when every check passed.
"""
import argparse
import json
import sys
import urllib.request
import uuid

from tincan import (Activity, ActivityDefinition, ActivityProfileDocument, Agent, AgentProfileDocument, Context,
                    LanguageMap, RemoteLRS, Result, Score, Statement, StateDocument, StatementRef, Verb)

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def api(url, path, token=None, body=None):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def credentials(url):
    token = api(url, "/api/v1/auth/login", body={"email": "admin@karmayogi.example.org", "password": "Karmayogi@2026"})["accessToken"]
    organisation = api(url, "/api/v1/me", token)["organisationId"]
    issued = api(url, f"/api/v1/orgs/{organisation}/xapi-credentials", token, {"name": "Client checks"})
    return issued["key"], issued["secret"], issued["endpoint"]


def tincan_checks(url, key, secret):
    lrs = RemoteLRS(endpoint=url + "/xapi/", version="1.0.3", username=key, password=secret)
    about = lrs.about()
    check(about.success and "1.0.3" in about.content.version, "tincan: about names 1.0.3")

    learner = Agent(name="Asha Verma", mbox="mailto:asha.verma@example.gov.in")
    activity = Activity(id="https://content.example.gov.in/rti/module-1",
                        definition=ActivityDefinition(name=LanguageMap({"en-US": "RTI Act: module 1", "hi-IN": "आरटीआई अधिनियम: मॉड्यूल 1"})))
    registration = str(uuid.uuid4())
    completed = Verb(id="http://adlnet.gov/expapi/verbs/completed", display=LanguageMap({"en-US": "completed"}))
    experienced = Verb(id="http://adlnet.gov/expapi/verbs/experienced", display=LanguageMap({"en-US": "experienced"}))

    first = Statement(actor=learner, verb=completed, object=activity, context=Context(registration=registration),
                      result=Result(score=Score(scaled=0.9, raw=90, min=0, max=100), success=True, completion=True))
    saved = lrs.save_statement(first)
    check(saved.success and saved.content.id is not None, "tincan: a statement is saved")
    read = lrs.retrieve_statement(saved.content.id)
    check(read.success and read.content.actor.mbox == learner.mbox and read.content.verb.id == completed.id
          and read.content.object.id == activity.id and read.content.result.score.scaled == 0.9
          and read.content.object.definition.name["hi-IN"] == "आरटीआई अधिनियम: मॉड्यूल 1", "tincan: the statement reads back as sent")

    more = [Statement(actor=learner, verb=experienced, object=activity, context=Context(registration=registration)) for _ in range(4)]
    many = lrs.save_statements(more)
    check(many.success and len(many.content) == 4, "tincan: four statements are saved in one request")

    page = lrs.query_statements({"registration": registration, "limit": 2})
    ids = [s.id for s in page.content.statements] if page.success else []
    pages = 1
    while page.success and page.content.more:
        page = lrs.more_statements(page.content)
        ids += [s.id for s in page.content.statements] if page.success else []
        pages += 1
    check(len(set(ids)) == 5 and pages == 3, f"tincan: the registration's five statements come in three pages of two ({len(ids)} in {pages})")
    by_verb = lrs.query_statements({"registration": registration, "verb": completed})
    check(by_verb.success and [s.id for s in by_verb.content.statements] == [saved.content.id], "tincan: a verb filter finds the completion")
    by_agent = lrs.query_statements({"agent": learner, "registration": registration})
    check(by_agent.success and len(by_agent.content.statements) == 5, "tincan: an agent filter finds the learner's statements")

    voiding = Statement(actor=learner, verb=Verb(id="http://adlnet.gov/expapi/verbs/voided", display=LanguageMap({"en-US": "voided"})),
                        object=StatementRef(id=many.content[0].id))
    check(lrs.save_statement(voiding).success, "tincan: a voiding statement is saved")
    check(not lrs.retrieve_statement(many.content[0].id).success, "tincan: a voided statement is not read by its id")
    check(lrs.retrieve_voided_statement(many.content[0].id).success, "tincan: it is read as voided")

    run = uuid.uuid4().hex[:8]  # documents of this run, so that the script can run again on the same server
    state = StateDocument(activity=activity, agent=learner, id="bookmark-" + run, content='{"page": 3}', content_type="application/json")
    check(lrs.save_state(state).success, "tincan: a state document is saved")
    got = lrs.retrieve_state(activity, learner, "bookmark-" + run)
    check(got.success and json.loads(got.content.content) == {"page": 3}, "tincan: the state document reads back")
    check("bookmark-" + run in (lrs.retrieve_state_ids(activity, learner).content or []), "tincan: the state's id is listed")
    check(lrs.delete_state(got.content).success, "tincan: the state document is deleted")
    # tincan counts a 404 on a document as success (ignore404): the status says it is gone.
    check(lrs.retrieve_state(activity, learner, "bookmark-" + run).response.status == 404, "tincan: a deleted state is gone")

    profile = ActivityProfileDocument(activity=activity, id="settings-" + run, content='{"attempts": 2}', content_type="application/json")
    check(lrs.save_activity_profile(profile).success, "tincan: an activity profile is saved")
    got = lrs.retrieve_activity_profile(activity, "settings-" + run)
    # tincan 1.0.0 looks for the ETag in a list of header pairs and never finds it: it is read from the response here.
    got.content.etag = got.response.getheader("ETag")
    got.content.content_type = "application/json"
    check(got.success and (got.content.etag or "").startswith('"'), "tincan: the activity profile reads back with an ETag")
    blind = ActivityProfileDocument(activity=activity, id="settings-" + run, content='{"attempts": 9}', content_type="application/json")
    check(not lrs.save_activity_profile(blind).success, "tincan: a blind overwrite of a profile is refused")
    got.content.content = '{"attempts": 3}'
    check(lrs.save_activity_profile(got.content).success, "tincan: an overwrite with the ETag is accepted")
    check(json.loads(lrs.retrieve_activity_profile(activity, "settings-" + run).content.content) == {"attempts": 3}, "tincan: the new profile reads back")
    check("settings-" + run in (lrs.retrieve_activity_profile_ids(activity).content or []), "tincan: the profile's id is listed")

    agent_profile = AgentProfileDocument(agent=learner, id="preferences-" + run, content='{"language": "hi"}', content_type="application/json")
    check(lrs.save_agent_profile(agent_profile).success, "tincan: an agent profile is saved")
    got = lrs.retrieve_agent_profile(learner, "preferences-" + run)
    check(got.success and json.loads(got.content.content) == {"language": "hi"}, "tincan: the agent profile reads back")
    check(lrs.delete_agent_profile(got.content).success, "tincan: the agent profile is deleted")

    wrong = RemoteLRS(endpoint=url + "/xapi/", version="1.0.3", username=key, password="not-the-secret")
    refused = wrong.save_statement(first)
    check(not refused.success and refused.response.status == 401, "tincan: a wrong secret is refused with 401")
    return registration


def ralph_checks(url, key, secret, registration):
    from ralph.backends.data.lrs import LRSDataBackend, LRSDataBackendSettings
    from ralph.backends.lrs.base import LRSStatementsQuery
    from ralph.models.xapi.base.statements import BaseXapiStatement

    built = [BaseXapiStatement.model_validate({
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": "Ravi Kumar", "account": {"homePage": "https://igotkarmayogi.gov.in", "name": f"learner-{n}"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"objectType": "Activity", "id": "https://content.example.gov.in/rti/quiz/q1",
                   "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": "choice",
                                  "correctResponsesPattern": ["b"], "choices": [{"id": "a", "description": {"en-US": "30 days"}},
                                                                                 {"id": "b", "description": {"en-US": "48 hours"}}]}},
        "result": {"response": "b", "success": True, "duration": "PT45S"},
        "context": {"registration": registration, "language": "en-IN"},
        "timestamp": "2026-12-07T10:00:00+05:30",
    }).model_dump(mode="json", exclude_none=True) for n in range(3)]
    settings = LRSDataBackendSettings(BASE_URL=url, USERNAME=key, PASSWORD=secret, STATEMENTS_ENDPOINT="/xapi/statements")
    backend = LRSDataBackend(settings)
    check(backend.write(built) == 3, "ralph: its LRS backend writes three statements its models built")
    read = list(backend.read(query=LRSStatementsQuery(registration=registration), chunk_size=2))
    check(len(read) == 7, f"ralph: reading the registration in pages of two gives every non-voided statement ({len(read)})")
    accepted = 0
    for statement in read:
        try:
            BaseXapiStatement.model_validate(statement)
            accepted += 1
        except Exception as error:  # pydantic's ValidationError says which field
            print("     ralph refused:", json.dumps(statement)[:300], error)
    check(accepted == len(read), f"ralph: its statement model accepts every statement the LRS answers ({accepted}/{len(read)})")
    backend.close()


def raw_checks(url, key, secret):
    import base64
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    def status(method, path, body=None, version="1.0.3"):
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        if version:
            headers["X-Experience-API-Version"] = version
        request = urllib.request.Request(url + path, data=body.encode() if body else None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
    good = '{"actor":{"mbox":"mailto:a@example.gov.in"},"verb":{"id":"http://adlnet.gov/expapi/verbs/attended"},"object":{"id":"https://example.gov.in/a"}}'
    check(status("POST", "/xapi/statements", good, version="0.9") == 400, "a wrong xAPI version is refused with 400")
    check(status("POST", "/xapi/statements", '{"actor":{},"verb":{}}') == 400, "a malformed statement is refused with 400")
    sid = str(uuid.uuid4())
    check(status("PUT", f"/xapi/statements?statementId={sid}", good) == 204, "a statement is PUT with its id")
    check(status("PUT", f"/xapi/statements?statementId={sid}", good.replace("attended", "completed")) == 409, "a conflicting PUT is refused with 409")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    url = parser.parse_args().url.rstrip("/")
    key, secret, endpoint = credentials(url)
    check(endpoint.endswith("/xapi/"), "an admin is issued an LRS key and secret")
    registration = tincan_checks(url, key, secret)
    ralph_checks(url, key, secret, registration)
    raw_checks(url, key, secret)
    print(f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
