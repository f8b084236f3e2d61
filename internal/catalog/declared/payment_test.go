package declared_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/catalog/declared"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/store/storetest"
)

const withPayment = `version: 1
tenants:
  - slug: erfurt
    name: Stadt Erfurt
    kind: gemeinde
    authorities:
      - name: Bürgeramt Erfurt
        payment:
          kind: epaybl
          base_url: https://epayment-stage.dataport.de/konnektor/epayment/
          originator_id: "99106002012000"
          endpoint_id: "160510000000"
          certificate: {file: /etc/antrag/kasse.p12}
          certificate_password: {env: KASSE_P12_PASSWORD}
          root_cas: payment/stage-ca.pem
          booking_data:
            grund: {Haushaltsstelle: "1.1100.100000", Objektnummer: "4711"}
        fees:
          - service: parken
            policy: optional
            purpose: "Erfurt {vorgangsnummer}"
            items:
              - id: grund
                description: Grundgebühr Erfurt
                amount: "25"
          - service: gotha/hund
            policy: mandatory
            purpose: Hundemarke
            items:
              - id: marke
                description: Hundemarke
                amount: "7.35"
    services:
      - slug: parken
        name: Anwohnerparkausweis
        fee: Die Gebühr beträgt 30 Euro je Fahrzeug.
        payment_fee:
          policy: mandatory
          purpose: "Parken {vorgangsnummer}"
          description: Anwohnerparkausweis
          items:
            - id: grund
              description: Grundgebühr
              amount: "12.50"
              booking_data: {Haushaltsstelle: "1.1100.200000"}
            - id: fahrzeug
              description: je Fahrzeug
              amount_rule: {"if": [{"==": [{"var": "G1.F_art"}, "001"]}, "30.00", 15]}
              quantity_rule: {"var": "G1.F_anzahl"}
  - slug: gotha
    name: Landkreis Gotha
    kind: landkreis
    authorities:
      - name: Landratsamt Gotha
        payment:
          kind: pmpayment
          base_url: https://payment-test.govconnect.de/
          originator_id: gotha
          endpoint_id: "16067"
          token_url: https://payment-test.govconnect.de/oauth/token/
          client_id: antrag-gotha
          client_secret: {env: GOTHA_CLIENT_SECRET}
    services:
      - slug: hund
        name: Hundesteuer
        shared: true
`

var (
	p12           = []byte{0x30, 0x82, 0x0a, 0x00, 0x02, 0x01, 0x03, 0x20, 0x0a} // binary, with spaces and newlines that must stay
	stageCA       = []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	paymentSecret = map[string]string{"KASSE_P12_PASSWORD": "p12-geheim", "GOTHA_CLIENT_SECRET": "oauth-geheim"}
)

func paymentFiles() declared.Files {
	return declared.Files{
		FS:     fstest.MapFS{"payment/stage-ca.pem": {Data: stageCA}},
		Getenv: func(k string) string { return paymentSecret[k] },
		SecretFile: func(name string) ([]byte, error) {
			if name == "/etc/antrag/kasse.p12" {
				return p12, nil
			}
			return nil, errors.New("no such file")
		},
	}
}

