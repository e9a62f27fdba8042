#!/usr/bin/env bash
# Draws Countersign's mark — a green seal with a white check — and writes the RGBA PNGs
# that tauri.conf.json's bundle.icon names. Needs ImageMagick 6 (`convert`).
# The UI draws the same mark as inline SVG (ui/src/lib/Mark.svelte): keep them alike.
#
# Usage: icons/make-icons.sh   (rewrites the PNGs beside this script)
set -euo pipefail
cd "$(dirname "$0")"

# Geometry on a 1024 canvas; drawn at that size, then scaled down for smooth edges.
seal=$(awk 'BEGIN {
  pi = atan2(0, -1); n = 20
  printf "circle 512,512 512,112 "
  for (i = 0; i < n; i++) {
    a = 2 * pi * i / n
    x = 512 + 400 * cos(a); y = 512 + 400 * sin(a)
    printf "circle %.1f,%.1f %.1f,%.1f ", x, y, x + 64, y
  }
}')

convert -size 1024x1024 xc:none \
  -fill '#1f6f5c' -stroke none -draw "$seal" \
  -fill none -stroke '#ffffff66' -strokewidth 14 -draw "circle 512,512 512,178" \
  -stroke white -strokewidth 82 \
  -draw "stroke-linecap round stroke-linejoin round path 'M 348,526 L 462,638 L 690,398'" \
  -define png:color-type=6 master.png

for size in 32 128 256 512; do
  convert master.png -filter Lanczos -resize "${size}x${size}" -define png:color-type=6 "icon-$size.png"
done
mv icon-32.png 32x32.png
mv icon-128.png 128x128.png
mv icon-256.png 128x128@2x.png
mv icon-512.png icon.png
rm master.png

for png in 32x32.png 128x128.png 128x128@2x.png icon.png; do
  channels=$(identify -format '%[channels]' "$png")
  case $channels in
    srgba | rgba) ;;
    *) echo "make-icons: $png is $channels, not RGBA" >&2; exit 1 ;;
  esac
done
echo "make-icons: wrote 32x32.png 128x128.png 128x128@2x.png icon.png"
