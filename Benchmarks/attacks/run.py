#!/usr/bin/env python3
"""The hostile user's attacks of issue 13, against a server started as a newcomer would (`karmayogi serve`, SQLite,
demo world), each printed with what the server answered. Run: Benchmarks/attacks/run.py [binary] (default: the release
build). Exits non-zero when an answer is not the one the platform promises; the server is stopped at the end."""
import concurrent.futures as futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/release/karmayogi")
PORT = int(os.environ.get("PORT", "8093"))
URL = f"http://127.0.0.1:{PORT}"
PASSWORD = "Karmayogi@2026"
failures = []


def call(method, path, body=None, token=None, headers=None, raw=None, redirects=False):
    request = urllib.request.Request(URL + path, method=method, data=raw if raw is not None else
                                     (json.dumps(body).encode() if body is not None else None))
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    opener = urllib.request.build_opener() if redirects else urllib.request.build_opener(NoRedirect())
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check(what, ok, seen):
    print(("ok   " if ok else "FAIL ") + what + ": " + seen)
    if not ok:
        failures.append(what)


def login(email):
    status, _, body = call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    return json.loads(body)["accessToken"]


def main():
    work = tempfile.mkdtemp(prefix="karmayogi-attacks.")
    env = dict(os.environ, SQLITE_PATH=os.path.join(work, "k.sqlite"), CONTENT_DIR=os.path.join(work, "content"), PORT=str(PORT))
    server = subprocess.Popen([BINARY, "serve"], env=env, stdout=open(os.path.join(work, "server.log"), "w"), stderr=subprocess.STDOUT)
    try:
        for _ in range(240):
            try:
                if call("GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        attack(server)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work)
    print(f"{len(failures)} failed" if failures else "every attack was answered as promised")
    sys.exit(1 if failures else 0)


def attack(server):
    admin = login("admin@karmayogi.example.org")
    mdo = login("mdo.mha@karmayogi.example.org")
    learner = login("learner@karmayogi.example.org")  # before the throttle below slows this account from this address
    killer = b"--X\r\n\xc3\xa9: y\r\n\r\nz\r\n--X--\r\n"
    form = {"Content-Type": "multipart/form-data; boundary=X"}
    status, _, body = call("POST", "/login", raw=killer, headers=form)
    check("1. multipart header byte >= 0x80 to /login", status == 400 and server.poll() is None, f"{status} {body[:90]!r}")
    _, _, me = call("GET", "/api/v1/me", token=mdo)
    organisation = json.loads(me)["organisationId"]
    status, _, body = call("POST", f"/api/v1/orgs/{organisation}/users/bulk", raw=killer, headers=form, token=mdo)
    check("1. the same to a bulk upload", status == 400 and call("GET", "/health")[0] == 200, f"{status}, /health still 200")

    for target in ["//evil.example", "/\\evil.example", "/%0d%0aSet-Cookie:x=1", "https://evil.example", "/\t/evil.example"]:
        next_query = "/login?next=" + urllib.request.quote(target, safe="")
        _, page_headers, page = call("GET", next_query)
        cookie = "; ".join(value.split(";")[0] for value in page_headers.get_all("Set-Cookie") or [])
        csrf = page.decode().split('name="csrf" value="')[1].split('"')[0]
        status, headers, _ = call("POST", next_query, raw=urllib.parse.urlencode(
            {"csrf": csrf, "email": "learner@karmayogi.example.org", "password": PASSWORD, "next": target}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        location = headers.get("Location") or ""
        check(f"2. sign-in with next={target!r}", location in ("", "/") or (location.startswith("/") and not location.startswith("//") and "evil" not in location),
              f"{status} Location: {location!r}")

    _, _, listing = call("GET", "/api/v1/orgs?limit=200", token=admin)
    status, _, body = call("PATCH", f"/api/v1/users/{json.loads(me)['id']}", {"status": "disabled"}, token=mdo)
    check("3. an MDO admin disables themselves", status in (403, 422), f"{status} {body[:100]!r}")
    status, _, body = call("PATCH", f"/api/v1/users/{json.loads(me)['id']}", {"roles": ["national_admin"]}, token=mdo)
    check("3. an MDO admin grants themselves national admin", status == 403, f"{status} {body[:100]!r}")

    status, _, body = call("POST", "/api/v1/auth/login", {"email": "learner@karmayogi.example.org", "password": PASSWORD},
                           token="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad")
    check("7. a stale bearer token on /auth/login", status == 200, str(status))
    status, _, _ = call("GET", "/api/v1/courses", token="stale")
    check("7. a stale bearer token on the catalogue", status == 200, str(status))

    for attempt in range(5):
        call("POST", "/api/v1/auth/login", {"email": "learner@karmayogi.example.org", "password": "wrong password 1"})
    status, headers, _ = call("POST", "/api/v1/auth/login", {"email": "learner@karmayogi.example.org", "password": PASSWORD})
    check("6. the right password after five wrong ones, same address", status == 429 and headers.get("Retry-After") is not None, f"{status} Retry-After: {headers.get('Retry-After')}")

    status, _, body = call("POST", f"/api/v1/orgs/{organisation}/users", {"name": "Asha", "email": "asha.weak@example.org", "password": "password1234"}, token=mdo)
    check("8. a common password", status == 422 and b"password" in body, f"{status} {body[:140]!r}")
    status, _, body = call("POST", f"/api/v1/orgs/{organisation}/users", {"name": "Asha", "email": "asha.pad@example.org", "password": "   short1!   "}, token=mdo)
    check("8. a short password padded with spaces", status == 422, f"{status}")

    others = [o for o in json.loads(listing)["items"] if o["id"] != organisation and not o.get("parentId")]
    hidden = others[0]["id"]
    answers = [call("GET", f"/api/v1/insights/summary?scope=org:{who}", token=mdo)[::2] for who in (hidden, "00000000-0000-4000-8000-000000000000")]
    check("9. a dashboard of an organisation out of reach, and of none", answers[0] == answers[1], f"{answers[0][0]} / {answers[1][0]}, same body: {answers[0][1] == answers[1][1]}")

    status, _, body = call("POST", "/api/v1/auth/login", raw=b'{"email": "' + b"a" * 1_100_000 + b'"}', headers={"Content-Type": "application/json"})
    check("12. a body over 1 MB", status == 413 and b"1 MB" in body, f"{status} {body[:120]!r}")
    for flag in ("--help", "--version"):
        before = set(os.listdir("."))
        result = subprocess.run([BINARY, flag], capture_output=True, text=True, cwd=tempfile.gettempdir())
        check(f"12. karmayogi {flag} opens no database", result.returncode == 0 and not os.path.exists(os.path.join(tempfile.gettempdir(), "karmayogi.sqlite")),
              result.stdout.strip().splitlines()[0] if result.stdout.strip() else "")

    # 5. Twenty parallel uploads to one organisation, half of one sheet, half of sheets of their own.
    csv = lambda group: ("name,email,designation\n" + "\n".join(f"Person {i},p{i}.{group}@attack.example.org,Section Officer" for i in range(25))).encode()
    sheets = [csv("same") if i < 10 else csv(f"own{i}") for i in range(20)]
    with futures.ThreadPoolExecutor(20) as pool:
        accepted = list(pool.map(lambda sheet: call("POST", f"/api/v1/orgs/{organisation}/users/bulk", raw=sheet,
                                                    headers={"Content-Type": "text/csv"}, token=mdo), sheets))
    finals = []
    for status, headers, body in accepted:
        if status != 202:
            check("5. an upload accepted", False, f"{status} {body[:120]!r}")
            return
        location = headers.get("Location")
        for _ in range(600):
            state = json.loads(call("GET", location, token=mdo)[2])
            if state["status"] in ("completed", "failed"):
                break
            time.sleep(0.1)
        finals.append(state)
    created = sum(final["created"] for final in finals)
    check("5. twenty parallel uploads", all(f["status"] == "completed" for f in finals) and created == 25 * 11,
          f"{sum(f['status'] == 'completed' for f in finals)} of 20 completed, {created} people made (275 expected)")

    # 4. Sixty parallel starts of one assessment by one learner.
    catalogue = json.loads(call("GET", "/api/v1/courses?kind=assessment&limit=20", token=learner)[2])["items"]
    course = json.loads(call("GET", f"/api/v1/courses/{catalogue[0]['id']}", token=learner)[2])
    assessment = next(item["id"] for module in course["modules"] for item in module["items"] if item["kind"] == "assessment")
    call("POST", f"/api/v1/courses/{course['id']}/enrol", token=learner)
    with futures.ThreadPoolExecutor(60) as pool:
        starts = list(pool.map(lambda _: call("POST", f"/api/v1/assessments/{assessment}/attempts", token=learner), range(60)))
    ids = {json.loads(body)["id"] for status, _, body in starts if status in (200, 201)}
    check("4. sixty parallel attempt starts", len(ids) == 1 and all(s in (200, 201) for s, _, _ in starts),
          f"{len(ids)} attempt(s), answers {sorted({s for s, _, _ in starts})}")
    check("the server lived through it all", server.poll() is None and call("GET", "/health")[0] == 200, "/health 200")


if __name__ == "__main__":
    main()
