module github.com/antrag/antrag

go 1.26.8

require (
	codeberg.org/go-pdf/fpdf v0.12.0
	github.com/diegoholiveira/jsonlogic/v3 v3.5.1
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
	golang.org/x/image v0.40.0
	golang.org/x/text v0.37.0
)

require github.com/barkimedes/go-deepcopy v0.0.0-20220514131651-17c30cfc62df // indirect
