#!/usr/bin/env python3
"""Sets up Benchmarks/lrs on a running server: an LRS key for the national admin's organisation, a published course
of one SCORM item (Golf Explained, SCORM 1.2) with a launch for each generated learner, and the statements wrk sends.
Writes a Lua table for Benchmarks/lrs.lua. With --fill N it instead posts statements (batches of 500, 4 at a time)
until the LRS holds N, showing progress."""
import argparse, base64, concurrent.futures, http.cookiejar, json, os, random, re, sys, time, urllib.parse, urllib.request, uuid

VERBS = ["http://adlnet.gov/expapi/verbs/" + v for v in ("experienced", "attempted", "answered", "completed", "passed", "failed", "progressed")]


def call(base, method, path, token=None, body=None, raw=None, headers=None, opener=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    all_headers = dict(headers or {})
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    if token:
        all_headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    with (opener or urllib.request.build_opener()).open(request) as response:
        text = response.read()
        return json.loads(text) if text[:1] in b"{[" else text.decode()


def statement(rng, learners, activities):
    learner = rng.randrange(learners)
    return {"actor": {"objectType": "Agent", "account": {"homePage": "https://igotkarmayogi.gov.in", "name": f"learner-{learner}"}},
            "verb": {"id": rng.choice(VERBS)},
            "object": {"objectType": "Activity", "id": f"https://content.example.gov.in/course/{rng.randrange(activities)}"},
            "result": {"score": {"scaled": round(rng.random(), 2)}, "duration": "PT%dS" % rng.randrange(1, 600)},
            "context": {"registration": str(uuid.UUID(int=learner * 7919 + 1)), "platform": "Karmayogi benchmark"}}


def fill(base, auth, target):
    headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    count = lambda: 0
    done, started = 0, time.time()
    rng = random.Random(7)

    def post(seed):
        local = random.Random(seed)
        body = json.dumps([statement(local, 10_000, 2_000) for _ in range(500)]).encode()
        call(base, "POST", "/xapi/statements", raw=body, headers=headers)
        return 500

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        while done < target:
            done += sum(pool.map(post, [rng.random() for _ in range(8)]))
            rate = done / (time.time() - started)
            print(f"\r  {done:,} of {target:,} statements stored ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def setup(base, admin_email, password, manifest_path, fixtures):
    admin = call(base, "POST", "/api/v1/auth/login", body={"email": admin_email, "password": password})["accessToken"]
    me = call(base, "GET", "/api/v1/me", admin)
    issued = call(base, "POST", f"/api/v1/orgs/{me['organisationId']}/xapi-credentials", admin, {"name": "benchmark"})
    auth = "Basic " + base64.b64encode(f"{issued['key']}:{issued['secret']}".encode()).decode()
    competency = call(base, "GET", "/api/v1/competencies?q=Office", admin)["items"][0]["id"]
    body = {"title": "Golf explained (benchmark)", "summary": "A SCORM course.", "description": "Benchmark.", "keywords": ["golf"],
            "language": "en", "providerId": me["organisationId"], "durationMinutes": 30, "competencies": [{"competencyId": competency, "level": 1}],
            "modules": [{"title": "Golf", "items": [{"title": "Intro", "kind": "offline", "durationMinutes": 1, "required": False}]}]}
    course = call(base, "POST", "/api/v1/courses", admin, body)["id"]
    boundary = "----bench" + uuid.uuid4().hex
    package = open(os.path.join(fixtures, "scorm", "scorm12", "RuntimeBasicCalls_SCORM12.zip"), "rb").read()
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"golf.zip\"\r\nContent-Type: application/zip\r\n\r\n").encode() \
        + package + f"\r\n--{boundary}--\r\n".encode()
    imported = call(base, "POST", f"/api/v1/courses/{course}/packages", admin, raw=form, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    body["modules"] = [{"title": "Golf", "items": [{"title": "Golf", "kind": "scorm", "durationMinutes": 20, "required": True,
                                                     "url": imported["activities"][0]["reference"]}]}]
    saved = call(base, "PUT", f"/api/v1/courses/{course}", admin, body)
    item = saved["modules"][0]["items"][0]["id"]
    for action in ("submit", "approve", "publish"):
        call(base, "POST", f"/api/v1/courses/{course}/{action}", admin)
    manifest = json.load(open(manifest_path))
    tokens = []
    for email in manifest["emails"][:32]:
        learner = call(base, "POST", "/api/v1/auth/login", body={"email": email, "password": manifest["password"]})["accessToken"]
        call(base, "POST", f"/api/v1/courses/{course}/enrol", learner)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = call(base, "GET", "/login", opener=opener)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"email": email, "password": manifest["password"], "csrf": csrf, "next": "/"}).encode()
        call(base, "POST", "/login", raw=form, headers={"Content-Type": "application/x-www-form-urlencoded"}, opener=opener)
        player = call(base, "GET", f"/learn/{course}/play/{item}", opener=opener)
        tokens.append(re.search(r'/scorm/([A-Za-z0-9_-]+)/', player).group(1))
    rng = random.Random(11)
    bodies = [json.dumps([statement(rng, 10_000, 2_000) for _ in range(50)]) for _ in range(64)]
    queries = []
    for _ in range(200):
        kind = rng.randrange(4)
        if kind == 0:
            agent = json.dumps({"account": {"homePage": "https://igotkarmayogi.gov.in", "name": f"learner-{rng.randrange(10_000)}"}})
            queries.append("/xapi/statements?limit=25&agent=" + urllib.parse.quote(agent))
        elif kind == 1:
            queries.append(f"/xapi/statements?limit=25&activity=https://content.example.gov.in/course/{rng.randrange(2_000)}&verb={rng.choice(VERBS)}")
        elif kind == 2:
            queries.append(f"/xapi/statements?limit=25&registration={uuid.UUID(int=rng.randrange(10_000) * 7919 + 1)}")
        else:
            queries.append(f"/xapi/statements?limit=25&verb={rng.choice(VERBS)}&since=2026-01-01T00:00:00Z")
    lua = lambda items: "{" + ",".join("[==[" + x + "]==]" for x in items) + "}"
    print(f"return {{auth = [==[{auth}]==], bodies = {lua(bodies)}, queries = {lua(queries)}, scorm = {lua(tokens)}}}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--admin", default="bench-admin@example.org")
    parser.add_argument("--password", default="Bench@Password-2026")
    parser.add_argument("--manifest")
    parser.add_argument("--fixtures", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "fixtures"))
    parser.add_argument("--fill", type=int)
    parser.add_argument("--auth")
    arguments = parser.parse_args()
    if arguments.fill:
        fill(arguments.url, arguments.auth, arguments.fill)
    else:
        setup(arguments.url, arguments.admin, arguments.password, arguments.manifest, arguments.fixtures)
