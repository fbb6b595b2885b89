"""The e-mails participants receive about a registration: invitations sent by organisers, and the
confirmation or cancellation notice sent when a registration changes.

Each message is queued in the outbox in the same transaction as its cause (see conference.mail).
Invitations carry a 7-day sign-in link that lets the person set a password; in-person participants
get their QR badge attached; confirmations carry an .ics file of the event. Each is written in its
recipient's language, the event named by its organisers' translation into it where one exists.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.links import describe_lifetime, issue_link, link_url
from ..accounts.models import LinkPurpose, User
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import ServiceError
from ..hooks import registration_changed
from ..i18n.content import localized
from ..i18n.formatting import local_time
from ..mail.services import Attachment, absolute_url, enqueue_template, written_in
from ..programme.models import Event
from ..schedule.calendar import event_calendar
from .models import Mode, Registration, Status


def event_dates(event: Event) -> str:
    """The event's dates in its own time zone, as people there read them, in the language in force."""
    tz = event.tz
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)

    def day(moment) -> str:
        return local_time(moment, tz, "%A %-d %B %Y")

    if start.date() == end.date():
        return _(
            "%(day)s, %(start)s–%(end)s", day=day(start), start=local_time(start, tz), end=local_time(end, tz)
        )
    return _(
        "%(start)s to %(end)s",
        start=_("%(day)s, %(time)s", day=day(start), time=local_time(start, tz)),
        end=_("%(day)s, %(time)s", day=day(end), time=local_time(end, tz)),
    )


def _badge_attachment(db: DbSession, registration: Registration) -> Attachment:
    from ..checkin.badges import badge_png, badge_token, ensure_signing_key

    ensure_signing_key(db, registration.event_id)
    return Attachment("badge.png", "image/png", badge_png(badge_token(db, registration)))


def _common(registration: Registration, language: str) -> dict:
    """What every registration mail names; `title` is the event's title in the recipient's `language`
    (the organisers' translation, else the original)."""
    event = registration.event
    return {
        "user": registration.user,
        "event": event,
        "title": localized(event, "title", language),
        "when": event_dates(event),
        "mode_label": _("In person") if registration.mode == Mode.IN_PERSON.value else _("Online"),
        "in_person": registration.mode == Mode.IN_PERSON.value,
    }


# --- invitations --------------------------------------------------------------------------------------


def queue_invitation(db: DbSession, registration: Registration) -> None:
    """Queue one invitation and stamp `invited_at`, in the caller's transaction (no commit)."""
    if not registration.is_confirmed:
        raise ServiceError("not_confirmed", "only confirmed participants can be invited", status=409)
    user, event = registration.user, registration.event
    attachments = [_badge_attachment(db, registration)] if registration.mode == Mode.IN_PERSON.value else []
    token = issue_link(db, user, LinkPurpose.INVITATION.value)
    with written_in(user, event) as language:
        enqueue_template(
            db,
            to=user.email,
            subject=_("Your invitation: %(title)s", title=localized(event, "title", language)),
            template="invitation",
            kind="invitation",
            attachments=attachments,
            url=link_url(token),
            lifetime=describe_lifetime(LinkPurpose.INVITATION.value),
            event_url=absolute_url("programme.event_overview", slug=event.slug),
            **_common(registration, language),
        )
    registration.invited_at = utcnow()


def invite(db: DbSession, registration: Registration) -> Registration:
    """E-mail (again) one participant their invitation: the event, a 7-day sign-in link, the badge."""
    queue_invitation(db, registration)
    db.commit()
    return registration


def pending_invitations(
    db: DbSession, event: Event, *, only_not_signed_in: bool = True, email: str | None = None
) -> list[Registration]:
    query = (
        select(Registration)
        .join(User, Registration.user_id == User.id)
        .where(Registration.event_id == event.id, Registration.status == Status.CONFIRMED.value)
        .order_by(Registration.id)
    )
    if only_not_signed_in:
        query = query.where(User.last_login_at.is_(None))
    if email:
        query = query.where(User.email == email.strip().lower())
    return list(db.scalars(query))


