#!/usr/bin/env python3
"""The measuring side of Benchmarks/programmes: a cascade's reach dashboard at nation, State, district and ministry,
and QR check-ins to one session under wrk beside a Vapor hello-world. Participants' access tokens are signed here with
the server's JWT_SECRET (what a sign-in would hand out), as in Benchmarks/campaigns."""
import argparse, datetime, os, sqlite3, subprocess, tempfile, time
from campaigns import Client, percentile, token, uuid_text

SCAN = """
local tokens, index, step = {}, 0, 1
local counter = 0
function setup(thread) thread:set("first", counter); counter = counter + 1 end
function init(args)
  for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
  index = first + 1
  step = tonumber(os.getenv("THREADS"))
  body = '{"token":"' .. os.getenv("CODE") .. '"}'
end
function request()
  local bearer = tokens[index] or tokens[1]
  index = index + step
  return wrk.format("POST", "/api/v1/attendance/scan", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. bearer}, body)
end
"""


def wrk(url: str, duration: int, threads: int, connections: int, script: str | None = None, env=None) -> float:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s"] + (["-s", script] if script else []) + [url]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    return float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hello-port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--out", required=True)
    parser.add_argument("--scans-only", action="store_true", help="measure the QR check-ins only (a nation without a cascade)")
    args = parser.parse_args()
    secret = os.environ["JWT_SECRET"]
    client = Client(args.port)
    status, signed = client.call("POST", "/api/v1/auth/login", {"email": "bench@karmayogi.example.org", "password": "Bench@Programmes1"})
    assert status == 200, (status, signed)
    admin = Client(args.port, signed["accessToken"])
    rows = ["| what | measured | target | |", "| --- | ---: | --- | --- |"]

    if not args.scans_only:
        measure_reach(admin, args, rows)
    measure_scans(admin, args, secret, rows)
    text = "\n".join(rows) + "\n"
    print(text)
    open(args.out, "w").write(text)


def measure_reach(admin: Client, args, rows: list[str]):
    """The reach dashboard at four scopes."""
    status, cascades = admin.call("GET", "/api/v1/cascades")
    cascade = cascades["items"][0]
    totals = cascade["totals"]
    print(f"== reach of {cascade['title']}: {totals}", flush=True)
    nation = admin.call("GET", f"/api/v1/cascades/{cascade['id']}/reach")[1]
    state = max((a for a in nation["areas"] if a["kind"] == "state"), key=lambda a: a["reach"]["participants"])
    ministry = max((a for a in nation["areas"] if a["kind"] == "ministry"), key=lambda a: a["reach"]["participants"])
    in_state = admin.call("GET", f"/api/v1/cascades/{cascade['id']}/reach?scope={state['scope']}")[1]
    district = max((a for a in in_state["areas"] if a["kind"] == "district"), key=lambda a: a["reach"]["participants"])
    for scope in ["nation", state["scope"], district["scope"], ministry["scope"]]:
        path = f"/api/v1/cascades/{cascade['id']}/reach?scope={scope}"
        admin.call("GET", path)
        latencies = []
        for _ in range(args.reads):
            started = time.perf_counter()
            status, reach = admin.call("GET", path)
            latencies.append((time.perf_counter() - started) * 1000)
            assert status == 200, (status, reach)
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        counted = reach["totals"]
        rows.append(f"| reach, `{scope.split(':')[0]}` scope ({reach['name']}: {counted['participants']:,} participants, {counted['batches']:,} batches; "
                    f"{len(reach['areas'])} areas, {len(reach['days'])} days; {args.reads} reads) | p50 {p50:.1f} ms, p99 {p99:.1f} ms | p99 < 50 ms | {'met' if p99 < 50 else 'not yet'} |")
    rows.append(f"| the cascade's totals | {totals['leadTrainers']:,} lead trainers, {totals['masterTrainers']:,} master trainers, {totals['batches']:,} batches, "
                f"{totals['participants']:,} participants | 822, 15,820, 25,388, 7.68 lakh | |")



def measure_scans(admin: Client, args, secret: str, rows: list[str]):
    """One session, PEOPLE participants with seats, each scanning the code once."""
    print(f"== {args.people} participants scanning one session's code", flush=True)
    me = admin.call("GET", "/api/v1/me")[1]
    # Today and tomorrow in India: the hour-long session may run past midnight.
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=5, minutes=30)).date()
    today, tomorrow = today.isoformat(), (today + datetime.timedelta(days=1)).isoformat()
    status, programme = admin.call("POST", "/api/v1/programmes", {"title": f"Benchmark programme {int(time.time())}", "providerId": me["organisationId"], "approvalRoute": "none"})
    assert status == 201, (status, programme)
    status, batch = admin.call("POST", f"/api/v1/programmes/{programme['id']}/batches", {
        "name": "One hall", "startDate": today, "endDate": tomorrow, "seats": args.people, "stateCode": 8, "trainerIds": [me["id"]]})
    assert status == 201, (status, batch)
    db = sqlite3.connect(f"file:{args.database}?mode=ro", uri=True)
    # People holding no batch yet (a run earlier on the same day seated others: one batch at a time each).
    people = [uuid_text(row[0]) for row in db.execute(
        "SELECT id FROM users WHERE status = 'active' AND id NOT IN (SELECT user_id FROM programme_nominations WHERE status NOT IN ('rejected', 'withdrawn')) "
        "ORDER BY id DESC LIMIT ?", (args.people,))]
    started = time.time()
    for start in range(0, len(people), 500):
        status, made = admin.call("POST", f"/api/v1/batches/{batch['id']}/nominations", {"userIds": people[start:start + 500]})
        assert status == 201, (status, made)
    seated = time.time() - started
    now = time.time()
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    status, session = admin.call("POST", f"/api/v1/batches/{batch['id']}/sessions", {"title": "Citizen first", "startsAt": iso(now - 60), "endsAt": iso(now + 3600)})
    assert status == 201, (status, session)
    hello = wrk(f"http://127.0.0.1:{args.hello_port}/hello", args.duration, 4, 64)
    with tempfile.TemporaryDirectory() as work:
        tokens = os.path.join(work, "tokens"), os.path.join(work, "scan.lua")
        open(tokens[0], "w").write("\n".join(token(person, secret) for person in people) + "\n")
        open(tokens[1], "w").write(SCAN)
        code = admin.call("GET", f"/api/v1/sessions/{session['id']}/attendance-code")[1]["token"]
        rate = wrk(f"http://127.0.0.1:{args.port}", args.duration, 4, 64, tokens[1], dict(os.environ, TOKENS=tokens[0], CODE=code, THREADS="4"))
    recorded = db.execute("SELECT COUNT(*) FROM programme_attendance WHERE session_id = ? OR session_id = ?",
                          (session["id"].upper(), bytes.fromhex(session["id"].replace("-", "")))).fetchone()[0]
    per_second = recorded / args.duration
    exhausted = recorded >= len(people)
    rows.append(f"| seats for {len(people):,} people in one batch (nominated 500 at a time, each enrolled) | {seated:.1f} s | | |")
    rows.append(f"| QR check-ins to one session (wrk, 4 threads, 64 connections, {args.duration} s; each a different person's scan) | "
                f"{recorded:,} recorded: {'at least ' if exhausted else ''}{per_second:,.0f}/s ({rate:,.0f} requests/s) | 1,000/s | {'met' if per_second >= 1000 else 'not yet'} |")
    rows.append(f"| Vapor hello-world, the same run (wrk, 4 threads, 64 connections) | {hello:,.0f} requests/s | | |")


if __name__ == "__main__":
    main()
