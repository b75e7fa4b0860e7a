#!/usr/bin/env bash
# Local Apache Cassandra 5.0 for Parley development and tests: one node, or a ring of
# several nodes on 127.0.0.2, 127.0.0.3, ... (one command: `up --nodes 3`).
#
# There is no Docker and no Apache download mirror on our machines, but Maven
# Central has the whole server as org.apache.cassandra:cassandra-all, so we
# copy its runtime classpath into a git-ignored cache and run the daemon class
# directly with the JVM flags Cassandra's own scripts would have passed.
#
# Usage: cassandra.sh fetch
#        cassandra.sh up|down|status|pid [--nodes N [--node K]]
#        cassandra.sh logs [-f] | nodetool ARGS...        (single node; for a ring member
#                                                         use --nodes N --node K before them)
#   --nodes N  a local ring of N nodes (all seeds) on 127.0.0.2 .. 127.0.0.(N+1), each with
#              CQL on $CASSANDRA_PORT, its own directory cassandra/.cache/cluster-PORT/nodeK,
#              storage port 7000+(PORT-9042) and JMX port JMXBASE+K-1 (JMXBASE 7201+3*(PORT-9042)).
#              Create keyspaces with replication factor up to N. Without --nodes: the
#              single node below (127.0.0.1:9042 by default), unchanged.
#   --node K   only member K of that ring (e.g. restart the one a test killed).
#
# `up` is idempotent and crash-safe: every acknowledged write survives a SIGKILL of the
# node (commitlog_sync group, no unsafesystem; see CASSANDRA_FAST), and commitlog replay
# on the next start brings it back. After a SIGKILL (stale pid file) `up` finds the JVM it
# started by its config path, never trusts a pid that is not that JVM (so it never kills
# a foreign process) and never starts a second JVM for one node directory.
# The yaml is rewritten on every start, so a changed setting applies at the next `up`.
#
# Environment:
#   CASSANDRA_PORT         CQL (native transport) port      default 9042
#   CASSANDRA_NODE_DIR     yaml, data, logs, pid file       default cassandra/.cache/node
#                          (cassandra/.cache/node-$CASSANDRA_PORT for other ports)
#   CASSANDRA_STORAGE_PORT inter-node port                  default 7000
#   CASSANDRA_JMX_PORT     local-only JMX port (nodetool)   default 7199 (ring: first member's)
#       A second node on the same machine needs its own storage address or
#       port and its own JMX port (JMX always binds 127.0.0.1).
#   CASSANDRA_ADDRESS      listen/rpc address               default 127.0.0.1
#   CASSANDRA_SEEDS        seed list (host:port,...)        default the node itself
#   CASSANDRA_CLUSTER_NAME cluster_name                     default parley-dev
#   CASSANDRA_HEAP         -Xms/-Xmx                        default 1G
#   CASSANDRA_FAST         1 = trade durability for speed   default 0
#       Adds -Dcassandra.unsafesystem=true (schema changes skip the commitlog and
#       are not flushed) and -Dcassandra.skip_sync=true. Much faster for a test node
#       that creates and drops keyspaces all the time, but a SIGKILL then loses the
#       schema, and with it every row (commitlog replay skips mutations of unknown
#       tables). Never set it for a node whose data must survive a crash.
#   CASSANDRA_COMMITLOG_SYNC group | periodic               default group (periodic if FAST)
#       group: a write is acked once its commitlog section is synced (15 ms windows),
#       so a SIGKILLed node replays every write it acknowledged. periodic: acked at
#       once, synced every 10 s; a crash loses that node's last seconds of writes.
#   CASSANDRA_SKIP_SYNC    1 = -Dcassandra.skip_sync=true   default $CASSANDRA_FAST
#       No fsync of the commitlog or sstables. A killed process loses nothing (the
#       page cache survives it); a machine crash can.
#   CASSANDRA_START_TIMEOUT seconds to wait for CQL          default 180
#   JAVA                   java binary (Java 11 or 17)      default java
set -euo pipefail

