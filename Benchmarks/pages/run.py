#!/usr/bin/env python3
"""Every learner page's size as sent compressed, and its time to first byte, on the demo world (issue 14's budgets:
60 KB compressed per page, uploaded course files aside; 100 ms p99 time to first byte over HTTP with one client).

Starts `karmayogi serve` (release build by default) on a fresh demo world, signs in as the demo learner, completes one
course so that the certificate and attempt pages exist, then asks for each page ROUNDS times, one request at a time,
with `Accept-Encoding: gzip`. Prints a Markdown table; exits non-zero when a page is over either budget.

    Benchmarks/pages/run.py [binary]          ROUNDS=200 by default
"""
import gzip
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/release/karmayogi")
PORT = int(os.environ.get("PORT", "8094"))
ROUNDS = int(os.environ.get("ROUNDS", "200"))
SIZE_BUDGET = 60 * 1024
TTFB_BUDGET_MS = 100.0


class Client:
    """One keep-alive connection with the session cookie, like one browser tab."""

    def __init__(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        self.cookies = {}
        self.csrf = ""

    def request(self, method, path, form=None, gzip_ok=True):
        headers = {"Accept": "text/html", "Accept-Language": "en"}
        if gzip_ok:
            headers["Accept-Encoding"] = "gzip"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form + [("csrf", self.csrf)] if isinstance(form, list) else form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        first_byte = time.perf_counter() - started  # the status line and headers have arrived
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return response, data, first_byte

    def page(self, path):
        response, data, _ = self.request("GET", path)
        text = gzip.decompress(data) if response.headers.get("Content-Encoding") == "gzip" else data
        return text.decode()

    def post(self, path, pairs):
        """A form as a browser sends it (names may repeat), with the session's CSRF token."""
        if not self.csrf:
            self.csrf = re.search(r'name="csrf" value="([^"]+)"', self.page("/my/learning")).group(1)
        response, _, _ = self.request("POST", path, form=pairs)
        return response


def main():
    work = tempfile.mkdtemp(prefix="karmayogi-pages-")
    server = subprocess.Popen([BINARY, "serve", "--port", str(PORT)], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, SQLITE_PATH=os.path.join(work, "demo.sqlite"), CONTENT_DIR=os.path.join(work, "content")))
    try:
        for _ in range(300):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                probe.request("GET", "/health")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        client = Client()
        login = client.page("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
        client.request("POST", "/login", form={"email": "learner@karmayogi.example.org", "password": "Karmayogi@2026", "next": "/", "csrf": csrf})
        # The learner's own pages, and one course taken to its certificate (assessment included).
        learning = client.page("/my/learning")
        course_path = re.search(r'href="(/learn/[0-9A-F-]+)', learning).group(1)
        course_id = course_path.rsplit("/", 1)[1]
        player = client.page(course_path)
        for item in re.findall(r'name="itemId" value="([^"]+)"', player):
            client.post(f"{course_path}/done", [("itemId", item), ("key", item)])
        player = client.page(course_path)
        start = re.search(r'action="(/learn/[^"]+/attempts/[^"]+)"', player).group(1)
        attempt = client.post(start, []).headers.get("Location")
        # The demo assessment's right answers (DemoWorld.demoQuiz), found by the options' text; true/false is value 0.
        right = {"Right to Information Act, 2005", "Behavioural", "Functional", "Domain"}
        form = client.page(attempt)
        answers = [(name, "36") for name in re.findall(r'type="number" step="any" name="(q-[^"]+)"', form)]
        for kind, name, value, text in re.findall(r'<input type="(radio|checkbox)" name="(q-[^"]+)" value="(\d+)"[^>]*> <span>([^<]*)</span>', form):
            options = re.findall(rf'name="{name}" value="\d+"[^>]*> <span>([^<]*)</span>', form)
            true_false = len(options) == 2 and not (set(options) & right)
            if (value == "0") if true_false else (text.strip() in right):
                answers.append((name, value))
        client.post(attempt, answers)
        pages = ["/", "/my/learning", "/courses", "/courses?q=cyber", f"/courses/{course_id}", course_path, attempt,
                 "/my/certificates", "/my/passbook", "/my/karma", "/my/plans", "/competencies", "/verify", "/styleguide", "/login"]
        certificates = client.page("/my/certificates")
        certificate = re.search(r'href="(/certificates/[0-9A-F-]+)"', certificates)
        if certificate:
            pages.append(certificate.group(1))
        stylesheet = re.search(r'href="(/assets/style\.[0-9a-f]+\.css)"', login).group(1)
        script = re.search(r'src="(/assets/player\.[0-9a-f]+\.js)"', player)
        assets = [stylesheet] + ([script.group(1)] if script else [])

        rows, over = [], []
        for path in pages + assets:
            times, compressed, plain = [], 0, 0
            for _ in range(ROUNDS):
                response, data, first_byte = client.request("GET", path)
                times.append(first_byte * 1000)
                compressed = len(data)
                if response.status != 200:
                    over.append(f"{path} answered {response.status}")
                    break
            _, raw, _ = client.request("GET", path, gzip_ok=False)
            plain = len(raw)
            times.sort()
            p50, p99 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]
            rows.append((path, plain, compressed, p50, p99))
            if path not in assets and (compressed > SIZE_BUDGET or p99 > TTFB_BUDGET_MS):
                over.append(f"{path}: {compressed} bytes compressed, p99 {p99:.1f} ms")
        print(f"| page | size | compressed (gzip) | TTFB p50 | TTFB p99 |")
        print(f"| --- | ---: | ---: | ---: | ---: |")
        for path, plain, compressed, p50, p99 in rows:
            shown = re.sub(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f-]{27}", "{id}", path)
            print(f"| `{shown}` | {plain / 1024:.1f} KB | {compressed / 1024:.1f} KB | {p50:.1f} ms | {p99:.1f} ms |")
        print(f"\n{len(rows)} pages and assets, {ROUNDS} requests each, one client; budgets: {SIZE_BUDGET // 1024} KB compressed, "
              f"{TTFB_BUDGET_MS:.0f} ms p99 to first byte.")
        for problem in over:
            print("OVER BUDGET", problem)
        return 1 if over else 0
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
