"""The header's language switch: remembered in a cookie, and in the account of a signed-in person."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request
from flask_login import current_user

from ..accounts.views import safe_next
from ..errors import ServiceError
from ..extensions import db
from .locales import supported
from .selection import COOKIE, COOKIE_MAX_AGE

bp = Blueprint("i18n", __name__)


@bp.post("/language")
def choose_language():
    code = supported(request.form.get("language"))
    if not code or code != request.form.get("language", "").strip().lower():
        raise ServiceError("unknown_language", "language must be one of en, ar, zh, fr, ru, es", status=400)
    if current_user.is_authenticated:
        current_user.language = code
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")), code=303)
    response.set_cookie(
        COOKIE,
        code,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
    )
    return response
