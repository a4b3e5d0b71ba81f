#!/usr/bin/env bash
# Installs the Debian packages gameday's lab and tests need, when missing,
# and says what it installs. Safe to run again: it does nothing when all are
# present. Needs root (or sudo) only when something is missing.
set -euo pipefail

# package -> a file whose presence shows it is installed
declare -A want=(
  [redis-server]=/usr/bin/redis-server
  [redis-sentinel]=/usr/bin/redis-sentinel
  [openssh-server]=/usr/sbin/sshd
  [openssh-client]=/usr/bin/ssh-keygen
  [iproute2]=/usr/sbin/ip
  [iptables]=/usr/sbin/iptables
  [nftables]=/usr/sbin/nft
  [libfaketime]=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
  [faketime]=/usr/bin/faketime
  [tmux]=/usr/bin/tmux
  [procps]=/usr/bin/pgrep
  [util-linux]=/usr/bin/unshare
  [sudo]=/usr/bin/sudo
  [prometheus]=/usr/bin/prometheus
)
if [ "${GAMEDAY_REAL:-}" = 1 ]; then
  want[maven]=/usr/bin/mvn
  want[openjdk-17-jre-headless]=/usr/bin/java
fi

missing=()
for pkg in "${!want[@]}"; do
  f=${want[$pkg]}
  # libfaketime lives under the multiarch triplet of this machine.
  if [ "$pkg" = libfaketime ]; then
    ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 && continue
  elif [ -e "$f" ]; then
    continue
  fi
  missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
IFS=$'\n' missing=($(sort <<<"${missing[*]}")); unset IFS
echo "deps: installing Debian packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the services it installs (redis, sshd, prometheus and its
# node exporter); the lab and the tests run their own.
for svc in redis-server redis-sentinel ssh prometheus prometheus-node-exporter; do
  $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
  $sudo service "$svc" stop >/dev/null 2>&1 || true
done
echo "deps: done" >&2
