#!/usr/bin/env python3
"""The journeys of the learner (issue 14) and of the admins and authors (issue 15) in a real browser (headless Chromium
through Selenium).

The learner:

sign in -> home -> search -> course -> enrol -> player -> assessment (fail, try again, pass) -> certificate ->
verify by number -> passbook -> karma, at 412x915 and 1366x900, in English and in Hindi, and once more with
JavaScript switched off. The certificate's QR code, read off a screenshot with zxing-cpp, must be its verification URL.

The admins and authors, at 412x915 and 1366x900: an MDO admin (add a person, a bulk upload with bad rows, edit a person,
resend activation, deactivate, plans, compliance, a report), a State admin (State -> district -> organisation, scorecard),
a content creator -> reviewer -> publisher (a course with a video, a PDF and an assessment written on the page, reviewed
with the content opened, published, found in the catalogue), and the national admin (a ministry and a department, a KPI
input, a domain competency).

A trainer shows a programme session's attendance code; a participant reads the QR code off the trainer's screen (zxing-cpp)
and records their attendance with one tap; a master trainer opens a cascade batch on their phone and records who came; the
cohort's page for its mentor and its participant (issue 19).

Karmayogi Saathi (issue 22): the national admin adds a document; a learner asks, reads the cited source, is told "I don't
know" with a search to try, and is answered from the new document.

On every page visited: no sideways overflow, no console error, no serious or critical axe-core violation.

Run against a server started on a fresh demo world (`.ci/journeys` does that):
    python3 Tests/Browser/journeys.py --url http://127.0.0.1:8098 [--screenshots DIR]
"""
import argparse
import base64
import datetime
import json
import os
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib

import numpy
import zxingcpp
from axe_core_python.selenium import Axe
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

PASSWORD = "Karmayogi@2026"
LEARNER = "learner@karmayogi.example.org"
# The demo assessment's right answers (DemoWorld.demoQuiz): options are shuffled, so they are found by their text.
RIGHT_OPTIONS = {"Right to Information Act, 2005", "Behavioural", "Functional", "Domain"}
RIGHT_NUMBER = "36"


def png_to_grey(png: bytes) -> numpy.ndarray:
    """Decodes the 8-bit RGB(A), non-interlaced PNG that Chromium's screenshots are, to a grey image."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, data, width, height, channels = 8, b"", 0, 0, 0
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        chunk = png[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and colour in (2, 6), "unexpected PNG format"
            channels = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            data += chunk
        position += 12 + length
    raw = zlib.decompress(data)
    stride = width * channels
    rows = numpy.zeros((height, stride), dtype=numpy.int32)
    previous = numpy.zeros(stride, dtype=numpy.int32)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = numpy.frombuffer(raw[start + 1:start + 1 + stride], dtype=numpy.uint8).astype(numpy.int32)
        if kind == 0:
            current = line
        elif kind == 2:
            current = (line + previous) & 255
        else:  # Sub, Average and Paeth depend on the bytes to the left: done byte by byte.
            current = numpy.zeros(stride, dtype=numpy.int32)
            for x in range(stride):
                left = current[x - channels] if x >= channels else 0
                up = previous[x]
                if kind == 1:
                    current[x] = (line[x] + left) & 255
                elif kind == 3:
                    current[x] = (line[x] + (left + up) // 2) & 255
                else:
                    upper_left = previous[x - channels] if x >= channels else 0
                    p = left + up - upper_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                    predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
                    current[x] = (line[x] + predictor) & 255
        rows[y] = current
        previous = current
    pixels = rows.reshape(height, width, channels)[:, :, :3]
    return pixels.mean(axis=2).astype(numpy.uint8)


def india_today() -> datetime.date:
    """Today in India, where the server counts its days (the machine's clock may be on UTC, five and a half hours behind)."""
    return datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=5, minutes=30))).date()


