"""The flood-limit counts of a group-commit batch: `DatabaseRateLimiter.hit_many` on a batch of keys.

    .venv/bin/python bench/rate_limits.py [--batch 33] [--batches 100] [--rounds 5] [--database-url URL]

Every batch of joins, votes, questions and chat lines counts its senders' flood limits with one
`hit_many` (conference.rooms.ratelimit.consume_many). Without --database-url it runs on a temporary
SQLite file with the schema made by `create_all`; with it, on that (empty, or scratch) database.
Each key is new, as in a join storm, so every batch inserts and cleans up old windows.

It prints the best and the median time of one `hit_many` (and its commit) over the rounds. In-process,
no server: this is the statement's cost, not a storm's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conference import create_app
from conference.extensions import db
from conference.rooms.ratelimit import DatabaseRateLimiter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=33, help="keys in one batch")
    parser.add_argument("--batches", type=int, default=100, help="batches in a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="a scratch database (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'rate_limits.db'}"
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            db.create_all()
            per_batch = run(args.batch, args.batches, args.rounds)
            db.session.remove()
            db.engine.dispose()
    print(
        f"hit_many of {args.batch} keys on {url.split(':', 1)[0]}: best {min(per_batch):.3f} ms, "
        f"median {statistics.median(per_batch):.3f} ms a batch ({args.rounds} rounds of {args.batches})"
    )


def run(batch: int, batches: int, rounds: int) -> list[float]:
    """Milliseconds per batch, one figure per round."""
    limiter = DatabaseRateLimiter()
    figures = []
    for round_number in range(rounds):
        started = time.perf_counter()
        for n in range(batches):
            keys = [f"bench:{time.time_ns()}:{round_number}:{n}:{k}" for k in range(batch)]
            limiter.hit_many(db.session, keys, limit=5, window=60)
            db.session.commit()
        figures.append((time.perf_counter() - started) / batches * 1000)
    return figures


if __name__ == "__main__":
    main()
