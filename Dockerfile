# Serving image: the core package, the HTTP service and the default model. No torch, no
# transformers: the image can only serve, which keeps it small and its attack surface narrow.
#
#   docker build -t fanzha-serve .
#   docker run --rm -p 8000:8000 fanzha-serve
#   docker run --rm -p 8000:8000 -e FANZHA_WORKERS=2 -e FANZHA_API_KEYS=secret fanzha-serve
#
# Every setting is a FANZHA_* variable (see `fanzha serve --help`). To serve another model,
# mount it and point FANZHA_MODEL_DIR at it.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: wheels for the runtime dependencies, then for fanzha itself --------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Dependencies first, read from pyproject.toml alone, so a code change does not rebuild them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['serve']))" > requirements.txt \
    && pip wheel --wheel-dir /wheels -r requirements.txt
COPY fanzha ./fanzha
COPY service ./service
RUN pip wheel --no-deps --wheel-dir /wheels .

# --- serve: runtime only, non-root ----------------------------------------------------------
FROM ${PYTHON_IMAGE} AS serve
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FANZHA_MODEL_DIR=/app/models/default \
    FANZHA_HOST=0.0.0.0 \
    FANZHA_PORT=8000
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin fanzha
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY --chown=fanzha:fanzha models/default /app/models/default
# the default feedback database (sqlite:///var/fanzha.sqlite3) lives here; mount it to keep it
RUN mkdir /app/var && chown fanzha:fanzha /app/var
VOLUME /app/var
USER fanzha
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('FANZHA_PORT', '8000'), timeout=2).status != 200)"]
CMD ["fanzha", "serve"]
