"""FieldReg: registration of evacuees at a station, synced to HQ. ``create_app`` builds it."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask
from flask_babel import Babel

from fieldreg import access, config, db, i18n, keyring, security, uploads, wiring

ROOT = config.ROOT
STATIC = config.STATIC
LANGUAGES = i18n.LANGUAGES


def _secret_key(data_dir: Path) -> str:
    """Read the data folder's secret key, creating it (owner only) on first start."""
    path = data_dir / "secret.key"
    if not path.exists():
        keyring.write_private(path, secrets.token_hex(32).encode())
    return path.read_text().strip()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, database, blueprints."""
    wiring.wire()
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.request_class = uploads.Request
    app.config.from_mapping(config.DEFAULTS, DATA=str(config.default_data_dir()))
    app.config.from_prefixed_env("FIELDREG")
    if test_config:
        app.config.from_mapping(test_config)
    data_dir = keyring.make_folder(Path(app.config["DATA"]).resolve())
    app.config["DATABASE"] = str(data_dir / db.DB_NAME)
    # A locked station (no passphrase yet) starts anyway and serves only its unlock page.
    db.unlock_inherited_from_environment(data_dir)
    if keyring.is_unlocked(data_dir):
        db.prepare(data_dir)
        app.config["_prepared"] = True
    app.config.setdefault("SECRET_KEY", _secret_key(data_dir))
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    Babel(app, locale_selector=i18n.select_locale)
    i18n.init(app)
    app.teardown_appcontext(db.close_db)
    app.before_request(security.require_declaration)
    app.before_request(access.load_user)
    app.before_request(access.check_csrf)
    app.after_request(access.set_csrf_cookie)
    app.after_request(security.set_headers)
    app.jinja_env.globals["csrf_token"] = access.csrf_token
    app.jinja_env.globals["allowed"] = access.allowed
    _register_blueprints(app)
    if app.config.get("_prepared"):
        from fieldreg.views.station import run_retention

        run_retention(app)
    return app


def _register_blueprints(app: Flask) -> None:
    """Mount every route: the JSON API's blueprints, then the pages'. The one list of both."""
    from fieldreg import api, errors_http
    from fieldreg.api import admin as api_admin
    from fieldreg.api import convoys as api_convoys
    from fieldreg.api import dedup as api_dedup
    from fieldreg.api import devices as api_devices
    from fieldreg.api import lists as api_lists
    from fieldreg.api import medical as api_medical
    from fieldreg.api import records as api_records
    from fieldreg.api import sync as api_sync
    from fieldreg.api import tracing as api_tracing
    from fieldreg.views import (
        admin,
        backups,
        boarding,
        convoys,
        dashboard,
        dedup,
        exports,
        health,
        lists,
        medical,
        offline,
        prefs,
        register,
        scanning,
        station,
        tracing,
        tracing_exchange,
    )
    from fieldreg.views import auth as auth_views
    from fieldreg.views import sync as sync_views

    errors_http.init(app)
    station.init(app)
    api.mount(
        app,
        (
            api_records.blp,
            api_devices.blp,
            api_admin.blp,
            api_medical.blp,
            api_medical.scan_blp,
            api_sync.blp,
            api_dedup.blp,
            api_convoys.blp,
            api_lists.blp,
            api_tracing.blp,
        ),
    )
    for page in (health, dashboard, exports, prefs, auth_views, register, backups, offline,
                 admin, medical, scanning, sync_views, dedup, convoys, boarding,
                 lists, tracing, tracing_exchange):  # fmt: skip
        app.register_blueprint(page.bp)
