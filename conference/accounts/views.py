"""Sign up, sign in, sign out, and personal API tokens."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..auth import json_error, login_required, wants_json
from ..db_types import utcnow
from ..errors import ServiceError
from ..extensions import db
from ..hooks import access_lost
from ..i18n.messages import page_message
from . import links, services, throttle
from .forms import ChangePasswordForm, EmailLinkForm, LinkSignInForm, LoginForm, SignupForm
from .models import SCOPE_LABELS, ApiToken, LinkPurpose

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Only same-site paths: `/login?next=https://elsewhere.example` must not leave the site."""
    if not target:
        return url_for("programme.events_list")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return url_for("programme.events_list")
    return target


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            # `or ""` only for the type checker: WTForms types .data as Optional, DataRequired checked it.
            user = services.create_user(
                db.session,
                email=form.email.data or "",
                name=form.name.data or "",
                password=form.password.data,
                organisation=form.organisation.data or "",
                country=form.country.data,
            )
        except ServiceError as exc:
            if exc.code == "email_taken":
                # The address has an account (maybe imported by organisers, without a password): mail it
                # a sign-in link and answer as for any address, so nobody learns or takes over accounts.
                if throttle.allow(
                    db.session, "link", email=form.email.data or "", client=request.remote_addr
                ):
                    links.send_link(
                        db.session, form.email.data or "", LinkPurpose.SIGNIN.value, reason="signup"
                    )
                else:
                    db.session.commit()
                return render_template(
                    "accounts/link_sent.html",
                    email=form.email.data,
                    purpose="signup",
                    lifetime=links.describe_lifetime(LinkPurpose.SIGNIN.value),
                )
            field = {
                "email_taken": form.email,
                "invalid_email": form.email,
                "invalid_country": form.country,
                "weak_password": form.password,
            }.get(exc.code, form.name)
            field.errors = [*list(field.errors), page_message(exc)]
        else:
            login_user(user)
            services.record_sign_in(db.session, user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next")), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        keys = throttle.login_keys(
            form.email.data or "", request.remote_addr, request.cookies.get(DEVICE_COOKIE)
        )
        try:
            throttle.check_login_attempt(db.session, keys)  # counted before the (costly) password check
        except throttle.TooManyAttempts as exc:
            return _too_many_sign_ins(form, exc)
        user = services.authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is not None:
            throttle.login_succeeded(db.session, keys)
            login_user(user, remember=form.remember.data)
            services.record_sign_in(db.session, user)
            response = redirect(safe_next(request.args.get("next")), code=303)
            if not keys.known_device:
                response.set_cookie(
                    DEVICE_COOKIE,
                    throttle.device_cookie_for(form.email.data or ""),
                    max_age=throttle.DEVICE_COOKIE_DAYS * 86400,
                    secure=current_app.config["SESSION_COOKIE_SECURE"],
                    httponly=True,
                    samesite="Lax",
                    path=url_for("accounts.login"),
                )
            return response
        throttle.login_failed(db.session, keys)
        form.password.errors = [*list(form.password.errors), "Wrong e-mail or password."]
    return render_template("accounts/login.html", form=form), status


DEVICE_COOKIE = throttle.DEVICE_COOKIE


def _too_many_sign_ins(form: LoginForm, exc: throttle.TooManyAttempts):
    """429 with Retry-After and the limit code: JSON for clients that ask for it, else the form."""
    retry_after = str(exc.details["retry_after"])
    if wants_json():
        response = json_error(429, exc.code, exc.message, **exc.details)
    else:
        form.password.errors = [*list(form.password.errors), page_message(exc)]
        response = make_response(render_template("accounts/login.html", form=form), 429)
    response.headers["Retry-After"] = retry_after
    return response


TOO_MANY = "Too many attempts for this address or from this network. Please wait a few minutes and try again."


