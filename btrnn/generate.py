"""Seeded sample data for btrnn: a sports shop whose customers' children grow up.

Each user follows a favourite team and buys forward through the life stages (baby -> toddler ->
youth -> adult, never back), as in the paper's pacifier-clip example, with the noise real order
data has: random popular items, repeats, multi-item orders, cancellations, guests, duplicates.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

STAGES = ("baby", "toddler", "youth", "adult")
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"

TEAM_NAMES = (
    "Lions",
    "Eagles",
    "Sharks",
    "Wolves",
    "Falcons",
    "Tigers",
    "Rangers",
    "Comets",
    "Pirates",
    "Hawks",
    "Bulls",
    "Dragons",
)
PRODUCT_TYPES: dict[str, tuple[str, ...]] = {
    "baby": (
        "Pacifier Clip",
        "Bib",
        "Onesie",
        "Rattle",
        "Booties",
        "Blanket",
        "Beanie",
        "Sleepsuit",
        "Teether",
        "Feeding Bottle",
        "Mittens",
        "Soft Ball",
    ),
    "toddler": (
        "T-Shirt",
        "Sippy Cup",
        "Backpack",
        "Cap",
        "Hoodie",
        "Plush Mascot",
        "Socks",
        "Rain Jacket",
        "Pajamas",
        "Sneakers",
        "Lunchbox",
        "Bucket Hat",
    ),
    "youth": (
        "Jersey",
        "Football",
        "Shorts",
        "Training Top",
        "Sports Bag",
        "Shin Guards",
        "Headband",
        "Scarf",
        "Trading Cards",
        "Goalkeeper Gloves",
        "Tracksuit",
        "Poster",
    ),
    "adult": (
        "Replica Jersey",
        "Polo Shirt",
        "Mug",
        "Bar Scarf",
        "Snapback Cap",
        "Zip Hoodie",
        "Stadium Jacket",
        "Beer Glass",
        "Umbrella",
        "Keychain",
        "Flag",
        "Wallet",
    ),
}
_PRICE_RANGE = {"baby": (6, 35), "toddler": (9, 45), "youth": (12, 70), "adult": (9, 120)}
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_DAY = 86_400


@dataclass(frozen=True)
class GeneratorConfig:
    """Sizes and noise rates of the sample; the same config always gives the same bytes."""

    seed: int = 7
    n_users: int = 2500
    n_teams: int = 8
    products_per_team_stage: int = 12
    start: str = "2024-01-01 00:00:00"
    days: int = 365
    single_purchase_share: float = 0.12
    long_history_share: float = 0.30
    max_history: int = 30
    stage_weights: tuple[float, float, float, float] = (0.45, 0.25, 0.18, 0.12)
    second_team_share: float = 0.25
    second_team_pick: float = 0.3
    noise_share: float = 0.12
    repeat_share: float = 0.06
    multi_item_order_share: float = 0.2
    cancelled_order_share: float = 0.02
    reversal_share: float = 0.005
    duplicate_share: float = 0.004
    guest_order_share: float = 0.04
    views_per_purchase: float = 1.6
    # Views around a purchase: mostly the current stage, some the next, and some an earlier
    # stage of the same team (browsing the team's whole range). Views are symmetric, purchases
    # are not: Word2Vec on views puts baby items near youth ones, BTRNN must learn direction.
    next_stage_view_share: float = 0.25
    earlier_stage_view_share: float = 0.15
    view_bought_item: float = 0.8
    random_views_per_user: float = 2.0
    zipf_exponent: float = 1.1
    # Products listed at the end of the period, never viewed or bought: cold-start seeds.
    new_arrivals: int = 6

    def __post_init__(self) -> None:
        if not 1 <= self.n_teams <= len(TEAM_NAMES):
            raise ValueError(f"n_teams must be in 1..{len(TEAM_NAMES)}")
        if not 1 <= self.products_per_team_stage <= len(PRODUCT_TYPES["baby"]):
            raise ValueError(f"products_per_team_stage must be in 1..{len(PRODUCT_TYPES['baby'])}")
        if self.max_history < 12:
            raise ValueError("max_history must be >= 12")


@dataclass(frozen=True)
class _Catalogue:
    """Products by index (product_id - 1) with per-group and global popularity."""

    team: np.ndarray
    stage: np.ndarray
    groups: dict[tuple[int, int], np.ndarray]
    group_cdf: dict[tuple[int, int], np.ndarray]
    all_ids: np.ndarray
    global_cdf: np.ndarray


@dataclass
class _Order:
    seconds: int
    seq: int
    user_id: int | None
    lines: list[tuple[int, int, str]]


def _pick(rng: np.random.Generator, items: np.ndarray, cdf: np.ndarray) -> int:
    """One item drawn with the (unnormalised) cumulative weights `cdf`."""
    return int(items[np.searchsorted(cdf, rng.random() * cdf[-1], side="right")])


def _products(
    rng: np.random.Generator, config: GeneratorConfig, start: datetime
) -> tuple[list[list[str]], _Catalogue]:
    """Catalogue rows (ids in creation order, so they do not spell out team or stage)."""
    k = config.products_per_team_stage
    drafts: list[tuple[int, int, str, str]] = []
    for t in range(config.n_teams):
        for s, stage in enumerate(STAGES):
            low, high = _PRICE_RANGE[stage]
            for kind in PRODUCT_TYPES[stage][:k]:
                price = f"{int(rng.integers(low, high + 1)) - 0.01:.2f}"
                drafts.append((t, s, f"{TEAM_NAMES[t]} {stage.title()} {kind}", price))
    n = len(drafts)
    created = rng.integers(-730 * _DAY, -7 * _DAY, size=n)
    order = np.lexsort((np.arange(n), created))
    team = np.empty(n, dtype=np.int64)
    stage_of = np.empty(n, dtype=np.int64)
    rows: list[list[str]] = []
    for new_index, draft_index in enumerate(order):
        t, s, name, price = drafts[draft_index]
        team[new_index], stage_of[new_index] = t, s
        when = start + timedelta(seconds=int(created[draft_index]))
        rows.append(
            [str(new_index + 1), name, STAGES[s], TEAM_NAMES[t], price, when.strftime(_TIME_FORMAT)]
        )
    weight = np.zeros(n)
    groups: dict[tuple[int, int], np.ndarray] = {}
    group_cdf: dict[tuple[int, int], np.ndarray] = {}
    for t in range(config.n_teams):
        for s in range(len(STAGES)):
            ids = np.flatnonzero((team == t) & (stage_of == s)) + 1
            ranks = rng.permutation(len(ids)) + 1
            w = 1.0 / ranks.astype(float) ** config.zipf_exponent
            weight[ids - 1] = w
            groups[(t, s)] = ids
            group_cdf[(t, s)] = np.cumsum(w)
    catalogue = _Catalogue(
        team=team,
        stage=stage_of,
        groups=groups,
        group_cdf=group_cdf,
        all_ids=np.arange(1, n + 1),
        global_cdf=np.cumsum(weight),
    )
    return rows, catalogue


def _history_length(rng: np.random.Generator, config: GeneratorConfig) -> int:
    """Many short histories, a good share of long ones (sliding windows), some single ones."""
    r = rng.random()
    if r < config.single_purchase_share:
        return 1
    if r < config.single_purchase_share + config.long_history_share:
        return int(rng.integers(12, config.max_history + 1))
    return int(rng.integers(2, 12))


def _stage_plan(rng: np.random.Generator, config: GeneratorConfig, m: int) -> list[int]:
    """Stage of each purchase: 1-3 purchases per stage, then the next; adult is final."""
    weights = np.cumsum(config.stage_weights)
    stage = int(np.searchsorted(weights, rng.random() * weights[-1], side="right"))
    left = int(rng.integers(1, 4))
    plan = []
    for _ in range(m):
        if left == 0 and stage < len(STAGES) - 1:
            stage += 1
            left = int(rng.integers(1, 4))
        plan.append(stage)
        left -= 1
    return plan


def _order_sizes(rng: np.random.Generator, config: GeneratorConfig, m: int) -> list[int]:
    """Split m purchases into orders of 1 line, or 2-4 lines that share a timestamp."""
    sizes = []
    while m > 0:
        size = int(rng.integers(2, 5)) if rng.random() < config.multi_item_order_share else 1
        sizes.append(min(size, m))
        m -= sizes[-1]
    return sizes


def _order_times(rng: np.random.Generator, config: GeneratorConfig, k: int) -> list[int]:
    """k increasing order times (seconds from start), at least an hour apart."""
    times = sorted(int(x) for x in rng.integers(0, config.days * _DAY, size=k))
    for i in range(1, k):
        times[i] = max(times[i], times[i - 1] + 3600)
    return times


def _user_events(
    rng: np.random.Generator,
    config: GeneratorConfig,
    cat: _Catalogue,
    user_id: int,
    team_cdf: np.ndarray,
    orders: list[_Order],
    views: list[tuple[int, int, int]],
) -> None:
    """Append one user's orders (with cancellations, duplicates) and views."""
    teams = np.arange(config.n_teams)
    favourite = _pick(rng, teams, team_cdf)
    second = favourite
    if config.n_teams > 1 and rng.random() < config.second_team_share:
        while second == favourite:
            second = _pick(rng, teams, team_cdf)
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
            for _ in range(5):
                if noise:
                    item = _pick(rng, cat.all_ids, cat.global_cdf)
                elif earlier and rng.random() < config.repeat_share:
                    item = earlier[int(rng.integers(len(earlier)))]
                else:
                    team = second if rng.random() < config.second_team_pick else favourite
                    item = _pick(rng, cat.groups[(team, stage)], cat.group_cdf[(team, stage)])
                if item not in in_order:
                    break
            else:
                continue
            in_order.add(item)
            quantity = 1 if rng.random() < 0.9 else int(rng.integers(2, 4))
            lines.append((item, quantity, "completed"))
            if rng.random() < config.duplicate_share:
                lines.append((item, quantity, "completed"))
            if rng.random() < config.reversal_share:
                lines.append((item, -quantity, "cancelled"))
            _purchase_views(rng, config, cat, user_id, item, noise, seconds, views)
        for item, _, status in lines:
            if status == "completed" and item not in bought.get(int(cat.stage[item - 1]), []):
                bought.setdefault(int(cat.stage[item - 1]), []).append(item)
        orders.append(_Order(seconds, len(orders), user_id, lines))
        if rng.random() < config.cancelled_order_share:
            stage = plan[slot]
            item = _pick(rng, cat.groups[(favourite, stage)], cat.group_cdf[(favourite, stage)])
            later = seconds + int(rng.integers(600, _DAY))
            orders.append(_Order(later, len(orders), user_id, [(item, -1, "cancelled")]))
        slot += size
    for _ in range(int(rng.poisson(config.random_views_per_user))):
        item = _pick(rng, cat.all_ids, cat.global_cdf)
        views.append((int(rng.integers(0, config.days * _DAY)), user_id, item))


