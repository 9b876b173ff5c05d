package handlers_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	apispec "github.com/cutoverhq/cutover/api"
	"github.com/getkin/kin-openapi/openapi3"
)

// /docs renders every operation of the spec in a real browser (Debian's chromium, headless),
// with its assets served from the binary and under the page's strict CSP.
func TestDocsRenderEveryOperation(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium): cannot check /docs in a browser")
	}
	app := newTestApp(t)
	srv := httptest.NewServer(app.e)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=15000", "--dump-dom", srv.URL+"/docs/").Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	doc, err := openapi3.NewLoader().LoadFromData(apispec.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !strings.Contains(dom, `data-path="`+path+`"`) || !strings.Contains(dom, op.Summary) {
				t.Errorf("%s %s (%s) is not on the rendered page", method, path, op.Summary)
				missing++
			}
		}
	}
	if missing == 0 && !strings.Contains(dom, "opblock") {
		t.Fatal("the page rendered no operations")
	}
	if os.Getenv("CUTOVER_KEEP_DOCS_DOM") != "" {
		_ = os.WriteFile(os.Getenv("CUTOVER_KEEP_DOCS_DOM"), out, 0o600)
	}
}
