// Package fitconnect is antrag's FIT-Connect client: sender and subscriber,
// JWE/SET/key helpers.
//
// FIT-Connect (FITKO) carries applications end-to-end encrypted from an
// online service (sender) to the Fachverfahren behind a destination
// (Zustellpunkt, subscriber). The facts this package relies on (paths,
// algorithms, key rules, event URIs, callback HMAC) are collected with their
// sources in standards.md §1 (FIT-Connect); each docstring names the part it
// follows.
//
// Cryptography is never implemented here: JWE, JWS and JWK handling is
// go-jose v4 with the allowed algorithms passed explicitly, certificate
// chains are checked with crypto/x509, the callback MAC is crypto/hmac with
// crypto/sha512, and OAuth2 client credentials come from
// golang.org/x/oauth2/clientcredentials. The destinationSignature of a
// Routing API answer (routing.go) is verified with lestrrat-go/jwx v3,
// PS512 only.
//
// Error texts are German, because staff read them; they never contain
// personal data (no application data, no file names).
package fitconnect
