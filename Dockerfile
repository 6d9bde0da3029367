FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 ENV_FILE=/dev/null
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected (hashed, compressed: the production storage) at build time and
# served by WhiteNoise. The key exists for this one command only; it is not in the image's env.
RUN DEBUG=false SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 console && mkdir -p /app/var && chown console /app/var
USER console

EXPOSE 8000
CMD ["gunicorn", "upswift_console.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
