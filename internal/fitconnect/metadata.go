package fitconnect

import (
	"bytes"
	"crypto/sha512"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/payment"
)

// MetadataSchemaURI is the $id of the FIT-Connect metadata schema 1.0.0
// that antrag writes and checks (standards.md §1 "Metadata schema").
const MetadataSchemaURI = "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json"

//go:embed schema/metadata.schema.v1.0.0.json
var metadataSchemaJSON []byte

// Metadata is the FIT-Connect Metadatensatz 1.0.0 (schema/
// metadata.schema.v1.0.0.json; standards.md §1 "Metadata schema"). Only
// contentStructure is required.
type Metadata struct {
	ContentStructure          ContentStructure            `json:"contentStructure"`
	PublicServiceType         *PublicServiceType          `json:"publicServiceType,omitempty"`
	AuthenticationInformation []AuthenticationInformation `json:"authenticationInformation,omitempty"`
	PaymentInformation        *PaymentInformation         `json:"paymentInformation,omitempty"`
	ReplyChannel              *ReplyChannel               `json:"replyChannel,omitempty"`
	AdditionalReferenceInfo   *AdditionalReferenceInfo    `json:"additionalReferenceInfo,omitempty"`
}

// ContentStructure describes the data and attachments.
type ContentStructure struct {
	Data        *DataInfo        `json:"data,omitempty"`
	Attachments []AttachmentInfo `json:"attachments"` // required; may be empty
}

// DataInfo describes the submission data (Fachdaten).
type DataInfo struct {
	Hash             Hash             `json:"hash"`
	SubmissionSchema SubmissionSchema `json:"submissionSchema"`
	Signature        *Signature       `json:"signature,omitempty"`
}

// Hash is {type: "sha512", content: lower-case hex}.
type Hash struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

// SHA512Hash returns the Hash of b.
func SHA512Hash(b []byte) Hash { return Hash{Type: "sha512", Content: SHA512Hex(b)} }

// SubmissionSchema names the data schema: schemaUri and mimeType
// (application/json or application/xml).
type SubmissionSchema struct {
	SchemaURI string `json:"schemaUri"`
	MimeType  string `json:"mimeType"`
}

// Signature describes a signature of data or an attachment.
type Signature struct {
	SignatureFormat   string `json:"signatureFormat"` // cms, xml, pdf, asic, json
	EidasAdesProfile  string `json:"eidasAdesProfile,omitempty"`
	DetachedSignature bool   `json:"detachedSignature"`
	Content           string `json:"content,omitempty"`
}

// AttachmentInfo describes one attachment.
type AttachmentInfo struct {
	AttachmentID string     `json:"attachmentId"` // UUID
	Hash         Hash       `json:"hash"`
	Purpose      string     `json:"purpose"` // form, attachment or report
	Filename     string     `json:"filename,omitempty"`
	MimeType     string     `json:"mimeType"`
	Description  string     `json:"description,omitempty"`
	Signature    *Signature `json:"signature,omitempty"`
}

