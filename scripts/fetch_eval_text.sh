#!/usr/bin/env bash
# Fetches the evaluation text for `finefp8 perplexity`: the King James Bible (1611, public
# domain), ~4.3 MB of plain English (~1.1 M tokens for a Llama 2 tokenizer), from Debian's
# bible-kjv-text package. That package ships the text compressed in the Bible Retrieval
# System's own format, so the reader from the bible-kjv package (same source, 4.38) dumps it:
# both .debs are fetched with `apt-get download` (no root needed) into a scratch folder,
# unpacked with `dpkg-deb -x`, and the reader prints Genesis 1:1 .. Revelation 22:21 with a
# fixed line width. The SHA-256 of both .debs and of the text are checked; the text is cached
# as ${XDG_CACHE_HOME:-$HOME/.cache}/finefp8/eval/kjv.txt and its path printed on the last
# line of stdout. Later runs reuse the cache (docs/EVALUATION.md).
set -euo pipefail
VERSION=4.38
TEXT_DEB_SHA=d61b6aad4c51ba9e2800b825325fa6a09e99a0d02a9bb6dc4724fcc4995a1b7a  # bible-kjv-text_4.38_all.deb
READER_DEB_SHA=75a49c032a6efa9faa2beb4a9acb70974380122906329d0e100de36cc88ff02d  # bible-kjv_4.38_amd64.deb
TEXT_SHA=82fa5f3788c6a9a010fb128a0f0bf588984b5888a82058520620eded59b033ea
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/finefp8/eval"
TEXT="$CACHE/kjv.txt"

sha() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$TEXT" ] && [ "$(sha "$TEXT")" = "$TEXT_SHA" ]; then
  echo "$TEXT"
  exit 0
fi
mkdir -p "$CACHE"
SCRATCH=$(mktemp -d "$CACHE/fetch.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
echo "fetch_eval_text: downloading bible-kjv-text=$VERSION and bible-kjv=$VERSION (~2.5 MB) with apt-get" >&2
if ! apt-get download -q "bible-kjv-text=$VERSION" "bible-kjv=$VERSION" >&2 2>"$SCRATCH/apt.log"; then
  cat "$SCRATCH/apt.log" >&2
  cat >&2 <<MSG
fetch_eval_text: apt-get could not download bible-kjv-text=$VERSION and bible-kjv=$VERSION.
  Run 'apt-get update' (as root) first if the package lists are missing or stale; or copy
  a kjv.txt with sha256 $TEXT_SHA to $TEXT.
MSG
  exit 1
fi
check() {  # FILE EXPECTED_SHA
  if [ "$(sha "$1")" != "$2" ]; then
    echo "fetch_eval_text: $1 has sha256 $(sha "$1"), expected $2" >&2
    exit 1
  fi
}
check bible-kjv-text_${VERSION}_all.deb "$TEXT_DEB_SHA"
check bible-kjv_${VERSION}_amd64.deb "$READER_DEB_SHA"
dpkg-deb -x bible-kjv-text_${VERSION}_all.deb root
dpkg-deb -x bible-kjv_${VERSION}_amd64.deb root
# -l 79: pretty-printed, lines broken at 79 columns whatever the terminal (COLUMNS unset).
if ! env -u COLUMNS root/usr/bin/bible -l 79 -p "$SCRATCH/root/usr/lib" gen1:1-rev22:21 \
    </dev/null >kjv.txt.part; then
  echo "fetch_eval_text: the bible reader failed (it needs libreadline8: apt-get install libreadline8)" >&2
  exit 1
fi
check kjv.txt.part "$TEXT_SHA"
mv kjv.txt.part "$TEXT"
echo "$TEXT"
