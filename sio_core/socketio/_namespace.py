"""Namespaces: ``/`` always, static ones by name, and dynamic ones matched on first use.

A dynamic namespace is declared by a regular expression or a predicate ``(name, auth) -> bool``.
The first CONNECT to a matching name creates a child namespace, which remembers its parent so
that the layer above applies the parent's middlewares and handlers to it, as Node does.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

from sio_core.socketio._adapter import Adapter, InMemoryAdapter

NamespaceMatcher = Callable[[str, dict[str, Any]], bool]
"""A predicate that decides, from a name and the client's auth payload, whether it exists."""


@dataclasses.dataclass(slots=True, eq=False)
class DynamicNamespace:
    """A family of namespaces, matched by a pattern or predicate; ``key`` identifies it."""

    key: int
    matcher: re.Pattern[str] | NamespaceMatcher
    children: list[str] = dataclasses.field(default_factory=list)

    def matches(self, name: str, auth: dict[str, Any]) -> bool:
        """Whether ``name`` belongs to this family."""
        if isinstance(self.matcher, re.Pattern):
            return self.matcher.fullmatch(name) is not None
        return bool(self.matcher(name, auth))


@dataclasses.dataclass(slots=True, eq=False)
class Namespace:
    """One namespace: its room index (which holds its connected sockets) and its ack ids."""

    name: str
    adapter: Adapter
    parent: DynamicNamespace | None = None
    _ack_ids: itertools.count[int] = dataclasses.field(default_factory=itertools.count)

    def next_ack_id(self) -> int:
        """A fresh ack id; one counter per namespace, so a broadcast shares one id (as in Node)."""
        return next(self._ack_ids)


AdapterFactory = Callable[[str], Adapter]


class Namespaces:
    """Every namespace of a server, static and dynamic."""

    def __init__(self, adapter_factory: AdapterFactory | None = None) -> None:
        self._adapter_factory = adapter_factory or (lambda _name: InMemoryAdapter())
        self._static: dict[str, Namespace] = {}
        self._dynamic: list[DynamicNamespace] = []
        self._keys = itertools.count(1)
        self.add("/")

    def add(self, name: str) -> Namespace:
        """Declare a namespace by name (idempotent); names start with ``/``."""
        if not name.startswith("/"):
            name = "/" + name
        if name not in self._static:
            self._static[name] = Namespace(name=name, adapter=self._adapter_factory(name))
        return self._static[name]

    def add_dynamic(self, matcher: re.Pattern[str] | NamespaceMatcher) -> DynamicNamespace:
        """Declare a family of namespaces created on first use."""
        family = DynamicNamespace(key=next(self._keys), matcher=matcher)
        self._dynamic.append(family)
        return family

    def wrap_adapters(self, wrap: Callable[[str, Adapter], Adapter]) -> None:
        """Put each namespace's adapter inside ``wrap(name, adapter)``, now for every namespace
        there is and, when it is made, for every namespace to come."""
        for namespace in self._static.values():
            namespace.adapter = wrap(namespace.name, namespace.adapter)
        make = self._adapter_factory
        self._adapter_factory = lambda name: wrap(name, make(name))

    def get(self, name: str) -> Namespace | None:
        """The namespace called ``name`` if it exists already."""
        return self._static.get(name)

    def resolve(self, name: str, auth: dict[str, Any]) -> Namespace | None:
        """The namespace a CONNECT asks for, creating a dynamic child when one matches."""
        existing = self._static.get(name)
        if existing is not None:
            return existing
        for family in self._dynamic:
            if family.matches(name, auth):
                child = self.add(name)
                child.parent = family
                family.children.append(name)
                return child
        return None

    def __iter__(self) -> Iterator[Namespace]:
        return iter(self._static.values())
