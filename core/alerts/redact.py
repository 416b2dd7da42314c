"""Notification URLs carry secrets (bot tokens, webhook ids, passwords). Only their redacted
form is ever logged, stored or shown; error texts are scrubbed of every secret part."""
from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlsplit

# Schemes whose host is a server name, not a credential (apprise's webhook, ntfy and mail URLs).
# For every other scheme (tgram://TOKEN/..., discord://ID/TOKEN, slack://A/B/C) the host is secret.
HOST_IS_PUBLIC = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "ntfy", "ntfys",
                            "mailto", "mailtos", "http", "https"})
MIN_SECRET_LEN = 3  # shorter fragments ("a", "10") would scrub innocent text and hide nothing
MASK = "***"


def _split(url: str):
    try:
        return urlsplit(url.strip())
    except ValueError:
        return None


def fingerprint(url: str) -> str:
    """A short stable id, so an operator can tell two redacted URLs apart without the secret."""
    return hashlib.sha256(url.strip().encode()).hexdigest()[:8]


def redact_url(url: str) -> str:
    """`json://127.0.0.1:8080/*** #1a2b3c4d`: the scheme, a public host, never a path, user,
    password or query value."""
    parts = _split(url)
    if parts is None or not parts.scheme:
        return f"(unparseable URL) #{fingerprint(url)}"
    scheme = parts.scheme.lower()
    if scheme in HOST_IS_PUBLIC:
        try:
            port = parts.port
        except ValueError:
            port = None
        host = (parts.hostname or "") + (f":{port}" if port else "")
        rest = "/***" if (parts.path.strip("/") or parts.query or parts.username) else ""
        return f"{scheme}://{host}{rest} #{fingerprint(url)}"
    return f"{scheme}://{MASK} #{fingerprint(url)}"


def secret_parts(url: str) -> list[str]:
    """Every fragment of the URL that might be a secret, longest first (so scrubbing a token
    never leaves half of a longer one)."""
    parts = _split(url)
    if parts is None:
        return [url.strip()]
    found = {url.strip()}
    public = parts.scheme.lower() in HOST_IS_PUBLIC
    if not public and parts.netloc:
        found.update(p for p in (parts.netloc, parts.hostname) if p)
    for piece in (parts.username, parts.password, parts.path.strip("/"), parts.query):
        if piece:
            found.add(piece)
    found.update(seg for seg in parts.path.split("/") if seg)
    found.update(v for _, v in parse_qsl(parts.query) if v)
    return sorted((s for s in found if len(s) >= MIN_SECRET_LEN), key=len, reverse=True)


def scrub(text: str, urls: list[str]) -> str:
    """`text` with every secret fragment of `urls` masked."""
    out = text
    for url in urls:
        for secret in secret_parts(url):
            out = out.replace(secret, MASK)
    return out
