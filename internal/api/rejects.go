package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/auth"
	"threshold/internal/store"
)

func (a *API) registerRejects() {
	handle(a, huma.Operation{
		OperationID: "list-rejects",
		Method:      http.MethodGet,
		Path:        Prefix + "/rejects",
		Summary:     "List quarantined rows",
		Description: "Rows that could not be stored, with their file, line, field and reason, by file and line, " +
			"a page at a time.",
		Tags: []string{"ingest"},
	}, auth.Allow(auth.Admin, auth.Analyst), limits{}, a.listRejects)
}

type rejectsInput struct {
	File   string `query:"file" maxLength:"300" doc:"Only this file's rows (its base name as ingested)."`
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Rows per page."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

type rejectsOutput struct {
	Body struct {
		Items      []store.Reject `json:"items"`
		NextCursor string         `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

func (a *API) listRejects(ctx context.Context, in *rejectsInput) (*rejectsOutput, error) {
	// The cursor is a position in the listing, which only grows at the
	// end of a file's rows; the store lists them all, and the quarantine
	// is small next to the events.
	skip, err := decodeCursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	all, err := a.st.Rejects(ctx, in.File)
	if err != nil {
		return nil, err
	}
	out := &rejectsOutput{}
	start := min(int(min(skip, int64(len(all)))), len(all))
	end := min(start+in.Limit, len(all))
	out.Body.Items = all[start:end]
	if end < len(all) {
		out.Body.NextCursor = encodeCursor(int64(end))
	}
	return out, nil
}
