package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
)

// docsHandler serves Swagger UI for the served spec, with its assets embedded in the binary: NHS
// networks often block CDNs. The page runs under a strict Content-Security-Policy that allows
// only its own inline scripts, by hash.
func docsHandler() (echo.HandlerFunc, error) {
	ui := v5emb.NewWithConfig(swgui.Config{ShowTopBar: false})("cutover API", "/openapi.json", "/docs/")
	csp, err := docsPolicy(ui)
	if err != nil {
		return nil, err
	}
	return func(c echo.Context) error {
		c.Response().Header().Set("Content-Security-Policy", csp)
		ui.ServeHTTP(c.Response(), c.Request())
		return nil
	}, nil
}

var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// docsPolicy renders the page once and allows exactly its inline scripts.
func docsPolicy(ui http.Handler) (string, error) {
	rec := httptest.NewRecorder()
	ui.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/docs/", nil))
	if rec.Code != http.StatusOK {
		return "", fmt.Errorf("render docs page: status %d", rec.Code)
	}
	var hashes []string
	for _, m := range inlineScript.FindAllStringSubmatch(rec.Body.String(), -1) {
		sum := sha256.Sum256([]byte(m[1]))
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return "default-src 'none'; script-src 'self' " + strings.Join(hashes, " ") +
		"; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'", nil
}
