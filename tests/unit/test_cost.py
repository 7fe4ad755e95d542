"""The cost estimate (module_utils cost, filter cost_estimate, playbooks/cost.yml).

The figures for a fixed use are worked out by hand below, line by line, with a price table
of round numbers owned by this test; the real table (roles/privatecast/vars/prices.yml) is
checked for completeness and provenance separately, and the playbook is run for real.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.privatecast.streaming.plugins.filter.cost_estimate import FilterModule
from ansible_collections.privatecast.streaming.plugins.module_utils import cost

from tests.conftest import COLLECTIONS_DIR, REPO_ROOT

PRICES_FILE = REPO_ROOT / "roles" / "privatecast" / "vars" / "prices.yml"
CENT = 0.005


def entry(usd: Any, confirmed: bool = True) -> dict[str, Any]:
    return {"usd": usd, "per": "unit", "source": "test", "read": "2026-12-01", "confirmed": confirmed}


TEST_PRICES: dict[str, Any] = {
    "as_of": "2026-12-01",
    "hours_per_month": 730,
    "global": {
        "public_ipv4_hour": entry(0.005),
        "cloudfront_gb": entry(0.085),
        "cloudfront_10k_requests": entry(0.01),
        "cloudfront_realtime_million_lines": entry(0.01),
        "lambda_million_requests": entry(0.2),
        "lambda_gb_second": entry({"arm64": 0.00001, "x86_64": 0.00002}),
        "cognito_mau": entry(0.015),
        "kms_key_month": entry(1.0),
        "kms_10k_requests": entry(0.03),
        "waf_web_acl_month": entry(5.0),
        "waf_rule_month": entry(1.0),
        "waf_million_requests": entry(0.6),
        "acm_exportable_fqdn": entry(15.0),
        "acm_exportable_wildcard": entry(149.0),
        "budgets_month": entry(0.0),
    },
    "free": {
        "cloudfront_gb": {"amount": 1000},
        "cloudfront_requests": {"amount": 10_000_000},
        "lambda_requests": {"amount": 1_000_000},
        "lambda_gb_seconds": {"amount": 400_000},
        "cognito_mau": {"amount": 10_000},
        "internet_egress_gb": {"amount": 100},
    },
    "regions": {
        "xx-test-1": {
            "ec2_hour": entry({"t4g.nano": 0.004, "t4g.small": 0.016}, confirmed=False),
            "ebs_gp3_gb_month": entry(0.08),
            "s3_gb_month": entry({"standard": 0.02, "standard_ia": 0.01}),
            "s3_1k_put": entry(0.005),
            "s3_1k_get": entry(0.0004),
            "http_api_million": entry(1.0),
            "internet_egress_gb": entry(0.09),
            "cloudwatch_logs_gb": entry(0.5),
            "dns_firewall_million_queries": entry(0.6),
            "nat_gateway_hour": entry(0.04),
            "nat_gateway_gb": entry(0.04),
            "nlb_hour": entry(0.02),
            "nlb_lcu_hour": entry(0.006),
        }
    },
}

USE = {
    "hours_streamed": 10,
    "server_hours": 12,
    "stream_mbps": 4,
    "viewers": 20,
    "gb_watched": 36,
    "storage_gb": {"standard": 10, "standard_ia": 100},
    "api_requests": 50_000,
    "lambda_ms": 200,
    "log_gb": 1,
    "maintenance_hours": 2,
    "ec2_egress_gb": 2,
    "kms_requests": 20_000,
    "dns_queries": 200_000,
    "free_tier": False,
    "waf_rules": 4,
    "nat_other_gb": 2,
}
STACK = {
    "proxy_instance_type": "t4g.nano",
    "owncast_instance_type": "t4g.small",
    "proxy_volume_gb": 8,
    "owncast_volume_gb": 16,
    "lambda_memory_mb": 256,
    "lambda_architecture": "arm64",
    "housekeeping_schedule": "rate(5 minutes)",
    "segment_seconds": 2,
    "kms_customer_keys": 0,
    "dns_firewall": True,
}

# The hand-worked table for USE and STACK with TEST_PRICES, free tier off.
# 4 Mbit/s for an hour = 4 * 3600 / 8 / 1000 = 1.8 GB; 10 hours streamed = 18 GB.
# Segments of 2 s: 10 * 3600 / 2 = 18,000. Viewers fetched 36 GB = 36 / 1.8 = 20 hours,
# each 2 s a segment and a playlist: 20 * 3600 / 2 * 2 = 72,000 CloudFront requests.
# S3 PUTs: 4 per segment = 72,000; GETs at most one per request = 72,000.
# Lambda: 50,000 API + 2 archiver calls per segment 36,000 + housekeeping every 5 minutes
# 730 * 60 / 5 = 8,760 -> 94,760 invocations; 94,760 * 0.2 s * 256/1024 GB = 4,738 GB-s.
HAND_DESIGN = {
    "EC2 proxy (t4g.nano)": 12 * 0.004,  # 0.048
    "EC2 owncast (t4g.small)": 12 * 0.016,  # 0.192
    "EBS gp3 root volumes (kept while stopped)": (8 + 16) * 0.08,  # 1.92
    "Public IPv4 (proxy Elastic IP all month, maintenance address)": (730 + 2) * 0.005,  # 3.66
    "Data out of EC2 to the internet (admin, replies)": 2 * 0.09,  # 0.18
    "S3 standard storage": 10 * 0.02,  # 0.20
    "S3 standard_ia storage": 100 * 0.01,  # 1.00
    "S3 PUT requests (segments, playlists, archive copies)": 72 * 0.005,  # 0.36
    "S3 GET requests (origin fetches, at most one per request)": 72 * 0.0004,  # 0.0288
    "CloudFront data out (GB watched)": 36 * 0.085,  # 3.06
    "CloudFront HTTPS requests": 7.2 * 0.01,  # 0.072
    "HTTP API requests": 0.05 * 1.0,  # 0.05
    "Lambda requests (API, archiver, housekeeping)": 0.09476 * 0.2,  # 0.018952
    "Lambda duration (arm64, 256 MB)": 4738 * 0.00001,  # 0.04738
    "CloudWatch Logs ingested": 1 * 0.5,  # 0.50
    "Cognito monthly active users": 20 * 0.015,  # 0.30
    "KMS requests (SecureString parameters)": 2 * 0.03,  # 0.06
    "DNS firewall queries": 0.2 * 0.6,  # 0.12
    "AWS Budgets cost budget (no actions)": 0.0,
}
HAND_DESIGN_TOTAL = 11.82  # 11.817132
HAND_ALWAYS_ON_TOTAL = 26.18  # 11.817132 - 0.24 (12 h of both) + 730 * (0.004 + 0.016) = 26.177132
HAND_AVOIDED = {
    "NLB in front of RTMP (runs all month)": 730 * 0.02,  # 14.60
    "NLB capacity (1 NLCU per GB of the stream)": 18 * 0.006,  # 0.108
    "NAT gateway (runs all month)": 730 * 0.04,  # 29.20
    "NAT gateway processing (uploads to S3, updates)": (18 + 2) * 0.04,  # 0.80
    "Public IPv4 of the NLB and the NAT gateway": 2 * 730 * 0.005,  # 7.30
    "WAF web ACL": 5.0,
    "WAF rules": 4 * 1.0,
    "WAF requests (CloudFront and API)": (72_000 + 50_000) / 1e6 * 0.6,  # 0.0732
}
HAND_AVOIDED_TOTAL = 72.90  # 11.817132 + 61.0812 = 72.898332
# With the free tier: CloudFront 36 GB and 72,000 requests, Lambda, 20 MAU and 2 GB out of
# EC2 all fall inside the allowances: 11.817132 - (3.06 + 0.072 + 0.018952 + 0.04738 + 0.30
# + 0.18) = 8.1388.
HAND_FREE_TIER_TOTAL = 8.14


def by_item(lines: list[dict[str, Any]]) -> dict[str, float]:
    return {line["item"]: line["usd"] for line in lines}


def test_design_lines_match_the_hand_worked_table() -> None:
    result = cost.estimate(USE, TEST_PRICES, "xx-test-1", STACK)
    lines = by_item(result["design"])
    assert list(lines) == list(HAND_DESIGN)
    for item, usd in HAND_DESIGN.items():
        assert lines[item] == pytest.approx(usd, abs=1e-4), item
    assert result["design_usd"] == pytest.approx(HAND_DESIGN_TOTAL, abs=CENT)


def test_always_on_and_avoided_topology_match_the_hand_worked_table() -> None:
    result = cost.estimate(USE, TEST_PRICES, "xx-test-1", STACK)
    assert result["always_on_usd"] == pytest.approx(HAND_ALWAYS_ON_TOTAL, abs=CENT)
    avoided = by_item(result["avoided"])
    assert list(avoided) == list(HAND_AVOIDED)
    for item, usd in HAND_AVOIDED.items():
        assert avoided[item] == pytest.approx(usd, abs=1e-4), item
    assert result["avoided_usd"] == pytest.approx(HAND_AVOIDED_TOTAL, abs=CENT)


def test_free_tier_allowances_are_subtracted() -> None:
    result = cost.estimate({**USE, "free_tier": True}, TEST_PRICES, "xx-test-1", STACK)
    assert result["design_usd"] == pytest.approx(HAND_FREE_TIER_TOTAL, abs=CENT)
    assert by_item(result["design"])["CloudFront data out (GB watched)"] == 0


def test_warnings_name_the_traps_with_this_use_figures() -> None:
    text = "\n".join(cost.estimate(USE, TEST_PRICES, "xx-test-1", STACK)["warnings"])
    assert "ACM exportable public certificates are charged ($15.00 per name, $149.00 per wildcard" in text
    assert "18.0 GB of uploads would cost $0.72" in text  # 18 GB * 0.04 through a NAT gateway
    assert "public IPv4 address costs $3.65 a month" in text  # 730 * 0.005
    assert "real-time logs" in text
    assert "about 18.0 GB more each month ($0.36" in text  # versioning: 18 GB * 0.02
    assert "running all month add $14.36" in text  # 26.177132 - 11.817132


def test_report_marks_unconfirmed_prices_and_prints_totals() -> None:
    result = cost.estimate(USE, TEST_PRICES, "xx-test-1", STACK)
    report = "\n".join(result["report"])
    proxy_line = next(line for line in result["report"] if "EC2 proxy" in line)
    assert "$0.004     *" in proxy_line
    assert "*" not in next(line for line in result["report"] if "EBS gp3" in line)
    assert "$   11.82" in report and "$   72.90" in report and "$26.18" in report
    assert result["unconfirmed"] == ["EC2 owncast (t4g.small)", "EC2 proxy (t4g.nano)"]


def test_region_missing_from_the_table_is_a_clear_error() -> None:
    with pytest.raises(cost.CostError, match=r"no prices for region 'ap-south-1'; it has \['xx-test-1'\]"):
        cost.estimate(USE, TEST_PRICES, "ap-south-1", STACK)
    with pytest.raises(AnsibleFilterError, match="no prices for region 'ap-south-1'"):
        FilterModule().filters()["cost_estimate"](USE, TEST_PRICES, "ap-south-1", STACK)


@pytest.mark.parametrize(
    ("use", "stack", "message"),
    [
        ({"hours_streamd": 1}, {}, "unknown use keys"),
        ({"gb_watched": -1}, {}, "gb_watched must not be negative"),
        ({"gb_watched": "lots"}, {}, "gb_watched must be a number, got 'lots'"),
        ({"hours_streamed": 40, "server_hours": 30}, {}, "server_hours must be at least hours_streamed"),
        ({}, {"proxy_instance_type": "m7g.large"}, "no 'ec2_hour' for 'm7g.large'"),
        ({"storage_gb": {"glacier": 1}}, {}, "no 's3_gb_month' for 'glacier'"),
        ({}, {"housekeeping_schedule": "cron(0 * * * ? *)"}, "cannot count the runs"),
    ],
)
def test_bad_input_is_refused(use: dict[str, Any], stack: dict[str, Any], message: str) -> None:
    with pytest.raises(cost.CostError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cost.estimate(use, TEST_PRICES, "xx-test-1", {**STACK, **stack})


def test_settings_templated_as_strings_are_read_as_values() -> None:
    """Ansible may hand the stack's settings over as strings ("8", "False")."""
    as_strings = {**STACK, "proxy_volume_gb": "8", "dns_firewall": "False", "segment_seconds": "2"}
    result = cost.estimate(USE, TEST_PRICES, "xx-test-1", as_strings)
    assert "DNS firewall queries" not in by_item(result["design"])
    assert result["design_usd"] == pytest.approx(HAND_DESIGN_TOTAL - 0.12, abs=CENT)


