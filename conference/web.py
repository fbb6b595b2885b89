"""Page-wide plumbing: error pages and JSON errors, template helpers, security headers."""

from __future__ import annotations

import logging

from flask import Flask, current_app, make_response, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from .auth import json_error, wants_json
from .countries import country_name, display_country_names
from .errors import ServiceError
from .extensions import db
from .observability import database_unreachable, log_event, request_id
from .wire import client_limits, isoformat_utc

log = logging.getLogger(__name__)


def register_web(app: Flask) -> None:
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_security_headers)
    app.jinja_env.globals.update(
        country_name=country_name,
        country_names=display_country_names,
        config_endpoints=app.view_functions.keys,
        limits=client_limits(),  # conference.wire's limits: maxlength attributes and data-limits
        **_permission_helpers(),
    )
    app.jinja_env.filters["isoutc"] = isoformat_utc


def _permission_helpers() -> dict:
    """Templates ask the same checks as the views, for the signed-in person: `may_manage(event)`..."""
    from flask_login import current_user

    from .grants import checks
    from .manage.views import visible_sections

    def bound(check):
        return lambda target: check(db.session, current_user, target)

    return {
        "may_manage": bound(checks.can_manage),
        "may_moderate": bound(checks.can_moderate),
        "may_moderate_event": bound(checks.can_moderate_event),
        "may_scan": bound(checks.can_scan),
        "may_see_people": bound(checks.can_see_people),
        "may_administer": lambda: checks.can_administer(current_user),
        "manage_sections": visible_sections,
    }


def _service_error(exc: ServiceError):
    db.session.rollback()
    if wants_json():
        return json_error(exc.status, exc.code, exc.message, **exc.details)
    from .i18n.messages import page_message

    return render_template("errors/error.html", status=exc.status, message=page_message(exc)), exc.status


def _http_error(exc: HTTPException):
    from flask.globals import request_ctx

    if request_ctx.url_adapter is None:
        # No routing for this request (a Host outside TRUSTED_HOSTS): the page layout cannot be
        # built, and the answer must not echo the Host either.
        return json_error(exc.code or 400, "bad_host", "this site does not answer to that host name")
    from .i18n.messages import http_error_code, http_page_message

    if wants_json():
        return json_error(exc.code or 500, http_error_code(exc), exc.description or exc.name)
    return render_template("errors/error.html", status=exc.code, message=http_page_message(exc)), exc.code


def _unexpected_error(exc: Exception):
    try:
        db.session.rollback()
    except Exception:
        log.debug("rollback after an unhandled error failed", exc_info=True)
    if database_unreachable(exc):
        log_event(log, logging.ERROR, "database_unavailable", error=type(exc).__name__)
        message = "the database is not reachable at the moment; nothing was changed, please try again shortly"
        if wants_json():
            response = json_error(503, "database_unavailable", message, request_id=request_id())
        else:
            # A bare page: the site's layout asks the database who is signed in.
            response = make_response(_BARE_PAGE.format(message=message[:1].upper() + message[1:]), 503)
            response.mimetype = "text/html"
        response.headers["Retry-After"] = "5"
        return response
    rid = request_id()
    log_event(log, logging.ERROR, "unhandled_error", exc_info=exc, error=type(exc).__name__)
    if wants_json():
        return json_error(500, "internal_error", "something went wrong on the server", request_id=rid)
    message = gettext(
        "Something went wrong on our side. If you report it, quote this reference: %(reference)s.",
        reference=rid,
    )
    return render_template("errors/error.html", status=500, message=message), 500


_BARE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Try again shortly</title>'
    '<link rel="stylesheet" href="/static/css/app.css"></head><body><main class="container">'
    "<h1>Try again shortly</h1><p>{message}.</p></main></body></html>"
)


# Pages use no inline script: every script is a file of this site. Streams are embedded from any
# https site (YouTube, Vimeo, an HLS .m3u8 on a CDN, which hls.js fetches and plays from blob: URLs).
# Inline style *attributes* carry the tracks' colours (--track), so style-src-attr allows them; no
# <style> element and no script may come from anywhere but the site.
def content_security_policy(app: Flask) -> str:
    """The policy of every page. Calls through a Janus SFU connect the browser to Janus's address
    (JANUS_PUBLIC_URL, else JANUS_URL), which connect-src then names: over WebSocket or HTTP."""
    from urllib.parse import urlsplit

    connect = ["'self'", "https:"]
    janus = app.config.get("JANUS_PUBLIC_URL") or app.config.get("JANUS_URL")
    if janus:
        parts = urlsplit(janus)
        if parts.scheme and parts.netloc:
            pairs = {"http": "ws", "https": "wss", "ws": "http", "wss": "https"}
            for scheme in (parts.scheme, pairs.get(parts.scheme)):
                if scheme and f"{scheme}://{parts.netloc}" not in connect:
                    connect.append(f"{scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' data:",
            "media-src 'self' https: blob:",
            "connect-src " + " ".join(connect),
            "worker-src 'self' blob:",
            "frame-src https:",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


CSP_EXTENSION = "conference.content_security_policy"


def _policy(app: Flask) -> str:
    """The policy for the app's current configuration (built once per Janus address)."""
    key = (app.config.get("JANUS_PUBLIC_URL"), app.config.get("JANUS_URL"))
    cached = app.extensions.get(CSP_EXTENSION)
    if cached is None or cached[0] != key:
        cached = (key, content_security_policy(app))
        app.extensions[CSP_EXTENSION] = cached
    return cached[1]


HSTS = "max-age=31536000; includeSubDomains"
# Pages that may show a secret (a new API token, a sign-in link's token in the address): no cache
# (browser history, a shared proxy) may keep a copy.
NO_STORE_PREFIXES = ("/account/", "/signin/", "/login", "/forgot")


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Content-Security-Policy", _policy(current_app))
    if current_app.config.get("ENV_NAME") == "production":
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.path.startswith(NO_STORE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
        if request.path.startswith("/signin/"):
            response.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    return response
