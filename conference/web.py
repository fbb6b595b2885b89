"""Page-wide plumbing: error pages and JSON errors, template helpers, security headers."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from .auth import json_error, wants_json
from .countries import country_name, display_country_names
from .errors import ServiceError
from .extensions import db
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
    return render_template("errors/error.html", status=exc.status, message=exc.message), exc.status


def _http_error(exc: HTTPException):
    if wants_json():
        code = (exc.name or "error").lower().replace(" ", "_")
        return json_error(exc.code or 500, code, exc.description or exc.name)
    return render_template("errors/error.html", status=exc.code, message=exc.description), exc.code


def _unexpected_error(exc: Exception):
    db.session.rollback()
    log.error("unhandled error on %s %s", request.method, request.path)
    if wants_json():
        return json_error(500, "internal_error", "something went wrong on the server")
    return render_template("errors/error.html", status=500, message="Something went wrong on our side."), 500


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response
