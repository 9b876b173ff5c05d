// Command cutover runs the cutover service and its housekeeping: serve, migrate, token, backup,
// restore, version.
// It only wires things together; the work is in the internal packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "cutover:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `cutover: the system of record for GP practice clinical system migrations.

Usage:
  cutover serve [flags]          run the API server (the default)
  cutover migrate [flags]        bring the database schema up to date and exit
  cutover token create --org NAME --role viewer|editor|admin --name NAME [--expires 2027-12-31]
  cutover token list [--org NAME]
  cutover token revoke ID
  cutover backup FILE            copy the live SQLite database to FILE (a consistent snapshot)
  cutover restore FILE           replace the stopped SQLite database with the backup FILE
  cutover version                print the build and checklist template versions
  cutover help [command]         show help

Every flag can also be set with its CUTOVER_ environment variable; run 'cutover serve --help'.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case "token":
		return token(ctx, args, getenv, stdout, stderr)
	case "backup":
		return backup(ctx, args, getenv, stdout, stderr)
	case "restore":
		return restore(ctx, args, getenv, stdout, stderr)
	case "version":
		return version(stdout)
	case "help", "-h", "--help":
		if len(args) > 0 {
			return run(ctx, []string{args[0], "--help"}, getenv, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "cutover: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
