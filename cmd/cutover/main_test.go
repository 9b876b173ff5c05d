package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func runCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestTokenCommands(t *testing.T) {
	env := map[string]string{"CUTOVER_DATABASE_URL": filepath.Join(t.TempDir(), "cutover.db")}
	out, err := runCmd(t, env, "token", "create", "--org", "Operator", "--role", "viewer", "--name", "reporting")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	value := regexp.MustCompile(`cut_[A-Za-z0-9_-]{43}`).FindString(out)
	id := regexp.MustCompile(`token ([0-9a-f-]{36})`).FindStringSubmatch(out)
	if value == "" || id == nil {
		t.Fatalf("create printed no token: %s", out)
	}
	if out, err = runCmd(t, env, "token", "list"); err != nil || !strings.Contains(out, "reporting") || strings.Contains(out, value) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err = runCmd(t, env, "token", "revoke", id[1]); err != nil {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	if out, _ = runCmd(t, env, "token", "list"); strings.Contains(out, "reporting") {
		t.Fatalf("revoked token still listed: %s", out)
	}
	for _, bad := range [][]string{
		{"token", "create", "--org", "Operator", "--role", "owner", "--name", "x"},
		{"token", "create", "--org", "Nobody", "--role", "viewer", "--name", "x"},
		{"token", "revoke", "not-an-id"},
	} {
		if _, err := runCmd(t, env, bad...); err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	out, err := runCmd(t, nil, "version")
	if err != nil || !strings.Contains(out, "checklist template 2025-03-27") {
		t.Fatalf("version: %v %s", err, out)
	}
	if out, err = runCmd(t, nil, "help"); err != nil || !strings.Contains(out, "cutover serve") {
		t.Fatalf("help: %v %s", err, out)
	}
	if out, err = runCmd(t, nil, "serve", "--help"); err != nil || !strings.Contains(out, "CUTOVER_DATABASE_URL") {
		t.Fatalf("serve --help: %v %s", err, out)
	}
	if _, err = runCmd(t, nil, "frobnicate"); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}
