"""The aws_network role opens port 80 of the proxy (ACME HTTP-01) in the public network
ACL only while ACME is on (privatecast_admin_domain set): the role's own vars expression
and NACL template rendered by Ansible's templar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = Path(__file__).resolve().parents[2] / "roles" / "aws_network"
ANYWHERE = "0.0.0.0/0"
ADMIN = "203.0.113.10/32"


def render(admin_domain: str | None, camera_cidrs: list[str]) -> dict[str, Any]:
    variables: dict[str, Any] = {
        "privatecast_camera_cidrs": camera_cidrs,
        "privatecast_admin_cidrs": [ADMIN],
        "aws_network_public_subnet_cidr": "10.42.0.0/25",
        "aws_network_private_subnet_cidr": "10.42.0.128/25",
        "aws_network_reply_cidrs": sorted({*camera_cidrs, ADMIN}),
    }
    if admin_domain is not None:
        variables["privatecast_admin_domain"] = admin_domain
    role_vars = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    templar = Templar(loader=DataLoader(), variables=variables)
    variables["aws_network_acme_http_open"] = templar.template(
        trust_as_template(role_vars["aws_network_acme_http_open"])
    )
    templar = Templar(loader=DataLoader(), variables=variables)
    source = (ROLE / "templates" / "nacl_entries.json.j2").read_text()
    return json.loads(templar.template(trust_as_template(source)))["public"]


def opens_port_80(public: dict[str, Any]) -> bool:
    return any(entry[3] == ANYWHERE and entry[6] <= 80 <= entry[7] for entry in public["ingress"])


def replies_anywhere(public: dict[str, Any]) -> bool:
    return any(entry[3] == ANYWHERE and entry[6] == 1024 for entry in public["egress"])


@pytest.mark.parametrize("admin_domain", [None, ""])
def test_port_80_closed_without_acme(admin_domain: str | None) -> None:
    public = render(admin_domain, camera_cidrs=["198.51.100.0/24"])
    assert not opens_port_80(public)
    assert not replies_anywhere(public)


def test_port_80_open_to_anywhere_with_acme() -> None:
    public = render("admin.example.org", camera_cidrs=["198.51.100.0/24"])
    assert [entry for entry in public["ingress"] if entry[6] == 80] == [
        [400, "tcp", "allow", ANYWHERE, None, None, 80, 80]
    ]
    # Stateless ACL: the CA's replies go back to any address on ephemeral ports.
    assert replies_anywhere(public)
    assert all(entry[0] < 900 for entry in public["ingress"] + public["egress"])
