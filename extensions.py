"""Extensions are created unbound here and bound to the app in `create_app`."""

import hashlib
import hmac

from flask import current_app
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
# Moderator sessions are checked by `views.auth.load_moderator` (their generation, age and
# browser) on every request; Flask-Login's own protection would also rewrite every anonymous
# reader's cookie on every request, which defeats caching.
login_manager.session_protection = None
# Flashed when a page needs a login; str() translates it per request (a lazy string cannot go in the session).
login_manager.login_message = _l("Please log in to see this page.")
login_manager.localize_callback = str
mail = Mail()
babel = Babel()


def keyed_hash(text: str) -> str:
    """HMAC-SHA256 with SECRET_KEY: the same text gives the same hash, which tells nobody the text."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def ip_hash(address: str | None) -> str | None:
    """A client address as a keyed hash: abuse from one address can be seen (in rate-limit
    keys and beside sign-ons) without the address itself being stored anywhere."""
    return keyed_hash(address) if address else None


def hashed_remote_address() -> str:
    """The limiter's key. The address comes from the WSGI environ, which ProxyFix
    (PROXY_FIX_HOPS) has already corrected behind a trusted proxy; a raw X-Forwarded-For
    is never read."""
    return ip_hash(get_remote_address()) or "unknown"


limiter = Limiter(key_func=hashed_remote_address)
