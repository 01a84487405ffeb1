#!/bin/sh
# Mails OUT/report.html (attached) with the verdict from OUT/results.json through an SMTP relay, with curl.
#   SMTP_URL=smtp://relay:25 MAIL_FROM=a@corp.example MAIL_TO="b@corp.example c@corp.example" hyperv-audit-mail.sh OUT
# Optional: SMTP_STARTTLS=1 (require STARTTLS), SMTP_CLIENT_CERT=FILE and SMTP_CLIENT_KEY=FILE (TLS client
# certificate, if your relay authenticates hosts that way). No password is read: the relay must accept this host.
set -eu

out=${1:?usage: hyperv-audit-mail.sh OUT_DIR}
: "${SMTP_URL:?set SMTP_URL, e.g. smtp://smtp.corp.example:25}"
: "${MAIL_FROM:?set MAIL_FROM}"
: "${MAIL_TO:?set MAIL_TO (space-separated)}"
report="$out/report.html"
results="$out/results.json"
[ -f "$report" ] || { echo "hyperv-audit-mail: no $report" >&2; exit 66; }

# The verdict word (compliant, noncompliant, incomplete) of summary.verdict; only letters are kept from the file.
verdict=$(sed -n 's/^ *"verdict": *"\([a-z]*\)".*/\1/p' "$results" 2>/dev/null | tail -n 1)
verdict=${verdict:-unknown}
host=$(hostname 2>/dev/null || echo localhost)
boundary="hyperv-audit-$(date +%s)-$$"
message=$(mktemp)
trap 'rm -f "$message"' EXIT

{
  printf 'From: %s\r\n' "$MAIL_FROM"
  printf 'To: %s\r\n' "$(echo "$MAIL_TO" | sed 's/  */, /g')"
  printf 'Subject: [audit] %s (%s)\r\n' "$verdict" "$host"
  printf 'Date: %s\r\n' "$(LC_ALL=C date -R)"
  printf 'MIME-Version: 1.0\r\n'
  printf 'Content-Type: multipart/mixed; boundary="%s"\r\n\r\n' "$boundary"
  printf -- '--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n' "$boundary"
  printf 'Audit verdict: %s. Reports: %s on %s.\r\nThe HTML report is attached (it loads nothing from the network).\r\n' "$verdict" "$out" "$host"
  printf -- '--%s\r\nContent-Type: text/html; charset=utf-8; name="report.html"\r\n' "$boundary"
  printf 'Content-Disposition: attachment; filename="report.html"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
  base64 -w 76 "$report" | sed 's/$/\r/'
  printf -- '--%s--\r\n' "$boundary"
} > "$message"

set -- --silent --show-error --url "$SMTP_URL" --mail-from "$MAIL_FROM" --upload-file "$message"
for rcpt in $MAIL_TO; do
  set -- "$@" --mail-rcpt "$rcpt"
done
if [ "${SMTP_STARTTLS:-0}" = 1 ]; then set -- "$@" --ssl-reqd; fi
if [ -n "${SMTP_CLIENT_CERT:-}" ]; then set -- "$@" --cert "$SMTP_CLIENT_CERT" --key "${SMTP_CLIENT_KEY:?set SMTP_CLIENT_KEY}"; fi
curl "$@"
echo "hyperv-audit-mail: mailed $verdict report to $MAIL_TO through $SMTP_URL"
