#!/usr/bin/env bash
# vendor-assets.sh: fetch the pinned front-end packages from the npm registry
# and copy the few files that antrag serves or tests with into the repository.
#
#   internal/web/static/vendor/   embedded into the binary (package static)
#   internal/web/testdata/axe/    browser tests only, never embedded
#
# The copied files are committed, so building or running antrag never needs
# npm. Run this script again only to update or re-check the pinned versions;
# it replaces the files it owns and produces the same bytes every time.
#
# Usage: scripts/vendor-assets.sh   (from anywhere; needs node and npm)
set -euo pipefail

# Pinned packages: name, version and the tarball integrity the npm registry
# published for that version. A mismatch stops the script.
KERN_PKG=@kern-ux/native
KERN_VERSION=2.7.2
KERN_INTEGRITY=sha512-TN0Mqbasp7S1IOqurXickde8MDj5hIcgT4s3f1i33wyv2iVgA1dTO/FoQyi6rgM9KYTYkIthl9k72g7fBUUvHg==
JSONLOGIC_PKG=json-logic-js
JSONLOGIC_VERSION=2.0.5
JSONLOGIC_INTEGRITY=sha512-rTT2+lqcuUmj4DgWfmzupZqQDA64AdmYqizzMPWj3DxGdfFNsxPpcNVSaTj4l8W2tG/+hg7/mQhxjU3aPacO6g==
AXE_PKG=axe-core
AXE_VERSION=4.14.1
AXE_INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATIC="$ROOT/internal/web/static"
VENDOR="$STATIC/vendor"
AXE_DIR="$ROOT/internal/web/testdata/axe"

for tool in node npm sha256sum; do
	command -v "$tool" >/dev/null || { echo "vendor-assets: $tool not found" >&2; exit 1; }
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# A package.json of its own keeps npm from walking up to another project.
echo '{"private": true}' >"$TMP/package.json"
(
	cd "$TMP"
	npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error \
		"$KERN_PKG@$KERN_VERSION" \
		"$JSONLOGIC_PKG@$JSONLOGIC_VERSION" \
		"$AXE_PKG@$AXE_VERSION" >/dev/null
)
NM="$TMP/node_modules"

# check_pkg NAME VERSION INTEGRITY: the installed package is the pinned one.
check_pkg() {
	node -e '
		const [lockPath, name, version, integrity] = process.argv.slice(1);
		const p = require(lockPath).packages["node_modules/" + name];
		if (!p) { console.error(`vendor-assets: ${name} not installed`); process.exit(1); }
		if (p.version !== version || p.integrity !== integrity) {
			console.error(`vendor-assets: ${name}: got ${p.version} ${p.integrity}, want ${version} ${integrity}`);
			process.exit(1);
		}' "$NM/.package-lock.json" "$1" "$2" "$3"
}
check_pkg "$KERN_PKG" "$KERN_VERSION" "$KERN_INTEGRITY"
check_pkg "$JSONLOGIC_PKG" "$JSONLOGIC_VERSION" "$JSONLOGIC_INTEGRITY"
check_pkg "$AXE_PKG" "$AXE_VERSION" "$AXE_INTEGRITY"

# css_urls FILE: the url(...) targets in a CSS file, one a line, without
# quotes; data: URIs (KERN's inline SVG icons) are left out.
css_urls() {
	grep -o 'url([^)]*)' "$1" | sed -e 's/^url(//' -e 's/)$//' -e "s/^[\"']//" -e "s/[\"']\$//" |
		grep -v '^data:' || true
}

# vendor/ belongs to this script alone: start from nothing so that files
# dropped from the list disappear.
rm -rf "$VENDOR"
mkdir -p "$VENDOR/kern/fonts" "$VENDOR/json-logic-js" "$AXE_DIR"

