"""Run one server process for tests/rooms/test_two_processes.py (not a test module).

python serve_process.py DATABASE_URL MESSAGE_QUEUE CHANNEL PORT
"""

from __future__ import annotations

import sys


def main() -> None:
    database_url, queue, channel, port = sys.argv[1:5]
    from werkzeug.serving import make_server

    from conference import create_app

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SOCKETIO_MESSAGE_QUEUE": queue,
            "SOCKETIO_CHANNEL": channel,
        }
    )
    server = make_server("127.0.0.1", int(port), app, threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