def real_prices() -> dict[str, Any]:
    return yaml.safe_load(PRICES_FILE.read_text())["privatecast_cost_prices"]


def role_default(role: str, name: str) -> Any:
    return yaml.safe_load((REPO_ROOT / "roles" / role / "defaults" / "main.yml").read_text())[name]


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1", "eu-west-1"])
def test_real_table_prices_the_default_stack_in_each_region(region: str) -> None:
    """Every price the estimate needs is there for the regions of the docs and the example
    inventory, for the roles' default instance types."""
    assert role_default("privatecast", "privatecast_region") == "eu-west-1"
    stack = {
        "proxy_instance_type": role_default("aws_compute", "aws_compute_proxy_instance_type"),
        "owncast_instance_type": role_default("aws_compute", "aws_compute_owncast_instance_type"),
    }
    storage_class = role_default("aws_storage", "aws_storage_recordings_storage_class")
    result = cost.estimate({"storage_gb": {"standard": 1, storage_class: 1}}, real_prices(), region, stack)
    assert result["design_usd"] > 0 and result["avoided_usd"] > result["always_on_usd"] > result["design_usd"]


def test_real_table_names_a_source_date_and_confirmation_for_every_price() -> None:
    table = real_prices()
    entries = list(table["global"].items())
    for region, prices in table["regions"].items():
        entries += [(f"{region}.{key}", value) for key, value in prices.items()]
    assert len(entries) > 30
    for name, value in entries:
        assert value["source"].strip(), name
        assert datetime.date.fromisoformat(value["read"]) <= datetime.date.fromisoformat(table["as_of"]), name
        assert isinstance(value["confirmed"], bool), name
        assert not value["confirmed"] or value.get("seen"), (
            f"{name}: a confirmed price names where it was seen"
        )
    for name, value in table["free"].items():
        assert value["source"].strip() and value["amount"] > 0, name


