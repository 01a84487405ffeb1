#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian 12 machine with the .NET SDK.
# Installs what the tests need from Debian first (as root, or with sudo): Samba AD DC for the LDAP collector,
# Chromium + chromedriver for the HTML report, xmllint for JUnit XSD validation, python3-junitparser as a JUnit consumer.
set -euo pipefail
cd "$(dirname "$0")"

packages=(samba samba-ad-dc samba-ad-provision ldb-tools ldap-utils winbind krb5-user openssl chromium chromium-driver libxml2-utils python3-junitparser libldap-2.5-0 fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing test dependencies: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Samba's packaging starts daemons on install; the tests start their own throwaway DC on 127.0.0.1.
for svc in samba-ad-dc smbd nmbd winbind; do
  (command -v systemctl >/dev/null 2>&1 && systemctl stop "$svc" >/dev/null 2>&1) || true
done
pkill -x samba >/dev/null 2>&1 || true

echo "== dotnet $(dotnet --version)"
dotnet restore Audit.sln --verbosity quiet
dotnet build Audit.sln --no-restore --configuration Debug --verbosity quiet -warnaserror

log=$(mktemp)
set +e
dotnet test Audit.sln --no-build --verbosity normal --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line with the totals of every test project.
count() { { grep -Eo "^ +$1: +[0-9]+" "$log" || true; } | awk '{s+=$2} END {print s+0}'; }
passed=$(count Passed)
failed=$(count Failed)
skipped=$(count Skipped)
rm -f "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
