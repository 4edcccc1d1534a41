#!/usr/bin/env python3
"""The failover drill (issue 17), run by Benchmarks/failover on the cluster Deploy/cluster starts.

Clients send steady progress updates (a key of their own each, one second spent) and self-enrolments through haproxy,
retrying whatever is not acknowledged (a 503, a 502, a lost connection) with the same key until it is. Meanwhile the
drill (a) kills -9 the primary PostgreSQL node, (d) starts it again and waits for it to rejoin as a replica, (b) cuts the
new primary off the network and mends it, (c) kills -9 an app node and starts it again. For each: the longest time
without an acknowledged write, how many requests failed and were retried, and any other answer (a wrong one: must be
none). Afterwards every acknowledged write is read back through the API (lost must be 0) and nothing is counted twice.
"""
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter

CLUSTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Deploy", "cluster")
HOST, PORT = "10.77.0.20", 8080
RETRYABLE = {502, 503, 504}
RUN = f"{time.time():.0f}"


def shell(command):
    return subprocess.run(["bash", "-c", f"source {CLUSTER}; {command}"], capture_output=True, text=True, check=True).stdout.strip()


def api(method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://{HOST}:{PORT}{path}", method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    for attempt in range(100):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code not in RETRYABLE:
                raise
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{method} {path}: no answer")


class Load:
    def __init__(self, manifest, clients):
        self.manifest = manifest
        self.tokens = [api("POST", "/api/v1/auth/login", body={"email": e, "password": manifest["password"]})["accessToken"] for e in manifest["emails"]]
        enrolled = {c["id"] for c in manifest["courses"]}
        self.catalogue = []
        cursor = None
        while True:
            page = api("GET", "/api/v1/courses?limit=100" + (f"&cursor={cursor}" if cursor else ""))
            self.catalogue += [c["id"] for c in page["items"] if c["id"] not in enrolled]
            cursor = page.get("nextCursor")
            if not cursor:
                break
        self.clients = clients
        self.lock = threading.Lock()
        self.acked_seconds = Counter()    # (learner, course, item) -> acknowledged seconds
        self.sent_seconds = Counter()     # (learner, course, item) -> seconds under distinct keys sent
        self.enrolled = set()             # (learner, course) acknowledged
        self.acks = []                    # times of acknowledgements
        self.failures = []                # (time, kind) of attempts answered with a retryable failure
        self.wrong = []                   # (time, status, body) of any other answer
        self.stop = threading.Event()

    def attempt(self, connection, method, path, token, body):
        connection.request(method, path, body, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        return response.status, response.read()

    def send(self, state, method, path, token, body, acknowledged):
        """Sends until acknowledged; every failure is recorded and retried with the same body (the same key)."""
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if state.get("connection") is None:
                    state["connection"] = http.client.HTTPConnection(HOST, PORT, timeout=30)
                status, answer = self.attempt(state["connection"], method, path, token, body)
                if status in RETRYABLE:
                    with self.lock:
                        self.failures.append((time.time(), str(status)))
                    state["connection"] = None
                    time.sleep(0.2)
                    continue
                if acknowledged(status, answer):
                    with self.lock:
                        self.acks.append(time.time())
                    return True
                with self.lock:
                    self.wrong.append((time.time(), status, answer[:300]))
                return False
            except (OSError, http.client.HTTPException) as error:
                with self.lock:
                    self.failures.append((time.time(), type(error).__name__))
                state["connection"] = None
                time.sleep(0.2)
        with self.lock:
            self.wrong.append((time.time(), 0, b"gave up after 120 s"))
        return False

    def client(self, number):
        state, n = {}, 0
        rng = random.Random(number)
        while not self.stop.is_set():
            n += 1
            learner = (number + n * self.clients) % len(self.tokens)
            token = self.tokens[learner]
            if n % 10 == 0 and self.catalogue:
                course = self.catalogue[(learner * 7 + n) % len(self.catalogue)]
                if self.send(state, "POST", f"/api/v1/courses/{course}/enrol", token, None, lambda s, a: s in (200, 201)):
                    with self.lock:
                        self.enrolled.add((learner, course))
                continue
            course = self.manifest["courses"][rng.randrange(len(self.manifest["courses"]))]
            item = course["items"][0]
            body = json.dumps({"updates": [{"courseId": course["id"], "itemId": item, "status": 1, "percent": n % 100,
                                            "secondsSpent": 1, "key": f"failover-{RUN}-{number}-{n}"}]})
            key = (learner, course["id"], item)
            with self.lock:
                self.sent_seconds[key] += 1

            def applied(status, answer):
                return status == 200 and json.loads(answer)["results"][0]["outcome"] in ("applied", "duplicate")
            if self.send(state, "POST", "/api/v1/progress", token, body, applied):
                with self.lock:
                    self.acked_seconds[key] += 1

    def start(self):
        self.threads = [threading.Thread(target=self.client, args=(number,), daemon=True) for number in range(self.clients)]
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def window(self, start, end):
        """The longest time without an acknowledgement, the retried failures and the wrong answers between two times."""
        with self.lock:
            times = sorted(t for t in self.acks if start <= t <= end)
            failures = Counter(kind for t, kind in self.failures if start <= t <= end)
            wrong = [w for w in self.wrong if start <= w[0] <= end]
        points = [start] + times + [end]
        gap = max(b - a for a, b in zip(points, points[1:]))
        return gap, failures, wrong, len(times) / max(end - start, 0.001), times

    def back_to(self, share, of_rate, start, end, times):
        """Seconds from start until acknowledgements run at `share` of `of_rate` for two seconds in a row."""
        buckets = Counter(int((t - start) * 2) for t in times)  # half seconds
        for half in range(int((end - start) * 2) - 3):
            if all(buckets[half + k] >= share * of_rate / 2 for k in range(4)):
                return half / 2
        return None

    def check(self):
        """Every acknowledged second and enrolment, read back through the API."""
        stored = {}
        courses = {}
        for (learner, course, item) in self.sent_seconds:
            courses.setdefault(learner, set()).add(course)
        for learner, token in enumerate(self.tokens):
            for course in courses.get(learner, ()):
                for item in api("GET", f"/api/v1/me/enrolments/{course}/progress", token)["items"]:
                    stored[(learner, course, item["itemId"])] = item["secondsSpent"]
        lost = sum(max(0, v - stored.get(k, 0)) for k, v in self.acked_seconds.items())
        twice = sum(max(0, stored.get(k, 0) - v) for k, v in self.sent_seconds.items())
        mine = {}
        for learner, token in enumerate(self.tokens):
            ids, cursor = set(), None
            while True:
                page = api("GET", "/api/v1/me/enrolments?limit=100" + (f"&cursor={cursor}" if cursor else ""), token)
                ids |= {e["courseId"] for e in page["items"]}
                cursor = page.get("nextCursor")
                if not cursor:
                    break
            mine[learner] = ids
        enrolments_lost = sum(1 for learner, course in self.enrolled if course not in mine[learner])
        return {"acknowledged": sum(self.acked_seconds.values()), "stored": sum(stored.values()), "sent": sum(self.sent_seconds.values()),
                "lost": lost, "counted twice": twice, "enrolments acknowledged": len(self.enrolled), "enrolments lost": enrolments_lost}


def wait_until(what, seconds, check):
    start = time.time()
    while time.time() - start < seconds:
        try:
            if check():
                return time.time() - start
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what}: not within {seconds} s")


def patroni(name, path):
    address = {"pg1": "10.77.0.11", "pg2": "10.77.0.12"}[name]
    try:
        with urllib.request.urlopen(f"http://{address}:8008/{path}", timeout=1) as response:
            return response.status == 200
    except Exception:
        return False


def main():
    manifest = json.load(open(sys.argv[1]))
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    settle = float(os.environ.get("SETTLE", "8"))
    load = Load(manifest, clients)
    load.start()
    rows = []
    time.sleep(settle)
    start = time.time() - settle
    gap, failures, wrong, steady, _ = load.window(start, time.time())
    rows.append(("steady load, nothing failing", gap, failures, wrong, steady, ""))

    def event(name, act, recovered, note=""):
        begin = time.time()
        act()
        wait_until(f"{name}: service back", 120, recovered)
        time.sleep(settle)
        end = time.time()
        gap, failures, wrong, rate, times = load.window(begin, end)
        back = load.back_to(0.5, steady, begin, end, times)
        full = "at half the steady rate again after " + (f"{back:.1f} s" if back is not None else f"more than {end - begin:.0f} s")
        rows.append((name, gap, failures, wrong, rate, (note + "; " if note else "") + full))

    def writes_flow():
        with load.lock:
            return sum(1 for t in load.acks if t > time.time() - 1) > 0

    old = shell("primary")
    event(f"(a) kill -9 the primary PostgreSQL node ({old}: Patroni and PostgreSQL)",
          lambda: shell(f"kill_node {old}"), lambda: writes_flow() and shell("primary") not in ("", old))
    new = shell("primary")
    event(f"(d) start {old} again: it rejoins as a replica", lambda: shell(f"start_pg {old}"),
          lambda: patroni(old, "replica") and patroni(new, "primary"), note=f"{old} is a streaming replica of {new}")
    wait_until("the synchronous replica again", 60, lambda: patroni(old, "sync"))
    event(f"(b) cut the primary ({new}) off the network", lambda: shell(f"cut_node {new}"),
          lambda: writes_flow() and shell("primary") == old)
    shell(f"mend_node {new}")
    try:
        took = wait_until(f"{new} rejoins", 90, lambda: patroni(new, "sync"))
        rows.append((f"    {new} mended: back as the synchronous replica after {took:.1f} s", 0, Counter(), [], 0, None))
    except RuntimeError:
        rows.append((f"    {new} mended: NOT back as the synchronous replica within 90 s (see {new}.log)", 0, Counter(), [], 0, None))
    event("(c) kill -9 an app node (app2)", lambda: shell("kill_node app2"), writes_flow)
    shell("start_app app2")
    wait_until("app2 back", 120, lambda: urllib.request.urlopen("http://10.77.0.32:8080/health", timeout=1).status == 200)
    load.finish()
    result = load.check()
    wrong = sum(len(row[3]) for row in rows)
    verdict = "pass" if result["lost"] == 0 and result["counted twice"] == 0 and result["enrolments lost"] == 0 and wrong == 0 else "FAIL"
    print("| event | longest time without an acknowledged write | requests failed and retried | wrong answers | writes acknowledged/s in the window | |")
    print("| --- | ---: | --- | ---: | ---: | --- |")
    for name, gap, failures, wrong_answers, rate, note in rows:
        if note is None:
            print(f"| {name} | | | | | |")
            continue
        failed = ", ".join(f"{n} {kind}" for kind, n in failures.most_common()) or "none"
        print(f"| {name} | {gap:.1f} s | {failed} | {len(wrong_answers)} | {rate:,.0f} | {note} |")
    print()
    print(f"check ({verdict}): {result['acknowledged']:,} seconds of progress acknowledged, {result['stored']:,} stored, {result['sent']:,} sent under "
          f"distinct keys; lost {result['lost']}, counted twice {result['counted twice']}; {result['enrolments acknowledged']} enrolments acknowledged, "
          f"{result['enrolments lost']} lost")
    for row in rows:
        for when, status, body in row[3][:3]:
            print(f"  wrong answer in {row[0]}: {status} {body!r}")
    return 0 if verdict == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