def run_cost_playbook(tmp_path: Path, variables: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    use_file = tmp_path / "my-use.yml"
    use_file.write_text(yaml.safe_dump(variables))
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_DIR),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
    }
    return subprocess.run(
        ["ansible-playbook", "playbooks/cost.yml", "-e", f"@{use_file}"],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def debug_message(output: dict[str, Any]) -> list[str]:
    for play in output["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].endswith("Print the estimate"):
                return task["hosts"]["localhost"]["msg"]
    raise AssertionError("the playbook printed no estimate")


def test_playbook_prints_the_table(tmp_path: Path) -> None:
    variables = {
        "privatecast_region": "us-east-1",
        "privatecast_cost_use": {"hours_streamed": 10, "server_hours": 12},
    }
    run = run_cost_playbook(tmp_path, variables)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = debug_message(json.loads(run.stdout))
    assert report[0].startswith("Estimated monthly cost in us-east-1 (prices as of ")
    # The stack's settings come from the roles' defaults: t4g.nano / t4g.small, 8 + 16 GB.
    assert any(line.strip().startswith("EC2 proxy (t4g.nano)") and " 12 " in line for line in report)
    assert any(line.strip().startswith("EBS gp3 root volumes") and " 24 " in line for line in report)
    expected = cost.estimate(
        variables["privatecast_cost_use"],
        real_prices(),
        "us-east-1",
        {"segment_seconds": role_default("owncast", "owncast_latency_level") + 1},
    )
    assert f"= ${expected['design_usd']:>8.2f}" in report[len(expected["design"]) + 2]
    assert any("NAT gateway (runs all month)" in line for line in report)
    assert any("ACM exportable public certificates" in line for line in report)


def test_playbook_fails_clearly_for_an_unpriced_region(tmp_path: Path) -> None:
    run = run_cost_playbook(tmp_path, {"privatecast_region": "ap-south-1"})
    assert run.returncode != 0
    assert "no prices for region 'ap-south-1'" in run.stdout
