package receipt

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// xrefOffsets returns the byte offsets of the in-use objects of pdf, as its
// (single-subsection) cross-reference table gives them, checking that
// startxref points at that table.
func xrefOffsets(tb testing.TB, pdf []byte) map[int]int {
	tb.Helper()
	m := regexp.MustCompile(`\nstartxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		tb.Fatalf("PDF does not end in startxref/%%%%EOF: %q", pdf[max(0, len(pdf)-60):])
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[xref:], []byte("xref\n0 ")) {
		tb.Fatalf("startxref %d does not point at an xref table: %q", xref, pdf[xref:min(len(pdf), xref+20)])
	}
	lines := strings.Split(string(pdf[xref:]), "\n")
	count, err := strconv.Atoi(strings.TrimPrefix(lines[1], "0 "))
	if err != nil {
		tb.Fatalf("bad xref subsection %q", lines[1])
	}
	offsets := map[int]int{}
	for j := range count {
		e := lines[2+j]
		if len(e) != 19 {
			tb.Fatalf("xref entry %d is %q, not 20 bytes", j, e)
		}
		if e[17] == 'n' {
			offsets[j], _ = strconv.Atoi(e[:10])
		}
	}
	return offsets
}

// object returns the text of object num, from "num 0 obj" to "endobj".
func object(tb testing.TB, pdf []byte, offsets map[int]int, num int) string {
	tb.Helper()
	off, ok := offsets[num]
	if !ok {
		tb.Fatalf("object %d not in the xref table", num)
	}
	end := bytes.Index(pdf[off:], []byte("endobj"))
	if end < 0 {
		tb.Fatalf("object %d has no endobj", num)
	}
	return string(pdf[off : off+end])
}

func trailerRef(tb testing.TB, pdf []byte, key string) int {
	tb.Helper()
	tr := pdf[bytes.LastIndex(pdf, []byte("\ntrailer\n")):]
	m := regexp.MustCompile(`/` + key + ` (\d+) 0 R`).FindSubmatch(tr)
	if m == nil {
		tb.Fatalf("trailer has no /%s:\n%s", key, tr)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestPDFStructure checks the parts of PDF/A-2b that can be checked by
// reading the file: offsets, trailer ID, Info and XMP metadata agreeing,
// output intent, header. It is no substitute for a validator.
func TestPDFStructure(t *testing.T) {
	for _, name := range []string{"short", "long", "paid fee"} {
		t.Run(name, func(t *testing.T) {
			r := sampleReceipt()
			switch name {
			case "long":
				r = longReceipt()
			case "paid fee":
				r = paidReceipt()
			}
			pdf := render(t, r)
			if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n%")) {
				t.Fatalf("header %q", pdf[:12])
			}
			if comment := pdf[len("%PDF-1.4\n%") : bytes.IndexByte(pdf[9:], '\n')+9]; len(comment) < 4 || bytes.ContainsFunc(comment, func(r rune) bool { return r < 128 }) {
				t.Errorf("second line %q is not a comment of at least 4 bytes above 127", comment)
			}

			offsets := xrefOffsets(t, pdf)
			for num, off := range offsets {
				if want := fmt.Sprintf("%d 0 obj\n", num); !bytes.HasPrefix(pdf[off:], []byte(want)) {
					t.Errorf("xref offset %d of object %d points at %q", off, num, pdf[off:min(len(pdf), off+20)])
				}
			}

			if !regexp.MustCompile(`\ntrailer\n<<\n/ID \[<[0-9a-f]{32}> <[0-9a-f]{32}>\]\n`).Match(pdf) {
				t.Errorf("trailer without file identifier /ID:\n%s", pdf[bytes.LastIndex(pdf, []byte("trailer")):])
			}

			info := object(t, pdf, offsets, trailerRef(t, pdf, "Info"))
			catalog := object(t, pdf, offsets, trailerRef(t, pdf, "Root"))
			for _, want := range []string{"/Type /Catalog", "/Metadata ", "/OutputIntents [", "/S /GTS_PDFA1", "/DestOutputProfile ", "/Lang (de-DE)"} {
				if !strings.Contains(catalog, want) {
					t.Errorf("catalog lacks %q:\n%s", want, catalog)
				}
			}
			if strings.Contains(catalog, "/Encrypt") || strings.Contains(catalog, "/JavaScript") {
				t.Errorf("catalog has encryption or JavaScript:\n%s", catalog)
			}

			// Info dates carry the Berlin offset and equal the XMP dates.
			wantDate := "D:20240517093000+02'00'"
			for _, key := range []string{"/CreationDate", "/ModDate"} {
				if !strings.Contains(info, key+" ("+wantDate+")") {
					t.Errorf("Info lacks %s (%s):\n%s", key, wantDate, info)
				}
			}
			for _, key := range []string{"/Title", "/Author", "/Subject", "/Creator", "/Producer"} {
				if !strings.Contains(info, key+" (") {
					t.Errorf("Info lacks %s:\n%s", key, info)
				}
			}

			meta := catalogRef(t, catalog, "Metadata")
			xmpObj := object(t, pdf, offsets, meta)
			if strings.Contains(xmpObj, "/Filter") {
				t.Errorf("XMP metadata stream is compressed")
			}
			x := parseXMP(t, xmpObj)
			want := xmpFields{
				Title:       "Antragsbestätigung – " + r.Title,
				Creator:     r.Authority[0],
				Description: "Vorgangsnummer " + r.Reference,
				CreateDate:  "2024-05-17T09:30:00+02:00",
				ModifyDate:  "2024-05-17T09:30:00+02:00",
				CreatorTool: "antrag",
				Producer:    producer,
				Part:        "2",
				Conformance: "B",
			}
			if x != want {
				t.Errorf("XMP metadata\n got %+v\nwant %+v", x, want)
			}

			oi := regexp.MustCompile(`/DestOutputProfile (\d+) 0 R`).FindStringSubmatch(catalog)
			n, _ := strconv.Atoi(oi[1])
			if icc := object(t, pdf, offsets, n); !strings.Contains(icc, "/N 3") {
				t.Errorf("output intent profile is not a 3-component (RGB) ICC stream:\n%.200s", icc)
			}
		})
	}
}

// TestPDFPoppler cross-checks the metadata with poppler's pdfinfo.
func TestPDFPoppler(t *testing.T) {
	r := sampleReceipt()
	r.SubmittedAt = time.Date(2024, 1, 15, 8, 30, 0, 0, time.UTC) // winter: +01:00
	info := poppler(t, render(t, r), "pdfinfo", "-isodates")
	for _, want := range []string{
		"Title:           Antragsbestätigung – Antrag auf Zulassung zur Jägerprüfung",
		"Author:          Landratsamt Musterkreis",
		"Subject:         Vorgangsnummer A7K2-9QXM-4T",
		"CreationDate:    2024-01-15T09:30:00+01",
		"Metadata Stream: yes",
		"Encrypted:       no",
		"Page size:       595.28 x 841.89 pts (A4)",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("pdfinfo output lacks %q:\n%s", want, info)
		}
	}
	fonts := poppler(t, render(t, r), "pdffonts")
	for _, line := range strings.Split(strings.TrimSpace(fonts), "\n")[2:] {
		if f := strings.Fields(line); len(f) < 7 || f[len(f)-5] != "yes" {
			t.Errorf("font not embedded: %q", line)
		}
	}
}

func catalogRef(tb testing.TB, catalog, key string) int {
	tb.Helper()
	m := regexp.MustCompile(`/` + key + ` (\d+) 0 R`).FindStringSubmatch(catalog)
	if m == nil {
		tb.Fatalf("catalog has no /%s:\n%s", key, catalog)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

type xmpFields struct {
	Title, Creator, Description         string
	CreateDate, ModifyDate, CreatorTool string
	Producer, Part, Conformance         string
}

// parseXMP parses the XMP packet in a metadata stream object.
func parseXMP(tb testing.TB, obj string) xmpFields {
	tb.Helper()
	start := strings.Index(obj, "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>")
	end := strings.Index(obj, "<?xpacket end=")
	if start < 0 || end < 0 {
		tb.Fatalf("no XMP packet with BOM in:\n%s", obj)
	}
	type list struct {
		Alt string `xml:"Alt>li"`
		Seq string `xml:"Seq>li"`
	}
	var doc struct {
		Description struct {
			Title       list   `xml:"http://purl.org/dc/elements/1.1/ title"`
			Creator     list   `xml:"http://purl.org/dc/elements/1.1/ creator"`
			Description list   `xml:"http://purl.org/dc/elements/1.1/ description"`
			CreateDate  string `xml:"http://ns.adobe.com/xap/1.0/ CreateDate"`
			ModifyDate  string `xml:"http://ns.adobe.com/xap/1.0/ ModifyDate"`
			CreatorTool string `xml:"http://ns.adobe.com/xap/1.0/ CreatorTool"`
			Producer    string `xml:"http://ns.adobe.com/pdf/1.3/ Producer"`
			Part        string `xml:"http://www.aiim.org/pdfa/ns/id/ part"`
			Conformance string `xml:"http://www.aiim.org/pdfa/ns/id/ conformance"`
		} `xml:"RDF>Description"`
	}
	if err := xml.Unmarshal([]byte(obj[start:end]), &doc); err != nil {
		tb.Fatalf("XMP is not well-formed: %v", err)
	}
	d := doc.Description
	return xmpFields{
		Title: d.Title.Alt, Creator: d.Creator.Seq, Description: d.Description.Alt,
		CreateDate: d.CreateDate, ModifyDate: d.ModifyDate, CreatorTool: d.CreatorTool,
		Producer: d.Producer, Part: d.Part, Conformance: d.Conformance,
	}
}

func TestFinalizeRejectsOtherLayouts(t *testing.T) {
	good := func() []byte {
		a, err := loadAssets()
		if err != nil {
			t.Fatal(err)
		}
		pdf, doc := newTestDoc(t, a, sampleReceipt())
		drawPages(pdf, doc, layoutDocument(pdf, doc))
		var buf bytes.Buffer
		if err := pdf.Output(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}()
	if _, err := finalize(good, "+02'00'"); err != nil {
		t.Fatalf("finalize(fpdf output) = %v", err)
	}
	for name, b := range map[string][]byte{
		"empty":            nil,
		"header only":      []byte("%PDF-1.4\n"),
		"truncated":        good[:len(good)/2],
		"no trailer":       bytes.Replace(good, []byte("\ntrailer\n"), []byte("\ntrailor\n"), 1),
		"startxref beyond": bytes.Replace(good, []byte("\nstartxref\n"), []byte("\nstartxref\n9"), 1),
		"huge count":       regexp.MustCompile(`\nxref\n0 \d+\n`).ReplaceAll(good, []byte("\nxref\n0 999999999999999999\n")),
		"no dates":         bytes.ReplaceAll(good, []byte("/CreationDate"), []byte("/CreationDatX")),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := finalize(b, "+02'00'"); err == nil {
				t.Error("finalize accepted it")
			}
		})
	}
}

func FuzzFinalize(f *testing.F) {
	f.Add([]byte("%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer\n<<\n/Root 1 0 R\n/Info 1 0 R\n>>\nstartxref\n9\n%%EOF\n"))
	f.Add([]byte("\nstartxref\n0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = finalize(b, "+02'00'") // must not panic
	})
}
