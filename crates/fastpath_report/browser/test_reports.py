"""The HTML reports in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`) driven through WebDriver loads the pages `fastpath` writes and checks them as
a reader would see them.

For the profile of the seed example (`examples/lambda-seed`) and of `requests` (installed from
PyPI into a virtualenv under /tmp), each page must:
- draw something (the screenshot is not blank);
- hold the top modules (by median self time, from the page's own data) in the icicle and in the
  cost table;
- when two savings are ticked, show the combined saving that `fastpath profile --defer A --defer B`
  prints for the same two statements: the page is written with those `--defer`s, so the figure
  the library computed (embedded, and shown) can be compared with the one the page computes from
  the ticks, on the same runs; and a separate `--format json --defer A --defer B` run must name
  the same modules (which modules load never changes between runs; their times do);
- group by top-level package, search, and show the chain on hover;
- make no network request: no request in Chromium's network log other than the page itself, no
  resource timing entry, and nothing reaching a proxy on 127.0.0.1 that every request would have
  to go through.
A project whose files and statements are called `<script>` and `<img src=x onerror=pwned=1>` must
show those names as text and run nothing. `fastpath check --output-format html` on the seed
example must list its findings with their chains.

Usage: python test_reports.py --fastpath BIN --work DIR [--screenshot FILE]
Without a browser the test is skipped, except under CI=true, where that is a failure.
Prints `N passed, N failed` last; exits 1 when anything failed.
"""

import argparse
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
RUNS = "10"
RESULTS = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        RESULTS["passed"] += 1
        print(f"ok      {name}")
    else:
        RESULTS["failed"] += 1
        print(f"FAILED  {name}: {detail}")