def _purchase_views(
    rng: np.random.Generator,
    config: GeneratorConfig,
    cat: _Catalogue,
    user_id: int,
    item: int,
    noise: bool,
    seconds: int,
    views: list[tuple[int, int, int]],
) -> None:
    """Views in the days before a purchase: the item, its team's current, next or earlier stages."""
    if rng.random() < (0.5 if noise else config.view_bought_item):
        views.append((seconds - int(rng.integers(300, 3 * _DAY)), user_id, item))
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
        viewed = _pick(rng, cat.groups[(team, s)], cat.group_cdf[(team, s)])
        views.append((seconds - int(rng.integers(300, 3 * _DAY)), user_id, viewed))


def _write(path: Path, header: list[str], rows: list[list[str]]) -> int:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


DEFAULT_CONFIG = GeneratorConfig()


def generate(out_dir: Path, config: GeneratorConfig = DEFAULT_CONFIG) -> dict[str, int]:
    """Writes products.csv, orders.csv, product_views.csv into out_dir.

    Returns row counts per file (header excluded).
    """
    rng = np.random.default_rng(config.seed)
    start = datetime.strptime(config.start, _TIME_FORMAT)
    product_rows, cat = _products(rng, config, start)

    team_ranks = rng.permutation(config.n_teams) + 1
    team_cdf = np.cumsum(1.0 / team_ranks.astype(float) ** 0.5)
    orders: list[_Order] = []
    views: list[tuple[int, int, int]] = []
    for user_id in range(1, config.n_users + 1):
        _user_events(rng, config, cat, user_id, team_cdf, orders, views)
    for _ in range(round(config.guest_order_share * len(orders))):
        lines = [(_pick(rng, cat.all_ids, cat.global_cdf), 1, "completed")]
        if rng.random() < 0.3:
            extra = _pick(rng, cat.all_ids, cat.global_cdf)
            if extra != lines[0][0]:
                lines.append((extra, 1, "completed"))
        seconds = int(rng.integers(0, config.days * _DAY))
        orders.append(_Order(seconds, len(orders), None, lines))

    def stamp(seconds: int) -> str:
        return (start + timedelta(seconds=seconds)).strftime(_TIME_FORMAT)

    for i in range(config.new_arrivals):
        team, stage = TEAM_NAMES[i % config.n_teams], STAGES[i % len(STAGES)]
        kind = PRODUCT_TYPES[stage][i % config.products_per_team_stage]
        product_rows.append(
            [
                str(len(product_rows) + 1),
                f"{team} {stage.title()} {kind} (new season)",
                stage,
                team,
                "29.99",
                stamp(config.days * _DAY),
            ]
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
        "products.csv": _write(
            out_dir / "products.csv",
            ["product_id", "name", "category", "team", "price", "created_at"],
            product_rows,
        ),
        "orders.csv": _write(
            out_dir / "orders.csv",
            ["order_id", "user_id", "product_id", "ordered_at", "quantity", "order_status"],
            order_rows,
        ),
        "product_views.csv": _write(
            out_dir / "product_views.csv", ["user_id", "product_id", "viewed_at"], view_rows
        ),
    }


def main(argv: list[str] | None = None) -> None:
    """`python -m btrnn.generate [--out DIR] [--seed N] [--users N]`: write the sample CSVs."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR)
    parser.add_argument("--seed", type=int, default=GeneratorConfig.seed)
    parser.add_argument("--users", type=int, default=GeneratorConfig.n_users)
    args = parser.parse_args(argv)
    counts = generate(args.out, GeneratorConfig(seed=args.seed, n_users=args.users))
    for name, rows in counts.items():
        print(f"{args.out / name}: {rows} rows")


if __name__ == "__main__":
    main()
