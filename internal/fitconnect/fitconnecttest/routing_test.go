package fitconnecttest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

const routeLeikaKey = "99123456760610"

func getRoutes(t *testing.T, base, query string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(base + RoutingAPIPath + "/routes?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestRoutesQuery(t *testing.T) {
	d, srv := NewServer(t, Options{})
	for i, ars := range [][]string{{"06"}, {"06435"}, {"09162"}} {
		r := Route{LeikaKey: routeLeikaKey, ARS: ars, DestinationID: []string{testDestID, "0c438057-ec3e-4ce0-b154-1683b5d3c2e8", "ac715f34-333e-41f4-9bb5-186b309ea233"}[i], Name: "Amt"}
		if err := d.AddRoute(r); err != nil {
			t.Fatal(err)
		}
	}
	status, body := getRoutes(t, srv.URL, "leikaKey="+routeLeikaKey+"&ars=064350014014")
	if status != http.StatusOK || body["totalCount"] != 2.0 || body["count"] != 2.0 {
		t.Fatalf("status %d, body %v", status, body)
	}
	routes := body["routes"].([]any)
	first := routes[0].(map[string]any)
	if first["destinationId"] != testDestID || first["destinationName"] != "Amt" || first["origin"] != "fitconnecttest" {
		t.Errorf("first route %v", first)
	}
	if _, ok := first["imprintUrl"]; ok {
		t.Errorf("empty imprintUrl served: %v", first)
	}
	// The signature's header and payload have the portal's shape.
	parts := strings.Split(first["destinationSignature"].(string), ".")
	if len(parts) != 3 {
		t.Fatalf("signature %q", first["destinationSignature"])
	}
	var head, payload map[string]any
	for i, v := range []*map[string]any{&head, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(raw, v) != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
	if head["alg"] != "PS512" || head["typ"] != "jwt" || head["kid"] == "" {
		t.Errorf("header %v", head)
	}
	services := payload["services"].([]any)[0].(map[string]any)
	if payload["destinationId"] != testDestID || payload["iss"] != d.PortalIssuer() ||
		services["gebietIDs"].([]any)[0] != arsURN+"06" || services["leistungIDs"].([]any)[0] != leikaURN+routeLeikaKey {
		t.Errorf("payload %v", payload)
	}

	// Paging.
	_, body = getRoutes(t, srv.URL, "leikaKey="+routeLeikaKey+"&ars=064350014014&offset=1&limit=1")
	if body["count"] != 1.0 || body["totalCount"] != 2.0 || body["offset"] != 1.0 {
		t.Errorf("page: %v", body)
	}
	// Nothing for another service.
	_, body = getRoutes(t, srv.URL, "leikaKey=99000000000000&ars=06")
	if body["count"] != 0.0 || len(body["routes"].([]any)) != 0 {
		t.Errorf("other service: %v", body)
	}
	for _, q := range []string{"ars=06", "leikaKey=12&ars=06", "leikaKey=" + routeLeikaKey, "leikaKey=" + routeLeikaKey + "&ars=0643",
		"leikaKey=" + routeLeikaKey + "&ags=06435", "leikaKey=" + routeLeikaKey + "&ars=06&limit=501", "leikaKey=" + routeLeikaKey + "&ars=06&offset=-1"} {
		if status, _ := getRoutes(t, srv.URL, q); status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, status)
		}
	}
}

func TestPortalJWKS(t *testing.T) {
	d, srv := NewServer(t, Options{})
	resp, err := http.Get(srv.URL + PortalPath + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("%v %v", err, set)
	}
	k := set.Keys[0]
	if k["kty"] != "RSA" || k["alg"] != "PS512" || k["e"] != "AQAB" || len(k["n"].(string)) < 683 ||
		len(k["x5c"].([]any)) != 1 || k["key_ops"].([]any)[0] != "verify" {
		t.Errorf("portal key %v", k)
	}
	if d.PortalJWKSURL() != srv.URL+PortalPath+"/.well-known/jwks.json" || d.RoutingAPIURL() != srv.URL+RoutingAPIPath {
		t.Errorf("URLs %s %s", d.PortalJWKSURL(), d.RoutingAPIURL())
	}
}

func TestAddRouteInvalid(t *testing.T) {
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, r := range []Route{
		{LeikaKey: "12", ARS: []string{"06"}, DestinationID: testDestID},
		{LeikaKey: routeLeikaKey, DestinationID: testDestID},
		{LeikaKey: routeLeikaKey, ARS: []string{"0643"}, DestinationID: testDestID},
		{LeikaKey: routeLeikaKey, ARS: []string{"06"}, DestinationID: "nope"},
	} {
		if err := d.AddRoute(r); !errors.Is(err, ErrInvalidRoute) {
			t.Errorf("AddRoute(%+v): err = %v", r, err)
		}
	}
}
