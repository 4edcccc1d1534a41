#!/usr/bin/env python3
"""The learner's journey in a real browser (headless Chromium through Selenium), as issue 14 asks:

sign in -> home -> search -> course -> enrol -> player -> assessment (fail, try again, pass) -> certificate ->
verify by number -> passbook -> karma, at 412x915 and 1366x900, in English and in Hindi, and once more with
JavaScript switched off. On every page visited: no sideways overflow, no console error, no serious or critical
axe-core violation. The certificate's QR code, read off a screenshot with zxing-cpp, must be its verification URL.

Run against a server started on a fresh demo world (`.ci/journeys` does that):
    python3 Tests/Browser/journeys.py --url http://127.0.0.1:8098 [--screenshots DIR]
"""
import argparse
import os
import struct
import sys
import time
import zlib

import numpy
import zxingcpp
from axe_core_python.selenium import Axe
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

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


class Journey:
    def __init__(self, base: str, width: int, height: int, language: str, javascript: bool, shots: str | None):
        self.base, self.width, self.height, self.language, self.javascript = base, width, height, language, javascript
        self.name = f"{width}x{height}-{language}{'' if javascript else '-nojs'}"
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

    def run(self):
        driver = self.driver
        # Sign in.
        self.open("/login", "sign-in")
        driver.find_element(By.NAME, "email").send_keys(LEARNER)
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        self.submit("main form", "home")
        self.require("/login" not in driver.current_url, "signing in failed")
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

        # Passbook and karma.
        self.open("/my/passbook", "passbook")
        self.open("/my/karma", "karma")

    def close(self):
        self.driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("KARMAYOGI_URL", "http://127.0.0.1:8098"))
    parser.add_argument("--screenshots", default=None)
    arguments = parser.parse_args()
    if arguments.screenshots:
        os.makedirs(arguments.screenshots, exist_ok=True)
    runs = [(412, 915, "en", True), (1366, 900, "en", True), (412, 915, "hi", True), (1366, 900, "hi", True), (412, 915, "en", False)]
    failures, pages = [], 0
    for width, height, language, javascript in runs:
        journey = Journey(arguments.url, width, height, language, javascript, arguments.screenshots)
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
