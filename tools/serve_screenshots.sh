#!/usr/bin/env bash
# Retakes the README's pictures of kobai serve (docs/img/serve-*.png): runs the browser tests with
# KOBAI_SCREENSHOTS set, which save each section of the pages as a PNG, then shrinks each to at most
# 900 pixels wide and 256 colours (Pillow) to keep the repository small. Needs Debian's chromium and
# chromium-driver, and a CJK font (fonts-ipafont-gothic) for the Japanese picture.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow"
shots="$(mktemp -d)"
trap 'rm -rf "$shots"' EXIT
KOBAI_SCREENSHOTS="$shots" mvn -q -B -Dstyle.color=never -pl kobai-core,kobai-cli,kobai-serve -am test \
  -Dtest=BrowserTest -Dsurefire.failIfNoSpecifiedTests=false
"${PYTHON:-python3}" - "$shots" docs/img <<'PY'
import pathlib, sys
from PIL import Image
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for png in sorted(src.glob('serve-*.png')):
    im = Image.open(png).convert('RGB')
    if im.width > 900:
        im = im.resize((900, round(im.height * 900 / im.width)), Image.LANCZOS)
    im.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(dst / png.name, optimize=True)
    print(dst / png.name, (dst / png.name).stat().st_size, 'bytes')
PY
