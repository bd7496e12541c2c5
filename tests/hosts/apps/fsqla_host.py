"""A Flask-SQLAlchemy + Flask-Migrate host sharing its database with plexbooks (the README's snippet)."""

from __future__ import annotations

import logging
import os

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from plexbooks_plugin import PlexBooks, alembic_include_object

logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")

db = SQLAlchemy()


class Shelf(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "host_shelf"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)
    if os.environ.get("HOST_SCHEMA_V2"):  # the host's second migration adds a column
        note = db.Column(db.String(200))


def create_app() -> Flask:
    app = Flask(__name__, instance_path=os.environ["HOST_INSTANCE"])
    app.config.update(SQLALCHEMY_DATABASE_URI=os.environ["HOST_DATABASE_URL"], SECRET_KEY="host-secret")
    db.init_app(app)
    if os.environ.get("HOST_WITHOUT_INCLUDE_OBJECT"):
        Migrate(app, db, directory=os.environ["HOST_MIGRATIONS"])
    else:
        Migrate(app, db, directory=os.environ["HOST_MIGRATIONS"], include_object=alembic_include_object)
    PlexBooks(app)
    return app
