"""A poll's question and options in several languages: set by moderators (poll:create, poll:translate,
the API), sent whole to every viewer, whose client picks its own language."""

from __future__ import annotations

from rooms.support import call, received
from sqlalchemy import select

from conference.extensions import db
from conference.rooms.polls.models import Poll


def create(mod, session_id, **fields) -> dict:
    ack = call(
        mod,
        "poll:create",
        {"session_id": session_id, "title": "Ready?", "kind": "single", "options": ["Yes", "No"], **fields},
    )
    assert ack["ok"], ack
    return ack["poll"]


def test_a_draft_carries_its_translations_and_the_open_poll_sends_them_to_everyone(cast, joined):
    mod, alice = joined(cast.moderator, cast.plenary), joined(cast.alice, cast.plenary)
    poll = create(
        mod,
        cast.plenary,
        translations={"title": {"fr": "Prêts ?", "ar": "مستعدون؟"}},
        option_translations=[{"fr": "Oui"}, {"fr": "Non", "zh": "不"}],
    )
    assert poll["translations"] == {"title": {"fr": "Prêts ?", "ar": "مستعدون؟"}}
    assert [o["translations"] for o in poll["options"]] == [
        {"text": {"fr": "Oui"}},
        {"text": {"fr": "Non", "zh": "不"}},
    ]
    received(alice)
    assert call(mod, "poll:open", {"poll_id": poll["id"]})["ok"]
    opened = received(alice, "poll:opened")[0]["poll"]
    assert opened["title"] == "Ready?" and opened["translations"]["title"]["ar"] == "مستعدون؟"
    assert opened["options"][1]["translations"]["text"]["zh"] == "不"


def test_poll_translate_changes_an_open_poll_for_the_room_and_refuses_junk(app, cast, joined):
    mod, alice = joined(cast.moderator, cast.plenary), joined(cast.alice, cast.plenary)
    poll = create(mod, cast.plenary)
    assert call(mod, "poll:open", {"poll_id": poll["id"]})["ok"]
    received(alice)

    refused = call(alice, "poll:translate", {"poll_id": poll["id"], "title": {"fr": "Pirate"}})
    assert not refused["ok"] and refused["error"]["code"] == "forbidden"
    for junk in (
        {"title": {"de": "Bereit?"}},
        {"title": {"fr": "x" * 301}},
        {"options": [{"fr": "Oui"}, {"fr": "Non"}, {"fr": "Peut-être"}]},  # more than the poll's options
    ):
        bad = call(mod, "poll:translate", {"poll_id": poll["id"], **junk})
        assert not bad["ok"] and bad["error"]["code"] == "invalid_translations", bad
    assert received(alice, "poll:translated") == []

    ack = call(
        mod, "poll:translate", {"poll_id": poll["id"], "title": {"es": "¿Listos?"}, "options": [{"es": "Sí"}]}
    )
    assert ack["ok"], ack
    shown = received(alice, "poll:translated")[0]["poll"]
    assert shown["translations"] == {"title": {"es": "¿Listos?"}}
    assert [o["translations"] for o in shown["options"]] == [{"text": {"es": "Sí"}}, {}]
    with app.app_context():
        assert db.session.scalar(select(Poll.translations).where(Poll.id == poll["id"])) == {
            "title": {"es": "¿Listos?"}
        }


def test_the_api_sets_a_polls_translations_for_its_moderators_only(app, client, cast, joined, make_token):
    mod = joined(cast.moderator, cast.plenary)
    poll = create(mod, cast.plenary)
    url = f"/api/v1/events/{cast.event.slug}/sessions/{cast.plenary}/polls/{poll['id']}/translations"

    def put(user, body):
        return client.put(url, json=body, headers={"Authorization": f"Bearer {make_token(user)}"})

    assert put(cast.alice, {"title": {"fr": "Prêts ?"}}).status_code == 403
    bad = put(cast.moderator, {"title": {"klingon": "?"}})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_translations"
    assert put(cast.moderator, {"title": "Prêts ?"}).status_code == 400  # not {language: text}
    wrong_session = url.replace(f"/sessions/{cast.plenary}/", f"/sessions/{cast.thematic}/")
    assert (
        client.put(
            wrong_session, json={}, headers={"Authorization": f"Bearer {make_token(cast.moderator)}"}
        ).status_code
        == 404
    )
    ok = put(cast.moderator, {"title": {"ru": "Готовы?"}, "options": [{"ru": "Да"}, {"ru": "Нет"}]})
    assert ok.status_code == 200, ok.json
    assert ok.json["translations"] == {"title": {"ru": "Готовы?"}}
    assert received(mod, "poll:translated")[0]["poll"]["options"][1]["translations"] == {
        "text": {"ru": "Нет"}
    }
