package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// runAudit runs "intyg audit verify": it walks the access log's hash chain
// and names the first entry that does not verify. Exit 0 when the chain is
// intact, 1 when it is broken, 2 on bad usage or an I/O error.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (int, error) {
	usage := errors.New("usage: intyg audit verify [--data DIR | --dsn POSTGRES-DSN | --dsn-file FILE]")
	if len(args) == 0 || args[0] != "verify" {
		return exitUsage, usage
	}
	var c Config
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbFlags(fs, &c, getenv)
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage, nil
	}
	if fs.NArg() > 0 {
		return exitUsage, usage
	}
	if err := c.readDSNFile(fs); err != nil {
		return exitUsage, fmt.Errorf("audit verify: %w", err)
	}
	db, where, err := openExistingDB(ctx, c)
	if err != nil {
		return exitUsage, fmt.Errorf("audit verify: %w", err)
	}
	defer db.Close()
	checked, broken, err := db.VerifyAuditChain(ctx)
	if err != nil {
		return exitUsage, fmt.Errorf("audit verify: %w", err)
	}
	if broken != 0 {
		fmt.Fprintf(stdout, "access log BROKEN at entry %d (%s): its hash does not follow from its fields and the entry before it; an entry was changed, deleted or written around the chain. %d entries before it verified.\n", broken, where, checked)
		return exitBroken, nil
	}
	fmt.Fprintf(stdout, "access log intact: %d entries checked (%s)\n", checked, where)
	return exitOK, nil
}
