// Command threshold is an early-warning and response platform for
// preventive diplomacy: it ingests conflict event data, scores risk, raises
// warnings and tracks the action taken on them. Run "threshold help" for the
// list of subcommands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"threshold/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
