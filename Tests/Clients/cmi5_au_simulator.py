#!/usr/bin/env python3
"""A cmi5 AU simulator: Karmayogi as the LMS, exercised the way an assignable unit meets it.

For every valid course in ../shared/fixtures/cmi5 (its EXPECTED.csv, globs expanded) the simulator imports the course
(a ZIP as it is; a cmi5.xml with absolute AU urls as it is; a structure-only cmi5.xml whose AUs are relative is packed
with a placeholder file for each, as its AU code is not in the fixtures), publishes a course with one cmi5 item per
AU, enrols the demo learner and, for each AU: launches it, reads the launch URL's parameters, calls the fetch URL twice
(a token, then error-code 1), reads LMS.LaunchData, sends initialized, then completed and/or passed as the AU's moveOn
asks (at its mastery score), then terminated, and checks that a statement after terminated is refused. It then checks
what the LMS wrote: launched for every session, waived for NotApplicable AUs, satisfied for the course, and the
learner's enrolment completed. One session is abandoned: launched, initialized, launched again; the LMS must write
abandoned and refuse the old session's statements. The 1,001-AU import course is imported whole and three of its
AUs (first, middle, last) are launched.

    python3 Tests/Clients/cmi5_au_simulator.py --url http://127.0.0.1:8080 [--fixtures ../shared/fixtures/cmi5]
"""
import argparse
import base64
import csv
import glob
import io
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
import zipfile

PASSWORD = "Karmayogi@2026"
NS = "{https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd}"
V = {name: "http://adlnet.gov/expapi/verbs/" + name for name in ["launched", "initialized", "completed", "passed", "failed", "terminated"]}
V.update({name: "https://w3id.org/xapi/adl/verbs/" + name for name in ["abandoned", "waived", "satisfied"]})
SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


