# Kura: the hikari cache service as a container.
#
#   docker build -t kura .
#   docker run -d --name kura -p 50051:50051 -v kura-data:/data kura
#
# Configure it with KURA_* environment variables or `serve` flags (see `kura serve --help`).

# --- builder: the project and its dependencies in a venv --------------------------------------
FROM python:3.12-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/kura

WORKDIR /src

# Dependencies first, in their own layer: a change to the sources does not reinstall them. They are
# the server's: the package's own but hikari (only the client imports it), and the server extra.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print(*(r for r in p['dependencies'] if not r.startswith('hikari')), *p['optional-dependencies']['server'], sep='\n')" \
        > requirements.txt \
    && /opt/kura/bin/pip install --no-cache-dir -r requirements.txt

COPY README.md LICENSE ./
COPY proto ./proto
COPY server ./server
COPY client ./client
# The image installs the wheel, as users do, not the source tree: what the wheel lacks, so does the image.
RUN /opt/kura/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /tmp/dist . \
    && /opt/kura/bin/pip install --no-cache-dir --no-deps /tmp/dist/*.whl

# --- final: the venv alone, run by an unprivileged user ---------------------------------------
FROM python:3.12-slim

RUN groupadd --system --gid 10001 kura \
    && useradd --system --uid 10001 --gid kura --home-dir /data --no-create-home --shell /usr/sbin/nologin kura \
    && mkdir /data \
    && chown 10001:10001 /data

COPY --from=builder /opt/kura /opt/kura

ENV PATH=/opt/kura/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    KURA_ADDRESS=[::]:50051 \
    KURA_DATABASE=/data/kura.sqlite3 \
    KURA_METRICS_ADDRESS=0.0.0.0:9464

VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
# gRPC, and Prometheus metrics at /metrics.
EXPOSE 50051 9464

# Asks the standard grpc.health.v1 service; exits 0 only while it reports SERVING.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["kura", "health", "--target", "127.0.0.1:50051"]

# kura runs as PID 1 and handles SIGTERM itself, so `docker stop` shuts it down gracefully.
ENTRYPOINT ["kura"]
CMD ["serve"]
