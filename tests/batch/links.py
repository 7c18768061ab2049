"""Reading the links of a batch's index.html, and what a safe one is."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit


class Links(HTMLParser):
    """Every ``href`` of an ``<a>`` in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Keep an ``<a>``'s href."""
        if tag == "a":
            self.hrefs += [v or "" for k, v in attrs if k == "href"]


def hrefs(page: Path) -> list[str]:
    """The page's links, in order."""
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.hrefs


def assert_safe_link(href: str, index: Path, target: Path) -> None:
    """Relative, no scheme or host, and it leads to ``target`` itself."""
    parts = urlsplit(href)
    assert href.startswith("./"), href
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("", "", "", ""), href
    assert ":" not in href.split("/")[1] and "\\" not in href, href
    # As a browser reads it from a page on a server: the same scheme, host and folder.
    assert urljoin("https://example.org/batch/index.html", href).startswith(
        "https://example.org/"
    ), href
    resolved = (index.parent / unquote(parts.path, errors="surrogateescape")).resolve()
    assert resolved == target.resolve(), href