// PublicServiceType names the Verwaltungsleistung; Identifier is a URN such
// as LeikaURN returns.
type PublicServiceType struct {
	Identifier  string `json:"identifier"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// AuthenticationInformation is one identification report.
type AuthenticationInformation struct {
	Type    string `json:"type"` // identificationReport
	Version string `json:"version"`
	Content string `json:"content"`
}

// IdentificationReportVersion is the version of antrag's identification
// report in AuthenticationInformation.
const IdentificationReportVersion = "1.0.0"

// AuthenticationInfo returns the authenticationInformation of a submission
// with identity evidence, nil without: one identificationReport whose
// content is the evidence (identity.Evidence as JSON: provider, issuer,
// method, raw and mapped level, assertion id, authentication and
// declaration time, SHA-256 of the data, proved and typed paths; no
// personal data), base64url-encoded without padding as the schema's
// pattern demands. The identity provider's assertion itself is not passed
// on; the assertion id names it in the provider's records.
func AuthenticationInfo(ev *identity.Evidence) ([]AuthenticationInformation, error) {
	if ev == nil {
		return nil, nil
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return []AuthenticationInformation{{Type: "identificationReport", Version: IdentificationReportVersion,
		Content: base64.RawURLEncoding.EncodeToString(b)}}, nil
}

// PaymentInformation is the payment service's report (metadata schema
// 1.0.0 paymentInformation; standards.md §1 "Metadata schema", §9
// "ePayment").
type PaymentInformation struct {
	// TransactionURL is the REST URL of the payment transaction (an
	// absolute URI).
	TransactionURL string `json:"transactionUrl,omitempty"`
	// TransactionID is the provider's transaction id: 1 to 36 of
	// [A-Za-z0-9_-] (required).
	TransactionID string `json:"transactionId"`
	// TransactionReference is the Kassenzeichen (required).
	TransactionReference string `json:"transactionReference"`
	// TransactionTimestamp is when the payment was made, RFC 3339.
	TransactionTimestamp string `json:"transactionTimestamp,omitempty"`
	// PaymentMethod is one of GIROPAY, PAYDIRECT, CREDITCARD, PAYPAL,
	// INVOICE, OTHER (required).
	PaymentMethod string `json:"paymentMethod"`
	// PaymentMethodDetail details the method: 1 to 36 of [A-Za-z0-9_-].
	PaymentMethodDetail string `json:"paymentMethodDetail,omitempty"`
	// Status is one of INITIAL, BOOKED, FAILED, CANCELED (required).
	Status string `json:"status"`
	// GrossAmount is the gross amount in euros, a JSON number with two
	// decimals ("60.00"), at least 0.01.
	GrossAmount json.Number `json:"grossAmount,omitempty"`
}

// StatusBooked is paymentInformation.status of a paid transaction:
// FIT-Connect says BOOKED where XBezahldienste says PAYED (standards.md
// §9 "ePayment").
const StatusBooked = "BOOKED"

// paymentDetailRE is the schema's pattern of transactionId and
// paymentMethodDetail (1 to 36 characters). In JSON Schema (ECMA-262) and
// in Go, \w is [A-Za-z0-9_].
var paymentDetailRE = regexp.MustCompile(`^[\w-]{1,36}$`)

// ErrPayment is wrapped by PaymentInfo's error for a paid attempt that
// cannot be described in the metadata.
var ErrPayment = errors.New("FIT-Connect: Zahlungsinformation nicht darstellbar")

// PaymentInfo returns the paymentInformation of an application with the
// payment state st whose fee was paid by the attempt paid; nil for any
// other application (no fee, fee deferred or waived, not paid), so that
// the metadata then carry none. Fields, from the attempt:
//   - transactionId, transactionReference (the Kassenzeichen),
//     transactionUrl (left out unless an absolute http(s) URL);
//   - transactionTimestamp: PaidAt in UTC, RFC 3339 (left out if unknown);
//   - paymentMethod: the XBezahldienste method where FIT-Connect has it,
//     OTHER for any other or none;
//   - paymentMethodDetail: only if it matches the schema's pattern (1 to
//     36 of [A-Za-z0-9_-]), else left out ("Testkarte (Sandbox)" is);
//   - status StatusBooked;
//   - grossAmount: Amount in euros with two decimals (left out for 0).
//
// A transactionId the schema refuses is an error wrapping ErrPayment
// (the XBezahldienste client refuses such ids already).
func PaymentInfo(st payment.State, paid *payment.Attempt) (*PaymentInformation, error) {
	if st != payment.Paid || paid == nil || paid.Status != payment.Payed {
		return nil, nil
	}
	if !paymentDetailRE.MatchString(paid.TransactionID) {
		return nil, fmt.Errorf("%w: die Transaktions-ID des Bezahldienstes hat nicht das verlangte Format (1 bis 36 Zeichen A–Z, a–z, 0–9, _ und -)", ErrPayment)
	}
	pi := &PaymentInformation{
		TransactionID:        paid.TransactionID,
		TransactionReference: paid.TransactionReference,
		PaymentMethod:        string(payment.Other),
		Status:               StatusBooked,
	}
	if u, err := url.Parse(paid.TransactionURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		pi.TransactionURL = paid.TransactionURL
	}
	if !paid.PaidAt.IsZero() {
		pi.TransactionTimestamp = paid.PaidAt.UTC().Format(time.RFC3339)
	}
	switch paid.Method {
	case payment.Giropay, payment.Paydirect, payment.Creditcard, payment.Paypal, payment.Invoice, payment.Other:
		pi.PaymentMethod = string(paid.Method)
	}
	if paymentDetailRE.MatchString(paid.MethodDetail) {
		pi.PaymentMethodDetail = paid.MethodDetail
	}
	if paid.Amount > 0 {
		pi.GrossAmount = json.Number(fmt.Sprintf("%d.%02d", paid.Amount/100, paid.Amount%100))
	}
	return pi, nil
}

// ReplyChannel holds exactly one way to reply to the applicant.
type ReplyChannel struct {
	EMail  *EMailChannel  `json:"eMail,omitempty"`
	DeMail *DeMailChannel `json:"deMail,omitempty"`
	Fink   *FinkChannel   `json:"fink,omitempty"`
	Elster *ElsterChannel `json:"elster,omitempty"`
}

// EMailChannel is a reply by e-mail.
type EMailChannel struct {
	Address      string `json:"address"`
	PGPPublicKey string `json:"pgpPublicKey,omitempty"`
}

// DeMailChannel is a reply by De-Mail.
type DeMailChannel struct {
	Address string `json:"address"`
}

// FinkChannel is a reply to a FINK Postfach.
type FinkChannel struct {
	FinkPostfachRef string `json:"finkPostfachRef"`
	Host            string `json:"host,omitempty"`
}

// ElsterChannel is a reply through ELSTER.
type ElsterChannel struct {
	AccountID         string `json:"accountId"`
	LieferTicket      string `json:"lieferTicket,omitempty"`
	Geschaeftszeichen string `json:"geschaeftszeichen,omitempty"`
}

// AdditionalReferenceInfo carries the sender's reference and the date of
// the application (YYYY-MM-DD).
type AdditionalReferenceInfo struct {
	SenderReference string `json:"senderReference,omitempty"`
	ApplicationDate string `json:"applicationDate,omitempty"`
}

// ErrMetadata is wrapped by ValidateMetadata errors.
var ErrMetadata = errors.New("FIT-Connect-Metadaten ungültig")

// ErrSchema is wrapped by ValidateJSON errors.
var ErrSchema = errors.New("Daten entsprechen nicht dem Schema")

var metadataSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compileSchema(MetadataSchemaURI, metadataSchemaJSON)
})

func compileSchema(url string, schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("JSON Schema ist kein JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("JSON Schema: %w", err)
	}
	return c.Compile(url)
}

// ErrMetadataVersion is wrapped (with ErrMetadata) by ValidateMetadata
// errors for metadata whose "$schema" names a metadata schema other than
// the ones antrag knows (SupportedMetadataSchemas).
var ErrMetadataVersion = errors.New("FIT-Connect-Metadatenschema nicht unterstützt")

// SupportedMetadataSchemas lists the $id of every FIT-Connect metadata
// schema antrag checks against: only 1.0.0. Later versions (1.1.0, 1.1.1,
// 1.2.0, 1.3.0, 2.x; standards.md §1 "Metadata schema", §9) exist, but no
// copy of their schema files with a known licence was found, so metadata
// naming them is refused rather than checked against 1.0.0.
var SupportedMetadataSchemas = []string{MetadataSchemaURI}

// ValidateMetadata checks raw against the embedded FIT-Connect metadata
// schema 1.0.0 (draft 2020-12, formats asserted). Metadata without
// "$schema" is checked against 1.0.0; metadata whose "$schema" is not in
// SupportedMetadataSchemas is refused with an error wrapping
// ErrMetadataVersion and naming the schema. The German error wraps
// ErrMetadata and names the failing JSON pointer(s); it never quotes values.
func ValidateMetadata(raw []byte) error {
	var head struct {
		Schema json.RawMessage `json:"$schema"`
	}
	if json.Unmarshal(raw, &head) == nil && head.Schema != nil {
		var uri string
		if json.Unmarshal(head.Schema, &uri) != nil {
			return fmt.Errorf("%w: %w: $schema ist keine Zeichenkette", ErrMetadata, ErrMetadataVersion)
		}
		if !slices.Contains(SupportedMetadataSchemas, uri) {
			if len(uri) > 200 {
				uri = uri[:200] + "…"
			}
			return fmt.Errorf("%w: %w: die Metadaten verlangen das Schema %q; dieser Zustellpunkt prüft nur Metadaten nach Version 1.0.0 (%s)",
				ErrMetadata, ErrMetadataVersion, strings.ToValidUTF8(uri, "?"), MetadataSchemaURI)
		}
	}
	sch, err := metadataSchema()
	if err != nil {
		return fmt.Errorf("%w: Schema nicht ladbar: %v", ErrMetadata, err)
	}
	return validateWith(sch, raw, ErrMetadata)
}

// ValidateJSON checks the JSON document raw against the JSON Schema schema
// (e.g. a form's schema). The German error wraps ErrSchema and names the
// failing JSON pointer(s) without quoting values, so that it can be shown
// and logged without personal data. A schema that does not compile is an
// error too.
func ValidateJSON(schema, raw []byte) error {
	sch, err := compileSchema("mem:///antrag/form.schema.json", schema)
	if err != nil {
		return fmt.Errorf("%w: Schema nicht ladbar: %v", ErrSchema, err)
	}
	return validateWith(sch, raw, ErrSchema)
}

func validateWith(sch *jsonschema.Schema, raw []byte, sentinel error) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%w: kein gültiges JSON", sentinel)
	}
	err = sch.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%w: %v", sentinel, err)
	}
	var msgs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			msgs = append(msgs, germanSchemaError(e))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.Sort(msgs)
	msgs = slices.Compact(msgs)
	if len(msgs) > 5 {
		msgs = append(msgs[:5], fmt.Sprintf("und %d weitere", len(msgs)-5))
	}
	return fmt.Errorf("%w: %s", sentinel, strings.Join(msgs, "; "))
}

func jsonPointer(loc []string) string {
	if len(loc) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, s := range loc {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(s))
	}
	return b.String()
}

// germanSchemaError phrases one leaf error in German with its JSON pointer.
// Values from the document are never included.
func germanSchemaError(e *jsonschema.ValidationError) string {
	ptr := jsonPointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		var ps []string
		for _, m := range k.Missing {
			ps = append(ps, jsonPointer(append(slices.Clone(e.InstanceLocation), m)))
		}
		return "Pflichtangabe fehlt: " + strings.Join(ps, ", ")
	case *kind.Type:
		return fmt.Sprintf("%s: falscher Typ %s, erwartet %s", ptr, k.Got, strings.Join(k.Want, " oder "))
	case *kind.Enum, *kind.Const:
		return ptr + ": Wert ist nicht erlaubt"
	case *kind.Pattern:
		return ptr + ": Wert hat nicht das verlangte Format (Muster)"
	case *kind.Format:
		return fmt.Sprintf("%s: kein gültiges Format %s", ptr, k.Want)
	case *kind.MinLength:
		return ptr + ": Wert ist zu kurz"
	case *kind.MaxLength:
		return ptr + ": Wert ist zu lang"
	case *kind.MinItems:
		return ptr + ": zu wenige Einträge"
	case *kind.MaxItems:
		return ptr + ": zu viele Einträge"
	case *kind.MinProperties:
		return ptr + ": zu wenige Angaben"
	case *kind.MaxProperties:
		return ptr + ": zu viele Angaben"
	case *kind.AdditionalProperties:
		return fmt.Sprintf("%s: nicht vorgesehene Angaben %s", ptr, strings.Join(k.Properties, ", "))
	case *kind.Minimum, *kind.ExclusiveMinimum:
		return ptr + ": Wert ist zu klein"
	case *kind.Maximum, *kind.ExclusiveMaximum:
		return ptr + ": Wert ist zu groß"
	case *kind.MultipleOf:
		return ptr + ": Wert hat zu viele Nachkommastellen"
	case *kind.FalseSchema:
		return ptr + ": Angabe ist nicht erlaubt"
	}
	kw := "Schema"
	if e.ErrorKind != nil {
		if p := e.ErrorKind.KeywordPath(); len(p) > 0 {
			kw = p[len(p)-1]
		}
	}
	return fmt.Sprintf("%s: verletzt die Regel %s", ptr, kw)
}

// SHA512Hex returns the lower-case hex SHA-512 of b (128 characters), the
// hash FIT-Connect metadata uses for data and attachments.
func SHA512Hex(b []byte) string {
	s := sha512.Sum512(b)
	return hex.EncodeToString(s[:])
}

// LeikaURNPrefix prefixes a LeiKa key in publicServiceType.identifier and in
// the serviceType/publicService identifier (standards.md §1 "Sender flow").
const LeikaURNPrefix = "urn:de:fim:leika:leistung:"

var leikaRE = regexp.MustCompile(`^[0-9]{14}$`)

// LeikaURN returns "urn:de:fim:leika:leistung:<key>" for a 14-digit
// Leistungsschlüssel, and "" for anything else.
func LeikaURN(key string) string {
	key = strings.TrimSpace(key)
	if !leikaRE.MatchString(key) {
		return ""
	}
	return LeikaURNPrefix + key
}

// LeikaKey returns the 14-digit key of a LeiKa URN, or "" if urn is not one.
func LeikaKey(urn string) string {
	k, ok := strings.CutPrefix(urn, LeikaURNPrefix)
	if !ok || !leikaRE.MatchString(k) {
		return ""
	}
	return k
}
