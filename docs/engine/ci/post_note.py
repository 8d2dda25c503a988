"""Post a Markdown plan as ONE note on a GitLab merge request, or update the one posted before.

    python post_note.py plan.md

The note is found by the plan's first line, the hidden marker ``<!-- clusterstack-preview stack=NAME -->``
(one note per stack), among the notes written by the token's own user, so a person quoting the marker
is never overwritten. Standard library only: it runs in any image that has Python.

GitLab's notes API (https://docs.gitlab.com/api/notes/#merge-requests): GET, POST and PUT on
``/projects/:id/merge_requests/:merge_request_iid/notes``; the variables are GitLab CI's predefined
ones (https://docs.gitlab.com/ci/variables/predefined_variables/) and a project access token with the
``api`` scope in ``CLUSTERSTACK_NOTE_TOKEN``.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any


def _call(method: str, url: str, token: str, data: dict[str, str] | None = None) -> tuple[Any, str]:
    """The answer's JSON and the ``X-Next-Page`` header (GitLab's pagination)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers={"PRIVATE-TOKEN": token})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read().decode()), answer.headers.get("X-Next-Page", "")


def main(plan: Path) -> None:
    body = plan.read_text(encoding="utf-8")
    marker = body.split("\n", 1)[0]
    api, token = os.environ["CI_API_V4_URL"], os.environ["CLUSTERSTACK_NOTE_TOKEN"]
    notes_url = f"{api}/projects/{os.environ['CI_PROJECT_ID']}/merge_requests/{os.environ['CI_MERGE_REQUEST_IID']}/notes"
    me, _ = _call("GET", f"{api}/user", token)
    page = "1"
    while page:
        notes, page = _call("GET", f"{notes_url}?per_page=100&page={page}", token)
        for note in notes:
            if note["author"]["id"] == me["id"] and not note.get("system") and note["body"].startswith(marker):
                _call("PUT", f"{notes_url}/{note['id']}", token, {"body": body})
                print(f"updated note {note['id']}")
                return
    created, _ = _call("POST", notes_url, token, {"body": body})
    print(f"created note {created['id']}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
