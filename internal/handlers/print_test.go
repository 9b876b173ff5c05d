package handlers_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestChecklistPrintsToA4 prints a fresh migration's checklist with headless Chromium, as a
// practice manager's browser would, and checks the PDF is a multi-page A4 document. It needs
// Debian's chromium and poppler-utils packages and is skipped without them (and in -short runs).
// scripts/print-checklist.sh does the same by hand and keeps page images to look at.
func TestChecklistPrintsToA4(t *testing.T) {
	if testing.Short() {
		t.Skip("printing takes seconds; skipped in -short runs")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium poppler-utils)")
	}
	pdfinfo, err := exec.LookPath("pdfinfo")
	if err != nil {
		t.Skip("pdfinfo is not installed (apt-get install poppler-utils)")
	}
	app := newTestApp(t)
	m := app.createMigration(t, nil)
	must(t, app.post(t, "/v1/migrations/"+m.ID+"/contacts", map[string]any{"role": "new_supplier",
		"organisation": "Supplier B Ltd", "name": "Jo Bloggs", "email": "jo@supplierb.example"}), http.StatusCreated)
	page := must(t, app.checklist(t, m.ID, "", "text/html"), http.StatusOK).Body

	dir := t.TempDir()
	html, pdf := filepath.Join(dir, "checklist.html"), filepath.Join(dir, "checklist.pdf")
	if err := os.WriteFile(html, page, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--print-to-pdf="+pdf, "--no-pdf-header-footer",
		"file://"+html).CombinedOutput()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	info, err := exec.CommandContext(ctx, pdfinfo, pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	pages := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	size := regexp.MustCompile(`(?m)^Page size:\s+([\d.]+) x ([\d.]+) pts`).FindSubmatch(info)
	if pages == nil || size == nil {
		t.Fatalf("pdfinfo said:\n%s", info)
	}
	n, _ := strconv.Atoi(string(pages[1]))
	w, _ := strconv.ParseFloat(string(size[1]), 64)
	h, _ := strconv.ParseFloat(string(size[2]), 64)
	t.Logf("the checklist printed on %d A4 pages (%.0f x %.0f pt)", n, w, h)
	// A4 is 595 x 842 points. Eight stages, each starting on a new page, with ~156 tasks and room
	// to write: well over a page per stage, and not a ream.
	if w < 594 || w > 596 || h < 841 || h > 843 {
		t.Errorf("page size %.1f x %.1f pt is not A4", w, h)
	}
	if n < 16 || n > 80 {
		t.Errorf("%d pages; want a multi-page checklist of sensible length", n)
	}
}
