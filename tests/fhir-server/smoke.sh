#!/usr/bin/env bash
# Smoke test for the in-memory FHIR R4 test server (server.js).
# Starts the server on a free port, talks to it with curl the way the kiosk
# does, stops it, and exits 0 only if every check passed.
#
# Needs: bash, curl, node (>= 18) on PATH (or NODE=/path/to/node).
# Installs node_modules with `npm ci` if they are missing.
set -u

HERE="$(cd "$(dirname "$0")" && pwd)"
NODE="${NODE:-node}"
WORK="$(mktemp -d)"
SERVER_PID=""
PASS=0
FAIL=0

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }
check() { # check "description" actual expected
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got '$2', expected '$3')"; fi
}

# jsonq EXPR < json : evaluate a JS expression over the parsed document `r`.
jsonq() {
  "$NODE" -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      let r;
      try { r = JSON.parse(s); } catch (e) { process.stdout.write("<invalid json>"); return; }
      const v = new Function("r", "return (" + process.argv[1] + ");")(r);
      process.stdout.write(v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
    });' "$1"
}

# req METHOD URL [extra curl args...] -> sets STATUS, BODY file, HDRS file
req() {
  local method="$1" url="$2"
  shift 2
  BODY="$WORK/body.json"
  HDRS="$WORK/headers.txt"
  STATUS=$(curl -sS -X "$method" "$url" -o "$BODY" -D "$HDRS" -w '%{http_code}' \
    -H 'Accept: application/fhir+json' "$@") || STATUS="curl-error"
}
header() { grep -i "^$1:" "$HDRS" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }
body() { jsonq "$1" < "$BODY"; }

# --------------------------------------------------------------------------
cd "$HERE" || exit 1
if [ ! -d node_modules/@medplum/fhir-router ]; then
  echo "# node_modules missing: npm ci"
  npm ci --no-audit --no-fund >/dev/null || { echo "npm ci failed"; exit 1; }
fi
echo "# node $("$NODE" --version), curl $(curl --version | head -1 | cut -d' ' -f2)"

"$NODE" "$HERE/server.js" --port 0 --host 127.0.0.1 >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 200); do
  PORT=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$WORK/server.out")
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$PORT" ]; then
  echo "server did not start:"; cat "$WORK/server.out" "$WORK/server.err"
  echo "0 passed, 1 failed"
  exit 1
fi
ROOT="http://127.0.0.1:$PORT"
B="$ROOT/fhir/R4"
J='Content-Type: application/fhir+json'
echo "# server on $B (pid $SERVER_PID)"

# healthz
HEALTH=""
for _ in $(seq 1 100); do
  HEALTH=$(curl -s "$ROOT/healthz") && [ "$HEALTH" = "ok" ] && break
  sleep 0.1
done
check "GET /healthz -> ok" "$HEALTH" "ok"

# metadata
req GET "$B/metadata"
check "GET /metadata status" "$STATUS" "200"
check "metadata is CapabilityStatement R4" "$(body 'r.resourceType + " " + r.fhirVersion')" "CapabilityStatement 4.0.1"
check "metadata Content-Type" "$(header Content-Type)" "application/fhir+json; charset=utf-8"

# ---- conditional create twice -------------------------------------------
PAT='{"resourceType":"Patient","identifier":[{"system":"urn:kiosk:mrn","value":"MRN-0001"}],"name":[{"family":"Tester","given":["Kiosk"]}],"birthDate":"1970-01-01"}'
req POST "$B/Patient" -H "$J" -H 'If-None-Exist: identifier=urn:kiosk:mrn|MRN-0001' --data-binary "$PAT"
check "conditional create #1 -> 201" "$STATUS" "201"
ID1=$(body 'r.id')
VID1=$(body 'r.meta.versionId')
LOC=$(header Location)
check "Location header of create" "$LOC" "$B/Patient/$ID1/_history/$VID1"
check "ETag header of create" "$(header ETag)" "W/\"$VID1\""
req POST "$B/Patient" -H "$J" -H 'If-None-Exist: identifier=urn:kiosk:mrn|MRN-0001' --data-binary "$PAT"
check "conditional create #2 -> 200 (exists)" "$STATUS" "200"
check "conditional create #2 returns the same id" "$(body 'r.id')" "$ID1"
req GET "$B/Patient?identifier=urn:kiosk:mrn|MRN-0001"
check "search by identifier: total == 1" "$(body 'r.total')" "1"
check "search by identifier: entries == 1" "$(body '(r.entry || []).length')" "1"

