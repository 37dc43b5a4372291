"""The in-memory engine: user by user, one random stream; it wrote data/sample byte for byte.

Kept as it is (draw for draw) so the bundled sample never drifts; the streaming engine
(`btrnn.generate.stream`) follows the same rules vectorised for large runs.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

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
    TIME_FORMAT,
    VIEW_LEAD,
    Catalogue,
    GeneratorConfig,
    build_catalogue,
    new_arrivals,
    start_time,
    team_cdf,
    team_name,
)

ORDER_COLUMNS = ["order_id", "user_id", "product_id", "ordered_at", "quantity", "order_status"]
VIEW_COLUMNS = ["user_id", "product_id", "viewed_at"]
PRODUCT_COLUMNS = ["product_id", "name", "category", "team", "price", "created_at"]


@dataclass(frozen=True)
class _Groups:
    """Per team x stage ids and cumulative weights, as the scalar `_pick` wants them."""

    ids: dict[tuple[int, int], np.ndarray]
    cdf: dict[tuple[int, int], np.ndarray]


@dataclass
class _Order:
    seconds: int
    seq: int
    user_id: int | None
    lines: list[tuple[int, int, str]]


def _pick(rng: np.random.Generator, items: np.ndarray, cdf: np.ndarray) -> int:
    """One item drawn with the (unnormalised) cumulative weights `cdf`."""
    return int(items[np.searchsorted(cdf, rng.random() * cdf[-1], side="right")])


def _groups(config: GeneratorConfig, cat: Catalogue) -> _Groups:
    ids, cdf = {}, {}
    for t in range(config.n_teams):
        for s in range(len(STAGES)):
            group = cat.group(t, s)
            ids[(t, s)] = group
            cdf[(t, s)] = np.cumsum(cat.weight[group - 1])
    return _Groups(ids, cdf)


def _history_length(rng: np.random.Generator, config: GeneratorConfig) -> int:
    """Many short histories, a good share of long ones (sliding windows), some single ones."""
    r = rng.random()
    if r < config.single_purchase_share:
        return 1
    if r < config.single_purchase_share + config.long_history_share:
        return int(rng.integers(12, config.max_history + 1))
    return int(rng.integers(SHORT_HISTORY[0], SHORT_HISTORY[1] + 1))


def _stage_plan(rng: np.random.Generator, config: GeneratorConfig, m: int) -> list[int]:
    """Stage of each purchase: 1-3 purchases per stage, then the next; adult is final."""
    weights = np.cumsum(config.stage_weights)
    stage = int(np.searchsorted(weights, rng.random() * weights[-1], side="right"))
    left = int(rng.integers(RUN_PER_STAGE[0], RUN_PER_STAGE[1] + 1))
    plan = []
    for _ in range(m):
        if left == 0 and stage < len(STAGES) - 1:
            stage += 1
            left = int(rng.integers(RUN_PER_STAGE[0], RUN_PER_STAGE[1] + 1))
        plan.append(stage)
        left -= 1
    return plan


def _order_sizes(rng: np.random.Generator, config: GeneratorConfig, m: int) -> list[int]:
    """Split m purchases into orders of 1 line, or 2-4 lines that share a timestamp."""
    sizes = []
    while m > 0:
        multi = rng.random() < config.multi_item_order_share
        size = int(rng.integers(ORDER_SIZE[0], ORDER_SIZE[1] + 1)) if multi else 1
        sizes.append(min(size, m))
        m -= sizes[-1]
    return sizes


def _order_times(rng: np.random.Generator, config: GeneratorConfig, k: int) -> list[int]:
    """k increasing order times (seconds from start), at least an hour apart."""
    times = sorted(int(x) for x in rng.integers(0, config.days * DAY, size=k))
    for i in range(1, k):
        times[i] = max(times[i], times[i - 1] + MIN_ORDER_GAP)
    return times


def _user_events(
    rng: np.random.Generator,
    config: GeneratorConfig,
    cat: Catalogue,
    groups: _Groups,
    user_id: int,
    teams_cdf: np.ndarray,
    orders: list[_Order],
    views: list[tuple[int, int, int]],
) -> None:
    """Append one user's orders (with cancellations, duplicates) and views."""
    teams = np.arange(config.n_teams)
    favourite = _pick(rng, teams, teams_cdf)
    second = favourite
    if config.n_teams > 1 and rng.random() < config.second_team_share:
        while second == favourite:
            second = _pick(rng, teams, teams_cdf)
    plan = _stage_plan(rng, config, _history_length(rng, config))
    sizes = _order_sizes(rng, config, len(plan))
    times = _order_times(rng, config, len(sizes))
    bought: dict[int, list[int]] = {}
    slot = 0
    for size, seconds in zip(sizes, times, strict=True):
        lines: list[tuple[int, int, str]] = []
        in_order: set[int] = set()
        for stage in plan[slot : slot + size]:
            noise = rng.random() < config.noise_share
            earlier = bought.get(stage, [])
            for _ in range(MAX_ITEM_TRIES):
                if noise:
                    item = _pick(rng, cat.all_ids, cat.global_cdf)
                elif earlier and rng.random() < config.repeat_share:
                    item = earlier[int(rng.integers(len(earlier)))]
                else:
                    team = second if rng.random() < config.second_team_pick else favourite
                    item = _pick(rng, groups.ids[(team, stage)], groups.cdf[(team, stage)])
                if item not in in_order:
                    break
            else:
                continue
            in_order.add(item)
            quantity = (
                1
                if rng.random() < config.quantity_one_share
                else int(rng.integers(EXTRA_QUANTITY[0], EXTRA_QUANTITY[1] + 1))
            )
            lines.append((item, quantity, "completed"))
            if rng.random() < config.duplicate_share:
                lines.append((item, quantity, "completed"))
            if rng.random() < config.reversal_share:
                lines.append((item, -quantity, "cancelled"))
            _purchase_views(rng, config, cat, groups, user_id, item, noise, seconds, views)
        for item, _, status in lines:
            if status == "completed" and item not in bought.get(int(cat.stage[item - 1]), []):
                bought.setdefault(int(cat.stage[item - 1]), []).append(item)
        orders.append(_Order(seconds, len(orders), user_id, lines))
        if rng.random() < config.cancelled_order_share:
            stage = plan[slot]
            item = _pick(rng, groups.ids[(favourite, stage)], groups.cdf[(favourite, stage)])
            later = seconds + int(rng.integers(*CANCEL_DELAY))
            orders.append(_Order(later, len(orders), user_id, [(item, -1, "cancelled")]))
        slot += size
    for _ in range(int(rng.poisson(config.random_views_per_user))):
        item = _pick(rng, cat.all_ids, cat.global_cdf)
        views.append((int(rng.integers(0, config.days * DAY)), user_id, item))


