"""The ``sandan-geo`` command: a thin shell over the public API.

Exit codes: 0 every check passed (or the command succeeded); 1 the check ran
and at least one check fails for certain; 2 bad input or usage; 3 environment
problem (a missing program or package, an output that cannot be written); 4 no
check fails for certain but at least one is uncertain (the limit lies within
the range the data's uncertainty allows). Errors print
one line on stderr; ``-v`` adds the traceback.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import click

import sandan_geo as sg

from ._io import json_text, spreadsheet_safe_frame, write_bytes_atomic, write_text_atomic
from .textsafe import plain_text as _plain

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_ENV, EXIT_UNCERTAIN = 0, 1, 2, 3, 4

_EPILOG = (
    "Exit codes: 0 all checks passed, 1 a check fails for certain, 2 bad input or usage, "
    "3 environment error (missing program, unwritable output), 4 nothing fails for certain "
    "but a check is uncertain within the data's uncertainty."
)


def _exit_code(reports: Sequence[sg.Report | None]) -> int:
    verdicts = {r.verdict for r in reports if r is not None}
    if "fail" in verdicts:
        return EXIT_FAILED
    return EXIT_UNCERTAIN if "uncertain" in verdicts else EXIT_OK


# Python names in library messages, and what they are called on the command line
_OPTION_NAMES = {
    "encoding": "--encoding",
    "key_field": "--key-field",
    "name_field": "--name-field",
    "code_field": "--key-field",
    "max_km": "--max-km",
    "rules": "--rules",
    "metric": "--metric",
    "roads": "--roads",
    "vworld_key": "--vworld-key",
    "plan": "--plan",
}
_PY_ARG = re.compile(r"\b(" + "|".join(_OPTION_NAMES) + r")=(?:'([^']*)'|\.\.\.|(?=[\s,;)]|$))")
_PY_CALLS = {"builtin_sites()": "`sandan-geo sites`", "builtin_plan_ids()": "`sandan-geo plans`"}


def _cli_words(text: str) -> str:
    """A library message in the command line's words: ``encoding='cp949'`` → ``--encoding cp949``."""
    text = re.sub(r" \((?:CLI|Python)[: ][^)]*\)", "", text)
    text = _PY_ARG.sub(
        lambda m: _OPTION_NAMES[m.group(1)] + (f" {m.group(2)}" if m.group(2) else ""), text
    )
    for call, command in _PY_CALLS.items():
        text = text.replace(call, command)
    return text


def _one_line(text: str) -> str:
    """One terminal line: CLI words, no control sequences or bidi overrides, at most ~1 kB."""
    line = _plain(" ".join(_cli_words(str(text)).split()))
    return line if len(line) <= _MAX_LINE else line[: _MAX_LINE - 1] + "…"


_MAX_LINE = 1200


class _Group(click.Group):
    """A group that turns library errors into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return self._invoke(ctx)

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (sg.OutputError, sg.MissingDependencyError) as err:
            _fail(ctx, err, EXIT_ENV)
        except sg.SandanGeoError as err:
            _fail(ctx, err, EXIT_INPUT)
        except MemoryError as err:
            _fail(
                ctx,
                _CliError("not enough memory for this input; give a smaller file"),
                EXIT_ENV,
                err,
            )
        except Exception as err:
            mapped = _foreign_error(err)
            if mapped is None:
                raise
            _fail(ctx, mapped, EXIT_INPUT, err)
        except KeyboardInterrupt:
            click.echo("sandan-geo: interrupted", err=True)
            ctx.exit(130)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Show a warning as one line, like errors: ``sandan-geo: warning: TEXT``."""
    click.echo(f"sandan-geo: warning: {_one_line(str(message))}", err=True)


class _CliError(sg.SandanGeoError):
    """An error message built by the command line itself."""


def _foreign_error(err: Exception) -> sg.SandanGeoError | None:
    """GEOS topology and PROJ errors from odd input, as our own input error (exit 2)."""
    import pyproj
    import shapely.errors

    if isinstance(err, shapely.errors.GEOSException | shapely.errors.ShapelyError):
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return sg.GeometryError(
            f"a geometry in the input cannot be processed ({first})",
            hint="fix the outlines in a GIS (e.g. QGIS 'Fix geometries') and try again",
        )
    if isinstance(err, pyproj.exceptions.ProjError | pyproj.exceptions.CRSError):
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return sg.GeometryError(
            f"a coordinate reference system in the input cannot be used ({first})",
            hint="give the file an EPSG CRS, e.g. EPSG:5186 or EPSG:4326",
        )
    return None


def _fail(
    ctx: click.Context, err: BaseException, code: int, cause: BaseException | None = None
) -> NoReturn:
    if (ctx.obj or {}).get("verbose"):
        traceback.print_exception(cause or err)
    click.echo(f"sandan-geo: error: {_one_line(str(err))}", err=True)
    ctx.exit(code)


