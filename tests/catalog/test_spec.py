"""Catalog files: the example loads, dump/load round-trips, and every mistake is named.

Each bad input asserts the exact field path and ``file:line``: a message that points at
the wrong line sends a person to fix the wrong thing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from textwrap import dedent, indent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revbridge.catalog.model import (
    Aggregation,
    Catalog,
    Filter,
    FilterOp,
    Meter,
    Plan,
    Price,
    PriceModel,
    Tier,
    Timing,
)
from revbridge.catalog.spec import dump_catalog, load_catalog, load_catalog_file
from revbridge.domain.period import Interval
from revbridge.errors import Problem, ValidationErrors

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml"

# One meter and one USD plan; the prices a test writes start on line 11.
FRAME = """\
meters:
  - code: api_calls
    event_type: api.request
    aggregation: count
plans:
  - code: pro
    name: Pro
    currency: USD
    interval: month
    prices:
"""
PRICES_LINE = 11


def with_prices(prices: str) -> str:
    """A catalog whose only plan has ``prices`` (YAML list items, written from column 0)."""
    return FRAME + indent(dedent(prices), "      ")


def tiered(*tiers: str, model: str = "graduated") -> str:
    """A metered price with ``tiers`` (flow mappings); its tiers start on its line 5."""
    head = f"- code: api\n  model: {model}\n  meter: api_calls\n  tiers:\n"
    return head + "".join(f"    - {t}\n" for t in tiers)


def at(n: int) -> str:
    """The source of line ``n`` of the prices written with ``with_prices``."""
    return f"cat.yaml:{PRICES_LINE + n - 1}"


def problems(text: str) -> list[Problem]:
    with pytest.raises(ValidationErrors) as info:
        load_catalog(text, "cat.yaml")
    return info.value.problems


def only_problem(text: str) -> Problem:
    found = problems(text)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


# --- the example file ------------------------------------------------------------------


def test_example_file_loads() -> None:
    catalog = load_catalog_file(EXAMPLE)

    assert [m.code for m in catalog.meters] == [
        "api_calls",
        "storage_gb",
        "tokens",
        "active_projects",
        "payment_volume",
    ]
    assert [(p.code, p.currency) for p in catalog.plans] == [
        ("starter", "USD"),
        ("growth", "USD"),
        ("enterprise", "USD"),
        ("growth_eu", "EUR"),
    ]
    api_calls = catalog.meters[0]
    assert api_calls.aggregation is Aggregation.COUNT
    assert api_calls.filters == (Filter("status", FilterOp.NOT_IN, ("500", "502", "503", "504")),)
    assert api_calls.group_by == ("region",)
    starter_api = catalog.plans[0].price("api_calls")
    assert starter_api.timing is Timing.IN_ARREARS
    assert starter_api.included_quantity == Decimal(10000)
    assert starter_api.tiers[0] == Tier(Decimal(100000), Decimal("0.0015"))
    assert starter_api.tiers[-1].up_to is None
    seats = catalog.plans[1].price("seats")
    assert seats.is_seat and seats.timing is Timing.IN_ADVANCE
    lines = EXAMPLE.read_text().splitlines()
    assert lines[catalog.lines["plan:growth"] - 1] == "  - code: growth"
    assert lines[catalog.lines["price:growth/seats"] - 1] == "      - code: seats"


def test_example_file_round_trips() -> None:
    catalog = load_catalog_file(EXAMPLE)
    assert load_catalog(dump_catalog(catalog), "dumped.yaml") == catalog


def test_lines_point_at_codes_keys_and_tiers() -> None:
    catalog = load_catalog(
        with_prices("""\
            - code: api
              model: graduated
              meter: api_calls
              tiers:
                - {up_to: 10, unit_price: "1"}
                - {up_to: null, unit_price: "0.5"}
            """),
        "cat.yaml",
    )
    assert catalog.lines["meter:api_calls"] == 2
    assert catalog.lines["plan:pro"] == 6
    assert catalog.lines["plan:pro.currency"] == 8
    assert catalog.lines["price:pro/api"] == PRICES_LINE
    assert catalog.lines["price:pro/api.meter"] == PRICES_LINE + 2
    assert catalog.lines["price:pro/api.tiers[1]"] == PRICES_LINE + 5


# --- reading values --------------------------------------------------------------------


def test_bare_yaml_floats_are_read_from_their_text() -> None:
    catalog = load_catalog(
        with_prices("""\
            - code: api
              model: per_unit
              meter: api_calls
              amount: 0.0015
            - code: seats
              model: per_unit
              amount: 0.1
            """),
        "cat.yaml",
    )
    prices = catalog.plans[0].prices
    assert prices[0].amount == Decimal("0.0015")
    assert str(prices[0].amount) == "0.0015"
    assert str(prices[1].amount) == "0.1"
    assert "0.0015" in dump_catalog(catalog)


def test_timing_defaults_follow_what_is_billed() -> None:
    catalog = load_catalog(
        with_prices("""\
            - {code: base, model: flat, amount: 10}
            - {code: seats, model: per_unit, amount: 5}
            - {code: api, model: per_unit, meter: api_calls, amount: "0.01"}
            - {code: late, model: flat, amount: 1, timing: in_arrears}
            """),
        "cat.yaml",
    )
    timings = [p.timing for p in catalog.plans[0].prices]
    assert timings == [Timing.IN_ADVANCE, Timing.IN_ADVANCE, Timing.IN_ARREARS, Timing.IN_ARREARS]


def test_filter_shapes() -> None:
    text = dedent("""\
        meters:
          - code: calls
            event_type: api.request
            aggregation: count
            filters:
              - {property: region, in: [eu, us]}
              - {property: tier, eq: gold}
              - {property: status, not_in: [500, 503]}
              - {property: internal, ne: true}
              - {property: customer, exists: true}
        plans: []
        """)
    filters = load_catalog(text, "cat.yaml").meters[0].filters
    assert filters == (
        Filter("region", FilterOp.IN, ("eu", "us")),
        Filter("tier", FilterOp.EQ, ("gold",)),
        Filter("status", FilterOp.NOT_IN, ("500", "503")),
        Filter("internal", FilterOp.NE, ("true",)),
        Filter("customer", FilterOp.EXISTS),
    )
    assert filters[2].matches({"status": 200}) and not filters[2].matches({"status": 503})


# --- the named bad inputs --------------------------------------------------------------


def test_malformed_yaml_names_line_and_column() -> None:
    problem = only_problem("plans:\n  - code: pro\n    name: [unclosed\n")
    assert problem.field == "(syntax)"
    assert problem.source is not None and problem.source.startswith("cat.yaml:")
    line, column = problem.source.split(":")[1:]
    assert (int(line), int(column)) == (4, 1)  # where the parser gave up: end of input


def test_malformed_yaml_bad_indentation() -> None:
    problem = only_problem("plans:\n  - code: pro\n   name: Pro\n")
    assert problem.field == "(syntax)"
    assert problem.source == "cat.yaml:3:4"  # the over-indented key


def test_unknown_meter_in_a_price() -> None:
    problem = only_problem(
        with_prices("""\
            - code: storage
              model: per_unit
              meter: storage_gb
              amount: "0.10"
            """)
    )
    assert problem.field == "plans[0].prices[0].meter"
    assert problem.source == at(3)
    assert problem.value == "storage_gb"
    assert "declared: api_calls" in problem.reason


def test_tiers_out_of_order() -> None:
    problem = only_problem(
        with_prices("""\
            - code: api
              model: graduated
              meter: api_calls
              tiers:
                - {up_to: 1000, unit_price: "0.002"}
                - {up_to: 100, unit_price: "0.001"}
                - {up_to: null, unit_price: "0.0005"}
            """)
    )
    assert problem.field == "plans[0].prices[0].tiers[1].up_to"
    assert problem.source == at(6)
    assert problem.reason == "tiers must ascend, got 100 after 1000"


def test_overlapping_tiers_repeat_a_bound() -> None:
    problem = only_problem(
        with_prices("""\
            - code: api
              model: volume
              meter: api_calls
              tiers:
                - {up_to: 1000, unit_price: "0.002"}
                - {up_to: 1000, unit_price: "0.001"}
                - {up_to: null, unit_price: "0.0005"}
            """)
    )
    assert problem.field == "plans[0].prices[0].tiers[1].up_to"
    assert problem.source == at(6)
    assert "overlaps the previous tier" in problem.reason


@pytest.mark.parametrize(("start", "word"), [("500", "overlaps"), ("1001", "leaves a gap after")])
def test_tier_from_must_meet_the_previous_tier(start: str, word: str) -> None:
    problem = only_problem(
        with_prices(f"""\
            - code: api
              model: graduated
              meter: api_calls
              tiers:
                - {{from: 0, up_to: 1000, unit_price: "0.002"}}
                - {{from: {start}, up_to: null, unit_price: "0.001"}}
            """)
    )
    assert problem.field == "plans[0].prices[0].tiers[1].from"
    assert problem.source == at(6)
    assert problem.reason.startswith(f"{word} the previous tier")
    assert "write from: 1000" in problem.reason


def test_negative_price() -> None:
    problem = only_problem(with_prices('- {code: base, model: flat, amount: "-49.00"}\n'))
    assert problem.field == "plans[0].prices[0].amount"
    assert problem.source == at(1)
    assert problem.reason == "must not be negative"
    assert problem.value == "-49.00"


def test_unknown_key_suggests_the_intended_one() -> None:
    problem = only_problem(
        with_prices("""\
            - code: base
              model: flat
              amount: "49"
              timming: in_advance
            """)
    )
    assert problem.field == "plans[0].prices[0].timming"
    assert problem.source == at(4)
    assert problem.reason == "unknown key; did you mean 'timing'?"


def test_missing_required_key() -> None:
    text = (
        FRAME.replace("    currency: USD\n", "") + "      - {code: base, model: flat, amount: 1}\n"
    )
    problem = only_problem(text)
    assert problem.field == "plans[0].currency"
    assert problem.reason == "required"
    assert problem.source == "cat.yaml:6"  # the plan's first line


def test_bad_currency() -> None:
    text = (
        FRAME.replace("currency: USD", "currency: USDX")
        + "      - {code: b, model: flat, amount: 1}\n"
    )
    problem = only_problem(text)
    assert problem.field == "plans[0].currency"
    assert problem.source == "cat.yaml:8"
    assert problem.value == "USDX"
    assert "ISO 4217" in problem.reason


def test_several_problems_are_reported_at_once_in_line_order() -> None:
    text = dedent("""\
        meters:
          - code: api_calls
            event_type: api.request
            aggregation: sum
        plans:
          - code: Pro
            name: Pro
            currency: usd
            interval: week
            prices:
              - code: api
                model: graduated
                meter: api_call
                tiers:
                  - {up_to: 10, unit_price: "-1"}
                  - {up_to: null, unit_price: "1"}
        """)
    found = [(p.source, p.field) for p in problems(text)]
    assert found == [
        ("cat.yaml:2", "meters[0].value_property"),
        ("cat.yaml:6", "plans[0].code"),
        ("cat.yaml:8", "plans[0].currency"),
        ("cat.yaml:9", "plans[0].interval"),
        ("cat.yaml:13", "plans[0].prices[0].meter"),
        ("cat.yaml:15", "plans[0].prices[0].tiers[0].unit_price"),
    ]


# --- more refusals, one line each ------------------------------------------------------

REFUSED = [
    # (prices YAML, field under plans[0].prices[0], line within the prices, reason part)
    (
        "- {code: base, model: flat, amount: 1}\n- {code: base, model: flat, amount: 2}\n",
        "plans[0].prices[1].code",
        2,
        "another price already uses this code, on line 11",
    ),
    ("- {code: Base, model: flat, amount: 1}\n", "code", 1, "lowercase identifier"),
    ("- {code: base, model: flatt, amount: 1}\n", "model", 1, "expected one of flat, per_unit"),
    ("- {code: base, model: flat}\n", "amount", 1, "required for flat prices"),
    (
        "- {code: base, model: flat, amount: 1, meter: api_calls}\n",
        "meter",
        1,
        "not used by flat prices",
    ),
    (
        "- {code: api, model: graduated, meter: api_calls, tiers: []}\n",
        "tiers",
        1,
        "at least one entry",
    ),
    (
        "- {code: api, model: per_unit, meter: api_calls, amount: 1, timing: in_advance}\n",
        "timing",
        1,
        "metered prices bill in_arrears",
    ),
    (
        "- {code: api, model: per_unit, meter: api_calls, amount: 1, tiers: [{up_to: null, unit_price: 1}]}\n",
        "tiers",
        1,
        "not used by per_unit prices",
    ),
    (
        "- {code: seats, model: per_unit, amount: 1, included_quantity: 5}\n",
        "included_quantity",
        1,
        "only metered prices",
    ),
    (
        "- {code: seats, model: per_unit, amount: 1, revenue_rule: consumption}\n",
        "revenue_rule",
        1,
        "needs a meter",
    ),
    (
        "- {code: api, model: per_unit, meter: api_calls, amount: 1, revenue_rule: spread}\n",
        "revenue_rule",
        1,
        "expected one of ratable, consumption",
    ),
    (
        "- {code: api, model: per_unit, meter: api_calls, amount: 0.0000000000001}\n",
        "amount",
        1,
        "at most 12 digits after the decimal point",
    ),
    (
        "- {code: api, model: per_unit, meter: api_calls, amount: 1.5.2}\n",
        "amount",
        1,
        "expected a decimal number",
    ),
    (
        "- {code: api, model: per_unit, meter: api_calls, amount: true}\n",
        "amount",
        1,
        "expected a decimal number",
    ),
    (
        "- {code: api, model: per_unit, meter: api_calls, amount: .nan}\n",
        "amount",
        1,
        "expected a decimal number",
    ),
    (
        "- {code: api, model: package, meter: api_calls, amount: 2, package_size: 0}\n",
        "package_size",
        1,
        "must be greater than 0",
    ),
    (
        "- {code: api, model: package, meter: api_calls, amount: 2}\n",
        "package_size",
        1,
        "required for package prices",
    ),
    (
        "- {code: fee, model: percentage, meter: api_calls, percent: 100.5}\n",
        "percent",
        1,
        "at most 100",
    ),
    (
        "- {code: fee, model: percentage, meter: api_calls, percent: 0}\n",
        "percent",
        1,
        "greater than 0",
    ),
    (
        "- {code: fee, model: percentage, percent: 2.9}\n",
        "meter",
        1,
        "required for percentage prices",
    ),
    (
        "- {code: base, model: flat, amount: 1, currency: EUR}\n",
        "currency",
        1,
        "must equal the plan's currency (USD)",
    ),
    (
        "- {code: base, model: flat, amount: 1, interval: year}\n",
        "interval",
        1,
        "must equal the plan's interval (month)",
    ),
    ("- {code: base, model: flat, amount: 1, name: '  '}\n", "name", 1, "must not be blank"),
    (
        "- {code: base, model: flat, amount: 1, minimum_amount: 5}\n",
        "minimum_amount",
        1,
        "not used by flat prices",
    ),
    (
        "- {code: api, model: per_unit, meter: api_calls, amount: 1, minimum_amount: -5}\n",
        "minimum_amount",
        1,
        "must not be negative",
    ),
    (
        tiered(
            "{up_to: null, unit_price: 1}",
            "{up_to: 10, unit_price: 1}",
            "{up_to: null, unit_price: 1}",
        ),
        "tiers[0].up_to",
        5,
        "only the last tier may be open",
    ),
    (
        tiered("{up_to: 10, unit_price: 1}", "{up_to: 20, unit_price: 1}"),
        "tiers[1].up_to",
        6,
        "the last tier must be open",
    ),
    (
        tiered("{up_to: 0, unit_price: 1}", "{up_to: null, unit_price: 1}"),
        "tiers[0].up_to",
        5,
        "must be greater than 0",
    ),
    (
        tiered("{up_to: 10}", "{up_to: null, unit_price: 1}"),
        "tiers[0]",
        5,
        "a tier needs a unit_price, a flat_fee or both",
    ),
    (tiered("{unit_price: 1}"), "tiers[0].up_to", 5, "required"),
    (
        tiered("{up_to: null, unit_price: 1, flat_fee: -3}", model="volume"),
        "tiers[0].flat_fee",
        5,
        "must not be negative",
    ),
    (
        "- code: base\n  model: flat\n  amount: 1\n  amount: 2\n",
        "amount",
        4,
        "repeated key; it is first written on line 13",
    ),
]


@pytest.mark.parametrize(
    ("prices", "field", "line", "reason"), REFUSED, ids=[f"{f}: {r}" for _, f, _, r in REFUSED]
)
def test_refused_price(prices: str, field: str, line: int, reason: str) -> None:
    problem = only_problem(with_prices(prices))
    expected_field = field if field.startswith("plans") else f"plans[0].prices[0].{field}"
    assert (problem.field, problem.source) == (expected_field, at(line))
    assert reason in problem.reason


METER_REFUSED = [
    # (meter YAML, field under meters[0], line, reason part)
    (
        "{code: c, event_type: e, aggregation: count, value_property: n}",
        "value_property",
        "not used by count meters",
    ),
    ("{code: c, event_type: e, aggregation: latest}", "value_property", "required for latest"),
    (
        "{code: c, event_type: e, aggregation: average, value_property: n}",
        "aggregation",
        "expected one of count, sum, max, unique_count, latest",
    ),
    ("{code: c, event_type: '', aggregation: count}", "event_type", "must not be blank"),
    (
        "{code: c, event_type: e, aggregation: count, group_by: region}",
        "group_by",
        "expected a list",
    ),
    (
        "{code: c, event_type: e, aggregation: count, group_by: [a, a]}",
        "group_by[1]",
        "repeated property",
    ),
    (
        "{code: c, event_type: e, aggregation: count, filters: [{property: a, eq: 1, ne: 2}]}",
        "filters[0]",
        "exactly one of eq, ne, in, not_in, exists",
    ),
    (
        "{code: c, event_type: e, aggregation: count, filters: [{property: a, in: []}]}",
        "filters[0].in",
        "non-empty list",
    ),
    (
        "{code: c, event_type: e, aggregation: count, filters: [{property: a, exists: false}]}",
        "filters[0].exists",
        "write exists: true",
    ),
    (
        "{code: c, event_type: e, aggregation: count, filters: [{property: a, eq: [1]}]}",
        "filters[0].eq",
        "expected a plain value",
    ),
    (
        "{code: c, event_type: e, aggregation: count, filters: [{eq: 1}]}",
        "filters[0].property",
        "required",
    ),
]


@pytest.mark.parametrize(
    ("meter", "field", "reason"), METER_REFUSED, ids=[f"{f}: {r}" for _, f, r in METER_REFUSED]
)
def test_refused_meter(meter: str, field: str, reason: str) -> None:
    problem = only_problem(f"meters:\n  - {meter}\nplans: []\n")
    assert (problem.field, problem.source) == (f"meters[0].{field}", "cat.yaml:2")
    assert reason in problem.reason


def test_codes_are_unique_per_kind_not_across_kinds() -> None:
    text = dedent("""\
        meters:
          - {code: api, event_type: a, aggregation: count}
          - {code: api, event_type: b, aggregation: count}
        plans:
          - code: api
            name: API
            currency: USD
            interval: month
            prices:
              - {code: api, model: per_unit, meter: api, amount: 1}
        """)
    problem = only_problem(text)
    assert (problem.field, problem.source) == ("meters[1].code", "cat.yaml:3")


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("", "(file)", "the file is empty"),
        ("- 1\n", "(file)", "expected a mapping"),
        ("meters: []\n", "plans", "required"),
        ("plans:\n", "plans", "must have a value"),
        ("plans: []\nversion: 2\n", "version", "unknown key"),
        ("plans: []\n<<: {meters: []}\n", "(file)", "merge keys are not supported"),
    ],
)
def test_refused_file(text: str, field: str, reason: str) -> None:
    problem = only_problem(text)
    assert problem.field == field
    assert reason in problem.reason


def test_plan_numbers_are_checked() -> None:
    text = (
        FRAME.replace(
            "    interval: month\n",
            "    interval: month\n    trial_days: -1\n    minimum_commitment: -5\n",
        )
        + "      - {code: b, model: flat, amount: 1}\n"
    )
    found = [(p.field, p.source, p.reason) for p in problems(text)]
    assert found == [
        ("plans[0].trial_days", "cat.yaml:10", "must not be negative"),
        ("plans[0].minimum_commitment", "cat.yaml:11", "must not be negative"),
    ]


def test_problem_message_reads_file_line_field_reason_value() -> None:
    problem = only_problem(with_prices('- {code: base, model: flat, amount: "-1"}\n'))
    assert str(problem) == "cat.yaml:11: plans[0].prices[0].amount: must not be negative (got '-1')"


# --- round trip ---------------------------------------------------------------------------

codes = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(str.strip)
labels = st.one_of(st.just(""), words)


def decimals(low: int = 0, high: int = 10**9, places: int = 12) -> st.SearchStrategy[Decimal]:
    """Exact decimals built from integers, never from floats."""
    return st.builds(
        lambda n, p: Decimal(n).scaleb(-p), st.integers(low, high), st.integers(0, places)
    )


def filters() -> st.SearchStrategy[Filter]:
    value = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
    return st.one_of(
        st.builds(Filter, words, st.sampled_from([FilterOp.EQ, FilterOp.NE]), st.tuples(value)),
        st.builds(
            Filter,
            words,
            st.sampled_from([FilterOp.IN, FilterOp.NOT_IN]),
            st.lists(value, min_size=1, max_size=3).map(tuple),
        ),
        st.builds(Filter, words, st.just(FilterOp.EXISTS)),
    )


@st.composite
def meters(draw: st.DrawFn, code: str) -> Meter:
    aggregation = draw(st.sampled_from(Aggregation))
    counted = aggregation is Aggregation.COUNT
    return Meter(
        code=code,
        event_type=draw(words),
        aggregation=aggregation,
        name=draw(labels),
        value_property=None if counted else draw(words),
        group_by=tuple(draw(st.lists(words, max_size=3, unique=True))),
        filters=tuple(draw(st.lists(filters(), max_size=3))),
    )


@st.composite
def tier_lists(draw: st.DrawFn) -> tuple[Tier, ...]:
    bounds = sorted(draw(st.sets(decimals(1, 10**6, 3), max_size=3)))
    ups: list[Decimal | None] = [*bounds, None]
    return tuple(Tier(up, draw(decimals()), draw(decimals(places=2))) for up in ups)


@st.composite
def prices(draw: st.DrawFn, code: str, meter_codes: list[str]) -> Price:
    models = [m for m in PriceModel if meter_codes or m is not PriceModel.PERCENTAGE]
    model = draw(st.sampled_from(models))
    meter = None
    if model is PriceModel.PERCENTAGE or (model is not PriceModel.FLAT and meter_codes):
        meter = draw(st.sampled_from(meter_codes))
        if model is not PriceModel.PERCENTAGE:
            meter = draw(st.sampled_from([meter, None]))
    needs_amount = model in (PriceModel.FLAT, PriceModel.PER_UNIT, PriceModel.PACKAGE)
    tiered = model in (PriceModel.GRADUATED, PriceModel.VOLUME)
    return Price(
        code=code,
        model=model,
        timing=Timing.IN_ARREARS if meter else draw(st.sampled_from(Timing)),
        name=draw(labels),
        meter=meter,
        amount=draw(decimals()) if needs_amount else None,
        tiers=draw(tier_lists()) if tiered else (),
        package_size=draw(decimals(1, 10**6, 0)) if model is PriceModel.PACKAGE else None,
        percent=draw(decimals(1, 10000, 0).map(lambda d: d.scaleb(-2)))
        if model is PriceModel.PERCENTAGE
        else None,
        included_quantity=draw(decimals(0, 10**6, 2)) if meter else Decimal(0),
        minimum_amount=draw(st.none() | decimals(places=2))
        if model is not PriceModel.FLAT
        else None,
        revenue_rule=draw(st.sampled_from(["ratable", "consumption"])) if meter else "ratable",
    )


@st.composite
def plans(draw: st.DrawFn, code: str, meter_codes: list[str]) -> Plan:
    price_codes = draw(st.lists(codes, min_size=1, max_size=4, unique=True))
    return Plan(
        code=code,
        name=draw(words),
        currency=draw(st.sampled_from(["USD", "EUR", "JPY", "KWD"])),
        interval=draw(st.sampled_from(Interval)),
        prices=tuple(draw(prices(c, meter_codes)) for c in price_codes),
        description=draw(labels),
        minimum_commitment=draw(st.none() | decimals(places=2)),
        trial_days=draw(st.integers(0, 90)),
    )


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    meter_codes = draw(st.lists(codes, max_size=3, unique=True))
    plan_codes = draw(st.lists(codes, max_size=3, unique=True))
    return Catalog(
        meters=tuple(draw(meters(c)) for c in meter_codes),
        plans=tuple(draw(plans(c, meter_codes)) for c in plan_codes),
    )


@settings(deadline=None)
@given(catalogs())
def test_dump_then_load_gives_back_the_catalog(catalog: Catalog) -> None:
    text = dump_catalog(catalog)
    loaded = load_catalog(text, "dumped.yaml")
    assert loaded == catalog
    assert dump_catalog(loaded) == text


# --- robustness: a broken file is reported, never a crash ----------------------------------

EDITS: dict[str, Callable[[str], str]] = {
    "deleted": lambda line: "",
    "doubled": lambda line: line + line,
    "colon dropped": lambda line: line.replace(":", "", 1),
    "cut in half": lambda line: line[: len(line) // 2] + "\n",
    "dedented": lambda line: line.replace("  ", "", 1),
}


@pytest.mark.parametrize("edit", EDITS)
def test_every_damaged_line_is_reported_not_crashed_on(edit: str) -> None:
    lines = EXAMPLE.read_text().splitlines(keepends=True)
    for i, line in enumerate(lines):
        text = "".join([*lines[:i], EDITS[edit](line), *lines[i + 1 :]])
        try:
            load_catalog(text, "cat.yaml")
        except ValidationErrors as exc:
            assert all(p.source and p.source.startswith("cat.yaml:") for p in exc.problems)


@settings(deadline=None)
@given(st.text())
def test_any_text_loads_or_is_refused_with_problems(text: str) -> None:
    try:
        load_catalog(text, "cat.yaml")
    except ValidationErrors as exc:
        assert exc.problems
