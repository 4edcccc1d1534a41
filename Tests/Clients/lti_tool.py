#!/usr/bin/env python3
"""pylti1p3 as an LTI 1.3 tool against Karmayogi as the platform.

A small tool (an HTTP server on loopback, built with pylti1p3's OIDCLogin and MessageLaunch) is registered by the demo
national admin with its login and launch URLs and its JWKS address. A course with an `lti` item for it is published
and a learner enrols. Then this script is the learner's browser: it opens the item's launch (the tool's login
initiation), follows the tool's redirect to /lti/authorize, and posts the platform's id_token form to the tool. The
tool validates the launch with pylti1p3 (our key set, nonce, state, deployment, message), posts a score through
Assignment and Grade Services and reads the members through Names and Role Provisioning; the platform must then show
the item and the course complete. Replays are refused: the same authentication request twice, and a client
assertion whose jti was used.

    python3 Tests/Clients/lti_tool.py --url http://127.0.0.1:8080

Exit status 0 only when every check passed.
"""
import argparse
import datetime
import html
import html.parser
import http.server
import json
import sys
import threading
import time
import urllib.parse
import uuid

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.cookie import CookieService
from pylti1p3.grade import Grade
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfDict

PASSWORD = "Karmayogi@2026"
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


# The tool's side: pylti1p3 with a request, cookies, a session and redirects of this little server.
SESSION = {}
TOOL = {"conf": None, "outcome": None}


class ToolRequest(Request):
    def __init__(self, params, cookies):
        self.params, self.cookies = params, cookies

    @property
    def session(self):
        return SESSION

    def is_secure(self):
        return False

    def get_param(self, key):
        return self.params.get(key)


class ToolCookies(CookieService):
    def __init__(self, request):
        self.request, self.sent = request, {}

    def get_cookie(self, name):
        return self.request.cookies.get(self._cookie_prefix + "-" + name)

    def set_cookie(self, name, value, exp=3600):
        self.sent[self._cookie_prefix + "-" + name] = str(value)


class ToolRedirect(Redirect):
    def __init__(self, location):
        self.location = location

    def do_redirect(self):
        return self.location

    do_js_redirect = do_redirect

    def set_redirect_url(self, location):
        self.location = location

    def get_redirect_url(self):
        return self.location


class ToolLogin(OIDCLogin):
    def get_redirect(self, url):
        return ToolRedirect(url)


class ToolLaunch(MessageLaunch):
    def _get_request_param(self, key):
        return self._request.get_param(key)


class ToolHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def request_of(self):
        url = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(url.query))
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            params.update(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        cookies = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            if "=" in part:
                name, value = part.strip().split("=", 1)
                cookies[name] = value
        return url.path, ToolRequest(params, cookies)

    def answer(self, status, body=b"", headers=None, cookies=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        for name, value in (cookies or {}).items():
            self.send_header("Set-Cookie", f"{name}={value}; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path, request = self.request_of()
        if path == "/jwks":
            return self.answer(200, json.dumps(TOOL["conf"].get_jwks()).encode(), {"Content-Type": "application/json"})
        if path == "/login":
            return self.login(request)
        self.answer(404)

    def do_POST(self):
        path, request = self.request_of()
        if path == "/login":
            return self.login(request)
        if path == "/launch":
            return self.launch(request)
        self.answer(404)

    def login(self, request):
        cookies = ToolCookies(request)
        login = ToolLogin(request, TOOL["conf"], SessionService(request), cookies)
        try:
            location = login.redirect(request.get_param("target_link_uri"))
        except Exception as error:  # noqa: BLE001 - the tool answers what pylti1p3 refused
            return self.answer(400, f"login refused: {error}".encode())
        self.answer(302, headers={"Location": location}, cookies=cookies.sent)

    def launch(self, request):
        cookies = ToolCookies(request)
        outcome = {}
        try:
            launch = ToolLaunch(request, TOOL["conf"], session_service=SessionService(request), cookie_service=cookies)
            data = launch.get_launch_data()
            outcome["claims"] = data
            outcome["resource"] = launch.is_resource_launch()
            ags = launch.get_ags()
            now = datetime.datetime.now(datetime.timezone.utc).isoformat()
            grade = (Grade().set_score_given(9).set_score_maximum(10).set_timestamp(now).set_activity_progress("Completed")
                     .set_grading_progress("FullyGraded").set_user_id(data["sub"]).set_comment("Well drafted"))
            outcome["score"] = ags.put_grade(grade)["body"]
            outcome["lineitems"] = ags.get_lineitems()
            outcome["grades"] = ags.get_grades()
            outcome["members"] = launch.get_nrps().get_members()
        except Exception as error:  # noqa: BLE001 - reported as the launch's outcome
            outcome["error"] = f"{type(error).__name__}: {error}"
        TOOL["outcome"] = outcome
        status = 200 if "error" not in outcome else 400
        if "text/html" in (self.headers.get("Accept") or ""):
            # A browser in the portal's frame sees what the tool did.
            said = "Score sent: 9 / 10. Members: %d." % len(outcome.get("members", [])) if status == 200 else outcome["error"]
            page = f"<!doctype html><meta charset=utf-8><title>Drafting quiz</title><h1>Drafting quiz (pylti1p3)</h1><p>{html.escape(said)}</p>"
            return self.answer(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        self.answer(status, json.dumps(outcome, default=str).encode(), {"Content-Type": "application/json"})


class FormReader(html.parser.HTMLParser):
    """The form of the platform's form_post page: its action and fields."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "form":
            self.action = attributes.get("action")
        if tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value", "")


def run(url, hold=0):
    api = requests.Session()

    def call(method, path, token=None, body=None):
        response = api.request(method, url + path, json=body, headers={"Authorization": f"Bearer {token}"} if token else {})
        return response.status_code, (response.json() if response.content[:1] in (b"{", b"[") else response.text)

    def login(who):
        return call("POST", "/api/v1/auth/login", body={"email": f"{who}@karmayogi.example.org", "password": PASSWORD})[1]["accessToken"]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ToolHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tool_url = f"http://127.0.0.1:{server.server_address[1]}"

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    admin, creator, reviewer, publisher, learner = (login(who) for who in ("admin", "creator.lbsnaa", "reviewer.lbsnaa", "publisher.lbsnaa", "learner"))
    provider = call("GET", "/api/v1/me", creator)[1]["organisationId"]
    status, tool = call("POST", f"/api/v1/orgs/{provider}/lti-tools", admin,
                        {"name": "pylti1p3 drafting quiz", "loginUrl": tool_url + "/login", "launchUrl": tool_url + "/launch", "jwksUrl": tool_url + "/jwks"})
    check(status == 201, f"the national admin registers the tool ({status})")
    if status != 201:
        print(tool)
        return
    platform = tool["platform"]
    conf = ToolConfDict({platform["issuer"]: [{
        "default": True, "client_id": tool["clientId"], "auth_login_url": platform["authorizationUrl"], "auth_token_url": platform["tokenUrl"],
        "auth_audience": None, "key_set_url": platform["jwksUrl"], "key_set": None, "deployment_ids": [tool["deploymentId"]],
    }]})
    conf.set_private_key(platform["issuer"], private_pem, client_id=tool["clientId"])
    conf.set_public_key(platform["issuer"], public_pem, client_id=tool["clientId"])
    TOOL["conf"] = conf

    competency = call("GET", "/api/v1/competencies?q=Office", creator)[1]["items"][0]["id"]
    status, course = call("POST", "/api/v1/courses", creator, {
        "title": "Drafting practice with an LTI tool", "summary": "A quiz in another system, launched with LTI 1.3.", "description": "pylti1p3",
        "keywords": ["lti"], "language": "en", "providerId": provider, "durationMinutes": 30, "competencies": [{"competencyId": competency, "level": 1}],
        "modules": [{"title": "Practice", "items": [{"title": "Drafting quiz", "kind": "lti", "durationMinutes": 20, "required": True,
                                                     "url": "lti:" + tool["id"]}]}]})
    check(status == 201, f"a course with an lti item is drafted ({status})")
    for token, action in ((creator, "submit"), (reviewer, "approve"), (publisher, "publish")):
        call("POST", f"/api/v1/courses/{course['id']}/{action}", token)
    call("POST", f"/api/v1/courses/{course['id']}/enrol", learner)
    item = course["modules"][0]["items"][0]["id"]

    # The learner's browser: the launch, the tool's login, our authentication answer, the post to the tool.
    status, launch = call("POST", f"/api/v1/courses/{course['id']}/items/{item}/launch", learner)
    check(status == 201 and launch["kind"] == "lti" and launch["url"].startswith(tool_url + "/login?"), "the item's launch is the tool's login initiation")
    browser = requests.Session()
    at_tool = browser.get(launch["url"], allow_redirects=False)
    authorize = at_tool.headers.get("Location", "")
    check(at_tool.status_code == 302 and authorize.startswith(platform["authorizationUrl"]), f"pylti1p3 sends the browser to /lti/authorize ({at_tool.status_code} {at_tool.text[:200]})")
    answered = browser.get(authorize, allow_redirects=False)
    form = FormReader()
    form.feed(answered.text)
    check(answered.status_code == 200 and form.action == tool_url + "/launch" and "id_token" in form.fields, "the platform answers a form posting the id_token to the launch URL")
    check(browser.get(authorize, allow_redirects=False).status_code == 400, "the same authentication request a second time is refused")
    posted = browser.post(form.action, data=form.fields)
    outcome = TOOL["outcome"] or {}
    check(posted.status_code == 200 and "error" not in outcome, f"pylti1p3 validates the launch, scores and reads members ({outcome.get('error')})")
    claims = outcome.get("claims", {})
    check(outcome.get("resource") is True and claims.get("https://purl.imsglobal.org/spec/lti/claim/resource_link", {}).get("id") == item.lower(),
          "the launch is a resource link request for the item")
    check(any(line.get("resourceLinkId") == item.lower() for line in outcome.get("lineitems", [])), "the item's line item is listed")
    grades = outcome.get("grades", [])
    check(len(grades) == 1 and grades[0].get("resultScore") == 90 and grades[0].get("userId") == claims.get("sub"), f"the result reads back ({grades})")
    check([member.get("user_id") for member in outcome.get("members", [])] == [claims.get("sub")], "the members are the course's learners")

    progress = call("GET", f"/api/v1/me/enrolments/{course['id']}/progress", learner)[1]
    state = next((entry for entry in progress.get("items", []) if entry["itemId"] == item), {})
    check(state.get("status") == 2, "the tool's score completes the item")
    mine = [entry for entry in call("GET", "/api/v1/me/enrolments?limit=100", learner)[1]["items"] if entry["courseId"] == course["id"]]
    check(bool(mine) and mine[0]["status"] == "completed", "and the course")

    # A client assertion's jti is good once.
    assertion = jwt.encode({"iss": tool["clientId"], "sub": tool["clientId"], "aud": platform["tokenUrl"], "iat": int(time.time()) - 5,
                            "exp": int(time.time()) + 60, "jti": str(uuid.uuid4())}, private_pem, algorithm="RS256",
                           headers={"kid": conf.get_jwks()["keys"][0]["kid"]})
    form_body = {"grant_type": "client_credentials", "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                 "client_assertion": assertion, "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score"}
    first, second = requests.post(platform["tokenUrl"], data=form_body), requests.post(platform["tokenUrl"], data=form_body)
    check(first.status_code == 200 and second.status_code == 400 and second.json().get("error") == "invalid_grant", "a reused client assertion is refused")
    if hold:
        # Left running for a look in a browser: the course, its item and the learner's account.
        print(f"tool at {tool_url}; play at {url}/learn/{course['id']}/play/{item} as learner@karmayogi.example.org", flush=True)
        time.sleep(hold)
    server.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--hold", type=int, default=0, help="seconds to keep the tool up after the checks, to play the item in a browser")
    arguments = parser.parse_args()
    run(arguments.url.rstrip("/"), arguments.hold)
    print(f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
