package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/auth"
	"threshold/internal/store"
)

// Deliveries reads alerts' delivery logs. *notify.Notifier implements it.
type Deliveries interface {
	Log(ctx context.Context, alertID int64) ([]store.Delivery, error)
}

func (a *API) registerDeliveries() {
	handle(a, huma.Operation{
		OperationID: "list-alert-deliveries",
		Method:      http.MethodGet,
		Path:        Prefix + "/alerts/{id}/deliveries",
		Summary:     "An alert's delivery log",
		Description: "Every step of delivering the alert to its receivers' webhooks and mailboxes, oldest first: " +
			"queued, then one entry per attempt (retrying, delivered or failed) with the HTTP status or the error. " +
			"An alert with no deliveries has an empty log.",
		Tags: []string{"alerts"},
	}, auth.Allow(auth.Admin, auth.Analyst, auth.DeskOfficer), limits{}, a.listDeliveries)
}

type deliveriesInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The alert's ID."`
}

type deliveriesOutput struct {
	Body struct {
		Items []store.Delivery `json:"items"`
	}
}

func (a *API) listDeliveries(ctx context.Context, in *deliveriesInput) (*deliveriesOutput, error) {
	log, err := a.deps.Deliveries.Log(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := &deliveriesOutput{}
	out.Body.Items = log
	if out.Body.Items == nil {
		out.Body.Items = []store.Delivery{}
	}
	return out, nil
}
