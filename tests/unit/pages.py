"""Reading console pages in tests: fetching with a status, their links, their text as read."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, quote, urlsplit

from flask.testing import FlaskClient


def segment(name: str) -> str:
    """A name as the console writes it in one path segment: ``/`` and ``%`` escaped, ``:`` and ``@`` kept."""
    return quote(name, safe="!$&'()*+,:;=@")


def get_page(client: FlaskClient, path: str, status: int = 200) -> str:
    """The HTML of a page, checking its status."""
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def links(page: str) -> list[str]:
    """Every href of a page, entities read."""
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


def query_of(link: str) -> dict[str, list[str]]:
    """A link's query arguments."""
    return parse_qs(urlsplit(link).query)


def text_of(page: str) -> str:
    """The main part of a page as a reader sees it: tags gone, entities read, blanks squeezed."""
    main = page.split("<main>", 1)[-1]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))
