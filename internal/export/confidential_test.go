package export

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/store"
)

// testFieldReports verifies a synthetic field report, sent by a named
// reporter with contact details through a partner's gateway, and checks
// that its event is exported in every format without anything that
// points back to the reporter.
func testFieldReports(t *testing.T, db *store.DB) {
	ctx := context.Background()
	sealer, err := fieldreport.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC) }
	svc, err := fieldreport.New(fieldreport.Options{Store: db, Events: db, Sealer: sealer, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	op := fieldreport.Operator("cli:export-test")
	secrets := []string{"Kestrel-synthetic", "+236 70 00 00 00", "synthetic account of the attack",
		"gateway:synthetic-partner-sms", "synthetic-partner-sms", "msg-synthetic-42"}
	r := fieldreport.Report{What: secrets[2], Country: "CAF", Admin1: "Ouham", Place: "Bossangoa",
		Date: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Involved: "synthetic armed group",
		Category: event.ViolenceAgainstCivilians, Confidence: fieldreport.Witnessed, ExternalID: secrets[5],
		Reporter: &fieldreport.Reporter{Kind: fieldreport.Contact, Pseudonym: secrets[0], Contact: secrets[1]}}
	got, err := svc.Submit(ctx, op, secrets[3], r, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []fieldreport.Status{fieldreport.UnderReview, fieldreport.Verified} {
		if _, err := svc.Move(ctx, op, got.ID, fieldreport.Transition{To: to, Reason: "synthetic check"}); err != nil {
			t.Fatalf("move report %d to %s: %v", got.ID, to, err)
		}
	}
	f := event.Filter{Source: event.FieldReport}
	for _, format := range Formats() {
		var b bytes.Buffer
		res, err := Events(ctx, db, &b, format, f, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows+res.Omitted != 1 {
			t.Fatalf("%s: %+v, want the one verified report's event", format, res)
		}
		text := b.String()
		if format == Parquet {
			rows, err := parquet.Read[eventRow](bytes.NewReader(b.Bytes()), int64(b.Len()))
			if err != nil {
				t.Fatal(err)
			}
			text = fmt.Sprintf("%+v", rows)
			for _, r := range rows {
				text += deref(r.Place) + deref(r.Actor1) + deref(r.SourceRef) + deref(r.SourceType)
			}
		}
		if format != GeoJSON && !strings.Contains(text, "Bossangoa") {
			t.Errorf("%s: the event is not in the export:\n%s", format, text)
		}
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s export reveals %q:\n%s", format, s, text)
			}
		}
	}
}
