"""Feedback pages: the survey of one session (page and JSON for the live page), and the organisers'
results (`/manage/events/<slug>/feedback`: chart, averages, comments, questions, CSV)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from ..auth import login_required
from ..errors import NotFound, ServiceError
from ..extensions import db
from ..i18n.messages import page_message
from ..manage.access import current_account, event_to_manage
from ..payloads import json_body, parse
from ..programme.models import ProgrammeSession
from ..programme.services import get_event, get_session
from . import services
from .charts import averages_chart
from .models import COMMENT_MAX

bp = Blueprint("feedback", __name__)
manage_bp = Blueprint("feedback_manage", __name__, url_prefix="/manage/events/<slug>")

SESSION_URL = "/events/<slug>/sessions/<int:session_id>/feedback"
# The signed-in person's own survey of a session, for the live page (not an organisers' API of the event).
API_URL = "/api/v1/me/feedback/<int:session_id>"


class FeedbackIn(BaseModel):
    ratings: dict[str, int]
    comment: str = Field(default="", max_length=COMMENT_MAX)


def _load(slug: str, session_id: int, user):
    event = get_event(db.session, slug, viewer=user)
    return event, get_session(db.session, event, session_id)


def _state_json(event, session, state) -> dict:
    return {
        "session_id": session.id,
        "status": state.status,
        "questions": [{"id": q.id, "label": q.label} for q in state.questions],
        "comment_max": COMMENT_MAX,
        "url": url_for("feedback.survey", slug=event.slug, session_id=session.id),
    }


@bp.route(SESSION_URL, methods=["GET", "POST"])
@login_required
def survey(slug: str, session_id: int):
    event, session = _load(slug, session_id, current_user)
    error, status = None, 200
    if request.method == "POST":
        ratings = {key.removeprefix("q"): value for key, value in request.form.items() if key.startswith("q")}
        try:
            services.submit(db.session, current_user, session, ratings, request.form.get("comment", ""))
            flash(_("Thank you: your feedback is saved."), "success")
            return redirect(url_for(".survey", slug=event.slug, session_id=session.id), 303)
        except ServiceError as exc:
            db.session.rollback()
            error, status = page_message(exc), exc.status
    state = services.survey_state(db.session, current_user, session)
    return render_template(
        "feedback/survey.html",
        event=event,
        session=session,
        state=state,
        error=error,
        comment_max=COMMENT_MAX,
    ), status


def _load_by_id(session_id: int, user):
    session = db.session.get(ProgrammeSession, session_id)
    if session is None:
        raise NotFound("session_not_found", f"there is no session {session_id}")
    event = get_event(db.session, session.event.slug, viewer=user)  # a draft's sessions stay hidden
    return event, session


@bp.get(API_URL)
def survey_json(session_id: int):
    user = current_account()
    event, session = _load_by_id(session_id, user)
    return jsonify(_state_json(event, session, services.survey_state(db.session, user, session)))


@bp.post(API_URL)
def submit_json(session_id: int):
    user = current_account()
    event, session = _load_by_id(session_id, user)
    data = parse(FeedbackIn, json_body())
    services.submit(db.session, user, session, data.ratings, data.comment)
    return jsonify(_state_json(event, session, services.survey_state(db.session, user, session))), 201


@manage_bp.get("/feedback")
@login_required
def results(slug: str):
    return _results_page(event_to_manage(slug))


def _results_page(event, *, error: str | None = None, typed: str | None = None, status: int = 200):
    found = services.results(db.session, current_user, event)
    rows = []
    for r in found:
        averages = [q.average for q in r.questions if q.average is not None]
        rows.append(
            (r.session.title, round(sum(averages) / len(averages), 2) if averages else None, r.responses)
        )
    return render_template(
        "feedback/results.html",
        event=event,
        results=found,
        chart=averages_chart(_("Average rating per session"), rows),
        questions=services.questions(db.session, event),
        error=error,
        typed=typed,
    ), status


@manage_bp.post("/feedback/questions")
@login_required
def set_questions(slug: str):
    event = event_to_manage(slug)
    labels = request.form.get("questions", "").splitlines()
    try:
        services.set_questions(db.session, current_user, event, labels)
        flash(_("The survey's questions are saved."), "success")
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        return _results_page(
            event, error=page_message(exc), typed=request.form.get("questions", ""), status=exc.status
        )
    return redirect(url_for(".results", slug=event.slug), 303)


@manage_bp.get("/feedback.csv")
@login_required
def results_csv(slug: str):
    event = event_to_manage(slug)
    body = services.results_csv(db.session, current_user, event)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}-feedback.csv"'},
    )
