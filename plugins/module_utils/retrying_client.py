# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A boto3 client whose every call is retried with AWSRetry.jittered_backoff, for modules
whose AWS logic lives in module_utils code that also runs without Ansible (the Lambdas):
that code calls it like a plain client. A listing read through its paginator
(plan.paginate) is retried as a whole: a throttled page reads the listing again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

Retry = Callable[[Callable[..., Any]], Callable[..., Any]]


class RetryingPages:
    """A paginator's pages; build_full_result is retried."""

    def __init__(self, paginator: Any, params: dict[str, Any], retry: Retry) -> None:
        self._paginator = paginator
        self._params = params
        self._retry = retry

    def build_full_result(self) -> dict[str, Any]:
        return self._retry(lambda: self._paginator.paginate(**self._params).build_full_result())()


class RetryingPaginator:
    def __init__(self, paginator: Any, retry: Retry) -> None:
        self._paginator = paginator
        self._retry = retry

    def paginate(self, **params: Any) -> RetryingPages:
        return RetryingPages(self._paginator, params, self._retry)


class RetryingClient:
    def __init__(self, client: Any, retry: Retry) -> None:
        self._client = client
        self._retry = retry

    def get_paginator(self, operation: str) -> RetryingPaginator:
        return RetryingPaginator(self._client.get_paginator(operation), self._retry)

    def can_paginate(self, operation: str) -> bool:
        return self._client.can_paginate(operation)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        return self._retry(attribute) if callable(attribute) else attribute


def jittered_retry(extra_retry_codes: Sequence[str] = ()) -> Retry:
    """Up to 10 attempts, also on the given error codes."""
    return AWSRetry.jittered_backoff(retries=10, catch_extra_error_codes=list(extra_retry_codes))


def retrying_client(module: Any, service: str, extra_retry_codes: Sequence[str] = ()) -> RetryingClient:
    """The module's client for `service`, each call retried up to 10 times, also on the
    given error codes."""
    return RetryingClient(module.client(service), jittered_retry(extra_retry_codes))


def fail_with_cause(module: Any, error: Exception) -> None:
    """End the run with `error`'s own message, and AWS's error details when an AWS call
    caused it (the module_utils code raises its own error from the botocore one)."""
    cause = error.__cause__
    if isinstance(cause, (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)):
        module.fail_json_aws(cause, msg=str(error))
    module.fail_json(msg=str(error))
