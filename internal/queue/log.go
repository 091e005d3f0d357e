package queue

import (
	"context"
	"log/slog"
)

// quieter passes on only records at min or above: River logs every failed
// attempt at info level, which the worker already logs with the
// delivery's details.
type quieter struct {
	slog.Handler
	min slog.Level
}

func (h quieter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h quieter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quieter{h.Handler.WithAttrs(attrs), h.min}
}

func (h quieter) WithGroup(name string) slog.Handler {
	return quieter{h.Handler.WithGroup(name), h.min}
}
