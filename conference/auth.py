"""Authentication plumbing shared by pages, the JSON API and Socket.IO.

Browsers authenticate with the Flask-Login session cookie (and a CSRF token on every state change);
devices and bots send `Authorization: Bearer <token>`. A request that carries a bearer token is
authenticated by that token alone, which is why CSRF does not apply to it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from .accounts.models import User
from .accounts.services import user_for_token
from .extensions import csrf, db, login_manager


def wants_json() -> bool:
    """API paths and clients that ask for JSON get JSON errors instead of HTML pages."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    raw_id, _, version = (user_id or "").partition(":")
    if not raw_id.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or str(user.session_version) != version:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json() or bearer_token():
        return json_error(401, "unauthorized", "sign in or send a valid API token")
    flash(_("Please sign in to continue."), "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def json_error(status: int, code: str, message: str, **details):
    body: dict[str, dict[str, Any]] = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    response = jsonify(body)
    response.status_code = status
    return response


def authenticate_request() -> None:
    """Before every request: a bearer token decides the identity alone; cookie requests need CSRF."""
    token = bearer_token()
    if token:
        # The cookie identity must not ride along a bearer request, so the token replaces it.
        login_manager._update_request_context_with_user(user_for_token(db.session, token))
        return
    if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
        csrf.protect()


def handle_csrf_error(error: CSRFError):
    if wants_json():
        return json_error(400, "csrf_failed", error.description)
    message = "Your form expired or was sent from elsewhere. Please go back, reload the page and try again."
    return render_template("errors/error.html", status=400, message=message), 400


def login_required(view: Callable) -> Callable:
    """Signed-in people only (401 JSON or a redirect to the login page). What they may do at an
    event is asked of conference.grants.checks inside the view."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper
