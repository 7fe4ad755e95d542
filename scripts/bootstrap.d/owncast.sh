# shellcheck shell=bash
# The real Owncast binary for the test hosts and the local stack, built by
# scripts/build-owncast into $PRIVATECAST_CACHE/owncast/<version>/ (binary + BUILD-INFO)
# and reused from there, so a second run does nothing. Sourced by scripts/bootstrap (after
# scripts/lib.sh). A failed build stops bootstrap: there is no stand-in binary.

bootstrap_owncast_binary() {
  local binary
  # The build's output goes to stderr through the inherited descriptor: `tee /dev/stderr`
  # reopens a log file on stderr truncated, wiping everything logged before (CI logs).
  binary=$("$REPO_ROOT/scripts/build-owncast" | tee >(cat >&2) | tail -n 1) ||
    die "owncast: scripts/build-owncast failed; no Owncast binary for the tests (see its output above)"
  log "owncast: $binary ($(grep -E '^(build|sha256)=' "$(dirname "$binary")/BUILD-INFO" | tr '\n' ' '))"
}

bootstrap_owncast_binary
