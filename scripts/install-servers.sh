#!/usr/bin/env bash
# Installs Cyrus IMAP 3.6 and Courier-IMAP 5.0 for the cross-server integration tests, beside Dovecot.
#
# cyrus-imapd and courier-imap both declare `Conflicts: imap-server`, which dovecot-imapd provides, so
# apt would remove Dovecot to install either (and they also pull in an MTA). Instead their .debs are
# downloaded and unpacked with dpkg-deb into $EFFECT_IMAP_SERVERS (default /opt/effect-imap-servers,
# outside any checkout: the servers' children run as `cyrus` / $COURIER_USER and must traverse the
# path), and only their non-conflicting dependencies are installed with apt. The tests then start
# private servers from there (test/support/Cyrus.ts, Courier.ts); nothing in /etc is configured.
#
# System state it leaves: the apt packages below, the system users `cyrus` (group mail, as
# cyrus-common's postinst makes it), `courier` (made by courier-authlib's postinst) and
# $COURIER_USER, whose random password is kept in $DEST/courier-password (mode 0600): Courier checks
# passwords through PAM against a real account. Idempotent: ~0.1 s when everything is in place.
#
#   sudo scripts/install-servers.sh          install, or check that everything is in place
#   scripts/install-servers.sh --check       only check; exit 2 with what to run when not in place
set -euo pipefail

DEST="${EFFECT_IMAP_SERVERS:-/opt/effect-imap-servers}"
COURIER_USER=effect-imap
# Runtime libraries and tools of the unpacked binaries that Debian 12 does not always have. Left out
# on purpose: libclamav12 and libzephyr4 (only cyr_virusscan and notifyd use them, and the tests start
# neither), default-mta (no mail is delivered by SMTP), and the conflicting packages themselves.
# gamin: courier-imap's IDLE watches the Maildir through the FAM API, which gamin's gam_server serves.
CYRUS_DEPS=(libical3 libpcre3 libxapian30 libsasl2-modules libsasl2-modules-db sasl2-bin openssl
  libicu72 libjansson4 libkrb5-3 libldap-2.5-0 libpq5 libsqlite3-0 libssl3 libwrap0 libxml2 zlib1g)
COURIER_DEPS=(courier-authlib courier-authdaemon libcourier-unicode4 libidn12 libgamin0 gamin libgnutls30
  libgdbm6 libpcre3 openssl)
# `ss` finds the server process holding a test connection (TestServer's killServing).
TOOL_DEPS=(iproute2)
DEBS=(cyrus-common cyrus-imapd courier-base courier-imap)
# What the tests execute from the unpacked trees; each must find all its shared libraries.
CYRUS_BINARIES=(usr/lib/cyrus/bin/master usr/lib/cyrus/bin/imapd usr/lib/cyrus/bin/idled usr/lib/cyrus/bin/ctl_cyrusdb)
COURIER_BINARIES=(usr/sbin/couriertcpd usr/lib/courier/courier/imaplogin usr/bin/imapd usr/bin/couriertls)

say() { echo "install-servers: $*" >&2; }

missing_packages() {
  local p status
  for p in $(printf '%s\n' "${CYRUS_DEPS[@]}" "${COURIER_DEPS[@]}" "${TOOL_DEPS[@]}" | sort -u); do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [ "${status:0:2}" = ii ] || echo "$p"
  done
}

missing_users() {
  local u
  for u in cyrus courier "$COURIER_USER"; do getent passwd "$u" >/dev/null || echo "$u"; done
}

# Everything the tests need, or the first thing missing (printed).
in_place() {
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  if [ -n "$missing" ]; then echo "packages not installed: $missing"; return 1; fi
  if ! [ -f "$DEST/installed" ]; then echo "no unpacked servers in $DEST"; return 1; fi
  missing=$(missing_users | tr '\n' ' ')
  if [ -n "$missing" ]; then echo "system users missing: $missing"; return 1; fi
  if ! [ -s "$DEST/courier-password" ] || ! [ -d "$DEST/courier-home" ]; then
    echo "no password or home for $COURIER_USER in $DEST"
    return 1
  fi
  return 0
}

# apt-get with the current package lists first; refreshed only when that fails (none yet, or stale
# ones naming versions the mirror no longer has). A failing extra repository must not stop the update.
apt_retrying() {
  if ! "$@" >/dev/null 2>&1; then
    say "refreshing the package lists (apt-get update)"
    apt-get update -qq || say "apt-get update reported errors; trying anyway"
    "$@" >/dev/null
  fi
}

