"""Security headers on every response."""

from flask import current_app, request
from flask_babel import gettext as _

from views.errors import render_error

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors {ancestors}"
)


def add_security_headers(response):
    """A strict CSP (no inline script), no sniffing, no framing except the embed widget."""
    embeddable = response.headers.pop("X-Jointly-Embeddable", None)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP.format(ancestors="*" if embeddable else "'none'"))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Mailed links carry tokens in their path: never send them to another site.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    if not embeddable:
        headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["BASE_URL"].startswith("https://") or request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def refuse_cross_site_posts():
    """A form sent from another site is refused before anything reads it, whatever token it
    carries: browsers say where a request comes from (Sec-Fetch-Site, Origin). Requests that
    say nothing still need their CSRF token (Flask-WTF)."""
    if request.method not in UNSAFE_METHODS:
        return None
    fetch_site, origin = request.headers.get("Sec-Fetch-Site"), request.headers.get("Origin")
    own = {request.host_url.rstrip("/"), current_app.config["BASE_URL"].rstrip("/")}
    # Browsers that send Sec-Fetch-Site say it plainly; for the others, an Origin that is not
    # ours (a sandboxed frame sends "null") is another site.
    if fetch_site == "cross-site" or (fetch_site is None and origin is not None and origin not in own):
        return render_error(
            403, _("This form was sent from another website. Please use the form on this site.")
        )
    return None


def refuse_nul_bytes():
    """PostgreSQL refuses NUL in text mid-query, which would be a 500. Addresses and query
    strings are refused here, with a page that says why; form fields get a message beside
    the field from `forms.hygiene.NoControlCharacters`."""
    values = [request.path, *request.args.keys(), *request.args.values()]
    if any("\x00" in value for value in values):
        message = _("This address contains an invisible character. Please check the link and try again.")
        return render_error(400, message)
    return None
