#!/usr/bin/env bash
# Installs what Outpost's build, tests and benchmarks need on Debian 12 (as root), skipping what is already there.
set -euo pipefail
packages=(libpcap0.8 iproute2 nmap masscan chromium postgresql wrk rpm rpmlint lintian mmdebstrap systemd
  openssh-server nginx vsftpd redis-server memcached postfix openssl python3 slapd ldap-utils inetutils-telnetd libxml2-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "deps: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
