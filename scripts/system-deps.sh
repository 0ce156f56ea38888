#!/usr/bin/env bash
# Debian packages Jointly needs beyond Python: Khmer fonts and Pango for the PDF export, an
# emoji font so no glyph of a name prints as a box; (--serve) pg_dump for the backup taken
# before migrations; (--nginx) nginx too, for `make serve-nginx`; (--test) Chromium, poppler,
# nginx and pg_dump for the tests, Java and npm for the Nu Html Checker; (--bench) also wrk
# for the load benchmark. Installs only what is missing.
set -euo pipefail

mode=${1:-}
packages=()
fc-list 2>/dev/null | grep -i "khmer" >/dev/null || packages+=(fonts-khmeros)
fc-list 2>/dev/null | grep -i "Noto Color Emoji" >/dev/null || packages+=(fonts-noto-color-emoji)
ldconfig -p 2>/dev/null | grep "libpangoft2-1.0" >/dev/null || packages+=(libpango-1.0-0 libpangoft2-1.0-0)
if [[ -n $mode ]]; then
  command -v pg_dump >/dev/null || packages+=(postgresql-client)
fi
if [[ $mode == --nginx || $mode == --test || $mode == --bench ]]; then
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || packages+=(nginx)
fi
if [[ $mode == --test || $mode == --bench ]]; then
  command -v chromium >/dev/null || packages+=(chromium)
  command -v pdftoppm >/dev/null || packages+=(poppler-utils)
  # The Nu Html Checker (vnu.jar from npm) runs on Java.
  command -v java >/dev/null || packages+=(default-jre-headless)
  command -v npm >/dev/null || packages+=(npm)
fi
if [[ $mode == --bench ]]; then
  command -v wrk >/dev/null || packages+=(wrk)
fi

if ((${#packages[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "Please install these Debian packages: ${packages[*]}" >&2
  exit 0
fi
echo "Installing ${packages[*]} ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
