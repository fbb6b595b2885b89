"""`conference grant EVENT_SLUG EMAIL --role ... [--session ID]`."""

from __future__ import annotations

from manage_support import session_by_title

from conference.extensions import db as _db
from conference.grants.checks import can_manage, can_moderate, can_scan
from conference.grants.models import EventGrant


def test_grant_names_organisers_moderators_and_staff(app, runner, make_event, make_user):
    event = make_event("sym")
    organiser, moderator, staff = make_user(), make_user(), make_user()
    with app.app_context():
        ethics = session_by_title(_db.session, event.id, "AI Ethics")
        opening = session_by_title(_db.session, event.id, "Opening session")
    result = runner.invoke(args=["grant", "sym", organiser.email.upper(), "--role", "organiser"])
    assert result.exit_code == 0 and f"{organiser.email} is organiser of sym" in result.output, result.output
    result = runner.invoke(
        args=["grant", "sym", moderator.email, "--role", "moderator", "--session", str(ethics.id)]
    )
    assert result.exit_code == 0 and f"(session {ethics.id})" in result.output
    assert runner.invoke(args=["grant", "sym", staff.email, "--role", "staff"]).exit_code == 0
    with app.app_context():
        session = _db.session
        assert can_manage(session, session.merge(organiser), event.id)
        assert can_moderate(session, session.merge(moderator), session.merge(ethics))
        assert not can_moderate(session, session.merge(moderator), session.merge(opening))
        assert can_scan(session, session.merge(staff), event.id)
        assert not can_manage(session, session.merge(staff), event.id)


def test_grant_explains_what_is_wrong_and_grants_nothing(app, runner, make_event, make_user):
    make_event("sym")
    other = make_event("other")
    user = make_user()
    with app.app_context():
        foreign = session_by_title(_db.session, other.id, "AI Ethics").id
    cases = [
        (["grant", "sym", "ghost@example.org", "--role", "staff"], "no account with this e-mail"),
        (["grant", "nope", user.email, "--role", "staff"], "no event 'nope'"),
        (["grant", "sym", user.email, "--role", "moderator", "--session", str(foreign)], "not in this event"),
        (["grant", "sym", user.email, "--role", "staff", "--session", str(foreign)], "not in this event"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    assert runner.invoke(args=["grant", "sym", user.email, "--role", "emperor"]).exit_code == 2
    with app.app_context():
        assert _db.session.query(EventGrant).count() == 0
