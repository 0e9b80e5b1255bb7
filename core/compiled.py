"""Run a hot query as SQL that Django compiled once per process, with each call's own ids.

Building a queryset's SQL through the ORM costs more than the database spends answering a small
query, and a section view asks the same few questions on every request. A `CompiledQuery` builds
its queryset once per process and database with stand-in ids (numbers or keys no row has), notes
where each stand-in landed among the parameters, and from then on runs that SQL with the real ids,
turning rows into values or model instances exactly as the ORM would (its converters, and its
related-object populators for `select_related`). If a stand-in was written into the SQL text rather
than passed as a parameter, it falls back to running the queryset through the ORM every time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[str | None, ...]
    compiler: Any
    converters: dict


class CompiledQuery:
    """A queryset built by `build(**ids)`, compiled once per process and database, run with real ids.

    `stand_ins` names each id the builder takes, with a value no row has (a negative number, or
    for a text key a string no real key can be). `instances`
    is True when the queryset returns model instances (with any `select_related`), False when it
    returns `values_list` rows.
    """

    def __init__(self, build: Callable[..., QuerySet], *, stand_ins: dict[str, int | str], model: type[Model],
                 instances: bool) -> None:
        self.build = build
        self.stand_ins = stand_ins
        self.model = model
        self.instances = instances
        self._compiled: dict[str, _Compiled | None] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> _Compiled | None:
        queryset = self.build(**self.stand_ins)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = tuple(
            next(
                (name for name, stand_in in self.stand_ins.items() if type(param) is type(stand_in) and param == stand_in),
                None,
            )
            for param in params
        )
        if set(slots) - {None} != set(self.stand_ins) or any(str(value) in sql for value in self.stand_ins.values()):
            return None
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        return _Compiled(sql=sql, params=tuple(params), slots=slots, compiler=compiler,
                         converters=compiler.get_converters(fields))

    def run(self, **ids: int | str) -> list:
        """Return the query's rows (or instances) for these ids."""
        alias = router.db_for_read(self.model)
        if alias not in self._compiled:
            with self._lock:
                if alias not in self._compiled:
                    self._compiled[alias] = self._compile(alias)
        compiled = self._compiled[alias]
        if compiled is None:
            return list(self.build(**ids))
        params = [
            ids[slot] if slot is not None else param for slot, param in zip(compiled.slots, compiled.params, strict=True)
        ]
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            # This thread's connection, not the one the query was compiled on.
            rows = [self._convert(row, compiled.converters, connection) for row in rows]
        if not self.instances:
            return rows
        return self._instances(rows, compiled.compiler, alias)

    @staticmethod
    def _convert(row, converters: dict, connection) -> tuple:
        row = list(row)
        for position, (functions, expression) in converters.items():
            value = row[position]
            for convert in functions:
                value = convert(value, expression, connection)
            row[position] = value
        return tuple(row)

    @staticmethod
    def _instances(rows, compiler, alias: str) -> list[Model]:
        # As django.db.models.query.ModelIterable builds them.
        select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
        model_cls = klass_info["model"]
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [field[0].target.attname for field in select[start:end]]
        populators = get_related_populators(klass_info, select, alias)
        objects = []
        for row in rows:
            obj = model_cls.from_db(alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in (annotation_col_map or {}).items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects
