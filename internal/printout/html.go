package printout

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
)

//go:embed checklist.html.tmpl
var checklistHTML string

var htmlTemplate = template.Must(template.New("checklist").Parse(checklistHTML))

// stylesheet is the page's only style. It is constant, so its hash is too: the page's
// Content-Security-Policy allows exactly this stylesheet and nothing else, which a nonce would
// not do any better and 'unsafe-inline' would do worse.
const stylesheet = `
@page { size: A4; margin: 15mm 15mm 17mm; }
* { box-sizing: border-box; }
html { font-family: Arial, "Liberation Sans", "DejaVu Sans", Helvetica, sans-serif; font-size: 10pt; line-height: 1.35; color: #000; background: #fff; }
body { margin: 0; }
@media screen { body { max-width: 190mm; margin: 2em auto; padding: 0 1em; } }
h1 { font-size: 20pt; margin: 0 0 4mm; }
h1 .ods { font-weight: normal; color: #333; }
h2 { font-size: 17pt; margin: 0 0 3mm; padding-bottom: 1.5mm; border-bottom: 2px solid #000; }
h3 { font-size: 13pt; margin: 6mm 0 2mm; }
h4 { font-size: 11pt; margin: 5mm 0 2mm; }
h2, h3, h4, caption { break-after: avoid; page-break-after: avoid; }
p { margin: 0 0 2mm; }
a { color: #000; }
.kicker { text-transform: uppercase; letter-spacing: 0.06em; font-size: 8.5pt; color: #333; margin: 0 0 1mm; }
.cover { margin-bottom: 8mm; }
.facts { border-collapse: collapse; margin: 0 0 4mm; }
.facts th, .facts td { text-align: left; vertical-align: top; padding: 0.8mm 4mm 0.8mm 0; border-bottom: 1px solid #bbb; }
.facts th { font-weight: bold; white-space: nowrap; }
.howto { font-size: 9pt; }
.stage + .stage { break-before: page; page-break-before: always; }
.summary { font-size: 10.5pt; }
.duration { font-size: 9pt; color: #333; }
.notice { border-left: 4px solid #000; padding: 1mm 0 1mm 3mm; font-weight: bold; }
ul { margin: 0 0 3mm; padding-left: 6mm; }
ul.roles { columns: 2; column-gap: 8mm; }
li { break-inside: avoid; }
li { margin: 0 0 0.5mm; }
.gdpr { border: 1.5pt solid #000; padding: 2mm 3mm; font-weight: bold; break-inside: avoid; page-break-inside: avoid; break-after: avoid; page-break-after: avoid; }
.task { display: flex; gap: 3mm; padding: 3mm 0 1mm; break-inside: avoid; page-break-inside: avoid; }
.task .box { flex: 0 0 7mm; font-size: 17pt; line-height: 1; font-family: "DejaVu Sans", "Segoe UI Symbol", "Apple Symbols", sans-serif; }
.task .body { flex: 1 1 auto; min-width: 0; }
.task .title { font-size: 10.5pt; margin-bottom: 1mm; }
.tag { font-size: 8pt; border: 1px solid #000; padding: 0 1mm; white-space: nowrap; }
.guidance { margin-bottom: 1mm; }
.meta { font-size: 8.5pt; color: #222; }
.overdue { font-weight: bold; }
.status-done .title strong, .status-not_applicable .title strong { font-weight: bold; }
.status-not_applicable .title strong { text-decoration: line-through; }
.reason { font-size: 9pt; font-style: italic; }
.notes .label { font-size: 9pt; font-weight: bold; }
.notes .line { height: 6.5mm; border-bottom: 1px solid #666; display: flex; align-items: flex-end; }
.notes .written { white-space: pre-line; border-left: 2px solid #666; padding-left: 2mm; margin: 1mm 0 0; }
table.fill, .signoff table { width: 100%; border-collapse: separate; border-spacing: 0; border-top: 1px solid #000; border-left: 1px solid #000; margin: 2mm 0 4mm; break-inside: avoid; page-break-inside: avoid; }
table.fill caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 1mm; }
table.fill th, table.fill td, .signoff th, .signoff td { border-right: 1px solid #000; border-bottom: 1px solid #000; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
table.fill th, .signoff th { font-size: 9pt; }
table.fill td { height: 10mm; white-space: pre-line; }
.signoff { break-inside: avoid; page-break-inside: avoid; margin-top: 6mm; }
.signoff td { height: 11mm; }
`

var styleHash = func() string {
	h := sha256.Sum256([]byte(stylesheet))
	return base64.StdEncoding.EncodeToString(h[:])
}()

// ContentSecurityPolicy is the policy to send with the HTML checklist: its one stylesheet, by
// hash, and nothing else at all: no scripts, images, frames, forms or base URL.
var ContentSecurityPolicy = "default-src 'none'; style-src 'sha256-" + styleHash +
	"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// HTML renders the checklist as a print-ready page. html/template escapes every value for where
// it lands, so text from the API cannot become markup.
func HTML(in Input) ([]byte, error) {
	var b bytes.Buffer
	data := struct {
		document
		CSS         template.CSS
		GDPRWarning string
	}{build(in), template.CSS(stylesheet), GDPRWarning} //nolint:gosec // G203: the stylesheet is a constant of this package, not input
	if err := htmlTemplate.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render checklist HTML: %w", err)
	}
	return b.Bytes(), nil
}
