#!/usr/bin/env bash
# Local single-node Apache Cassandra 5.0 for Parley development and tests.
#
# There is no Docker and no Apache download mirror on our machines, but Maven
# Central has the whole server as org.apache.cassandra:cassandra-all, so we
# copy its runtime classpath into a git-ignored cache and run the daemon class
# directly with the JVM flags Cassandra's own scripts would have passed.
#
# Usage: cassandra.sh fetch|up|down|status|logs [-f]|nodetool ARGS...
#
# Environment:
#   CASSANDRA_PORT         CQL (native transport) port      default 9042
#   CASSANDRA_NODE_DIR     yaml, data, logs, pid file       default cassandra/.cache/node
#                          (cassandra/.cache/node-$CASSANDRA_PORT for other ports)
#   CASSANDRA_STORAGE_PORT inter-node port                  default 7000
#   CASSANDRA_JMX_PORT     local-only JMX port (nodetool)   default 7199
#       A second node on the same machine needs its own storage address or
#       port and its own JMX port (JMX always binds 127.0.0.1).
#   CASSANDRA_ADDRESS      listen/rpc address               default 127.0.0.1
#   CASSANDRA_HEAP         -Xms/-Xmx                        default 1G
#   CASSANDRA_SKIP_SYNC    1 = -Dcassandra.skip_sync=true   default 1
#       Cassandra then never fsyncs the commitlog or sstables: much faster for
#       tests that create and drop schema all the time, but data can be lost
#       on a machine crash. Set CASSANDRA_SKIP_SYNC=0 for durability tests.
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
SKIP_SYNC="${CASSANDRA_SKIP_SYNC:-1}"
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

# Pid of the node this launcher started, if it is still alive.
our_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
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
    # Single node: nothing to gossip with, and the system keyspace need not
    # be fsynced for a throwaway dev/test node.
    -Dcassandra.skip_wait_for_gossip_to_settle=0
    -Dcassandra.unsafesystem=true
  )
  if [[ "$SKIP_SYNC" == 1 || "$SKIP_SYNC" == true ]]; then
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
    log "pid $pid, logs in $LOG_DIR (skip_sync=$SKIP_SYNC)"
  fi
  if wait_ready "$pid" "$start"; then
    log "Cassandra ready on $ADDRESS:$PORT after $((SECONDS - start)) s"
  else
    show_failure
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

case "${1:-}" in
  fetch)  cmd_fetch ;;
  up)     cmd_up ;;
  down)   cmd_down ;;
  status) cmd_status ;;
  logs)   shift; cmd_logs "$@" ;;
  nodetool) shift; cmd_nodetool "$@" ;;
  *) echo "usage: $0 fetch|up|down|status|logs [-f]|nodetool ARGS..." >&2; exit 2 ;;
esac
