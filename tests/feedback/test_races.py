"""Races on the rules the database enforces: one feedback answer, one certificate, one move to the board."""

from __future__ import annotations

from after_talk_support import online_visit
from concurrency_support import run_together
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.board import services as board
from conference.board.models import BoardQuestion
from conference.certificates import services as certificates
from conference.certificates.models import Certificate
from conference.extensions import db
from conference.feedback import services as feedback
from conference.feedback.models import FeedbackResponse
from conference.programme.models import Event, ProgrammeSession
from conference.rooms.models import Question


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_eight_simultaneous_answers_of_one_person_store_one(app, past):
    online_visit(app, past.alice, past.thematic)
    with app.app_context():
        ids = [q.id for q in feedback.questions(db.session, db.session.get(Event, past.event.id))]

    def answer(_n):
        user = db.session.get(User, past.alice.id)
        feedback.submit(
            db.session, user, db.session.get(ProgrammeSession, past.thematic), {str(i): 3 for i in ids}
        )

    outcomes = run_together(app, answer, 8)
    assert outcomes == ["already_answered"] * 7 + ["ok"]
    assert _count(app, FeedbackResponse) == 1


def test_simultaneous_requests_issue_one_certificate(app, past):
    with app.app_context():
        from conference.certificates.models import CertificateRule

        db.session.add(
            CertificateRule(event_id=past.event.id, kind="percent", min_percent=30, session_ids=[])
        )
        db.session.commit()
    online_visit(app, past.alice, past.plenary)
    codes = set()

    def issue(_n):
        certificate = certificates.issue(
            db.session, db.session.get(Event, past.event.id), db.session.get(User, past.alice.id)
        )
        codes.add(certificate.code)

    assert run_together(app, issue, 6) == ["ok"] * 6
    assert _count(app, Certificate) == 1 and len(codes) == 1


def test_two_processes_moving_one_sessions_questions_move_each_once(app, past):
    with app.app_context():
        for n in range(5):
            db.session.add(
                Question(session_id=past.thematic, user_id=past.alice.id, text=f"Open {n}", status="approved")
            )
        db.session.commit()

    outcomes = run_together(app, lambda _n: board.move_unanswered(db.session, past.thematic), 4)
    assert outcomes == ["ok"] * 4
    assert _count(app, BoardQuestion) == 5
