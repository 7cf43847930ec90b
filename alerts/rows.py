"""Hand-written statements for the alert API's hot path: its reads, as model instances, and its
inserts.

The alert API takes hundreds of alerts a second, and each request makes a handful of small reads
(the token, the recipients, their contact methods, a used idempotency key) and two inserts (the
alert, its deliveries). Building each of them through the ORM cost several times more than running
it (about 0.5 ms against 0.05 ms on this project's machines), and that building, not the database,
was most of a request. These statements are written once here, from the models' metadata (table
and column names, never spelled by hand, built once per database vendor). Rows read become model
instances exactly as the ORM makes them (the same database and field converters, then
`Model.from_db`); rows inserted get each field's pre_save and database value, as bulk_create sends
them (no signals, as bulk_create). Everything else stays with the ORM, but for the worker's claim
(alerts.dispatch), which reads the deliveries it leases with `select`."""

from collections.abc import Callable, Sequence
from functools import cache, wraps
from typing import Any

from django.db import connection, models, transaction

Converter = Callable[[Any, Any, Any], Any]


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _quoted(field: Any) -> str:
    """A concrete field's column, quoted."""
    return connection.ops.quote_name(field.column)


def column(model: type[models.Model], name: str, alias: str = "") -> str:
    quoted = _quoted(model._meta.get_field(name))
    return f"{alias}.{quoted}" if alias else quoted


def columns(model: type[models.Model], alias: str) -> str:
    """Every concrete column of `model`, in field order, as `alias.column, …`."""
    return ", ".join(f"{alias}.{_quoted(f)}" for f in model._meta.concrete_fields)


def value(model: type[models.Model], name: str, raw: Any) -> Any:
    """`raw` as the database takes it for the field `name` (dates, addresses: as the ORM sends them)."""
    return model._meta.get_field(name).get_db_prep_value(raw, connection, prepared=False)  # type: ignore[union-attr]


def placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def statement(build: Callable[[], str]) -> Callable[[], str]:
    """`build` run once per database vendor: the hand-written statements are fixed text."""
    built: dict[str, str] = {}

    @wraps(build)
    def cached() -> str:
        if connection.vendor not in built:
            built[connection.vendor] = build()
        return built[connection.vendor]

    return cached


@cache
def _converters(model: type[models.Model], vendor: str) -> list[tuple[int, list[Converter], Any]]:
    """What the ORM's compiler applies to each column of `model` read back (SQLCompiler.get_converters)."""
    found = []
    for position, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            found.append((position, converters, col))
    return found


def select(sql: str, params: Sequence[Any], *row_models: type[models.Model]) -> list[tuple[Any, ...]]:
    """The rows of `sql`, which selects `columns(model, …)` of each of `row_models` in turn, as one
    tuple of instances per row; None for a model whose primary key is NULL in the row (the other
    side of a LEFT JOIN that found nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    if not rows:
        return []
    layout = []
    start = 0
    for model in row_models:
        fields = model._meta.concrete_fields
        key = start + [f.primary_key for f in fields].index(True)
        layout.append((model, start, key, [f.attname for f in fields], _converters(model, connection.vendor)))
        start += len(fields)
    found = []
    for row in rows:
        instances: list[Any] = []
        for model, offset, key, names, converters in layout:
            if row[key] is None:
                instances.append(None)
                continue
            values = list(row[offset : offset + len(names)])
            for position, chain, col in converters:
                for converter in chain:
                    values[position] = converter(values[position], col, connection)
            instances.append(model.from_db(connection.alias, names, values))
        found.append(tuple(instances))
    return found


def scalars(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Plain rows of `sql` (ids, keys, flags: values that need no converting)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def insert(objs: Sequence[models.Model], *, returning_pk: bool = False) -> None:
    """INSERT the new `objs` (of one model, primary keys left to the database) as bulk_create does:
    each field's pre_save (auto_now_add) and database value, in batches the database takes; with
    `returning_pk`, their primary keys read back onto them. No signals are sent (as bulk_create)."""
    if not objs:
        return
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    size = max(1, connection.ops.bulk_batch_size(fields, objs))
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        sql = _insert_sql(model, len(batch), returning_pk, connection.vendor)
        params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in batch for f in fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = cursor.fetchall() if returning_pk else []
        for obj, row in zip(batch, ids, strict=False):
            obj.pk = row[0]
        for obj in batch:
            obj._state.adding, obj._state.db = False, connection.alias


@cache
def _insert_sql(model: type[models.Model], count: int, returning_pk: bool, vendor: str) -> str:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    row = "(" + placeholders(len(fields)) + ")"
    sql = f"INSERT INTO {table(model)} ({', '.join(map(_quoted, fields))}) VALUES {', '.join([row] * count)}"
    return sql + f" RETURNING {_quoted(model._meta.pk)}" if returning_pk else sql


# Children inserted in the one statement with their parent at most (a bigger family takes the
# transaction: its round trips matter less than the size of one statement).
FAMILY_STATEMENT_CHILDREN = 100


def insert_family(parent: models.Model, children: Sequence[models.Model], *, link: str) -> None:
    """INSERT the new `parent` and its new `children` (of one model, whose foreign key `link` is set
    to `parent` here), all or nothing. On PostgreSQL, outside a transaction, that is one statement
    (the parent in a data-modifying WITH), atomic by itself: no BEGIN and COMMIT round trips, which
    cost more than the two inserts. Otherwise both inserts in one transaction."""
    fields = [f for f in type(parent)._meta.concrete_fields if not f.primary_key]
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or not children
        or len(children) > FAMILY_STATEMENT_CHILDREN
    ):
        with transaction.atomic():
            insert([parent], returning_pk=True)
            for child in children:
                setattr(child, link, parent)
            insert(children)
        return
    child_fields = [f for f in type(children[0])._meta.concrete_fields if not f.primary_key and f.name != link]
    params = [f.get_db_prep_save(f.pre_save(parent, True), connection) for f in fields]
    params += [f.get_db_prep_save(f.pre_save(child, True), connection) for child in children for f in child_fields]
    sql = _family_sql(type(parent), type(children[0]), link, len(children), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        parent.pk = cursor.fetchone()[0]
    parent._state.adding, parent._state.db = False, connection.alias
    for child in children:
        setattr(child, link, parent)
        child._state.adding, child._state.db = False, connection.alias


@cache
def _family_sql(parent: type[models.Model], child: type[models.Model], link: str, count: int, vendor: str) -> str:
    key, fk = _quoted(parent._meta.pk), _quoted(child._meta.get_field(link))
    fields = [f for f in child._meta.concrete_fields if not f.primary_key and f.name != link]
    row = f"((SELECT {key} FROM parent), {placeholders(len(fields))})"
    return (
        f"WITH parent AS ({_insert_sql(parent, 1, True, vendor)})"
        f" INSERT INTO {table(child)} ({fk}, {', '.join(_quoted(f) for f in fields)})"
        f" VALUES {', '.join([row] * count)} RETURNING {fk}"
    )
