// Package fitconnecttest is an in-process test double of the FIT-Connect
// Submission API endpoints antrag uses (standards.md §1 "FIT-Connect").
//
// It is a test double, not a FIT-Connect implementation: it keeps everything
// in memory and enforces only what antrag's tests need. It is used by Go
// tests and by antrag's demo mode (antrag serve --demo mounts Handler in the
// running server), so it is safe for concurrent use, bounded (request body
// sizes, number of submissions, stored bytes, tokens, callback retries) and
// answers bad input with RFC 7807 problem documents instead of panicking.
//
// Served paths, relative to the handler's root (also usable below
// http.StripPrefix); {v} is v1 or v2:
//
//	POST /token                                  OAuth2 client credentials
//	GET  /.well-known/jwks.json                  the platform's SET signing key
//	GET  /{v}/destinations/{id}                  destination (encryptionKid, services)
//	GET  /{v}/destinations/{id}/keys/{kid}       one public JWK, as registered
//	GET  /{v}/destinations/{id}/keys             {"keys":[…]}
//	POST /{v}/submissions                        announce (v1 serviceType, v2 publicService)
//	PUT  /{v}/submissions/{sid}/attachments/{aid} upload a compact JWE
//	PUT  /{v}/submissions/{sid}                  submit encryptedMetadata/encryptedData
//	GET  /{v}/submissions?destinationId=         subscriber: submissions in state submitted
//	GET  /{v}/submissions/{sid}                  subscriber: one submitted submission
//	GET  /{v}/submissions/{sid}/attachments/{aid} subscriber: attachment JWE
//	GET  /{v}/submissions/{sid}/events           event log of the submission
//	GET  /{v}/cases/{caseId}/events              event log of the case
//	POST /{v}/cases/{caseId}/events              subscriber posts accept/reject SET
//	GET  /routing-api/v1/routes?leikaKey=&ars=   Routing API: routes added with AddRoute
//	GET  /portal/.well-known/jwks.json           the self-service portal's key set
//
// The last two stand in for the FIT-Connect Routing API 2.0.0 and the
// self-service portal that signs each route's destinationSignature
// (standards.md §1 "Routing API", §9): RoutingAPIURL and PortalJWKSURL give
// their URLs. The portal key is RSA-4096, created once per process on first
// use. A query's ars matches a route when it starts with one of the route's
// ARS; only the ars area parameter is supported.
//
// Every path except /token, the two /.well-known/jwks.json and
// /routing-api/v1/routes needs
// "Authorization: Bearer <token>" from /token. Any registered client may use
// any endpoint and any destination.
//
// Enforced: bearer tokens; destination, submission, case and attachment
// existence (404); UUID shape of ids in bodies and the destination's
// services (422); Content-Type application/jose on uploads and posted
// events (415); the shape of compact JWEs (five base64url segments, a JSON
// protected header with alg and enc; 422) without decrypting them;
// encryptedMetadata is required, encryptedData optional; all announced
// attachments before submit (422); state transitions announced → submitted
// → accepted|rejected (409). Posted SETs are verified fully (see
// POST …/events). Not enforced: key sizes and x5c chains, JWE algorithms,
// metadata content and hashes, 14-day auto-reject, reply channels, scopes.
//
// The double signs its own events (create-submission, submit-submission) as
// SETs with PS512 and an RSA-2048 platform key published at
// /.well-known/jwks.json; their iss is the BaseURL. Each announce creates a
// fresh case, so a case holds exactly one submission.
package fitconnecttest
