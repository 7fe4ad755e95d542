"""One warm "Lambda container": runs a deployed function's handler for the edge.

Started by tools/local_edge/lambdas.py as `python -I worker.py CODE_DIR HANDLER`: isolated
mode, so only the standard library, the interpreter's site-packages (boto3, as in the
Lambda runtime) and the function's extracted zip (first on sys.path, as /var/task) are
importable. Reads one JSON request per line on stdin ({"id", "event", "context"}), answers
one JSON line per request on the original stdout ({"id", "result"} or {"id", "error"}).
The handler's own prints go to stderr (the function's log), never into the protocol.
Ends when stdin closes.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any, TextIO


class LambdaContext:
    """The attributes of the Python runtime's context object that handlers use."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.function_name = fields["function_name"]
        self.function_version = fields.get("function_version", "$LATEST")
        self.invoked_function_arn = fields["invoked_function_arn"]
        self.memory_limit_in_mb = int(fields.get("memory_limit_in_mb", 128))
        self.aws_request_id = fields["aws_request_id"]
        self.log_group_name = fields.get("log_group_name", f"/aws/lambda/{self.function_name}")
        self.log_stream_name = fields.get("log_stream_name", "local-edge")
        self._deadline_ms = int(fields["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def load_handler(code_dir: str, handler: str) -> Any:
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    module_name, function_name = handler.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), function_name)


def serve(handler: Any, requests: TextIO, answers: TextIO) -> None:
    for line in requests:
        request = json.loads(line)
        try:
            result = handler(request["event"], LambdaContext(request["context"]))
            answer = {"id": request["id"], "result": result}
            text = json.dumps(answer)
        except Exception as error:  # the runtime reports every handler error to the caller
            traceback.print_exc(file=sys.stderr)
            answer = {
                "id": request["id"],
                "error": {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_exception(error),
                },
            }
            text = json.dumps(answer, default=str)
        answers.write(text + "\n")
        answers.flush()
        sys.stderr.flush()


def main() -> int:
    code_dir, handler_name = sys.argv[1], sys.argv[2]
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints land in the log
    sys.stdout = sys.stderr
    serve(load_handler(code_dir, handler_name), sys.stdin, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
