# shellcheck shell=bash
# The test hosts' image: Debian 12 (bookworm) minbase with systemd as PID 1, built with
# debootstrap and imported into podman as localhost/privatecast-debian12. Sourced by
# scripts/bootstrap (after scripts/lib.sh); the tarball is cached under
# $PRIVATECAST_CACHE/images and the import is skipped while podman has the image, so a
# second run does nothing. Usage of the image: docs/conventions.md, "Test hosts".

PRIVATECAST_IMAGE=${PRIVATECAST_IMAGE:-localhost/privatecast-debian12}
PRIVATECAST_IMAGE_TARBALL="$PRIVATECAST_CACHE/images/debian12-minbase.tar"
export PRIVATECAST_IMAGE

# The Debian mirror this machine's apt already uses (deb822 or one-line format), so the
# image is built from, and its apt later talks to, the same place.
host_debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 !~ /^\[/ && $3 == "bookworm" { print $2; exit }' \
    /etc/apt/sources.list 2>/dev/null)
  [ -n "$uri" ] || die "image: cannot find this machine's Debian mirror in /etc/apt"
  printf '%s\n' "$uri"
}

# Reuse the host's apt sources (Debian ones only), the apt.conf.d files that tune how apt
# fetches (proxies, snapshot mirrors' date checks) and extra CA certificates, so apt
# inside the containers works the way it does on this machine.
copy_host_apt_configuration() {
  local rootfs=$1 file
  rm -f "$rootfs/etc/apt/sources.list"
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    if [ -f "$file" ] && grep -q 'debian' "$file"; then
      cp "$file" "$rootfs$file"
    fi
  done
  for file in /etc/apt/apt.conf.d/*; do
    if grep -qE '^[[:space:]]*Acquire::' "$file" 2>/dev/null; then
      cp "$file" "$rootfs/etc/apt/apt.conf.d/"
    fi
  done
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
  fi
}

# A container image, not a machine: an empty machine-id that systemd fills at boot, no
# getty on a console that does not exist, no cached package lists.
prepare_rootfs_for_containers() {
  local rootfs=$1
  : > "$rootfs/etc/machine-id"
  ln -sf /dev/null "$rootfs/etc/systemd/system/getty@tty1.service"
  ln -sf /dev/null "$rootfs/etc/systemd/system/console-getty.service"
  ln -sf /dev/null "$rootfs/etc/systemd/system/systemd-remount-fs.service"
  echo 'privatecast-host' > "$rootfs/etc/hostname"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
}

build_image_tarball() {
  local rootfs mirror started=$SECONDS
  mkdir -p "$(dirname "$PRIVATECAST_IMAGE_TARBALL")"
  rootfs=$(mktemp -d "$PRIVATECAST_CACHE/images/rootfs.XXXXXX")
  mirror=$(host_debian_mirror)
  log "image: debootstrap Debian 12 minbase from $mirror"
  debootstrap --variant=minbase --include=python3,systemd,systemd-sysv,ca-certificates,sudo \
    bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
    { tail -20 "$rootfs.log" >&2; rm -rf "$rootfs"; die "image: debootstrap failed (log: $rootfs.log)"; }
  copy_host_apt_configuration "$rootfs"
  prepare_rootfs_for_containers "$rootfs"
  tar --numeric-owner -C "$rootfs" -cf "$PRIVATECAST_IMAGE_TARBALL.tmp" .
  mv "$PRIVATECAST_IMAGE_TARBALL.tmp" "$PRIVATECAST_IMAGE_TARBALL"
  rm -rf "$rootfs" "$rootfs.log"
  log "image: tarball built in $((SECONDS - started))s"
}

import_image() {
  log "image: podman import as $PRIVATECAST_IMAGE"
  podman import -q --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
    "$PRIVATECAST_IMAGE_TARBALL" "$PRIVATECAST_IMAGE" >/dev/null
}

ensure_test_host_image() {
  podman image exists "$PRIVATECAST_IMAGE" && return 0
  [ "$(id -u)" = 0 ] || die "image: run as root to build $PRIVATECAST_IMAGE"
  mkdir -p "$PRIVATECAST_CACHE/images"
  # Several checkouts may bootstrap at once: one builds, the others wait and reuse.
  (
    flock 9
    podman image exists "$PRIVATECAST_IMAGE" && exit 0
    [ -s "$PRIVATECAST_IMAGE_TARBALL" ] || build_image_tarball
    import_image
  ) 9>"$PRIVATECAST_CACHE/images/.lock" || die "image: could not provide $PRIVATECAST_IMAGE"
}

ensure_test_host_image
