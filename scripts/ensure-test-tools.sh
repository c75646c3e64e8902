#!/usr/bin/env bash
# Makes sure the system tools the test suite drives are installed: Chromium (browser tests,
# through playwright-core, never a downloaded browser), zbar-tools (zbarimg decodes QR codes)
# and poppler-utils (pdftoppm renders PDF tickets). Installs what is missing with apt-get when
# running as root on Debian; quick and silent when everything is there. Skip with
# SKIP_TEST_TOOLS_CHECK=1.
set -euo pipefail

[[ "${SKIP_TEST_TOOLS_CHECK:-0}" == "1" ]] && exit 0

missing=()
[[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] || missing+=(chromium)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
((${#missing[@]} == 0)) && exit 0

if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "[test-tools] missing: ${missing[*]}. Install them: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "[test-tools] apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
