# Akhbar: a multi-stage image that installs exactly the locked dependencies and runs
# `akhbar serve` as an unprivileged user.
#   docker build -t akhbar .
#   docker run -p 8000:8000 -e AKHBAR_DATABASE_URL=postgresql://... akhbar
# Migrate first with the same image: docker run --rm -e AKHBAR_DATABASE_URL=... akhbar akhbar migrate
# compose.yaml runs it with PostgreSQL and Redis; docs/deployment.md says how to run it for real.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/akhbar
RUN python -m venv /opt/venv
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY openapi ./openapi
# Editable, so that migrations/ and openapi/ are found beside the package, as in a checkout.
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation -e .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home --home-dir /srv/akhbar akhbar
WORKDIR /srv/akhbar
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/akhbar /srv/akhbar
RUN mkdir -p /srv/akhbar/var && chown akhbar:akhbar /srv/akhbar/var
USER akhbar
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["akhbar", "serve", "--host", "0.0.0.0", "--port", "8000"]
