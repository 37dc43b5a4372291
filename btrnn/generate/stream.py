"""The streaming engine: the shop's rules vectorised per block of users, written chunk by chunk.

Users are drawn in fixed blocks of `BLOCK_USERS`, each from its own random stream seeded by
(seed, block), so a run is reproducible and its content does not depend on the chunk size:
a chunk only groups whole blocks into one Parquet row group (or a stretch of CSV). Order ids
are numbered block after block (by time inside a block), so they are unique across the file.
Memory is bounded by one chunk: nothing holds all order lines or views.

The rules are `btrnn.generate.rules`'; vectorising them changes a few details of the in-memory
engine, on purpose and measured by pytests/unit/test_generate_scale.py: a repeat purchase
copies an earlier purchase of the same planned stage, and an item drawn twice into one order is
redrawn as a whole batch (up to MAX_ITEM_TRIES times) before the line is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from btrnn.generate.rules import (
    CANCEL_DELAY,
    DAY,
    EXTRA_QUANTITY,
    MAX_ITEM_TRIES,
    MIN_ORDER_GAP,
    NEW_ARRIVAL_PRICE,
    ORDER_SIZE,
    RUN_PER_STAGE,
    SHORT_HISTORY,
    STAGES,
    VIEW_LEAD,
    Catalogue,
    GeneratorConfig,
    build_catalogue,
    new_arrivals,
    start_time,
    team_cdf,
    team_name,
)

BLOCK_USERS = 1000
DEFAULT_CHUNK_USERS = 50_000
FORMATS = ("csv", "parquet")
_N_STAGES = len(STAGES)
_LAST_STAGE = _N_STAGES - 1
_ORDER_ID_DIGITS = 10

ORDERS_SCHEMA = pa.schema(
    [
        ("order_id", pa.string()),
        ("user_id", pa.int64()),
        ("product_id", pa.int64()),
        ("ordered_at", pa.timestamp("us")),
        ("quantity", pa.int64()),
        ("order_status", pa.string()),
    ]
)
VIEWS_SCHEMA = pa.schema(
    [("user_id", pa.int64()), ("product_id", pa.int64()), ("viewed_at", pa.timestamp("us"))]
)
PRODUCTS_SCHEMA = pa.schema(
    [
        ("product_id", pa.int64()),
        ("name", pa.string()),
        ("category", pa.string()),
        ("team", pa.string()),
        ("price", pa.float64()),
        ("created_at", pa.timestamp("us")),
    ]
)
TABLES = {"orders": ORDERS_SCHEMA, "product_views": VIEWS_SCHEMA, "products": PRODUCTS_SCHEMA}


@dataclass
class _Block:
    """One block's rows as arrays; order numbers are local (0-based, by time)."""

    order_number: np.ndarray
    order_user: np.ndarray  # 0 for guests (written as null)
    order_product: np.ndarray
    order_seconds: np.ndarray
    quantity: np.ndarray
    cancelled: np.ndarray
    n_orders: int
    view_user: np.ndarray
    view_product: np.ndarray
    view_seconds: np.ndarray


