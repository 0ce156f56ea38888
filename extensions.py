"""Extensions are created unbound here and bound to the app in `create_app`."""

from flask import session
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


class ModeratorLoginManager(LoginManager):
    """Flask-Login's "strong" protection, applied only where there is a login to protect.

    Stock Flask-Login also "protects" an anonymous reader's session (which holds only
    their CSRF token) and rewrites their cookie on every request, which defeats 304s.
    """

    def _session_protection_failed(self):
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = ModeratorLoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"
# Flashed when a page needs a login; str() translates it per request (a lazy string cannot go in the session).
login_manager.login_message = _l("Please log in to see this page.")
login_manager.localize_callback = str
mail = Mail()
babel = Babel()
# Client addresses come from the WSGI environ, which ProxyFix (PROXY_FIX_HOPS) has already
# corrected when behind a trusted proxy; a raw X-Forwarded-For is never read.
limiter = Limiter(key_func=get_remote_address)
