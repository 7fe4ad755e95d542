# -*- coding: utf-8 -*-
# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CPU architecture names: from an EC2 instance type (instance_architecture.yml) and from
uname's or Debian's name to Go's (goarch.yml)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

# Graviton families carry a "g" after the generation digit (t4g, m7g, c7gn, r8gd, x2gd,
# im4gn); the first Graviton family is a1. Every other current family is x86_64 (t3,
# t3a, m6i, c7i-flex, g4dn, ...).
GRAVITON_TYPE = re.compile(r"^(a1|[a-z]+[0-9]+[a-z-]*g[a-z-]*)\.[a-z0-9-]+$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$")

# The same two architectures in each naming: EC2 and AMIs, Go (GOARCH) and Debian, and
# uname -m (Ansible's ansible_facts.architecture).
NAMINGS = {
    "ec2": {"arm64": "arm64", "x86_64": "x86_64"},
    "go": {"arm64": "arm64", "x86_64": "amd64"},
    "uname": {"arm64": "aarch64", "x86_64": "x86_64"},
}


def instance_architecture(instance_type: Any, naming: str = "ec2") -> str:
    """arm64 or x86_64 (in the naming asked for) of an EC2 instance type such as t4g.small."""
    if not isinstance(instance_type, str) or not INSTANCE_TYPE.match(instance_type):
        raise AnsibleFilterError(f"instance_architecture: {instance_type!r} is not an EC2 instance type")
    if naming not in NAMINGS:
        raise AnsibleFilterError(
            f"instance_architecture: naming must be one of {sorted(NAMINGS)}, not {naming!r}"
        )
    architecture = "arm64" if GRAVITON_TYPE.match(instance_type) else "x86_64"
    return NAMINGS[naming][architecture]


GOARCH = {"aarch64": "arm64", "arm64": "arm64", "x86_64": "amd64", "amd64": "amd64"}


def goarch(architecture: Any) -> str:
    """Go's name (arm64, amd64) of an architecture named by uname, Ansible, Debian or Go."""
    if not isinstance(architecture, str) or architecture not in GOARCH:
        raise AnsibleFilterError(f"goarch: {architecture!r} is not one of {sorted(GOARCH)}")
    return GOARCH[architecture]


class FilterModule:
    def filters(self) -> dict[str, Callable[..., str]]:
        return {"instance_architecture": instance_architecture, "goarch": goarch}