LAUNCHER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="$(dirname "$LAUNCHER_DIR")/.cache"
LIB_DIR="$CACHE_DIR/lib"
PORT="${CASSANDRA_PORT:-9042}"
# One node directory (yaml, data, logs, pid) per CQL port, so an `up` on
# another port never touches the default node's pid file or data.
if [[ "$PORT" == 9042 ]]; then NODE_DIR="$CACHE_DIR/node"; else NODE_DIR="$CACHE_DIR/node-$PORT"; fi
NODE_DIR="${CASSANDRA_NODE_DIR:-$NODE_DIR}"
LOG_DIR="$NODE_DIR/logs"
PID_FILE="$NODE_DIR/cassandra.pid"
SYSTEM_LOG="$LOG_DIR/system.log"
STDOUT_LOG="$LOG_DIR/stdout.log"

STORAGE_PORT="${CASSANDRA_STORAGE_PORT:-7000}"
JMX_PORT="${CASSANDRA_JMX_PORT:-7199}"
ADDRESS="${CASSANDRA_ADDRESS:-127.0.0.1}"
HEAP="${CASSANDRA_HEAP:-1G}"
FAST="${CASSANDRA_FAST:-0}"
[[ "$FAST" == true ]] && FAST=1
SKIP_SYNC="${CASSANDRA_SKIP_SYNC:-$FAST}"
[[ "$SKIP_SYNC" == true ]] && SKIP_SYNC=1
if [[ "$FAST" == 1 ]]; then COMMITLOG_SYNC="${CASSANDRA_COMMITLOG_SYNC:-periodic}"; else COMMITLOG_SYNC="${CASSANDRA_COMMITLOG_SYNC:-group}"; fi
case "$COMMITLOG_SYNC" in
  group) COMMITLOG_SYNC_SETTING="commitlog_sync_group_window: 15ms" ;;
  periodic) COMMITLOG_SYNC_SETTING="commitlog_sync_period: 10000ms" ;;
  *) echo "cassandra.sh: ERROR: CASSANDRA_COMMITLOG_SYNC must be group or periodic (got '$COMMITLOG_SYNC')" >&2; exit 2 ;;
esac
SEEDS="${CASSANDRA_SEEDS:-$ADDRESS:$STORAGE_PORT}"
CLUSTER_NAME="${CASSANDRA_CLUSTER_NAME:-parley-dev}"
# The one JVM argument that names this node: how we recognise our own JVM in /proc.
CONFIG_FLAG="-Dcassandra.config=file://$NODE_DIR/cassandra.yaml"
START_TIMEOUT="${CASSANDRA_START_TIMEOUT:-180}"
JAVA="${JAVA:-java}"

# The version lives in pom.xml only; read it so fetch can tell a stale cache.
VERSION="$(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:\1:p' "$LAUNCHER_DIR/pom.xml")"

log() { echo "cassandra.sh: $*"; }
die() { echo "cassandra.sh: ERROR: $*" >&2; exit 1; }

# True if the node's CQL port speaks the native protocol: send an OPTIONS
# frame (protocol v4, opcode 0x05) and expect a SUPPORTED response
# (version byte 0x84, opcode 0x06). Pure bash, because nc may be absent.
cql_answers() {
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "\x04\x00\x00\x00\x05\x00\x00\x00\x00" >&3
    head -c 9 <&3 | od -An -tx1
  ' _ "$ADDRESS" "$PORT" 2>/dev/null | awk '{ ok = ($1 == "84" && $5 == "06") } END { exit !ok }'
}

# True if pid is a live process started for this node directory (the JVM, or the shell
# that is about to exec it): its command line carries our exact config flag. A pid file
# alone proves nothing after a crash: the pid may since belong to anything.
is_node_jvm() {
  [[ "$1" =~ ^[0-9]+$ ]] || return 1
  # -f: the pattern comes from a file, so this grep's own command line never matches.
  grep -qzxF -f <(printf '%s\n' "$CONFIG_FLAG") "/proc/$1/cmdline" 2>/dev/null
}

