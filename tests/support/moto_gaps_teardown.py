"""moto gaps that playbooks/teardown.yml meets (moto 5.2.5).

- EC2 DescribeNetworkAcls: moto does not implement the filter ``network-acl-id``
  (FilterNotImplementedError, answered as HTTP 500); AWS documents it (the ACL's id).
  amazon.aws.ec2_vpc_nacl looks an ACL up by it when given ``nacl_id``, as the teardown
  does. Filled here: the filter compares the ACL's id.

Remove each piece once moto implements it.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.network_acls import NetworkAcl


def _wrap_filter_value(original):
    def get_filter_value(self: NetworkAcl, filter_name: str) -> Any:
        if filter_name == "network-acl-id":
            return self.id
        return original(self, filter_name)

    get_filter_value.patched_by_privatecast = True
    return get_filter_value


def apply() -> None:
    original = NetworkAcl.get_filter_value
    if not getattr(original, "patched_by_privatecast", False):
        NetworkAcl.get_filter_value = _wrap_filter_value(original)
