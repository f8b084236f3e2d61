package devidp

import (
	"encoding/base64"
	"html/template"

	"github.com/beevik/etree"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/web/static"
)

type pageError struct{ Href, Message string }

type loginPage struct {
	Request             request
	Action, SAMLRequest string
	RelayState          string
	Persons             []Person
	Levels              []struct{ Raw, Label string }
	Methods             []struct {
		Method identity.Method
		Label  string
	}
	Person, Level, Method string
	Errors                []pageError
}

// LevelLabel names a raw level.
func (p loginPage) LevelLabel(raw string) string {
	for _, l := range Levels {
		if l.Raw == raw {
			return l.Label
		}
	}
	return raw
}

func staticPath(name string) string {
	p, _ := static.Path(name)
	return p
}

var funcs = template.FuncMap{"static": staticPath, "logout": isLogoutResponse}

// isLogoutResponse reports whether a SAMLResponse (base64) is a
// LogoutResponse rather than an answer to a login.
func isLogoutResponse(samlResponse string) bool {
	b, err := base64.StdEncoding.DecodeString(samlResponse)
	if err != nil {
		return false
	}
	doc := etree.NewDocument()
	return doc.ReadFromBytes(b) == nil && doc.Root() != nil && doc.Root().Tag == "LogoutResponse"
}

// loginTemplate is the login page: German, KERN classes, a form that
// works without JavaScript, one fieldset per choice with a legend.
var loginTemplate = template.Must(template.New("login").Funcs(funcs).Parse(`<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Errors}}Fehler: {{end}}Anmelden – Entwicklungs-Konto</title>
<link rel="stylesheet" href="{{static "vendor/kern/fonts/fira-sans.css"}}">
<link rel="stylesheet" href="{{static "vendor/kern/kern.min.css"}}">
<link rel="stylesheet" href="{{static "app/app.css"}}">
</head>
<body>
<a class="app-skip" href="#inhalt">Zum Inhalt springen</a>
<header class="app-header"><div class="kern-container"><p class="app-header__brand">Entwicklungs-Konto <span class="app-header__sub">nachgebildet nach BundID</span></p></div></header>
<main id="inhalt" class="kern-container app-main" tabindex="-1">
<div class="kern-row"><div class="kern-col-12 kern-col-lg-8">
<div class="kern-alert kern-alert--warning" role="note">
  <div class="kern-alert__header"><span class="kern-icon kern-icon--warning" aria-hidden="true"></span><h2 class="kern-title">Nur für Entwicklung und Tests</h2></div>
  <div class="kern-alert__body"><p class="kern-body">Dies ist kein echtes Nutzerkonto. Jede und jeder kann sich hier als jede Testperson anmelden. Niemals für echte Anträge verwenden.</p></div>
</div>
<h1 class="kern-heading-large">Anmelden{{with .Request.DisplayName}} für {{.}}{{end}}</h1>
{{with .Request.MinLevel}}<p class="kern-body">Verlangt wird mindestens das Vertrauensniveau „{{$.LevelLabel .}}“.</p>{{end}}
{{with .Request.OnlineServiceID}}<p class="kern-body">Online-Dienst: {{.}}</p>{{end}}
{{if .Errors}}<div class="kern-alert kern-alert--danger" id="fehler" role="alert" tabindex="-1" aria-labelledby="fehler-titel">
  <div class="kern-alert__header"><span class="kern-icon kern-icon--danger" aria-hidden="true"></span><h2 class="kern-title" id="fehler-titel">Bitte korrigieren Sie Ihre Auswahl</h2></div>
  <div class="kern-alert__body"><ul class="kern-list">{{range .Errors}}<li><a class="kern-link" href="{{.Href}}">{{.Message}}</a></li>{{end}}</ul></div>
</div>{{end}}
<form method="post" action="{{.Action}}">
  <input type="hidden" name="SAMLRequest" value="{{.SAMLRequest}}">
  <input type="hidden" name="RelayState" value="{{.RelayState}}">
  <fieldset class="kern-fieldset">
    <legend class="kern-label">Testperson</legend>
    <div class="kern-fieldset__body">
    {{range .Persons}}<div class="kern-form-check">
      <input class="kern-form-check__radio" type="radio" id="person-{{.ID}}" name="person" value="{{.ID}}"{{if eq .ID $.Person}} checked{{end}}>
      <label class="kern-label" for="person-{{.ID}}">{{.Label}}</label>
    </div>{{end}}
    </div>
  </fieldset>
  <fieldset class="kern-fieldset">
    <legend class="kern-label">Vertrauensniveau</legend>
    <div class="kern-fieldset__body">
    {{range .Levels}}<div class="kern-form-check">
      <input class="kern-form-check__radio" type="radio" id="niveau-{{.Raw}}" name="niveau" value="{{.Raw}}"{{if eq .Raw $.Level}} checked{{end}}>
      <label class="kern-label" for="niveau-{{.Raw}}">{{.Label}} ({{.Raw}})</label>
    </div>{{end}}
    </div>
  </fieldset>
  <fieldset class="kern-fieldset">
    <legend class="kern-label">Anmeldeverfahren</legend>
    <div class="kern-fieldset__body">
    {{range .Methods}}<div class="kern-form-check">
      <input class="kern-form-check__radio" type="radio" id="methode-{{.Method}}" name="methode" value="{{.Method}}"{{if eq (print .Method) $.Method}} checked{{end}}>
      <label class="kern-label" for="methode-{{.Method}}">{{.Label}}</label>
    </div>{{end}}
    </div>
  </fieldset>
  <div class="kern-btn-wrapper"><button type="submit" class="kern-btn kern-btn--primary"><span class="kern-label">Anmelden</span></button></div>
</form>
</div></div>
</main>
</body>
</html>
`))

// responseForm carries the SAML response back to the service provider.
// No script (the server's Content-Security-Policy allows none inline):
// the person sends it with the button.
var responseForm = template.Must(template.New("response").Funcs(funcs).Parse(`<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if logout .SAMLResponse}}Abmeldung abschließen{{else}}Anmeldung abschließen{{end}} – Entwicklungs-Konto</title>
<link rel="stylesheet" href="{{static "vendor/kern/fonts/fira-sans.css"}}">
<link rel="stylesheet" href="{{static "vendor/kern/kern.min.css"}}">
<link rel="stylesheet" href="{{static "app/app.css"}}">
</head>
<body>
<main id="inhalt" class="kern-container app-main">
{{if logout .SAMLResponse}}<h1 class="kern-heading-large">Abmeldung erfolgreich</h1>
<p class="kern-body">Sie sind beim Entwicklungs-Konto abgemeldet. Die Bestätigung geht jetzt an den Online-Dienst.</p>
{{else}}<h1 class="kern-heading-large">Anmeldung erfolgreich</h1>
<p class="kern-body">Ihre Angaben werden jetzt an den Online-Dienst übermittelt.</p>
{{end}}
<form method="post" action="{{.URL}}" id="SAMLResponseForm">
  <input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}">
  <input type="hidden" name="RelayState" value="{{.RelayState}}">
  <div class="kern-btn-wrapper"><button type="submit" class="kern-btn kern-btn--primary"><span class="kern-label">Weiter zum Online-Dienst</span></button></div>
</form>
</main>
</body>
</html>
`))
