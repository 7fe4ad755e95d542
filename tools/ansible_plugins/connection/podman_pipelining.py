# Copyright: privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""containers.podman.podman with pipelining, for the local stack and the molecule hosts.

containers.podman's connection runs ``podman exec`` without ``--interactive``, so the
container never sees the stdin Ansible pipes a module into, and it disables pipelining.
Without it every task costs four podman runs (make a temporary directory, copy the
module in, run it, remove the directory) plus a ``podman mount``; with it, one
``podman exec --interactive``. This is a development tool of this repository
(ansible.cfg's connection_plugins), not part of the collection users install.
"""

from __future__ import annotations

import shlex

from ansible.plugins.connection import ConnectionBase
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection

DOCUMENTATION = r"""
name: podman_pipelining
short_description: Run tasks in podman containers, with pipelining
description:
  - The C(containers.podman.podman) connection, except that a module piped into a task
    reaches the container (C(podman exec --interactive)), so Ansible's pipelining works.
  - The container's file system is not mounted on the controller; files are copied with
    C(podman cp).
author: privatecast.streaming contributors
extends_documentation_fragment:
  - connection_pipelining
options:
  remote_addr:
    description: The name or id of the container.
    default: inventory_hostname
    vars:
      - name: ansible_host
      - name: inventory_hostname
      - name: ansible_podman_host
  remote_user:
    description: The user to run as in the container (the image's default when unset).
    ini:
      - section: defaults
        key: remote_user
    env:
      - name: ANSIBLE_REMOTE_USER
    vars:
      - name: ansible_user
  podman_extra_args:
    description: Extra arguments for every podman command.
    default: ''
    vars:
      - name: ansible_podman_extra_args
    env:
      - name: ANSIBLE_PODMAN_EXTRA_ARGS
  podman_executable:
    description: The podman executable.
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
"""


class Connection(PodmanConnection):
    transport = "podman_pipelining"
    has_pipelining = True

    def _connect(self) -> None:
        # No `podman mount` per task: put_file and fetch_file fall back to `podman cp`.
        self._connected = True

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = False):
        if in_data is None:
            return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        return self._exec_with_stdin(cmd, in_data)

    def _exec_with_stdin(self, cmd: str, in_data: bytes):
        # What containers.podman's exec_command does, plus --interactive so the module
        # reaches the container's stdin.
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=False)
        arguments = ["exec", "--interactive"]
        if self.user:
            arguments.extend(("--user", self.user))
        return self._podman(arguments, shlex.split(cmd), in_data)
