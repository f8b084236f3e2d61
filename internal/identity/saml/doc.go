// Package saml is antrag's SAML 2.0 service provider (saml-core-2.0-os,
// saml-bindings-2.0-os HTTP-POST, saml-profiles-2.0-os Web Browser SSO
// and Single Logout)
// for BundID, BayernID, the Länder Servicekonten and Mein
// Unternehmenskonto (standards.md §4, §9 "Identity"). It produces an
// identity.Identity.
//
// It is built on github.com/crewjam/saml, which does the parsing,
// signature checking (through github.com/russellhaering/goxmldsig, here in
// a copy with RSA-PSS, third_party/goxmldsig), decryption and the
// protocol checks; this package adds what is particular to the German
// identity providers: profiles as data (profile.go; levels, methods,
// attribute OIDs, endpoints), the akdb:AuthenticationRequest extension in
// a configurable form (extension.go), AuthnRequests signed with RSA-PSS,
// one SP per tenant, host and profile, a replay cache in the database
// shared by all processes, and single logout (logout.go: LogoutRequests
// and LogoutResponses signed like the AuthnRequests).
package saml
