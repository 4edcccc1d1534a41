#!/usr/bin/env python3
"""The kill -9 drill's two halves (Benchmarks/kill-drill runs them around a killed server).

load:  many learners send single progress updates as fast as the server takes them, each with a key of its own and one
       second spent, until the server stops answering; writes what was acknowledged (200, outcome "applied") and what
       was sent, per learner, course and item.
check: after the restart, reads each learner's progress through the API: every acknowledged second must be there, and
       no more than were sent (a retried write never counts twice). Exit status 1 on any loss.
"""
import http.client, json, sys, threading, time, urllib.request
from collections import Counter

def login(port, manifest):
    tokens = []
    for email in manifest["emails"]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/login", method="POST",
                                         data=json.dumps({"email": email, "password": manifest["password"]}).encode(),
                                         headers={"Content-Type": "application/json"})
        tokens.append(json.load(urllib.request.urlopen(request))["accessToken"])
    return tokens

def load(port, manifest, out, workers):
    tokens = login(port, manifest)
    acked, sent, lock, errors = Counter(), Counter(), threading.Lock(), Counter()
    stop = threading.Event()
    def worker(number):
        connection, n = None, 0
        failures_since_answer = 0
        while not stop.is_set():
            learner = (number + n * workers) % len(tokens)
            course = manifest["courses"][(n * 7 + number) % len(manifest["courses"])]
            item = course["items"][0]
            body = json.dumps({"updates": [{"courseId": course["id"], "itemId": item, "status": 1, "percent": n % 100,
                                            "secondsSpent": 1, "key": f"drill-{number}-{n}"}]})
            n += 1
            key = (learner, course["id"], item)
            with lock: sent[key] += 1
            try:
                if connection is None: connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("POST", "/api/v1/progress", body, {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[learner]}"})
                response = connection.getresponse()
                answer = response.read()
                failures_since_answer = 0
                if response.status == 200 and json.loads(answer)["results"][0]["outcome"] == "applied":
                    with lock: acked[key] += 1
                else:
                    with lock: errors[response.status] += 1
            except Exception:
                connection = None
                failures_since_answer += 1
                if failures_since_answer > 20: return  # the server is gone
                time.sleep(0.1)
    threads = [threading.Thread(target=worker, args=(number,)) for number in range(workers)]
    open(out + ".started", "w").close()  # signed in: the drill's clock starts now
    started = time.time()
    for thread in threads: thread.start()
    for thread in threads: thread.join()
    elapsed = time.time() - started
    json.dump({"acked": [[*k, v] for k, v in acked.items()], "sent": [[*k, v] for k, v in sent.items()],
               "errors": dict(errors), "seconds": elapsed}, open(out, "w"))
    print(f"load: {sum(acked.values())} updates acknowledged of {sum(sent.values())} sent in {elapsed:.1f} s "
          f"({sum(acked.values()) / elapsed:.0f}/s); other answers: {dict(errors) or 'none'}")

def check(port, manifest, record):
    tokens = login(port, manifest)
    data = json.load(open(record))
    acked = {tuple(row[:3]): row[3] for row in data["acked"]}
    sent = {tuple(row[:3]): row[3] for row in data["sent"]}
    stored = {}
    for learner, token in enumerate(tokens):
        for course in {c for (l, c, _) in sent if l == learner}:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/me/enrolments/{course}/progress",
                                             headers={"Authorization": f"Bearer {token}"})
            for item in json.load(urllib.request.urlopen(request))["items"]:
                stored[(learner, course, item["itemId"])] = item["secondsSpent"]
    lost = {k: (v, stored.get(k, 0)) for k, v in acked.items() if stored.get(k, 0) < v}
    doubled = {k: (v, stored.get(k, 0)) for k, v in sent.items() if stored.get(k, 0) > v}
    print(f"check: {sum(acked.values())} acknowledged, {sum(stored.values())} stored, {sum(sent.values())} sent; "
          f"lost {sum(v - s for v, s in lost.values())}, counted twice {sum(s - v for v, s in doubled.values())}")
    return 1 if lost or doubled else 0

if __name__ == "__main__":
    mode, port, manifest_path, record = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    manifest = json.load(open(manifest_path))
    if mode == "load":
        load(port, manifest, record, int(sys.argv[5]) if len(sys.argv) > 5 else 32)
    else:
        sys.exit(check(port, manifest, record))
