#!/usr/bin/env python3
"""Two app nodes on one PostgreSQL (issue 17): what one node changes, the other sees within a second; a bulk upload is
processed once while both run; an upload whose node is killed mid-way is finished by the other.

Run by .ci/nodes, which starts the nodes: node A on --a (its pid in --a-pid, so it can be killed), node B on --b, both on
the same database and schema (--psql is the command that reaches it, for the job table)."""
import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

PASSWORD = "Karmayogi@2026"
DOMAIN = "karmayogi.example.org"


def call(base, method, path, token=None, body=None, raw=None, content_type="application/json"):
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif raw is not None:
        data = raw
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text and response.headers.get_content_subtype().endswith("json") else text)
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, text


def sign_in(base, who):
    status, answer = call(base, "POST", "/api/v1/auth/login", body={"email": f"{who}@{DOMAIN}", "password": PASSWORD})
    assert status == 200, f"sign-in of {who}: {status} {answer}"
    return answer["accessToken"]


def within(seconds, check, what):
    """Polls check() until it is true; returns how long it took, or fails the run."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > seconds:
            raise AssertionError(f"{what}: not seen within {seconds} s")
        time.sleep(0.02)


def job(psql, upload_id):
    out = subprocess.run(psql + ["-Atc", f"SELECT status, attempts, coalesce(claimed_by, '') FROM jobs WHERE subject_id = '{upload_id.upper()}' OR subject_id = '{upload_id.lower()}'"],
                         capture_output=True, text=True, check=True).stdout.strip()
    status, attempts, claimed = out.split("|")
    return status, int(attempts), claimed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True)
    parser.add_argument("--b", required=True)
    parser.add_argument("--a-pid", type=int, required=True)
    parser.add_argument("--psql", required=True, help="the psql command line that reaches the nodes' schema")
    args = parser.parse_args()
    a, b, psql = args.a, args.b, args.psql.split()
    results = []

    admin_a, admin_b = sign_in(a, "admin"), sign_in(b, "admin")
    mdo_b = sign_in(b, "mdo.mha")
    status, me = call(b, "GET", "/api/v1/me", token=mdo_b)
    assert status == 200, me
    ministry = me["organisationId"]

    # 1. A role removed on A: B stops honouring it within a second.
    status, _ = call(b, "GET", f"/api/v1/orgs/{ministry}/users?limit=1", token=mdo_b)
    assert status == 200, f"the MDO admin reads their people on B: {status}"
    status, patched = call(a, "PATCH", f"/api/v1/users/{me['id']}", token=admin_a, body={"roles": []})
    assert status == 200, f"removing the roles on A: {status} {patched}"
    took = within(1.0, lambda: call(b, "GET", f"/api/v1/orgs/{ministry}/users?limit=1", token=mdo_b)[0] in (403, 404),
                  "a role removed on A, on B")
    results.append(f"role removed on A, refused on B after {took * 1000:.0f} ms")
    status, answer = call(a, "PATCH", f"/api/v1/users/{me['id']}", token=admin_a, body={"roles": ["mdo_admin"]})
    assert status == 200, f"giving the role back: {status} {answer}"
    within(1.0, lambda: call(b, "GET", f"/api/v1/orgs/{ministry}/users?limit=1", token=mdo_b)[0] == 200, "a role given back on A, on B")

    # 2. A course published on A: B's catalogue has it within a second.
    reviewer, publisher = sign_in(a, "reviewer.lbsnaa"), sign_in(a, "publisher.lbsnaa")
    status, authoring = call(a, "GET", "/api/v1/courses?view=authoring&limit=100", token=reviewer)
    assert status == 200, authoring
    waiting = [c for c in authoring["items"] if c.get("state") == "in_review"]
    assert waiting, f"no course in review in the demo world: {[c.get('state') for c in authoring['items']]}"
    course = waiting[0]
    status, answer = call(a, "POST", f"/api/v1/courses/{course['id']}/approve", token=reviewer, body={"comment": "Checked on node A"})
    assert status == 200, f"approve: {status} {answer}"
    status, answer = call(a, "POST", f"/api/v1/courses/{course['id']}/publish", token=publisher, body={})
    assert status == 200, f"publish: {status} {answer}"
    query = urllib.parse.quote(course["title"])

    def listed_on_b():
        status, page = call(b, "GET", f"/api/v1/courses?q={query}&limit=20")
        return status == 200 and any(c["id"] == course["id"] for c in page["items"])
    took = within(1.0, listed_on_b, "a course published on A, in B's catalogue")
    results.append(f"course published on A, in B's catalogue after {took * 1000:.0f} ms")

    # 3. A KPI definition edited on A: B answers with the new one within a second.
    status, kpis = call(b, "GET", "/api/v1/kpis", token=admin_b)
    assert status == 200, kpis
    items = kpis["items"] if isinstance(kpis, dict) and "items" in kpis else kpis
    kpi = dict(items[0])
    new_name = kpi["name"] + " (edited on A)"
    kpi["name"] = new_name
    status, answer = call(a, "PUT", f"/api/v1/kpis/{kpi['key']}", token=admin_a, body=kpi)
    assert status == 200, f"edit KPI on A: {status} {answer}"

    def edited_on_b():
        status, kpis = call(b, "GET", "/api/v1/kpis", token=admin_b)
        listed = kpis["items"] if isinstance(kpis, dict) and "items" in kpis else kpis
        return any(k["key"] == kpi["key"] and k["name"] == new_name for k in listed)
    took = within(1.0, edited_on_b, "a KPI definition edited on A, on B")
    results.append(f"KPI definition edited on A, on B after {took * 1000:.0f} ms")

    # 4. A bulk upload while both nodes run: processed once.
    def sheet(tag, rows):
        return ("name,email\n" + "\n".join(f"Person {tag} {i},p{i}.{tag}@nodes.example.org" for i in range(rows))).encode()

    status, upload = call(a, "POST", f"/api/v1/orgs/{ministry}/users/bulk", token=admin_a, raw=sheet("once", 3000), content_type="text/csv")
    assert status == 202, f"upload: {status} {upload}"

    def finished(base, token, upload_id):
        status, state = call(base, "GET", f"/api/v1/orgs/{ministry}/users/bulk/{upload_id}", token=token)
        return status == 200 and state["status"] in ("completed", "failed"), state
    within(120, lambda: finished(b, admin_b, upload["id"])[0], "the upload finished")
    state = finished(b, admin_b, upload["id"])[1]
    assert state["status"] == "completed" and state["created"] == 3000 and state["failed"] == 0 and state["skipped"] == 0, state
    job_state = job(psql, upload["id"])
    assert job_state[0] == "done" and job_state[1] == 1, f"processed once: {job_state}"
    results.append(f"upload of 3,000 with both nodes running: {state['created']} created, job claimed {job_state[1]} time")

    # 5. An upload whose node is killed mid-way: the other node finishes it, creating nobody twice. The upload is sent
    # to A, but B (woken by the announcement) may claim it first: then it is let finish and another is sent, until A
    # holds one under way.
    rows = 40000
    seen = {}
    for attempt in range(6):
        tag = f"killed{attempt}"
        status, upload = call(a, "POST", f"/api/v1/orgs/{ministry}/users/bulk", token=admin_a, raw=sheet(tag, rows), content_type="text/csv")
        assert status == 202, f"upload: {status} {upload}"

        def under_way():
            status, state = call(b, "GET", f"/api/v1/orgs/{ministry}/users/bulk/{upload['id']}", token=admin_b)
            seen.update(state)
            return status == 200 and state["status"] == "running" and 0 < state["done"] < rows and job(psql, upload["id"])[2] != ""
        within(60, under_way, "the large upload under way")
        if f"-{args.a_pid}-" in job(psql, upload["id"])[2]:
            break
        within(180, lambda: finished(b, admin_b, upload["id"])[0], "an upload B claimed first finished")
    else:
        raise AssertionError("B claimed every upload sent to A first")
    os.kill(args.a_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    results.append(f"node A killed (kill -9) with the upload at {seen['done']:,} of {rows:,} rows")
    within(180, lambda: finished(b, admin_b, upload["id"])[0], "the killed node's upload finished by B")
    state = finished(b, admin_b, upload["id"])[1]
    assert state["status"] == "completed", state
    assert state["created"] == rows and state["failed"] == 0 and state["skipped"] == 0, state
    job_state = job(psql, upload["id"])
    assert job_state[0] == "done" and job_state[1] == 2, f"claimed by A, then taken over by B: {job_state}"
    count = subprocess.run(psql + ["-Atc", f"SELECT count(*) FROM users WHERE email LIKE '%.{tag}@nodes.example.org'"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert int(count) == rows, f"{count} people stored for {rows} rows"
    results.append(f"B took the upload over and finished it {time.monotonic() - killed_at:.1f} s after the kill: {state['created']:,} created, "
                   f"{count} stored, claimed {job_state[1]} times")

    for line in results:
        print("ok:", line)


if __name__ == "__main__":
    import urllib.parse
    try:
        main()
    except AssertionError:
        import traceback
        traceback.print_exc()
        sys.exit(1)
