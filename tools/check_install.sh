#!/usr/bin/env bash
# What a Java developer does with Kobai, checked end to end (issue 16): `mvn install` puts the
# library into the local Maven repository, then a throwaway project made of the README's pom.xml
# and the README's library example is built against it, from that repository alone, and run.
# The example must print a test accuracy. .ci/run calls this after the tests; run it by hand with
# a JDK 25 in JAVA_HOME: tools/check_install.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
mvn_quiet=(mvn -q -B -Dstyle.color=never)

# The tests have run before this (./kobai test); here only the artifacts are built and installed,
# sources and Javadoc jars included.
(cd "$ROOT" && "${mvn_quiet[@]}" -DskipTests install)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The README's fenced blocks: the first ```xml block under "Using the library" is the user's
# pom.xml; the first ```java block there is the example, whose package and class name say where it goes.
section() {
  awk '/^## Using the library/ { on = 1; next } /^## / { on = 0 } on' "$ROOT/README.md"
}
first_block() {
  awk -v lang="$1" '$0 == "```" lang { on = 1; next } on && /^```/ { exit } on' 
}
section | first_block xml >"$work/pom.xml"
section | first_block java >"$work/Example.java"
[ -s "$work/pom.xml" ] || { echo "check_install: no xml block under 'Using the library' in README.md" >&2; exit 1; }
[ -s "$work/Example.java" ] || { echo "check_install: no java block under 'Using the library' in README.md" >&2; exit 1; }

package="$(sed -n 's/^package \([a-zA-Z0-9_.]*\);.*/\1/p' "$work/Example.java" | head -n 1)"
class="$(sed -n 's/^public \(final \)\{0,1\}class \([A-Za-z0-9_]*\).*/\2/p' "$work/Example.java" | head -n 1)"
[ -n "$class" ] || { echo "check_install: the README's example declares no public class" >&2; exit 1; }
dir="$work/src/main/java/${package//.//}"
mkdir -p "$dir"
mv "$work/Example.java" "$dir/$class.java"

cd "$work"
# Without the repository's .mvn/jvm.config, Maven's console library would print colour resets.
export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }-Djansi.noreset=true"
"${mvn_quiet[@]}" package dependency:build-classpath -Dmdep.outputFile=classpath.txt
main="${package:+$package.}$class"
echo "check_install: running $main from a project that depends on dev.kobai:kobai-core" >&2
status=0
output="$("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "target/classes:$(cat classpath.txt)" "$main" 2>&1)" \
  || status=$?
printf '%s\n' "$output"
if [ "$status" -ne 0 ] || ! grep -q 'accuracy' <<<"$output"; then
  echo "check_install: the example failed (exit $status) or printed no accuracy" >&2
  exit 1
fi
