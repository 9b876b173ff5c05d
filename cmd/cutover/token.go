package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/cutoverhq/cutover/internal/cutover"
	"github.com/cutoverhq/cutover/internal/store"
	"github.com/google/uuid"
)

//nolint:gosec // G101: help text about tokens, not a credential
const tokenUsage = `Usage:
  cutover token create --org NAME --role viewer|editor|admin --name NAME [--expires YYYY-MM-DD]
  cutover token list [--org NAME]
  cutover token revoke ID

Flags of every token command: --database-url (env CUTOVER_DATABASE_URL, default cutover.db).
`

func token(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprint(stdout, tokenUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("cutover token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", envOr(getenv, "CUTOVER_DATABASE_URL", "cutover.db"), "database (env CUTOVER_DATABASE_URL)")
	org := fs.String("org", "", "organisation name")
	role := fs.String("role", "", "viewer, editor or admin")
	name := fs.String("name", "", "a name for the token (shown as the actor of its changes)")
	expires := fs.String("expires", "", "expiry date, YYYY-MM-DD (none when empty)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	st, err := store.Open(ctx, *dbURL, store.Options{})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	// The command line acts as the operator: whoever can run it can read the database anyway.
	operator, err := operatorCaller(ctx, st)
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		if *org == "" || *name == "" || !cutover.TokenRole(*role).Valid() {
			fmt.Fprint(stderr, "cutover token create needs --org, --name and --role viewer|editor|admin\n")
			return errUsage
		}
		o, err := st.OrganisationByName(ctx, *org)
		if err != nil {
			return fmt.Errorf("organisation %q: %w", *org, err)
		}
		nt := store.NewToken{OrgID: o.ID, Name: *name, Role: cutover.TokenRole(*role)}
		if *expires != "" {
			t, err := time.Parse(time.DateOnly, *expires)
			if err != nil {
				return fmt.Errorf("--expires %q: want YYYY-MM-DD", *expires)
			}
			nt.ExpiresAt = &t
		}
		tok, value, err := st.CreateToken(ctx, operator, nt)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Created token %s (%s, %s) for %s. Its value, shown once:\n\n    %s\n\n", tok.ID, tok.Name, tok.Role, o.Name, value)
		return nil
	case "list":
		toks, orgs, err := st.ListTokensByOrg(ctx, *org)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tORGANISATION\tNAME\tROLE\tEXPIRES\tLAST USED")
		for _, t := range toks {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, orgs[t.OrgID], t.Name, t.Role, timeOrDash(t.ExpiresAt), timeOrDash(t.LastUsedAt))
		}
		return w.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			fmt.Fprint(stderr, "cutover token revoke needs the token's ID\n")
			return errUsage
		}
		id, err := uuid.Parse(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("token ID %q: %w", fs.Arg(0), err)
		}
		if err := st.RevokeToken(ctx, operator, id); err != nil {
			return fmt.Errorf("revoke %s: %w", id, err)
		}
		fmt.Fprintf(stdout, "Revoked token %s.\n", id)
		return nil
	}
	fmt.Fprintf(stderr, "cutover token: unknown command %q\n\n%s", sub, tokenUsage)
	return errUsage
}

func operatorCaller(ctx context.Context, st *store.Store) (cutover.Caller, error) {
	if _, err := st.Bootstrap(ctx, ""); err != nil {
		return cutover.Caller{}, err
	}
	o, err := st.OperatorOrganisation(ctx)
	if err != nil {
		return cutover.Caller{}, fmt.Errorf("operator organisation: %w", err)
	}
	who := cutover.System(o.ID)
	who.Operator, who.Name = true, "cutover-cli"
	return who, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
