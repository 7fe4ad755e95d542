"""moto gap: S3 event notifications to Lambda. moto 5.2.5 delivers an S3 notification to a
Lambda function by invoking it in Docker (moto/s3/notifications.py ``_invoke_awslambda``),
and silently drops the event when Docker is not there (it is not, on these machines).

Filled here, for the tests and the local stack only: when the environment variable
PRIVATECAST_MOTO_LAMBDA_EVENTS_URL is set (the local edge's loopback listener, for
example http://127.0.0.1:8482/lambda-events), the event is POSTed there as JSON
``{"FunctionArn": <the notification's function ARN>, "Event": <the event>}`` with the
event exactly as moto built it, and the edge invokes the deployed function
asynchronously, as S3 does. Unset, moto keeps its own behaviour.

moto's event against AWS's documented S3 event (AmazonS3 userguide,
notification-content-structure.html): eventVersion, eventSource, awsRegion, eventTime,
eventName (without the "s3:" prefix), s3.s3SchemaVersion, s3.configurationId,
s3.bucket.name/arn, s3.object.key (URL-encoded, spaces as "+"), size and eTag are
there. moto leaves out userIdentity, requestParameters, responseElements,
s3.bucket.ownerIdentity, s3.object.versionId and s3.object.sequencer. The archiver reads
only s3.bucket.name and s3.object.key, so they are not filled in.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from typing import Any

from moto.s3 import notifications

EVENTS_URL_VARIABLE = "PRIVATECAST_MOTO_LAMBDA_EVENTS_URL"


def _wrap_invoke(original):
    def invoke_awslambda(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        url = os.environ.get(EVENTS_URL_VARIABLE, "")
        if not url:
            original(account_id, event_body, fn_arn, region_name)
            return
        if not url.startswith("http://127."):
            print(f"moto_gaps_lambda_events: {url} is not on loopback; event dropped", file=sys.stderr)
            return
        body = json.dumps({"FunctionArn": fn_arn, "Event": event_body}).encode()
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - loopback
        try:
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - loopback (checked above)
                pass
        except OSError as error:  # S3 delivers asynchronously: the PutObject succeeds regardless
            print(f"moto_gaps_lambda_events: delivery to {url} failed: {error}", file=sys.stderr)

    invoke_awslambda.patched_by_privatecast = True
    return invoke_awslambda


def apply() -> None:
    original = notifications._invoke_awslambda
    if not getattr(original, "patched_by_privatecast", False):
        notifications._invoke_awslambda = _wrap_invoke(original)
