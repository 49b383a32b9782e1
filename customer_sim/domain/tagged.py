"""Tagged families of pydantic models selected by one key: ``{dist: normal, ...}``,
``{type: rQ, ...}``, ``{model: poisson, ...}``.

A family is a base class plus a registry of named subclasses. Parsing looks the tag up and
validates the mapping with the subclass it names, so a scenario's error points at the exact
field (``customers.budget.sd``, ``products[2].policy.type``) rather than at a union, and adding
a member is one class plus its registration.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

M = TypeVar("M", bound=BaseModel)


def field_error(title: str, field: str, message: str, value: Any) -> ValidationError:
    """A validation error located at ``field`` of the model being validated.

    Raised inside a validator, pydantic prefixes the location with the path of that model, so
    the message names the offending key and not just its parent.
    """
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError("scenario", message), loc=(field,), input=value
            )
        ],
    )


class TaggedRegistry(Generic[M]):
    """Named subclasses of one model, chosen by the value of ``tag`` in the input mapping."""

    def __init__(self, tag: str, what: str) -> None:
        self.tag = tag
        self.what = what  # how messages call a member: "distribution", "policy", ...
        self.classes: dict[str, type[M]] = {}

    @property
    def names(self) -> list[str]:
        return list(self.classes)

    def register(self, name: str) -> Callable[[type[M]], type[M]]:
        """Class decorator: make ``name`` select this class."""

        def add(cls: type[M]) -> type[M]:
            if name in self.classes:
                raise ValueError(f"{self.what} {name!r} is registered twice")
            self.classes[name] = cls
            return cls

        return add

    def parse(self, value: Any) -> Any:
        """A pydantic "before" validator: a mapping becomes the instance its tag names."""
        expected = ", ".join(self.names)
        if isinstance(value, BaseModel):
            return value
        if not isinstance(value, dict):
            raise PydanticCustomError(
                "scenario", f"must be a mapping with a '{self.tag}' key (one of {expected})"
            )
        name = value.get(self.tag)
        if name is None:
            raise field_error(
                self.what, self.tag, f"is required (one of {expected})", value.get(self.tag)
            )
        cls = self.classes.get(name) if isinstance(name, str) else None
        if cls is None:
            raise field_error(
                self.what,
                self.tag,
                f"unknown {self.what} {name!r} (expected one of {expected})",
                name,
            )
        return cls.model_validate(value)