def _segment_positions(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For segments of the given lengths: each element's segment and position inside it."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(int(counts.sum())) - starts[owner]


def _history_lengths(rng: np.random.Generator, config: GeneratorConfig, n: int) -> np.ndarray:
    r = rng.random(n)
    long = rng.integers(12, config.max_history + 1, size=n)
    short = rng.integers(SHORT_HISTORY[0], SHORT_HISTORY[1] + 1, size=n)
    single = config.single_purchase_share
    return np.where(r < single, 1, np.where(r < single + config.long_history_share, long, short))


def _stage_plan(
    rng: np.random.Generator, config: GeneratorConfig, user: np.ndarray, pos: np.ndarray, n: int
) -> np.ndarray:
    """Planned stage of each purchase: 1-3 per stage from a weighted start, adult is final."""
    weights = np.cumsum(config.stage_weights)
    first = np.searchsorted(weights, rng.random(n) * weights[-1], side="right")
    runs = rng.integers(RUN_PER_STAGE[0], RUN_PER_STAGE[1] + 1, size=(n, _LAST_STAGE))
    advance = (pos[:, None] >= np.cumsum(runs, axis=1)[user]).sum(axis=1)
    return np.minimum(first[user] + advance, _LAST_STAGE)


def _order_of_purchase(
    rng: np.random.Generator,
    config: GeneratorConfig,
    user: np.ndarray,
    pos: np.ndarray,
    n: int,
    longest: int,
) -> np.ndarray:
    """Each purchase's order index inside its user's history (orders of 1 or 2-4 lines)."""
    multi = rng.random((n, longest)) < config.multi_item_order_share
    size = np.where(multi, rng.integers(ORDER_SIZE[0], ORDER_SIZE[1] + 1, size=(n, longest)), 1)
    return (pos[:, None] >= np.cumsum(size, axis=1)[user]).sum(axis=1)


def _order_times(
    rng: np.random.Generator, config: GeneratorConfig, owner: np.ndarray, rank: np.ndarray
) -> np.ndarray:
    """Increasing times per user, at least MIN_ORDER_GAP apart (owner sorted, rank inside)."""
    span = config.days * DAY
    raw = rng.integers(0, span, size=len(owner))
    raw = raw[np.lexsort((raw, owner))]
    # t'_i = max_j<=i (t_j + gap * (i - j)): a running max per user, users kept apart by offset
    offset = owner.astype(np.int64) * (2 * span + MIN_ORDER_GAP * (len(owner) + 1))
    shifted = np.maximum.accumulate(raw - MIN_ORDER_GAP * rank + offset)
    return shifted - offset + MIN_ORDER_GAP * rank


class _Drawer:
    """Vectorised item draws of one block, with the rules of `btrnn.generate.rules`."""

    def __init__(self, rng: np.random.Generator, config: GeneratorConfig, cat: Catalogue) -> None:
        self.rng, self.config, self.cat = rng, config, cat

    def fresh(
        self, noise: np.ndarray, favourite: np.ndarray, second: np.ndarray, stage: np.ndarray
    ) -> np.ndarray:
        """A popular item of any group for noise, else the favourite's (or second) team."""
        n = len(noise)
        team = np.where(self.rng.random(n) < self.config.second_team_pick, second, favourite)
        grouped = self.cat.pick_group(team * _N_STAGES + stage, self.rng.random(n))
        return np.where(noise, self.cat.pick_global(self.rng.random(n)), grouped)


def _duplicates_in_order(order: np.ndarray, item: np.ndarray, n_items: int) -> np.ndarray:
    """True for a line whose item an earlier line of the same order already has."""
    key = order.astype(np.int64) * (n_items + 1) + item
    by_key = np.argsort(key, kind="stable")
    repeated = np.zeros(len(key), dtype=bool)
    repeated[by_key[1:]] = key[by_key[1:]] == key[by_key[:-1]]
    return repeated


def _user_block(
    rng: np.random.Generator,
    config: GeneratorConfig,
    cat: Catalogue,
    teams_cdf: np.ndarray,
    first_user: int,
    n: int,
) -> _Block:
    """All orders and views of users first_user .. first_user + n - 1 (ids from 1)."""
    teams = np.arange(config.n_teams)
    favourite = teams[np.searchsorted(teams_cdf, rng.random(n) * teams_cdf[-1], side="right")]
    second = favourite.copy()
    if config.n_teams > 1:
        todo = np.flatnonzero(rng.random(n) < config.second_team_share)
        for _ in range(50):  # the sample's "draw until it differs"
            if not len(todo):
                break
            draw = teams[np.searchsorted(teams_cdf, rng.random(len(todo)) * teams_cdf[-1], "right")]
            differs = draw != favourite[todo]
            second[todo[differs]] = draw[differs]
            todo = todo[~differs]

    length = _history_lengths(rng, config, n)
    user, pos = _segment_positions(length)
    stage = _stage_plan(rng, config, user, pos, n)
    in_user = _order_of_purchase(rng, config, user, pos, n, int(length.max()))
    n_user_orders = np.zeros(n, dtype=np.int64)
    np.maximum.at(n_user_orders, user, in_user + 1)
    order_owner, order_rank = _segment_positions(n_user_orders)
    order_base = np.cumsum(n_user_orders) - n_user_orders
    order = order_base[user] + in_user  # block-local order of each purchase, sorted
    order_seconds = _order_times(rng, config, order_owner, order_rank)
    purchases = len(user)

    draw = _Drawer(rng, config, cat)
    noise = rng.random(purchases) < config.noise_share
    fav_p, second_p = favourite[user], second[user]
    item = draw.fresh(noise, fav_p, second_p, stage)
    # repeats: an earlier order's purchase of the same planned stage, bought again
    new_run = np.ones(purchases, dtype=bool)
    new_run[1:] = (stage[1:] != stage[:-1]) | (user[1:] != user[:-1])
    run_first = np.flatnonzero(new_run)[np.cumsum(new_run) - 1]
    order_first = np.searchsorted(order, order, side="left")
    earlier = order_first - run_first
    repeat = ~noise & (earlier > 0) & (rng.random(purchases) < config.repeat_share)
    source = run_first + (rng.random(purchases) * earlier).astype(np.int64)
    at = np.flatnonzero(repeat)
    for _ in range(purchases):  # sources come first; resolve chains of repeats
        copied = item[source[at]]
        if np.array_equal(copied, item[at]):
            break
        item[at] = copied
    kept = np.ones(purchases, dtype=bool)
    for attempt in range(MAX_ITEM_TRIES):
        again = np.flatnonzero(_duplicates_in_order(order, item, len(cat.weight) + 1))
        if not len(again):
            break
        if attempt == MAX_ITEM_TRIES - 1:
            kept[again] = False
            break
        item[again] = draw.fresh(noise[again], fav_p[again], second_p[again], stage[again])

    # order lines: the purchase, sometimes an exact duplicate, sometimes a cancelled reversal
    idx = np.flatnonzero(kept)
    k = len(idx)
    quantity = np.where(
        rng.random(k) < config.quantity_one_share,
        1,
        rng.integers(EXTRA_QUANTITY[0], EXTRA_QUANTITY[1] + 1, size=k),
    )
    duplicate = rng.random(k) < config.duplicate_share
    reversal = rng.random(k) < config.reversal_share
    line_of, line_pos = _segment_positions(1 + duplicate + reversal)
    is_reversal = reversal[line_of] & (line_pos == 1 + duplicate[line_of])
    line_order = order[idx][line_of]
    line_item = item[idx][line_of]
    line_quantity = np.where(is_reversal, -quantity[line_of], quantity[line_of])

    # cancelled orders: one line of the favourite team's stage, a little after an order
    starts = np.flatnonzero(np.r_[True, order[1:] != order[:-1]])
    n_orders = len(starts)
    cancel = np.flatnonzero(rng.random(n_orders) < config.cancelled_order_share)
    cancel_stage = stage[starts[cancel]]
    cancel_item = cat.pick_group(
        favourite[order_owner[cancel]] * _N_STAGES + cancel_stage, rng.random(len(cancel))
    )
    cancel_seconds = order_seconds[cancel] + rng.integers(*CANCEL_DELAY, size=len(cancel))

    # guests: one popular item, sometimes a second distinct one, at any time
    n_guests = round(config.guest_order_share * (n_orders + len(cancel)))
    guest_item = cat.pick_global(rng.random(n_guests))
    extra = cat.pick_global(rng.random(n_guests))
    has_extra = (rng.random(n_guests) < config.guest_extra_item_share) & (extra != guest_item)
    guest_seconds = rng.integers(0, config.days * DAY, size=n_guests)

    # views: before each purchase (the item; for non-noise also its team's stages), and random
    view_item_p = item[idx]
    view_seconds_p = order_seconds[order[idx]]
    noisy = noise[idx]
    see = rng.random(k) < np.where(noisy, config.noise_view_bought_item, config.view_bought_item)
    n_more = np.where(noisy, 0, rng.poisson(config.views_per_purchase, size=k))
    of, _ = _segment_positions(n_more)
    base_stage, base_team = cat.stage[view_item_p[of] - 1], cat.team[view_item_p[of] - 1]
    m = len(of)
    u = rng.random(m)
    earlier_stage = (rng.random(m) * base_stage).astype(np.int64)
    view_stage = np.where(
        u < config.next_stage_view_share,
        np.minimum(base_stage + 1, _LAST_STAGE),
        np.where(
            (u < config.next_stage_view_share + config.earlier_stage_view_share) & (base_stage > 0),
            earlier_stage,
            base_stage,
        ),
    )
    more_item = cat.pick_group(base_team * _N_STAGES + view_stage, rng.random(m))
    n_random = rng.poisson(config.random_views_per_user, size=n)
    random_user, _ = _segment_positions(n_random)
    r = len(random_user)
    view_user = np.concatenate((user[idx][see], user[idx][of], random_user)) + first_user
    view_product = np.concatenate((view_item_p[see], more_item, cat.pick_global(rng.random(r))))
    view_seconds = np.concatenate(
        (
            view_seconds_p[see] - rng.integers(*VIEW_LEAD, size=int(see.sum())),
            view_seconds_p[of] - rng.integers(*VIEW_LEAD, size=m),
            rng.integers(0, config.days * DAY, size=r),
        )
    )
    by_time = np.lexsort((view_product, view_user, view_seconds))

    # all orders of the block, numbered by (time, kind, index): lines keep their order inside
    all_seconds = np.concatenate((order_seconds, cancel_seconds, guest_seconds))
    number = np.empty(len(all_seconds), dtype=np.int64)
    number[np.lexsort((np.arange(len(all_seconds)), all_seconds))] = np.arange(len(all_seconds))
    guest_order = n_orders + len(cancel) + np.arange(n_guests)
    guest_lines = np.concatenate((guest_order, guest_order[has_extra]))
    lines_order = np.concatenate((line_order, n_orders + np.arange(len(cancel)), guest_lines))
    lines_user = np.concatenate(
        (user[idx][line_of] + first_user, order_owner[cancel] + first_user, 0 * guest_lines)
    )
    lines_item = np.concatenate((line_item, cancel_item, guest_item, extra[has_extra]))
    lines_quantity = np.concatenate(
        (line_quantity, -np.ones(len(cancel), dtype=np.int64), np.ones(len(guest_lines)))
    ).astype(np.int64)
    lines_cancelled = np.concatenate(
        (is_reversal, np.ones(len(cancel), dtype=bool), np.zeros(len(guest_lines), dtype=bool))
    )
    lines_number = number[lines_order]
    by_order = np.argsort(lines_number, kind="stable")
    return _Block(
        order_number=lines_number[by_order],
        order_user=lines_user[by_order],
        order_product=lines_item[by_order],
        order_seconds=all_seconds[lines_order][by_order],
        quantity=lines_quantity[by_order],
        cancelled=lines_cancelled[by_order],
        n_orders=len(all_seconds),
        view_user=view_user[by_time],
        view_product=view_product[by_time],
        view_seconds=view_seconds[by_time],
    )


def _timestamps(start: np.datetime64, seconds: np.ndarray) -> pa.Array:
    return pa.array(start + seconds.astype("timedelta64[s]"), type=pa.timestamp("us"))


def _blocks(
    config: GeneratorConfig, cat: Catalogue, teams_cdf: np.ndarray, chunk_users: int
) -> Iterator[tuple[pa.Table, pa.Table, int]]:
    """(orders, views, users) per chunk of whole blocks, order ids numbered across all."""
    start = np.datetime64(start_time(config), "s")
    per_chunk = max(1, -(-chunk_users // BLOCK_USERS))
    n_blocks = -(-config.n_users // BLOCK_USERS)
    numbered = 0
    for first_block in range(0, n_blocks, per_chunk):
        blocks = []
        users_in_chunk = 0
        for b in range(first_block, min(first_block + per_chunk, n_blocks)):
            rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(b,)))
            first = b * BLOCK_USERS + 1
            n = min(BLOCK_USERS, config.n_users - b * BLOCK_USERS)
            block = _user_block(rng, config, cat, teams_cdf, first, n)
            users_in_chunk += n
            block.order_number += numbered
            numbered += block.n_orders
            blocks.append(block)

        def cat_(name: str, parts: list[_Block] = blocks) -> np.ndarray:
            return np.concatenate([getattr(p, name) for p in parts])

        number, user = cat_("order_number"), cat_("order_user")
        order_id = pc.binary_join_element_wise(
            "O", pc.utf8_lpad(pc.cast(pa.array(number + 1), pa.string()), _ORDER_ID_DIGITS, "0"), ""
        )
        orders = pa.table(
            [
                order_id,
                pa.array(user, mask=user == 0),
                pa.array(cat_("order_product")),
                _timestamps(start, cat_("order_seconds")),
                pa.array(cat_("quantity")),
                pa.array(np.where(cat_("cancelled"), "cancelled", "completed")),
            ],
            schema=ORDERS_SCHEMA,
        )
        views = pa.table(
            [
                pa.array(cat_("view_user")),
                pa.array(cat_("view_product")),
                _timestamps(start, cat_("view_seconds")),
            ],
            schema=VIEWS_SCHEMA,
        )
        yield orders, views, users_in_chunk


def _products_table(config: GeneratorConfig, cat: Catalogue) -> pa.Table:
    start = np.datetime64(start_time(config), "s")
    names, categories, teams = new_arrivals(config)
    n = len(cat.team)
    team_names = np.array([team_name(t) for t in range(config.n_teams)], dtype=object)
    return pa.table(
        [
            pa.array(np.arange(1, n + config.new_arrivals + 1)),
            pa.array(cat.names() + names),
            pa.array(list(np.array(STAGES, dtype=object)[cat.stage]) + categories),
            pa.array(list(team_names[cat.team]) + teams),
            pa.array(
                np.round(
                    np.concatenate(
                        (cat.price_units - 0.01, [float(NEW_ARRIVAL_PRICE)] * len(names))
                    ),
                    2,
                )
            ),
            _timestamps(
                start,
                np.concatenate((cat.created, np.full(len(names), config.days * DAY, np.int64))),
            ),
        ],
        schema=PRODUCTS_SCHEMA,
    )


class _Sink:
    """One output file per table: Parquet (a row group per chunk) or CSV (header once)."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.path, self.fmt, self.rows = path, fmt, 0
        if fmt == "parquet":
            self.writer: pq.ParquetWriter | pa_csv.CSVWriter = pq.ParquetWriter(
                path, schema, compression="zstd"
            )
        else:
            csv_schema = pa.schema([(f.name, _csv_type(f.type)) for f in schema])
            # the header unquoted, like the sample's; values need no quotes (names have none)
            self.handle = path.open("wb")
            self.handle.write((",".join(schema.names) + "\n").encode())
            options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
            self.writer = pa_csv.CSVWriter(self.handle, csv_schema, write_options=options)

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self.fmt == "parquet":
            self.writer.write_table(table, row_group_size=max(1, table.num_rows))
            return
        columns = [  # "2024-01-01 00:29:57", as the sample writes times
            col.cast(pa.timestamp("s")).cast(pa.string())
            if pa.types.is_timestamp(col.type)
            else col
            for col in table.columns
        ]
        self.writer.write_table(pa.table(columns, names=table.column_names))

    def close(self) -> None:
        self.writer.close()
        if self.fmt == "csv":
            self.handle.close()


def _csv_type(kind: pa.DataType) -> pa.DataType:
    return pa.string() if pa.types.is_timestamp(kind) else kind


def write_shop(
    out_dir: Path,
    config: GeneratorConfig,
    fmt: str = "parquet",
    chunk_users: int = DEFAULT_CHUNK_USERS,
    on_chunk: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Writes products, orders and product_views (`.parquet` or `.csv`) into out_dir.

    Streams `chunk_users` users at a time (rounded up to whole blocks of BLOCK_USERS); Parquet
    gets one row group per chunk, readable by Spark as `using parquet options (path ...)`.
    `on_chunk(users)` is called after each chunk is written (the CLI's progress bar). Returns
    row counts per file.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(config.seed)
    cat = build_catalogue(rng, config)
    teams_cdf = team_cdf(rng, config)
    counts: dict[str, int] = {}
    products = _Sink(out_dir / f"products.{fmt}", PRODUCTS_SCHEMA, fmt)
    products.write(_products_table(config, cat))
    products.close()
    counts[products.path.name] = products.rows
    orders = _Sink(out_dir / f"orders.{fmt}", ORDERS_SCHEMA, fmt)
    views = _Sink(out_dir / f"product_views.{fmt}", VIEWS_SCHEMA, fmt)
    try:
        for order_table, view_table, users in _blocks(config, cat, teams_cdf, chunk_users):
            orders.write(order_table)
            views.write(view_table)
            if on_chunk is not None:
                on_chunk(users)
    finally:
        orders.close()
        views.close()
    counts[orders.path.name] = orders.rows
    counts[views.path.name] = views.rows
    return counts