# Pid of the JVM this launcher started for this node, if it is alive. A missing or stale
# pid file (SIGKILL, reboot, pid reuse) is repaired from /proc, so a running node is never
# left untracked and `up` never starts a second JVM on the same data directory.
our_pid() {
  local pid=""
  [[ -f "$PID_FILE" ]] && pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  if is_node_jvm "$pid"; then
    echo "$pid"
    return 0
  fi
  pid="$(grep -lzxF -f <(printf '%s\n' "$CONFIG_FLAG") /proc/[0-9]*/cmdline 2>/dev/null |
    head -n 1 | cut -d/ -f3 || true)"
  if [[ -n "$pid" ]] && is_node_jvm "$pid"; then
    mkdir -p "$NODE_DIR"
    echo "$pid" > "$PID_FILE"
    echo "$pid"
    return 0
  fi
  return 1
}

lib_complete() { [[ -f "$LIB_DIR/cassandra-all-$VERSION.jar" ]]; }

cmd_fetch() {
  if lib_complete; then
    log "cassandra-all $VERSION already in $LIB_DIR"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"
  log "fetching cassandra-all $VERSION and its dependencies from Maven Central (first time takes a while)"
  mkdir -p "$CACHE_DIR"
  # Copy into a temp dir and rename at the end: an interrupted fetch then
  # leaves only a lib.tmp.* dir behind, never a half-filled lib/.
  local start=$SECONDS d
  # Leftovers of fetches that were killed (their pid is gone).
  for d in "$CACHE_DIR"/lib.tmp.*; do
    [[ -d "$d" ]] && ! kill -0 "${d##*.}" 2>/dev/null && rm -rf "$d"
  done
  FETCH_TMP="$CACHE_DIR/lib.tmp.$$"
  local tmp="$FETCH_TMP"
  rm -rf "$tmp"
  trap 'rm -rf "$FETCH_TMP"' EXIT
  # Maven's chatter (and a harmless ERROR about Cassandra's system-scoped
  # ${jmc5.path} jar, which runtime scope skips) goes to fetch.log; it is
  # shown only if the fetch fails.
  if ! mvn -B -q -f "$LAUNCHER_DIR/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" > "$CACHE_DIR/fetch.log" 2>&1; then
    tail -n 50 "$CACHE_DIR/fetch.log" >&2
    die "mvn dependency:copy-dependencies failed (full output: $CACHE_DIR/fetch.log)"
  fi
  [[ -f "$tmp/cassandra-all-$VERSION.jar" ]] || die "fetch finished without cassandra-all-$VERSION.jar"
  if lib_complete; then
    # A concurrent fetch won the race; keep its copy.
    rm -rf "$tmp"
  else
    rm -rf "$LIB_DIR"
    mv "$tmp" "$LIB_DIR"
  fi
  trap - EXIT
  log "fetched $(ls "$LIB_DIR" | wc -l) jars in $((SECONDS - start)) s"
}

write_yaml() {
  mkdir -p "$NODE_DIR" "$LOG_DIR"
  sed -e "s/@LISTEN_ADDRESS@/$ADDRESS/g" \
      -e "s/@STORAGE_PORT@/$STORAGE_PORT/g" \
      -e "s/@NATIVE_PORT@/$PORT/g" \
      -e "s/@SEEDS@/$SEEDS/g" \
      -e "s/@COMMITLOG_SYNC@/$COMMITLOG_SYNC/g" \
      -e "s/@COMMITLOG_SYNC_SETTING@/$COMMITLOG_SYNC_SETTING/g" \
      -e "s/@CLUSTER_NAME@/$CLUSTER_NAME/g" \
      "$LAUNCHER_DIR/cassandra.yaml.template" > "$NODE_DIR/cassandra.yaml"
}

