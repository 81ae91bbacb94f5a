"""In Chromium: acknowledgement pages show a Word policy, a PDF policy (its pages drawn as
images that load under the app's CSP) and a Markdown policy, each with its headings."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from bot.web.app import create_app
from tests.features.policies.test_documents_web import TODAY, three_policies
from tests.support.helpers import SchoolBuilder, at

pytestmark = pytest.mark.browser


def test_acknowledgement_pages_show_word_pdf_and_markdown(
    school: SchoolBuilder, sqlite_url: str, live_server: Any, page: Any, screenshot: Any
) -> None:
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    with time_machine.travel(at(TODAY), tick=True):
        docs = three_policies(school, sqlite_url)  # links signed "today"
        with live_server(create_app(docs.context.settings, docs.context)) as server:
            page.goto(server.url + docs.links["code"])  # Word
            article = page.locator("article.doc")
            assert article.count() == 1, page.locator("main").inner_text()[:500]
            name = "2. What every member of staff does"
            assert article.get_by_role("heading", level=3, name=name).count() == 1
            headings = article.locator("h2, h3").all_inner_texts()
            assert headings[:2] == [
                "Oakfield Primary School — Staff Code of Conduct",
                "1. Professional boundaries",
            ]
            assert article.locator("ul > li").count() == 3
            screenshot(page, "ack-word")

            page.goto(server.url + docs.links["online-safety"])  # Markdown
            article = page.locator("article.doc")
            assert article.locator("h2, h3").all_inner_texts() == ["Online Safety Policy", "Scope"]
            assert "#" not in article.inner_text()
            # one paragraph: the wrapped line in the file does not split the sentence
            assert article.locator("p", has_text="This policy covers every device on site.").count()

            page.goto(server.url + docs.links["phones"])  # PDF
            images = page.locator("figure.pdf-page img")
            assert images.count() == 2
            for index in range(2):
                image = images.nth(index)
                image.scroll_into_view_if_needed()
                page.wait_for_function(
                    "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
                )
                assert image.get_attribute("alt") == f"Mobile Phones Policy, page {index + 1} of 2"
            assert page.locator("figcaption").all_inner_texts() == ["Page 1 of 2", "Page 2 of 2"]
            download = page.get_by_role("link", name="Download the document (phones.pdf")
            assert "download=1" in (download.get_attribute("href") or "")
            screenshot(page, "ack-pdf")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert blocked == []  # nothing the page needs is refused by the Content-Security-Policy
