# One image for the site (gunicorn), the Celery worker and the beat: docker-compose.yml runs it
# three ways. docs/deployment.md explains the stack.
#
# trixie: its postgresql-client (17) can dump the postgres:16 server, which `manage.py backup`
# needs (pg_dump must be at least the server's major version).
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=newmedia.settings.base \
    STATIC_ROOT=/app/staticfiles

# The compiler and OpenLDAP's headers build python-ldap (LDAP sign-in, docs/integrations.md).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
        build-essential libldap2-dev libsasl2-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are gathered once, into the image. The key only lets the settings load: nothing
# signed at build time survives into a running container.
RUN SECRET_KEY=collectstatic-at-build-time-only DATABASE_URL=sqlite://:memory: \
    python manage.py collectstatic --noinput

# The processes run unprivileged. Uploads and mail written to files go to a volume mounted on
# /var/lib/newmedia (MEDIA_ROOT, EMAIL_FILE_PATH), the beat's schedule to another.
RUN useradd --system --create-home --home-dir /home/newmedia newmedia \
    && mkdir -p /var/lib/newmedia/media /var/lib/newmedia/mail /var/lib/newmedia/backups \
    && chown -R newmedia /var/lib/newmedia
USER newmedia

EXPOSE 8000
CMD ["gunicorn", "newmedia.wsgi", "--bind", "0.0.0.0:8000"]
