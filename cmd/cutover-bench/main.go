// Command cutover-bench measures cutover over loopback against the ceilings it runs on: a bare
// echo handler and raw durable SQLite commits, measured in the same run, so that every figure
// can be read as a ratio on whatever machine runs it.
//
//	go run ./cmd/cutover-bench [-sizes 10,1000] [-c 16] [-d 5s] [-only get-task,patch-task] [-cpuprofile prefix]
//	go run ./cmd/cutover-bench seed -db postgres://... -n 1000   (seed a database only, e.g. to read query plans)
//
// It seeds a SQLite database per size, serves it from a child process (so the server's peak RSS
// is its own), loads it with a fixed number of concurrent clients, and prints a Markdown table.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if runChild(os.Args[1:]) {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var (
		sizes = flag.String("sizes", "10,1000", "migrations to seed, one run per size")
		conc  = flag.Int("c", 16, "concurrent clients")
		dur   = flag.Duration("d", 5*time.Second, "duration of each scenario")
		only  = flag.String("only", "", "comma-separated scenarios to run (all when empty)")
		dir   = flag.String("dir", "", "where to keep the databases (a temporary directory when empty)")
		prof  = flag.String("cpuprofile", "", "write a CPU profile of the server under load to <prefix>-<size>.prof")
	)
	flag.Parse()
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			exitOn(fmt.Errorf("-sizes: %q is not a positive number", s))
		}
		ns = append(ns, n)
	}
	cfg := config{concurrency: *conc, duration: *dur, dir: *dir, profile: *prof}
	if *only != "" {
		cfg.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			cfg.only[strings.TrimSpace(s)] = true
		}
	}
	results, err := run(ctx, cfg, ns)
	exitOn(err)
	printTable(os.Stdout, cfg, results)
}

// runChild runs the command args name, if it is one of the child processes (or seed), and says
// whether it did: the same binary serves as the servers it measures.
func runChild(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "serve-cutover":
		exitOn(serveCutover(args[1:]))
	case "serve-bare":
		exitOn(serveBare(args[1:]))
	case "seed":
		exitOn(seedOnly(args[1:]))
	default:
		return false
	}
	return true
}

func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "cutover-bench:", err)
		os.Exit(1)
	}
}
