"""A full walk's shared relations, fetched once instead of expanded on every employee (issue 16).

Expanded on each of 100,000 employees, the groups, work location, company and team that a
mapping reads are the same few hundred objects sent again and again: 53% of a page's bytes
(376 -> 199 KB a page of 100 from the sandbox, and Merge builds every expansion on its side
too). A full walk (a first sync, a resync of the whole company) therefore lists each of those
models once, before the employees, asks Merge to expand only the employments (one employee's
own) and any relation whose list Merge refused (a model this integration or its scopes do not
offer: that relation is expanded by Merge as before, so nothing is lost), and puts the listed
objects back in each employee's place of their ids (`expand`), so the mapping reads an employee
as if Merge had expanded it. An id the lists lack (an object created while the walk ran, a work
location whose type is not WORK) is retrieved on its own, once; the lists include deleted
objects, which an employee may still name, so that they cost no request each; one Merge
does not have, or will not give, stays an id, which the mapping skips, as it skips an id Merge
did not expand. An incremental walk (a page or two) keeps Merge's expansion: the lists would
cost it more requests than they save.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import structlog

from peoplesync.errors import SourceError, SourceUnavailableError
from peoplesync.sources.merge.client import MergeClient

log = structlog.get_logger(__name__)

WALK_EXPAND = "employments"  # what a full walk always has Merge expand: the employee's own

# Employee key -> (the common model listed for it, the filter of the list).
SHARED: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "groups": ("groups", {}),
    "work_location": ("locations", {"location_type": "WORK"}),  # not 100,000 home addresses
    "company": ("companies", {}),
    "team": ("teams", {}),
}


class SharedObjects:
    """The listed objects of each shared relation, by id; `expand(raw, client)` puts them in an
    employee in place of their ids. Safe to share between the windows' threads."""

    def __init__(self, objects: Mapping[str, dict[str, dict[str, Any]]]) -> None:
        self._objects = {key: dict(found) for key, found in objects.items()}
        self._missing: dict[str, set[str]] = {key: set() for key in objects}
        self._lock = threading.Lock()
        self.retrieved = 0  # ids the lists lacked, retrieved one by one
        unlisted = [key for key in SHARED if key not in objects]
        self.walk_expand = ",".join([WALK_EXPAND, *unlisted])  # what Merge still expands

    @classmethod
    def fetch(cls, client: MergeClient) -> SharedObjects:
        """List every shared model once (a request or a few each). A list Merge refuses leaves
        its relation to Merge's expansion; one it cannot give now fails the walk, as a page
        would."""
        objects: dict[str, dict[str, dict[str, Any]]] = {}
        for key, (model, params) in SHARED.items():
            try:  # the deleted too: an employee may still name one (the mapping skips it)
                listed = client.list_objects(model, {**params, "include_deleted_data": "true"})
            except SourceUnavailableError:
                raise
            except SourceError as err:
                log.info("merge.shared.unlisted", model=model, reason=err.message)
                continue
            objects[key] = {str(o["id"]): o for o in listed}
        return cls(objects)

    def expand(self, raw: dict[str, Any], client: MergeClient) -> None:
        """`raw`'s listed relations as objects, where they are ids (in place)."""
        for key, objects in self._objects.items():
            value = raw.get(key)
            if value.__class__ is str:
                raw[key] = objects.get(value) or self._looked_up(key, value, client)
            elif value.__class__ is list:
                raw[key] = [
                    (objects.get(v) or self._looked_up(key, v, client)) if v.__class__ is str else v
                    for v in value
                ]

    def _looked_up(self, key: str, object_id: str, client: MergeClient) -> Any:
        """An id the list lacked: retrieved once (None from Merge, or a refusal, leaves it an
        id; Merge unreachable fails the walk, as a page would)."""
        with self._lock:
            if object_id in self._objects[key]:
                return self._objects[key][object_id]
            if object_id in self._missing[key]:
                return object_id
            self.retrieved += 1
            try:
                found = client.retrieve(SHARED[key][0], object_id)
            except SourceUnavailableError:
                raise
            except SourceError as err:
                log.info("merge.shared.unretrieved", model=SHARED[key][0], reason=err.message)
                found = None
            if found is None:
                self._missing[key].add(object_id)
                return object_id
            self._objects[key][object_id] = found
            return found
