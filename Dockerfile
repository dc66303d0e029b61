# The worker image. Build: docker build -t stream-news .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY stream ./stream
COPY schemas ./schemas
COPY samples ./samples
RUN pip install . && useradd --create-home --uid 10001 stream && mkdir -p /var/lib/stream \
    && chown stream /var/lib/stream

USER stream
ENV STREAM_SCHEMAS_DIR=/app/schemas \
    STREAM_DATA_DIR=/var/lib/stream \
    STREAM_WEB_HOST=0.0.0.0 \
    STREAM_WEB_PORT=6066
EXPOSE 6066
ENTRYPOINT ["stream"]
CMD ["worker"]