class Journey:
    def __init__(self, base: str, width: int, height: int, language: str, javascript: bool, shots: str | None, scenario: str = "learner"):
        self.base, self.width, self.height, self.language, self.javascript = base, width, height, language, javascript
        self.scenario = scenario
        self.name = f"{scenario}-{width}x{height}-{language}{'' if javascript else '-nojs'}"
        self.tag = uuid.uuid4().hex[:6]  # runs share one world: what a run adds carries its own tag
        self.shots = shots
        self.failures: list[str] = []
        self.pages = 0
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                         f"--lang={'hi-IN' if language == 'hi' else 'en-IN'}"]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        if not javascript:
            options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        driver_path = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(options=options, service=Service(driver_path))
        self.driver.set_window_size(width, height)
        self.axe = Axe()

    def fail(self, message: str):
        self.failures.append(f"[{self.name}] {self.driver.current_url}: {message}")

    # Every page: no sideways overflow, no console error, no serious or critical accessibility violation.
    def check(self, label: str):
        self.pages += 1
        driver = self.driver
        scroll = driver.execute_script("return document.documentElement.scrollWidth")
        viewport = driver.execute_script("return window.innerWidth")
        if scroll > viewport:
            wide = driver.execute_script("""
                const w = window.innerWidth; return [...document.querySelectorAll('body *')]
                  .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.scroll')).slice(0, 3)
                  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));""")
            self.fail(f"{label}: the page is {scroll} px wide on a {viewport} px screen ({wide})")
        for entry in driver.get_log("browser"):
            if entry.get("level") == "SEVERE":
                self.fail(f"{label}: console error: {entry.get('message')}")
        if self.javascript:
            results = self.axe.run(driver, options={"resultTypes": ["violations"]})
            for violation in results.get("violations", []):
                if violation.get("impact") in ("serious", "critical"):
                    targets = [node.get("target") for node in violation.get("nodes", [])][:3]
                    self.fail(f"{label}: axe {violation['impact']} {violation['id']}: {violation['help']} at {targets}")
        if self.shots:
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(self.width, min(max(height, self.height), 6000))
            driver.save_screenshot(os.path.join(self.shots, f"{self.name}-{self.pages:02d}-{label}.png"))
            driver.set_window_size(self.width, self.height)

    def open(self, path: str, label: str):
        separator = "&" if "?" in path else "?"
        self.driver.get(f"{self.base}{path}{separator}lang={self.language}")
        self.check(label)

    def submit(self, form_selector: str, label: str, button: str = "button"):
        self.driver.find_element(By.CSS_SELECTOR, f"{form_selector} {button}").click()
        time.sleep(0.2)
        self.check(label)

    def require(self, condition: bool, message: str) -> bool:
        if not condition:
            self.fail(message)
        return condition

    def body(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def answer(self, right: bool):
        """Fills the attempt's form with the right answers, or with wrong ones."""
        driver = self.driver
        for fieldset in driver.find_elements(By.CSS_SELECTOR, "main form fieldset"):
            numbers = fieldset.find_elements(By.CSS_SELECTOR, "input[type=number]")
            if numbers:
                numbers[0].clear()
                numbers[0].send_keys(RIGHT_NUMBER if right else "28")
                continue
            options = fieldset.find_elements(By.CSS_SELECTOR, "label.option")
            true_false = len(options) == 2 and not any(o.text.strip() in RIGHT_OPTIONS for o in options) \
                and fieldset.find_elements(By.CSS_SELECTOR, "input[type=radio]")
            for option in options:
                box = option.find_element(By.TAG_NAME, "input")
                if true_false:
                    correct = box.get_attribute("value") == "0"  # "Mission Karmayogi is ..." is true
                else:
                    correct = option.text.strip() in RIGHT_OPTIONS
                if (correct if right else not correct) and not box.is_selected():
                    option.click()
                    if not right:
                        break

    def sign_in(self, email: str):
        driver = self.driver
        self.open("/login", "sign-in")
        driver.find_element(By.NAME, "email").send_keys(email)
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        self.submit("main form", "home")
        self.require("/login" not in driver.current_url, f"signing in as {email} failed")

    def sign_out(self):
        self.driver.delete_all_cookies()

    def fill(self, selector: str, value: str):
        element = self.driver.find_element(By.CSS_SELECTOR, selector)
        element.clear()
        element.send_keys(value)

    def press(self, selector: str, label: str):
        """Clicks a button or link (scrolled into view first) and checks the page it leads to."""
        element = self.driver.find_element(By.CSS_SELECTOR, selector)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()
        time.sleep(0.3)
        self.check(label)

    def expand(self, selector: str):
        """Opens a <details> (a folded form) the way a person does: by its summary."""
        for details in self.driver.find_elements(By.CSS_SELECTOR, selector):
            if details.get_attribute("open") is None:
                summary = details.find_element(By.TAG_NAME, "summary")
                self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
                summary.click()

    def api(self, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
        """A call to the API, as an organiser's own tools make it (the journeys set up what a page then shows)."""
        request = urllib.request.Request(self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                         headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            # Name the call and the server's reasons, so a failed journey says what it was refused.
            raise RuntimeError(f"{method} {path} answered {error.code}: {error.read()[:500].decode(errors='replace')}") from None

    def token(self, email: str) -> str:
        return self.api("POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD})["accessToken"]

    def says(self, english: str, hindi: str | None = None) -> bool:
        return (english if self.language == "en" or hindi is None else hindi) in self.body()

    def run(self):
        getattr(self, self.scenario)()

    def learner(self):
        driver = self.driver
        self.sign_in(LEARNER)
        self.require(len(driver.find_elements(By.ID, "h-continue")) == 1, "home has no 'continue learning'")

        # Search, and open the first course not yet enrolled in.
        self.open("/courses?q=cyber", "search")
        links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "article.course-card h2 a")]
        self.require(len(links) > 0, "searching for 'cyber' found nothing")
        course = None
        for link in links + [a.get_attribute("href") for a in []]:
            driver.get(f"{link}?lang={self.language}")
            if driver.find_elements(By.CSS_SELECTOR, "form[action$='/enrol'] button"):
                course = link
                break
        if course is None:
            self.open("/courses?sort=newest", "catalogue")
            for link in [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "article.course-card h2 a")]:
                driver.get(f"{link}?lang={self.language}")
                if driver.find_elements(By.CSS_SELECTOR, "form[action$='/enrol'] button"):
                    course = link
                    break
        if not self.require(course is not None, "no course left to enrol in"):
            return
        self.check("course")
        self.submit("form[action$='/enrol']", "player")
        self.require("/learn/" in driver.current_url, "enrolling did not open the player")

        # Mark every item but the assessment done.
        while True:
            buttons = driver.find_elements(By.CSS_SELECTOR, "form[action$='/done'] button")
            if not buttons:
                break
            buttons[0].click()
            time.sleep(0.2)
        self.check("player")

        # The assessment: fail, try again, pass.
        self.submit("form[action*='/attempts/']", "attempt-1")
        self.require("/attempts/" in driver.current_url, "starting the assessment did not open it")
        text = self.body()
        self.require(("Attempt 1 of 3" in text) if self.language == "en" else ("3 में से प्रयास 1" in text), "the first attempt is not numbered 1 of 3")
        self.answer(right=False)
        self.submit("main form[action^='/attempts/']", "attempt-1-result", button="div.actions button")
        try_again = driver.find_elements(By.CSS_SELECTOR, "form[action*='/attempts/'] button")
        if self.require(len(try_again) == 1, "a failed attempt offers no 'Try again'"):
            self.require("✓" not in self.body(), "a failed attempt with attempts left shows the right answers")
            try_again[0].click()
            time.sleep(0.2)
            self.check("attempt-2")
            text = self.body()
            self.require(("Attempt 2 of 3" in text) if self.language == "en" else ("3 में से प्रयास 2" in text), "the second attempt is not numbered 2 of 3")
            self.answer(right=True)
            self.submit("main form[action^='/attempts/']", "attempt-2-result", button="div.actions button")
        back = driver.find_elements(By.CSS_SELECTOR, "main a[href^='/learn/']")
        if back:
            driver.get(back[0].get_attribute("href") + f"?lang={self.language}")
            self.check("completed")

        # The certificate: its QR code reads as its verification URL; verify it by its number.
        certificates = driver.find_elements(By.CSS_SELECTOR, "main a[href^='/certificates/'], main a[href*='/certificates/']")
        if not self.require(len(certificates) > 0, "the completed course shows no certificate"):
            return
        driver.get(certificates[0].get_attribute("href") + f"?lang={self.language}")
        self.check("certificate")
        qr = driver.find_element(By.CSS_SELECTOR, "svg.qr")
        driver.execute_script("arguments[0].scrollIntoView()", qr)
        grey = png_to_grey(qr.screenshot_as_png)
        found = zxingcpp.read_barcodes(grey)
        number = driver.find_element(By.CSS_SELECTOR, ".certificate strong:last-of-type").text.strip()
        expected = f"{self.base}/verify?id={number}"
        self.require(len(found) == 1 and found[0].text == expected,
                     f"the QR code reads {[b.text for b in found]}, not {expected}")
        self.open("/verify", "verify")
        driver.find_element(By.NAME, "credential").send_keys(number)
        self.submit("main form", "verified")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, ".badge.success")) == 1, f"verifying {number} did not answer valid")

        # Passbook, credits and karma: the course completed belongs to the demo's NCVET qualification (any one course a
        # search for "cyber" finds), so the transcript lists it.
        self.open("/my/passbook", "passbook")
        self.open("/my/credits", "credits")
        self.require("Certificate in cyber hygiene for public servants" in self.body(), "the transcript does not list the qualification earned")
        self.open("/my/karma", "karma")

        # The learning week on home, its page, and the events.
        self.open("/", "home-again")
        banners = driver.find_elements(By.CSS_SELECTOR, "aside.campaign-banner a")
        if self.require(len(banners) == 1, "home shows no banner for Rajasthan's live learning week"):
            driver.get(banners[0].get_attribute("href") + f"?lang={self.language}")
            self.check("learning-week")
            self.require(len(driver.find_elements(By.CSS_SELECTOR, ".figure-card")) >= 5, "the learning week shows no counters")
        self.open("/events", "events")
        self.open("/events?view=calendar", "calendar")
        self.open("/events?view=past", "past-events")

    # A learner registers for a live talk, checks in with the code shown in the room, and once it ends finds its
    # certificate (the scheduled settling runs every 10 seconds).
    def event(self):
        driver = self.driver
        organiser = self.token("admin@karmayogi.example.org")
        me = self.api("GET", "/api/v1/me", organiser)
        now = datetime.datetime.now(datetime.timezone.utc)
        event = self.api("POST", "/api/v1/events", organiser, {
            "title": f"Karmayogi Talk {self.tag}", "kind": "talk", "organiserId": me["organisationId"],
            "startsAt": (now - datetime.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endsAt": (now + datetime.timedelta(seconds=45)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "onlineUrl": "https://meet.example.gov.in/journey", "attendanceRule": {"kind": "check_in"}})
        path = f"/events/{event['id'].lower()}"
        self.sign_in(LEARNER)
        self.open(path, "event")
        self.press(f"form[action='{path}/register'] button", "registered")
        code = self.api("GET", f"/api/v1/events/{event['id']}/check-in-code", organiser)["code"]
        self.fill("#code", code)
        self.press(f"form[action='{path}/check-in'] button", "checked-in")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, "checking in said nothing")
        deadline = time.time() + 120
        while time.time() < deadline and not driver.find_elements(By.CSS_SELECTOR, "main a[href^='/certificates/']"):
            time.sleep(5)
            driver.get(f"{self.base}{path}?lang={self.language}")
        links = driver.find_elements(By.CSS_SELECTOR, "main a[href^='/certificates/']")
        if self.require(len(links) >= 1, "no certificate two minutes after the talk ended"):
            self.check("attended")
            self.press("main a[href^='/certificates/']", "event-certificate")
            self.require(f"Karmayogi Talk {self.tag}" in self.body(), "the certificate does not name the talk")

    # A trainer shows a session's attendance code on their phone; a participant's camera reads it and one tap records
    # their attendance (the code is read off the trainer's screen with zxing-cpp, as a camera would).
    def programme(self):
        driver = self.driver
        coordinator = self.token("admin@karmayogi.example.org")
        me = self.api("GET", "/api/v1/me", coordinator)
        # The session runs from five minutes ago for an hour; the batch holds every India day it touches, so the journey
        # also passes when it runs across India's midnight.
        now = datetime.datetime.now(datetime.timezone.utc)
        india = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
        first, last = (now - datetime.timedelta(minutes=5)).astimezone(india).date(), (now + datetime.timedelta(hours=1)).astimezone(india).date()
        programme = self.api("POST", "/api/v1/programmes", coordinator, {
            "title": f"Jan Seva {self.tag}", "titleHi": f"जन सेवा {self.tag}", "providerId": me["organisationId"], "approvalRoute": "none"})
        batch = self.api("POST", f"/api/v1/programmes/{programme['id']}/batches", coordinator, {
            "name": f"Jaipur {self.tag}", "startDate": first.isoformat(), "endDate": last.isoformat(), "seats": 40, "stateCode": 8,
            "trainerIds": [me["id"]]})
        session = self.api("POST", f"/api/v1/batches/{batch['id']}/sessions", coordinator, {
            "title": f"Citizen first {self.tag}", "startsAt": (now - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endsAt": (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "venue": "HCM RIPA, Jaipur"})
        # One participant per run: runs share one world, and nobody holds two batches on the same day.
        participant = {(412, "en", True): LEARNER, (1366, "hi", True): "creator.lbsnaa@karmayogi.example.org"}.get(
            (self.width, self.language, self.javascript), "reviewer.lbsnaa@karmayogi.example.org")
        self.api("POST", f"/api/v1/batches/{batch['id']}/nominations", self.token(participant))
        self.sign_in("admin@karmayogi.example.org")
        self.open(f"/sessions/{session['id'].lower()}/code", "attendance-code")
        qr = driver.find_element(By.CSS_SELECTOR, "svg.qr")
        driver.execute_script("arguments[0].scrollIntoView()", qr)
        found = zxingcpp.read_barcodes(png_to_grey(qr.screenshot_as_png))
        if not self.require(len(found) == 1 and "/attend?token=" in found[0].text, f"the attendance QR code reads {[b.text for b in found]}"):
            return
        self.sign_out()
        self.sign_in(participant)
        address = found[0].text
        driver.get(address + f"&lang={self.language}")
        self.check("attend")
        self.press("form[action='/attend'] button", "attended")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, "recording attendance said nothing")
        ledger = self.api("GET", f"/api/v1/sessions/{session['id']}/attendance", coordinator)
        self.require([row["how"] for row in ledger["items"]] == ["scan"], f"the session's ledger holds {ledger['items']}")

    # Blended programmes and a cohort journey as their people meet them: the trainer's sessions today, a batch's
    # nominations and a session's roster; the nominations awaiting a State admin; the cohort's page for its mentor,
    # and the participant's own phases.
    def cohort(self):
        driver = self.driver
        self.sign_in("coordinator.ripa@karmayogi.example.org")
        self.open("/programmes", "programmes-trainer")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "a[href$='/code']")) >= 1, "the trainer sees no session of today")
        # The demo's programme, which this coordinator's institute runs (other journeys add programmes of their own).
        programmes = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main li.card a[href*='/programmes/']")
                      if "Leadership for district officers" in a.text or "ज़िला अधिकारियों के लिए नेतृत्व" in a.text]
        if self.require(len(programmes) >= 1, "the demo's programme is not listed"):
            driver.get(programmes[0] + f"?lang={self.language}")
            self.check("programme")
            batches = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main a[href*='/batches/']")]
            if self.require(len(batches) >= 1, "the coordinator has no link to a batch"):
                driver.get(batches[0] + f"?lang={self.language}")
                self.check("batch")
                rosters = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main td a[href*='/sessions/']") if not a.get_attribute("href").endswith("/code")]
                if self.require(len(rosters) >= 1, "the batch lists no session roster"):
                    driver.get(rosters[0] + f"?lang={self.language}")
                    self.check("roster")
                    self.require(len(driver.find_elements(By.CSS_SELECTOR, "main tbody tr")) >= 1, "the roster is empty")
        # The coordinator is a master trainer of the demo's cascade too: they open a one-day batch of participants on
        # their phone and record who came, by e-mail.
        self.open("/cascades", "cascades")
        cascades = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main li.card a") if "Jan Seva" in a.text or "जन सेवा" in a.text]
        if self.require(len(cascades) >= 1, "the demo's cascade is not listed"):
            driver.get(cascades[0] + f"?lang={self.language}")
            self.check("cascade-reach")
            self.press("main a[href$='/training']", "cascade-training")
            Select(driver.find_element(By.ID, "stateCode")).select_by_value("8")
            self.fill("#venue", f"Collectorate {self.tag}")
            self.press("form[action$='/training'] button", "cascade-batch")
            self.fill("#emails", LEARNER)
            self.press("form[action$='/attendance'] button", "cascade-attendance")
            self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, "recording the batch's attendance said nothing")
            self.require(len(driver.find_elements(By.CSS_SELECTOR, "main tbody tr")) == 1, "the batch lists no attendee")
        self.sign_out()
        self.sign_in("state.rajasthan@karmayogi.example.org")
        self.open("/nominations", "nominations-awaiting")
        self.sign_out()
        self.sign_in("mdo.mha@karmayogi.example.org")
        self.open("/journeys", "journeys")
        journeys = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main li.card a")]
        if self.require(len(journeys) >= 1, "no journey is listed"):
            driver.get(journeys[0] + f"?lang={self.language}")
            self.check("cohort")
            self.require(len(driver.find_elements(By.CSS_SELECTOR, "main progress")) >= 1, "the cohort's progress is not shown")
            self.sign_out()
            self.sign_in(LEARNER)
            driver.get(journeys[0] + f"?lang={self.language}")
            self.check("my-journey")
            self.require(len(driver.find_elements(By.CSS_SELECTOR, "main section.card")) >= 2, "the participant does not see the phases")

    # The Amrit Gyaan Kosh: a case editor of HCM RIPA writes a case and sends it for review, the national admin (a
    # second pair of eyes) publishes it, a learner finds it by its words and its goal but not its teaching note, which a
    # faculty member of LBSNAA reads.
    def cases(self):
        driver = self.driver
        title = f"Village water committees of Barmer {self.tag}"
        self.sign_in("editor.ripa@karmayogi.example.org")
        self.open("/cases", "kosh")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "main li.card")) >= 10, "the Kosh lists fewer than ten cases")
        self.press("main a[href='/cases/new']", "case-new")
        self.fill("#title", title)
        self.fill("#abstract", "How forty villages came to run their own piped water.")
        self.fill("#authors", "Asha Verma\nRohit Meena")
        Select(driver.find_element(By.ID, "stateCode")).select_by_value("8")
        for goal in ("6", "16"):
            box = driver.find_element(By.CSS_SELECTOR, f"input[name='sdgs[]'][value='{goal}']")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
            box.click()
        Select(driver.find_element(By.ID, "sector")).select_by_value("water_sanitation")
        self.fill("#year", "2025")
        self.fill("#body", "The setting.\n\nThe decision.")
        self.fill("#teachingNote", f"Teaching note {self.tag}: ask who pays for the pump.")
        self.press("form[action='/cases/new'] button", "case-draft")
        self.require(title in self.body(), "the new case did not open")
        case = driver.current_url.split("?")[0]
        self.press("form[action$='/step'] button[value='submit']", "case-sent")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, "sending the case for review said nothing")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "button[value='publish']")) == 1, "no publish button for the case in review")
        self.sign_out()
        self.sign_in("admin@karmayogi.example.org")
        driver.get(case + f"?lang={self.language}")
        self.check("case-review")
        self.press("form[action$='/step'] button[value='publish']", "case-published")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, "publishing the case said nothing")
        self.sign_out()
        self.sign_in(LEARNER)
        self.open(f"/cases?q={self.tag}&sdg=16", "cases-found")
        self.require(title in self.body(), "the learner does not find the published case by its words and goal")
        driver.get(case + f"?lang={self.language}")
        self.check("case-read")
        self.require(f"Teaching note {self.tag}" not in self.body(), "a learner reads the teaching note")
        self.open("/cases/coverage", "cases-coverage")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "svg.heat rect")) == 36 * 17, "the coverage map is not 36 States/UTs by 17 goals")
        self.sign_out()
        self.sign_in("faculty.lbsnaa@karmayogi.example.org")
        driver.get(case + f"?lang={self.language}")
        self.check("case-teaching-note")
        self.require(f"Teaching note {self.tag}" in self.body(), "faculty do not read the teaching note")

    # NSCSTI accreditation: HCM RIPA's MDO admin applies, answers the profile, scores the institute and submits; the
    # national admin assigns an independent assessor (Madhya Pradesh's State admin) to both assessments; the assessor
    # scores at the desk and on site; the national admin decides; the public register shows the stars.
    def accreditation(self):
        driver = self.driver
        self.sign_in("admin.ripa@karmayogi.example.org")
        self.open("/accreditation", "accreditation")
        self.press("form[action='/accreditation/apply'] button", "application")
        application = driver.current_url.split("?")[0]
        self.require("/accreditations/" in application, "applying did not open the application")
        for index, box in enumerate(driver.find_elements(By.CSS_SELECTOR, "input[name='profile[]']")):
            box.clear()
            box.send_keys(["1957", "24", "12,400", "1,850"][index % 4])
        for box in driver.find_elements(By.CSS_SELECTOR, "input[name^='scores[']"):
            box.clear()
            box.send_keys(box.get_attribute("max"))
        self.press("form[action$='/self'] button[name='submit']", "application-submitted")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, "submitting the application said nothing")
        self.sign_out()
        self.sign_in("admin@karmayogi.example.org")
        driver.get(application + f"?lang={self.language}")
        self.check("application-national")
        for phase in ("desktop", "onsite"):
            self.fill("#email", "state.mp@karmayogi.example.org")
            Select(driver.find_element(By.ID, "phase")).select_by_value(phase)
            self.press("form[action$='/assessors'] button", f"assessor-{phase}")
            self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, f"assigning the {phase} assessor said nothing")
        self.sign_out()
        self.sign_in("state.mp@karmayogi.example.org")
        for phase in ("desktop", "onsite"):
            driver.get(application + f"?lang={self.language}")
            self.check(f"assessment-{phase}")
            for box in driver.find_elements(By.CSS_SELECTOR, "form[action$='/scores'] input[type=number]"):
                box.send_keys(str(int(box.get_attribute("max")) - 1))
            self.press("form[action$='/scores'] button", f"scored-{phase}")
            self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, f"sending the {phase} scores said nothing")
        self.sign_out()
        self.sign_in("admin@karmayogi.example.org")
        driver.get(application + f"?lang={self.language}")
        self.check("decision")
        self.fill("#decision-note", f"Decided in the journey {self.tag}")
        self.press("form[action$='/decide'] button", "decided")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, "deciding said nothing")
        self.sign_out()
        self.open("/accreditation", "register")
        self.require("HCM Rajasthan State Institute of Public Administration" in self.body(), "the register does not show the accredited institute")

    # A State admin runs a State learning week: makes it, publishes it, and looks at the live one's leaderboards.
    def stateweek(self):
        driver = self.driver
        self.sign_in("state.rajasthan@karmayogi.example.org")
        self.open("/campaigns", "learning-weeks")
        self.press("main a[href='/campaigns/new']", "new-learning-week")
        tomorrow = india_today() + datetime.timedelta(days=1)
        self.fill("#name", f"Rajasthan digital week {self.tag}")
        self.fill("#nameHi", f"राजस्थान डिजिटल सप्ताह {self.tag}")
        for field, day in [("startDate", tomorrow), ("endDate", tomorrow + datetime.timedelta(days=6))]:
            driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, field), day.isoformat())
        self.fill("#goalValue", "4")
        self.fill("#banner", "Four hours of digital skills this week")
        self.press("form[action='/campaigns/new'] button", "learning-week-draft")
        self.require(f"Rajasthan digital week {self.tag}" in self.body() or f"राजस्थान डिजिटल सप्ताह {self.tag}" in self.body(), "the new learning week did not open")
        self.press("form[action$='/publish'] button", "learning-week-published")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, "publishing said nothing")
        self.open("/campaigns", "learning-weeks-again")
        live = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main td a[href^='/campaigns/'], main td a[href*='/campaigns/']")
                if "Karmayogi Saptah" in a.text or "कर्मयोगी सप्ताह" in a.text]
        if self.require(len(live) >= 1, "the live learning week is not listed"):
            driver.get(live[0] + f"?board=districts&lang={self.language}")
            self.check("districts-board")
            self.require("Jaipur" in self.body() or "जयपुर" in self.body(), "the districts' leaderboard does not rank Jaipur")

    # Karmayogi Saathi (issue 22): the national admin adds a document on its page; a learner asks in their language,
    # is answered with passages that cite their sources, opens one, is told "I don't know" for what nothing answers, and
    # is answered from the new document at once.
    def assistant(self):
        driver = self.driver
        self.sign_in("admin@karmayogi.example.org")
        self.open("/admin/assistant", "assistant-documents")
        self.fill("#field-title", f"Circular {self.tag}")
        self.fill("#field-body", f"# Leave for training\nOfficers attending the {self.tag} residential programme get special casual leave for its days.")
        self.press("form[action='/admin/assistant'] button", "assistant-document-added")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "p.notice")) == 1, "adding the document said nothing")
        self.sign_out()
        self.sign_in(LEARNER)
        self.open("/assistant", "assistant")
        english = self.language == "en"
        self.fill("#question", "How do I download my certificate?" if english else "मुझे प्रमाणपत्र कब मिलेगा?")
        self.press("form[action='/assistant'] button", "assistant-answered")
        passages = driver.find_elements(By.CSS_SELECTOR, "main ul.answer blockquote")
        self.require(len(passages) >= 1, "the question got no passage")
        self.require(("Open My certificates" if english else "अपने आप जारी होता है") in passages[0].text if passages else False,
                     f"the first passage does not answer it: {passages[0].text if passages else ''}")
        sources = driver.find_elements(By.CSS_SELECTOR, "main ul.answer a[href^='/assistant/documents/']")
        if self.require(len(sources) >= 1, "the passage cites no source"):
            address, _, part = sources[0].get_attribute("href").partition("#")
            driver.get(f"{address}?lang={self.language}" + (f"#{part}" if part else ""))
            self.check("assistant-source")
            self.require(not part or len(driver.find_elements(By.ID, part)) == 1, f"the cited part #{part} is not on the document's page")
            self.open("/assistant", "assistant-again")
        self.fill("#question", "What is the weather in Delhi tomorrow?" if english else "कल दिल्ली में मौसम कैसा रहेगा?")
        self.press("form[action='/assistant'] button", "assistant-unknown")
        first = driver.find_elements(By.CSS_SELECTOR, "main li.card")
        self.require(bool(first) and "/courses?q=" in first[0].get_attribute("innerHTML"), "nothing answers the weather, yet no search was offered")
        self.fill("#question", f"special casual leave for the {self.tag} residential programme")
        self.press("form[action='/assistant'] button", "assistant-new-document")
        self.require("special casual leave" in (driver.find_elements(By.CSS_SELECTOR, "main li.card")[0].text if driver.find_elements(By.CSS_SELECTOR, "main li.card") else ""),
                     "the document just added does not answer")

    # The MDO admin: people, a bulk upload, a person's page, plans, compliance and a report.
    def mdo(self):
        driver = self.driver
        self.sign_in("mdo.mha@karmayogi.example.org")
        self.open("/admin/users", "people")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")) > 1, "the people list is empty")

        # Add a person: a State first, then its districts.
        self.press("main a[href^='/admin/users/new']", "add-person")
        Select(driver.find_element(By.ID, "s")).select_by_value("8")
        if self.javascript:
            time.sleep(0.8)
        else:
            self.press("form[data-state-step] button", "add-person-districts")
        districts = Select(driver.find_element(By.ID, "field-districtCode"))
        self.require(len(districts.options) > 20, "the district list did not follow the State (Rajasthan)")
        districts.select_by_visible_text("Jaipur")
        email = f"new.{self.tag}@mha.example.org"
        self.fill("#field-name", f"Asha Verma {self.tag}")
        self.fill("#field-email", email)
        self.fill("#field-designation", "Assistant Section Officer")
        self.press("form[action^='/admin/users?org='] div.actions button", "person-added")
        self.require(self.says("was added", "जोड़ा"), "adding a person was not confirmed")

        # A bulk upload with a bad row: the rows are answered one by one.
        self.expand("details.card")
        sheet = os.path.join(tempfile.mkdtemp(), "staff.csv")
        with open(sheet, "w") as file:
            file.write(f"name,email\nGood {self.tag},good.{self.tag}@mha.example.org\nBad {self.tag},not-an-email\n")
        driver.find_element(By.CSS_SELECTOR, "form[action^='/admin/uploads'] input[type=file]").send_keys(sheet)
        self.press("form[action^='/admin/uploads'] button", "upload")
        for _ in range(60):  # the page follows the upload by itself (a script, or a timed refresh without one)
            if not driver.find_elements(By.CSS_SELECTOR, "[data-live]"):
                break
            time.sleep(0.5)
        self.check("upload-done")
        self.require("email" in self.body(), "the bad row of the upload is not named")

        # The person's page: edit, resend activation, deactivate with a reason.
        self.open(f"/admin/users?q={email}", "search-person")
        self.press(f"main table a[href^='/admin/users/']", "person")
        self.expand("main details.card")
        self.fill("#field-designation", "Section Officer")
        self.press("form[action^='/admin/users/'] div.actions button", "person-saved")
        self.require(self.says("changes are saved", "बदलाव सहेजे गए"), "editing the person was not confirmed")
        self.press("form[action$='/activation'] button", "activation-resent")
        self.require(self.says("new activation link", "नया सक्रियण लिंक"), "resending the activation was not confirmed")
        self.press("main a.button.danger[href$='status?to=disabled']", "deactivate-confirm")
        self.fill("#reason", "Transferred to the State cadre")
        self.press("main form button.danger", "deactivated")
        self.require("Transferred to the State cadre" in self.body(), "the deactivation's reason is not recorded")

        # Plans, compliance, a report.
        self.open("/plans", "plans")
        plans = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main table a[href^='/plans/'], main table a[href*='/plans/']")]
        if self.require(len(plans) > 0, "the ministry's plans are not listed"):
            driver.get(plans[0] + f"/compliance?lang={self.language}")
            self.check("compliance")
            self.require(len(driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")) > 0, "the plan's compliance lists no one")
        self.open("/insights", "dashboard")
        report = driver.find_element(By.CSS_SELECTOR, "main a[href*='/insights/reports/']").get_attribute("href")
        status = driver.execute_script("return fetch(arguments[0]).then(r => r.status)", report) if self.javascript else 200
        self.require(status == 200, f"the report {report} answered {status}")

    # The State admin: State -> district -> organisation, and the scorecard.
    def state(self):
        driver = self.driver
        self.sign_in("state.rajasthan@karmayogi.example.org")
        self.open("/insights", "state")
        self.require("Rajasthan" in self.body() or "राजस्थान" in self.body(), "the State admin's dashboard is not Rajasthan's")
        districts = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main a[href*='scope=district:']")]
        if self.require(len(districts) > 0, "the State's dashboard lists no district"):
            driver.get(districts[0] + f"&lang={self.language}")
            self.check("district")
            crumbs = driver.find_elements(By.CSS_SELECTOR, "nav.crumbs li")
            self.require(len(crumbs) >= 3, "the district's breadcrumbs do not go nation > State > district")
        organisations = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main a[href*='scope=org:']")]
        if not organisations:
            self.open("/insights", "state-again")
            organisations = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main a[href*='scope=org:']")]
        if self.require(len(organisations) > 0, "no organisation to open from the State"):
            driver.get(organisations[0] + f"&lang={self.language}")
            self.check("organisation")
        self.open("/insights/scorecard?scope=state:8", "scorecard")
        self.require("%" in self.body(), "the scorecard shows no share")

    # A course made, reviewed with its content opened, published and found.
    def author(self):
        driver = self.driver
        folder = tempfile.mkdtemp()
        pdf, video = os.path.join(folder, "circular.pdf"), os.path.join(folder, "talk.mp4")
        with open(pdf, "wb") as file:
            file.write(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        with open(video, "wb") as file:
            file.write(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
        title = f"Grievance redress {self.tag}"
        self.sign_in("creator.lbsnaa@karmayogi.example.org")
        self.open("/author", "author")
        self.fill("#title", title)
        self.press("form[action='/author/courses'] button", "editor")
        editor = driver.current_url.split("?")[0]
        Select(driver.find_element(By.ID, "competencyId")).select_by_index(1)
        self.press("form[action$='/add-competency'] button", "competency-added")
        self.fill("#newModule", "Learn")
        self.press("form[action$='/add-module'] button", "module-added")
        for name, kind, path in [("The talk", "video", video), ("The circular", "document", pdf), ("Check yourself", "assessment", None)]:
            self.expand("section.card details")
            self.fill("#n0-title", name)
            Select(driver.find_element(By.ID, "n0-kind")).select_by_value(kind)
            if path:
                driver.find_element(By.ID, "n0-file").send_keys(path)
            self.press("form[action$='/add-item'] button", f"added-{kind}")
        # The questions, written on the page.
        self.press("main a[href*='/assessments/']", "questions")
        questions = driver.current_url.split("?")[0].split("#")[0]
        self.fill("#new-text", "CPGRAMS is the national grievance portal.")
        driver.get(questions + f"?kind=true_false&lang={self.language}")
        self.fill("#new-text", "CPGRAMS is the national grievance portal.")
        driver.find_element(By.CSS_SELECTOR, "input[name=truth][value=true]").click()
        self.press("form[action$='/add'] div.actions button", "question-added")
        driver.get(questions + f"?kind=single&lang={self.language}")
        self.fill("#new-text", "Within how many days must a grievance be answered?")
        self.fill("#new-o0", "21 days")
        self.fill("#new-o1", "90 days")
        driver.find_element(By.CSS_SELECTOR, "input[name='right[]'][value='0']").click()
        self.press("form[action$='/add'] div.actions button", "question-added-2")
        self.open(questions.replace(self.base, "") + "/preview", "preview")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "main fieldset")) == 2, "the preview does not show the two questions")
        driver.get(editor + f"?lang={self.language}")
        self.press("form[action$='/submit'] button", "submitted")
        course = editor.rstrip("/").split("/")[-1]
        self.sign_out()

        # The reviewer opens everything, comments, and approves (confirmed first).
        self.sign_in("reviewer.lbsnaa@karmayogi.example.org")
        self.open(f"/review/{course}", "review")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "main video")) == 1, "the video is not shown inline")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "main iframe.document")) == 1, "the PDF is not shown inline")
        self.require("CPGRAMS is the national grievance portal." in self.body() or driver.find_elements(By.CSS_SELECTOR, "main details"), "the questions are not shown")
        first = driver.find_elements(By.CSS_SELECTOR, "form.comment-form textarea")[0]
        first.send_keys("Say which year's guidelines the talk follows.")
        self.press("form.comment-form button", "commented")
        self.require("Say which year's guidelines the talk follows." in self.body(), "the comment is not shown")
        self.press(f"main a[href='/review/{course.upper()}/approve'], main a[href$='/approve']", "approve-confirm")
        self.press("main form button", "approved")
        self.sign_out()

        # The publisher publishes (confirmed first); the course is in the catalogue.
        self.sign_in("publisher.lbsnaa@karmayogi.example.org")
        self.open(f"/review/{course}/publish", "publish-confirm")
        self.press("main form button", "published")
        self.open(f"/courses?q={self.tag}", "found")
        self.require(title in self.body(), f"the published course '{title}' is not found in the catalogue")

    def in_sco(self):
        """Into the SCO: the portal page frames the runtime (package origin), which frames the SCO."""
        driver = self.driver
        driver.switch_to.default_content()
        driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe.package"))
        for _ in range(50):
            frames = driver.find_elements(By.CSS_SELECTOR, "iframe#sco")
            if frames:
                break
            time.sleep(0.2)
        driver.switch_to.frame(frames[0])
        for _ in range(50):
            if driver.find_elements(By.ID, "butNext"):
                return
            time.sleep(0.2)

    def accept_dialog(self):
        for _ in range(25):
            try:
                self.driver.switch_to.alert.accept()
                return True
            except Exception:
                time.sleep(0.2)
        return False

    # SCORM: a provider imports the Golf Explained package (1.2 or 2004), a learner plays it, leaves, resumes where
    # they left, reaches the end, and the item and the course are complete.
    def scorm(self):
        driver = self.driver
        fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "fixtures", "scorm")
        edition = "scorm12/RuntimeBasicCalls_SCORM12.zip" if self.width < 1000 else "scorm2004/RuntimeBasicCalls_SCORM20043rdEdition.zip"
        creator = self.token("creator.lbsnaa@karmayogi.example.org")
        me = self.api("GET", "/api/v1/me", creator)
        competency = self.api("GET", "/api/v1/competencies?q=Office", creator)["items"][0]["id"]
        course_body = {"title": f"Golf explained {self.tag}", "summary": "A SCORM course.", "description": "Golf, as Rustici's samples teach it.",
                       "keywords": ["golf"], "language": "en", "providerId": me["organisationId"], "durationMinutes": 30,
                       "competencies": [{"competencyId": competency, "level": 1}], "modules": [{"title": "Golf", "items": [
                           {"title": "Before you start", "kind": "offline", "durationMinutes": 5, "required": False}]}]}
        course = self.api("POST", "/api/v1/courses", creator, course_body)["id"]
        # The author adds the package in the course editor and sees what it holds.
        self.sign_in("creator.lbsnaa@karmayogi.example.org")
        self.open(f"/author/courses/{course}", "scorm-editor")
        self.expand("section.card details")
        self.fill("#n0-title", "Golf")
        Select(driver.find_element(By.ID, "n0-kind")).select_by_value("scorm")
        driver.find_element(By.ID, "n0-file").send_keys(os.path.abspath(os.path.join(fixtures, edition)))
        self.press("form[action$='/add-item'] button", "scorm-imported")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "section#package li")) >= 1, "the editor does not show what the package holds")
        self.sign_out()
        self.api("POST", f"/api/v1/courses/{course}/submit", creator)
        self.api("POST", f"/api/v1/courses/{course}/approve", self.token("reviewer.lbsnaa@karmayogi.example.org"))
        self.api("POST", f"/api/v1/courses/{course}/publish", self.token("publisher.lbsnaa@karmayogi.example.org"))
        learner = "learner@karmayogi.example.org"
        self.api("POST", f"/api/v1/courses/{course}/enrol", self.token(learner))

        self.sign_in(learner)
        self.open(f"/learn/{course}", "scorm-course")
        self.press("main a[data-package]", "scorm-play")
        self.in_sco()
        self.require(driver.find_element(By.ID, "butPrevious").get_attribute("disabled") is not None, "the SCO did not start on its first page")
        for _ in range(2):
            driver.find_element(By.ID, "butNext").click()
            time.sleep(0.3)
        # Leaving the page suspends the SCO: it commits where the learner was.
        driver.switch_to.default_content()
        self.open(f"/learn/{course}", "scorm-left")
        time.sleep(1)
        self.require(self.says("In progress", "जारी") or "data-package" in driver.page_source, "the item is not shown in progress after leaving")
        driver.find_element(By.CSS_SELECTOR, "main a[data-package]").click()
        self.require(self.accept_dialog(), "the SCO did not offer to resume where the learner left")
        time.sleep(0.5)
        self.check("scorm-resume")
        self.in_sco()
        self.require(driver.find_element(By.ID, "butPrevious").get_attribute("disabled") is None, "the SCO did not resume past its first page")
        for _ in range(40):
            button = driver.find_element(By.ID, "butNext")
            if button.get_attribute("disabled") is not None:
                break
            button.click()
            time.sleep(0.2)
        driver.find_element(By.ID, "butExit").click()
        time.sleep(1.5)
        driver.switch_to.default_content()
        self.open(f"/learn/{course}", "scorm-done")
        self.require(("completed" if self.language == "en" else "पूरा") in self.body().lower(), "the SCORM item is not completed after the SCO reached its end")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "main p.ok")) == 1, "the course is not complete")

    # cmi5: a provider imports a cmi5 course (Rustici's CATAPULT single-AU geology example, with its own cmi5.js) in the
    # course editor; a learner plays the AU inside the course: the AU fetches its token, reads LMS.LaunchData, sends
    # initialized and what the learner experiences, and exits (terminated); the LMS holds all of it.
    def cmi5(self):
        driver = self.driver
        fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "fixtures", "cmi5")
        creator = self.token("creator.lbsnaa@karmayogi.example.org")
        me = self.api("GET", "/api/v1/me", creator)
        competency = self.api("GET", "/api/v1/competencies?q=Office", creator)["items"][0]["id"]
        course_body = {"title": f"Introduction to geology {self.tag}", "summary": "A cmi5 course.", "description": "Geology, as Rustici's CATAPULT examples teach it.",
                       "keywords": ["geology"], "language": "en", "providerId": me["organisationId"], "durationMinutes": 30,
                       "competencies": [{"competencyId": competency, "level": 1}], "modules": [{"title": "Geology", "items": [
                           {"title": "Before you start", "kind": "offline", "durationMinutes": 5, "required": False}]}]}
        course = self.api("POST", "/api/v1/courses", creator, course_body)["id"]
        self.sign_in("creator.lbsnaa@karmayogi.example.org")
        self.open(f"/author/courses/{course}", "cmi5-editor")
        self.expand("section.card details")
        self.fill("#n0-title", "Geology")
        Select(driver.find_element(By.ID, "n0-kind")).select_by_value("cmi5")
        driver.find_element(By.ID, "n0-file").send_keys(os.path.abspath(os.path.join(fixtures, "packages", "single_au_basic_responsive.zip")))
        self.press("form[action$='/add-item'] button", "cmi5-imported")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "section#package li")) == 1, "the editor does not show the course's AU")
        self.sign_out()
        self.api("POST", f"/api/v1/courses/{course}/submit", creator)
        self.api("POST", f"/api/v1/courses/{course}/approve", self.token("reviewer.lbsnaa@karmayogi.example.org"))
        self.api("POST", f"/api/v1/courses/{course}/publish", self.token("publisher.lbsnaa@karmayogi.example.org"))
        learner = "learner@karmayogi.example.org"
        self.api("POST", f"/api/v1/courses/{course}/enrol", self.token(learner))

        self.sign_in(learner)
        self.open(f"/learn/{course}", "cmi5-course")
        self.press("main a[data-xapi]", "cmi5-play")
        driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe.package"))
        for _ in range(50):
            if driver.find_elements(By.CSS_SELECTOR, "#navmenuitems li"):
                break
            time.sleep(0.2)
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "#navmenuitems li")) > 1, "the AU did not start")
        time.sleep(2)
        self.require(not driver.find_element(By.ID, "warning-floater").is_displayed(), "the AU reports a tracking error")
        for item in driver.find_elements(By.CSS_SELECTOR, "#navmenuitems li")[1:3]:
            driver.execute_script("arguments[0].click()", item)  # the AU's menu folds away on a phone
            time.sleep(0.5)
        driver.execute_script("arguments[0].click()", driver.find_element(By.CSS_SELECTOR, "#navigation .exit-button"))
        # Leaving the AU takes the learner back to the course (its returnURL tells the portal page).
        for _ in range(50):
            if "/play/" not in driver.current_url:
                break
            time.sleep(0.2)
        driver.switch_to.default_content()
        self.require("/play/" not in driver.current_url, "leaving the AU did not return to the course")
        admin = self.token("admin@karmayogi.example.org")
        issued = self.api("POST", f"/api/v1/orgs/{me['organisationId']}/xapi-credentials", admin, {"name": f"journey {self.tag}"})
        auth = "Basic " + base64.b64encode(f"{issued['key']}:{issued['secret']}".encode()).decode()
        request = urllib.request.Request(f"{self.base}/xapi/statements?limit=0&related_activities=true&activity=" +
                                         urllib.parse.quote("https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-single-au-basic-responsive"),
                                         headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3"})
        said = json.loads(urllib.request.urlopen(request).read())["statements"]
        verbs = {s["verb"]["id"].rsplit("/", 1)[-1] for s in said}
        self.require({"launched", "initialized", "terminated"} <= verbs, f"the LMS does not hold the AU's session: {sorted(verbs)}")
        self.open(f"/learn/{course}", "cmi5-after")
        self.require("in progress" in self.body().lower() or "जारी" in self.body(), "the cmi5 item is not in progress after the AU's session")

    # The national admin: a ministry and its department, a KPI input, a domain competency.
    def national(self):
        driver = self.driver
        self.sign_in("admin@karmayogi.example.org")
        self.open("/admin/organisations", "organisations")
        self.press("main a[href='/admin/organisations/new']", "new-ministry")
        self.fill("#field-name", f"Ministry of Cooperation {self.tag}")
        self.fill("#field-code", f"MOC-{self.tag}")
        Select(driver.find_element(By.ID, "type")).select_by_value("ministry")
        self.fill("#field-sanctionedStrength", "450")
        self.press("form[action='/admin/organisations/new'] div.actions button", "ministry")
        self.press("main a[href^='/admin/organisations/new?parent=']", "new-department")
        self.fill("#field-name", f"Department of Cooperation {self.tag}")
        self.fill("#field-code", f"MOC-DOC-{self.tag}")
        Select(driver.find_element(By.ID, "type")).select_by_value("department")
        self.press("form[action='/admin/organisations/new'] div.actions button", "department")
        self.require(len(driver.find_elements(By.CSS_SELECTOR, "nav.crumbs li")) >= 4, "the department's breadcrumbs do not name its ministry")
        self.open("/insights/kpis/platform_uptime?scope=nation", "kpi")
        self.fill("#field-value", "99.8")
        self.fill("#field-evidence", f"Operations report {self.tag}")
        self.press("form[action^='/insights/kpis/'] div.actions button", "kpi-recorded")
        self.require(f"Operations report {self.tag}" in self.body(), "the KPI input is not in its history")
        self.open("/competencies/new", "new-competency")
        Select(driver.find_element(By.ID, "area")).select_by_value("domain")
        self.fill("#field-theme", f"Cooperative audit {self.tag}")
        self.fill("#field-domain", "Cooperation")
        self.fill("#description", "Auditing cooperative societies under the Multi-State Cooperative Societies Act.")
        self.press("form[action='/competencies/new'] div.actions button", "competency")
        self.require(f"Cooperative audit {self.tag}" in self.body(), "the new competency's page did not open")

    def close(self):
        self.driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("KARMAYOGI_URL", "http://127.0.0.1:8098"))
    parser.add_argument("--screenshots", default=None)
    parser.add_argument("--only", default=None, help="run one scenario: learner, mdo, state, author, national, event, stateweek, programme, cohort, cases, accreditation, scorm, cmi5 or assistant")
    arguments = parser.parse_args()
    if arguments.screenshots:
        os.makedirs(arguments.screenshots, exist_ok=True)
    runs = [("learner", 412, 915, "en", True), ("learner", 1366, 900, "en", True), ("learner", 412, 915, "hi", True),
            ("learner", 1366, 900, "hi", True), ("learner", 412, 915, "en", False)]
    for scenario in ["mdo", "state", "author", "national"]:
        runs += [(scenario, 412, 915, "en", True), (scenario, 1366, 900, "en", True)]
    runs += [("mdo", 412, 915, "hi", True), ("mdo", 412, 915, "en", False)]
    runs += [("event", 412, 915, "en", True), ("event", 1366, 900, "hi", True), ("stateweek", 412, 915, "en", True), ("stateweek", 1366, 900, "hi", True),
             ("stateweek", 412, 915, "en", False), ("programme", 412, 915, "en", True), ("programme", 1366, 900, "hi", True),
             ("programme", 412, 915, "hi", False), ("cohort", 412, 915, "en", True), ("cohort", 1366, 900, "hi", True),
             ("cases", 412, 915, "en", True), ("cases", 1366, 900, "hi", True), ("cases", 412, 915, "en", False),
             ("accreditation", 412, 915, "en", True), ("accreditation", 1366, 900, "hi", True),
             ("scorm", 412, 915, "en", True), ("scorm", 1366, 900, "hi", True), ("cmi5", 412, 915, "hi", True), ("cmi5", 1366, 900, "en", True),
             ("assistant", 412, 915, "hi", True), ("assistant", 1366, 900, "en", True), ("assistant", 412, 915, "en", False)]
    if arguments.only:
        runs = [run for run in runs if run[0] == arguments.only]
    failures, pages = [], 0
    for scenario, width, height, language, javascript in runs:
        journey = Journey(arguments.url, width, height, language, javascript, arguments.screenshots, scenario)
        started = time.time()
        try:
            journey.run()
        except Exception as error:  # a step that cannot be taken is a failure of the journey, with where it stopped
            journey.fail(f"stopped: {type(error).__name__}: {error}")
        finally:
            journey.close()
        print(f"{journey.name}: {journey.pages} pages, {len(journey.failures)} failures, {time.time() - started:.1f} s", flush=True)
        failures += journey.failures
        pages += journey.pages
    for failure in failures:
        print("FAIL", failure)
    print(f"journeys: {len(runs)} runs, {pages} pages checked, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
