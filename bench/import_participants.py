"""How long `import-participants` takes for a large registration list (default 10,000 rows).

    .venv/bin/python bench/import_participants.py [--rows N] [--database-url URL]

Uses a scratch database (a temporary SQLite file unless --database-url names an empty one), loads the
demo event, imports N synthetic rows in one transaction, prints the time and rows per second, and
drops the tables it created.
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
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    os.environ.setdefault("CONFERENCE_ASYNC_MODE", "threading")
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"

    from sqlalchemy import inspect, text

    from conference import create_app
    from conference.cli import upgrade_schema
    from conference.demo import SLUG, load_demo
    from conference.extensions import db
    from conference.programme.services import get_event
    from conference.registrations.services import import_participants

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        if inspect(db.engine).get_table_names():
            sys.exit("refusing to run: the database is not empty (give a scratch database)")
        upgrade_schema()
        load_demo(db.session)
        countries = ["KR", "JP", "IN", "ID", "FJ", "EG", "JO", "KZ", "PH", "TH"]
        lines = ["email,name,organisation,country,mode"] + [
            f"bench{n}@example.org,Participant {n},Organisation {n % 97},{countries[n % 10]},"
            f"{'in_person' if n % 3 == 0 else 'online'}"
            for n in range(args.rows)
        ]
        event = get_event(db.session, SLUG)
        started = time.perf_counter()
        result = import_participants(db.session, event, "\n".join(lines) + "\n")
        elapsed = time.perf_counter() - started
        backend = db.engine.url.get_backend_name()
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    print(f"database: {backend}")
    print(
        f"rows imported: {result.rows} ({result.users_created} users, {result.registrations_created} registrations)"
    )
    print(f"time: {elapsed:.2f} s ({result.rows / elapsed:,.0f} rows/s)")


if __name__ == "__main__":
    main()
