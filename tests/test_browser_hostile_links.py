"""Hostile links in Debian's Chromium (issue 21): nothing a link carries is fetched, linked or styled.

A local HTTP server counts every request it gets; the payloads point at it. Each payload carries
marker words, so markup that Streamlit made from a payload shows up as an element whose whole text
is a marker (a link's text, a bold run, a coloured span, a heading, an icon's ligature name). One
page of each kind (browser_support.one_page_of_each_kind; tests/test_extreme_links.py and
tests/test_plain_text.py open every page through AppTest) opens with payloads in its settings and
unknown keys, with numbers past their type and repeated keys in the others; Compare also gets packed run settings for runs it
lacks, and a stored run whose message and class names are payloads, in its picker, table and legends.

Run: .venv/bin/python -m pytest -q -m browser tests/test_browser_hostile_links.py
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from browser_support import one_page_of_each_kind, require_chromium, start_app
from test_browser import browser  # noqa: F401 - the shared Chromium fixture, over this module's server

from core.data.history import History
from core.report import compare
from core.store.runs import RunStore
from core.tasks import experiment as config
from core.tasks.registry import tasks

try:
    from playwright.sync_api import expect
except ImportError:  # the `server` fixture skips (or, under CI, fails) with the reason
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

UI_TIMEOUT = 20_000
MARKERS = ("MKIMG", "MKLINK", "MKJS", "MKRED", "MKBOLD", "MKHEAD", "MKEM", "MKCODE", "MKSTRIKE", "MKA", "MKBG",
           "MKMATH", "MKBADGE", "bug_report", "MKLIST", "MKQUOTE")
PAGE_TASKS = {record.page.path.removeprefix("pages/").removesuffix(".py"): record.name for record in tasks()}


def corpus(host: str) -> list[str]:
    """Markdown, HTML, Streamlit directives, shortcodes and bare URLs, all pointing at `host`."""
    return [f"![MKIMG](http://{host}/image.png)", f"<img src=http://{host}/tag.png>", f"[MKLINK](http://{host}/login)",
            "[MKJS](javascript:alert(1))", ":red[MKRED] **MKBOLD**", "# MKHEAD", "_MKEM_ `MKCODE` ~~MKSTRIKE~~",
            f'<a href="http://{host}/a">MKA</a>', ":blue-background[MKBG] $MKMATH$ :green-badge[MKBADGE]",
            ":material/bug_report: :skull: :+1:", f"http://{host}/bare", f"www.{host.split(':')[0]}.nip",
            "x\n\n- MKLIST\n\n> MKQUOTE"]


class Counter(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        Counter.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *arguments) -> None:
        pass


@pytest.fixture(scope="module")
def counter():
    listener = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.server_address[1]}"
    listener.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-hostile")
    app = start_app(folder, max_jobs=1)
    app.store_path = folder / "runs.sqlite"
    yield app
    app.stop()


@pytest.fixture
def page(browser, server):  # noqa: F811 - the module's own page fixture
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT)
    expect.set_options(timeout=UI_TIMEOUT)
    yield context.new_page()
    context.close()


def made_markup(page, host: str) -> list[str]:
    """Elements that markup made from a payload: a whole marker as an element's text, a link, an
    image or a frame at the counting host or to javascript:, an emoji from a shortcode."""
    return page.evaluate("""([markers, host, emojis]) => {
        const found = [];
        for (const element of document.body.querySelectorAll('*')) {
            const text = (element.textContent || '').trim();
            if (markers.includes(text)) found.push(element.tagName + ': ' + text);
            for (const name of ['href', 'src', 'srcset', 'data', 'action']) {
                const value = element.getAttribute(name) || '';
                if (value.includes(host) || value.toLowerCase().startsWith('javascript')) found.push(element.tagName + ' ' + name + '=' + value);
            }
        }
        for (const emoji of emojis) if (document.body.innerText.includes(emoji)) found.push('emoji ' + emoji);
        return found;
    }""", [list(MARKERS), host, ["\N{SKULL}", "\N{THUMBS UP SIGN}"]])


def assert_clean(page, host: str) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("error id")).to_have_count(0)
    page.wait_for_timeout(700)  # an image or a font the markup asked for would be requested by now
    assert made_markup(page, host) == []
    assert Counter.requests == [], Counter.requests


def open_long(page, base: str, query: str) -> None:
    """Open `base?query` however long it is. The app's HTTP server refuses a request line of some
    tens of kB before Streamlit sees it (as a front server with higher limits would not), so the
    page loads from the short address and a script that runs before any of the page's own puts the
    long query in the address bar; Streamlit's script then sends the whole query string to the app
    over its websocket, as it does for any link."""
    page.add_init_script("if (!location.search) history.replaceState(null, '', location.pathname + "
                         + json.dumps("?" + query) + ");")
    page.goto(base)


def lab_link(task: str, payloads: list[str]) -> str:
    """Payloads in the choices, the list and the key; numbers past their type; repeated keys."""
    fields = config.parameter_fields(task)
    params: dict[str, object] = {"optimizer": payloads[0], "cells": [payloads[1], "LSTM"], "upload": payloads[2]}
    extremes = ["9" * 65_000, "1e999", "-inf", "nan", ["3", "1e999"], ["inf", "3"], "0x10", "-0"]
    numbers = [name for name, (_, spec) in fields.items()
               if spec.metadata["choices"] is None and spec.metadata["pattern"] is None and name not in params]
    for index, name in enumerate(numbers):
        params[name] = extremes[index % len(extremes)]
    for payload in payloads[3:]:
        params[payload] = "1"
    return urlencode(params, doseq=True)


@pytest.mark.parametrize("name", one_page_of_each_kind())
def test_a_hostile_link_on_every_page_is_plain_text_and_reset(server, page, counter, name):
    Counter.requests.clear()
    payloads = corpus(counter)
    task = PAGE_TASKS.get(name, "memory")
    path = "" if name == "home" else name
    open_long(page, server.url(path), lab_link(task, payloads))
    expect(page.locator("h1").first).to_be_visible()
    if name == "class_teacher":
        # Without its key the teacher page reads no other value of the link: it refuses it whole.
        expect(page.get_by_test_id("stAlert").filter(has_text="no valid teacher key")).to_be_visible()
    elif name != "home":
        expect(page.get_by_test_id("stAlert").filter(has_text="could not be used")).to_be_visible()
    if name in PAGE_TASKS:
        expect(page.get_by_test_id("stAlert").filter(has_text="not a finite number").first).to_be_visible()
    assert_clean(page, counter)


def test_a_comparison_links_settings_runs_and_legends_are_plain_text(server, page, counter):
    Counter.requests.clear()
    payloads = corpus(counter)
    experiment, _ = config.from_params({"distance": "6", "hidden_size": "8", "steps": "20", "seed": "4242",
                                        "cells": ["RNN", "LSTM"]})
    histories = {cell: History(cell=cell, status="stopped", message=payloads[2], steps=[1, 2, 3],
                               wall_seconds=[0.1, 0.2, 0.3], train_loss=[2.0, 1.9, 1.7], grad_norm=[1.0, 1.0, 1.0],
                               eval_steps=[2, 3], val_loss=[1.9, 1.8], val_metric=[0.2, 0.3],
                               class_names=[payloads[4], payloads[9]]) for cell in ("rnn", "lstm")}
    stored = RunStore(server.store_path).save(experiment, histories, status="stopped", message=payloads[4])
    missing = "0123456789abcde1"
    packed = compare.pack_settings({
        missing: {"task": "memory", "seed": [payloads[0], "5"], "lr": [payloads[1], "0.01"],
                  "optimizer": [payloads[3], "sgd"], "distance": [payloads[4], "60"], "noise": [payloads[2], "0.5"],
                  "hidden_size": [payloads[9], "16"]},
        "0123456789abcde2": {"task": "memory", payloads[10]: "1", "seed": payloads[8]}})
    query = urlencode({"runs": [stored, missing, "0123456789abcde2", payloads[5]], "settings": packed,
                       "smoothing": "1e999", payloads[11]: "1"}, doseq=True)
    page.goto(server.url("compare") + "?" + query)
    notice = page.get_by_test_id("stAlert").filter(has_text="does not store")
    expect(notice).to_contain_text("seed 5")
    expect(notice).to_contain_text("cannot be retrained")
    expect(page.get_by_test_id("stAlert").filter(has_text="could not be used")).to_be_visible()
    page.get_by_text("Settings of the missing runs").click()
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()  # the stored run's curves and legends
    expect(page.get_by_role("button", name="Retrain 1 missing run from the link's settings")).to_be_visible()
    assert_clean(page, counter)
