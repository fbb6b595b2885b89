"""Certificate pages: the public check (`/certificates/verify`, `/certificates/<code>`), a participant's
own certificate (`/events/<slug>/certificate`), and the back-office section
(`/manage/events/<slug>/certificates`: the rule, who meets it, issue, revoke)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..auth import login_required
from ..errors import ServiceError
from ..extensions import db
from ..i18n.messages import page_message
from ..i18n.selection import current_language, written_in
from ..manage.access import event_to_manage
from ..offload import run_blocking
from ..programme.services import get_event
from . import pdf, services
from .models import Certificate

bp = Blueprint("certificates", __name__)
manage_bp = Blueprint("certificates_manage", __name__, url_prefix="/manage/events/<slug>")


def verify_url(code: str) -> str:
    """The public check's absolute URL (PUBLIC_BASE_URL when configured, else this host)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    path = url_for("certificates.check", code=services.printed(code))
    return (
        base.rstrip("/") + path
        if base
        else url_for("certificates.check", code=services.printed(code), _external=True)
    )


def _pdf_response(certificate: Certificate, *, holders_language: bool = False) -> Response:
    """The PDF in the page's language; for organisers, in the holder's (their account's language, else
    the event's default, else the page's)."""
    if holders_language:
        with written_in(certificate.user, certificate.event, fallback=current_language()):
            text = services.pdf_text(certificate, verify_url(certificate.code))
    else:
        text = services.pdf_text(certificate, verify_url(certificate.code))
    body = run_blocking(pdf.render, text)  # CPU work off the hub, plain values in
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="certificate-{certificate.event.slug}.pdf"'},
    )


# --- public check -----------------------------------------------------------------------------


def _verdict(code: str | None, status_if_invalid: int):
    certificate = services.verify(db.session, code) if code else None
    page = render_template(
        "certificates/verify.html",
        code=code or "",
        asked=code is not None,
        certificate=certificate,
        dates=services.event_dates(certificate.event) if certificate else None,
    )
    return page, (200 if certificate or code is None else status_if_invalid)


@bp.get("/certificates/verify")
def verify():
    code = request.args.get("code")
    return _verdict(code.strip() if code is not None else None, 404)


@bp.get("/certificates/<code>")
def check(code: str):
    return _verdict(code, 404)


# --- a participant's own ----------------------------------------------------------------------


@bp.get("/events/<slug>/certificate")
@login_required
def mine(slug: str):
    event = get_event(db.session, slug, viewer=current_user)
    certificate = services.certificate_of(db.session, event, current_user)
    return render_template(
        "certificates/mine.html",
        event=event,
        certificate=certificate,
        rule=services.rule_of(db.session, event),
        eligible=certificate is not None or services.is_eligible(db.session, event, current_user),
        printed=services.printed,
    )


@bp.get("/events/<slug>/certificate.pdf")
@login_required
def mine_pdf(slug: str):
    event = get_event(db.session, slug, viewer=current_user)
    certificate = services.issue(db.session, event, current_user)
    return _pdf_response(certificate)


# --- back-office ------------------------------------------------------------------------------


def _manage_page(event, *, error: str | None = None, status: int = 200):
    return render_template(
        "certificates/manage.html",
        event=event,
        rule=services.rule_of(db.session, event),
        sessions=services.counted_sessions(db.session, event),
        standings=services.standings(db.session, current_user, event),
        printed=services.printed,
        error=error,
    ), status


@manage_bp.get("/certificates")
@login_required
def manage(slug: str):
    return _manage_page(event_to_manage(slug))


@manage_bp.post("/certificates/rule")
@login_required
def set_rule(slug: str):
    event = event_to_manage(slug)
    kind = request.form.get("kind", "")
    raw = (request.form.get("min_percent") or "").strip()
    try:
        percent = int(raw) if raw.isdigit() else None
        services.set_rule(db.session, current_user, event, kind, percent, request.form.getlist("session_ids"))
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        return _manage_page(event, error=page_message(exc), status=exc.status)
    flash(_("The rule is saved."), "success")
    return redirect(url_for(".manage", slug=event.slug), 303)


@manage_bp.post("/certificates/issue")
@login_required
def issue_all(slug: str):
    event = event_to_manage(slug)
    count = services.issue_all(db.session, current_user, event)
    flash(ngettext("%(num)s new certificate issued.", "%(num)s new certificates issued.", count), "success")
    return redirect(url_for(".manage", slug=event.slug), 303)


@manage_bp.post("/certificates/<int:certificate_id>/revoke")
@login_required
def revoke(slug: str, certificate_id: int):
    event = event_to_manage(slug)
    services.revoke(db.session, current_user, event, certificate_id)
    flash(_("The certificate is revoked: its code now shows “not valid”."), "success")
    return redirect(url_for(".manage", slug=event.slug), 303)


@manage_bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_pdf(slug: str, certificate_id: int):
    event = event_to_manage(slug)
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.event_id != event.id:
        raise ServiceError(
            "certificate_not_found", f"no certificate {certificate_id} in this event", status=404
        )
    return _pdf_response(certificate, holders_language=True)
