#!/usr/bin/env bash
# Prints a fresh migration's checklist the way a practice manager's browser would, to look at:
# starts cutover on a throwaway database, creates a migration with a supplier contact, fetches its
# HTML checklist, prints it to PDF with headless Chromium and turns the pages into PNG images.
#
#   scripts/print-checklist.sh [output-dir]     (default: $TMPDIR/cutover-checklist-print)
#
# Needs curl, python3, and Debian's chromium and poppler-utils packages:
#   apt-get update && apt-get install -y chromium poppler-utils
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-${TMPDIR:-/tmp}/cutover-checklist-print}"
mkdir -p "$out"
work="$(mktemp -d)"
port="${PORT:-18765}"
token="cut_print-checklist-$(date +%s)-0123456789abcdef"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/cutover" ./cmd/cutover
CUTOVER_ADDR="127.0.0.1:$port" CUTOVER_DATABASE_URL="$work/cutover.db" CUTOVER_ADMIN_TOKEN="$token" \
  "$work/cutover" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

api() { curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
id=$(api -d '{"practice":{"ods_code":"A81001","name":"The Densham Surgery"},
  "current_system":{"supplier":"Supplier A","product":"System One"},
  "new_system":{"supplier":"Supplier B","product":"System Two"},
  "fdp_date":"2027-03-10","final_extract_date":"2027-03-10","go_live_date":"2027-03-12","final_extract_time":"18:00"}' \
  "http://127.0.0.1:$port/v1/migrations" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api -d '{"role":"new_supplier","organisation":"Supplier B Ltd","name":"Jo Bloggs","email":"jo@supplierb.example"}' \
  "http://127.0.0.1:$port/v1/migrations/$id/contacts" >/dev/null
api -H 'Accept: text/html' "http://127.0.0.1:$port/v1/migrations/$id/checklist" -o "$out/checklist.html"

chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --no-first-run --disable-sync --user-data-dir="$work/profile" --print-to-pdf="$out/checklist.pdf" \
  --no-pdf-header-footer "file://$(realpath "$out/checklist.html")" >/dev/null 2>&1
pdftoppm -png -r 60 "$out/checklist.pdf" "$out/page"
info=$(pdfinfo "$out/checklist.pdf")
pages=$(awk '/^Pages:/ {print $2}' <<<"$info")
size=$(grep '^Page size:' <<<"$info" | sed 's/^Page size: *//')
echo "checklist: $pages pages, $size -> $out/checklist.pdf, $out/page-*.png"
if [ "$pages" -lt 2 ] || ! grep -q '(A4)' <<<"$size"; then
  echo "expected a multi-page A4 document" >&2
  exit 1
fi
