"""WSGI entry point (gunicorn serves it in `make run` and in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "needlepoint.web.settings.production")
application = get_wsgi_application()
