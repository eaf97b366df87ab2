#!/usr/bin/env bash
# Installs walrus on this host: the binary in /usr/local/bin, configuration in /etc/walrus,
# state in /var/lib/walrus, a system user `walrus`, and the systemd unit that gives it the one
# capability it needs (binding port 53). Safe to run again: it never overwrites a config or a
# secret. Run as root from the repository after `npm ci && npm run build`.
#   scripts/install.sh [--binary PATH] [--keygen] [--setcap] [--root DIR]
#     --keygen   also create /etc/walrus/site.secret (on the first host only; copy it to the others)
#     --setcap   also give the binary CAP_NET_BIND_SERVICE, for running it outside systemd
#     --root DIR install into DIR instead of / (a package staging tree); no user, no systemctl
set -euo pipefail
cd "$(dirname "$0")/.."

binary=dist/walrus
root=/
keygen=0
setcap=0
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    --keygen) keygen=1; shift ;;
    --setcap) setcap=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1; see scripts/install.sh --help" >&2; exit 2 ;;
  esac
done
root=${root%/}
live=0
[ -z "$root" ] && live=1

step() { echo "==> $*"; }
if [ ! -x "$binary" ]; then
  echo "install.sh: $binary is missing; build it first with: npm ci && npm run build" >&2
  exit 1
fi
if [ "$live" = 1 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: installing into / needs root: sudo scripts/install.sh (or --root DIR to stage)" >&2
  exit 1
fi
owner() { [ "$live" = 1 ] && echo "-o $1 -g $2" || true; }

step "binary: $root/usr/local/bin/walrus ($("$binary" version))"
install -d -m 0755 "$root/usr/local/bin"
install -m 0755 "$binary" "$root/usr/local/bin/walrus"

if [ "$live" = 1 ]; then
  if getent passwd walrus >/dev/null; then
    step "user walrus exists"
  else
    step "user walrus (system user, no login shell)"
    useradd --system --user-group --home-dir /var/lib/walrus --no-create-home --shell /usr/sbin/nologin walrus
  fi
fi

step "directories: $root/etc/walrus (0750), $root/var/lib/walrus (0700)"
# shellcheck disable=SC2046
install -d -m 0750 $(owner root walrus) "$root/etc/walrus"
# shellcheck disable=SC2046
install -d -m 0700 $(owner walrus walrus) "$root/var/lib/walrus"

if [ -e "$root/etc/walrus/node.toml" ]; then
  step "config $root/etc/walrus/node.toml kept as it is"
else
  step "config template: $root/etc/walrus/node.toml (edit it before starting)"
  # shellcheck disable=SC2046
  install -m 0640 $(owner root walrus) config.example.toml "$root/etc/walrus/node.toml"
fi

if [ -e "$root/etc/walrus/site.secret" ]; then
  step "site secret kept as it is"
elif [ "$keygen" = 1 ]; then
  step "site secret: $root/etc/walrus/site.secret (copy this file to every other host, mode 0640 root:walrus)"
  (umask 0027; "$binary" keygen > "$root/etc/walrus/site.secret")
  [ "$live" = 1 ] && chown root:walrus "$root/etc/walrus/site.secret"
else
  step "no site secret yet: make it once (scripts/install.sh --keygen, or walrus keygen) and copy it here"
fi

install -d -m 0755 "$root/etc/systemd/system" "$root/usr/local/share/doc/walrus"
install -m 0644 packaging/walrus.service "$root/etc/systemd/system/walrus.service"
install -m 0644 README.md config.example.toml "$root/usr/local/share/doc/walrus/"
step "systemd unit: $root/etc/systemd/system/walrus.service"

if [ "$setcap" = 1 ]; then
  step "CAP_NET_BIND_SERVICE on the binary (any user running it may bind port 53)"
  setcap cap_net_bind_service=+ep "$root/usr/local/bin/walrus"
fi

if [ "$live" = 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi

cat <<NEXT

Next:
  1. edit /etc/walrus/node.toml ([node] and the roles of this host; [site] the same everywhere)
  2. walrus config check --config /etc/walrus/node.toml
  3. systemctl enable --now walrus && journalctl -u walrus -f
  4. sudo -u walrus walrus status   (the control socket belongs to the walrus user)
NEXT
