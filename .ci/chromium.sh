#!/usr/bin/env bash
# Debian's Chromium and its driver for the browser tests (tests/test_web_browser.py), and a
# small CJK font so the page's Chinese renders in screenshots. Idempotent: installs only what
# is missing (apt-get update first). Needs root, as CI runs.
set -euo pipefail
need=()
for pkg in chromium chromium-driver fonts-wqy-microhei; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
    > /dev/null
fi
chromium --version 2>/dev/null | head -1 >&2
