"""A role's variables as the role renders them, for unit tests of what a role would send
(IAM policies, ...) without a playbook run: the role's defaults/main.yml and
vars/main.yml, loaded as Ansible loads them (trusted templates), plus the inputs the
test gives (facts of earlier roles, inventory values), rendered with Ansible's Templar.

Precedence follows Ansible's: role defaults < the test's inputs (inventory, facts) <
role vars.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"


def _load(loader: DataLoader, path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return loader.load_from_file(str(path), trusted_as_template=True) or {}


def render_role_var(role: str, name: str, inputs: Mapping[str, Any]) -> Any:
    """The value of variable `name` of role `role`, fully rendered, as plain JSON data."""
    loader = DataLoader()
    role_dir = ROLES_DIR / role
    variables = {
        **_load(loader, role_dir / "defaults" / "main.yml"),
        **inputs,
        **_load(loader, role_dir / "vars" / "main.yml"),
    }
    rendered = Templar(loader=loader, variables=variables).template(variables[name])
    # Plain data: Ansible's tagged strings and lazy containers become str, list and dict.
    return json.loads(json.dumps(rendered))
