# -*- coding: utf-8 -*-
# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: elf_machine
short_description: The machine (CPU architecture) an ELF executable on the controller is built for
version_added: 0.1.0
description:
  - Reads the ELF header (C(e_ident) and C(e_machine)) of a file on the controller and
    returns its machine in the names C(uname -m) and Ansible's
    C(ansible_facts.architecture) use, for example C(x86_64) or C(aarch64).
  - With O(host_architecture), fails with a message naming both architectures when the
    file would not run on a host of that architecture. The owncast role uses this to
    refuse an Owncast binary built for another architecture before copying it.
  - Fails when the file is missing or is not an ELF executable.
author:
  - privatecast.streaming developers (@privatecast)
options:
  _terms:
    description: Paths of the files on the controller.
    type: list
    elements: path
    required: true
  host_architecture:
    description:
      - The architecture of the host the file is meant for, as
        C(ansible_facts.architecture) reports it (C(aarch64), C(x86_64), C(armv7l), ...).
        Go's and Debian's names (C(arm64), C(amd64)) are accepted too.
      - Omit to only read the machine.
    type: str
"""

EXAMPLES = r"""
- name: Show which architecture a binary is built for
  ansible.builtin.debug:
    msg: "{{ lookup('privatecast.streaming.elf_machine', '/usr/local/bin/owncast') }}"

- name: Refuse a binary that would not run on this host
  ansible.builtin.debug:
    msg: >-
      {{ lookup('privatecast.streaming.elf_machine', owncast_binary_src,
                host_architecture=ansible_facts.architecture) }}
"""

RETURN = r"""
_raw:
  description:
    - One machine name per path (C(x86_64), C(aarch64), C(arm), C(i386), C(riscv64),
      C(ppc64le), C(s390x)), or C(unknown-<e_machine number>) for another machine.
  type: list
  elements: str
"""

import struct
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

ELF_MAGIC = b"\x7fELF"
# e_ident[EI_DATA]: 1 little-endian, 2 big-endian. e_machine (a half word) sits at byte 18
# in both ELF classes, in the file's byte order.
ELF_BYTE_ORDER = {1: "<", 2: ">"}
E_MACHINE_OFFSET = 18
ELF_HEADER_PREFIX = E_MACHINE_OFFSET + 2

# e_machine values (System V ABI, elf.h) and the name `uname -m` gives such a machine.
MACHINES = {
    3: "i386",
    8: "mips",
    20: "ppc",
    21: "ppc64le",
    22: "s390x",
    40: "arm",
    62: "x86_64",
    183: "aarch64",
    243: "riscv64",
}

# Host architecture names (uname -m, Ansible facts, Go, Debian) for each machine name.
HOST_ALIASES = {
    "i386": {"i386", "i486", "i586", "i686", "386"},
    "arm": {"arm", "armv6l", "armv7l", "armhf", "armel"},
    "x86_64": {"x86_64", "amd64"},
    "aarch64": {"aarch64", "arm64"},
    "ppc64le": {"ppc64le"},
    "s390x": {"s390x"},
    "riscv64": {"riscv64"},
    "mips": {"mips"},
    "ppc": {"ppc"},
}


def machine_of_header(header: bytes) -> str:
    """The machine name of an ELF file from its first bytes; ValueError when not ELF."""
    if len(header) < ELF_HEADER_PREFIX or header[:4] != ELF_MAGIC:
        raise ValueError("not an ELF file")
    byte_order = ELF_BYTE_ORDER.get(header[5])
    if byte_order is None:
        raise ValueError(f"unknown ELF byte order {header[5]}")
    (number,) = struct.unpack_from(byte_order + "H", header, E_MACHINE_OFFSET)
    return MACHINES.get(number, f"unknown-{number}")


def machine_of_file(path: str) -> str:
    """The machine name of the ELF file at path; ValueError or OSError when unreadable."""
    with open(path, "rb") as handle:
        return machine_of_header(handle.read(ELF_HEADER_PREFIX))


def runs_on(machine: str, host_architecture: str) -> bool:
    """True when a binary for machine runs natively on a host of that architecture."""
    return host_architecture.lower() in HOST_ALIASES.get(machine, {machine})


def checked_machine(path: str, host_architecture: str | None) -> str:
    """The file's machine; AnsibleError when unreadable or not for host_architecture."""
    try:
        machine = machine_of_file(path)
    except (OSError, ValueError) as error:
        raise AnsibleError(f"{path}: cannot read its ELF header: {error}") from error
    if host_architecture and not runs_on(machine, host_architecture):
        raise AnsibleError(
            f"{path} is built for {machine}, but the host is {host_architecture}: it would not "
            f"run there. Use a binary built for {host_architecture} "
            f"(scripts/build-owncast --arch {host_architecture})."
        )
    return machine


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
        self.set_options(var_options=variables, direct=kwargs)
        host_architecture = self.get_option("host_architecture")
        return [checked_machine(str(term), host_architecture) for term in terms]
