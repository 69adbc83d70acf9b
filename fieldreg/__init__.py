"""FieldReg: registration of evacuees at a station, synced to HQ. ``create_app`` builds it."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, request
from flask_babel import Babel, get_locale

from fieldreg import access, config, db

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "ar")


def _secret_key(data_dir: Path) -> str:
    """Read the data folder's secret key, creating it on first start."""
    path = data_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def select_locale() -> str:
    """Choose the page language: the user's choice, else the browser's."""
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def when(value) -> str:
    """Show a stored time as 'YYYY-MM-DD HH:MM' (UTC), or '—'."""
    if not value:
        return "—"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:16].replace("T", " ")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, database, blueprints."""
    app = Flask(__name__, static_folder=str(ROOT / "static"), static_url_path="/static")
    app.config.from_mapping(config.DEFAULTS, DATA=str(config.default_data_dir()))
    app.config.from_prefixed_env("FIELDREG")
    if test_config:
        app.config.from_mapping(test_config)
    data_dir = Path(app.config["DATA"])
    app.config["DATABASE"] = str(db.prepare(data_dir))
    app.config.setdefault("SECRET_KEY", _secret_key(data_dir))
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    Babel(app, locale_selector=select_locale)
    app.teardown_appcontext(db.close_db)
    app.before_request(access.load_user)
    app.before_request(access.check_csrf)
    app.after_request(access.set_csrf_cookie)
    app.jinja_env.globals["csrf_token"] = access.csrf_token
    app.jinja_env.globals["allowed"] = access.allowed
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["when"] = when
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from fieldreg import api, errors_http
    from fieldreg.views import auth as auth_views
    from fieldreg.views import health, offline, register

    errors_http.init(app)
    api.init(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(register.bp)
    app.register_blueprint(offline.bp)
