#!/usr/bin/env bash
# Installs the Debian packages some tests drive, when they are missing: awscli (aws-cli 2.9, the
# query-protocol SQS client the CLI tests use) and chromium (/usr/bin/chromium, the headless
# browser of the CLI's hosted-UI login test, driven by playwright-core). Only as root with
# apt-get; elsewhere it says what to install and the tests that need it skip with the same advice.
set -euo pipefail
wanted=(awscli chromium)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-debian-packages: installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "ensure-debian-packages: not root or no apt-get; install ${missing[*]} yourself for the tests that use them (they skip otherwise)" >&2
fi
