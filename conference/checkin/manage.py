"""The organisers' doors: /manage/events/<slug>/doors (check-in lists and check-in staff), and the
same operations in the JSON API (/api/v1/events/<slug>/checkin-lists, /api/v1/checkin-lists/<id>).
Only the event's organisers (and platform admins) may use them."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import login_required
from ..errors import ServiceError
from ..extensions import db
from ..grants import checks
from ..i18n.messages import page_field_errors, page_message
from ..manage.access import current_account, event_to_manage
from ..payloads import form_data, json_body, parse
from ..programme.services import event_sessions
from . import doors
from .lists import ensure_default_lists, get_list, lists_of
from .schemas import CheckinListIn, StaffIn

bp = Blueprint("checkin_manage", __name__, url_prefix="/manage/events/<slug>/doors")
api_bp = Blueprint("checkin_manage_api", __name__, url_prefix="/api/v1")

LIST_CHECKBOXES = ("allow_reentry", "admits_online", "admits_after_end")


def _page(
    event, *, status: int = 200, errors: dict | None = None, values: dict | None = None, form_id: str = ""
):
    """The doors page; `form_id` says which form (`new`, `list-<id>`, `staff`) the errors belong to."""
    lists = lists_of(db.session, event.id)
    return render_template(
        "checkin/doors.html",
        event=event,
        lists=lists,
        usage=doors.usage(db.session, event),
        sessions=event_sessions(db.session, event),
        staff=doors.staff_of(db.session, event),
        errors=errors or {},
        values=values or {},
        form_id=form_id,
        days=_event_days(event),
    ), status


def _event_days(event) -> list:
    from datetime import timedelta

    first, last = event.starts_at.astimezone(event.tz).date(), event.ends_at.astimezone(event.tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _list_form() -> dict:
    return form_data(checkboxes=LIST_CHECKBOXES)


@bp.get("", endpoint="doors")  # the endpoint named in manage/sections.py
@login_required
def doors_page(slug: str):
    return _page(event_to_manage(slug))


@bp.post("/lists")
@login_required
def create(slug: str):
    event = event_to_manage(slug)
    values = _list_form()
    try:
        checkin_list = doors.create_list(db.session, event, parse(CheckinListIn, values, form=True))
    except ServiceError as exc:
        db.session.rollback()
        return _page(
            event,
            status=400 if exc.status < 404 else exc.status,
            errors=page_field_errors(exc),
            values=values,
            form_id="new",
        )
    flash(_("The list “%(name)s” was created.", name=checkin_list.name), "success")
    return redirect(url_for("checkin_manage.doors", slug=event.slug), 303)


@bp.post("/lists/<int:list_id>")
@login_required
def edit(slug: str, list_id: int):
    event = event_to_manage(slug)
    checkin_list = doors.event_list(db.session, event, list_id)
    values = _list_form()
    try:
        doors.update_list(db.session, event, checkin_list, parse(CheckinListIn, values, form=True))
    except ServiceError as exc:
        db.session.rollback()
        return _page(
            event,
            status=400 if exc.status < 404 else exc.status,
            errors=page_field_errors(exc),
            values=values,
            form_id=f"list-{list_id}",
        )
    flash(_("The list “%(name)s” was saved.", name=checkin_list.name), "success")
    return redirect(url_for("checkin_manage.doors", slug=event.slug), 303)


@bp.post("/lists/<int:list_id>/delete")
@login_required
def remove(slug: str, list_id: int):
    event = event_to_manage(slug)
    checkin_list = doors.event_list(db.session, event, list_id)
    name = checkin_list.name
    try:
        doors.delete_list(db.session, event, checkin_list)
    except ServiceError as exc:
        return _page(event, status=exc.status, errors={"": [page_message(exc)]}, form_id=f"list-{list_id}")
    flash(_("The list “%(name)s” was removed.", name=name), "success")
    return redirect(url_for("checkin_manage.doors", slug=event.slug), 303)


@bp.post("/defaults")
@login_required
def defaults(slug: str):
    event = event_to_manage(slug)
    before = len(lists_of(db.session, event.id))
    after = len(ensure_default_lists(db.session, event))
    flash(
        f"{after - before} default lists created." if after > before else "The default lists already exist.",
        "success",
    )
    return redirect(url_for("checkin_manage.doors", slug=event.slug), 303)


@bp.post("/staff")
@login_required
def add_staff(slug: str):
    event = event_to_manage(slug)
    values = form_data()
    try:
        data = parse(StaffIn, values, form=True)
        row = doors.add_staff(db.session, event, data.email, current_user._get_current_object())
    except ServiceError as exc:
        db.session.rollback()
        return _page(
            event,
            status=400 if exc.status < 404 else exc.status,
            errors=page_field_errors(exc),
            values=values,
            form_id="staff",
        )
    flash(_("%(name)s is now check-in staff of this event.", name=row.user.name), "success")
    return redirect(url_for("checkin_manage.doors", slug=event.slug), 303)


@bp.post("/staff/<int:grant_id>/delete")
@login_required
def remove_staff(slug: str, grant_id: int):
    event = event_to_manage(slug)
    doors.remove_staff(db.session, event, grant_id)
    flash(_("Check-in staff removed."), "success")
    return redirect(url_for("checkin_manage.doors", slug=event.slug), 303)


# --- JSON API ---------------------------------------------------------------------------------------


def _api_list(list_id: int):
    user = current_account()
    checkin_list = get_list(db.session, list_id)
    event = checkin_list.event
    checks.ensure_can_manage(db.session, user, event)
    return event, checkin_list


@api_bp.get("/events/<slug>/checkin-lists")
def api_lists(slug: str):
    current_account()
    event = event_to_manage(slug)
    numbers = doors.usage(db.session, event)
    return jsonify(
        {"lists": [doors.list_json(c, event, numbers[c.id]) for c in lists_of(db.session, event.id)]}
    )


@api_bp.post("/events/<slug>/checkin-lists")
def api_create(slug: str):
    current_account()
    event = event_to_manage(slug)
    checkin_list = doors.create_list(db.session, event, parse(CheckinListIn, json_body()))
    return jsonify(doors.list_json(checkin_list, event)), 201


# One rule for both methods: with two, werkzeug answers an id past MAX_DB_ID with 405, not 404.
@api_bp.route("/checkin-lists/<int:list_id>", methods=["PATCH", "DELETE"])
def api_one(list_id: int):
    """PATCH changes a list (fields left out keep their values; the result must still be a valid
    list); DELETE removes a list that holds no records."""
    event, checkin_list = _api_list(list_id)
    if request.method == "DELETE":
        doors.delete_list(db.session, event, checkin_list)
        return "", 204
    current = doors.list_json(checkin_list, event)
    merged = {name: current[name] for name in CheckinListIn.model_fields if name != "auto_checkout_at"}
    merged["auto_checkout_at"] = current["auto_checkout_at"]
    merged.update(json_body())
    doors.update_list(db.session, event, checkin_list, parse(CheckinListIn, merged))
    return jsonify(doors.list_json(checkin_list, event))
