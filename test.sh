#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian 12 machine with the .NET SDK, and checks formatting.
# Installs what the tests need from Debian first, only what is missing (as root, or with sudo): Samba AD DC and iproute2
# for the LDAP collector (the test DC runs in a network namespace of its own, which needs root), Chromium + chromedriver
# for the HTML report, xmllint for the JUnit schema and the task XML, python3-junitparser as a JUnit consumer,
# poppler-utils (pdftotext) to read the report printed to PDF, python3-yaml for the CI recipes, systemd
# (systemd-analyze verify; nothing is started) for the timer recipe, curl for its mail script. The distribution tests
# also fetch from NuGet what a user's build does (the win-x64 runtime packs) and the PowerShell .NET tool, installed
# into a temporary folder of the test's own.
#
# The tests run in a copy of the repository placed alone in a folder of its own (printed below), so that a test reading
# anything beside the repository (a sibling folder or checkout) fails here exactly as it would in a user's clone.
# AUDIT_TEST_IN_PLACE=1 runs them in this folder instead (AUDIT_APPROVE=1, which rewrites approved files, implies it).
# Nothing here stops a service or kills a process it did not start.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd -P)

packages=(samba samba-ad-dc samba-ad-provision ldb-tools ldap-utils winbind krb5-user openssl iproute2 chromium chromium-driver libxml2-utils python3-junitparser poppler-utils libldap-2.5-0 fonts-dejavu-core python3-yaml systemd curl)
missing=()
for p in "${packages[@]}"; do
  # "install ok installed" only: a removed package keeps its configuration files, and dpkg -s still succeeds for it.
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing test dependencies: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -z "${AUDIT_TEST_IN_PLACE:-}" ] && [ -z "${AUDIT_APPROVE:-}" ]; then
  # One copy per checkout (keyed by its path), made anew each run from the checkout's current files (tracked and
  # untracked, not ignored) and built from scratch: a fresh clone's build, not an incremental one that may keep stale outputs.
  key=$(printf '%s' "$here" | sha256sum | cut -c1-12)
  dest="${TMPDIR:-/tmp}/audit-test-$(id -u)/$key/audit"
  rm -rf "$dest"
  mkdir -p "$dest"
  if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$here" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | tar -xf - -C "$dest"
  else
    tar -C "$here" --exclude=./.git --exclude='*/bin' --exclude='*/obj' --exclude=./out --exclude=./artifacts -cf - . | tar -xf - -C "$dest"
  fi
  echo "== running the tests in an isolated copy: $dest (nothing beside it)"
  AUDIT_TEST_IN_PLACE=1 exec "$dest/test.sh" "$@"
fi

echo "== dotnet $(dotnet --version)"
dotnet restore Audit.sln --verbosity quiet
dotnet build Audit.sln --no-restore --configuration Debug --verbosity quiet -warnaserror
echo "== dotnet format --verify-no-changes"
dotnet format Audit.sln --verify-no-changes --no-restore

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
