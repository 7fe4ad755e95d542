# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A boto3 client whose every call is retried with AWSRetry.jittered_backoff, for modules
whose AWS logic lives in module_utils code that also runs without Ansible (the Lambdas):
that code calls it like a plain client."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class RetryingClient:
    def __init__(self, client: Any, retry: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
        self._client = client
        self._retry = retry

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        return self._retry(attribute) if callable(attribute) else attribute


def retrying_client(module: Any, service: str, extra_retry_codes: Sequence[str] = ()) -> RetryingClient:
    """The module's client for `service`, each call retried up to 10 times, also on the
    given error codes."""
    retry = AWSRetry.jittered_backoff(retries=10, catch_extra_error_codes=list(extra_retry_codes))
    return RetryingClient(module.client(service), retry)
