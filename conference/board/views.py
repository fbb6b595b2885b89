"""The board's pages: `/events/<slug>/board` (read, ask, reply, answer, vote), `/me/questions`, and the
back-office section `/manage/events/<slug>/board` (the open period)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field, ValidationError

from ..auth import login_required
from ..errors import ServiceError
from ..extensions import db
from ..i18n.messages import page_message
from ..manage.access import event_to_manage
from ..payloads import form_data, parse
from ..programme.editing import local_input, to_utc
from ..programme.services import get_event
from . import services
from .models import QUESTION_MAX, REPLY_MAX

bp = Blueprint("board", __name__)
manage_bp = Blueprint("board_manage", __name__, url_prefix="/manage/events/<slug>")


class AskForm(BaseModel):
    text: str = Field(min_length=1, max_length=QUESTION_MAX)
    anonymous: bool = False


class ReplyForm(BaseModel):
    text: str = Field(min_length=1, max_length=REPLY_MAX)


class PeriodForm(BaseModel):
    closes_at: datetime


def _page(event, *, error: str | None = None, status: int = 200, typed: dict | None = None):
    sort = request.args.get("sort", "votes")
    return render_template(
        "board/board.html",
        event=event,
        questions=services.board(db.session, current_user, event, sort=sort),
        sort=sort,
        open=services.is_open(db.session, event),
        closes_at=services.closes_at(db.session, event),
        may_answer=lambda q: services.may_answer(db.session, current_user, event, q.session_id),
        error=error,
        typed=typed or {},
        question_max=QUESTION_MAX,
        reply_max=REPLY_MAX,
    ), status


def _back(event):
    return redirect(url_for("board.board", slug=event.slug, sort=request.args.get("sort", "votes")), 303)


def _refused(event, exc: ServiceError | ValidationError, typed: dict):
    db.session.rollback()
    if isinstance(exc, ValidationError):
        return _page(
            event, error=_("Write some text first (at most the length shown)."), status=400, typed=typed
        )
    if exc.status in (401, 403, 404):
        raise exc
    return _page(event, error=page_message(exc), status=exc.status if exc.status < 500 else 400, typed=typed)


@bp.get("/events/<slug>/board")
@login_required
def board(slug: str):
    event = get_event(db.session, slug, viewer=current_user)
    return _page(event)


@bp.post("/events/<slug>/board/questions")
@login_required
def ask(slug: str):
    event = get_event(db.session, slug, viewer=current_user)
    typed = {"ask": request.form.get("text", "")}
    try:
        form = AskForm.model_validate(form_data(checkboxes=("anonymous",)))
        services.ask(db.session, current_user, event, form.text, form.anonymous)
    except (ServiceError, ValidationError) as exc:
        return _refused(event, exc, typed)
    flash(_("Your question is on the board."), "success")
    return _back(event)


@bp.post("/events/<slug>/board/questions/<int:question_id>/replies")
@login_required
def reply(slug: str, question_id: int):
    event = get_event(db.session, slug, viewer=current_user)
    typed = {question_id: request.form.get("text", "")}
    try:
        form = ReplyForm.model_validate(form_data())
        if request.form.get("as_answer") == "1":
            services.answer(db.session, current_user, event, question_id, form.text)
        else:
            services.reply(db.session, current_user, event, question_id, form.text)
    except (ServiceError, ValidationError) as exc:
        return _refused(event, exc, typed)
    return _back(event)


@bp.post("/events/<slug>/board/questions/<int:question_id>/vote")
@login_required
def vote(slug: str, question_id: int):
    event = get_event(db.session, slug, viewer=current_user)
    try:
        if request.form.get("undo") == "1":
            services.unvote(db.session, current_user, event, question_id)
        else:
            services.vote(db.session, current_user, event, question_id)
    except ServiceError as exc:
        return _refused(event, exc, {})
    return _back(event)


@bp.get("/me/questions")
@login_required
def my_questions():
    return render_template("board/mine.html", questions=services.my_questions(db.session, current_user))


@manage_bp.route("/board", methods=["GET", "POST"])
@login_required
def settings(slug: str):
    event = event_to_manage(slug)
    error, status = None, 200
    if request.method == "POST":
        try:
            form = parse(PeriodForm, form_data())
            services.set_closes_at(db.session, current_user, event, to_utc(form.closes_at, event.tz))
            flash(_("The board's open period is saved."), "success")
            return redirect(url_for(".settings", slug=event.slug), 303)
        except ServiceError as exc:
            db.session.rollback()
            error, status = _("Give the date and time the board closes."), exc.status
    closes = services.closes_at(db.session, event)
    return render_template(
        "board/manage.html",
        event=event,
        closes_at=closes,
        closes_input=local_input(closes, event.tz),
        open=services.is_open(db.session, event),
        count=len(services.board(db.session, current_user, event)),
        error=error,
    ), status
