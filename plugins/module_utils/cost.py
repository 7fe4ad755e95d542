# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Estimate the monthly cost of a privatecast stack for a stated use.

Pure Python (standard library only). The filter ``privatecast.streaming.cost_estimate``
wraps ``estimate``; ``playbooks/cost.yml`` prints its ``report``.

Inputs:

- ``use``: what the stack is used for in a month (``USE_DEFAULTS`` names every key);
- ``prices``: the dated price table (``roles/privatecast/vars/prices.yml``), global
  entries, free allowances and entries per region;
- ``stack``: the settings of the stack that change the bill (``STACK_DEFAULTS``), read by
  the cost entry point from the inventory or the roles' defaults.

Three estimates of the same use: the design (servers on only while used, Owncast with no
public address writing to S3 through the free gateway endpoint, no load balancer, no NAT
gateway, no WAF), the design with the servers left running all month, and the topology
the design avoids (the design plus a Network Load Balancer in front of RTMP, a NAT gateway
that Owncast's uploads cross, and a WAF web ACL on the distribution and the API).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

USE_DEFAULTS: dict[str, Any] = {
    "hours_streamed": 20,  # hours the camera is live in the month
    "server_hours": 30,  # hours both servers run (streaming plus setting up)
    "stream_mbps": 4.0,  # the camera's bitrate, Mbit/s
    "viewers": 10,  # people who sign in during the month (Cognito MAU)
    "gb_watched": 50,  # GB viewers fetch through CloudFront, live and recordings
    "storage_gb": {"standard": 20, "standard_ia": 100},  # GB kept, by S3 class
    "api_requests": 20000,  # requests to the HTTP API (sign-in, status, recordings)
    "lambda_ms": 300,  # mean duration of a Lambda invocation, ms
    "log_gb": 0.5,  # CloudWatch Logs ingested, GB
    "maintenance_hours": 2,  # hours a maintenance window is open (temporary address)
    "ec2_egress_gb": 1,  # GB from the proxy out to the internet (admin page, replies)
    "kms_requests": 10000,  # KMS requests (SecureString parameters)
    "dns_queries": 100000,  # DNS queries of the servers through the DNS firewall
    "free_tier": True,  # subtract the account's always-free allowances
    "waf_rules": 5,  # rules of the avoided WAF web ACL
    "nat_other_gb": 1,  # other traffic through the avoided NAT gateway (updates), GB
}

STACK_DEFAULTS: dict[str, Any] = {
    "proxy_instance_type": "t4g.nano",
    "owncast_instance_type": "t4g.small",
    "proxy_volume_gb": 8,
    "owncast_volume_gb": 16,
    "lambda_memory_mb": 256,
    "lambda_architecture": "arm64",
    "housekeeping_schedule": "rate(5 minutes)",
    "segment_seconds": 1,
    "kms_customer_keys": 0,
    "dns_firewall": True,
}

# S3 writes per HLS segment: Owncast's segment and live playlist, the archiver's copy and
# its playlist. Archiver invocations per segment: one per object Owncast writes under hls/.
PUTS_PER_SEGMENT = 4
ARCHIVER_CALLS_PER_SEGMENT = 2
# Viewer requests per segment watched: the segment and a refresh of the playlist.
REQUESTS_PER_SEGMENT_WATCHED = 2


# What the design moves or keeps without a charge (AWS's data transfer and service pages).
FREE_PATHS = (
    "data in from the camera; proxy to Owncast inside one zone; Owncast to S3 through the "
    "gateway endpoint; S3 to CloudFront; SSM standard parameters; the EventBridge schedule."
)


class CostError(Exception):
    """The use, the stack or the price table cannot be estimated; the message says why."""


@dataclass(frozen=True)
class Price:
    usd: float
    per: str
    source: str
    confirmed: bool


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float
    unit: str
    price: Price
    free: float = 0.0

    @property
    def billed(self) -> float:
        return max(0.0, self.quantity - self.free)

    @property
    def usd(self) -> float:
        return self.billed * self.price.usd

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "quantity": self.quantity,
            "unit": self.unit,
            "free": self.free,
            "unit_usd": self.price.usd,
            "usd": round(self.usd, 4),
            "source": self.price.source,
            "confirmed": self.price.confirmed,
        }


