"""The evidence report as a browser shows it: headless Chromium (Debian's `chromium`).

Runs the demo into its own directory, then opens report.html from file:// in headless Chromium
with networking side channels off, and asserts:
  * the page loads without console errors (no blocked resource, no CSP violation, no script);
  * the rendered DOM has every section an auditor looks for, and the requirement ids;
  * the trend chart is an inline SVG with one point per recorded run;
  * nothing in the file points outside it (no URL, src, href, url(), @import);
  * a screenshot (1280x2000) is written to $CREDSWEEP_BUILD_DIR/test-output/report_chromium/
    report.png, for a person to look at.

Run: /usr/bin/python3 tests/integration/test_report_chromium.py --binary build/credsweep
"""
import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as sup  # noqa: E402
from support import REPO  # noqa: E402

BINARY = sup.take_binary()
OUT = sup.output_dir(BINARY, "report_chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-extensions", "--hide-scrollbars",
                  # Any request the page made would go to a dead proxy and be logged as failed.
                  "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


def chromium(args, profile, timeout=120):
    return subprocess.run(["chromium"] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] + args,
                          capture_output=True, text=True, timeout=timeout)


class ReportChromiumTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(OUT, ignore_errors=True)
        os.makedirs(OUT)
        work = os.path.join(OUT, "demo")
        env = dict(os.environ, CREDSWEEP_DEMO_DIR=work)
        demo = subprocess.run(["bash", os.path.join(REPO, "tools", "demo.sh"), BINARY],
                              capture_output=True, text=True, env=env, timeout=300)
        with open(os.path.join(OUT, "demo.log"), "w") as f:
            f.write(demo.stdout + demo.stderr)
        if demo.returncode != 0:
            raise RuntimeError("demo failed (%d); see %s/demo.log" % (demo.returncode, OUT))
        cls.report = sorted(glob.glob(os.path.join(work, "state", "reports", "*",
                                                   "report.html")))[-1]
        cls.profile = tempfile.mkdtemp(prefix="credsweep-chromium-")
        url = "file://" + cls.report
        cls.dom = chromium(["--dump-dom", "--enable-logging=stderr", "--v=0", url], cls.profile)
        cls.png = os.path.join(OUT, "report.png")
        cls.shot = chromium(["--screenshot=" + cls.png, "--window-size=1280,2000", url],
                            cls.profile)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(getattr(cls, "profile", ""), ignore_errors=True)

    def test_page_loads_without_console_errors(self):
        self.assertEqual(self.dom.returncode, 0, self.dom.stderr[-2000:])
        console = [l for l in self.dom.stderr.splitlines()
                   if "CONSOLE" in l or "Uncaught" in l or "Content Security Policy" in l
                   or "ERR_" in l and "file://" in l]
        self.assertEqual(console, [])

    def test_rendered_dom_shows_every_section(self):
        dom = self.dom.stdout
        self.assertTrue("Credential hygiene report" in dom, "Credential hygiene report")
        for section in ("summary", "requirements", "leaked", "shared", "privileged", "external",
                        "actions", "trend", "waived", "findings", "evidence"):
            self.assertTrue('<section id="%s"' % section in dom, section)
        for title in ("Findings per requirement", "Leaked passwords, ranked by risk",
                      "Shared passwords", "Privileged accounts", "External accounts",
                      "Actions taken", "Month over month", "Waived findings", "Evidence"):
            self.assertTrue(title in dom, title)
        for req in ("S12", "S6", "K5", "K9", "S11"):
            self.assertTrue("<b>%s</b>" % req in dom, "<b>%s</b>" % req)
        # The hostile display name of the demo stays text: no script element in the DOM.
        self.assertFalse("<script" in dom, "script element in the DOM")
        self.assertTrue("&lt;script&gt;" in dom, "&lt;script&gt;")

    def test_trend_is_inline_svg_with_a_point_per_run(self):
        runs = len(os.listdir(os.path.join(os.path.dirname(self.report), "..", "..", "history")))
        self.assertGreaterEqual(runs, 1)
        self.assertEqual(len(re.findall(r'<circle class="s-all"', self.dom.stdout)), runs)
        self.assertTrue('<svg class="trend"' in self.dom.stdout, '<svg class="trend"')

    def test_file_references_nothing_outside_itself(self):
        with open(self.report, encoding="utf-8") as f:
            html = f.read()
        self.assertIsNone(re.search(r"\b(src|href)\s*=|url\(|https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import",
                                    html, re.I))
        self.assertTrue("default-src 'none'" in html, "default-src 'none'")  # and the browser is told to load nothing

    def test_screenshot_is_written_for_a_person_to_read(self):
        self.assertEqual(self.shot.returncode, 0, self.shot.stderr[-2000:])
        with open(self.png, "rb") as f:
            head = f.read(24)
        self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
        width, height = struct.unpack(">II", head[16:24])
        self.assertEqual((width, height), (1280, 2000))
        self.assertGreater(os.path.getsize(self.png), 50_000)  # a page, not a blank sheet


if __name__ == "__main__":
    sup.main()
