package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cutoverhq/cutover/internal/store"
)

// TestBackupWhileServing backs a SQLite database up with `cutover backup` while writers keep a
// server busy, then restores it with `cutover restore`: the copy passes integrity_check and holds
// every write acknowledged before the backup began; restore refuses while the server runs, and
// the restored database serves.
func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	dbURL := filepath.Join(dir, "live", "cutover.db")
	p := startServer(t, dbURL)
	var m struct {
		ID string `json:"id"`
	}
	p.mustCall(t, 201, "POST", "/v1/migrations", newMigrationBody("A81001"), &m)

	var (
		mu    sync.Mutex
		acked []string
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, err := p.call(context.Background(), "POST", "/v1/migrations/"+m.ID+"/contacts",
					map[string]any{"role": "third_party", "organisation": fmt.Sprintf("writer %d, contact %d", w, i)})
				if err != nil || res.status != 201 {
					t.Errorf("create contact: %d %v %s", res.status, err, res.body)
					return
				}
				var c struct {
					ID string `json:"id"`
				}
				if err := json.Unmarshal(res.body, &c); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, c.ID)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	mu.Lock()
	before := append([]string(nil), acked...) // acknowledged before the backup began
	mu.Unlock()
	backupFile := filepath.Join(dir, "backups", "cutover-backup.db")
	if err := os.MkdirAll(filepath.Dir(backupFile), 0o750); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	out, err := runCLI(t, nil, "backup", "--database-url", dbURL, backupFile)
	took := time.Since(started)
	if err != nil {
		t.Fatalf("cutover backup: %v\n%s", err, out)
	}
	time.Sleep(200 * time.Millisecond) // writes go on after the backup
	close(stop)
	wg.Wait()
	if !strings.Contains(out, "integrity ok") {
		t.Errorf("cutover backup said: %s", out)
	}
	if out, err := runCLI(t, nil, "backup", "--database-url", dbURL, backupFile); err == nil || !strings.Contains(out, "exists") {
		t.Errorf("a second backup to the same file: %v %s", err, out)
	}

	info, err := store.CheckSQLite(context.Background(), backupFile)
	if err != nil {
		t.Fatalf("the backup: %v", err)
	}
	inBackup := contactIDs(t, backupFile)
	for _, id := range before {
		if !inBackup[id] {
			t.Fatalf("contact %s was acknowledged before the backup began but is not in it", id)
		}
	}
	if len(inBackup) >= len(acked) {
		t.Errorf("the backup holds %d contacts, as many as were ever written (%d): did the writers run during it?", len(inBackup), len(acked))
	}
	t.Logf("backup of a live database: %d bytes in %v (CLI run included); %d contacts acknowledged before it began, %d in it, %d acknowledged in all",
		info.Size, took.Round(time.Millisecond), len(before), len(inBackup), len(acked))

	// Restore refuses while a server has the database open, and leaves it alone.
	if out, err := runCLI(t, nil, "restore", "--database-url", dbURL, backupFile); err == nil || !strings.Contains(out, "in use") {
		t.Fatalf("restore under a running server: %v %s", err, out)
	}
	if code := p.stop(t, syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("exit %d\n%s", code, p.logs)
	}
	if out, err := runCLI(t, nil, "restore", "--database-url", dbURL, backupFile); err != nil {
		t.Fatalf("cutover restore: %v\n%s", err, out)
	}
	if _, err := store.CheckSQLite(context.Background(), dbURL); err != nil {
		t.Fatalf("the restored database: %v", err)
	}
	if got := contactIDs(t, dbURL); len(got) != len(inBackup) {
		t.Fatalf("restored %d contacts, the backup has %d", len(got), len(inBackup))
	}
	again := startServer(t, dbURL)
	again.mustCall(t, 200, "GET", "/v1/migrations/"+m.ID+"/contacts/"+before[len(before)-1], nil, nil)
	again.mustCall(t, 200, "GET", "/readyz", nil, nil)
}

// TestBackupOfPostgresPointsToPgDump: backup and restore are SQLite's; PostgreSQL has its own tools.
func TestBackupOfPostgresPointsToPgDump(t *testing.T) {
	out, err := runCLI(t, nil, "backup", "--database-url", "postgres://nobody@127.0.0.1:1/none", filepath.Join(t.TempDir(), "x.db"))
	if err == nil || !strings.Contains(out, "pg_dump") {
		t.Fatalf("%v %s", err, out)
	}
}

func contactIDs(t *testing.T, path string) map[string]bool {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT id FROM contacts")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
