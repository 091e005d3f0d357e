package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/auth"
	"threshold/internal/server"
	"threshold/internal/store"
)

// limits are a route's own body limit and timeout; zero takes the
// server's.
type limits struct {
	maxBody int64
	timeout time.Duration
}

// handle registers one operation: with huma, which documents and
// validates it, and in the server's route table with policy, which
// guards it. Its errors go through problem, the one place that turns
// errors into responses.
func handle[I, O any](a *API, op huma.Operation, policy auth.Policy, lim limits, h func(context.Context, *I) (*O, error)) {
	op.Security = []map[string][]string{{"token": {}}, {"session": {}}}
	roles := make([]string, 0, len(policy.Roles()))
	for _, r := range policy.Roles() {
		roles = append(roles, string(r))
	}
	if op.Extensions == nil {
		op.Extensions = map[string]any{}
	}
	op.Extensions["x-threshold-roles"] = roles
	note := "Roles: " + strings.Join(roles, ", ") + "."
	if policy.Write() {
		note += " Tokens need the write scope."
	}
	op.Description = strings.TrimSpace(op.Description + "\n\n" + note)
	op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusForbidden)
	if lim.maxBody > 0 {
		op.MaxBodyBytes = lim.maxBody
	}
	huma.Register(a.huma, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, a.problem(ctx, err)
		}
		return out, nil
	})
	a.routes.Add(server.Route{
		Method: op.Method, Pattern: op.Path, Policy: policy,
		Handler: a.mux.take(op.Method + " " + op.Path),
		MaxBody: lim.maxBody, Timeout: lim.timeout,
	})
}

// problem maps a handler's error to the response the client gets. Errors
// made for the client (huma's status errors, with a message written to
// be read) pass as they are; a failure of the server is logged in full
// and answered with a 500 that says only where to look.
func (a *API) problem(ctx context.Context, err error) error {
	var se huma.StatusError
	switch {
	case errors.As(err, &se):
		return err
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound("not found")
	case errors.Is(err, context.DeadlineExceeded):
		return huma.Error503ServiceUnavailable("the request took too long; narrow it with filters or try again")
	case errors.Is(err, context.Canceled):
		return huma.Error503ServiceUnavailable("the request was cancelled")
	}
	id := server.RequestID(ctx)
	a.log.ErrorContext(ctx, "api request failed", "request_id", id, "err", err)
	return huma.Error500InternalServerError("internal error; the server log has the details under request ID " + id)
}

// invalid is a 422 naming the parameter at fault, like huma's own
// validation errors.
func invalid(location, msg string, value any) error {
	return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{
		Location: location, Message: msg, Value: value,
	})
}
