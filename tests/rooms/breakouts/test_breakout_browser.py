"""A breakout round in real browsers: the moderator starts it, a participant goes in and comes back."""

from __future__ import annotations

from browser_support import sign_in


def test_moderator_runs_a_round_and_the_participant_moves_in_and_back(cast, live_server, browser):
    session_url = f"{live_server}/events/{cast.event.slug}/sessions/{cast.plenary}"
    mod_context, console = sign_in(browser, live_server, cast.moderator)
    alice_context, live = sign_in(browser, live_server, cast.alice)
    try:
        console.goto(f"{session_url}/moderate")
        console.wait_for_selector("#breakouts:not([hidden]) [data-bo=create-form]:not([hidden])")
        console.fill("#bo-rooms", "Room East | en | 5\nRoom West | ar | 5")
        console.fill("#bo-duration", "10")
        console.click("[data-bo=create-form] button[type=submit]")
        console.wait_for_selector("[data-bo=rooms] tr >> text=Room West")

        live.goto(f"{session_url}/live")
        live.wait_for_function("window.Live")
        live.evaluate("Live.ready.then(() => true)")  # joined: the page's first join was acknowledged
        assert live.locator("#breakouts").is_hidden()  # a draft is not shown to participants

        console.click("[data-bo=load-people]")  # assign by hand among the people present
        console.get_by_label("Room for Alice Asker").select_option(label="Room West")
        console.wait_for_selector("[data-bo=rooms] tr:has-text('Room West') >> text=1/5")

        console.click("[data-bo=start]")
        console.wait_for_selector("[data-bo=countdown]:not([hidden])")
        live.wait_for_selector("[data-bo=chooser]:not([hidden])")
        assert live.get_by_label("Room West").is_checked()  # self-select: her assigned room is preselected
        assert not live.get_by_label("Room East").is_checked()
        live.click("[data-bo=chooser] button[type=submit]")
        live.wait_for_selector("[data-bo=inside]:not([hidden])")
        breakout_id = live.evaluate("Live.sessionId")
        assert breakout_id != cast.plenary
        assert "Room West" in live.inner_text("[data-bo=status]")
        assert live.locator("[data-bo=clock]").inner_text() != "--:--"

        console.fill("#bo-message", "Two minutes, please conclude")
        console.click("[data-bo=message-form] button[type=submit]")
        live.wait_for_selector("[data-bo=banner]:not([hidden]) >> text=Two minutes, please conclude")

        console.click("[data-bo=recall]")
        live.wait_for_function(f"Live.sessionId === {cast.plenary}")
        live.wait_for_selector("#breakouts", state="hidden")
        console.wait_for_selector("[data-bo=record-box]:not([hidden]) >> text=Alice Asker")
        assert "Room West (1)" in console.inner_text("[data-bo=record]")
    finally:
        mod_context.close()
        alice_context.close()


def test_an_assigned_participant_is_moved_in_by_itself_and_the_timer_brings_them_back(
    app, cast, live_server, browser
):
    from conference.accounts.models import User
    from conference.extensions import db
    from conference.rooms.breakouts import services
    from conference.rooms.breakouts.services import RoomSpec

    app.config["BREAKOUT_TIMER_INTERVAL_S"] = 0.5
    with app.app_context():
        moderator = db.session.get(User, cast.moderator.id)
        round_ = services.create_round(
            db.session, moderator, cast.plenary, [RoomSpec("North"), RoomSpec("South")], mode="assigned"
        )
        services.assign(db.session, moderator, round_.id, [(cast.alice.id, round_.rooms[1].id)])
        south = round_.rooms[1].session_id
    session_url = f"{live_server}/events/{cast.event.slug}/sessions/{cast.plenary}"
    mod_context, console = sign_in(browser, live_server, cast.moderator)
    alice_context, live = sign_in(browser, live_server, cast.alice)
    try:
        live.goto(f"{session_url}/live")
        live.wait_for_function("window.Live")
        live.evaluate("Live.ready.then(() => true)")  # joined: the page's first join was acknowledged
        console.goto(f"{session_url}/moderate")
        console.wait_for_selector("[data-bo=start-box]:not([hidden])")
        console.fill("#bo-start-duration", "0.05")  # three seconds
        console.click("[data-bo=start]")
        live.wait_for_function(f"Live.sessionId === {south}")  # no click: the assignment moves her
        assert live.locator("[data-bo=chooser]").is_hidden()
        live.wait_for_function(
            f"Live.sessionId === {cast.plenary}", timeout=20000
        )  # the round ended by itself
        console.wait_for_selector("[data-bo=record-box]:not([hidden]) >> text=Alice Asker")
    finally:
        mod_context.close()
        alice_context.close()
