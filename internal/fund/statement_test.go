package fund_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"threshold/internal/fund"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// pdfText extracts the text of a PDF document with poppler's pdftotext,
// keeping the layout so that a table row stays on one line.
func pdfText(t *testing.T, doc []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		testenv.Unavailable(t, "pdftotext (Debian package poppler-utils)")
	}
	cmd := exec.Command(bin, "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(doc)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v: %s", err, stderr.String())
	}
	return out.String()
}

// TestStatementPDF writes a donor's statement as PDF and reads it back
// with pdftotext: the donor, every entry with its exact amount, rate and
// value, and the totals, and nothing of another donor.
func TestStatementPDF(t *testing.T) {
	db, _ := storetest.SQLite(t)
	s := newFund(t, db, fund.Options{})
	ctx := context.Background()
	donor := "Synthetic Donor Ségolène"
	for i, r := range []fund.ContributionRequest{
		{Donor: donor, Amount: "1000", Currency: "EUR", Rate: "1.0825", Memo: "synthetic first tranche"},
		{Donor: donor, Amount: "2500.05", Currency: "USD"},
		{Donor: donor, Amount: "0.01", Currency: "USD"},
		{Donor: donor, Amount: "500", Currency: "EUR", Rate: "1.08", Pledge: true},
		{Donor: "Synthetic Other Donor", Amount: "777.77", Currency: "USD"},
	} {
		if _, _, err := s.Contribute(ctx, analyst, "statement-"+string(rune('a'+i)), r); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2024, 3, 5, 10, 30, 0, 0, time.UTC)
	reader := func() *fund.Service { return newFund(t, db, fund.Options{Now: func() time.Time { return at }}) }
	var buf bytes.Buffer
	if err := reader().Statement(ctx, desk, donor, fund.PDF, &buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:min(20, buf.Len())])
	}
	text := pdfText(t, buf.Bytes())
	space := regexp.MustCompile(`\s+`)
	flat := space.ReplaceAllString(text, " ")
	for _, want := range []string{
		"Donor statement", "Donor: " + donor, "Statement date: 2024-03-05", "reporting currency USD",
		"contribution EUR 1000.00 1.0825 1082.50", "contribution USD 2500.05 1 2500.05", "contribution USD 0.01 1 0.01",
		"pledge EUR 500.00 1.08 540.00",
		"Received in EUR 1000.00 EUR", "Received in USD 2500.06 USD", "Received, value 3582.56 USD",
		"Pledged in EUR 500.00 EUR", "Pledged, value 540.00 USD", "page 1 of 1",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(flat, "777.77") || strings.Contains(flat, "Synthetic Other Donor") {
		t.Errorf("the statement shows another donor's money:\n%s", text)
	}

	// The same statement (same clock reading) makes the same bytes.
	var again bytes.Buffer
	if err := reader().Statement(ctx, desk, donor, fund.PDF, &again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two statements made at the same time differ")
	}

	// Who may not read the fund gets nothing; a format is csv or pdf.
	if err := s.Statement(ctx, partner, donor, fund.PDF, &bytes.Buffer{}); !errors.Is(err, fund.ErrForbidden) {
		t.Errorf("partner's statement: %v, want forbidden", err)
	}
	if err := s.Statement(ctx, desk, donor, "xlsx", &bytes.Buffer{}); !errors.Is(err, fund.ErrInvalid) {
		t.Errorf("xlsx statement: %v, want invalid", err)
	}
}
