"""moto gaps that playbooks/teardown.yml meets (moto 5.2.5).

- EC2 DescribeNetworkAcls: moto does not implement the filter ``network-acl-id``
  (FilterNotImplementedError, answered as HTTP 500); AWS documents it (the ACL's id).
  amazon.aws.ec2_vpc_nacl looks an ACL up by it when given ``nacl_id``, as the teardown
  does. Filled here: the filter compares the ACL's id.
- IAM ListServiceSpecificCredentials is not implemented (NotImplementedError, HTTP 500);
  amazon.aws.iam_user calls it before it deletes a user. moto has no
  CreateServiceSpecificCredential either, so no user has any: filled here with the
  user's (empty) list, after checking the user exists (NoSuchEntity otherwise, as AWS).
- IAM ListInstanceProfiles ignores ``PathPrefix`` and lists every profile of the
  account; AWS lists only those whose path starts with it. Filled here.

Remove each piece once moto implements it.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.models.network_acls import NetworkAcl
from moto.iam.responses import IamResponse


def _wrap_filter_value(original):
    def get_filter_value(self: NetworkAcl, filter_name: str) -> Any:
        if filter_name == "network-acl-id":
            return self.id
        return original(self, filter_name)

    get_filter_value.patched_by_privatecast = True
    return get_filter_value


def list_service_specific_credentials(self: IamResponse) -> ActionResult:
    self.backend.get_user(self._get_param("UserName"))
    return ActionResult({"ServiceSpecificCredentials": []})


def list_instance_profiles(self: IamResponse) -> ActionResult:
    prefix = self._get_param("PathPrefix") or "/"
    profiles = [p for p in self.backend.get_instance_profiles() if p.path.startswith(prefix)]
    return ActionResult({"InstanceProfiles": profiles})


def apply() -> None:
    IamResponse.list_service_specific_credentials = list_service_specific_credentials
    IamResponse.list_instance_profiles = list_instance_profiles
    original = NetworkAcl.get_filter_value
    if not getattr(original, "patched_by_privatecast", False):
        NetworkAcl.get_filter_value = _wrap_filter_value(original)