@click.group(cls=_Group, epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(sg.__version__, prog_name="sandan-geo")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and details.")
@click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """Validate and map 산업단지 대개조 plans: hub complexes, linked sites, value chains.

    PLAN is a built-in plan id (see `sandan-geo plans`) or a YAML/GeoJSON plan file.
    """
    ctx.obj = {"verbose": verbose, "quiet": quiet}


# ---------------------------------------------------------------- shared options


def _output_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False),
        help="Write to this file (UTF-8, atomically; '-' for stdout; a FIFO or device is "
        "written through) instead of stdout.",
    )(f)


def _table_format_option(
    row: str, *, parquet: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--format text|json|csv|xlsx`` (and ``parquet``) for a command whose output is a table."""
    extra = ["parquet"] if parquet else []
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json", "csv", "xlsx", *extra]),
        default=None,
        help="Output format (default: from the -o suffix, else text); csv (UTF-8 with a BOM) "
        f"and xlsx: one row per {row} for spreadsheets"
        + ("; parquet: streamed to -o FILE.parquet." if parquet else "."),
    )


def _rule_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--roads",
        type=click.Path(dir_okay=False),
        help="Road data (.osm, .osm.pbf, or a road-line GeoPackage/shapefile) for --metric road "
        "and max_travel_time rules.",
    )(f)
    f = click.option(
        "--metric",
        metavar="centroid|boundary|road",
        help="Measure every distance rule with this metric (default: each rule's own; "
        "presets use boundary; road needs --roads).",
    )(f)
    f = click.option(
        "--max-km",
        type=float,
        help="Check accessibility within this limit (km) instead of the plan's rules.",
    )(f)
    f = click.option(
        "--rules",
        "rules_arg",
        metavar="PRESET|FILE",
        help="Rules to apply: a preset (daegu, jeonnam) or a YAML/JSON rules file.",
    )(f)
    return f


def _boundary_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--encoding",
        help="Text encoding of the plan and boundary files, e.g. cp949 (EUC-KR); "
        "detected when not given.",
    )(f)
    f = click.option(
        "--name-field",
        help="Attribute of the boundary file holding complex names (default: DAN_NAME, 단지명, "
        "name_ko, name).",
    )(f)
    f = click.option(
        "--key-field",
        help="Attribute of the boundary file holding site keys, for a file of your own "
        "(default: match DAN_ID codes, then names).",
    )(f)
    f = click.option(
        "--boundaries",
        type=click.Path(dir_okay=False),
        help="Official outlines (the DAM_DAN layer, or any shapefile/GeoPackage/GeoJSON) to "
        "replace approximate extents; matched by DAN_ID, else by name.",
    )(f)
    return f


def _load(
    ctx: click.Context,
    plan: str,
    boundaries: str | None,
    key_field: str | None,
    encoding: str | None,
    name_field: str | None = None,
) -> sg.Plan:
    p = sg.load_plan(plan, encoding=encoding)
    if boundaries:
        p = sg.attach_boundaries(
            p, boundaries, key_field=key_field, name_field=name_field, encoding=encoding
        )
        if not ctx.obj.get("quiet"):
            click.echo(
                f"boundaries for {_plain(p.id)}: {_plain(sg.describe_attach(p.meta['boundaries']))}",
                err=True,
            )
    return p


def _emit(ctx: click.Context, text: str, output: str | None) -> None:
    if output == "-":
        click.echo(text, nl=False)
    elif output:
        write_text_atomic(output, text)
        if not ctx.obj.get("quiet"):
            click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


_SUFFIX_FORMATS = {
    ".txt": "text",
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
}


def _format_for(fmt: str | None, output: str | None, allowed: Sequence[str]) -> str:
    """The output format: ``--format``, else the ``-o`` suffix, else text; never a contradiction."""
    suffix = os.path.splitext(output)[1].lower() if output and output != "-" else ""
    implied = _SUFFIX_FORMATS.get(suffix)
    if implied == "parquet" and "parquet" not in allowed:  # a name like any other there
        implied = None
    if fmt is None:
        fmt = implied if implied is not None and implied in allowed else "text"
    elif implied is not None and implied != fmt:
        raise click.UsageError(
            f"-o {output} says {implied} but --format says {fmt}; make them agree"
        )
    if fmt in ("xlsx", "parquet") and (not output or output == "-"):
        raise click.UsageError(f"--format {fmt} writes a file: give -o FILE.{fmt}")
    return fmt


def _emit_bytes(ctx: click.Context, data: bytes, output: str | None) -> None:
    write_bytes_atomic(output or "-", data)
    if output and output != "-" and not ctx.obj.get("quiet"):
        click.echo(f"wrote {output}", err=True)


def _emit_table(
    ctx: click.Context, frame: Any, fmt: str, output: str | None, *, sheet: str
) -> None:
    """A table for spreadsheets: CSV (UTF-8 with a BOM, CRLF) or XLSX bytes with a header row.

    Text cells a spreadsheet would run as a formula are neutralised (a leading ``'``).
    """
    safe = spreadsheet_safe_frame(frame)
    if fmt == "csv":
        _emit(ctx, "\ufeff" + safe.to_csv(index=False, lineterminator="\r\n"), output)
        return
    import importlib.util
    import io

    if importlib.util.find_spec("openpyxl") is None:
        raise sg.MissingDependencyError(
            "writing .xlsx needs openpyxl; pip install openpyxl (or write CSV)"
        )
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        safe.to_excel(buffer, index=False, sheet_name=sheet, engine="openpyxl")
    _emit_bytes(ctx, buffer.getvalue(), output)


def _use_roads(roads: str | None, metric: str | None) -> dict[str, sg.Metric]:
    """This command's metrics by name: ``road`` when road data is given (not registered
    globally); the ``--metric`` named is checked to exist."""
    local: dict[str, sg.Metric] = {}
    if roads is not None:
        local["road"] = sg.RoadMetric(sg.read_road_network(roads))
    if metric is not None and metric not in local:
        sg.get_metric(metric)
    return local


def _resolve_rules(rules_arg: str | None) -> Any:
    if rules_arg is None:
        return None
    if rules_arg in sg.PRESETS:
        return rules_arg
    if os.path.exists(rules_arg) or rules_arg.endswith((".yaml", ".yml", ".json")):
        return sg.load_rules(rules_arg)
    raise sg.RuleError(
        f"--rules {rules_arg!r} is neither a preset nor a file",
        hint=f"presets: {', '.join(sorted(sg.PRESETS))}",
    )


def _progress(items: Sequence[str], label: str) -> Any:
    """A progress bar on an interactive terminal; the plain items elsewhere."""
    if len(items) > 1 and sys.stderr.isatty():
        return click.progressbar(items, label=label, file=sys.stderr)
    return _Plain(items)


class _Plain:
    def __init__(self, items: Sequence[str]) -> None:
        self.items = items

    def __enter__(self) -> Sequence[str]:
        return self.items

    def __exit__(self, *exc: object) -> None:
        return None


# ---------------------------------------------------------------- commands


@cli.command("plans")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def plans_cmd(fmt: str) -> None:
    """List the built-in plans."""
    rows = []
    for pid in sg.builtin_plan_ids():
        plan = sg.load_builtin(pid)
        rows.append(
            {
                "id": pid,
                "name": plan.name,
                "hub": plan.hub.site.name_ko,
                "linked": len(plan.linked),
                "rules": plan.rules,
            }
        )
    if fmt == "json":
        click.echo(json_text(rows))
        return
    for r in rows:
        rule = r["rules"] if r["rules"] else "no rule stated"
        click.echo(f"{r['id']:<16} {r['hub']}  +{r['linked']} linked  [{rule}]  {r['name']}")


@cli.command("sites")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def sites_cmd(fmt: str) -> None:
    """List the built-in sites (keys usable as `ref:` in plan files)."""
    sites = sg.builtin_sites()
    if fmt == "json":
        rows = [
            {
                "key": s.key,
                "name_ko": s.name_ko,
                "name_en": s.name_en,
                "kind": s.kind.value if s.kind else None,
                "province": s.province,
                "lon": s.lon,
                "lat": s.lat,
                "area_m2": s.area_m2,
                "parts": len(s.parts),
            }
            for s in sites.values()
        ]
        click.echo(json_text(rows))
        return
    for s in sites.values():
        kind = s.kind.value if s.kind else "?"
        area = f"{s.area_m2 / 1e6:.2f} km²" if s.area_m2 else "area unknown"
        click.echo(f"{s.key:<24} {kind:<15} {s.name_ko}  ({s.province}; {area})")


@cli.command("show")
@click.argument("plan")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "geojson"]),
    default="text",
    help="text: a summary; json: the plan mapping; geojson: one feature per site.",
)
@_output_option
@_boundary_options
@click.pass_context
def show_cmd(
    ctx: click.Context,
    plan: str,
    fmt: str,
    output: str | None,
    boundaries: str | None,
    key_field: str | None,
    encoding: str | None,
    name_field: str | None,
) -> None:
    """Show a plan: its sites, roles, value-chain links and distances."""
    p = _load(ctx, plan, boundaries, key_field, encoding, name_field)
    if fmt == "json":
        text = json_text(sg.plan_to_dict(p)) + "\n"
    elif fmt == "geojson":
        text = json_text(sg.plan_to_geojson(p), indent=1) + "\n"
    else:
        text = _show_text(p)
    _emit(ctx, text, output)


def _show_text(p: sg.Plan) -> str:

    hub = p.hub.site
    lines = [f"{_plain(p.id)}  {_plain(p.name)}"]
    if p.meta.get("region"):
        lines.append(f"  region: {_plain(p.meta['region'])}")
    lines.append(f"  rules: {_plain(p.rules) if p.rules else 'none stated'}")
    lines.append("  sites (distance to hub: centroid / boundary):")
    for m in p.sites:
        s = m.site
        approx = " [approximate extent]" if s.extent is not None and s.extent_approximate else ""
        fn = f" — {_plain(m.function)}" if m.function else ""
        dist = ""
        if m.role is not sg.Role.HUB:
            c = sg.measure(hub, s, metric="centroid").value_km
            b = sg.measure(hub, s, metric="boundary").value_km
            dist = f"  {c:.2f} / {b:.2f} km"
        lines.append(
            f"    {m.role.value:<15} {_plain(s.key):<24} {_plain(s.name_ko)}{fn}{dist}{approx}"
        )
    lines.append("  value-chain links:")
    for link in p.links:
        rel = f": {_plain(link.relation)}" if link.relation else ""
        lines.append(f"    {_plain(link.source)} -> {_plain(link.target)}{rel}")
    return "\n".join(lines) + "\n"


@cli.command("validate", epilog=_EPILOG)
@click.argument("plans", nargs=-1)
@click.option("--all", "all_builtin", is_flag=True, help="Validate every built-in plan.")
@_rule_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "csv", "xlsx"]),
    default=None,
    help="Report format (default: from the -o suffix, else text); csv and xlsx: one row "
    "per check for spreadsheets.",
)
@_output_option
@_boundary_options
@click.pass_context
def validate_cmd(
    ctx: click.Context,
    plans: tuple[str, ...],
    all_builtin: bool,
    rules_arg: str | None,
    max_km: float | None,
    metric: str | None,
    roads: str | None,
    fmt: str | None,
    output: str | None,
    boundaries: str | None,
    key_field: str | None,
    encoding: str | None,
    name_field: str | None,
) -> None:
    """Check PLAN(s) against accessibility and value-chain rules.

    Without --rules or --max-km, each plan's own rules apply (대구: 7.5 km, 전남: 10 km);
    a plan that states no rule gets its value chain checked and each site's distance from
    the hub listed as information.
    """
    ids = list(plans) + (sg.builtin_plan_ids() if all_builtin else [])
    if not ids:
        raise click.UsageError("name at least one PLAN, or pass --all")
    fmt = _format_for(fmt, output, ("text", "json", "markdown", "csv", "xlsx"))
    metrics = _use_roads(roads, metric)
    rules = _resolve_rules(rules_arg)
    reports = []
    with _progress(ids, "validating") as items:
        for pid in items:
            plan = _load(ctx, pid, boundaries, key_field, encoding, name_field)
            reports.append(
                sg.check_plan(plan, rules, metric=metric, max_km=max_km, metrics=metrics)
            )
    one: Any = reports[0] if len(reports) == 1 else reports
    if fmt == "xlsx":
        _emit_bytes(ctx, sg.to_xlsx(reports), output)
        ctx.exit(_exit_code(reports))
    if fmt == "json":
        text = sg.to_json(one)
    elif fmt == "markdown":
        text = sg.to_markdown(one)
    elif fmt == "csv":
        text = sg.to_csv(reports)
    else:
        text = sg.to_text(one)
    _emit(ctx, text, output)
    ctx.exit(_exit_code(reports))


@cli.command("map", epilog=_EPILOG)
@click.argument("plans", nargs=-1)
@click.option("--all", "all_builtin", is_flag=True, help="Map every built-in plan on one map.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="HTML file to write (UTF-8, atomically).",
)
@_rule_options
@click.option(
    "--offline",
    is_flag=True,
    help="One self-contained file: Leaflet inlined, outlines basemap, no network request.",
)
@click.option(
    "--tiles",
    type=click.Choice(["openstreetmap", "vworld", "none"]),
    default="openstreetmap",
    show_default=True,
    help="Online basemap (ignored with --offline).",
)
@click.option("--vworld-key", envvar="VWORLD_API_KEY", help="VWorld key (or VWORLD_API_KEY).")
@click.option("--png", type=click.Path(dir_okay=False), help="Also render a PNG (needs Chromium).")
@click.option("--title", help="Map title (default: the plan's name).")
@click.option("--no-check", is_flag=True, help="Draw the plan only, without distance checks.")
@click.option(
    "--by-year", is_flag=True, help="With several plans: one layer and colour per round's year."
)
@_boundary_options
@click.pass_context
def map_cmd(
    ctx: click.Context,
    plans: tuple[str, ...],
    all_builtin: bool,
    output: str | None,
    rules_arg: str | None,
    max_km: float | None,
    metric: str | None,
    roads: str | None,
    offline: bool,
    tiles: str,
    vworld_key: str | None,
    png: str | None,
    title: str | None,
    no_check: bool,
    by_year: bool,
    boundaries: str | None,
    key_field: str | None,
    encoding: str | None,
    name_field: str | None,
) -> None:
    """Map PLAN(s): sites, extents, value chain, and the checks with their verdict.

    One PLAN gives a plan map; several (or --all) give one map with a layer per plan.
    Plans that state no rule are drawn without checks unless --rules or --max-km is given.
    """
    ids = list(plans) + (sg.builtin_plan_ids() if all_builtin else [])
    if not ids:
        raise click.UsageError("name at least one PLAN, or pass --all")
    if not output and not png:
        raise click.UsageError("give -o FILE.html and/or --png FILE.png")
    metrics = _use_roads(roads, metric)
    rules = _resolve_rules(rules_arg)
    loaded = [_load(ctx, pid, boundaries, key_field, encoding, name_field) for pid in ids]
    reports: list[sg.Report | None] = []
    for plan in loaded:
        if no_check or (rules is None and max_km is None and plan.rules is None):
            reports.append(None)
        else:
            reports.append(
                sg.check_plan(plan, rules, metric=metric, max_km=max_km, metrics=metrics)
            )
    tile_choice = "none" if tiles == "none" else tiles
    if len(loaded) == 1:
        m = sg.plan_map(
            loaded[0],
            report=reports[0],
            tiles=tile_choice,
            vworld_key=vworld_key,
            offline=offline,
            title=title,
        )
    else:
        m = sg.overview_map(
            loaded,
            reports=reports,
            group_by="year" if by_year else "plan",
            tiles=tile_choice,
            vworld_key=vworld_key,
            offline=offline,
            title=title,
        )
    quiet = ctx.obj.get("quiet")
    if output:
        sg.save_map(m, output, offline=offline)
        if not quiet:
            click.echo(f"wrote {output}", err=True)
    if png:
        sg.save_png(m, png)
        if not quiet:
            click.echo(f"wrote {png}", err=True)
    ctx.exit(_exit_code(reports))


@cli.command("candidates")
@click.argument("hub")
@click.option(
    "--sites",
    "sites_file",
    type=click.Path(dir_okay=False),
    help="A sites file (YAML or GeoJSON); default: the built-in sites.",
)
@click.option("--max-km", type=float, required=True, help="How far from the hub (km).")
@click.option("--metric", default="boundary", show_default=True, metavar="centroid|boundary|road")
@click.option(
    "--roads",
    type=click.Path(dir_okay=False),
    help="Road data (.osm, .osm.pbf, road lines) for --metric road.",
)
@click.option("--plan", "plan_arg", help="A plan to test each candidate against (keeps_rules).")
@click.option("--rules", "rules_arg", metavar="PRESET|FILE", help="Rules for --plan.")
@click.option("--industries", help="Comma-separated industries to match instead of the hub's.")
@_table_format_option("candidate")
@_output_option
@click.pass_context
def candidates_cmd(
    ctx: click.Context,
    hub: str,
    sites_file: str | None,
    max_km: float,
    metric: str,
    roads: str | None,
    plan_arg: str | None,
    rules_arg: str | None,
    industries: str | None,
    fmt: str | None,
    output: str | None,
) -> None:
    """Sites within reach of HUB (a site key), nearest first, with shared industries."""
    fmt = _format_for(fmt, output, ("text", "json", "csv", "xlsx"))
    measure: str | sg.Metric = _use_roads(roads, metric).get(metric, metric)

    sites = sg.load_sites(sites_file) if sites_file else sg.builtin_sites()
    if hub not in sites:
        raise sg.UnknownSiteError(
            f"no site '{hub}'", hint="list keys with `sandan-geo sites` (or your --sites file)"
        )
    plan = sg.load_plan(plan_arg) if plan_arg else None
    wanted = [x.strip() for x in industries.split(",") if x.strip()] if industries else None
    frame = sg.candidates(
        sites[hub],
        sites,
        max_km,
        metric=measure,
        plan=plan,
        rules=_resolve_rules(rules_arg),
        industries=wanted,
    )
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        text = (
            json.dumps(
                {"hub": hub, "max_km": max_km, "metric": metric, "candidates": records},
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    elif fmt in ("csv", "xlsx"):
        flat = frame.assign(shared_industries=frame["shared_industries"].map(lambda v: ";".join(v)))
        _emit_table(ctx, flat, fmt, output, sheet="candidates")
        return
    else:
        name = _plain(sites[hub].name_ko)
        lines = [f"Sites within {max_km:g} km of {name} ({hub}), {metric} metric: {len(frame)}"]
        for i, row in enumerate(frame.to_dict(orient="records"), start=1):
            shared = ", ".join(row["shared_industries"]) or "–"
            keeps = ""
            if "keeps_rules" in row:
                keeps = "  keeps rules: " + ("yes" if row["keeps_rules"] else "no")
            lines.append(
                f"{i:>3}. {_plain(row['key']):<24} {_plain(row['name_ko'])} ({row['kind']})  "
                f"{row['distance_km']:.3f} km  shared: {_plain(shared)}  "
                f"affinity {row['affinity']:.2f}{keeps}"
            )
        if frame.empty:
            lines.append(f"No site within {max_km:g} km.")
        text = "\n".join(lines) + "\n"
    _emit(ctx, text, output)


@cli.command("roadmatrix")
@click.argument("plans", nargs=-1)
@click.option(
    "--roads",
    type=click.Path(dir_okay=False),
    required=True,
    help="Road data: .osm, .osm.pbf, or road lines (GeoPackage/shapefile, e.g. MOCT_LINK).",
)
@click.option(
    "--sites",
    "sites_file",
    type=click.Path(dir_okay=False),
    help="Measure among every site of this file (YAML, GeoJSON, or the official layer) "
    "instead of the PLANS' sites.",
)
@click.option("--max-km", type=float, help="Keep pairs at most this far by road (km).")
@click.option("--max-minutes", type=float, help="Keep pairs at most this many minutes apart.")
@click.option(
    "--weight",
    type=click.Choice(["length", "travel_time"]),
    default="length",
    show_default=True,
    help="Route by the shortest (length) or the fastest (travel_time) road.",
)
@_table_format_option("ordered pair", parquet=True)
@_output_option
@click.pass_context
def roadmatrix_cmd(
    ctx: click.Context,
    plans: tuple[str, ...],
    roads: str,
    sites_file: str | None,
    max_km: float | None,
    max_minutes: float | None,
    weight: str,
    fmt: str | None,
    output: str | None,
) -> None:
    """Road distance and time between every pair of sites of PLANS (or of --sites).

    Each row: from a, to b, network km, minutes, straight km between the route's ends
    and the detour ratio. Long runs show progress on a terminal.
    """
    fmt = _format_for(fmt, output, ("text", "json", "csv", "xlsx", "parquet"))
    if not plans and not sites_file:
        raise click.UsageError("name one or more PLANS, or give --sites FILE")
    sites: dict[str, sg.Site] = {}
    if sites_file:
        sites.update(sg.load_sites(sites_file))
    for plan_arg in plans:
        for member in sg.load_plan(plan_arg).sites:
            sites.setdefault(member.key, member.site)
    road = sg.RoadMetric(sg.read_road_network(roads), weight=weight)  # type: ignore[arg-type]
    if fmt == "parquet":
        sg.road_matrix(
            list(sites.values()), road, max_km=max_km, max_minutes=max_minutes, out=output
        )
        if not ctx.obj.get("quiet"):
            click.echo(f"wrote {output}", err=True)
        return
    frame = sg.road_matrix(list(sites.values()), road, max_km=max_km, max_minutes=max_minutes)
    assert not isinstance(frame, str | os.PathLike)
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        meta = {"roads": roads, "weight": weight, "max_km": max_km, "max_minutes": max_minutes}
        text = json_text({**meta, "sites": len(sites), "pairs": records}) + "\n"
    elif fmt in ("csv", "xlsx"):
        _emit_table(ctx, frame, fmt, output, sheet="road matrix")
        return
    else:
        bound = " and ".join(
            b
            for b in (
                f"{max_km:g} km" if max_km is not None else "",
                f"{max_minutes:g} min" if max_minutes is not None else "",
            )
            if b
        )
        head = f"{len(frame)} ordered pairs of {len(sites)} sites by road"
        lines = [head + (f" within {bound}" if bound else "") + f" ({weight}):"]
        for rec in frame.to_dict(orient="records"):
            mins = float(rec["minutes"])
            minutes = "-" if math.isnan(mins) else f"{mins:.1f} min"
            lines.append(
                f"  {_plain(str(rec['a'])):<24} -> {_plain(str(rec['b'])):<24} "
                f"{rec['network_km']:8.3f} km  {minutes:>10}  "
                f"straight {rec['straight_km']:7.3f} km  detour {rec['detour']:.2f}"
            )
        text = "\n".join(lines) + "\n"
    _emit(ctx, text, output)


@cli.command("compare")
@click.argument("plans", nargs=-1, required=True)
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    metavar="centroid|boundary",
    help="Metric(s) for hub-to-linked distances (default: both).",
)
@_table_format_option("plan")
@_output_option
@click.pass_context
def compare_cmd(
    ctx: click.Context,
    plans: tuple[str, ...],
    metrics: tuple[str, ...],
    fmt: str | None,
    output: str | None,
) -> None:
    """Compare PLANs side by side: sites, spread from the hub, industries, shared sites."""
    fmt = _format_for(fmt, output, ("text", "json", "csv", "xlsx"))

    frame = sg.compare_plans(list(plans), metrics=list(metrics) or ["centroid", "boundary"])
    if fmt == "json":
        text = frame.to_json(orient="records", force_ascii=False, indent=2) + "\n"
    elif fmt in ("csv", "xlsx"):
        flat = frame.assign(shared_sites=frame["shared_sites"].map(" ".join))
        _emit_table(ctx, flat, fmt, output, sheet="plans")
        return
    else:
        lines = []
        dist_cols = [c for c in frame.columns if c.startswith(("max_km_", "median_km_"))]
        for row in frame.to_dict(orient="records"):
            lines.append(
                f"{_plain(row['id'])}  (announced {_cell(row['announced'])}): hub "
                f"{_plain(row['hub'])}, {row['n_linked']} linked"
            )
            if row["industries"]:
                lines.append(f"  industries: {_plain(row['industries'])}")
            spread = ", ".join(
                f"{c.replace('_km_', ' ')} " + ("–" if row[c] != row[c] else f"{row[c]:.2f} km")
                for c in dist_cols
            )
            lines.append(f"  hub to linked: {spread}")
            if row["shared_sites"]:
                lines.append(f"  shared with the other plans: {', '.join(row['shared_sites'])}")
        lines.append(
            "distances name their metric; many built-in points after 2020 are estimates "
            "(see the sites' provenance)"
        )
        text = "\n".join(lines) + "\n"
    _emit(ctx, text, output)


@cli.command("site")
@click.argument("key", metavar="KEY_OR_NAME")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def site_cmd(key: str, fmt: str) -> None:
    """Show a built-in site (by key, Korean name or alias) and every plan and role it has had."""

    sites = sg.builtin_sites()
    key = sg.find_site_key(key, sites) if key not in sites else key
    history = sg.site_history(key)
    if fmt == "json":
        click.echo(history.to_json(orient="records", force_ascii=False, indent=2))
        return
    if key in sites:
        s = sites[key]
        kind = s.kind.value if s.kind else "?"
        conf = s.point_confidence or "not stated"
        area = f"{s.area_m2 / 1e6:.2f} km²" if s.area_m2 else "area unknown"
        click.echo(f"{key}  {_plain(s.name_ko)}  ({kind}; {_plain(s.province or '?')}; {area})")
        click.echo(f"  point: {s.lon:.5f}, {s.lat:.5f}  (confidence: {conf})")
    if history.empty:
        click.echo("  no built-in plan holds this site")
        return
    for row in history.to_dict(orient="records"):
        click.echo(
            f"  {_cell(row['announced'])}  {_plain(row['plan']):<16} {row['role']:<15} "
            f"hub {_plain(row['hub'])}  (program year {_cell(row['program_year'])})"
        )


@cli.command("whatif", epilog=_EPILOG)
@click.argument("plan")
@click.option("--drop", multiple=True, metavar="KEY", help="Drop this site and its links.")
@click.option(
    "--add",
    multiple=True,
    metavar="FILE|PLAN",
    help="Add the sites of a sites file, or of a plan file or built-in plan (with its links).",
)
@click.option(
    "--link",
    "link_args",
    multiple=True,
    metavar="FROM:TO",
    help="Add a value-chain link between two site keys.",
)
@click.option("--rules", "rules_arg", metavar="PRESET|FILE", help="Rules (default: the plan's).")
@click.option(
    "--metric",
    metavar="centroid|boundary",
    help="Measure the distance rules and the network with this metric.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default=None,
    help="Output format (default: from the -o suffix, else text).",
)
@_output_option
@click.pass_context
def whatif_cmd(
    ctx: click.Context,
    plan: str,
    drop: tuple[str, ...],
    add: tuple[str, ...],
    link_args: tuple[str, ...],
    rules_arg: str | None,
    metric: str | None,
    fmt: str | None,
    output: str | None,
) -> None:
    """What changes in PLAN when sites are dropped or added: verdicts, network measures, links.

    Exits like `validate`, on the changed plan's checks.
    """
    if not (drop or add or link_args):
        raise click.UsageError("give at least one --drop KEY, --add FILE or --link FROM:TO")
    fmt = _format_for(fmt, output, ("text", "json", "markdown"))
    links = []
    for text in link_args:
        source, sep, target = text.partition(":")
        if not (sep and source.strip() and target.strip()):
            raise click.UsageError(f"--link {text!r}: give FROM:TO, two site keys")
        links.append({"from": source.strip(), "to": target.strip()})
    if metric is not None:
        sg.get_metric(metric)
    result = sg.what_if(
        sg.load_plan(plan),
        drop=list(drop),
        add=list(add),
        links=links,
        rules=_resolve_rules(rules_arg),
        metric=metric,
    )
    if fmt == "json":
        out = json_text(result.to_dict()) + "\n"
    elif fmt == "markdown":
        out = result.to_markdown()
    else:
        out = result.to_text()
    _emit(ctx, out, output)
    ctx.exit(_exit_code([result.report_after]))


@cli.command("program")
@click.argument("plans", nargs=-1)
@click.option(
    "--proximity-km",
    type=float,
    help="Also join every two sites within this distance (km) by a proximity edge.",
)
@click.option("--metric", default="boundary", show_default=True, metavar="centroid|boundary")
@click.option(
    "--top", type=click.IntRange(min=1), default=10, show_default=True, help="Central sites shown."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--map",
    "map_file",
    type=click.Path(dir_okay=False),
    help="Also draw the program map (each site once, sized by its plans) to this HTML file.",
)
@click.option("--offline", is_flag=True, help="With --map: a map that needs no network.")
@_output_option
@click.pass_context
def program_cmd(
    ctx: click.Context,
    plans: tuple[str, ...],
    proximity_km: float | None,
    metric: str,
    top: int,
    fmt: str,
    map_file: str | None,
    offline: bool,
    output: str | None,
) -> None:
    """The program as one network: shared sites, central sites, growth by year.

    PLANs default to every built-in plan (2019-2025).
    """
    G = sg.program_graph(list(plans) or None, proximity_km=proximity_km, metric=metric)
    summary = sg.program_summary(G, top=top)
    out = json_text(summary.to_dict()) + "\n" if fmt == "json" else summary.to_text()
    _emit(ctx, out, output)
    if map_file:
        m = sg.program_map(G, offline=offline)
        sg.save_map(m, map_file, offline=offline)
        if not ctx.obj.get("quiet"):
            click.echo(f"wrote {map_file}", err=True)


@cli.command("report", epilog=_EPILOG)
@click.argument("plans", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="The review file: .html (opens offline) or .pdf (A4, needs Chromium).",
)
@click.option(
    "--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True, help="Language."
)
@click.option(
    "--metric",
    "metric_args",
    multiple=True,
    metavar="centroid|boundary|road",
    help="Measure the distance rules with this metric; repeat for one verdict table per "
    "metric (default: each rule's own).",
)
@click.option(
    "--max-km",
    type=float,
    help="Check accessibility within this limit (km) instead of the plans' rules.",
)
@click.option(
    "--rules",
    "rules_arg",
    metavar="PRESET|FILE",
    help="Rules to apply: a preset (daegu, jeonnam) or a YAML/JSON rules file.",
)
@click.option(
    "--roads", type=click.Path(dir_okay=False), help="Road data for --metric road (.osm, ...)."
)
@click.option("--no-map", is_flag=True, help="Leave the maps out.")
@click.option(
    "--date",
    "date_arg",
    metavar="YYYY-MM-DD",
    help="Date printed on the report (default: today).",
)
@_boundary_options
@click.pass_context
def report_cmd(
    ctx: click.Context,
    plans: tuple[str, ...],
    output: str,
    lang: str,
    metric_args: tuple[str, ...],
    max_km: float | None,
    rules_arg: str | None,
    roads: str | None,
    no_map: bool,
    date_arg: str | None,
    boundaries: str | None,
    key_field: str | None,
    encoding: str | None,
    name_field: str | None,
) -> None:
    """Write the review report of PLAN(s) for a committee: one HTML or A4 PDF file.

    Per plan: region, rules and metrics, verdict tables (통과 / 미달 / 판단 유보), the map,
    the value chain, each site's provenance and confidence, what the data cannot tell;
    a summary of every plan first. The format follows the -o suffix. Exits like `validate`.
    """
    suffix = os.path.splitext(output)[1].lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise click.UsageError(f"-o {output}: name a .html or .pdf file")
    local = _use_roads(roads, None)
    for name in metric_args:
        if name not in local:
            sg.get_metric(name)
    rules = _resolve_rules(rules_arg)
    names: list[str | None] = list(dict.fromkeys(metric_args)) or [None]
    loaded = [_load(ctx, pid, boundaries, key_field, encoding, name_field) for pid in plans]
    reports = [
        [sg.check_plan(p, rules, metric=m, max_km=max_km, metrics=local) for m in names]
        for p in loaded
    ]
    sg.save_review(loaded, output, reports=reports, lang=lang, maps=not no_map, date=date_arg)
    if not ctx.obj.get("quiet"):
        click.echo(f"wrote {output}", err=True)
    ctx.exit(_exit_code([r for rs in reports for r in rs]))


def _cell(value: Any) -> str:
    """A table cell for a terminal: ``?`` for a missing value (None, NaN), never ``nan``."""
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return "?"
    return _plain(value)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``sandan-geo`` console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="sandan-geo")


__all__ = ["cli", "main"]