class Server:
    def __init__(self, url):
        self.url = url

    def call(self, method, path, token=None, body=None, headers=None, raw=None, basic=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        all_headers = dict(headers or {})
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        if token:
            all_headers["Authorization"] = "Bearer " + token
        if basic:
            all_headers["Authorization"] = basic
            all_headers["X-Experience-API-Version"] = "1.0.3"
        request = urllib.request.Request(path if path.startswith("http") else self.url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request) as response:
                text = response.read()
                return response.status, json.loads(text) if text and text[:1] in b"{[" else text
        except urllib.error.HTTPError as error:
            text = error.read()
            return error.code, json.loads(text) if text and text[:1] in b"{[" else text

    def login(self, who):
        status, answer = self.call("POST", "/api/v1/auth/login", body={"email": f"{who}@karmayogi.example.org", "password": PASSWORD})
        assert status == 200, f"sign-in of {who}: {status} {answer}"
        return answer["accessToken"]

    def upload(self, token, course, name, data):
        boundary = "----karmayogi" + uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.call("POST", f"/api/v1/courses/{course}/packages", token, raw=body,
                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def structure(xml):
    """The course's id and its AUs (id, url, moveOn, masteryScore, and the ids of the blocks around each)."""
    root = ET.fromstring(xml)
    course = root.find(NS + "course").get("id")
    aus = []

    def walk(element, blocks):
        for child in element:
            if child.tag == NS + "au":
                aus.append({"id": child.get("id"), "url": (child.find(NS + "url").text or "").strip(), "moveOn": child.get("moveOn", "NotApplicable"),
                            "masteryScore": float(child.get("masteryScore")) if child.get("masteryScore") else None, "blocks": blocks})
            elif child.tag == NS + "block":
                walk(child, blocks + [child.get("id")])

    walk(root, [])
    return course, aus


def package_for(path):
    """The bytes to import and the cmi5.xml they hold; a structure-only cmi5.xml with relative AUs becomes a ZIP."""
    data = open(path, "rb").read()
    if data[:2] == b"PK":
        return os.path.basename(path), data, zipfile.ZipFile(io.BytesIO(data)).read("cmi5.xml")
    course, aus = structure(data)
    relative = sorted({urllib.parse.urlsplit(au["url"]).path for au in aus if "://" not in au["url"]})
    if not relative:
        return os.path.basename(path), data, data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cmi5.xml", data)
        for file in relative:
            archive.writestr(file, "<!doctype html><title>AU</title><p>Placeholder: the simulator is the AU.</p>")
    return os.path.basename(path) + ".zip", buffer.getvalue(), data


def valid_fixtures(folder):
    names = []
    for row in csv.DictReader(open(os.path.join(folder, "EXPECTED.csv"))):
        if row["expected"].startswith("valid"):
            names += sorted(glob.glob(os.path.join(folder, row["file"])))
    return names


class AU:
    """One session of an AU, as the AU sees it."""

    def __init__(self, server, launch):
        self.server = server
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(launch["url"]).query))
        self.parameters = query
        self.actor = json.loads(query["actor"])
        self.registration = query["registration"]
        self.activity = query["activityId"]
        self.session = None
        self.auth = None

    def fetch(self):
        return self.server.call("POST", self.parameters["fetch"])

    def start(self):
        status, answer = self.fetch()
        self.auth = "Basic " + answer["auth-token"] if status == 200 and "auth-token" in answer else None
        again = self.fetch()
        agent = urllib.parse.quote(json.dumps(self.actor))
        status, data = self.server.call("GET", f"/xapi/activities/state?activityId={urllib.parse.quote(self.activity)}&agent={agent}"
                                               f"&registration={self.registration}&stateId=LMS.LaunchData", basic=self.auth)
        self.session = data.get("contextTemplate", {}).get("extensions", {}).get(SESSION) if status == 200 else None
        self.launch_data = data if status == 200 else {}
        return again

    def send(self, verb, score=None, completion=None):
        context = {"registration": self.registration, "extensions": {SESSION: self.session},
                   "contextActivities": {"category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}]}}
        statement = {"id": str(uuid.uuid4()), "actor": self.actor, "verb": {"id": V[verb], "display": {"en-US": verb}},
                     "object": {"objectType": "Activity", "id": self.activity}, "context": context,
                     "timestamp": "2026-12-07T10:00:00.000Z"}
        result = {}
        if score is not None:
            result.update({"score": {"scaled": score}, "success": verb == "passed"})
        if completion:
            result["completion"] = True
        if verb in ("completed", "passed", "failed", "terminated"):
            result["duration"] = "PT1M"
        if result:
            statement["result"] = result
        return self.server.call("POST", "/xapi/statements", body=statement, basic=self.auth)[0]


def run(server, fixtures):
    creator, reviewer, publisher = (server.login(f"{role}.lbsnaa") for role in ("creator", "reviewer", "publisher"))
    learner = server.login("learner")
    admin = server.login("admin")
    provider = server.call("GET", "/api/v1/me", creator)[1]["organisationId"]
    status, issued = server.call("POST", f"/api/v1/orgs/{provider}/xapi-credentials", admin, {"name": "cmi5 simulator"})
    lms_reader = "Basic " + base64.b64encode(f"{issued['key']}:{issued['secret']}".encode()).decode()
    competency = server.call("GET", "/api/v1/competencies?q=Office", creator)[1]["items"][0]["id"]
    abandon_done = False

    for path in valid_fixtures(fixtures):
        name, data, xml = package_for(path)
        course_iri, aus = structure(xml)
        label = os.path.relpath(path, fixtures)
        body = {"title": f"cmi5: {label}"[:200], "summary": "A cmi5 course from the CATAPULT fixtures.", "description": label,
                "keywords": ["cmi5"], "language": "en", "providerId": provider, "durationMinutes": 30,
                "competencies": [{"competencyId": competency, "level": 1}],
                "modules": [{"title": "Placeholder", "items": [{"title": "Intro", "kind": "offline", "durationMinutes": 1, "required": True}]}]}
        status, course = server.call("POST", "/api/v1/courses", creator, body)
        check(status == 201, f"{label}: a course is drafted")
        status, package = server.upload(creator, course["id"], name, data)
        check(status == 201 and len(package.get("activities", [])) == len(aus), f"{label}: imported, {len(aus)} AUs found")
        if status != 201:
            continue
        chosen = aus if len(aus) <= 50 else [aus[0], aus[len(aus) // 2], aus[-1]]
        by_id = {activity["identifier"]: activity["reference"] for activity in package["activities"]}
        body["modules"] = [{"title": "AUs", "items": [{"title": au["id"][-120:], "kind": "cmi5", "durationMinutes": 5, "required": True,
                                                       "url": by_id[au["id"]]} for au in chosen]}]
        status, saved = server.call("PUT", f"/api/v1/courses/{course['id']}", creator, body)
        check(status == 200, f"{label}: a cmi5 item for each AU launched")
        for token, action in ((creator, "submit"), (reviewer, "approve"), (publisher, "publish")):
            server.call("POST", f"/api/v1/courses/{course['id']}/{action}", token)
        server.call("POST", f"/api/v1/courses/{course['id']}/enrol", learner)
        items = [item["id"] for item in saved["modules"][0]["items"]]
        registration = None
        for au, item in zip(chosen, items):
            what = f"{label} · {au['id'].rsplit('/', 1)[-1]}"
            if not abandon_done:
                # A session left open: launched, initialized, then the AU is launched again.
                status, first = server.call("POST", f"/api/v1/courses/{course['id']}/items/{item}/launch", learner)
                left = AU(server, first)
                left.start()
                left.send("initialized")
            status, launch = server.call("POST", f"/api/v1/courses/{course['id']}/items/{item}/launch", learner)
            check(status == 201 and launch.get("kind") == "cmi5", f"{what}: launched")
            session = AU(server, launch)
            registration = session.registration
            check(all(session.parameters.get(key) for key in ("endpoint", "fetch", "actor", "registration", "activityId"))
                  and session.activity == au["id"], f"{what}: the launch URL has endpoint, fetch, actor, registration and activityId")
            again = session.start()
            check(session.auth is not None, f"{what}: the fetch URL gives an auth token")
            check(again[1].get("error-code") == "1" and "auth-token" not in again[1], f"{what}: a second fetch is refused with error-code 1")
            check(session.session == launch.get("sessionId") and session.launch_data.get("moveOn") == au["moveOn"],
                  f"{what}: LMS.LaunchData holds the session id and moveOn {au['moveOn']}")
            if not abandon_done:
                check(left.send("completed", completion=True) == 403, f"{what}: the abandoned session's statements are refused")
                status, found = server.call("GET", f"/xapi/statements?verb={V['abandoned']}&registration={session.registration}", basic=lms_reader)
                check(any(s["context"]["extensions"].get(SESSION) == left.session for s in found.get("statements", [])),
                      f"{what}: the LMS wrote abandoned for the session left open")
                abandon_done = True
            check(session.send("completed", completion=True) == 403, f"{what}: nothing before initialized")
            check(session.send("initialized") == 200, f"{what}: initialized")
            score = max(au["masteryScore"] or 0.8, 0.8)
            if au["moveOn"] in ("Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"):
                check(session.send("completed", completion=True) == 200, f"{what}: completed")
            if au["moveOn"] in ("Passed", "CompletedAndPassed"):
                if au["masteryScore"]:
                    check(session.send("passed", score=au["masteryScore"] - 0.05) == 403, f"{what}: passed below the mastery score is refused")
                check(session.send("passed", score=score) == 200, f"{what}: passed at {score}")
            check(session.send("terminated") == 200, f"{what}: terminated")
            check(session.send("completed", completion=True) == 403, f"{what}: nothing after terminated")
        def count(verb, activity=None):
            found, path = 0, f"/xapi/statements?verb={urllib.parse.quote(V[verb])}&registration={registration}&limit=0"
            if activity:
                path += "&activity=" + urllib.parse.quote(activity, safe="")
            while path:
                status, page = server.call("GET", path, basic=lms_reader)
                found += len(page.get("statements", [])) if status == 200 else 0
                path = page.get("more") if status == 200 else None
            return found
        check(count("launched") >= len(chosen), f"{label}: the LMS wrote launched for every session")
        waived = sum(1 for au in aus if au["moveOn"] == "NotApplicable")
        check(count("waived") == waived, f"{label}: the LMS waived the {waived} NotApplicable AU(s)")
        launched_ids = {au["id"] for au in chosen}
        met = all(au["id"] in launched_ids or au["moveOn"] == "NotApplicable" for au in aus)
        check((count("satisfied", course_iri) == 1) == met, f"{label}: the course is satisfied" if met else f"{label}: not satisfied while AUs are left")
        blocks = {block for au in aus for block in au["blocks"]}
        if met:
            check(count("satisfied") == 1 + len(blocks), f"{label}: each of its {len(blocks)} block(s) is satisfied too")
        mine = [e for e in server.call("GET", "/api/v1/me/enrolments?limit=100", learner)[1]["items"] if e["courseId"] == course["id"]]
        check(bool(mine) and mine[0]["status"] == "completed", f"{label}: every item met its moveOn, so the enrolment is completed")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--fixtures", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "fixtures", "cmi5"))
    arguments = parser.parse_args()
    run(Server(arguments.url.rstrip("/")), os.path.normpath(arguments.fixtures))
    print(f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