# ---- read / update with If-Match / delete --------------------------------
req GET "$B/Patient/$ID1"
check "read -> 200" "$STATUS" "200"
UPD=$(jsonq 'JSON.stringify({...r, name: [{family: "Tester2"}]})' < "$BODY")
req PUT "$B/Patient/$ID1" -H "$J" -H "If-Match: W/\"$VID1\"" --data-binary "$UPD"
check "update with current If-Match -> 200" "$STATUS" "200"
VID2=$(body 'r.meta.versionId')
check "update returns new ETag" "$(header ETag)" "W/\"$VID2\""
req PUT "$B/Patient/$ID1" -H "$J" -H "If-Match: W/\"$VID1\"" --data-binary "$UPD"
check "update with stale If-Match -> 412" "$STATUS" "412"
check "412 body is OperationOutcome" "$(body 'r.resourceType')" "OperationOutcome"

# ---- transaction with 3 conditional creates (twice) ---------------------
TX='{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:0c3a5a1e-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","identifier":[{"system":"urn:kiosk:mrn","value":"TX-1"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:kiosk:mrn|TX-1"}},
 {"fullUrl":"urn:uuid:0c3a5a1e-0000-4000-8000-000000000002","resource":{"resourceType":"Patient","identifier":[{"system":"urn:kiosk:mrn","value":"TX-2"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:kiosk:mrn|TX-2"}},
 {"fullUrl":"urn:uuid:0c3a5a1e-0000-4000-8000-000000000003","resource":{"resourceType":"Encounter","status":"arrived","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"identifier":[{"system":"urn:kiosk:visit","value":"V-1"}],"subject":{"reference":"urn:uuid:0c3a5a1e-0000-4000-8000-000000000001"}},"request":{"method":"POST","url":"Encounter","ifNoneExist":"identifier=urn:kiosk:visit|V-1"}}
]}'
req POST "$B" -H "$J" --data-binary "$TX"
check "transaction -> 200" "$STATUS" "200"
check "transaction-response type" "$(body 'r.type')" "transaction-response"
check "transaction entry statuses (created)" "$(body 'r.entry.map(e => e.response.status).join(",")')" "201,201,201"
TXPAT=$(body 'r.entry[0].resource.id')
check "urn:uuid reference rewritten to Patient/id" "$(body 'r.entry[2].resource.subject.reference')" "Patient/$TXPAT"
req POST "$B" -H "$J" --data-binary "$TX"
check "transaction again -> 200" "$STATUS" "200"
check "transaction again: entries matched (200)" "$(body 'r.entry.map(e => e.response.status).join(",")')" "200,200,200"
check "transaction again: same Patient id" "$(body 'r.entry[0].resource.id')" "$TXPAT"
req GET "$B/Patient?identifier=urn:kiosk:mrn|TX-1,urn:kiosk:mrn|TX-2"
check "no duplicate Patients after 2 transactions" "$(body 'r.total')" "2"
req GET "$B/Encounter?identifier=urn:kiosk:visit|V-1"
check "no duplicate Encounter after 2 transactions" "$(body 'r.total')" "1"

# ---- batch ---------------------------------------------------------------
BATCH='{"resourceType":"Bundle","type":"batch","entry":[
 {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:kiosk:mrn","value":"B-1"}]},"request":{"method":"POST","url":"Patient"}},
 {"request":{"method":"GET","url":"Patient/'"$ID1"'"}},
 {"request":{"method":"GET","url":"Patient/does-not-exist"}},
 {"request":{"method":"GET","url":"Patient?identifier=urn:kiosk:mrn|TX-2"}}
]}'
req POST "$B" -H "$J" --data-binary "$BATCH"
check "batch -> 200" "$STATUS" "200"
check "batch-response type" "$(body 'r.type')" "batch-response"
check "batch entry statuses" "$(body 'r.entry.map(e => e.response.status).join(",")')" "201,200,404,200"
check "batch search entry total" "$(body 'r.entry[3].resource.total')" "1"

# ---- paging ----------------------------------------------------------------
for i in 1 2 3 4 5; do
  req POST "$B/Patient" -H "$J" --data-binary '{"resourceType":"Patient","identifier":[{"system":"urn:kiosk:page","value":"P-'$i'"}]}'
done
check "5 paging Patients created" "$STATUS" "201"
URL="$B/Patient?identifier=urn:kiosk:page|&_count=2"
SEEN=""
PAGES=0
while [ -n "$URL" ] && [ $PAGES -lt 10 ]; do
  req GET "$URL"
  [ "$STATUS" = "200" ] || { bad "paging GET $URL -> $STATUS"; break; }
  PAGES=$((PAGES + 1))
  TOTAL=$(body 'r.total')
  SEEN="$SEEN$(body '(r.entry || []).map(e => e.resource.identifier[0].value).join(" ")') "
  URL=$(body '((r.link || []).find(l => l.relation === "next") || {}).url')
done
check "paging: total" "$TOTAL" "5"
check "paging: pages followed via next" "$PAGES" "3"
check "paging: all entries once, in order" "$(echo $SEEN)" "P-1 P-2 P-3 P-4 P-5"

# ---- _lastUpdated ---------------------------------------------------------
req GET "$B/Patient?identifier=urn:kiosk:page|P-3"
T3=$(body 'r.entry[0].resource.meta.lastUpdated')
req GET "$B/Patient?identifier=urn:kiosk:page|&_lastUpdated=ge$T3"
check "_lastUpdated=ge<P-3 time> finds P-3..P-5" "$(body 'r.entry.map(e => e.resource.identifier[0].value).join(" ")')" "P-3 P-4 P-5"

# ---- identifier searches (answered from the adapter's identifier index) ------
req GET "$B/Patient?identifier=mrn-0001"
check "identifier=value (any system, case-insensitive) -> 1" "$(body 'r.total')" "1"
req POST "$B/Patient" -H "$J" -H 'If-None-Exist: identifier=|NOSYS-1' --data-binary '{"resourceType":"Patient","identifier":[{"value":"NOSYS-1"}]}'
check "conditional create on |value -> 201" "$STATUS" "201"
req GET "$B/Patient?identifier=|NOSYS-1"
check "identifier=|value finds the one without a system" "$(body 'r.total')" "1"
req GET "$B/Patient?identifier=urn:kiosk:mrn|NOSYS-1"
check "identifier=system|value does not find it" "$(body 'r.total')" "0"
req GET "$B/Patient/$ID1"
UPD=$(jsonq 'JSON.stringify({...r, identifier: [{system: "urn:kiosk:mrn", value: "MRN-0002"}]})' < "$BODY")
req PUT "$B/Patient/$ID1" -H "$J" --data-binary "$UPD"
req GET "$B/Patient?identifier=urn:kiosk:mrn|MRN-0001,urn:kiosk:mrn|MRN-0002"
check "after an update only the new identifier matches" "$(body '(r.entry || []).map(e => e.resource.identifier[0].value).join(",")')" "MRN-0002"
req GET "$B/Patient?identifier=urn:kiosk:page|P-1"
P1=$(body 'r.entry[0].resource.id')
FAILTX='{"resourceType":"Bundle","type":"transaction","entry":[
 {"request":{"method":"DELETE","url":"Patient/'"$P1"'"}},
 {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:kiosk:mrn","value":"ROLLBACK-1"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:kiosk:mrn|ROLLBACK-1"}},
 {"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"W10="},"request":{"method":"PATCH","url":"Patient/does-not-exist"}}
]}'
req POST "$B" -H "$J" --data-binary "$FAILTX"
check "failing transaction (delete, create, bad patch) -> 404" "$STATUS" "404"
req GET "$B/Patient?identifier=urn:kiosk:mrn|ROLLBACK-1"
check "failed transaction: its create is gone" "$(body 'r.total')" "0"
req GET "$B/Patient?identifier=urn:kiosk:page|"
check "failed transaction: its delete is undone, order kept" "$(body 'r.entry.map(e => e.resource.identifier[0].value).join(" ")')" "P-1 P-2 P-3 P-4 P-5"

# ---- sorted search: order, paging, a write between two searches ----------------
SCHED='{"reference":"Schedule/smoke"}'
for st in 2026-03-01T09:00:00+07:00 2026-03-01T07:00:00+07:00 2026-03-02T08:00:00Z 2026-03-01T08:00:00+07:00; do
  req POST "$B/Slot" -H "$J" --data-binary '{"resourceType":"Slot","schedule":'"$SCHED"',"status":"free","start":"'"$st"'","end":"2026-03-03T00:00:00Z"}'
done
check "4 Slots created" "$STATUS" "201"
LASTSLOT=$(body 'r.id')
URL="$B/Slot?start=ge2026-03-01&start=lt2026-03-02&_sort=start&_count=2"
SEEN=""
while [ -n "$URL" ]; do
  req GET "$URL"
  SEEN="$SEEN$(body '(r.entry || []).map(e => e.resource.start.slice(11, 13)).join(" ")') "
  URL=$(body '((r.link || []).find(l => l.relation === "next") || {}).url')
done
check "start=ge&start=lt&_sort=start, paged by 2" "$(echo $SEEN)" "07 08 09"
req GET "$B/Slot?_sort=-start&_count=1"
check "_sort=-start: the latest first" "$(body 'r.entry[0].resource.start')" "2026-03-02T08:00:00Z"
req GET "$B/Slot/$LASTSLOT"
UPD=$(jsonq 'JSON.stringify({...r, start: "2026-03-01T07:30:00+07:00"})' < "$BODY")
req PUT "$B/Slot/$LASTSLOT" -H "$J" --data-binary "$UPD"
req GET "$B/Slot?start=ge2026-03-01&start=lt2026-03-02&_sort=start"
check "after an update the sort follows the new value" "$(body 'r.entry.map(e => e.resource.start.slice(11, 16)).join(" ")')" "07:00 07:30 09:00"
req GET "$B/Slot?_sort=_lastUpdated&_count=1000"
check "_sort=_lastUpdated: the updated one last" "$(body 'r.entry[r.entry.length - 1].resource.id')" "$LASTSLOT"

# ---- errors -------------------------------------------------------------------
req GET "$B/Patient/does-not-exist"
check "read unknown id -> 404" "$STATUS" "404"
check "404 body is OperationOutcome" "$(body 'r.resourceType')" "OperationOutcome"
req GET "$B/Patient?no-such-param=1"
check "unknown search parameter -> 400" "$STATUS" "400"
req DELETE "$B/Patient/$ID1"
check "delete -> 200" "$STATUS" "200"
req GET "$B/Patient/$ID1"
check "read after delete -> 404" "$STATUS" "404"

# ---- emulated network latency (--latency-ms, POST /admin/latency) -------------
check "--latency-ms 25 is parsed" "$("$NODE" -e 'console.log(require(process.argv[1]).parseArgs(["--latency-ms", "25"]).latencyMs)' "$HERE/server.js")" "25"
"$NODE" "$HERE/server.js" --latency-ms x >/dev/null 2>&1
check "--latency-ms x -> exit 2" "$?" "2"
req POST "$ROOT/admin/latency?ms=300"
check "POST /admin/latency?ms=300 -> 200" "$STATUS" "200"
SLOW=$(curl -s -o /dev/null -w '%{time_total}' "$ROOT/healthz")
check "with 300 ms, GET /healthz takes >= 0.3 s" "$(awk -v t="$SLOW" 'BEGIN { print (t >= 0.3) ? "yes" : "no (" t " s)" }')" "yes"
SLOW=$(curl -s -o /dev/null -w '%{time_total}' "$B/Patient?identifier=urn:kiosk:page|")
check "with 300 ms, a search takes >= 0.3 s" "$(awk -v t="$SLOW" 'BEGIN { print (t >= 0.3) ? "yes" : "no (" t " s)" }')" "yes"
req POST "$ROOT/admin/latency?ms=abc"
check "POST /admin/latency?ms=abc -> 400" "$STATUS" "400"
req POST "$ROOT/admin/latency?ms=0"
FAST=$(curl -s -o /dev/null -w '%{time_total}' "$ROOT/healthz")
check "back to 0 ms, GET /healthz takes < 0.3 s" "$(awk -v t="$FAST" 'BEGIN { print (t < 0.3) ? "yes" : "no (" t " s)" }')" "yes"

# ---- graceful stop ------------------------------------------------------------
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
RC=$?
SERVER_PID=""
check "server exits 0 on SIGTERM" "$RC" "0"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
