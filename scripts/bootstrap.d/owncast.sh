# shellcheck shell=bash
# The real Owncast binaries, built by scripts/build-owncast into
# $PRIVATECAST_CACHE/owncast/<version>/<goarch>/ (binary + BUILD-INFO) and reused from
# there, so a second run does nothing:
# - amd64: the local podman hosts (this machine's architecture) and the molecule scenario;
# - arm64: the AWS servers' default (t4g), and the test that starts it under
#   qemu-user-static.
# Sourced by scripts/bootstrap (after scripts/lib.sh). A failed build stops bootstrap:
# there is no stand-in binary.

bootstrap_owncast_binary() {
  local arch=$1 binary
  # The build's output goes to stderr through the inherited descriptor: `tee /dev/stderr`
  # reopens a log file on stderr truncated, wiping everything logged before (CI logs).
  binary=$("$REPO_ROOT/scripts/build-owncast" --arch "$arch" | tee >(cat >&2) | tail -n 1) ||
    die "owncast: scripts/build-owncast --arch $arch failed; no Owncast binary for the tests (see its output above)"
  log "owncast: $binary ($(grep -E '^(build|goarch|sha256)=' "$(dirname "$binary")/BUILD-INFO" | tr '\n' ' '))"
}

bootstrap_owncast_binary amd64
bootstrap_owncast_binary arm64