# Reports any shared library an unpacked binary cannot find (its private ones are beside it).
check_libraries() {
  local root=$1
  shift
  local bin missing=""
  for bin in "$@"; do
    [ -x "$root/$bin" ] || {
      say "$root/$bin is missing from the unpacked package"
      return 1
    }
    missing+=$(LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:$root/usr/lib/courier" ldd "$root/$bin" |
      awk -v b="$bin" '/not found/ { print b ": " $1 }')
  done
  if [ -n "$missing" ]; then
    say "shared libraries not found (install the Debian packages that provide them):"
    echo "$missing" >&2
    return 1
  fi
}

unpack() {
  local name=$1
  shift
  local tmp="$DEST/$name.new" deb
  rm -rf "$tmp"
  mkdir -p "$tmp"
  for deb in "$@"; do dpkg-deb -x "$deb" "$tmp"; done
  rm -rf "${DEST:?}/$name"
  mv "$tmp" "$DEST/$name"
}

ensure_user() {
  local user=$1
  shift
  getent passwd "$user" >/dev/null && return 0
  # A concurrent install may win the race (useradd exit 9); the lookup after decides.
  useradd --system "$@" "$user" 2>/dev/null || true
  getent passwd "$user" >/dev/null || {
    say "could not create the system user $user"
    return 1
  }
}

install() {
  export DEBIAN_FRONTEND=noninteractive
  mkdir -p "$DEST"
  chmod 0755 "$DEST"
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  if [ -n "$missing" ]; then
    say "apt-get install $missing"
    # shellcheck disable=SC2086
    apt_retrying apt-get install -y -qq --no-install-recommends $missing
  fi

  if ! [ -f "$DEST/installed" ]; then
    say "downloading and unpacking ${DEBS[*]} into $DEST"
    rm -rf "$DEST/debs"
    mkdir -p "$DEST/debs"
    # apt drops privileges to _apt for downloads; it must be able to write there.
    chown _apt "$DEST/debs" 2>/dev/null || true
    (cd "$DEST/debs" && apt_retrying apt-get download -qq "${DEBS[@]}")
    local d="$DEST/debs"
    unpack cyrus "$d"/cyrus-common_*.deb "$d"/cyrus-imapd_*.deb
    unpack courier "$d"/courier-base_*.deb "$d"/courier-imap_*.deb
    check_libraries "$DEST/cyrus" "${CYRUS_BINARIES[@]}"
    check_libraries "$DEST/courier" "${COURIER_BINARIES[@]}"
    (cd "$d" && ls -1 ./*.deb) >"$DEST/installed"
    rm -rf "$DEST/debs"
  fi

  # As cyrus-common's postinst would: the master runs as root and its children as cyrus.
  ensure_user cyrus --gid mail --no-create-home --home-dir /var/spool/cyrus --shell /usr/sbin/nologin
  # couriertls -user=courier drops to it; courier-authlib's postinst normally creates it.
  ensure_user courier --user-group --no-create-home --home-dir /var/lib/courier --shell /usr/sbin/nologin
  # Courier logs in real accounts only (authpam): this one owns no mail of its own; each test run points
  # imapd at a Maildir in its own temp dir. Its home must exist: imaplogin changes into it. A new
  # account gets a new password (a kept one would belong to an account deleted since).
  getent passwd "$COURIER_USER" >/dev/null || rm -f "$DEST/courier-password"
  ensure_user "$COURIER_USER" --user-group --no-create-home --home-dir "$DEST/courier-home" --shell /usr/sbin/nologin
  mkdir -p "$DEST/courier-home"
  chown "$COURIER_USER:" "$DEST/courier-home"
  chmod 0700 "$DEST/courier-home"
  if ! [ -s "$DEST/courier-password" ]; then
    local password
    password=$(openssl rand -hex 16)
    echo "$COURIER_USER:$password" | chpasswd
    (umask 077 && echo "$password" >"$DEST/courier-password.new")
    mv "$DEST/courier-password.new" "$DEST/courier-password"
  fi
}

main() {
  local why
  if why=$(in_place); then return 0; fi
  if [ "${1:-}" = --check ] || [ "$(id -u)" != 0 ]; then
    say "Cyrus and Courier are not ready for the tests ($why)."
    say "install them (apt packages, system users, $DEST) with: sudo $0"
    return 2
  fi
  mkdir -p "$DEST"
  # Two runs starting at once (two worktrees) must not unpack over each other.
  exec 9>"$DEST/.lock"
  flock 9
  if why=$(in_place); then return 0; fi
  local start=$SECONDS
  install
  why=$(in_place) || {
    say "still not in place after installing: $why"
    return 1
  }
  say "Cyrus and Courier ready in $DEST ($((SECONDS - start)) s)"
}

main "$@"
