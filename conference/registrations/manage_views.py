"""The back-office of an event's registrations: its form fields and its people (`/manage/events/<slug>/...`).

Everyone who runs the event (any grant) sees the participants and exports them; only its organisers
change anything. Views validate with the pydantic models of schemas.py, call the services and render.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from pydantic import ValidationError

from ..auth import login_required
from ..errors import NotFound, ServiceError
from ..extensions import db
from ..grants import checks
from ..i18n.messages import page_field_errors, page_message
from ..manage.access import event_to_manage
from ..programme.services import get_event
from ..wire import field_problems
from . import fields as form_fields_service
from . import imports, mailings, people, services
from .models import FIELD_KINDS, MODE_LABELS, Registration
from .schemas import (
    INVITATION_LABELS,
    FieldDefinition,
    ImportConfirm,
    ModeChange,
    ParticipantIn,
    form_payload,
)

bp = Blueprint("registrations_manage", __name__, url_prefix="/manage/events/<slug>")


KIND_LABELS = {
    "text": "Short text",
    "textarea": "Long text",
    "choice": "One choice",
    "multi": "Several choices",
    "checkbox": "Yes / no box",
    "consent": "Consent to the privacy notice",
}
MAX_CSV_BYTES = 5 * 1024 * 1024


def _registration_of(event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound("registration_not_found", "this event has no such registration")
    return registration


# --- the registration form --------------------------------------------------------------------------


def _render_fields(event, *, values=None, errors=None, status=200, editing=None):
    return render_template(
        "registrations/manage_fields.html",
        event=event,
        fields=form_fields_service.fields_of(db.session, event),
        presets=form_fields_service.PRESETS,
        kinds=FIELD_KINDS,
        kind_labels=KIND_LABELS,
        values=values or {},
        errors=errors or {},
        editing=editing,
    ), status


def _definition_from_form():
    return FieldDefinition.model_validate(form_payload(request.form, booleans=("required",)))


@bp.route("/registration-form", methods=["GET", "POST"])
@login_required
def form_fields(slug: str):
    event = event_to_manage(slug)
    if request.method == "GET":
        return _render_fields(event)
    values = request.form.to_dict()
    try:
        field = form_fields_service.add_field(db.session, event, _definition_from_form())
    except ValidationError as exc:
        return _render_fields(event, values=values, errors=field_problems(exc), status=400)
    except ServiceError as exc:
        return _render_fields(event, values=values, errors=page_field_errors(exc), status=400)
    flash(_("Added “%(label)s”.", label=field.label), "success")
    return redirect(url_for(".form_fields", slug=slug), code=303)


@bp.post("/registration-form/presets")
@login_required
def add_preset(slug: str):
    event = event_to_manage(slug)
    try:
        field = form_fields_service.add_preset(db.session, event, request.form.get("preset", ""))
    except ServiceError as exc:
        return _render_fields(event, errors={"": [page_message(exc)]}, status=exc.status)
    flash(_("Added “%(label)s”.", label=field.label), "success")
    return redirect(url_for(".form_fields", slug=slug), code=303)


@bp.route("/registration-form/<int:field_id>", methods=["GET", "POST"])
@login_required
def edit_field(slug: str, field_id: int):
    event = event_to_manage(slug)
    field = form_fields_service.get_field(db.session, event, field_id)
    if request.method == "GET":
        values = {
            "label": field.label,
            "key": field.key,
            "kind": field.kind,
            "choices": "\n".join(field.choices),
            "required": field.required,
            "help_text": field.help_text,
            "notice": field.notice,
        }
        return _render_fields(event, values=values, editing=field)
    values = {**request.form.to_dict(), "required": "required" in request.form}
    try:
        form_fields_service.update_field(db.session, field, _definition_from_form())
    except ValidationError as exc:
        return _render_fields(event, values=values, errors=field_problems(exc), status=400, editing=field)
    except ServiceError as exc:
        return _render_fields(
            event,
            values=values,
            errors=page_field_errors(exc),
            status=400,
            editing=field,
        )
    flash(_("Saved “%(label)s”.", label=field.label), "success")
    return redirect(url_for(".form_fields", slug=slug), code=303)


@bp.post("/registration-form/<int:field_id>/move")
@login_required
def move_field(slug: str, field_id: int):
    event = event_to_manage(slug)
    field = form_fields_service.get_field(db.session, event, field_id)
    form_fields_service.move_field(db.session, field, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for(".form_fields", slug=slug), code=303)


@bp.post("/registration-form/<int:field_id>/remove")
@login_required
def remove_field(slug: str, field_id: int):
    event = event_to_manage(slug)
    field = form_fields_service.get_field(db.session, event, field_id)
    label = field.label
    form_fields_service.remove_field(db.session, field)
    flash(_("Removed “%(label)s”. The answers already given stay in the export.", label=label), "info")
    return redirect(url_for(".form_fields", slug=slug), code=303)


# --- people -----------------------------------------------------------------------------------------


def _render_people(
    event, *, add_values=None, add_errors=None, add_answers=None, add_answer_errors=None, status=200
):
    query = people.PeopleQuery.from_args(request.args)
    fields = form_fields_service.fields_of(db.session, event)
    return render_template(
        "registrations/manage_participants.html",
        event=event,
        query=query,
        page=people.search_people(db.session, event, query),
        counts=people.status_counts(db.session, event),
        statuses=people.STATUSES,
        answer_filters=_answer_filters(fields),
        fields=fields,
        answer_text=form_fields_service.answer_text,
        mode_labels=MODE_LABELS,
        may_change=checks.can_manage(db.session, current_user, event),
        add_values=add_values or {},
        add_errors=add_errors or {},
        invitation_labels=INVITATION_LABELS,
        add_answers=add_answers or {},
        add_answer_errors=add_answer_errors or {},
    ), status


def _answer_filters(fields) -> list[tuple[str, str]]:
    """The custom-field filter's options: ("gender=Woman", "Gender: Woman"), ..."""
    options: list[tuple[str, str]] = []
    for field in form_fields_service.choice_fields(fields):
        values = field.choices if field.has_choices else ["yes", "no"]
        options.extend((f"{field.key}={value}", f"{field.label}: {value}") for value in values)
    return options