// TestPaymentCatalogue: a service's fee, an authority's provider account
// with secrets by reference, its booking data and own fees (for its own
// service and another tenant's shared one) are applied, planned as
// nothing the second time, exported with the secrets as variables, and
// the export reproduces them in an empty database.
func TestPaymentCatalogue(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Open(t, d.NewDSN(t))
			apply(t, st, []byte(withPayment), paymentFiles())

			erfurt, _ := st.TenantBySlug(ctx, "erfurt")
			gotha, _ := st.TenantBySlug(ctx, "gotha")
			parken, err := st.ServiceBySlug(ctx, erfurt.ID, "parken")
			if err != nil {
				t.Fatal(err)
			}
			hund, _ := st.ServiceBySlug(ctx, gotha.ID, "hund")
			if parken.Fee == nil || parken.Fee.Policy != payment.Mandatory || len(parken.Fee.Items) != 2 ||
				parken.Fee.Items[0].Amount != 1250 || parken.FeeText == "" {
				t.Fatalf("service fee %+v", parken.Fee)
			}
			bill, err := parken.Fee.Compute(map[string]any{"G1": map[string]any{"F_art": "001", "F_anzahl": 2.0}}, "K7QM-2X9D-RTA4", nil)
			if err != nil || bill.Total != 1250+2*3000 {
				t.Errorf("bill of the applied fee: %+v, %v", bill, err)
			}
			auths, _ := st.ListAuthorities(ctx, erfurt.ID)
			acc, err := st.PaymentAccount(ctx, erfurt.ID, auths[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if acc.Kind != payment.EPayBL || !reflect.DeepEqual(acc.Certificate, p12) || acc.CertificatePassword != "p12-geheim" ||
				string(acc.RootCAs) != string(stageCA) || acc.BookingData["grund"]["Objektnummer"] != "4711" {
				t.Errorf("account %+v", acc)
			}
			fees, err := st.AuthorityFees(ctx, erfurt.ID, auths[0].ID)
			if err != nil || len(fees) != 2 || fees[parken.ID].Items[0].Amount != 2500 || fees[hund.ID].Items[0].Amount != 735 {
				t.Errorf("authority fees %+v, %v", fees, err)
			}
			audit, _ := st.AuditEvents(ctx, erfurt.ID, 0)
			for _, ev := range audit {
				if strings.Contains(ev.Detail, "geheim") {
					t.Errorf("audit detail reveals a secret: %q", ev.Detail)
				}
			}
			if p := plan(t, st, []byte(withPayment), paymentFiles()); !p.Empty() {
				t.Errorf("second plan: %v", p.Steps)
			}

			// A change of the secret and of one fee is planned, nothing else.
			paymentSecret["KASSE_P12_PASSWORD"] = "p12-neu"
			defer func() { paymentSecret["KASSE_P12_PASSWORD"] = "p12-geheim" }()
			changed := strings.Replace(withPayment, `amount: "7.35"`, `amount: "8"`, 1)
			p := plan(t, st, []byte(changed), paymentFiles())
			var lines []string
			for _, s := range p.Steps {
				lines = append(lines, s.String())
			}
			if len(lines) != 2 || !strings.Contains(lines[0], "Bezahldienst Bürgeramt Erfurt geändert") ||
				!strings.Contains(lines[1], "Gebühr Bürgeramt Erfurt / gotha/hund geändert") || strings.Contains(strings.Join(lines, ""), "p12-neu") {
				t.Errorf("plan of the change:\n%s", strings.Join(lines, "\n"))
			}
			paymentSecret["KASSE_P12_PASSWORD"] = "p12-geheim"

			// Export and apply to an empty database.
			x, err := declared.Export(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := x.Document.YAML()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(doc), "geheim") {
				t.Errorf("the export holds a secret:\n%s", doc)
			}
			env := map[string]string{}
			for _, s := range x.Secrets {
				env[s.Name] = s.Value
			}
			fsys := fstest.MapFS{}
			for _, f := range x.Files {
				fsys[f.Path] = &fstest.MapFile{Data: f.Data}
			}
			files := declared.Files{FS: fsys, Getenv: func(k string) string { return env[k] }}
			fresh := storetest.Open(t, d.NewDSN(t))
			apply(t, fresh, doc, files)
			if p := plan(t, fresh, doc, files); !p.Empty() {
				t.Errorf("export applied again plans %v", p.Steps)
			}
			erfurt2, _ := fresh.TenantBySlug(ctx, "erfurt")
			acc2, err := fresh.PaymentAccount(ctx, erfurt2.ID, auths[0].ID)
			if err != nil || !reflect.DeepEqual(acc2, acc) {
				t.Errorf("exported account %+v, %v; want %+v", acc2, err, acc)
			}
			fees2, err := fresh.AuthorityFees(ctx, erfurt2.ID, auths[0].ID)
			parken2, _ := fresh.ServiceBySlug(ctx, erfurt2.ID, "parken")
			gotha2, _ := fresh.TenantBySlug(ctx, "gotha")
			hund2, _ := fresh.ServiceBySlug(ctx, gotha2.ID, "hund")
			if err != nil || len(fees2) != 2 || !reflect.DeepEqual(fees2[parken2.ID], fees[parken.ID]) || !reflect.DeepEqual(fees2[hund2.ID], fees[hund.ID]) {
				t.Errorf("exported fees %+v, %v; want %+v", fees2, err, fees)
			}
			if !reflect.DeepEqual(parken2.Fee, parken.Fee) {
				t.Errorf("exported service fee %+v, want %+v", parken2.Fee, parken.Fee)
			}
		})
	}
}

// TestPaymentCatalogueErrors: a fee or account that does not validate,
// and an inline secret, are refused with their place.
func TestPaymentCatalogueErrors(t *testing.T) {
	st := storetest.Open(t, storetest.Dialects()[0].NewDSN(t))
	for _, tc := range []struct{ name, from, to, want string }{
		{"purpose too long", `purpose: "Parken {vorgangsnummer}"`, `purpose: "Anwohnerparken {vorgangsnummer}"`,
			"/tenants/0/services/0/payment_fee"},
		{"bad amount", `amount: "12.50"`, `amount: "12.505"`, "/tenants/0/services/0/payment_fee/items/0/amount"},
		{"bad rule", `quantity_rule: {"var": "G1.F_anzahl"}`, `quantity_rule: {"zählen": 1}`, "/tenants/0/services/0/payment_fee/items/1"},
		{"amount and rule", `              amount_rule:`, `              amount: "1"
              amount_rule:`, "/tenants/0/services/0/payment_fee/items/1"},
		{"unknown service", `service: gotha/hund`, `service: gotha/katze`, "/tenants/0/authorities/0/fees/1/service"},
		{"inline secret", `client_secret: {env: GOTHA_CLIENT_SECRET}`, `client_secret: klartext`, "/tenants/1/authorities/0/payment/client_secret"},
		{"missing env", `{env: GOTHA_CLIENT_SECRET}`, `{env: NICHT_GESETZT}`, "/tenants/1/authorities/0/payment/client_secret"},
		{"base url", `base_url: https://payment-test.govconnect.de/`, `base_url: payment-test`, "/tenants/1/authorities/0/payment"},
		{"booking data id", `grund: {Haushaltsstelle`, `"gr und": {Haushaltsstelle`, "/tenants/0/authorities/0/payment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(withPayment, tc.from, tc.to, 1)
			if doc == withPayment {
				t.Fatalf("%q not in the document", tc.from)
			}
			d, err := declared.Decode([]byte(doc))
			if err == nil {
				_, err = declared.Compute(context.Background(), st, catalogue(t), d, paymentFiles())
			}
			if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tc.want+" ") && !strings.Contains(err.Error(), tc.want+":") {
				t.Errorf("err = %v; want apperr.Invalid at %s", err, tc.want)
			}
		})
	}
}
