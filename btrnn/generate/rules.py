"""The shop's rules, in one place: sizes, noise rates, names, the catalogue and its popularity.

Both engines (the in-memory one that wrote data/sample, and the streaming one for paper scale)
read every rate and range from `GeneratorConfig` and the constants here, and draw the catalogue
with `build_catalogue`, so a rule changed here changes both.

Sizing at scale (`GeneratorConfig.scaled`): the planted signal is "a customer follows a team and
moves forward through its life stages". It stays learnable when each team x stage group is small
enough for its popular items to recur: about 100 items per team x stage (400 per team, Zipf
popularity inside a group), so 400,000 items are 990 teams plus 1% (4,000) new arrivals nobody
has bought or viewed (cold start); the remainder of an uneven split goes to them too. Team
popularity is Zipf with exponent 0.5, so with 1,000,000 users a team has ~1,000 customers
(median ~770, the most popular ~15,000), and an item ~24 purchases (median 6, the Zipf head
far more; ~94% of the items are bought at least once). Noise shares, ties, guests,
cancellations are the sample's. The order-line target is met by the share of long histories
(12..max_history purchases), falling back to more single-purchase users or longer histories at
the extremes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

STAGES = ("baby", "toddler", "youth", "adult")

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
PRICE_RANGE = {"baby": (6, 35), "toddler": (9, 45), "youth": (12, 70), "adult": (9, 120)}
NEW_ARRIVAL_PRICE = "29.99"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DAY = 86_400
# Products are listed 2 years to a week before the period; new arrivals at its end.
CREATED_RANGE = (-730 * DAY, -7 * DAY)
# Orders of one user are at least an hour apart; a cancelled order follows its order by
# 10 minutes to a day; views fall 5 minutes to 3 days before the purchase they lead to.
MIN_ORDER_GAP = 3600
CANCEL_DELAY = (600, DAY)
VIEW_LEAD = (300, 3 * DAY)
SHORT_HISTORY = (2, 11)  # inclusive; long histories are 12..max_history (windows of 12)
RUN_PER_STAGE = (1, 3)  # purchases per stage before moving on (inclusive)
ORDER_SIZE = (2, 4)  # lines of a multi-item order (inclusive)
EXTRA_QUANTITY = (2, 3)  # quantity when not 1 (inclusive)
MAX_ITEM_TRIES = 5  # draws to find an item not already in the order, else the line is skipped

ITEMS_PER_TEAM_STAGE = 100  # scaled catalogues: see the module docstring
NEW_ARRIVAL_SHARE = 0.01


@dataclass(frozen=True)
class GeneratorConfig:
    """Sizes and noise rates of the shop; the same config always gives the same data.

    The defaults are the bundled sample (data/sample); `scaled` sizes one for many more items,
    users and order lines.
    """

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
    team_zipf_exponent: float = 0.5
    second_team_share: float = 0.25
    second_team_pick: float = 0.3
    noise_share: float = 0.12
    repeat_share: float = 0.06
    multi_item_order_share: float = 0.2
    cancelled_order_share: float = 0.02
    reversal_share: float = 0.005
    duplicate_share: float = 0.004
    guest_order_share: float = 0.04
    guest_extra_item_share: float = 0.3
    quantity_one_share: float = 0.9
    views_per_purchase: float = 1.6
    # Views around a purchase: mostly the current stage, some the next, and some an earlier
    # stage of the same team (browsing the team's whole range). Views are symmetric, purchases
    # are not: Word2Vec on views puts baby items near youth ones, BTRNN must learn direction.
    next_stage_view_share: float = 0.25
    earlier_stage_view_share: float = 0.15
    view_bought_item: float = 0.8
    noise_view_bought_item: float = 0.5
    random_views_per_user: float = 2.0
    zipf_exponent: float = 1.1
    # Products listed at the end of the period, never viewed or bought: cold-start seeds.
    new_arrivals: int = 6

    def __post_init__(self) -> None:
        if self.n_teams < 1 or self.products_per_team_stage < 1 or self.n_users < 1:
            raise ValueError("n_teams, products_per_team_stage and n_users must be >= 1")
        if self.max_history < 12:
            raise ValueError("max_history must be >= 12")
        if self.new_arrivals < 0:
            raise ValueError("new_arrivals must be >= 0")
        if not 0 <= self.single_purchase_share + self.long_history_share <= 1:
            raise ValueError("single_purchase_share + long_history_share must be in [0, 1]")

    @property
    def n_items(self) -> int:
        """Catalogue size: teams x stages x products, plus the new arrivals."""
        return self.n_teams * len(STAGES) * self.products_per_team_stage + self.new_arrivals

    def expected_order_lines(self) -> float:
        """Order lines the config gives on average (within ~2% of a run at 100k+ users)."""
        return self.n_users * _lines_per_user(self, _mean_history(self))

    @classmethod
    def scaled(
        cls,
        items: int,
        users: int,
        order_lines: int | None = None,
        base: GeneratorConfig | None = None,
    ) -> GeneratorConfig:
        """A config of about `items` items, `users` users and `order_lines` order lines.

        Teams of ~100 items per stage (see the module docstring); the other rates are `base`'s.
        """
        base = base or cls()
        if items < len(STAGES) + 1:
            raise ValueError(f"items must be >= {len(STAGES) + 1}")
        new = max(1, round(items * NEW_ARRIVAL_SHARE))
        core = items - new
        teams = max(1, round(core / (len(STAGES) * ITEMS_PER_TEAM_STAGE)))
        per_group = max(1, core // (len(STAGES) * teams))
        new = items - teams * len(STAGES) * per_group
        config = replace(
            base, n_users=users, n_teams=teams, products_per_team_stage=per_group, new_arrivals=new
        )
        if order_lines is None:
            return config
        return _with_history_for(config, order_lines / users)


def _mean_history(config: GeneratorConfig) -> float:
    s, long = config.single_purchase_share, config.long_history_share
    short = (SHORT_HISTORY[0] + SHORT_HISTORY[1]) / 2
    return s + (1 - s - long) * short + long * (12 + config.max_history) / 2


# Calibrated on runs of the streaming engine: lines lost to in-order duplicates that found no
# other item (~1%) and the shorter last order of a history.
_LINE_CALIBRATION = 0.99


def _lines_per_user(config: GeneratorConfig, purchases: float) -> float:
    """Order lines per user with `purchases` purchases on average, guests included."""
    multi = config.multi_item_order_share
    mean_order = 1 + multi * ((ORDER_SIZE[0] + ORDER_SIZE[1]) / 2 - 1)
    orders = 0.5 + purchases / mean_order  # the last order of a history is often cut short
    own = purchases * _LINE_CALIBRATION * (1 + config.duplicate_share + config.reversal_share)
    own += orders * config.cancelled_order_share
    guest_orders = config.guest_order_share * orders * (1 + config.cancelled_order_share)
    return own + guest_orders * (1 + config.guest_extra_item_share)


def _with_history_for(config: GeneratorConfig, lines_per_user: float) -> GeneratorConfig:
    """The history-length mix whose expected order lines per user is `lines_per_user`."""
    low, high = 0.0, 10_000.0  # bisect the mean purchases per user
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if _lines_per_user(config, mid) < lines_per_user else (low, mid)
    target = max(1.0, low)
    s = config.single_purchase_share
    short = (SHORT_HISTORY[0] + SHORT_HISTORY[1]) / 2
    long_mean = (12 + config.max_history) / 2
    if target <= s + (1 - s) * short:  # few purchases: no long histories, more single ones
        single = min(1.0, max(0.0, (short - target) / (short - 1)))
        return replace(config, single_purchase_share=single, long_history_share=0.0)
    share = (target - s - (1 - s) * short) / (long_mean - short)
    if share <= 1 - s:
        return replace(config, long_history_share=share)
    # many purchases: everyone but the single-purchase users has a long history, longer ones
    max_history = max(12, round(2 * (target - s) / (1 - s) - 12))
    return replace(config, long_history_share=1 - s, max_history=max_history)


PRESETS: dict[str, GeneratorConfig] = {
    "sample": GeneratorConfig(),
    # The paper's shop: 0.4M items, 1M customers; 10M order lines (the paper's order count is
    # not given; 10 lines per customer keeps the sample's mix of short and long histories).
    "paper": GeneratorConfig.scaled(items=400_000, users=1_000_000, order_lines=10_150_000),
}


def team_name(team: int) -> str:
    """The sample's 12 names, then numbered clubs: "Lions", ..., "Dragons", "Lions 2", ..."""
    base = TEAM_NAMES[team % len(TEAM_NAMES)]
    return base if team < len(TEAM_NAMES) else f"{base} {team // len(TEAM_NAMES) + 1}"