# --- KERN UX -----------------------------------------------------------------
# kern.min.css is the whole design system: components, typography, grid
# (kern-container/kern-row/kern-col-*) and the spacing/flex utilities; the
# separate kern-grid*.css and kern-utilities*.css are subsets of it. It
# declares no @font-face: the fonts come from dist/fonts/fira-sans.css, which
# we copy with the dist/ layout kept (fonts/fira-sans.css next to
# fonts/fira-sans/*.woff2), so its relative url()s work unchanged when served
# from /static/vendor/kern/fonts/. Only the font files those CSS files
# reference are copied (10 of the 32 Fira Sans cuts; Noto Sans is left out).
KERN="$NM/$KERN_PKG"
install -m 0644 "$KERN/dist/kern.min.css" "$VENDOR/kern/kern.min.css"
install -m 0644 "$KERN/dist/fonts/fira-sans.css" "$VENDOR/kern/fonts/fira-sans.css"
install -m 0644 "$KERN/LICENSE.md" "$VENDOR/kern/LICENSE.md"
for css in "$VENDOR/kern/kern.min.css" "$VENDOR/kern/fonts/fira-sans.css"; do
	dir="$(dirname "$css")"
	rel="${dir#"$VENDOR/kern"}" # "" or "/fonts"
	while IFS= read -r ref; do
		case "$ref" in
		/* | *://* | *..*) echo "vendor-assets: $css: unexpected url($ref)" >&2; exit 1 ;;
		esac
		ref="${ref#./}"
		src="$KERN/dist$rel/$ref"
		[ -f "$src" ] || { echo "vendor-assets: $css: url($ref) not in the package" >&2; exit 1; }
		mkdir -p "$(dirname "$dir/$ref")"
		install -m 0644 "$src" "$dir/$ref"
	done < <(css_urls "$css" | sort -u)
done

# --- json-logic-js -----------------------------------------------------------
# logic.js is the package's only build: a UMD file that sets window.jsonLogic
# in a browser.
install -m 0644 "$NM/$JSONLOGIC_PKG/logic.js" "$VENDOR/json-logic-js/logic.js"
install -m 0644 "$NM/$JSONLOGIC_PKG/LICENSE" "$VENDOR/json-logic-js/LICENSE"

# --- axe-core (tests only) ---------------------------------------------------
install -m 0644 "$NM/$AXE_PKG/axe.min.js" "$AXE_DIR/axe.min.js"
install -m 0644 "$NM/$AXE_PKG/locales/de.json" "$AXE_DIR/de.json"
install -m 0644 "$NM/$AXE_PKG/LICENSE" "$AXE_DIR/LICENSE"
install -m 0644 "$NM/$AXE_PKG/LICENSE-3RD-PARTY.txt" "$AXE_DIR/LICENSE-3RD-PARTY.txt"

# --- SOURCES.md --------------------------------------------------------------
# row BASE FILE PACKAGE VERSION LICENCE FROM: one table row (path relative to BASE).
row() {
	local size sum
	size="$(wc -c <"$2" | tr -d ' ')"
	sum="$(sha256sum "$2" | cut -c1-16)"
	printf '| `%s` | %s B | `%s` | %s@%s | %s | `%s` |\n' "${2#"$1/"}" "$size" "$sum" "$3" "$4" "$5" "$6"
}
header() {
	echo '| file | size | sha256 (first 16) | package | licence | copied from |'
	echo '|---|---|---|---|---|---|'
}
{
	cat <<MD
# Vendored front-end assets

Generated by \`scripts/vendor-assets.sh\`; do not edit by hand. To update,
change the pinned versions and integrities in the script and run it again:

    scripts/vendor-assets.sh

It runs \`npm install --no-save --ignore-scripts $KERN_PKG@$KERN_VERSION $JSONLOGIC_PKG@$JSONLOGIC_VERSION $AXE_PKG@$AXE_VERSION\`
in a temporary directory, checks each package's registry integrity and copies
the files below unchanged. These files are embedded into the antrag binary by
package \`internal/web/static\` and served under \`/static/vendor/\`.

- **KERN UX** (\`$KERN_PKG@$KERN_VERSION\`, EUPL-1.2, <https://www.kern-ux.de>):
  \`kern/kern.min.css\` is the whole design system (components, typography,
  grid and utilities). It declares no fonts; \`kern/fonts/fira-sans.css\`
  declares Fira Sans (weights 300–700, normal and italic) and references the
  ten \`.woff2\` files below by relative path. Link both stylesheets.
- **json-logic-js** (\`$JSONLOGIC_PKG@$JSONLOGIC_VERSION\`, MIT): \`logic.js\`
  is a UMD build that defines \`window.jsonLogic\` in the browser.

MD
	header
	find "$VENDOR/kern" -type f ! -name SOURCES.md | LC_ALL=C sort | while IFS= read -r f; do
		row "$VENDOR" "$f" "$KERN_PKG" "$KERN_VERSION" EUPL-1.2 "${f/#"$VENDOR/kern"/dist}"
	done | sed -e 's#`dist/LICENSE.md`#`LICENSE.md`#'
	row "$VENDOR" "$VENDOR/json-logic-js/logic.js" "$JSONLOGIC_PKG" "$JSONLOGIC_VERSION" MIT logic.js
	row "$VENDOR" "$VENDOR/json-logic-js/LICENSE" "$JSONLOGIC_PKG" "$JSONLOGIC_VERSION" MIT LICENSE
} >"$VENDOR/SOURCES.md"

{
	cat <<MD
# axe-core for browser tests

Generated by \`scripts/vendor-assets.sh\`, which installs
\`$AXE_PKG@$AXE_VERSION\` with \`npm install --no-save --ignore-scripts\` in a
temporary directory, checks its registry integrity and copies these files
unchanged; do not edit by hand. Used by the browser accessibility
tests only and not embedded into the antrag binary. \`de.json\` is axe-core's
German locale: pass it as \`axe.configure({locale: ...})\` before \`axe.run\`.

MD
	header
	for f in axe.min.js de.json LICENSE LICENSE-3RD-PARTY.txt; do
		from="$f"
		[ "$f" = de.json ] && from=locales/de.json
		row "$AXE_DIR" "$AXE_DIR/$f" "$AXE_PKG" "$AXE_VERSION" MPL-2.0 "$from"
	done
} >"$AXE_DIR/SOURCES.md"

echo "vendor-assets: wrote $(find "$VENDOR" -type f | wc -l) files to ${VENDOR#"$ROOT/"} and $(find "$AXE_DIR" -maxdepth 1 -type f | wc -l) to ${AXE_DIR#"$ROOT/"}"
