package saml

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// AKDBNamespace is the namespace of the akdb:AuthenticationRequest
// extension (standards.md §4), ClassicUINamespace that of its display
// information.
const (
	AKDBNamespace      = "https://www.akdb.de/request/2018/09"
	ClassicUINamespace = "https://www.akdb.de/request/2018/09/classic-ui/v1"
)

// ExtensionData is what a request extension template is executed with.
type ExtensionData struct {
	// RequestedAttributes: Name is the OID, Required as configured.
	RequestedAttributes []struct {
		Name     string
		Required bool
	}
	AllowedMethods  []string // e.g. eID, eIDAS, Benutzername, FINK
	DisplayName     string   // OrganizationDisplayName: the tenant's name
	OnlineServiceID string   // the id assigned at registration ("BMI-ID")
	BackURL         string   // where "back" at the IdP leads
	Lang            string   // "de"
	Bundesland      string   // for the Berechtigungszertifikat element
}

// extensionForms are the built-in extension forms. Which one an IdP
// expects today is not documented publicly, so each profile names its form
// and an operator can give a template of their own. Both declare their
// namespaces on their own root, as exclusive canonicalisation needs.
var extensionForms = map[string]string{
	// The form of standards.md §4 with the §9 correction
	// (OnlineServiceId): AllowedMethods, RequestedAttributes,
	// DisplayInformation/classic-ui:Version, Berechtigungszertifikat.
	"akdb-classic-ui": `<akdb:AuthenticationRequest xmlns:akdb="` + AKDBNamespace + `" xmlns:classic-ui="` + ClassicUINamespace + `" Version="2">` +
		`{{with .AllowedMethods}}<akdb:AllowedMethods>{{range .}}<akdb:AuthnMethod>{{xml .}}</akdb:AuthnMethod>{{end}}</akdb:AllowedMethods>{{end}}` +
		`<akdb:RequestedAttributes>{{range .RequestedAttributes}}<akdb:RequestedAttribute Name="{{xml .Name}}" RequiredAttribute="{{.Required}}"/>{{end}}</akdb:RequestedAttributes>` +
		`<akdb:DisplayInformation><classic-ui:Version>` +
		`<classic-ui:OrganizationDisplayName>{{xml .DisplayName}}</classic-ui:OrganizationDisplayName>` +
		`{{with .OnlineServiceID}}<classic-ui:OnlineServiceId>{{xml .}}</classic-ui:OnlineServiceId>{{end}}` +
		`<classic-ui:Lang>{{xml .Lang}}</classic-ui:Lang>` +
		`<classic-ui:BackURL>{{xml .BackURL}}</classic-ui:BackURL>` +
		`</classic-ui:Version></akdb:DisplayInformation>` +
		`{{with .Bundesland}}<akdb:Berechtigungszertifikat Bundesland="{{xml .}}"/>{{end}}` +
		`</akdb:AuthenticationRequest>`,
	// The form a DigitalService BundID client sends (standards.md §9):
	// akdb:AuthnMethods/akdb:<method>/akdb:Enabled and
	// EnableStatusDetail.
	"akdb-authnmethods": `<akdb:AuthenticationRequest xmlns:akdb="` + AKDBNamespace + `" xmlns:classic-ui="` + ClassicUINamespace + `" Version="2" EnableStatusDetail="true">` +
		`<akdb:AuthnMethods>{{range .AllowedMethods}}<akdb:{{xmlname .}}><akdb:Enabled>true</akdb:Enabled></akdb:{{xmlname .}}>{{end}}</akdb:AuthnMethods>` +
		`<akdb:RequestedAttributes>{{range .RequestedAttributes}}<akdb:RequestedAttribute Name="{{xml .Name}}" RequiredAttribute="{{.Required}}"/>{{end}}</akdb:RequestedAttributes>` +
		`<akdb:DisplayInformation><classic-ui:Version>` +
		`<classic-ui:OrganizationDisplayName>{{xml .DisplayName}}</classic-ui:OrganizationDisplayName>` +
		`{{with .OnlineServiceID}}<classic-ui:OnlineServiceId>{{xml .}}</classic-ui:OnlineServiceId>{{end}}` +
		`<classic-ui:Lang>{{xml .Lang}}</classic-ui:Lang>` +
		`<classic-ui:BackURL>{{xml .BackURL}}</classic-ui:BackURL>` +
		`</classic-ui:Version></akdb:DisplayInformation>` +
		`</akdb:AuthenticationRequest>`,
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// xmlName returns s if it is a plain XML name (letters, digits, "-",
// "_", "."; no colon), else an error that fails the template.
func xmlName(s string) (string, error) {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) >= 0 || (s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '.' {
		return "", fmt.Errorf("%q ist kein XML-Name", s)
	}
	return s, nil
}

// extension returns the samlp:Extensions element for d, or nil when the
// profile has no extension.
func (p *Profile) extension(d ExtensionData) (*etree.Element, error) {
	if p.ext == nil {
		return nil, nil
	}
	if d.Lang == "" {
		d.Lang = "de"
	}
	var b bytes.Buffer
	b.WriteString(`<samlp:Extensions xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">`)
	if err := p.ext.Execute(&b, d); err != nil {
		return nil, err
	}
	b.WriteString(`</samlp:Extensions>`)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b.Bytes()); err != nil {
		return nil, fmt.Errorf("die Erweiterung ist kein wohlgeformtes XML: %w", err)
	}
	return doc.Root(), nil
}

// extensionData fills ExtensionData from the profile for a tenant.
func (p *Profile) extensionData(tenantSlug, displayName, backURL string) ExtensionData {
	d := ExtensionData{AllowedMethods: p.AllowedMethods, DisplayName: displayName, BackURL: backURL,
		OnlineServiceID: p.OnlineServiceID, Bundesland: p.Bundesland, Lang: "de"}
	if id := p.OnlineServiceIDs[tenantSlug]; id != "" {
		d.OnlineServiceID = id
	}
	for _, ra := range p.RequestedAttributes {
		d.RequestedAttributes = append(d.RequestedAttributes, struct {
			Name     string
			Required bool
		}{p.oid(ra.Attr), ra.Required})
	}
	return d
}
