"""What a crowd arriving in one live room costs: join latency and presence frames sent.

    .venv/bin/python bench/room_arrivals.py [--people N] [--coalesce SECONDS] [--snapshot SECONDS]

Loads the demo symposium into a temporary SQLite file, connects N registered participants to the
opening plenary with Flask-SocketIO's test client (threading mode), and prints the time per join and
the number of `presence` frames the clients received, with the given coalescing interval
(ROOMS_PRESENCE_COALESCE_SECONDS; 0 = one broadcast per join), and how many times the room's shared
join state was built with the given snapshot window (ROOMS_JOIN_SNAPSHOT_SECONDS; 0 = every join).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--coalesce", type=float, default=0.5)
    parser.add_argument("--snapshot", type=float, default=0.5)
    args = parser.parse_args()
    os.environ.setdefault("CONFERENCE_ASYNC_MODE", "threading")
    tmp = tempfile.TemporaryDirectory()

    from sqlalchemy import select

    from conference import create_app
    from conference.accounts.models import User
    from conference.cli import upgrade_schema
    from conference.demo import load_demo
    from conference.extensions import db, socketio
    from conference.programme.models import ProgrammeSession
    from conference.registrations.models import Registration

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp.name) / 'bench.db'}",
            "SECRET_KEY": "bench",
            "ROOMS_PRESENCE_COALESCE_SECONDS": args.coalesce,
            "ROOMS_JOIN_SNAPSHOT_SECONDS": args.snapshot,
        }
    )
    with app.app_context():
        upgrade_schema()
        load_demo(db.session)
        plenary = db.session.scalar(select(ProgrammeSession.id).where(ProgrammeSession.kind == "plenary"))
        people = db.session.scalars(
            select(User).join(Registration, Registration.user_id == User.id).limit(args.people)
        ).all()
        from conference.accounts.services import create_api_token

        tokens = [create_api_token(db.session, person, "bench") for person in people]

    clients = []
    started = time.perf_counter()
    for token in tokens:
        client = socketio.test_client(app, namespace="/live", auth={"token": token})
        ack = client.emit("join", {"session_id": plenary}, namespace="/live", callback=True)
        assert ack["ok"], ack
        clients.append(client)
    elapsed = time.perf_counter() - started
    time.sleep(args.coalesce + 0.5)  # let the last coalesced broadcast leave
    frames = sum(1 for c in clients for e in c.get_received("/live") if e["name"] == "presence")
    print(
        f"{len(clients)} people joined the plenary in {elapsed:.2f} s "
        f"({elapsed / len(clients) * 1000:.1f} ms per join, connect included)"
    )
    print(
        f"presence frames received: {frames:,} with coalescing {args.coalesce} s "
        f"(one broadcast per join would be {len(clients) * (len(clients) + 1) // 2:,})"
    )
    from conference.rooms import snapshots

    print(
        f"shared join state built {snapshots.of(app).cache.builds} times for {len(clients)} joins "
        f"with a {args.snapshot} s window (each build is a fixed number of queries)"
    )
    for client in clients:
        client.disconnect(namespace="/live")


if __name__ == "__main__":
    main()
