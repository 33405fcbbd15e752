"""The editor's page (classifier/service/page.py + editor.html) in a real headless Chromium, driven by
selenium, against the service (create_app) on the mini model, served by uvicorn in a thread."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
import unicodedata
import urllib.request

import pytest

from classifier import article_text, load_articles, load_model, predict
from classifier.service.page import editor_page
from tests.conftest import missing

ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)'")


def normalise(word: str) -> str:
    """What the page does to a written word before comparing it with the evidence words."""
    word = unicodedata.normalize("NFC", word).lower()
    for mark in ("\u2019", "\u2018", "\u02bc", "`", "\u00b4", "\u2032"):
        word = word.replace(mark, "'")
    return ELISION.sub("", word)


def test_the_page_is_self_contained_and_inserts_text_only():
    page = editor_page()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<script>" in page
    assert not re.search(r"<script[^>]+src|<link[^>]+stylesheet|@import|url\(", page)
    assert "http://" not in page and "https://" not in page  # nothing to fetch from elsewhere
    assert "innerHTML" not in page and "insertAdjacentHTML" not in page and "document.write" not in page
    for needed in ('id="article"', 'id="title"', 'id="suggest"', 'id="send"', 'id="add-tag"', 'list="learned-tags"',
                   'id="status"', 'id="view"', 'request("v1/tag"', 'request("v1/tags")', 'request("v1/feedback"'):
        assert needed in page, needed
    for control in ("title", "section", "article", "add-tag"):
        assert f'<label for="{control}"' in page, f"#{control} has a label"


@pytest.fixture(scope="module")
def model(trained):
    return load_model(trained.run_dir)


@pytest.fixture(scope="module")
def server(model, tmp_path_factory):
    """The service on 127.0.0.1 at a free port: (base URL, feedback file)."""
    import uvicorn

    from classifier.service.app import create_app

    feedback = tmp_path_factory.mktemp("page") / "feedback.jsonl"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(model=model, feedback=feedback)
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    yield base, feedback
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def driver(chromium, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromedriver = shutil.which("chromedriver")
    if chromedriver is None:
        missing("Debian's chromium-driver (on PATH as `chromedriver`)",
                "install it with: apt-get install -y --no-install-recommends chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=options, service=Service(chromedriver))
    d.set_page_load_timeout(30)
    yield d
    d.quit()


@pytest.fixture(scope="module")
def article(mini_path):
    corpus = load_articles(mini_path)
    title, _, text = corpus.texts[0].partition("\n")
    return title, text


def wait(driver, condition, timeout: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def open_and_suggest(driver, base, title: str, text: str, section: str = ""):
    """Load the page, fill the form (the text set directly: typing a long article is slow), click
    Suggest and wait for the tags; returns the [data-tag] elements."""
    driver.get(base + "/")
    wait(driver, lambda d: len(css(d, "#learned-tags option")) > 0)
    css(driver, "#title")[0].send_keys(title)
    css(driver, "#section")[0].send_keys(section)
    driver.execute_script("document.getElementById('article').value = arguments[0]", text)
    css(driver, "#article")[0].send_keys(" ")  # and one real key stroke
    css(driver, "#suggest")[0].click()
    wait(driver, lambda d: css(d, "[data-tag]") and "suggested" in css(d, "#status")[0].text)
    return css(driver, "[data-tag]")


def test_suggest_lists_the_ranked_tags_with_the_suggested_ones_apart(driver, server, model, article):
    base, _ = server
    title, text = article
    items = open_and_suggest(driver, base, title, text)
    expected = predict(model, [article_text(title, text)])[0]
    assert [i.get_attribute("data-tag") for i in items] == list(expected.scores)
    assert [i.get_attribute("data-decided") == "true" for i in items] == [t in expected.tags for t in expected.scores]
    suggested = [i.get_attribute("data-tag") for i in css(driver, "#suggested [data-tag]")]
    others = [i.get_attribute("data-tag") for i in css(driver, "#candidates [data-tag]")]
    assert suggested == expected.tags and others == [t for t in expected.scores if t not in expected.tags]
    for item in items:
        tag = item.get_attribute("data-tag")
        style = item.find_element("css selector", ".bar .fill").get_attribute("style")
        width = re.fullmatch(r"width: ([\d.]+)%;", style)
        assert width and abs(float(width.group(1)) - 100 * expected.scores[tag]) < 0.01
        assert item.find_element("css selector", ".score").text == f"{expected.scores[tag]:.2f}"
    assert css(driver, "#model")[0].text.startswith("model: ")
    assert len(css(driver, "#learned-tags option")) == len(model.classes_)
    assert console_errors(driver) == []


def test_clicking_a_tag_marks_the_words_behind_it(driver, server, model, article):
    base, _ = server
    title, text = article
    open_and_suggest(driver, base, title, text)
    tag = css(driver, "#suggested [data-tag]")[0].get_attribute("data-tag")
    evidence = dict(predict(model, [article_text(title, text)], explain=10)[0].evidence[tag])
    css(driver, "#suggested [data-tag] .tag-name")[0].click()
    marks = css(driver, "#view mark")
    assert marks, "the words behind the tag are marked"
    shown = css(driver, "#view")[0].text
    for mark in marks:
        word = normalise(mark.text)
        assert word in evidence, mark.text
        assert mark.get_attribute("class") == ("pos" if evidence[word] > 0 else "neg")
        assert mark.text in shown and mark.text in f"{title}\n{text}"
    assert {normalise(m.text) for m in marks} == {w for w in evidence if w in {normalise(x) for x in
                                                                           re.findall(r"[\w'’]+", title + " " + text)}}
    assert css(driver, "#suggested [data-tag] .tag-name")[0].get_attribute("aria-pressed") == "true"
    assert f"\u201c{tag}\u201d" in css(driver, "#why-heading")[0].text
    css(driver, "#suggested [data-tag] .tag-name")[0].click()  # again: off
    assert css(driver, "#view mark") == [] and not css(driver, "#why")[0].is_displayed()
    assert console_errors(driver) == []


def test_an_elided_and_capitalised_word_is_marked_whole(driver, server, model, article):
    base, _ = server
    title, text = article
    tag = predict(model, [f"{title}\n{text}"])[0].tags[0]
    word = next(w for w, v in predict(model, [f"{title}\n{text}"], explain=3)[0].evidence[tag] if v > 0)
    written = "L\u2019" + word.upper()
    open_and_suggest(driver, base, title, f"{text} Et {written} encore.")
    css(driver, f'[data-tag="{tag}"] .tag-name')[0].click()
    assert written in [m.text for m in css(driver, "#view mark")]


def test_keep_reject_add_and_send_records_the_feedback(driver, server, model, article):
    from selenium.webdriver.common.keys import Keys

    base, feedback = server
    title, text = article
    open_and_suggest(driver, base, title, text, "Société")
    suggested = [i.get_attribute("data-tag") for i in css(driver, "#suggested [data-tag]")]
    candidates = [i.get_attribute("data-tag") for i in css(driver, "#candidates [data-tag]")]
    css(driver, "#suggested [data-tag] .reject")[0].click()
    assert css(driver, "#suggested [data-tag]")[0].get_attribute("data-state") == "rejected"
    css(driver, "#candidates [data-tag] .add-candidate")[0].click()
    typed = next(str(t) for t in model.classes_ if str(t) not in suggested + candidates)
    css(driver, "#add-tag")[0].send_keys(typed.upper(), Keys.ENTER)  # the learned spelling is kept
    css(driver, "#add-tag")[0].send_keys("<b>tout nouveau</b>")
    css(driver, "#add-button")[0].click()
    added = [li.get_attribute("data-added") for li in css(driver, "#added li")]
    assert added == [candidates[0], typed, "<b>tout nouveau</b>"]
    assert css(driver, "#added b") == []  # shown as text
    css(driver, "#send")[0].click()
    wait(driver, lambda d: "Feedback recorded" in css(d, "#status")[0].text or "Could not" in css(d, "#status")[0].text)
    status = css(driver, "#status")[0]
    assert "Feedback recorded" in status.text and status.get_attribute("class") == "ok", status.text
    event = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert event["id"].startswith("desk-") and event["id"] in status.text
    assert event["title"] == title and event["text"] == text + " " and event["section"] == "Société"
    assert event["accepted"] == suggested[1:] and event["rejected"] == suggested[:1]
    assert event["added"] == added and event["model"] == css(driver, "#model")[0].text.removeprefix("model: ")
    assert css(driver, "#send")[0].get_attribute("disabled") is not None  # sent once
    css(driver, "#suggested [data-tag] .accept")[0].click()  # the editor changes their mind: send again
    css(driver, "#send")[0].click()
    wait(driver, lambda d: len(feedback.read_text(encoding="utf-8").splitlines()) == 2)
    again = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert again["id"] == event["id"] and again["accepted"] == suggested and again["rejected"] == []
    wait(driver, lambda d: "0 rejected" in css(d, "#status")[0].text)
    assert console_errors(driver) == []


def test_a_server_error_is_shown(driver, server, article):
    base, _ = server
    title, _ = article
    open_and_suggest(driver, base, title, "Le ministre de la santé face au virus")
    driver.execute_script("document.getElementById('article').value = arguments[0]", "mot " * 300_000)  # 1.2 MB
    css(driver, "#suggest")[0].click()
    wait(driver, lambda d: "Could not" in css(d, "#status")[0].text)
    status = css(driver, "#status")[0]
    assert status.text.startswith("Could not get suggestions: HTTP 413") and status.get_attribute("class") == "error"
    assert css(driver, "[data-tag]"), "the earlier suggestions stay"
    assert any("413" in e for e in console_errors(driver))  # the failed request, and nothing else


def test_model_and_editor_strings_are_text_never_html(driver, server):
    base, _ = server
    title = "<img src=x onerror=\"document.title='owned'\"> Le ministre"
    text = "Le ministre de la santé <script>document.title='owned'</script> face au virus <b>gras</b>"
    open_and_suggest(driver, base, title, text)
    css(driver, "[data-tag] .tag-name")[0].click()
    view = css(driver, "#view")[0]
    assert css(driver, "#view img, #view script, #view b") == []
    assert "<script>document.title='owned'</script>" in view.text and "<b>gras</b>" in view.text
    assert driver.title != "owned"
    assert console_errors(driver) == []


def test_keyboard_suggest_and_messages(driver, server, article):
    from selenium.webdriver.common.keys import Keys

    base, _ = server
    driver.get(base + "/")
    wait(driver, lambda d: len(css(d, "#learned-tags option")) > 0)
    css(driver, "#suggest")[0].click()
    status = css(driver, "#status")[0]
    assert "Paste or type an article first" in status.text and status.get_attribute("class") == "error"
    assert driver.switch_to.active_element == css(driver, "#article")[0]
    assert css(driver, "#send")[0].get_attribute("disabled") is not None  # nothing to send yet
    css(driver, "#article")[0].send_keys("Le ministre de la santé face au virus", Keys.CONTROL, Keys.ENTER)
    wait(driver, lambda d: css(d, "[data-tag]"))
    first = css(driver, "[data-tag] .tag-name")[0]
    first.send_keys(Keys.SPACE)  # a button: the keyboard works it as the mouse does
    assert first.get_attribute("aria-pressed") == "true"
    candidate = css(driver, "#candidates [data-tag]")[0].get_attribute("data-tag")
    for _ in range(2):  # add, then take back: the focus stays on the candidate's button
        css(driver, "#candidates .add-candidate")[0].send_keys(Keys.ENTER)
        assert driver.switch_to.active_element.get_attribute("aria-label") == f"Add {candidate}"
    assert css(driver, "#added li") == []
    css(driver, "#article")[0].send_keys(" encore")
    assert "changed since these suggestions" in css(driver, "#article-hint")[0].text
    assert console_errors(driver) == []


def test_a_text_without_known_words_says_so(driver, server):
    base, _ = server
    open_and_suggest(driver, base, "", "zzqxv wwqyk")
    assert "0 tags suggested (no known words" in css(driver, "#status")[0].text
    assert css(driver, "#suggested [data-tag]") == []
    assert css(driver, "#suggested-empty")[0].text == "No tag reached its threshold."
    assert console_errors(driver) == []
