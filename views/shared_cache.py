"""The contract with shared caches (the shipped nginx configuration, a CDN).

A response every reader gets alike is marked with `mark_shared`: `Cache-Control: public,
max-age=0, s-maxage=SHARED_CACHE_SECONDS`, a weak ETag and `Vary: Accept-Encoding,
Accept-Language, Cookie`, and it must set no cookie. Browsers revalidate it every time (and
get a 304 from the cache); the shared cache keeps it for s-maxage seconds. Anything per
reader says `private` or `no-store`, or sets a cookie, and no cache keeps it.
"""

from flask import current_app, request

SHARED_VARY = ("Accept-Encoding", "Accept-Language", "Cookie")


def shared_headers(response):
    """The headers that let shared caches keep this response for SHARED_CACHE_SECONDS."""
    response.cache_control.public = True
    response.cache_control.max_age = 0
    response.cache_control.s_maxage = current_app.config["SHARED_CACHE_SECONDS"]
    response.vary.update(SHARED_VARY)
    return response


def mark_shared(response):
    """Let shared caches keep this response for SHARED_CACHE_SECONDS; answer a matching
    If-None-Match with a 304 here too."""
    shared_headers(response)
    if response.get_etag()[0] is None:
        response.add_etag(weak=True)
    return response.make_conditional(request)
