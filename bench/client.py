"""The HTTP client of the set-up steps: one request at a time, forms, cookies, the moderator's login.

The load itself is wrk's; this client only prepares it and checks what it will measure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from http.client import HTTPConnection
from urllib.parse import urlencode

from bench.config import MODERATOR_EMAIL, MODERATOR_PASSWORD, USER_AGENT

FORM_ELEMENT = re.compile(r"<form\b.*?</form>", re.S | re.I)


@dataclass
class Answer:
    """One HTTP answer, as the set-up steps need it."""

    status: int
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str | None:
        """The first header of that name, case-insensitively."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self) -> dict[str, str]:
        """name -> value of every Set-Cookie."""
        found = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                found[name.strip()] = rest.split(";", 1)[0]
        return found

    def hidden_fields(self, action_suffix: str = "") -> dict[str, str]:
        """The hidden inputs of the first form whose action ends so (the CSRF token and any others)."""
        return hidden_fields(self.body, action_suffix)


class _FormReader(HTMLParser):
    """Collects (action, hidden inputs) for every form of a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        """Note each form, and each hidden input of the current form."""
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action") or "", {}))
        elif tag == "input" and attrs.get("type") == "hidden" and self.forms and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value") or ""


def hidden_fields(page: str, action_suffix: str = "") -> dict[str, str]:
    """The hidden inputs of the first form whose action ends with `action_suffix`."""
    reader = _FormReader()
    for form in FORM_ELEMENT.findall(page):  # parsing only the forms keeps a 600 KB page cheap
        reader.feed(form)
    for action, fields in reader.forms:
        if action.endswith(action_suffix) and "csrf_token" in fields:
            return fields
    raise RuntimeError(f"no form with a csrf_token and an action ending in {action_suffix!r}")


class RawBody(bytes):
    encoding: str | None = None


def fetch_raw(port: int, path: str, headers: dict) -> RawBody:
    """A GET's body as sent (not decoded), and its Content-Encoding."""
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        body = RawBody(response.read())
        body.encoding = response.getheader("Content-Encoding")
        return body
    finally:
        connection.close()


def fetch(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None) -> Answer:
    """One request to the server on 127.0.0.1, without following redirects."""
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
        response = connection.getresponse()
        return Answer(response.status, response.getheaders(), response.read().decode("utf-8", "replace"))
    finally:
        connection.close()


def cookie_header(cookies: dict[str, str]) -> str:
    """Cookies as a Cookie: header value."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def login_cookie(port: int) -> str:
    """Log the moderator in through /login; returns the Cookie header value."""
    form = fetch(port, "GET", "/login")
    cookies = form.cookies()
    body = urlencode({**form.hidden_fields(), "email": MODERATOR_EMAIL, "password": MODERATOR_PASSWORD})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(cookies)}
    answer = fetch(port, "POST", "/login", headers=headers, body=body)
    if answer.status not in (302, 303):
        raise RuntimeError(f"moderator login answered {answer.status}")
    cookies.update(answer.cookies())
    return cookie_header(cookies)
