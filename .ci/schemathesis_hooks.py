"""schemathesis hooks for .ci/schemathesis.sh.

Every generated Idempotency-Key is replaced by a fresh one, as a real client sends a new key
for each new operation. Left as generated, hypothesis draws the same short key and the same
example body again and again, so a later POST is a replay of an earlier one: the API then
answers with the stored response, as it must, even when the resource it names was deleted in
between — which the stateful "created resource not found" check reads as a failure. The replay
rules themselves are tested in tests/api (orders, payments, idempotency).
"""
import uuid

import schemathesis


@schemathesis.hook
def map_headers(ctx, headers):
    if headers:
        for name in list(headers):
            if name.lower() == "idempotency-key":
                headers[name] = "st-" + uuid.uuid4().hex
    return headers