def _link_request(purpose: str, template: str):
    """`/login/link` and `/forgot`: the same answer whether or not the address has an account."""
    form = EmailLinkForm()
    if form.validate_on_submit():
        if not throttle.allow(db.session, "link", email=form.email.data or "", client=request.remote_addr):
            db.session.commit()
            form.email.errors = [*list(form.email.errors), TOO_MANY]
            return render_template(template, form=form), 429
        links.send_link(db.session, form.email.data or "", purpose)
        return render_template(
            "accounts/link_sent.html",
            email=form.email.data,
            purpose=purpose,
            lifetime=links.describe_lifetime(purpose),
        )
    status = 400 if form.is_submitted() else 200
    return render_template(template, form=form), status


@bp.route("/login/link", methods=["GET", "POST"])
def login_link():
    return _link_request(LinkPurpose.SIGNIN.value, "accounts/login_link.html")


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    return _link_request(LinkPurpose.RESET.value, "accounts/forgot.html")


@bp.route("/signin/<token>", methods=["GET", "POST"])
def signin_link(token: str):
    """Opening the link shows a page; only its button spends the link (mail scanners fetch links)."""
    try:
        link = links.check_link(db.session, token)
    except links.LinkRefused as exc:
        return render_template("accounts/link_refused.html", code=exc.code), exc.status
    form = LinkSignInForm(password_required=link.purpose == LinkPurpose.RESET.value)
    if form.validate_on_submit():
        try:
            user = links.sign_in_with_link(db.session, token, form.password.data or None)
        except links.LinkRefused as exc:
            return render_template("accounts/link_refused.html", code=exc.code), exc.status
        except ServiceError as exc:
            form.password.errors = [*list(form.password.errors), page_message(exc)]
        else:
            login_user(user)
            if form.password.data:  # a new password ended the other sessions: close their sockets too
                access_lost.send("session", user_id=user.id, session_version=user.session_version)
                flash(_("Your password is set. You are signed in."), "success")
            else:
                flash(_("Welcome, %(name)s! You are signed in.", name=user.name), "success")
            return redirect(url_for("registrations.mine"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/signin_link.html", form=form, link=link, token=token), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.current.data, form.password.data or "")
        except ServiceError as exc:
            field = form.current if exc.code == "wrong_password" else form.password
            field.errors = [*list(field.errors), page_message(exc)]
        else:
            login_user(current_user._get_current_object())  # this session carries the new version
            access_lost.send("session", user_id=current_user.id, session_version=current_user.session_version)
            flash(_("Your password is changed. Your other sessions are signed out."), "success")
            return redirect(url_for("registrations.mine"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/password.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Bumping the version ends this user's other browser sessions and live sockets too.
    current_user.session_version += 1
    db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("programme.events_list"), code=303)


EXPIRY_CHOICES = {"": None, "7": 7, "30": 30, "90": 90, "365": 365}


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    new_token = None
    status = 200
    if request.method == "POST":
        label = (request.form.get("label") or "").strip()
        expiry = request.form.get("expires_in_days", "")
        if not label or len(label) > 100:
            flash(_("Give the token a name of 1 to 100 characters, such as “Gate 2 scanner”."), "error")
            status = 400
        elif expiry not in EXPIRY_CHOICES:
            flash(_("Choose when the token expires from the list."), "error")
            status = 400
        else:
            days = EXPIRY_CHOICES[expiry]
            try:
                new_token = services.create_api_token(
                    db.session,
                    current_user,
                    label,
                    scopes=request.form.getlist("scopes"),
                    expires_at=utcnow() + timedelta(days=days) if days else None,
                )
            except ServiceError as exc:
                flash(page_message(exc), "error")
                status = 400
    rows = (
        db.session.query(ApiToken)
        .filter_by(user_id=current_user.id, revoked_at=None)
        .order_by(ApiToken.id)
        .all()
    )
    response = make_response(
        render_template(
            "accounts/tokens.html",
            tokens=rows,
            new_token=new_token,
            scope_labels=SCOPE_LABELS,
            expiry_choices=EXPIRY_CHOICES,
            now=utcnow(),
        ),
        status,
    )
    # The page may show a new token: no cache (browser, proxy) may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    row = services.revoke_token(db.session, token_id, current_user)
    access_lost.send("token", token_hash=row.token_hash)  # its open sockets close, in every process
    flash(_("Token revoked. Its open connections are closed."), "info")
    return redirect(url_for("accounts.tokens"), code=303)
