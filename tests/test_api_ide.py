"""The GraphQL IDE in a real headless Chromium (Debian's, driven by Playwright): with
introspection off, an analyst's key gives it the schema as SDL, so the docs panel lists
the fields and the editor completes a query; the key stays in this tab's sessionStorage,
never in a URL, localStorage or the requests' query strings."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from nhigraph.api.keys import Role
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.ingest.sync import read_inventories, write_batches
from tests.api_support import EXAMPLES, Live
from tests.test_report import CHROMIUM_INSTALL, colour_counts, decode_png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    store = EmbeddedStore(":memory:")
    write_batches(store, read_inventories(store, [EXAMPLES / "demo-estate.yaml"]))
    server = Live(store, tmp_path_factory.mktemp("ide") / "keys.json")
    yield server
    server.stop()
    store.close()


@pytest.fixture(scope="module")
def browser_page() -> Iterator[tuple[Page, list[str], list[str]]]:
    if CHROMIUM is None:
        pytest.fail(f"chromium is not installed; the IDE's browser test needs it: "
                    f"{CHROMIUM_INSTALL}", pytrace=False)  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        console: list[str] = []
        urls: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("request", lambda r: urls.append(r.url))
        yield page, console, urls
        browser.close()


def _use_key(page: Page, live: Live, role: Role) -> None:
    page.goto(f"{live.url}/ide/")
    page.fill("#api-key", live.keys[role])
    page.click("#use-key")


def test_the_sdl_is_for_analysts_only(live: Live) -> None:
    assert httpx.get(f"{live.url}/schema.graphql").status_code == 401
    reader = httpx.get(f"{live.url}/schema.graphql",
                       headers={"Authorization": f"Bearer {live.keys[Role.READER]}"})  # fmt: skip
    assert reader.status_code == 403
    assert reader.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    analyst = httpx.get(f"{live.url}/schema.graphql",
                        headers={"Authorization": f"Bearer {live.keys[Role.ANALYST]}"})  # fmt: skip
    assert analyst.status_code == 200
    committed = (Path(__file__).parent.parent / "schema.graphql").read_text()
    assert analyst.text == committed
    # Introspection stays off for everyone, analysts included.
    off = live.post("{ __schema { queryType { name } } }", role=Role.ANALYST).json()
    assert off["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_the_ide_shows_docs_and_completes_with_introspection_off(
    live: Live, browser_page: tuple[Page, list[str], list[str]], tmp_path: Path
) -> None:
    page, console, urls = browser_page
    _use_key(page, live, Role.ANALYST)
    page.wait_for_selector("#key-status:has-text('docs and completion from the schema')")
    page.wait_for_selector(".graphiql-container")

    # The docs panel: open it, go to Query, and it lists blastRadius.
    page.click("button[aria-label='Show Documentation Explorer']")
    docs = page.locator(".graphiql-doc-explorer")
    docs.wait_for()
    docs.get_by_text("Query", exact=True).first.click()
    entry = docs.get_by_text("blastRadius", exact=True).first
    entry.wait_for()
    assert "blastRadius" in docs.inner_text()
    assert "sharedConnectors" in docs.inner_text()

    # The screenshot shows it: the docs entry's box is painted with text on the panel.
    entry.scroll_into_view_if_needed()
    shot = tmp_path / "ide.png"  # kept by pytest under its basetemp for a look
    page.screenshot(path=str(shot))
    width, height, bpp, rows = decode_png(shot.read_bytes())
    assert (width, height) == (1400, 900)
    box = entry.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width and box["y"] < height
    x0, y0 = int(box["x"]), int(box["y"])
    x1, y1 = int(box["x"] + box["width"]), int(box["y"] + box["height"])
    region = [row[x0 * bpp : x1 * bpp] for row in rows[y0:y1]]
    counts = colour_counts(region, bpp)
    assert len(counts) > 8, "the blastRadius entry is not drawn"  # glyphs, anti-aliasing
    assert len(colour_counts(rows, bpp)) > 200  # the whole IDE, not a blank page

    # Completion: typing in the query editor offers the schema's root fields.
    editor = page.locator(".graphiql-query-editor .CodeMirror").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("{ blastR")
    hints = page.locator(".CodeMirror-hints")
    hints.wait_for(timeout=10_000)
    assert "blastRadius" in hints.inner_text()

    # And the key ran a real query, sent as a header only.
    page.keyboard.press("Escape")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("{ viewer { role ")
    page.keyboard.press("Escape")
    page.click("button.graphiql-execute-button")
    page.wait_for_selector(".graphiql-response :text('analyst')")
    key = live.keys[Role.ANALYST]
    assert not [u for u in urls if key in u]
    stored: Any = page.evaluate(
        "() => [sessionStorage.getItem('nhigraph:api-key'), JSON.stringify(localStorage)]"
    )
    assert stored[0] == key and key not in stored[1]
    assert not [m for m in console if m.startswith("error") and "Content Security" in m]


def test_a_readers_key_gets_the_ide_without_docs(
    live: Live, browser_page: tuple[Page, list[str], list[str]]
) -> None:
    page, _, _ = browser_page
    page.evaluate("() => sessionStorage.clear()")
    _use_key(page, live, Role.READER)
    page.wait_for_selector("#key-status:has-text('a reader key')")
    page.click("#forget-key")
    page.wait_for_selector("#key-status:has-text('key forgotten')")
    assert page.evaluate("() => sessionStorage.getItem('nhigraph:api-key')") is None
    page.fill("#api-key", "nhg_not-a-key")
    page.click("#use-key")
    page.wait_for_selector("#key-status:has-text('the key was not accepted')")