# Java 17 module flags, as in Cassandra's conf/jvm17-server.options. Both the
# daemon and nodetool need them (FileUtils fails "unable to access required
# classes" without them).
JPMS_FLAGS=(
  -Djdk.attach.allowAttachSelf=true
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
  --add-exports java.management/com.sun.jmx.remote.security=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
  --add-exports java.sql/java.sql=ALL-UNNAMED
  --add-exports java.base/java.lang.ref=ALL-UNNAMED
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-opens java.base/java.lang.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
  --add-opens java.base/jdk.internal.math=ALL-UNNAMED
  --add-opens java.base/jdk.internal.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED
)

jvm_flags() {
  local jamm
  # The jamm agent measures object sizes for memtables; without it startup
  # can fail. Its version follows cassandra-all's, so find it by glob.
  jamm="$(ls "$LIB_DIR"/jamm-*.jar 2>/dev/null | head -n 1)"
  [[ -n "$jamm" ]] || die "no jamm-*.jar in $LIB_DIR (run: $0 fetch)"

  JVM_FLAGS=(
    "-Xms$HEAP" "-Xmx$HEAP" -Xss256k -XX:+UseG1GC
    # Die on OOM instead of limping on with possibly corrupt state.
    -XX:+ExitOnOutOfMemoryError
    "-javaagent:$jamm"
    "${JPMS_FLAGS[@]}"
    -Dio.netty.tryReflectionSetAccessible=true
    -Djava.net.preferIPv4Stack=true
    -Dchronicle.analytics.disable=true
    # Without this the daemon closes stdout/stderr.
    -Dcassandra-foreground=yes
    # The jar ships no yaml; the config is a URL, not a path.
    "-Dcassandra.config=file://$NODE_DIR/cassandra.yaml"
    "-Dcassandra.storagedir=$NODE_DIR/data"
    "-Dcassandra.logdir=$LOG_DIR"
    "-Dlogback.configurationFile=$LAUNCHER_DIR/logback.xml"
    # Local-only JMX so nodetool (org.apache.cassandra.tools.NodeTool) works.
    "-Dcassandra.jmx.local.port=$JMX_PORT"
    # Do not wait for gossip to settle: a single node has nobody to gossip with,
    # and a local ring's members all start as seeds that find each other anyway.
    -Dcassandra.skip_wait_for_gossip_to_settle=0
  )
  # Durability is the default; speed only when asked for (see CASSANDRA_FAST above).
  if [[ "$FAST" == 1 ]]; then
    JVM_FLAGS+=(-Dcassandra.unsafesystem=true)
  fi
  if [[ "$SKIP_SYNC" == 1 ]]; then
    JVM_FLAGS+=(-Dcassandra.skip_sync=true)
  fi
}

