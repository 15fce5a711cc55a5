# Vigil's image: one image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected at build time; the key is a throwaway used only for this step.
RUN DEBUG=0 SECRET_KEY=collectstatic-only VIGIL_VAR_DIR=/app/var python manage.py collectstatic --noinput -v0 \
    && useradd --system --home /app vigil && chown -R vigil /app/var
USER vigil

EXPOSE 8000
CMD ["gunicorn", "vigil.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
