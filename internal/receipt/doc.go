// Package receipt renders the citizen's application receipt
// ("Antragsbestätigung") as a PDF: the service, the Vorgangsnummer, when the
// application was received (Europe/Berlin time), the responsible authority,
// the SHA-256 of the canonical application data, every answer grouped as
// in the form, the fee and its payment (section "Gebühr") and the identity
// proof (section "Identitätsnachweis"), the last two when there are any.
// It is the document a citizen downloads or is mailed after submitting,
// and keeps as proof of what was sent.
//
// The page is A4 in German. Answers are laid out in two columns (question,
// answer); long questions and answers wrap and continue on following pages,
// and every page carries the Vorgangsnummer and "Seite X von Y".
//
// # Text and fonts
//
// The text is set in DejaVu Sans 2.37 (regular and bold, from Debian's
// fonts-dejavu-core; licence in fonts/LICENSE), embedded in the binary and
// subset-embedded in each PDF. The PDF library, codeberg.org/go-pdf/fpdf
// v0.12.0, can only output characters of the Basic Multilingual Plane, so
// every character the fonts cannot draw (decided from the fonts' own cmap
// with golang.org/x/image/font/sfnt), and every control or format character
// other than newline and tab, is printed as a visible "[U+1F44D]". Text is
// normalised to NFC first; tabs become spaces; soft hyphens are removed.
//
// Which characters the fonts cover is worked out once per process, and so
// is fpdf's parse of both TrueType files: antrag builds fpdf from
// third_party/fpdf, v0.12.0 with a process-wide cache of parsed UTF-8
// fonts (see its PATCH.md; the output is byte for byte that of v0.12.0).
// What remains per document is layout, subsetting and compression, a few
// milliseconds for the largest demo form (under 10 ms; BENCHMARKS.md).
//
// # PDF/A-2b: what is done and what is not verified
//
// The output aims at PDF/A-2b (ISO 19005-2:2011, level B). Done:
//   - both fonts embedded as TrueType subsets (CIDFontType2, Identity-H,
//     with ToUnicode maps); text is cleaned so that only characters with a
//     glyph are ever used, so .notdef is never drawn;
//   - XMP metadata (an uncompressed stream) with pdfaid:part 2,
//     pdfaid:conformance B, dc:title, dc:creator, dc:description,
//     xmp:CreateDate/ModifyDate/MetadataDate, xmp:CreatorTool and
//     pdf:Producer, equal to the Info dictionary's Title, Author, Subject,
//     dates, Creator and Producer;
//   - fixes patched into fpdf's output by this package (see finalize): a
//     trailer /ID, the UTC offset on the Info dates, and the trailer's /Info
//     reference, which fpdf v0.12.0 points at the ICC profile instead of the
//     Info dictionary whenever an output intent is present;
//   - an sRGB output intent (GTS_PDFA1) with the ICC's sRGB2014.icc profile
//     as shipped in fpdf's icc/ folder (licence in icc/LICENSE: may be
//     copied, distributed and embedded without restriction); all colours
//     are DeviceGray or DeviceRGB;
//   - no encryption, annotations, JavaScript, images or embedded files;
//     document language de-DE. fpdf gives every page a transparency group
//     (/S /Transparency /CS /DeviceRGB), which PDF/A-2 permits.
//
// Not verified: no PDF/A validator (veraPDF) has been run on the output.
// The tests check the file structure themselves (xref offsets,
// trailer, Info and XMP agreeing, output intent), and qpdf --check and
// poppler's pdfinfo/pdffonts/pdftotext accept the files. Known risks a
// validator might flag: fpdf's font subsetting (glyph widths in /W against
// the font program), subset font names without the "ABCDEF+" tag, and the
// version-2 ICC profile. Levels A and U (tagged PDF) are not attempted:
// no Go PDF library writes a structure tree (README, "For citizens");
// the same content is served as an HTML page for assistive technology.
//
// # Determinism
//
// The creation and modification dates are SubmittedAt, the catalogue order
// is fixed and the file ID is a hash of the content, so the same Receipt
// always renders to the same bytes.
package receipt
