#!/usr/bin/env bash
# Installs the Debian packages behind the named commands when they are missing.
#   scripts/ensure-tools.sh dig apache2 nginx ...
set -euo pipefail
declare -A PKG=([dig]=dnsutils [kdig]=knot-dnsutils [apache2]=apache2 [nginx]=nginx [ip]=iproute2 [nft]=nftables [unbound]=unbound [named]=bind9 [tsig-keygen]=bind9 [pdns_server]=pdns-backend-sqlite3 [sqlite3]=sqlite3 [nsupdate]=dnsutils [knsupdate]=knot-dnsutils [pebble]=pebble [certbot]=python3-certbot-dns-rfc2136 [openssl]=openssl [dnsperf]=dnsperf [knotd]=knot [knotc]=knot [delv]=bind9-dnsutils [dnssec-verify]=bind9-utils [dnssec-dsfromkey]=bind9-utils [chromium]=chromium [systemd-analyze]=systemd [rsync]=rsync [sshd]=openssh-server [ssh]=openssh-client [ssh-keygen]=openssh-client [curl]=curl [python3]=python3)
missing=()
for tool in "$@"; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("${PKG[$tool]:-$tool}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