@bp.get("/participants")
@login_required
def participants(slug: str):
    event = get_event(db.session, slug)
    checks.ensure_can_see_people(db.session, current_user, event)
    return _render_people(event)


@bp.get("/participants.csv")
@login_required
def export(slug: str):
    event = get_event(db.session, slug)
    checks.ensure_can_see_people(db.session, current_user, event)
    return Response(
        people.export_csv(db.session, event),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{event.slug}-participants.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.post("/participants/add")
@login_required
def add_participant(slug: str):
    event = event_to_manage(slug)
    values = request.form.to_dict()
    fields = form_fields_service.fields_of(db.session, event)
    raw = form_fields_service.raw_answers(request.form, fields)
    errors, answer_errors, answers = {}, {}, {}
    try:
        person = ParticipantIn.model_validate(form_payload(request.form))
    except ValidationError as exc:
        errors = field_problems(exc)
    try:  # organisers may leave questions unanswered; what they do answer must fit the question
        answers = form_fields_service.clean_answers(fields, raw, enforce_required=False)
    except form_fields_service.InvalidAnswers as exc:
        answer_errors = exc.problems
    if errors or answer_errors:
        return _render_people(
            event,
            add_values=values,
            add_errors=errors,
            add_answers=raw,
            add_answer_errors=answer_errors,
            status=400,
        )
    try:
        registration, created = people.add_participant(db.session, event, person, answers)
    except ServiceError as exc:
        field = "email" if exc.code in ("already_registered", "email_taken") else "mode"
        return _render_people(
            event,
            add_values=values,
            add_errors={field: [page_message(exc)]},
            add_answers=raw,
            status=exc.status,
        )
    account = "a new account" if created else "an existing account"
    flash(
        _(
            "Added %(name)s (%(account)s), %(status)s.",
            name=person.name,
            account=account,
            status=registration.status,
        ),
        "success",
    )
    return redirect(url_for(".participants", slug=slug), code=303)


def _change(slug: str, registration_id: int, action):
    event = event_to_manage(slug)
    registration = _registration_of(event, registration_id)
    try:
        action(registration)
    except ServiceError as exc:
        flash(_("%(name)s: %(exc)s", name=registration.user.name, exc=page_message(exc)), "error")
    else:
        flash(
            _(
                "%(name)s: %(status)s, %(mode_label)s.",
                name=registration.user.name,
                status=registration.status,
                mode_label=registration.mode_label.lower(),
            ),
            "success",
        )
    return redirect(_back_to_list(slug), code=303)


def _back_to_list(slug: str) -> str:
    """The list page the action came from (its filters and page), never a URL elsewhere."""
    home = url_for(".participants", slug=slug)
    back = request.form.get("back", "")
    return back if back == home or back.startswith(home + "?") else home


def _mode_change(registration):
    try:
        mode = ModeChange.model_validate(form_payload(request.form)).mode
    except ValidationError:
        raise ServiceError("invalid_mode", "mode must be in_person or online") from None
    services.change_mode(db.session, registration, mode, by_organiser=True)


@bp.post("/participants/<int:registration_id>/invite")
@login_required
def invite(slug: str, registration_id: int):
    """(Re)send one participant's invitation: a new 7-day sign-in link (earlier links keep working)."""
    event = event_to_manage(slug)
    registration = _registration_of(event, registration_id)
    try:
        mailings.invite(db.session, registration)
    except ServiceError as exc:
        db.session.rollback()
        flash(_("%(name)s: %(exc)s", name=registration.user.name, exc=page_message(exc)), "error")
    else:
        flash(_("Invitation sent to %(email)s.", email=registration.user.email), "success")
    return redirect(_back_to_list(slug), code=303)


@bp.post("/participants/invite-not-signed-in")
@login_required
def invite_not_signed_in(slug: str):
    """Invite every confirmed participant who has never signed in, in one go."""
    event = event_to_manage(slug)
    count = mailings.invite_pending(db.session, event, only_not_signed_in=True)
    flash(
        ngettext(
            "%(num)s invitation sent to a participant who has not signed in yet.",
            "%(num)s invitations sent to participants who have not signed in yet.",
            count,
        ),
        "success",
    )
    return redirect(_back_to_list(slug), code=303)


@bp.post("/participants/<int:registration_id>/mode")
@login_required
def change_mode(slug: str, registration_id: int):
    return _change(slug, registration_id, _mode_change)


@bp.post("/participants/<int:registration_id>/approve")
@login_required
def approve(slug: str, registration_id: int):
    return _change(slug, registration_id, lambda r: services.approve(db.session, r))


@bp.post("/participants/<int:registration_id>/decline")
@login_required
def decline(slug: str, registration_id: int):
    return _change(slug, registration_id, lambda r: services.decline(db.session, r))


@bp.post("/participants/<int:registration_id>/cancel")
@login_required
def cancel(slug: str, registration_id: int):
    return _change(slug, registration_id, lambda r: services.cancel_registration(db.session, r))


# --- the CSV upload: preview, then confirm ------------------------------------------------------------


def _render_upload(event, *, plan=None, csv_text="", error=None, status=200):
    return render_template(
        "registrations/manage_upload.html",
        event=event,
        plan=plan,
        csv_text=csv_text,
        error=error,
        invitation_labels=INVITATION_LABELS,
        columns=imports.IMPORT_COLUMNS,
        fields=form_fields_service.fields_of(db.session, event),
    ), status


def _uploaded_text() -> str:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ServiceError("no_file", "choose a CSV file to upload")
    raw = upload.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise ServiceError(
            "file_too_large",
            f"the file is over {MAX_CSV_BYTES // (1024 * 1024)} MB",
            limit_bytes=MAX_CSV_BYTES,
        )
    if b"\0" in raw:
        raise ServiceError("not_csv", "this is not a CSV text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ServiceError(
            "not_utf8",
            f"the file is not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "save it as “CSV UTF-8” and upload it again",
        ) from None


@bp.route("/participants/upload", methods=["GET", "POST"])
@login_required
def upload(slug: str):
    """Step 1: choose a file. Step 2 (POST with a file): the preview, nothing written."""
    event = event_to_manage(slug)
    if request.method == "GET":
        return _render_upload(event)
    try:
        text = _uploaded_text()
    except ServiceError as exc:
        return _render_upload(event, error=page_message(exc), status=400)
    plan = imports.plan_import(db.session, event, text)
    db.session.rollback()  # the plan only read
    return _render_upload(event, plan=plan, csv_text=text, status=200 if plan.ok else 400)


@bp.post("/participants/upload/confirm")
@login_required
def confirm_upload(slug: str):
    """Step 3: apply the file previewed, if it still does what the preview said."""
    event = event_to_manage(slug)
    try:
        confirm = ImportConfirm.model_validate(form_payload(request.form))
    except ValidationError:
        return _render_upload(event, error="The upload was incomplete; choose the file again.", status=400)
    try:
        result = imports.apply_import(
            db.session,
            event,
            confirm.csv_text,
            expected_digest=confirm.preview_digest,
            invite=confirm.invitations == "now",
        )
    except ServiceError as exc:
        plan = imports.plan_import(db.session, event, confirm.csv_text)
        db.session.rollback()
        return _render_upload(
            event,
            plan=plan,
            csv_text=confirm.csv_text,
            error=page_message(exc),
            status=409 if exc.code == "plan_changed" else 400,
        )
    flash(
        f"Imported {result.rows} rows: {result.users_created} new accounts, {result.registrations_created} new "
        f"registrations, {result.changed} changed, {result.waitlisted} on the waiting list.",
        "success",
    )
    return redirect(url_for(".participants", slug=slug), code=303)
