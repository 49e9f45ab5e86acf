"""A faster constructor for the frozen, slotted dataclasses that are built per attempt.

``@dataclass(frozen=True, slots=True)`` generates an ``__init__`` that sets every field with
``object.__setattr__(self, "name", value)`` (a frozen class refuses plain assignment), which
looks the slot up by name each time: half of a `RatingState`'s construction, and the Elo
update builds three or four of them per attempt (plus the records around them). `quick_init`
replaces that ``__init__`` with one of the same signature that writes each slot through its
descriptor directly. Instances stay frozen (assignment still raises
``FrozenInstanceError``), equal, hashable and printable exactly as before.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["quick_init"]

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Give a ``@dataclass(frozen=True, slots=True)`` class a faster ``__init__``.

    Apply it above the ``@dataclass`` decorator. Fields keep their order, defaults and
    default factories; every field must be an ``init`` field, without ``__post_init__``.

    Raises:
        TypeError: `cls` is not a frozen, slotted dataclass, or has a field or hook this
            constructor does not reproduce.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen, slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__, which quick_init does not call")
    namespace: dict[str, Any] = {"_MISSING": dataclasses.MISSING}
    signature: list[str] = []
    body: list[str] = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = field.name
        if not field.init or field.kw_only:
            raise TypeError(f"{cls.__name__}.{name}: only plain init fields are supported")
        namespace[f"_set_{name}"] = cls.__dict__[name].__set__
        value = name
        if field.default is not dataclasses.MISSING:
            namespace[f"_default_{name}"] = field.default
            signature.append(f"{name}=_default_{name}")
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{name}"] = field.default_factory
            signature.append(f"{name}=_MISSING")
            value = f"_factory_{name}() if {name} is _MISSING else {name}"
        else:
            signature.append(name)
        body.append(f"    _set_{name}(self, {value})")
    source = f"def __init__(self, {', '.join(signature)}):\n" + "\n".join(body or ["    pass"])
    # Generated from the class's own field names, as @dataclass generates its __init__.
    exec(source, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(getattr(cls.__init__, "__annotations__", {}))
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
