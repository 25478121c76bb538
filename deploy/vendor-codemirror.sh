#!/bin/sh
# Vendor CodeMirror 5 (the template editor) from its npm package into ccm/static/vendor/.
# Usage: deploy/vendor-codemirror.sh VERSION   (or `make vendor`)
# Only the files the editor loads are copied, with the package's licence. No CDN at run time.
set -eu
version="${1:?usage: $0 VERSION (for example 5.65.21)}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/ccm/static/vendor/codemirror"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "codemirror@$version" >/dev/null)
tar -xzf "$work/codemirror-$version.tgz" -C "$work"
src="$work/package"

rm -rf "$dest"
mkdir -p "$dest"
for file in \
    LICENSE \
    lib/codemirror.js \
    lib/codemirror.css \
    addon/mode/overlay.js \
    addon/edit/matchbrackets.js \
    mode/xml/xml.js \
    mode/javascript/javascript.js \
    mode/css/css.js \
    mode/htmlmixed/htmlmixed.js \
    mode/jinja2/jinja2.js; do
    mkdir -p "$dest/$(dirname "$file")"
    cp "$src/$file" "$dest/$file"
done
echo "$version" > "$dest/VERSION"
echo "CodeMirror $version vendored into $dest"