def _number(value: Any, name: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise CostError(f"{name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CostError(f"{name} must be a number, got {value!r}")
    if value < 0:
        raise CostError(f"{name} must not be negative, got {value!r}")
    return float(value)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


def normalise_use(use: Mapping[str, Any] | None) -> dict[str, Any]:
    """The use with defaults filled in; unknown keys and bad numbers are refused."""
    given = dict(use or {})
    unknown = sorted(set(given) - set(USE_DEFAULTS))
    if unknown:
        raise CostError(f"unknown use keys {unknown}; known: {sorted(USE_DEFAULTS)}")
    merged = {**USE_DEFAULTS, **given}
    for key, value in merged.items():
        if key == "storage_gb":
            if not isinstance(value, Mapping):
                raise CostError(f"storage_gb maps S3 classes to GB, got {value!r}")
            merged[key] = {str(k): _number(v, f"storage_gb.{k}") for k, v in value.items()}
        elif key == "free_tier":
            merged[key] = _flag(value)
        else:
            merged[key] = _number(value, key)
    if merged["stream_mbps"] <= 0:
        raise CostError("stream_mbps must be above 0")
    if merged["server_hours"] < merged["hours_streamed"]:
        raise CostError(
            "server_hours must be at least hours_streamed: the servers run while the camera streams"
        )
    return merged


def _schedule_runs_per_month(schedule: str, hours: float) -> float:
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", schedule.strip())
    if not match:
        raise CostError(
            f"cannot count the runs of housekeeping schedule {schedule!r}; use rate(N minutes|hours|days)"
        )
    every = int(match.group(1))
    unit_minutes = {"minute": 1, "hour": 60, "day": 1440}[match.group(2).rstrip("s")]
    return hours * 60 / (every * unit_minutes)


def normalise_stack(stack: Mapping[str, Any] | None) -> dict[str, Any]:
    given = {key: value for key, value in dict(stack or {}).items() if value is not None}
    unknown = sorted(set(given) - set(STACK_DEFAULTS))
    if unknown:
        raise CostError(f"unknown stack keys {unknown}; known: {sorted(STACK_DEFAULTS)}")
    merged = {**STACK_DEFAULTS, **given}
    for key in (
        "proxy_volume_gb",
        "owncast_volume_gb",
        "lambda_memory_mb",
        "segment_seconds",
        "kms_customer_keys",
    ):
        merged[key] = _number(merged[key], key)
    if merged["segment_seconds"] <= 0:
        raise CostError("segment_seconds must be above 0")
    merged["dns_firewall"] = _flag(merged["dns_firewall"])
    return merged


class PriceTable:
    """Looks prices up for one region; a region or a price missing is a CostError."""

    def __init__(self, table: Mapping[str, Any], region: str) -> None:
        regions = table.get("regions") or {}
        if region not in regions:
            raise CostError(
                f"the price table (as of {table.get('as_of', '?')}) has no prices for region "
                f"{region!r}; it has {sorted(regions)}. Add the region to roles/privatecast/vars/prices.yml "
                "with each price's source, or estimate for a listed region."
            )
        self.region = region
        self.as_of = str(table.get("as_of", ""))
        self.hours = _number(table.get("hours_per_month", 730), "hours_per_month")
        self._global = table.get("global") or {}
        self._regional = regions[region]
        self._free = table.get("free") or {}

    def price(self, key: str, variant: str | None = None) -> Price:
        entry = self._regional.get(key, self._global.get(key))
        if entry is None:
            raise CostError(f"the price table has no {key!r} for {self.region}")
        usd = entry["usd"]
        if variant is not None:
            if not isinstance(usd, Mapping) or variant not in usd:
                known = sorted(usd) if isinstance(usd, Mapping) else []
                raise CostError(
                    f"the price table has no {key!r} for {variant!r} in {self.region}; it has {known}"
                )
            usd = usd[variant]
        return Price(
            _number(usd, key),
            str(entry.get("per", "")),
            str(entry.get("source", "")),
            bool(entry.get("confirmed")),
        )

    def free(self, key: str, use: Mapping[str, Any]) -> float:
        if not use["free_tier"]:
            return 0.0
        return _number((self._free.get(key) or {}).get("amount", 0), f"free.{key}")


@dataclass(frozen=True)
class Quantities:
    """What the use amounts to in billable units."""

    ingest_gb: float
    segments: float
    viewer_hours: float
    cloudfront_requests: float
    s3_puts: float
    lambda_invocations: float
    lambda_gb_seconds: float


def quantities(use: Mapping[str, Any], stack: Mapping[str, Any], hours: float) -> Quantities:
    gb_per_hour = use["stream_mbps"] * 3600 / 8 / 1000
    segments = use["hours_streamed"] * 3600 / stack["segment_seconds"]
    viewer_hours = use["gb_watched"] / gb_per_hour
    requests = viewer_hours * 3600 / stack["segment_seconds"] * REQUESTS_PER_SEGMENT_WATCHED
    housekeeping = _schedule_runs_per_month(str(stack["housekeeping_schedule"]), hours)
    invocations = use["api_requests"] + segments * ARCHIVER_CALLS_PER_SEGMENT + housekeeping
    gb_seconds = invocations * use["lambda_ms"] / 1000 * stack["lambda_memory_mb"] / 1024
    return Quantities(
        ingest_gb=use["hours_streamed"] * gb_per_hour,
        segments=segments,
        viewer_hours=viewer_hours,
        cloudfront_requests=requests,
        s3_puts=segments * PUTS_PER_SEGMENT,
        lambda_invocations=invocations,
        lambda_gb_seconds=gb_seconds,
    )


def _server_lines(
    prices: PriceTable, use: Mapping[str, Any], stack: Mapping[str, Any], server_hours: float
) -> list[Line]:
    lines = [
        Line(
            f"EC2 {role} ({stack[f'{role}_instance_type']})",
            server_hours,
            "instance-hours",
            prices.price("ec2_hour", stack[f"{role}_instance_type"]),
        )
        for role in ("proxy", "owncast")
    ]
    volume_gb = stack["proxy_volume_gb"] + stack["owncast_volume_gb"]
    lines.append(
        Line(
            "EBS gp3 root volumes (kept while stopped)",
            volume_gb,
            "GB-months",
            prices.price("ebs_gp3_gb_month"),
        )
    )
    lines.append(
        Line(
            "Public IPv4 (proxy Elastic IP all month, maintenance address)",
            prices.hours + use["maintenance_hours"],
            "address-hours",
            prices.price("public_ipv4_hour"),
        )
    )
    lines.append(
        Line(
            "Data out of EC2 to the internet (admin, replies)",
            use["ec2_egress_gb"],
            "GB",
            prices.price("internet_egress_gb"),
            prices.free("internet_egress_gb", use),
        )
    )
    return lines


def _storage_lines(prices: PriceTable, use: Mapping[str, Any], amounts: Quantities) -> list[Line]:
    lines = [
        Line(f"S3 {storage_class} storage", gb, "GB-months", prices.price("s3_gb_month", storage_class))
        for storage_class, gb in sorted(use["storage_gb"].items())
    ]
    lines.append(
        Line(
            "S3 PUT requests (segments, playlists, archive copies)",
            amounts.s3_puts / 1000,
            "1,000 requests",
            prices.price("s3_1k_put"),
        )
    )
    lines.append(
        Line(
            "S3 GET requests (origin fetches, at most one per request)",
            amounts.cloudfront_requests / 1000,
            "1,000 requests",
            prices.price("s3_1k_get"),
        )
    )
    return lines


def _delivery_lines(prices: PriceTable, use: Mapping[str, Any], amounts: Quantities) -> list[Line]:
    return [
        Line(
            "CloudFront data out (GB watched)",
            use["gb_watched"],
            "GB",
            prices.price("cloudfront_gb"),
            prices.free("cloudfront_gb", use),
        ),
        Line(
            "CloudFront HTTPS requests",
            amounts.cloudfront_requests / 10000,
            "10,000 requests",
            prices.price("cloudfront_10k_requests"),
            prices.free("cloudfront_requests", use) / 10000,
        ),
    ]


def _api_lines(
    prices: PriceTable, use: Mapping[str, Any], stack: Mapping[str, Any], amounts: Quantities
) -> list[Line]:
    lines = [
        Line(
            "HTTP API requests",
            use["api_requests"] / 1e6,
            "million requests",
            prices.price("http_api_million"),
        ),
        Line(
            "Lambda requests (API, archiver, housekeeping)",
            amounts.lambda_invocations / 1e6,
            "million requests",
            prices.price("lambda_million_requests"),
            prices.free("lambda_requests", use) / 1e6,
        ),
        Line(
            f"Lambda duration ({stack['lambda_architecture']}, {stack['lambda_memory_mb']:g} MB)",
            amounts.lambda_gb_seconds,
            "GB-seconds",
            prices.price("lambda_gb_second", stack["lambda_architecture"]),
            prices.free("lambda_gb_seconds", use),
        ),
        Line("CloudWatch Logs ingested", use["log_gb"], "GB", prices.price("cloudwatch_logs_gb")),
        Line(
            "Cognito monthly active users",
            use["viewers"],
            "MAU",
            prices.price("cognito_mau"),
            prices.free("cognito_mau", use),
        ),
        Line(
            "KMS requests (SecureString parameters)",
            use["kms_requests"] / 10000,
            "10,000 requests",
            prices.price("kms_10k_requests"),
        ),
    ]
    if stack["kms_customer_keys"]:
        lines.append(
            Line(
                "KMS customer managed key (S3 SSE-KMS)",
                stack["kms_customer_keys"],
                "key-months",
                prices.price("kms_key_month"),
            )
        )
    if stack["dns_firewall"]:
        lines.append(
            Line(
                "DNS firewall queries",
                use["dns_queries"] / 1e6,
                "million queries",
                prices.price("dns_firewall_million_queries"),
            )
        )
    lines.append(
        Line("AWS Budgets cost budget (no actions)", 1, "budget-months", prices.price("budgets_month"))
    )
    return lines


def design_lines(
    prices: PriceTable, use: Mapping[str, Any], stack: Mapping[str, Any], server_hours: float
) -> list[Line]:
    amounts = quantities(use, stack, prices.hours)
    return (
        _server_lines(prices, use, stack, server_hours)
        + _storage_lines(prices, use, amounts)
        + _delivery_lines(prices, use, amounts)
        + _api_lines(prices, use, stack, amounts)
    )


def avoided_lines(prices: PriceTable, use: Mapping[str, Any], stack: Mapping[str, Any]) -> list[Line]:
    """What the topology the design avoids adds to the design's bill for the same use."""
    amounts = quantities(use, stack, prices.hours)
    hours = prices.hours
    inspected = amounts.cloudfront_requests + use["api_requests"]
    return [
        Line("NLB in front of RTMP (runs all month)", hours, "hours", prices.price("nlb_hour")),
        Line(
            "NLB capacity (1 NLCU per GB of the stream)",
            amounts.ingest_gb,
            "NLCU-hours",
            prices.price("nlb_lcu_hour"),
        ),
        Line("NAT gateway (runs all month)", hours, "hours", prices.price("nat_gateway_hour")),
        Line(
            "NAT gateway processing (uploads to S3, updates)",
            amounts.ingest_gb + use["nat_other_gb"],
            "GB",
            prices.price("nat_gateway_gb"),
        ),
        Line(
            "Public IPv4 of the NLB and the NAT gateway",
            2 * hours,
            "address-hours",
            prices.price("public_ipv4_hour"),
        ),
        Line("WAF web ACL", 1, "web ACL-months", prices.price("waf_web_acl_month")),
        Line("WAF rules", use["waf_rules"], "rule-months", prices.price("waf_rule_month")),
        Line(
            "WAF requests (CloudFront and API)",
            inspected / 1e6,
            "million requests",
            prices.price("waf_million_requests"),
        ),
    ]


def total(lines: list[Line]) -> float:
    return sum(line.usd for line in lines)


def warnings(
    prices: PriceTable, use: Mapping[str, Any], stack: Mapping[str, Any], always_on_extra: float
) -> list[str]:
    amounts = quantities(use, stack, prices.hours)
    ingest = amounts.ingest_gb
    ipv4 = prices.price("public_ipv4_hour").usd * prices.hours
    nat_gb = prices.price("nat_gateway_gb").usd
    standard = prices.price("s3_gb_month", "standard").usd
    per_line = prices.price("cloudfront_realtime_million_lines").usd
    realtime = per_line * amounts.cloudfront_requests / 1e6
    fqdn = prices.price("acm_exportable_fqdn").usd
    wildcard = prices.price("acm_exportable_wildcard").usd
    return [
        (
            f"ACM exportable public certificates are charged (${fqdn:.2f} per name, ${wildcard:.2f} per "
            "wildcard, each issue and renewal): the proxy gets its certificate from ACME and "
            "CloudFront's ACM certificate is not exportable, both free."
        ),
        (
            f"A NAT gateway charges ${nat_gb:.3f} per GB it processes on top of its hours: this use's "
            f"{ingest:.1f} GB of uploads would cost ${ingest * nat_gb:.2f} a month there; the design "
            "uploads through the free S3 gateway endpoint."
        ),
        (
            f"Every public IPv4 address costs ${ipv4:.2f} a month whether used or idle: the proxy's "
            "Elastic IP is charged while the proxy is stopped, and a maintenance window's address "
            "until it closes."
        ),
        (
            f"CloudFront real-time logs cost ${per_line:.2f} per million lines (${realtime:.2f} for "
            "this use) plus the Kinesis data stream they go to; the design has none."
        ),
        (
            "S3 versioning keeps every deleted or expired segment as a noncurrent version: the hls/ "
            f"lifecycle would then keep about {ingest:.1f} GB more each month (${ingest * standard:.2f} "
            "a month more, growing); the bucket has no versioning."
        ),
        (
            f"Servers left running all month add ${always_on_extra:.2f} to this use: stop them after "
            "streaming (playbooks/power.yml; housekeeping stops idle ones)."
        ),
    ]


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.4g}"


def _format_lines(lines: list[Line]) -> list[str]:
    rows = []
    for line in lines:
        mark = "" if line.price.confirmed else "*"
        free = f"- {_amount(line.free)} free" if line.free else ""
        rows.append(
            f"  {line.item:<62} {_amount(line.quantity):>10} {line.unit:<16} "
            f"x ${line.price.usd:<10.6g}{mark:1} {free:<16} = ${line.usd:>8.2f}"
        )
    return rows


def report(
    result: Mapping[str, Any], design: list[Line], avoided: list[Line], region: str, as_of: str
) -> list[str]:
    out = [
        f"Estimated monthly cost in {region} (prices as of {as_of}; * = price not confirmed, see the table)"
    ]
    out.append("The design, servers on only while used:")
    out += _format_lines(design)
    out.append(f"  {'Total':<62} {'':>58} = ${result['design_usd']:>8.2f}")
    out.append(f"  Not charged: {FREE_PATHS}")
    out.append(f"Same use, servers left running all month: ${result['always_on_usd']:.2f}")
    out.append("The topology the design avoids adds (NLB, NAT gateway, WAF):")
    out += _format_lines(avoided)
    out.append(f"  {'Total with the avoided topology':<62} {'':>58} = ${result['avoided_usd']:>8.2f}")
    out.append("Traps:")
    out += [f"  - {text}" for text in result["warnings"]]
    return out


def estimate(
    use: Mapping[str, Any] | None,
    price_table: Mapping[str, Any],
    region: str,
    stack: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The three estimates, the warnings and a printable report."""
    prices = PriceTable(price_table, region)
    normal_use = normalise_use(use)
    normal_stack = normalise_stack(stack)
    design = design_lines(prices, normal_use, normal_stack, normal_use["server_hours"])
    always_on = design_lines(prices, normal_use, normal_stack, prices.hours)
    avoided = avoided_lines(prices, normal_use, normal_stack)
    design_usd = total(design)
    result: dict[str, Any] = {
        "region": region,
        "as_of": prices.as_of,
        "design": [line.as_dict() for line in design],
        "design_usd": round(design_usd, 2),
        "always_on_usd": round(total(always_on), 2),
        "avoided": [line.as_dict() for line in avoided],
        "avoided_usd": round(design_usd + total(avoided), 2),
        "unconfirmed": sorted({line.item for line in design + avoided if not line.price.confirmed}),
    }
    result["warnings"] = warnings(prices, normal_use, normal_stack, total(always_on) - design_usd)
    result["report"] = report(result, design, avoided, region, prices.as_of)
    return result
