#!/usr/bin/env bash
# Crash safety: kills `countersign sync` and `countersign finance import` with SIGKILL at
# random moments and checks that nothing is lost, nothing is applied twice, and the
# records end up exactly those of a run that was never interrupted.
#
# Usage: scripts/crash-test.sh [COUNTERSIGN_BINARY]   (make crash; CRASH_RUNS=100 by default)
#   CRASH_RUNS   runs (default 100); they alternate between the two commands
#   CRASH_ROWS   about how many Open Collective rows each run imports (default 3000)
#   CRASH_SEED   seed of the random choices, to repeat a series (default: random; printed)
#   CRASH_DIR    where runs are made (default: a new folder under /tmp); a failing run's
#                folders are kept there for inspection, the others are removed
#   CRASH_KEEP   set to keep every run's folders
#
# One run:
#   1. Three members (Alice, Bob, Carol, all board) get homes and one shared folder,
#      through the CLI as a board would: init, key export, workspace create, join. They
#      record partners, a decision with everyone's vote and notes. An Open Collective
#      export of a few thousand rows is generated. To test `sync`, one member imports its
#      first half and (in one run in two) syncs, the member whose sync is killed imports
#      the second half (so that its sync writes, and may read, a large bundle), and the
#      others add records and may sync. To test `finance import`, everyone syncs, adds a record, and the import
#      of the whole export is the command killed.
#   2. The state (homes and folder) is copied aside: the snapshot.
#   3. Reference: the target command runs on the snapshot uninterrupted (timed), then all
#      members sync until a round reads and writes nothing. Their digests and records are
#      noted. The homes are put back from the snapshot.
#   4. Interrupted: the same command starts on the same state and gets SIGKILL after a
#      random delay spread over the reference's duration (three in four after the
#      start-up, timed with a command that only opens the home and unlocks the key,
#      so that most kills land in the command's own work). Before anything else touches
#      the home, the state it left is classified (see "Where the kills landed" below).
#      Then the command runs again to completion, `countersign verify` must pass on the
#      killed member's home, all members sync until quiet, `verify` must pass everywhere.
#   5. Assertions: every member's digest is equal, and equal to the reference's digest;
#      the records as listed (`finance list`, `report balance`, `partner list`,
#      `decision list` and `show`, `--json`) equal the reference's; no operation lost or
#      applied twice: the transactions are exactly the export's rows, every partner and
#      the decision once with its three verified votes, no line twice in any `ops.log`, and the rows
#      in the members' `finance.import` operations add up to the export's rows once.
#
# What "the digest equals a run that was never interrupted" means here. The digest
# covers every record, including each operation's clock reading (hlc) and id, and
# operations are stamped from the wall clock when they are recorded. So two separate
# runs, with new keys, a new workspace and other clock readings, can never have equal
# digests; the comparison has to start from one state. Hence the snapshot: the
# reference and the interrupted run start from the same homes and folder.
#   - `sync` stamps nothing: it only moves operations already in the logs. From the same
#     snapshot the final digest is a function of the set of operations, so an
#     interrupted sync must reach exactly the reference's digest.
#   - `finance import` stamps its operations. Each stamp is the hybrid logical clock's
#     successor of the newest reading the home has seen (Hlc::tick): the wall time if
#     that is later, else the stored reading plus one. Before the snapshot the importer
#     records one partner under `faketime` at 2100-01-01, which moves its stored
#     reading there, so every stamp of the import is determined by the snapshot and
#     not by the wall clock. An interrupted import then
#     has to produce exactly the reference's operations (same rows per operation, same
#     stamps, same ids) for the digests to be equal: a re-run that re-imported a row, or
#     cut the rows into other operations, would show. The pinning is made before the
#     snapshot, so both runs see it.
#   Every member's digest must equal every other's after syncing (convergence), and the
#   listed records are compared as well, which does not depend on stamps at all.
#
# Where the kills landed (read from the files the killed process left, before any
# command opens the home again: the database through `countersign sql`, which reads
# it as it stands, without applying the log first; SQLite's own recovery is not
# distinguished):
#   import: before-commit (ops.log unchanged: killed while reading or comparing),
#           torn-log (ops.log ends in a partial line: killed during the append),
#           log-ahead (complete lines appended but not yet applied to the database),
#           committed (appended and applied: killed on the way out),
#   sync:   unchanged (nothing read or written yet), read (bundles of others applied,
#           nothing written), tmp-file (a bundle being written: its temporary file is
#           there, not renamed), unrecorded (a bundle renamed into place but not yet
#           recorded in the database), part-written (some bundles written and
#           recorded, operations still waiting), written (everything written: killed
#           while writing key shares or on the way out),
#   both:   finished (the command exited before the signal).
# torn-log, log-ahead, tmp-file, unrecorded and part-written count as "mid-write".
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=$(realpath "${1:-${COUNTERSIGN_BIN:-target/debug/countersign}}")
RUNS=${CRASH_RUNS:-100}
ROWS=${CRASH_ROWS:-3000}
SEED=${CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$SEED
for tool in jq faketime realpath; do
  command -v "$tool" >/dev/null || {
    echo "crash-test: needs $tool (Debian: sudo apt-get install jq faketime)" >&2
    exit 2
  }
done
[ -x "$BIN" ] || {
  echo "crash-test: $BIN is missing; build it with cargo build --workspace --bins" >&2
  exit 2
}
ROOT=${CRASH_DIR:-$(mktemp -d /tmp/countersign-crash.XXXXXX)}
mkdir -p "$ROOT"
# A copy, so that a build during the runs does not change the binary under test.
cp "$BIN" "$ROOT/countersign"
echo "crash-test: $RUNS runs with $BIN, seed $SEED, in $ROOT"
BIN=$ROOT/countersign
MEMBERS=(alice bob carol)
# Far in the future: every stamp of the import follows this time, not the wall clock.
PINNED_TIME='2100-01-01 00:00:00'

# The position of member $1 in MEMBERS.
index_of() {
  local i
  for i in "${!MEMBERS[@]}"; do [ "${MEMBERS[$i]}" = "$1" ] && echo "$i"; done
}

# A random integer in [0, $1).
rand() { echo $(((RANDOM * 32768 + RANDOM) % $1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Writes an Open Collective export of $2 rows with ids from $3 to $1.
generate_export() {
  awk -v rows="$2" -v base="$3" 'BEGIN {
    srand(base);
    print "legacyId,datetime,description,type,kind,amount,paymentProcessorFee,netAmount,currency,accountSlug,accountName,oppositeAccountSlug,oppositeAccountName,expenseType";
    split("acme-cloud,borealis,fastly,gandi,jane-doe,hetzner,packet", who, ",");
    split("nixos,infra,nixcon,summer", fund, ",");
    for (i = 1; i <= rows; i++) {
      y = 2024 + int(rand() * 2); m = 1 + int(rand() * 12); d = 1 + int(rand() * 28);
      f = fund[1 + int(rand() * 4)]; c = who[1 + int(rand() * 7)];
      cents = 100 + int(rand() * 500000);
      if (rand() < 0.6) {
        fee = int(cents * 0.029 + 25);
        printf "%d,%04d-%02d-%02dT%02d:%02d:00,\"Contribution %d, thank you\",CREDIT,CONTRIBUTION,%d.%02d,-%d.%02d,%d.%02d,EUR,%s,%s,%s,%s,\n",
          base + i, y, m, d, int(rand() * 24), int(rand() * 60), i, cents / 100, cents % 100,
          fee / 100, fee % 100, (cents - fee) / 100, (cents - fee) % 100, f, toupper(f), c, toupper(c);
      } else {
        printf "%d,%04d-%02d-%02dT%02d:%02d:00,Invoice %d,DEBIT,EXPENSE,-%d.%02d,,-%d.%02d,EUR,%s,%s,%s,%s,INVOICE\n",
          base + i, y, m, d, int(rand() * 24), int(rand() * 60), i, cents / 100, cents % 100,
          cents / 100, cents % 100, f, toupper(f), c, toupper(c);
      }
    }
  }' >"$1"
}

# One run in its own folder, in a subshell: any failed step ends it with a reason in
# $DIR/FAILED; what it measured goes to $DIR/result.
run_one() {
  set -E -o pipefail
  local run=$1 command=$2
  DIR=$ROOT/run-$(printf '%03d' "$run")
  LIVE=$DIR/live
  LOG=$DIR/log.txt
  mkdir -p "$LIVE/shared"
  die() {
    echo "$*" >>"$DIR/FAILED"
    exit 1
  }
  trap 'die "line $LINENO: $BASH_COMMAND failed (exit $?)"' ERR
  # Runs countersign as a member; stdout is returned, stderr and the time taken go to
  # the run's log. With CS_FAKETIME set, the command's wall clock reads that time.
  cs() {
    local who=$1
    shift
    echo "[$who] ${CS_FAKETIME:+faketime '$CS_FAKETIME' }countersign $*" >>"$LOG"
    local t0 rc=0
    t0=$(now_ms)
    COUNTERSIGN_PASSPHRASE="$who passphrase" ${CS_FAKETIME:+faketime "$CS_FAKETIME"} "$BIN" --home "$LIVE/$who" "$@" 2>>"$LOG" || rc=$?
    echo "  ($(($(now_ms) - t0)) ms, exit $rc)" >>"$LOG"
    return $rc
  }
  fpr() { jq -r .fingerprint "$DIR/$1.whoami"; }

  # 1. The board and its work.
  for m in "${MEMBERS[@]}"; do
    cs "$m" --json init --name "${m^}" --email "$m@example.org" >"$DIR/$m.whoami"
    cs "$m" key export >"$DIR/$m.asc"
  done
  local id
  id=$(cs alice --json workspace create --name "Crash $run" --folder "$LIVE/shared" \
    --member "$DIR/bob.asc" --role board --member "$DIR/carol.asc" --role board | jq -r .id)
  cs bob workspace join --folder "$LIVE/shared" --workspace "$id" >/dev/null
  cs carol workspace join --folder "$LIVE/shared" --workspace "$id" >/dev/null
  local partners=0 n
  for m in "${MEMBERS[@]}"; do
    n=$((1 + $(rand 3)))
    for ((p = 0; p < n; p++)); do
      cs "$m" partner add "${m^} partner $p" --tag crash >/dev/null
      partners=$((partners + 1))
    done
  done
  cs alice partner log "Alice partner 0" --channel call --summary "First call" >/dev/null
  local decision
  decision=$(cs alice --json decision propose --kind budget --title "Crash budget $run" --amount 1500 \
    --currency EUR --fund infra --closes 2099-12-31 | jq -r .id)
  cs alice sync >/dev/null
  cs bob sync >/dev/null
  cs carol sync >/dev/null
  for m in "${MEMBERS[@]}"; do cs "$m" decision vote "$decision" approve >/dev/null; done
  local rows=$((ROWS / 2 + $(rand "$ROWS")))
  local importer=${MEMBERS[$(rand 3)]}
  generate_export "$DIR/export.csv" "$rows" $((run * 1000000))
  echo "run $run: $command, $rows rows imported by $importer" >>"$LOG"

  local victim target
  if [ "$command" = sync ]; then
    # The victim's sync writes a large bundle: it imported the second half of the
    # export. Another member imported the first half and, in one run in two, synced it,
    # so that the victim's sync also reads a large bundle.
    victim=$importer
    local other=${MEMBERS[$(((${#MEMBERS[@]} + $(rand 2) + 1 + $(index_of "$victim")) % 3))]}
    local half=$((rows / 2))
    head -n $((half + 1)) "$DIR/export.csv" >"$DIR/export-1.csv"
    { head -n 1 "$DIR/export.csv" && tail -n +$((half + 2)) "$DIR/export.csv"; } >"$DIR/export-2.csv"
    cs "$other" finance import opencollective "$DIR/export-1.csv" >/dev/null
    if [ "$(rand 2)" = 0 ]; then cs "$other" sync >/dev/null; fi
    cs "$victim" finance import opencollective "$DIR/export-2.csv" >/dev/null
    for m in "${MEMBERS[@]}"; do
      cs "$m" partner add "${m^} late partner" --scope board >/dev/null
      partners=$((partners + 1))
      if [ "$m" != "$victim" ] && [ "$(rand 2)" = 0 ]; then cs "$m" sync >/dev/null; fi
    done
    target=(sync)
  else
    settle
    victim=$importer
    for m in "${MEMBERS[@]}"; do
      if [ "$m" = "$victim" ]; then
        # Pins the importer's clock reading far ahead (see the header).
        CS_FAKETIME=$PINNED_TIME cs "$m" partner add "${m^} late partner" >/dev/null
      else
        cs "$m" partner add "${m^} late partner" >/dev/null
      fi
      partners=$((partners + 1))
    done
    target=(finance import opencollective "$DIR/export.csv")
  fi
  echo "victim $victim: countersign ${target[*]}" >>"$LOG"

  # 2. The snapshot.
  cp -a "$LIVE" "$DIR/snapshot"
  local log0 outbox0 applied0
  log0=$(stat -c %s "$LIVE/$victim/ops.log")
  outbox0=$(cs "$victim" sql "SELECT count(*) FROM outbox")
  applied0=$(cs "$victim" sql "SELECT count(*) FROM bundles WHERE status = 'applied'")

  # 3. The reference: never interrupted.
  local start duration
  start=$(now_ms)
  cs "$victim" "${target[@]}" >/dev/null
  duration=$(($(now_ms) - start))
  settle
  record reference
  rm -rf "$LIVE"
  cp -a "$DIR/snapshot" "$LIVE"

  # 4. Interrupted: SIGKILL after a random delay within the command's duration. The
  # first part of it is starting up (and for sync unlocking the key), timed here with a
  # command that does only that; three kills in four fall after it, in the real work.
  local delay landed status startup
  start=$(now_ms)
  if [ "$command" = sync ]; then cs "$victim" key check >/dev/null; else cs "$victim" digest >/dev/null; fi
  startup=$(($(now_ms) - start))
  if [ "$(rand 4)" = 0 ] || [ "$startup" -ge "$duration" ]; then
    delay=$(rand $((duration + 1)))
  else
    delay=$((startup + $(rand $((duration - startup + 1)))))
  fi
  echo "[$victim] countersign ${target[*]} (killed after ${delay} ms of ${duration} ms)" >>"$LOG"
  COUNTERSIGN_PASSPHRASE="$victim passphrase" "$BIN" --home "$LIVE/$victim" "${target[@]}" >>"$LOG" 2>&1 &
  local pid=$!
  sleep "$(awk -v ms="$delay" 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -KILL "$pid" 2>/dev/null || true
  { wait "$pid"; } 2>/dev/null && status=0 || status=$?
  if [ "$status" = 0 ]; then
    landed=finished
  elif [ "$status" != 137 ]; then
    die "countersign ${target[*]} failed (exit $status) before it was killed"
  else
    landed=$(classify "$command" "$victim" "$log0" "$outbox0" "$applied0")
  fi
  echo "landed: $landed" >>"$LOG"
  echo "$command $landed $delay $duration" >"$DIR/result"

  cs "$victim" "${target[@]}" >/dev/null || die "countersign ${target[*]} did not complete after the kill ($landed)"
  cs "$victim" --json verify >"$DIR/verify-$victim.json" ||
    die "verify fails on $victim's home right after the re-run ($landed): $(jq -c .problems "$DIR/verify-$victim.json")"
  settle
  record interrupted

  # 5. The assertions.
  for m in "${MEMBERS[@]}"; do
    cs "$m" --json verify >"$DIR/verify-$m.json" || die "verify fails on $m's home ($landed): $(jq -c .problems "$DIR/verify-$m.json")"
    [ -z "$(cs "$m" log | sort | uniq -d)" ] || die "$m's ops.log holds an operation twice ($landed)"
  done
  local digest
  digest=$(jq -r .digest "$DIR/interrupted-alice-digest.json")
  for m in "${MEMBERS[@]}"; do
    [ "$(jq -r .digest "$DIR/interrupted-$m-digest.json")" = "$digest" ] || die "$m's digest differs from alice's after syncing ($landed)"
  done
  [ "$digest" = "$(jq -r .digest "$DIR/reference-alice-digest.json")" ] ||
    die "the digest differs from the uninterrupted reference's ($landed)"
  for f in "$DIR"/reference-*.json; do
    cmp -s "$f" "${f/reference-/interrupted-}" || die "$(basename "${f/reference-/}") differs from the reference ($landed)"
  done
  [ "$(jq length "$DIR/interrupted-alice-transactions.json")" = "$rows" ] ||
    die "$(jq length "$DIR/interrupted-alice-transactions.json") transactions recorded, the export has $rows ($landed)"
  [ "$(jq -r '.[].id' "$DIR/interrupted-alice-transactions.json" | sort -u | wc -l)" = "$rows" ] ||
    die "a transaction is listed twice ($landed)"
  [ "$(jq length "$DIR/interrupted-alice-partners.json")" = "$partners" ] ||
    die "$(jq length "$DIR/interrupted-alice-partners.json") partners, $partners were added ($landed)"
  [ "$(jq length "$DIR/interrupted-alice-decisions.json")" = 1 ] || die "not exactly one decision ($landed)"
  [ "$(jq '[.votes[] | select(.verified)] | length' "$DIR/interrupted-alice-decision.json")" = 3 ] ||
    die "not exactly three verified votes on the decision ($landed)"
  local imported
  imported=$(for m in "${MEMBERS[@]}"; do cs "$m" log; done |
    jq -n '[inputs | select(.body.type == "finance.import") | .body.rows | length] | add')
  [ "$imported" = "$rows" ] || die "the members' finance.import operations hold $imported rows, the export $rows ($landed)"
  echo "ok: $command $landed after $delay of $duration ms" >>"$LOG"
}

# Syncs every member, round after round, until a round reads and writes nothing.
settle() {
  local round m report busy
  for ((round = 0; round < 8; round++)); do
    busy=0
    for m in "${MEMBERS[@]}"; do
      report=$(cs "$m" --json sync) || die "sync failed for $m"
      [ "$(jq '(.rejected | length) + (.forks | length) + (.waiting | length)' <<<"$report")" = 0 ] ||
        die "sync of $m set files aside: $(jq -c '{rejected, forks, waiting}' <<<"$report")"
      [ "$(jq '(.written | length) + (.applied | length)' <<<"$report")" = 0 ] || busy=1
    done
    [ "$busy" = 0 ] && return 0
  done
  die "the members do not reach quiescence in 8 rounds of sync"
}

# Notes every member's digest, and the records as one member lists them (the digests
# being equal, the others list the same), as `$1-<member>-<what>.json`.
record() {
  local m
  for m in "${MEMBERS[@]}"; do
    cs "$m" --json digest >"$DIR/$1-$m-digest.json"
  done
  m=alice
  cs "$m" --json finance list --limit 1000000 >"$DIR/$1-$m-transactions.json"
  cs "$m" --json report balance --by account >"$DIR/$1-$m-balance.json"
  cs "$m" --json partner list >"$DIR/$1-$m-partners.json"
  cs "$m" --json decision list >"$DIR/$1-$m-decisions.json"
  cs "$m" --json decision show "$(jq -r '.[0].id' "$DIR/$1-$m-decisions.json")" >"$DIR/$1-$m-decision.json"
}

# Where a kill landed, from the files the killed process left.
classify() {
  local command=$1 victim=$2 log0=$3 outbox0=$4 applied0=$5
  local home=$LIVE/$victim
  if [ "$command" = import ]; then
    local size offset
    size=$(stat -c %s "$home/ops.log")
    offset=$(cs "$victim" sql "SELECT value FROM meta WHERE key = 'log_offset'")
    if [ "$size" = "$log0" ]; then
      echo before-commit
    elif [ "$(tail -c 1 "$home/ops.log" | od -An -c | tr -d ' ')" != '\n' ]; then
      echo torn-log
    elif [ "${offset:-0}" -lt "$size" ]; then
      echo log-ahead
    else
      echo committed
    fi
    return
  fi
  local fpr device dir files recorded outbox applied
  fpr=$(jq -r .fingerprint "$DIR/$victim.whoami")
  device=$(jq -r .device "$home/home.json")
  dir=$(jq -r .workspace.id "$home/home.json")
  dir=$LIVE/shared/$dir/$fpr/$device
  files=$(find "$dir" -maxdepth 1 -name '[0-9]*.pgp' 2>/dev/null | wc -l)
  recorded=$(cs "$victim" sql "SELECT count(*) FROM bundles WHERE author = '$fpr' AND device = '$device'")
  outbox=$(cs "$victim" sql "SELECT count(*) FROM outbox")
  applied=$(cs "$victim" sql "SELECT count(*) FROM bundles WHERE status = 'applied'")
  if [ -n "$(find "$dir" -maxdepth 1 -name '.countersign-*.tmp' 2>/dev/null)" ]; then
    echo tmp-file
  elif [ "$files" -gt "$recorded" ]; then
    echo unrecorded
  elif [ "$outbox" = 0 ] && [ "$outbox0" != 0 ]; then
    echo written
  elif [ "$outbox" -lt "$outbox0" ]; then
    echo part-written
  elif [ "$applied" -gt "$applied0" ]; then
    echo read
  else
    echo unchanged
  fi
}

started=$(date +%s)
declare -A landed_count=()
kills_sync=0 kills_import=0 finished=0 midwrite=0 failures=0
failed_runs=()
for ((run = 1; run <= RUNS; run++)); do
  if ((run % 2)); then command=sync; else command=import; fi
  dir=$ROOT/run-$(printf '%03d' "$run")
  (run_one "$run" "$command")
  rc=$?
  landed=$(cut -d' ' -f2 "$dir/result" 2>/dev/null || echo none)
  if [ "$landed" = finished ]; then
    finished=$((finished + 1))
  elif [ "$landed" != none ]; then
    if [ "$command" = sync ]; then kills_sync=$((kills_sync + 1)); else kills_import=$((kills_import + 1)); fi
    case $landed in torn-log | log-ahead | tmp-file | unrecorded | part-written) midwrite=$((midwrite + 1)) ;; esac
  fi
  landed_count[$command/$landed]=$((${landed_count[$command/$landed]:-0} + 1))
  if [ "$rc" = 0 ]; then
    printf 'run %3d: ok      %-6s %s\n' "$run" "$command" "$(cat "$dir/result")"
    [ -n "${CRASH_KEEP:-}" ] || rm -rf "$dir"
  else
    failures=$((failures + 1))
    failed_runs+=("$dir")
    printf 'run %3d: FAILED  %-6s %s\n         %s\n' "$run" "$command" "$(cat "$dir/result" 2>/dev/null)" \
      "$(cat "$dir/FAILED" 2>/dev/null | head -3)"
  fi
done
elapsed=$(($(date +%s) - started))
echo
echo "Where the kills landed (command/state: runs):"
for key in $(printf '%s\n' "${!landed_count[@]}" | sort); do
  printf '  %-22s %d\n' "$key" "${landed_count[$key]}"
done
echo "crash-test: $RUNS runs, $((kills_sync + kills_import)) kills (sync $kills_sync, finance import $kills_import)," \
  "$midwrite mid-write, $finished finished before the signal, $failures failures, ${elapsed}s, seed $SEED"
if ((failures)); then
  echo "crash-test: failing runs kept for inspection:" "${failed_runs[@]}"
  exit 1
fi
if [ -z "${CRASH_KEEP:-}" ]; then
  rm -f "$BIN"
  rmdir "$ROOT" 2>/dev/null || true
fi
