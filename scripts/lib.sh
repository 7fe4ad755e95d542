# shellcheck shell=bash
# Shared helpers for scripts/up and scripts/test. Sourced, not run.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Expensive things (virtualenv, debootstrap image, Owncast build) live outside the clone
# so a fresh clone reuses them.
PRIVATECAST_CACHE=${PRIVATECAST_CACHE:-/var/cache/privatecast}
export PRIVATECAST_CACHE REPO_ROOT

log() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The collection must sit under .../ansible_collections/privatecast/streaming for
# ansible, ansible-lint and molecule to resolve its FQCNs offline.
COLLECTIONS_DIR="$REPO_ROOT/.ansible/collections"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_DIR"
export ANSIBLE_ROLES_PATH="$REPO_ROOT/roles"
export ANSIBLE_CONFIG="$REPO_ROOT/ansible.cfg" # pipelining
# Containers (the local stack's hosts) need runc and lowered ulimits on these machines.
export CONTAINERS_CONF="$PRIVATECAST_CACHE/containers.conf"

requirements_hash() {
  sha256sum <"$REPO_ROOT/requirements-dev.txt" | cut -c1-12
}

VENV="$PRIVATECAST_CACHE/venv-$(requirements_hash)"
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
