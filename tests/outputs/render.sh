#!/bin/bash
# render.sh PAGE.html OUT.png [W,H]: a real browser's reading of a page (ZT_PAGE_SCALE=0.8: the
# screenshot at that device scale factor, a smaller picture of the same layout). Debian's Chromium,
# headless (as root it needs --no-sandbox), with every background connection switched off and a
# throwaway profile: writes the screenshot to OUT.png and prints the DOM after parsing
# (--dump-dom) to stdout. The page is loaded from a file: URL; it has no script and no external
# asset, and Chromium makes no other request. Exit: Chromium's, or 2 without Chromium.
set -uo pipefail

[ $# -ge 2 ] || { echo "usage: render.sh PAGE.html OUT.png [W,H]" >&2; exit 2; }
command -v chromium >/dev/null || { echo "render.sh: no chromium (Debian package chromium)" >&2; exit 2; }
PAGE=$(realpath "$1")
PNG=$(realpath -m "$2")
SIZE=${3:-1280,900}
PROFILE=$(mktemp -d /tmp/zt-chromium.XXXXXX)
trap 'rm -rf "$PROFILE"' EXIT
# A file: URL is typed by its name: anything not ending in .html would show as plain text.
case $PAGE in
*.html) ;;
*) cp "$PAGE" "$PROFILE/page.html" && PAGE=$PROFILE/page.html ;;
esac
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --disable-extensions --disable-default-apps --hide-scrollbars --mute-audio
    --user-data-dir="$PROFILE" --window-size="$SIZE")
[ -z "${ZT_PAGE_SCALE:-}" ] || flags+=(--force-device-scale-factor="$ZT_PAGE_SCALE")
chromium "${flags[@]}" --screenshot="$PNG" "file://$PAGE" 2>"$PROFILE/shot.log" >/dev/null
rc=$?
[ $rc -eq 0 ] || { cat "$PROFILE/shot.log" >&2; exit $rc; }
chromium "${flags[@]}" --dump-dom "file://$PAGE" 2>/dev/null
