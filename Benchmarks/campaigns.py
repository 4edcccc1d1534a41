#!/usr/bin/env python3
"""The measuring side of Benchmarks/campaigns: progress throughput with and without a live campaign, summary latency
under progress load, 10,000 check-ins to one event and the certificates after its end. Access tokens are signed
here with the server's JWT_SECRET (what a sign-in would hand out) so that 10,000 people need not each sign in."""
import argparse, base64, hashlib, hmac, http.client, json, os, sqlite3, statistics, subprocess, tempfile, threading, time, uuid
from concurrent.futures import ThreadPoolExecutor


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(user_id: str, secret: str) -> str:
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"sub": user_id, "iat": now, "exp": now + 86400, "ver": 0}).encode())
    signature = b64(hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


class Client:
    def __init__(self, port: int, bearer: str | None = None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.bearer = bearer

    def call(self, method: str, path: str, body=None, bearer: str | None = None):
        headers = {"content-type": "application/json"}
        if bearer or self.bearer:
            headers["authorization"] = f"Bearer {bearer or self.bearer}"
        self.connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else None)


def uuid_text(blob) -> str:
    return str(uuid.UUID(bytes=blob)) if isinstance(blob, bytes) else str(blob)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def wrk(port: int, duration: int, data: str) -> float:
    env = dict(os.environ, PROGRESS_DATA=data, MODE="batch", BATCH="20")
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{duration}s", "-s", "Benchmarks/progress.lua", f"http://127.0.0.1:{port}"],
                         capture_output=True, text=True, env=env, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"progress load had failures:\n{out}")
    return float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))) * 20


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--attendees", type=int, default=10000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    secret = os.environ["JWT_SECRET"]
    db = sqlite3.connect(args.database, timeout=60)
    admin_id = uuid_text(db.execute("SELECT id FROM users WHERE email = 'bench@karmayogi.example.org'").fetchone()[0])
    admin = Client(args.port, token(admin_id, secret))
    status, live = admin.call("GET", "/api/v1/campaigns?stage=live")
    campaign = next(c for c in live["items"] if c.get("stateCode") is None)
    campaign_id = campaign["id"]
    # Scopes: the nation, the most populous State, its busiest district, the largest ministry.
    state = db.execute("SELECT state_code FROM users WHERE state_code IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
    district = db.execute("SELECT district_code FROM users WHERE state_code = ? AND district_code IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1",
                          (state,)).fetchone()[0]
    ministry = uuid_text(db.execute("SELECT o.id FROM organisations o JOIN users u ON u.organisation_id = o.id WHERE o.type = 'ministry' "
                                    "GROUP BY o.id ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0])
    scopes = ["nation", f"state:{state}", f"district:{district}", f"org:{ministry}"]

    # The progress load's learners and courses (as Benchmarks/targets builds them), with tokens signed here.
    manifest = json.load(open(args.manifest))
    ids = {email: uuid_text(i) for email, i in db.execute(
        f"SELECT email, id FROM users WHERE email IN ({','.join('?' * len(manifest['emails']))})", manifest["emails"])}
    data = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    data.write("return {tokens = {" + ",".join(f'"{token(ids[e], secret)}"' for e in manifest["emails"]) + "}, catalogue = {}, courses = {" +
               ",".join('{id="%s", items={"%s","%s"}}' % (c["id"], c["items"][0], c["items"][1]) for c in manifest["courses"]) + "}}")
    data.close()

    # 1. Progress throughput with the campaign live, with none live, and live again.
    print("== progress with and without a live campaign", flush=True)
    def set_live(live: bool):
        published = db.execute("SELECT published_at FROM campaigns WHERE name LIKE 'Karmayogi Saptah%'").fetchone()[0]
        db.execute("UPDATE campaigns SET published_at = ? WHERE name LIKE 'National learning week%'", (published if live else None,))
        db.commit()
    wrk(args.port, args.duration, data.name)  # a warm-up run, not counted: the first run after a start meets a cold cache
    with_first = wrk(args.port, args.duration, data.name)
    set_live(False)
    without = wrk(args.port, args.duration, data.name)
    set_live(True)
    with_second = wrk(args.port, args.duration, data.name)
    with_live = (with_first + with_second) / 2

    # Switching the campaign off behind the platform's back left the learning of the run without it uncounted: count it
    # once (the only repair in this benchmark; what follows is counted by the platform alone, and verified after).
    if os.environ.get("VERIFY", "1") != "0":
        subprocess.run([os.environ.get("KARMAYOGI_BIN", ".build/release/karmayogi"), "rollups", "rebuild", "--env", "production"],
                       check=True, capture_output=True)

    # 2. Summary latency at each scope while progress load runs.
    print("== summaries while progress load runs", flush=True)
    latencies = {scope: [] for scope in scopes}
    load = threading.Thread(target=lambda: latencies.setdefault("_load", [wrk(args.port, args.duration, data.name)]))
    load.start()
    time.sleep(1)
    reader = Client(args.port, token(admin_id, secret))
    until = time.time() + args.duration - 2
    while time.time() < until:
        for scope in scopes:
            started = time.perf_counter()
            status, summary = reader.call("GET", f"/api/v1/campaigns/{campaign_id}/summary?scope={scope}")
            latencies[scope].append((time.perf_counter() - started) * 1000)
            assert status == 200, (status, summary)
    load.join()
    under_load = latencies.pop("_load")[0]

    # 3. 10,000 people check in to one event with the code shown.
    print(f"== {args.attendees} check-ins", flush=True)
    now = time.time()
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    me = admin.call("GET", "/api/v1/me")[1]
    status, event = admin.call("POST", "/api/v1/events", {
        "title": "Karmayogi Talk (benchmark)", "kind": "talk", "organiserId": me["organisationId"], "startsAt": iso(now - 60), "endsAt": iso(now + 1800),
        "onlineUrl": "https://meet.example.gov.in/bench", "registration": "nomination", "attendanceRule": {"kind": "check_in"}})
    assert status == 201, (status, event)
    event_id = event["id"]
    people = [uuid_text(row[0]) for row in db.execute("SELECT id FROM users WHERE status = 'active' AND state_code IS NOT NULL ORDER BY id LIMIT ?",
                                                         (args.attendees,))]
    for start in range(0, len(people), 1000):
        status, answer = admin.call("POST", f"/api/v1/events/{event_id}/register", {"userIds": people[start:start + 1000]})
        assert status == 201, (status, answer)
    tokens = [token(person, secret) for person in people]
    code = admin.call("GET", f"/api/v1/events/{event_id}/check-in-code")[1]["code"]
    local = threading.local()
    def check_in(bearer):
        if not hasattr(local, "client"):
            local.client = Client(args.port)
        return local.client.call("POST", f"/api/v1/events/{event_id}/check-in", {"code": code}, bearer=bearer)[0]
    started = time.time()
    with ThreadPoolExecutor(32) as pool:
        statuses = list(pool.map(check_in, tokens))
    check_in_seconds = time.time() - started
    accepted = statuses.count(201)

    # 4. The event ends; the scheduled settling certifies everyone who checked in.
    print("== certificates after the end", flush=True)
    ends = time.time() + 3
    status, changed = admin.call("PATCH", f"/api/v1/events/{event_id}", {"endsAt": iso(ends)})
    assert status == 200, (status, changed)
    settled = None
    while time.time() < ends + 300:
        time.sleep(0.5)
        status, current = admin.call("GET", f"/api/v1/events/{event_id}")
        if current.get("settledAt"):
            settled = time.time()
            break
    status, attendance = admin.call("GET", f"/api/v1/events/{event_id}/attendance")
    certified = sum(1 for row in attendance["items"] if row.get("certificateId"))
    ended = int(ends)

    rows = ["| what | measured | target | |", "| --- | ---: | --- | --- |"]
    for scope in scopes:
        p50, p99 = percentile(latencies[scope], 0.5), percentile(latencies[scope], 0.99)
        rows.append(f"| campaign summary, `{scope.split(':')[0]}` scope, under progress load ({len(latencies[scope])} reads) | p50 {p50:.1f} ms, p99 {p99:.1f} ms | p99 < 20 ms | {'met' if p99 < 20 else 'not yet'} |")
    rows.append(f"| progress load meanwhile (batches of 20) | {under_load:,.0f} updates/s | | |")
    ratio = with_live / without
    rows.append(f"| progress, batches of 20, a national campaign live | {with_first:,.0f} and {with_second:,.0f} updates/s | | |")
    rows.append(f"| progress, batches of 20, no campaign live | {without:,.0f} updates/s | | |")
    rows.append(f"| ratio live / none | {ratio:.2f} | ≥ 0.9 | {'met' if ratio >= 0.9 else 'not yet'} |")
    rows.append(f"| {accepted:,} of {len(tokens):,} check-ins to one event (32 at a time) | {check_in_seconds:.1f} s ({accepted / check_in_seconds:,.0f}/s) | {args.attendees:,} within 60 s | {'met' if accepted == args.attendees and check_in_seconds <= 60 else 'not yet'} |")
    after = (settled - ended) if settled else float("nan")
    rows.append(f"| certificates for {certified:,} attendees, from the event's end to attendance decided | {after:.1f} s | within 60 s | {'met' if certified == args.attendees and after <= 60 else 'not yet'} |")
    text = "\n".join(rows) + "\n"
    print(text)
    open(args.out, "w").write(text)


if __name__ == "__main__":
    main()
