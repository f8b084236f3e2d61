package fim

// Rules of the XML Schema that antrag imports with a warning instead of
// refusing the document. The structural check (check.go) is otherwise as
// strict as the schema.
//
// The 45 XDatenfelder 3.0.0 and 4 XDatenfelder 2.0 exports of the FIM
// portal in the test corpus satisfy every rule of the tables in xsd.go, so
// no rule needs leniency for them. One kind of violation is lenient all the
// same, because it cannot change the form:
//
//   - Life-cycle metadata (xsd.go marks the particles: gueltigAb,
//     gueltigBis, statusGesetztAm, statusGesetztDurch, versionshinweis,
//     veroeffentlichungsdatum, fachlicherErsteller, freigabedatum, relation,
//     stichwort): an element of these at the wrong place (ruleOrderMetadata),
//     too often, or with broken content of its own (a relation's praedikat
//     without listVersionID, a stichwort without uri). antrag shows none of
//     it in the form; refusing a schema for the position of a Stichwort
//     would only keep a usable form from citizens. The Datenfeldgruppe
//     message of the xdatenfelder-xml tests (G60000000088, synthetic test
//     data of a third-party parser) writes gueltigAb, gueltigBis, stichwort
//     and relation at other places and a praedikat without listVersionID.
//
// Everything else (element order and cardinality of the content, required
// elements, codes, attributes, values, duplicates) is an error.

// ruleOrderMetadata is the order rule for life-cycle metadata.
const ruleOrderMetadata = "Reihenfolge der Metadaten"

// lenient reports whether a violation is imported with a warning.
func lenient(v violation) bool {
	return v.meta || v.rule == ruleOrderMetadata
}