def run(cmd, cwd, expect=0):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != expect:
        raise RuntimeError(f"{cmd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


# ---- A proxy that must see nothing.
class Sink:
    """Accepts connections on 127.0.0.1 and counts them: every request of the browser is
    routed here (--proxy-server), so any count above zero is a network request."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.seen = []
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            try:
                conn.settimeout(1)
                self.seen.append(conn.recv(200).split(b"\r\n")[0].decode(errors="replace"))
            except OSError:
                self.seen.append("(nothing read)")
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join(timeout=2)
        self.sock.close()


# ---- PNG pixels, without a dependency.
def png_pixels(data):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour)
            channels = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 255
        rows.append([tuple(line[x * channels : x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def not_blank(png):
    """How many distinct colours, and the share of pixels that are not the page background."""
    width, height, rows = png_pixels(png)
    colours, ink = set(), 0
    for row in rows[::2]:
        for pixel in row[::2]:
            colours.add(pixel)
            if pixel != (255, 255, 255):
                ink += 1
    return len(colours), ink / ((width // 2) * (height // 2))


# ---- The browser.
def browser(sink):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1400",
        "--hide-scrollbars",
        f"--proxy-server=http://127.0.0.1:{sink.port}",
        "--proxy-bypass-list=<-loopback>",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--no-first-run",
        "--metrics-recording-only",
        "--no-pings",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
    ]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def load(driver, page):
    driver.get_log("performance")  # drop what came before
    connections_before = len(SINK.seen)
    driver.get(page.as_uri())
    for _ in range(100):
        if driver.execute_script("return document.body && document.body.dataset.ready") == "true":
            break
        time.sleep(0.1)
    check(f"{page.name}: the page's script ran", driver.execute_script(
        "return document.body.dataset.ready") == "true", driver.get_log("browser"))
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    check(f"{page.name}: no error in the console", not errors, errors)
    return connections_before


def network_seen(driver, page, connections_before):
    """What the page fetched: requests in Chromium's network log other than the page itself,
    resource timing entries, and what reached the proxy (the browser's own traffic aside)."""
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    others = [url for url in requests if url != page.as_uri()]
    entries = driver.execute_script("return performance.getEntriesByType('resource').length")
    time.sleep(0.5)
    reached = [line for line in SINK.seen[connections_before:] if not browser_own(line)]
    return requests, others, entries, reached


def no_network(driver, page, connections_before):
    requests, others, entries, reached = network_seen(driver, page, connections_before)
    check(f"{page.name}: no request but the page itself", requests and not others,
          f"requests: {requests}")
    check(f"{page.name}: no resource timing entry", entries == 0, entries)
    check(f"{page.name}: nothing reached the proxy", not reached, reached)


def network_control(driver, work):
    """The three checks catch a page that does fetch something (a CDN script and image)."""
    page = work / "control.html"
    page.write_text('<!DOCTYPE html><html><body><img src="https://cdn.fastpath-control.example/x.png">'
                    '<script src="https://cdn.fastpath-control.example/lib.js"></script>'
                    '<script>document.body.dataset.ready = "true"</script></body></html>')
    driver.get_log("performance")
    before = len(SINK.seen)
    driver.get(page.as_uri())
    time.sleep(1)
    _, others, entries, reached = network_seen(driver, page, before)
    check("control page: the network log sees its fetches", len(others) >= 2, others)
    check("control page: resource timing sees them", entries >= 1, entries)
    check("control page: the proxy sees them", any("fastpath-control" in r for r in reached), reached)
    driver.execute_script(INSERT_HANDLER)
    time.sleep(0.5)
    check("control page: without the policy an inserted handler runs",
          driver.execute_script("return window.cspBroken === 1"))


INSERT_HANDLER = ("document.body.insertAdjacentHTML('beforeend', "
                  "'<img src=\"data:,x\" onerror=\"window.cspBroken = 1\">')")


def browser_own(line):
    """Chromium's own background traffic (component updates, time, account checks) goes to
    Google's service hosts on the browser's schedule, page or no page; anything else the
    proxy sees came from a page."""
    parts = line.split()
    if len(parts) < 2:
        return False
    target = parts[1].split("://")[-1].split("/")[0].split(":")[0]
    return target.endswith((".google.com", ".googleapis.com", ".gstatic.com", ".gvt1.com", ".gvt2.com"))


def data_of(driver):
    return driver.execute_script("return JSON.parse(document.getElementById('fastpath-data').textContent)")


def screenshot(driver, page, keep=None):
    png = driver.get_screenshot_as_png()
    colours, ink = not_blank(png)
    check(f"{page.name}: the screenshot is not blank", colours >= 8 and ink > 0.01,
          f"{colours} colours, {ink:.1%} ink")
    if keep:
        Path(keep).write_bytes(png)
    return png


def profile_checks(driver, fastpath, project, python, entry, known, work, keep=None, prefer=None):
    """The checks on one profile report."""
    base = [fastpath, "profile"] + ([entry] if entry else []) + ["--runs", RUNS]
    if python:
        base += ["--python", python]
    # 1. Two statements to defer, each alone on its line, preferring a pair that shares modules.
    plain = json.loads(run(base + ["--format", "json"], project))
    lines = {}
    for s in plain["savings"]:
        key = f"{s['site']['file']}:{s['site']['line']}"
        lines[key] = lines.get(key, 0) + 1
    single = [s for s in plain["savings"]
              if lines[f"{s['site']['file']}:{s['site']['line']}"] == 1 and s["modules"]]
    check(f"{entry or project.name}: at least two savings to tick", len(single) >= 2, plain["savings"])
    if len(single) < 2:
        return
    if prefer:
        pair = tuple(next(s for s in plain["savings"] if f"{s['site']['file']}:{s['site']['line']}" == p)
                     for p in prefer)
    else:
        pair = (single[0], single[1])
    specs = [f"{s['site']['file']}:{s['site']['line']}" for s in pair]
    defer = [arg for spec in specs for arg in ("--defer", spec)]

    # 2. The page, written with the same --defer (the library's figure for these runs).
    page = work / f"{(entry or project.name).replace('.', '_')}.html"
    out = run(base + defer + ["--format", "html", "-o", str(page)], project)
    check(f"{page.name}: -o writes the file and nothing to stdout", page.exists() and out == "", out)
    size = page.stat().st_size
    check(f"{page.name}: under 300 KB", size < 300_000, f"{size} bytes")
    before = load(driver, page)
    data = data_of(driver)

    # 3. The top modules are on the page.
    top = sorted(data["modules"], key=lambda m: (-m["s"][0], m["n"]))[:5]
    for name in [m["n"] for m in top] + known:
        in_icicle = driver.execute_script(
            "return [...document.querySelectorAll('#icicle .cell')].some(c => c.dataset.module === arguments[0])", name)
        in_costs = name in known or driver.execute_script(
            "return [...document.querySelectorAll('#costs tr')].some(r => r.dataset.module === arguments[0])", name)
        where = "the icicle" if name in known else "the icicle and the cost table"
        check(f"{page.name}: {name} in {where}", in_icicle and in_costs,
              f"icicle {in_icicle}, costs {in_costs}")

    # 4. Tick the two statements: the page's figure is the library's.
    for s in pair:
        box = driver.execute_script(
            "return [...document.querySelectorAll('#savings tbody tr')].find(r => r.dataset.file === arguments[0] && r.dataset.line === String(arguments[1])).querySelector('input')",
            s["site"]["file"], s["site"]["line"])
        box.click()
    combined = driver.find_element("id", "combined")
    shown = float(combined.get_attribute("data-saved-us"))
    cli = data["deferred"]
    check(f"{page.name}: two ticks make a set of two", combined.get_attribute("data-sites") == "2")
    check(f"{page.name}: ticked total {shown} us equals --defer's {cli['saved_us']} us",
          abs(shown - cli["saved_us"]) < 1e-6, (shown, cli))
    if prefer:
        alone = sum(len(s["modules"]) for s in pair)
        check(f"{page.name}: the pair saves more modules ({len(cli['modules'])}) than each alone ({alone})",
              len(cli["modules"]) > alone, cli["modules"])
    check(f"{page.name}: as many modules stop loading as --defer says",
          int(combined.get_attribute("data-modules")) == len(cli["modules"]),
          (combined.get_attribute("data-modules"), len(cli["modules"])))
    text = driver.find_element("id", "combined-saved").text
    banner = driver.find_element("id", "cli-deferred").text
    check(f"{page.name}: the shown figure {text} is the one --defer's line shows", text in banner, banner)
    separate = json.loads(run(base + defer + ["--format", "json"], project))["deferred"]
    listed = driver.find_element("id", "combined-modules").text
    check(f"{page.name}: --format json --defer names the same modules",
          sorted(separate["modules"]) == sorted(cli["modules"]), (separate["modules"], cli["modules"]))
    check(f"{page.name}: the page lists them", all(m in listed for m in cli["modules"][:40]), listed)
    screenshot(driver, page, keep)

    # 5. Hover, search, grouping.
    from selenium.webdriver.common.action_chains import ActionChains

    cell = driver.execute_script(
        "return [...document.querySelectorAll('#icicle .cell')].find(c => c.dataset.module === arguments[0])", top[0]["n"])
    ActionChains(driver).move_to_element(cell).perform()
    tip = driver.find_element("id", "tooltip")
    check(f"{page.name}: hover shows self, cumulative and the chain",
          tip.is_displayed() and "self:" in tip.text and "cumulative:" in tip.text and top[0]["n"] in tip.text,
          tip.text)
    search = driver.find_element("id", "search")
    search.send_keys(known[-1])
    hits = driver.execute_script("return document.querySelectorAll('#icicle .cell.hit').length")
    check(f"{page.name}: searching {known[-1]} highlights it", hits >= 1, hits)
    search.clear()
    search.send_keys(" ")
    search.clear()
    driver.find_element("id", "group").click()
    packages = driver.execute_script(
        "return [...document.querySelectorAll('#icicle .cell')].filter(c => c.dataset.kind === 'package').map(c => c.dataset.module)")
    top_level = known[-1].split(".")[0]
    check(f"{page.name}: grouping shows top-level packages", top_level in packages, packages[:20])
    no_network(driver, page, before)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fastpath", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    missing = [tool for tool in ("chromium", "chromedriver") if not shutil.which(tool)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        message = f"browser test: {', '.join(missing)} missing (bash .ci/prereq/50-browser.sh installs them)"
        if os.environ.get("CI") == "true":
            print("FAILED  " + message)
            print("0 passed, 1 failed")
            return 1
        print("skipped: " + message)
        return 0

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    fastpath = str(Path(args.fastpath).resolve())
    global SINK
    SINK = Sink()
    driver = browser(SINK)
    # What the browser fetches for itself as it starts is not the pages' doing: let it pass.
    driver.get("about:blank")
    time.sleep(3)
    if SINK.seen:
        print(f"note: the browser itself tried, before any report: {SINK.seen}")
    try:
        network_control(driver, work)
        # The seed example, copied: a profile may write .fastpath/ in the project.
        seed = work / "lambda-seed"
        shutil.copytree(REPO / "examples" / "lambda-seed", seed)
        profile_checks(driver, fastpath, seed, None, None,
                       ["lambda_function", "fast_path", "gateway", "interface_cache", "urllib.request"],
                       work, args.screenshot,
                       # `logging` and `urllib.request` share modules: the pair saves them.
                       prefer=["fast_path.py:17", "interface_cache.py:3"])

        # requests, from PyPI, profiled as the entry from an empty directory.
        venv = Path("/tmp/fastpath-browser-requests")
        if not (venv / "bin" / "python").exists() or subprocess.run(
                [venv / "bin" / "python", "-c", "import requests"], capture_output=True).returncode:
            shutil.rmtree(venv, ignore_errors=True)
            run([sys.executable if not os.environ.get("FASTPATH_TEST_PYTHON") else os.environ["FASTPATH_TEST_PYTHON"],
                 "-m", "venv", str(venv)], work)
            run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                 "--disable-pip-version-check", "requests"], work)
        empty = work / "requests-project"
        empty.mkdir()
        profile_checks(driver, fastpath, empty, str(venv / "bin" / "python"), "requests",
                       ["requests", "urllib3", "requests.models", "urllib3.connectionpool"], work)

        # Names that are markup.
        hostile = work / "hostile"
        hostile.mkdir()
        (hostile / "pyproject.toml").write_text('[tool.fastpath]\nentry = "app"\n')
        (hostile / "app.py").write_text(
            'import importlib\nimport json\nimportlib.import_module("<script>")\n'
            'importlib.import_module("<img src=x onerror=pwned=1>")\n')
        (hostile / "<script>.py").write_text("import colorsys\n")
        (hostile / "<img src=x onerror=pwned=1>.py").write_text("X = 1\n")
        page = work / "hostile.html"
        run([fastpath, "profile", "--runs", "3", "--format", "html", "-o", str(page)], hostile)
        before = load(driver, page)
        check("hostile.html: no injected handler ran",
              driver.execute_script("return typeof pwned === 'undefined'"))
        check("hostile.html: no injected element",
              driver.execute_script("return document.querySelectorAll('img, #app script').length") == 0)
        body = driver.find_element("tag name", "body").text
        check("hostile.html: the names show as text",
              "<script>.py:1" in body and 'importlib.import_module("<img src=x onerror=pwned=1>")' in body,
              body[:2000])
        no_network(driver, page, before)
        # Defence in depth: the policy lets only the page's own script run, so markup that did
        # reach the page could not run a handler.
        driver.execute_script(INSERT_HANDLER)
        time.sleep(0.5)
        check("hostile.html: the page's policy blocks an inserted handler",
              driver.execute_script("return typeof window.cspBroken === 'undefined'"))

        # check --output-format html.
        findings = json.loads(run([fastpath, "check", "--static", "--output-format", "json"], seed, expect=1))
        page = work / "check.html"
        page.write_text(run([fastpath, "check", "--static", "--output-format", "html"], seed, expect=1))
        before = load(driver, page)
        cards = driver.find_elements("css selector", "#findings .finding")
        check("check.html: one card per finding", len(cards) == len(findings["diagnostics"]),
              (len(cards), len(findings["diagnostics"])))
        chains = driver.find_elements("css selector", "#findings ol.chain li")
        check("check.html: the chains are listed",
              any("interface_cache.py:3" in li.text for li in chains), [li.text for li in chains])
        screenshot(driver, page)
        no_network(driver, page, before)
    except Exception:  # a crash of the test is a failure, with its traceback
        traceback.print_exc()
        RESULTS["failed"] += 1
    finally:
        driver.quit()
        SINK.close()
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
