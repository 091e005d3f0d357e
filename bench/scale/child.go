package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// proc is what a finished child process left.
type proc struct {
	secs           float64
	cpu            float64 // user plus system seconds
	rssMiB         float64
	stdout, stderr []byte
}

// child runs a command to its end and measures its wall time and peak
// memory.
func (c *config) child(ctx context.Context, stdin io.Reader, name string, args ...string) (proc, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	start := time.Now()
	err := cmd.Run()
	p := proc{secs: time.Since(start).Seconds(), stdout: out.Bytes(), stderr: errb.Bytes()}
	if err != nil {
		return p, fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, clip(errb.String()))
	}
	p.rssMiB = maxRSSMiB(cmd.ProcessState)
	p.cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return p, nil
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// buildThreshold builds the threshold command of this module into dir.
func buildThreshold(ctx context.Context, dir string) (string, error) {
	mod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(mod)))
	bin := filepath.Join(dir, "threshold")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build threshold in %s: %w", root, err)
	}
	return bin, nil
}