def product_kind(stage: str, index: int) -> str:
    """The stage's 12 product types, then numbered variants: "Bib", ..., "Bib 2", ..."""
    kinds = PRODUCT_TYPES[stage]
    base = kinds[index % len(kinds)]
    return base if index < len(kinds) else f"{base} {index // len(kinds) + 1}"


@dataclass(frozen=True)
class Catalogue:
    """Products by index (product_id - 1), before the new arrivals, with their popularity.

    `by_group` lists product ids group after group (group = team * 4 + stage), ascending inside
    a group; `group_cum` is the running sum of their weights, so a draw from group g is a
    searchsorted of a uniform in [group_cum_start[g], group_cum_end[g]).
    """

    team: np.ndarray
    stage: np.ndarray
    kind: np.ndarray
    price_units: np.ndarray  # whole currency units; the price is this minus 0.01
    created: np.ndarray  # seconds from the start of the period (negative)
    weight: np.ndarray
    global_cdf: np.ndarray
    by_group: np.ndarray
    group_bounds: np.ndarray  # (n_groups + 1,) offsets into by_group
    group_cum: np.ndarray
    group_cum_start: np.ndarray
    group_cum_end: np.ndarray
    all_ids: np.ndarray = field(repr=False)

    @property
    def n_groups(self) -> int:
        return len(self.group_bounds) - 1

    def group(self, team: int, stage: int) -> np.ndarray:
        g = team * len(STAGES) + stage
        return self.by_group[self.group_bounds[g] : self.group_bounds[g + 1]]

    def pick_global(self, u: np.ndarray) -> np.ndarray:
        """Vectorised popularity draw over all products (u uniform in [0, 1))."""
        return self.all_ids[np.searchsorted(self.global_cdf, u * self.global_cdf[-1], "right")]

    def pick_group(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Vectorised Zipf draw inside each purchase's team x stage group."""
        start, end = self.group_cum_start[group], self.group_cum_end[group]
        at = np.searchsorted(self.group_cum, start + u * (end - start), "right")
        at = np.clip(at, self.group_bounds[group], self.group_bounds[group + 1] - 1)
        return self.by_group[at]

    def names(self) -> list[str]:
        return [
            f"{team_name(int(t))} {STAGES[s].title()} {product_kind(STAGES[s], int(k))}"
            for t, s, k in zip(self.team, self.stage, self.kind, strict=True)
        ]


def build_catalogue(rng: np.random.Generator, config: GeneratorConfig) -> Catalogue:
    """Products in creation order (ids do not spell out team or stage), Zipf inside a group.

    Draws in the order the sample has always used (prices, creation times, then one rank
    permutation per group), so data/sample stays byte-identical.
    """
    k, n_stages = config.products_per_team_stage, len(STAGES)
    draft_team = np.repeat(np.arange(config.n_teams), n_stages * k)
    draft_stage = np.tile(np.repeat(np.arange(n_stages), k), config.n_teams)
    draft_kind = np.tile(np.arange(k), config.n_teams * n_stages)
    lows = np.array([PRICE_RANGE[s][0] for s in STAGES])[draft_stage]
    highs = np.array([PRICE_RANGE[s][1] for s in STAGES])[draft_stage]
    price_units = rng.integers(lows, highs + 1)
    n = len(draft_team)
    created = rng.integers(*CREATED_RANGE, size=n)
    order = np.lexsort((np.arange(n), created))
    team, stage = draft_team[order], draft_stage[order]
    group_of = team * n_stages + stage
    by_group = np.argsort(group_of, kind="stable") + 1
    bounds = np.searchsorted(group_of[by_group - 1], np.arange(config.n_teams * n_stages + 1))
    weight = np.zeros(n)
    for g in range(config.n_teams * n_stages):
        ids = by_group[bounds[g] : bounds[g + 1]]
        ranks = rng.permutation(len(ids)) + 1
        weight[ids - 1] = 1.0 / ranks.astype(float) ** config.zipf_exponent
    group_cum = np.cumsum(weight[by_group - 1])
    cum_start = np.concatenate(([0.0], group_cum))[bounds[:-1]]
    return Catalogue(
        team=team,
        stage=stage,
        kind=draft_kind[order],
        price_units=price_units[order],
        created=created[order],
        weight=weight,
        global_cdf=np.cumsum(weight),
        by_group=by_group,
        group_bounds=bounds,
        group_cum=group_cum,
        group_cum_start=cum_start,
        group_cum_end=group_cum[bounds[1:] - 1],
        all_ids=np.arange(1, n + 1),
    )


def team_cdf(rng: np.random.Generator, config: GeneratorConfig) -> np.ndarray:
    """Cumulative (unnormalised) team popularity: Zipf over a random order of the teams."""
    ranks = rng.permutation(config.n_teams) + 1
    return np.cumsum(1.0 / ranks.astype(float) ** config.team_zipf_exponent)


def new_arrivals(config: GeneratorConfig) -> tuple[list[str], list[str], list[str]]:
    """Names, categories and teams of the new arrivals, spread over teams, stages and kinds."""
    names, categories, teams = [], [], []
    for i in range(config.new_arrivals):
        team, stage = team_name(i % config.n_teams), STAGES[i % len(STAGES)]
        kind = product_kind(stage, i % config.products_per_team_stage)
        names.append(f"{team} {stage.title()} {kind} (new season)")
        categories.append(stage)
        teams.append(team)
    return names, categories, teams


def start_time(config: GeneratorConfig) -> datetime:
    return datetime.strptime(config.start, TIME_FORMAT)


def configure(
    preset: str = "sample",
    items: int | None = None,
    users: int | None = None,
    order_lines: int | None = None,
    views_per_purchase: float | None = None,
    seed: int | None = None,
) -> GeneratorConfig:
    """The preset with the sizes given: items re-size the catalogue (`scaled`), order lines the
    history-length mix; what is not given stays the preset's."""
    config = PRESETS[preset]
    if users is not None:
        config = replace(config, n_users=users)
    if items is not None:
        config = GeneratorConfig.scaled(items=items, users=config.n_users, base=config)
    if order_lines is not None:
        config = _with_history_for(config, order_lines / config.n_users)
    if views_per_purchase is not None:
        config = replace(config, views_per_purchase=views_per_purchase)
    return config if seed is None else replace(config, seed=seed)
