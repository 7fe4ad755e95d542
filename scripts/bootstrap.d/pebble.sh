# shellcheck shell=bash
# Pebble, the ACME test server the haproxy molecule scenario issues and renews the admin
# certificate from, built by scripts/build-pebble into $PRIVATECAST_CACHE/pebble/<version>/
# and reused from there, so a second run does nothing. Sourced by scripts/bootstrap (after
# scripts/lib.sh).

bootstrap_pebble() {
  local dir
  dir=$("$REPO_ROOT/scripts/build-pebble" | tee >(cat >&2) | tail -n 1) ||
    die "pebble: scripts/build-pebble failed (see its output above)"
  log "pebble: $dir ($(grep -E '^pebble_(version|sha256)=' "$dir/BUILD-INFO" | tr '\n' ' '))"
}

bootstrap_pebble
