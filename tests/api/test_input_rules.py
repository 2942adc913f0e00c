"""Every parameter and body field of every route follows the input rules (kit/input.py).

Read from the app's own routes, so a field added later without the shared types fails
here: a str without the text rule, an int without bounds within the Id range.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from annotated_types import Le, Lt
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sangdam.kit.input import MAX_ID
from tests.fixtures.server import RunningServer

TEXT = ["nul \x00", "cut \ud83d"]


def _unstorable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return "\x00" in value


def _routes(server: RunningServer) -> list[Any]:
    return [
        route
        for route in iter_route_contexts(server.server.config.app.routes)
        if isinstance(route.original_route, APIRoute)
    ]


def test_every_text_and_id_parameter_is_cleaned_or_bounded(server: RunningServer) -> None:
    problems = []
    for route in _routes(server):
        for param in get_flat_params(route.dependant):
            where = f"{route.path_format} {param.alias}"
            for text in TEXT:
                value, errors = param.validate(text, {}, loc=("query",))
                if not errors and isinstance(value, str) and _unstorable(value):
                    problems.append(f"{where}: keeps {text!r}")
            value, errors = param.validate(str(2**63), {}, loc=("query",))
            if not errors and isinstance(value, int):
                problems.append(f"{where}: takes 2^63")
    assert not problems, "\n".join(problems)


def _annotated_problems(annotation: Any, metadata: list[Any], where: str) -> list[str]:
    # A Field(...) inside Annotated carries its constraints in its own metadata.
    metadata = [
        n for m in metadata for n in ([m, *m.metadata] if isinstance(m, FieldInfo) else [m])
    ]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _annotated_problems(base, [*metadata, *extra], where)
    if origin in (typing.Union, types.UnionType):
        return [
            p
            for arg in typing.get_args(annotation)
            for p in _annotated_problems(arg, metadata, where)
        ]
    if origin is typing.Literal or annotation in (bool, float, type(None)):
        return []
    validators = {getattr(getattr(m, "func", None), "__name__", "") for m in metadata}
    if origin in (list, tuple, set, frozenset):
        return [
            p for arg in typing.get_args(annotation) for p in _annotated_problems(arg, [], where)
        ]
    if origin is dict or annotation is dict:
        if "clean_json" in validators:
            return []
        return [
            p for arg in typing.get_args(annotation) for p in _annotated_problems(arg, [], where)
        ]
    if annotation is str:
        cleaned = validators & {"_storable_if_text", "clean_text", "storable_text"}
        patterned = any(getattr(m, "pattern", None) for m in metadata)
        return [] if cleaned or patterned else [f"{where}: str without the text rule"]
    if annotation is int:
        bounds = [m.le for m in metadata if isinstance(m, Le)] + [
            m.lt for m in metadata if isinstance(m, Lt)
        ]
        return [] if bounds and min(bounds) <= MAX_ID + 1 else [f"{where}: int without bounds"]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model_problems(annotation)
    return []


_seen: set[type[BaseModel]] = set()


def _model_problems(model: type[BaseModel]) -> list[str]:
    if model in _seen:
        return []
    _seen.add(model)
    problems = []
    for name, field in model.model_fields.items():
        problems += _annotated_problems(
            field.annotation, list(field.metadata), f"{model.__name__}.{name}"
        )
    return problems


def test_every_json_body_field_is_cleaned_or_bounded(server: RunningServer) -> None:
    problems = []
    bodies = 0
    for route in _routes(server):
        if route.body_field is None:
            continue
        bodies += 1
        annotation = route.body_field.field_info.annotation
        problems += _annotated_problems(
            annotation, list(route.body_field.field_info.metadata), route.path_format
        )
    assert bodies > 40
    assert not problems, "\n".join(sorted(set(problems)))
