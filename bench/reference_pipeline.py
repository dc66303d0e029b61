"""The pipeline a user would write without this project: the baseline of ``bench/e2e.py``.

A plain Faust app with one agent: decode the JSON article, ``trafilatura.extract`` on HTML
(plain text taken as is), a datasketch ``MinHashLSH`` (num_perm=128, threshold 0.5) kept
in process memory for near-duplicates, and one JSON record per article on an output
topic (keyed by the input key; ``duplicate_of`` set for duplicates). No schemas, no DLQ
beyond an ``error`` field, no entity extraction, no changelogged state.

Run as its own worker process (configured through the environment)::

    REF_BROKER=127.0.0.1:9092 REF_APP_ID=x-ref REF_TOPIC_IN=x.ref.raw REF_TOPIC_OUT=x.ref.out \\
        python bench/reference_pipeline.py worker -l warning --web-port 6099
"""

from __future__ import annotations

import os
import re

import faust
import orjson
import trafilatura
from datasketch import MinHash, MinHashLSH

BROKER = os.environ.get("REF_BROKER", "127.0.0.1:9092")
APP_ID = os.environ.get("REF_APP_ID", "reference-pipeline")
TOPIC_IN = os.environ.get("REF_TOPIC_IN", "reference.raw")
TOPIC_OUT = os.environ.get("REF_TOPIC_OUT", "reference.out")
PARTITIONS = int(os.environ.get("REF_PARTITIONS", "3"))
DATA_DIR = os.environ.get("REF_DATA_DIR", "/tmp/reference-pipeline")

app = faust.App(
    APP_ID,
    broker=f"kafka://{BROKER}",
    store="memory://",
    datadir=DATA_DIR,
    key_serializer="raw",
    value_serializer="raw",
    topic_partitions=PARTITIONS,
    consumer_auto_offset_reset="earliest",
    producer_max_request_size=26214400,
    consumer_max_fetch_size=26214400,
    web_enabled=True,
    autodiscover=False,
)
raw_topic = app.topic(TOPIC_IN, key_type=bytes, value_type=bytes, partitions=PARTITIONS)
out_topic = app.topic(TOPIC_OUT, key_type=bytes, value_type=bytes, partitions=PARTITIONS)

NUM_PERM = 128
lsh = MinHashLSH(threshold=0.5, num_perm=NUM_PERM)
_WORD = re.compile(r"\w+")


def fingerprint(text: str) -> MinHash:
    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i:i + 5]) for i in range(max(1, len(words) - 4))}
    minhash = MinHash(num_perm=NUM_PERM)
    for shingle in shingles:
        minhash.update(shingle.encode())
    return minhash


def process(key: bytes | None, value: bytes) -> dict[str, object]:
    try:
        article = orjson.loads(value)
        body = article["body"]
        if article.get("content_type", "text/plain") in ("text/html", "application/xhtml+xml"):
            text = trafilatura.extract(body) or ""
        else:
            text = body
    except Exception as exc:  # a user's pipeline would log and move on
        return {"error": repr(exc)[:200]}
    name = (key or b"").decode() or str(hash(value))
    minhash = fingerprint(text)
    if name in lsh:  # a re-delivered article: published again as itself
        return {"id": name, "source": article.get("source"), "url": article.get("url"),
                "text": text}
    similar = lsh.query(minhash)
    if similar:
        return {"id": name, "duplicate_of": similar[0]}
    lsh.insert(name, minhash)
    return {"id": name, "source": article.get("source"), "url": article.get("url"),
            "text": text}


@app.agent(raw_topic)
async def reference(stream: faust.StreamT[bytes]) -> None:
    async for event in stream.events():
        message = event.message
        result = process(message.key, message.value)
        await out_topic.send(key=message.key, value=orjson.dumps(result))


if __name__ == "__main__":
    app.main()