# Wait until CQL answers and (for our own node) the log says "Startup
# complete": the native port can open a moment before schema changes work.
wait_ready() {
  local pid="$1" start="$2"
  while (( SECONDS - start < START_TIMEOUT )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "Cassandra (pid $pid) exited during startup"
      return 1
    fi
    if grep -q "Startup complete" "$SYSTEM_LOG" 2>/dev/null && cql_answers; then
      return 0
    fi
    sleep 1
  done
  log "Cassandra not ready after $START_TIMEOUT s"
  return 1
}

show_failure() {
  # A JVM that dies before logback starts writes only to stdout.log.
  local f="$SYSTEM_LOG"
  [[ -s "$f" ]] || f="$STDOUT_LOG"
  echo "----- last 50 lines of $f -----" >&2
  tail -n 50 "$f" >&2 || true
}

cmd_up() {
  local pid start=$SECONDS
  if pid="$(our_pid)"; then
    # Started by us (maybe by a concurrent `up` still waiting): just wait.
    if cql_answers && grep -q "Startup complete" "$SYSTEM_LOG" 2>/dev/null; then
      log "Cassandra already running on $ADDRESS:$PORT (pid $pid)"
      return 0
    fi
    log "Cassandra (pid $pid) is starting; waiting for it"
  elif cql_answers; then
    log "Cassandra already answers CQL on $ADDRESS:$PORT (not started by this launcher); using it"
    return 0
  else
    cmd_fetch
    write_yaml
    jvm_flags
    mkdir -p "$NODE_DIR/data"
    # One log per run, so "Startup complete" from an earlier run cannot fool us.
    [[ -f "$SYSTEM_LOG" ]] && mv -f "$SYSTEM_LOG" "$SYSTEM_LOG.1"
    [[ -f "$STDOUT_LOG" ]] && mv -f "$STDOUT_LOG" "$STDOUT_LOG.1"
    # A pid file that survived a crash names no JVM of ours (our_pid said so): drop it.
    rm -f "$PID_FILE"
    log "Cassandra $VERSION starting from Maven jars in $LIB_DIR"
    # setsid + nohup: the node gets its own session and ignores SIGHUP, so it
    # outlives the shell (and CI step) that ran `up`. The inner shell writes
    # its own pid and then execs java, so the pid file names the JVM itself.
    setsid nohup bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$PID_FILE" \
      "$JAVA" "${JVM_FLAGS[@]}" -cp "$LIB_DIR/*" org.apache.cassandra.service.CassandraDaemon \
      > "$STDOUT_LOG" 2>&1 < /dev/null &
    # Wait for the pid file the inner shell writes.
    for _ in $(seq 50); do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    [[ -n "$pid" ]] || die "could not start java"
    log "pid $pid, logs in $LOG_DIR (fast=$FAST commitlog_sync=$COMMITLOG_SYNC skip_sync=$SKIP_SYNC)"
  fi
  if wait_ready "$pid" "$start"; then
    log "Cassandra ready on $ADDRESS:$PORT after $((SECONDS - start)) s"
  else
    show_failure
    # cmd_down stops only a JVM proven to be ours, never whatever the pid file names.
    cmd_down >/dev/null 2>&1 || true
    exit 1
  fi
}

cmd_down() {
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$PID_FILE"
    log "Cassandra not running (nothing started by this launcher)"
    return 0
  fi
  log "stopping Cassandra (pid $pid)"
  # SIGTERM runs Cassandra's shutdown hook (drains and flushes cleanly).
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after 60 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
  log "Cassandra stopped"
}

cmd_status() {
  local pid
  if pid="$(our_pid)"; then
    if cql_answers; then
      log "running (pid $pid), CQL on $ADDRESS:$PORT"
    else
      log "process running (pid $pid) but CQL on $ADDRESS:$PORT not answering (yet)"
    fi
  elif cql_answers; then
    log "CQL answers on $ADDRESS:$PORT, but not started by this launcher"
  else
    log "not running"
    return 3
  fi
}

# nodetool over the local-only JMX port, e.g. `cassandra.sh nodetool status`.
cmd_nodetool() {
  lib_complete || die "no jars in $LIB_DIR (run: $0 fetch)"
  # nodetool writes its history under the user's home and logs to logdir.
  "$JAVA" "${JPMS_FLAGS[@]}" "-Dcassandra.logdir=$LOG_DIR" \
    -Dlogback.configurationFile="$LAUNCHER_DIR/logback-tools.xml" \
    -cp "$LIB_DIR/*" org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p "$JMX_PORT" "$@"
}

cmd_logs() {
  [[ -f "$SYSTEM_LOG" ]] || die "no log yet at $SYSTEM_LOG"
  # `logs -f` follows; otherwise the last 100 lines.
  if [[ "${1:-}" == "-f" ]]; then tail -n 100 -F "$SYSTEM_LOG"; else tail -n 100 "$SYSTEM_LOG"; fi
}

cmd_pid() {
  our_pid || { log "not running"; return 3; }
}

# ---- local ring (--nodes N): runs this script once per member with that member's settings.

ring_member_env() {
  local k="$1" count="$2" base_port storage jmx_base seeds="" i
  base_port=$(( PORT >= 9042 ? PORT - 9042 : 0 ))
  storage="${CASSANDRA_STORAGE_PORT:-$((7000 + base_port))}"
  jmx_base="${CASSANDRA_JMX_PORT:-$((7201 + 3 * base_port))}"
  for i in $(seq 1 "$count"); do seeds+="${seeds:+,}127.0.0.$((i + 1)):$storage"; done
  MEMBER_ENV=(
    "CASSANDRA_ADDRESS=127.0.0.$((k + 1))"
    "CASSANDRA_NODE_DIR=$CACHE_DIR/cluster-$PORT/node$k"
    "CASSANDRA_STORAGE_PORT=$storage"
    "CASSANDRA_JMX_PORT=$((jmx_base + k - 1))"
    "CASSANDRA_SEEDS=$seeds"
    "CASSANDRA_CLUSTER_NAME=parley-ring-$PORT"
  )
}

ring() {
  local cmd="$1" count="$2" only="$3" k status=0
  shift 3
  [[ "$count" =~ ^[1-9]$ ]] || die "--nodes takes 1..9 (got '$count')"
  [[ -z "$only" || ( "$only" =~ ^[1-9]$ && "$only" -le "$count" ) ]] || die "--node takes 1..$count (got '$only')"
  local members=()
  if [[ -n "$only" ]]; then members=("$only"); else mapfile -t members < <(seq 1 "$count"); fi
  if [[ "$cmd" == up ]]; then cmd_fetch; fi
  case "$cmd" in
    up|down)
      # Members start (and stop) in parallel: they are all seeds, nobody bootstraps.
      local pids=()
      for k in "${members[@]}"; do
        ring_member_env "$k" "$count"
        ( env "${MEMBER_ENV[@]}" bash "${BASH_SOURCE[0]}" "$cmd" 2>&1 | sed -u "s/^/[node$k] /" ; exit "${PIPESTATUS[0]}" ) &
        pids+=($!)
      done
      for k in "${pids[@]}"; do wait "$k" || status=1; done
      (( status == 0 )) || die "$cmd failed for at least one ring member (see above)"
      # An if, not `[[ ]] && log`: for `down` that list would be the function's status (1).
      if [[ "$cmd" == up ]]; then log "ring of $count on 127.0.0.2..127.0.0.$((count + 1)):$PORT ready"; fi ;;
    status|pid|logs|nodetool)
      for k in "${members[@]}"; do
        ring_member_env "$k" "$count"
        if [[ "$cmd" == pid ]]; then
          env "${MEMBER_ENV[@]}" bash "${BASH_SOURCE[0]}" pid || status=$?
        else
          env "${MEMBER_ENV[@]}" bash "${BASH_SOURCE[0]}" "$cmd" "$@" 2>&1 | sed -u "s/^/[node$k] /" || status=1
        fi
      done
      return "$status" ;;
  esac
}

# Options: --nodes N / --node K may come right after the command.
CMD="${1:-}"
[[ $# -gt 0 ]] && shift
NODES=""
ONLY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) NODES="${2:-}"; shift 2 || die "--nodes needs a number" ;;
    --nodes=*) NODES="${1#--nodes=}"; shift ;;
    --node) ONLY="${2:-}"; shift 2 || die "--node needs a number" ;;
    --node=*) ONLY="${1#--node=}"; shift ;;
    *) break ;;
  esac
done
if [[ -n "$ONLY" && -z "$NODES" ]]; then die "--node K needs --nodes N"; fi

if [[ -n "$NODES" && "$CMD" != fetch ]]; then
  case "$CMD" in
    up|down|status|pid|logs|nodetool) ring "$CMD" "$NODES" "$ONLY" "$@"; exit $? ;;
  esac
fi

case "$CMD" in
  fetch)  cmd_fetch ;;
  up)     cmd_up ;;
  down)   cmd_down ;;
  status) cmd_status ;;
  pid)    cmd_pid ;;
  logs)   cmd_logs "$@" ;;
  nodetool) cmd_nodetool "$@" ;;
  *) echo "usage: $0 fetch | up|down|status|pid [--nodes N [--node K]] | logs [-f] | nodetool ARGS..." >&2; exit 2 ;;
esac
