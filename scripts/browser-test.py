#!/usr/bin/env python3
"""Drives headless Chromium (Debian's chromium) through `silo serve` over the DevTools protocol,
as a person looking for yesterday's version of a file would: open the snapshot list, follow the
links to a file, look at its page, download it; saves a screenshot of every page.

Usage: browser-test.py BASE_URL FILE_PATH EXPECTED_FILE SCREENSHOT_DIR
  FILE_PATH: the file's absolute path inside the snapshot (the links followed lead there)
  EXPECTED_FILE: the file's original bytes, compared with the download
Prints one line per step; exits 0 when every step worked, 1 (with the reason) otherwise.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # Debian: python3-websocket


def main():
    base, file_path, expected_file, shots = sys.argv[1:5]
    os.makedirs(shots, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="silo-chromium-")
    downloads = tempfile.mkdtemp(prefix="silo-downloads-")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium is not installed")
    browser = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
                                "--user-data-dir=" + profile, "--window-size=1280,900", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = None
        for _ in range(200):
            try:
                port = open(os.path.join(profile, "DevToolsActivePort")).read().split()[0]
                break
            except (OSError, IndexError):
                time.sleep(0.1)
        if not port:
            sys.exit("chromium did not start its DevTools endpoint")
        pages = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json" % port))
        ws = websocket.create_connection([p for p in pages if p["type"] == "page"][0]["webSocketDebuggerUrl"], timeout=30)
        counter = [0]

        def call(method, **params):
            counter[0] += 1
            ws.send(json.dumps({"id": counter[0], "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == counter[0]:
                    if "error" in message:
                        raise RuntimeError("%s: %s" % (method, message["error"]))
                    return message.get("result", {})

        def evaluate(expression):
            return call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

        def visit(url, name):
            call("Page.navigate", url=url)
            for _ in range(100):
                if evaluate("document.readyState") == "complete":
                    break
                time.sleep(0.1)
            shot = call("Page.captureScreenshot", format="png")["data"]
            with open(os.path.join(shots, name + ".png"), "wb") as f:
                f.write(base64.b64decode(shot))
            print("visited %s (%s): %s" % (name, url, evaluate("document.title")))

        def follow(text, name):
            """Clicks the first link whose text is `text` (as a person would), and waits for the page."""
            href = evaluate("(() => { const a = [...document.querySelectorAll('a')].find(a => a.textContent.trim() === %s);"
                            " return a ? a.href : null })()" % json.dumps(text))
            if not href:
                sys.exit("no link '%s' on %s" % (text, evaluate("location.href")))
            visit(href, name)

        call("Page.enable")
        call("Runtime.enable")
        call("Browser.setDownloadBehavior", behavior="allow", downloadPath=downloads)
        visit(base + "/", "1-snapshots")
        first = evaluate("document.querySelector('tbody a').textContent")
        follow(first, "2-snapshot-root")
        parts = [p for p in file_path.split("/") if p]
        for index, part in enumerate(parts[:-1]):
            follow(part + "/", "3-dir-%d" % index)
        follow(parts[-1], "4-file")
        if not evaluate("document.querySelector('a[download]') !== null"):
            sys.exit("the file page has no download link")
        evaluate("document.querySelector('a[download]').click()")
        target = os.path.join(downloads, parts[-1])
        for _ in range(300):
            if os.path.exists(target) and not os.path.exists(target + ".crdownload"):
                break
            time.sleep(0.1)
        else:
            sys.exit("the download never finished")
        expected = open(expected_file, "rb").read()
        got = open(target, "rb").read()
        if got != expected:
            sys.exit("the downloaded file differs: %d bytes, expected %d" % (len(got), len(expected)))
        print("downloaded %s: %d bytes, identical" % (parts[-1], len(got)))
    finally:
        browser.terminate()
        browser.wait(10)
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(downloads, ignore_errors=True)


if __name__ == "__main__":
    main()
