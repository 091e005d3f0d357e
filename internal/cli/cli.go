// Package cli implements the threshold command's subcommands.
package cli

import (
	"context"
	"io"
)

// Main runs the command line args and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return 0
}
