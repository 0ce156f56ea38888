"""A hint for moderators about a contact's address: at the organisation's own domain (its
website's), or at a free mail provider. A hint, never a decision: nothing is refused, sorted
or set aside by it.

The free providers are a text file beside this module (`free_mail_providers.txt`): data that
changes now and then and is reviewed like code, not a per-install setting like the block
lists (which admins edit, and which do set sign-ons aside).
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

PROVIDERS_FILE = Path(__file__).with_name("free_mail_providers.txt")
OWN_DOMAIN = "own_domain"
FREE_PROVIDER = "free_provider"


@dataclass(frozen=True)
class EmailHint:
    kind: str
    domain: str


@cache
def free_mail_providers() -> tuple[frozenset[str], tuple[str, ...]]:
    """Exact domains, and the prefixes of those written `name.*`."""
    lines = [line.split("#")[0].strip().lower() for line in PROVIDERS_FILE.read_text("utf-8").splitlines()]
    exact = frozenset(line for line in lines if line and not line.endswith(".*"))
    prefixes = tuple(line[:-1] for line in lines if line.endswith(".*"))
    return exact, prefixes


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().rstrip(".").lower() or None


def website_host(website: str | None) -> str | None:
    """The website's host without `www.`; a bare "mfn.org" is read as a host too."""
    if not website or not website.strip():
        return None
    address = website.strip()
    try:
        host = urlsplit(address if "//" in address else "//" + address).hostname
    except ValueError:
        return None
    return host.rstrip(".").removeprefix("www.") if host else None


def is_free_provider(domain: str) -> bool:
    exact, prefixes = free_mail_providers()
    return domain in exact or domain.startswith(prefixes)


def same_organisation_domain(domain: str, host: str) -> bool:
    """The same domain, or one under the other (mail.mfn.org and mfn.org)."""
    if domain == host:
        return True
    shorter, longer = sorted((domain, host), key=len)
    return shorter.count(".") >= 1 and longer.endswith("." + shorter)


def email_hint(endorsement) -> EmailHint | None:
    """What a moderator may like to know about the contact's address, if anything."""
    domain = email_domain(endorsement.email)
    if domain is None:
        return None
    if is_free_provider(domain):
        return EmailHint(FREE_PROVIDER, domain)
    host = website_host(endorsement.website)
    if host and same_organisation_domain(domain, host):
        return EmailHint(OWN_DOMAIN, domain)
    return None