def _purchase_views(
    rng: np.random.Generator,
    config: GeneratorConfig,
    cat: Catalogue,
    groups: _Groups,
    user_id: int,
    item: int,
    noise: bool,
    seconds: int,
    views: list[tuple[int, int, int]],
) -> None:
    """Views in the days before a purchase: the item, its team's current, next or earlier stages."""
    if rng.random() < (config.noise_view_bought_item if noise else config.view_bought_item):
        views.append((seconds - int(rng.integers(*VIEW_LEAD)), user_id, item))
    if noise:
        return
    team, stage = int(cat.team[item - 1]), int(cat.stage[item - 1])
    for _ in range(int(rng.poisson(config.views_per_purchase))):
        draw = rng.random()
        if draw < config.next_stage_view_share:
            s = min(stage + 1, len(STAGES) - 1)
        elif draw < config.next_stage_view_share + config.earlier_stage_view_share and stage > 0:
            s = int(rng.integers(0, stage))
        else:
            s = stage
        viewed = _pick(rng, groups.ids[(team, s)], groups.cdf[(team, s)])
        views.append((seconds - int(rng.integers(*VIEW_LEAD)), user_id, viewed))


def _write(path: Path, header: list[str], rows: list[list[str]]) -> int:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def generate(out_dir: Path, config: GeneratorConfig | None = None) -> dict[str, int]:
    """Writes products.csv, orders.csv, product_views.csv into out_dir, all in memory.

    For the sample and other small shops (up to some 100k users); `write_shop` streams larger
    ones. Returns row counts per file (header excluded).
    """
    config = config or GeneratorConfig()
    rng = np.random.default_rng(config.seed)
    start = start_time(config)

    def stamp(seconds: int) -> str:
        return (start + timedelta(seconds=seconds)).strftime(TIME_FORMAT)

    cat = build_catalogue(rng, config)
    groups = _groups(config, cat)
    product_rows = [
        [str(i + 1), name, STAGES[cat.stage[i]], team_name(int(cat.team[i]))]
        + [f"{int(cat.price_units[i]) - 0.01:.2f}", stamp(int(cat.created[i]))]
        for i, name in enumerate(cat.names())
    ]

    teams_cdf = team_cdf(rng, config)
    orders: list[_Order] = []
    views: list[tuple[int, int, int]] = []
    for user_id in range(1, config.n_users + 1):
        _user_events(rng, config, cat, groups, user_id, teams_cdf, orders, views)
    for _ in range(round(config.guest_order_share * len(orders))):
        lines = [(_pick(rng, cat.all_ids, cat.global_cdf), 1, "completed")]
        if rng.random() < config.guest_extra_item_share:
            extra = _pick(rng, cat.all_ids, cat.global_cdf)
            if extra != lines[0][0]:
                lines.append((extra, 1, "completed"))
        seconds = int(rng.integers(0, config.days * DAY))
        orders.append(_Order(seconds, len(orders), None, lines))

    names, categories, teams = new_arrivals(config)
    for name, category, team in zip(names, categories, teams, strict=True):
        product_rows.append(
            [str(len(product_rows) + 1), name, category, team]
            + [NEW_ARRIVAL_PRICE, stamp(config.days * DAY)]
        )

    order_rows: list[list[str]] = []
    for number, order in enumerate(sorted(orders, key=lambda o: (o.seconds, o.seq)), start=1):
        user = "" if order.user_id is None else str(order.user_id)
        when = stamp(order.seconds)
        for item, quantity, status in order.lines:
            order_rows.append([f"O{number:07d}", user, str(item), when, str(quantity), status])
    view_rows = [[str(u), str(p), stamp(s)] for s, u, p in sorted(views)]

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        "products.csv": _write(out_dir / "products.csv", PRODUCT_COLUMNS, product_rows),
        "orders.csv": _write(out_dir / "orders.csv", ORDER_COLUMNS, order_rows),
        "product_views.csv": _write(out_dir / "product_views.csv", VIEW_COLUMNS, view_rows),
    }
