"""Extensions created once at import time and bound to an app in create_app()."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flask_socketio
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after commit: services return what they saved without a second query.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
# The models' base class. mypy cannot take a base class from an attribute (`class X(db.Model)` is
# "Name db.Model is not defined"), so it is given Base, the declarative base db.Model is built on.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Handlers are registered by each feature's init_app, on the server `init_app` makes for each app.
socketio = flask_socketio.SocketIO()
