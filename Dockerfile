# TradeBooth service image: the API, the web client and the media relay in one process.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TRADEBOOTH_HOST=0.0.0.0 \
    TRADEBOOTH_PORT=8000 \
    TRADEBOOTH_DATABASE_URL=sqlite+aiosqlite:////data/tradebooth.db

WORKDIR /srv/tradebooth

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
COPY scripts/requirements.py scripts/requirements.py
RUN python - <<'PY' > /tmp/requirements.txt
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))
PY
RUN pip install -r /tmp/requirements.txt

COPY app ./app
COPY rtc ./rtc
COPY rooms ./rooms
COPY interpreters ./interpreters
COPY static ./static
COPY alembic ./alembic
COPY alembic.ini ./

RUN useradd --system --uid 10001 --home-dir /srv/tradebooth tradebooth \
    && mkdir -p /data && chown tradebooth /data
USER tradebooth
VOLUME ["/data"]

# HTTP; WebRTC media uses UDP ports the kernel picks: run with --network host, or put a
# TURN server (coturn) in front and set TRADEBOOTH_ICE_SERVERS / TRADEBOOTH_ANNOUNCED_ADDRESS.
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"

CMD ["python", "-m", "app", "--no-demo"]
