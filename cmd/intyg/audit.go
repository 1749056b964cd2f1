package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/intyg/intyg/store"
)

// runAudit runs "intyg audit verify": it walks the access log's hash chain
// and names the first entry that does not verify, and prints the chain's
// head (position and hash) for the operator to record elsewhere; with
// --head SEQ:HASH, one recorded before, it also checks that the log still
// holds that entry with that hash, so that entries cut from the end and a
// head rewritten to match are found. Exit 0 when the chain is intact, 1
// when it is broken, 2 on bad usage or an I/O error.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (int, error) {
	usage := errors.New("usage: intyg audit verify [--data DIR | --dsn POSTGRES-DSN | --dsn-file FILE] [--head SEQ:HASH]")
	if len(args) == 0 || args[0] != "verify" {
		return exitUsage, usage
	}
	var c Config
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbFlags(fs, &c, getenv)
	recorded := fs.String("head", "", "a head printed by an earlier verify (SEQ:HASH), recorded outside the database: the log must still hold it")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage, helpAsked(err)
	}
	if fs.NArg() > 0 {
		return exitUsage, usage
	}
	var wantSeq int64
	var wantHash string
	if *recorded != "" {
		s, h, ok := strings.Cut(*recorded, ":")
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil || n < 1 || h == "" {
			return exitUsage, fmt.Errorf("audit verify: --head %q is not SEQ:HASH as verify printed it", *recorded)
		}
		wantSeq, wantHash = n, h
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
	if broken == store.BrokenHead {
		fmt.Fprintf(stdout, "access log BROKEN (%s): the chain's head and every entry are gone; the log was emptied outside Intyg.\n", where)
		return exitBroken, nil
	}
	if broken != 0 {
		fmt.Fprintf(stdout, "access log BROKEN at entry %d (%s): its hash does not follow from its fields and the entry before it; an entry was changed, deleted or written around the chain. %d entries before it verified.\n", broken, where, checked)
		return exitBroken, nil
	}
	if wantSeq > 0 {
		hash, err := db.AuditHashAt(ctx, wantSeq)
		if err != nil {
			return exitUsage, fmt.Errorf("audit verify: %w", err)
		}
		if hash != wantHash {
			fmt.Fprintf(stdout, "access log BROKEN: it no longer holds entry %d with the hash recorded (%s); entries were cut from the end or rewritten, and the head with them. %d entries verified among themselves.\n", wantSeq, where, checked)
			return exitBroken, nil
		}
	}
	seq, hash, err := db.AuditChainHead(ctx)
	if err != nil {
		return exitUsage, fmt.Errorf("audit verify: %w", err)
	}
	fmt.Fprintf(stdout, "access log intact: %d entries checked (%s)\n", checked, where)
	if wantSeq > 0 {
		fmt.Fprintf(stdout, "it still holds the head recorded, entry %d\n", wantSeq)
	}
	fmt.Fprintf(stdout, "head: %d:%s\nrecord the head outside the database; \"intyg audit verify --head %d:%s\" later shows that no entry up to it was cut or changed\n", seq, hash, seq, hash)
	return exitOK, nil
}
