"""Sign up, sign in, sign out, and personal API tokens."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ..auth import login_required
from ..errors import ServiceError
from ..extensions import db
from . import services
from .forms import LoginForm, SignupForm
from .models import ApiToken

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Only same-site paths: `/login?next=https://elsewhere.example` must not leave the site."""
    if not target:
        return url_for("programme.events_list")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("programme.events_list")
    return target


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                organisation=form.organisation.data or "",
                country=form.country.data,
            )
        except ServiceError as exc:
            field = {"email_taken": form.email, "invalid_email": form.email, "invalid_country": form.country,
                     "weak_password": form.password}.get(exc.code, form.name)
            field.errors = list(field.errors) + [exc.message]
        else:
            login_user(user)
            flash(f"Welcome, {user.name}! Your account is ready.", "success")
            return redirect(safe_next(request.args.get("next")), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")), code=303)
        form.password.errors = list(form.password.errors) + ["Wrong e-mail or password."]
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Bumping the version ends this user's other browser sessions and live sockets too.
    current_user.session_version += 1
    db.session.commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("programme.events_list"), code=303)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    new_token = None
    if request.method == "POST":
        label = (request.form.get("label") or "").strip()
        if not label or len(label) > 100:
            flash("Give the token a name of 1 to 100 characters, such as “Gate 2 scanner”.", "error")
        else:
            new_token = services.create_api_token(db.session, current_user, label)
    rows = db.session.query(ApiToken).filter_by(user_id=current_user.id, revoked_at=None).order_by(ApiToken.id).all()
    return render_template("accounts/tokens.html", tokens=rows, new_token=new_token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    services.revoke_token(db.session, token_id, current_user)
    flash("Token revoked.", "info")
    return redirect(url_for("accounts.tokens"), code=303)