def invite_pending(
    db: DbSession, event: Event, only_not_signed_in: bool = True, *, email: str | None = None
) -> int:
    """Invite every confirmed participant (by default only those who never signed in) in one
    transaction; returns how many were invited."""
    registrations = pending_invitations(db, event, only_not_signed_in=only_not_signed_in, email=email)
    for registration in registrations:
        queue_invitation(db, registration)
    db.commit()
    return len(registrations)


def invite_registrations(db: DbSession, registration_ids: list[int]) -> int:
    """Queue invitations for these registrations in the caller's transaction (the import's)."""
    count = 0
    for start in range(0, len(registration_ids), 500):
        chunk = registration_ids[start : start + 500]
        for registration in db.scalars(select(Registration).where(Registration.id.in_(chunk))):
            queue_invitation(db, registration)
            count += 1
    return count


# --- confirmations and cancellations ---------------------------------------------------------------------


def _ics(db: DbSession, registration: Registration, language: str) -> Attachment:
    """The event and its programme, in the event's time zone and the recipient's `language`: the
    file the event page gives them."""
    event = registration.event
    base_url = absolute_url("programme.event_overview", slug=event.slug).rstrip("/") + "/"
    body = event_calendar(db, event, base_url=base_url, language=language)
    return Attachment(f"{event.slug}.ics", "text/calendar", body)


def queue_confirmation(db: DbSession, registration: Registration) -> None:
    event = registration.event
    badge = [_badge_attachment(db, registration)] if registration.mode == Mode.IN_PERSON.value else []
    with written_in(registration.user, event) as language:
        attachments = [_ics(db, registration, language), *badge]
        enqueue_template(
            db,
            to=registration.user.email,
            subject=_("Registration confirmed: %(title)s", title=localized(event, "title", language)),
            template="confirmation",
            kind="confirmation",
            attachments=attachments,
            agenda_url=absolute_url("programme.agenda", slug=event.slug),
            mine_url=absolute_url("registrations.mine"),
            **_common(registration, language),
        )


def queue_cancellation(db: DbSession, registration: Registration) -> None:
    event = registration.event
    with written_in(registration.user, event) as language:
        enqueue_template(
            db,
            to=registration.user.email,
            subject=_("Registration cancelled: %(title)s", title=localized(event, "title", language)),
            template="cancellation",
            kind="cancellation",
            register_url=absolute_url("registrations.register", slug=event.slug),
            **_common(registration, language),
        )


def queue_status_notice(db: DbSession, registration: Registration, change: str) -> None:
    """Pending approval, on the waiting list, or declined: a short notice of where the person stands."""
    event = registration.event
    with written_in(registration.user, event) as language:
        title = localized(event, "title", language)
        subjects = {
            "pending": _("Registration received, awaiting approval: %(title)s", title=title),
            "waitlisted": _("On the waiting list: %(title)s", title=title),
            "declined": _("Registration declined: %(title)s", title=title),
        }
        enqueue_template(
            db,
            to=registration.user.email,
            subject=subjects[change],
            template=f"status_{change}",
            kind=change,
            mine_url=absolute_url("registrations.mine"),
            **_common(registration, language),
        )


def on_registration_changed(
    registration: Registration, *, db: DbSession, change: str, notify: bool = True, **_extra
) -> None:
    """Receiver of hooks.registration_changed: runs inside the registration's transaction.

    Registrations organisers make (`notify=False`: an import, "add one") send nothing here; the
    organisers' invitation is how those people hear of it.
    """
    if not notify:
        return
    if change == "confirmed":
        queue_confirmation(db, registration)
    elif change == "cancelled":
        queue_cancellation(db, registration)
    elif change in ("pending", "waitlisted", "declined"):
        queue_status_notice(db, registration, change)


def connect_signals() -> None:
    """Called by the app factory (idempotent: blinker keeps one connection per receiver)."""
    registration_changed.connect(on_registration_changed)
