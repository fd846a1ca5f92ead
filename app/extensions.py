"""Flask extensions, unbound; create_app binds them."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from models.base import db

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage is chosen per app in create_app: the app's Redis when it has one, else this process's memory.
limiter = Limiter(key_func=get_remote_address)

__all__ = ["csrf", "db", "limiter", "login_manager", "migrate"]
