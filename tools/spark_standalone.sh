#!/usr/bin/env bash
# A Spark standalone cluster on this machine from the Maven jars alone (no Spark download): one
# master on spark://127.0.0.1:7077 and one worker, both bound to loopback, with the SPARK_HOME
# the worker's executors need (a RELEASE file and jars/ linking to kobai-spark/target/lib).
#   tools/spark_standalone.sh start   builds kobai-spark if needed, starts both, waits for the worker
#   tools/spark_standalone.sh stop    stops the master, the worker and the worker's executors
#   tools/spark_standalone.sh test    start; train against it, killing the executor JVM once
#                                     mid-run; compare the weights with a --shards run; stop
# State, logs and the worker's directory are under kobai-spark/target/standalone.
# Environment: SPARK_WORKER_CORES (default 2), SPARK_WORKER_MEMORY (default 3g).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd -P)"
STATE="$ROOT/kobai-spark/target/standalone"
MASTER_URL=spark://127.0.0.1:7077
# Spark's launcher passes these to its JVMs on JDK 17+ (see kobai-spark/pom.xml).
FLAGS=(--add-modules jdk.incubator.vector --sun-misc-unsafe-memory-access=allow
  -Dio.netty.tryReflectionSetAccessible=true --enable-native-access=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED)

die() {
  printf 'spark_standalone: %s\n' "$1" >&2
  exit 1
}

java_home() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    printf '%s\n' "$JAVA_HOME"
  elif [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    printf '%s\n' /usr/lib/jvm/temurin-25-jdk-amd64
  else
    die "set JAVA_HOME to a JDK 25"
  fi
}

# Waits up to $2 seconds for the regular expression $3 in the files the glob $1 names.
wait_for() {
  local glob="$1" seconds="$2" pattern="$3" i
  for ((i = 0; i < seconds * 2; i++)); do
    # shellcheck disable=SC2086 # the glob is expanded on each try, as files appear
    if grep -q -E "$pattern" $glob 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

start() {
  local jdk
  jdk="$(java_home)"
  export JAVA_HOME="$jdk"
  if [ ! -f "$ROOT/kobai-spark/target/kobai-spark.jar" ] || [ ! -d "$ROOT/kobai-spark/target/lib" ]; then
    (cd "$ROOT" && MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
      mvn -q -B -Dstyle.color=never -DskipTests -Dmaven.source.skip -Dmaven.javadoc.skip \
      -pl kobai-cli,kobai-spark -am package) >&2
  fi
  if [ -f "$STATE/master.pid" ] && kill -0 "$(cat "$STATE/master.pid")" 2>/dev/null; then
    die "a master started here runs already (pid $(cat "$STATE/master.pid")); stop it first"
  fi
  rm -rf "$STATE"
  mkdir -p "$STATE/home/jars" "$STATE/work"
  # What a Spark distribution's home holds, as far as the worker's executor launcher looks.
  printf 'Spark 4.2.0 (Maven Central jars, linked by tools/spark_standalone.sh)\n' > "$STATE/home/RELEASE"
  ln -s "$ROOT"/kobai-spark/target/lib/*.jar "$STATE/home/jars/"
  export SPARK_HOME="$STATE/home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
  "$jdk/bin/java" "${FLAGS[@]}" -Xmx512m -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port 7077 --webui-port 0 > "$STATE/master.log" 2>&1 &
  echo $! > "$STATE/master.pid"
  wait_for "$STATE/master.log" 120 "I have been elected leader|Starting Spark master" \
    || die "the master did not start within 120 s (see $STATE/master.log)"
  "$jdk/bin/java" "${FLAGS[@]}" -Xmx512m -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.worker.Worker \
    --host 127.0.0.1 --cores "${SPARK_WORKER_CORES:-2}" --memory "${SPARK_WORKER_MEMORY:-3g}" \
    --webui-port 0 --work-dir "$STATE/work" "$MASTER_URL" > "$STATE/worker.log" 2>&1 &
  echo $! > "$STATE/worker.pid"
  wait_for "$STATE/worker.log" 120 "Successfully registered with master" \
    || die "the worker did not register within 120 s (see $STATE/worker.log)"
  echo "spark_standalone: master $MASTER_URL (pid $(cat "$STATE/master.pid")), worker pid $(cat "$STATE/worker.pid")"
}

# The worker's executor JVMs: its child processes.
executors() {
  [ -f "$STATE/worker.pid" ] || return 0
  ps -o pid= --ppid "$(cat "$STATE/worker.pid")" 2>/dev/null | tr -d ' ' || true
}

stop() {
  local pid
  for pid in $(executors); do
    kill "$pid" 2>/dev/null || true
  done
  for f in worker master; do
    if [ -f "$STATE/$f.pid" ]; then
      pid="$(cat "$STATE/$f.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 20); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
      done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$STATE/$f.pid"
    fi
  done
}

integration() {
  trap stop EXIT
  start
  local out="$STATE/run" args pid executor status
  mkdir -p "$out"
  args=(train --data digits --model mlp:64-64-10 --optimizer adam:lr=0.01 --epochs 6 --batch-size 64 --seed 3)
  "$ROOT/kobai" "${args[@]}" --spark "$MASTER_URL" --partitions 2 --export-weights "$out/spark.safetensors" \
    > "$out/spark.log" 2>&1 &
  pid=$!
  # The executor JVM appears once the driver has connected; let it take a few steps, then kill it.
  executor=""
  for _ in $(seq 240); do
    executor="$(executors | head -n 1)"
    [ -n "$executor" ] && break
    sleep 0.5
  done
  [ -n "$executor" ] || die "no executor started within 120 s (see $STATE/worker.log and $out/spark.log)"
  wait_for "$STATE/work/app-*/*/stderr" 120 "Executor: Finished task" \
    || die "the executor ran no task within 120 s"
  sleep 2
  kill -0 "$pid" 2>/dev/null || die "the run ended before the executor could be killed (see $out/spark.log)"
  kill -9 "$executor"
  echo "spark_standalone: killed executor pid $executor mid-run"
  status=0
  wait "$pid" || status=$?
  cat "$out/spark.log"
  [ "$status" -eq 0 ] || die "the run against $MASTER_URL failed with status $status"
  # The worker keeps one directory per executor it launched for the application.
  [ "$(find "$STATE"/work/app-* -mindepth 1 -maxdepth 1 -type d | wc -l)" -ge 2 ] \
    || die "no executor replaced the killed one"
  "$ROOT/kobai" "${args[@]}" --shards 2 --export-weights "$out/shards.safetensors" > "$out/shards.log" 2>&1 \
    || die "the --shards run failed (see $out/shards.log)"
  cmp "$out/spark.safetensors" "$out/shards.safetensors" \
    || die "the weights of the standalone run differ from those of --shards 2"
  echo "spark_standalone: passed: the run on the standalone cluster, its executor killed once, ended with the --shards 2 run's weights bit for bit"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  test) integration ;;
  *) echo "usage: tools/spark_standalone.sh start|stop|test" >&2; exit 2 ;;
esac
