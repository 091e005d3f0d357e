package fund

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"

	"threshold/internal/casework"
)

// DonorStatement is what a donor gave and promised: every contribution
// and pledge of the donor, oldest first, and the totals per currency and
// in the reporting currency.
type DonorStatement struct {
	Donor     string    `json:"donor"`
	Reporting string    `json:"reporting_currency"`
	At        time.Time `json:"at"` // when the statement was made
	Entries   []Entry   `json:"entries"`
	Received  []Amount  `json:"received"` // per currency
	Pledged   []Amount  `json:"pledged"`  // per currency
	// ReceivedValue and PledgedValue are the entries' values in the
	// reporting currency, at the rate recorded on each.
	ReceivedValue Amount `json:"received_value"`
	PledgedValue  Amount `json:"pledged_value"`
}

// Statement formats.
const (
	CSV = "csv"
	PDF = "pdf"
)

// DonorStatement returns donor's statement.
func (s *Service) DonorStatement(ctx context.Context, v casework.Viewer, donor string) (DonorStatement, error) {
	if !CanRead(v) {
		return DonorStatement{}, fmt.Errorf("%w: role %s may not read the fund", ErrForbidden, v.Role)
	}
	if err := checkText("donor", donor, true, 200); err != nil {
		return DonorStatement{}, err
	}
	es, err := s.st.FundJournal(ctx, JournalQuery{Donor: donor})
	if err != nil {
		return DonorStatement{}, fmt.Errorf("statement of %q: %w", donor, err)
	}
	slices.Reverse(es)
	st := DonorStatement{Donor: donor, Reporting: s.reporting, At: s.clock(), Entries: es}
	recv, pl := map[string]int64{}, map[string]int64{}
	var recvValue, plValue int64
	for _, e := range es {
		if e.Kind == Pledge {
			pl[e.Currency] += e.Minor
			plValue += e.ReportingMinor
		} else {
			recv[e.Currency] += e.Minor
			recvValue += e.ReportingMinor
		}
	}
	st.Received, st.Pledged = amounts(recv), amounts(pl)
	st.ReceivedValue = Amount{Currency: s.reporting, Amount: FormatAmount(recvValue, s.reporting), Minor: recvValue}
	st.PledgedValue = Amount{Currency: s.reporting, Amount: FormatAmount(plValue, s.reporting), Minor: plValue}
	return st, nil
}

// Statement writes donor's statement to w in format (CSV or PDF).
func (s *Service) Statement(ctx context.Context, v casework.Viewer, donor, format string, w io.Writer) error {
	if format != CSV && format != PDF {
		return &FieldError{"format", format, "must be csv or pdf"}
	}
	st, err := s.DonorStatement(ctx, v, donor)
	if err != nil {
		return err
	}
	if format == PDF {
		return st.WritePDF(w)
	}
	return st.WriteCSV(w)
}

// WriteCSV writes the statement as CSV: a header, one row per entry, then
// the totals per currency and in the reporting currency.
func (st DonorStatement) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"entry", "date", "kind", "currency", "amount", "rate", "reporting_currency", "reporting_amount", "memo"})
	for _, e := range st.Entries {
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.Format(time.DateOnly), string(e.Kind), e.Currency, e.Amount,
			e.Rate, e.ReportingCurrency, e.ReportingAmount, csvSafe(e.Memo)})
	}
	for _, a := range st.Received {
		cw.Write([]string{"", "", "total received", a.Currency, a.Amount, "", "", "", ""})
	}
	for _, a := range st.Pledged {
		cw.Write([]string{"", "", "total pledged", a.Currency, a.Amount, "", "", "", ""})
	}
	if len(st.Received) > 0 {
		cw.Write([]string{"", "", "total received value", "", "", "", st.Reporting, st.ReceivedValue.Amount, ""})
	}
	if len(st.Pledged) > 0 {
		cw.Write([]string{"", "", "total pledged value", "", "", "", st.Reporting, st.PledgedValue.Amount, ""})
	}
	cw.Flush()
	return cw.Error()
}

// WritePDF writes the statement as an A4 PDF document: the donor, the
// entries in a table, and the totals. The document's dates are the
// statement's, so the same statement makes the same bytes. Text is set
// in the PDF core fonts (Windows-1252): a character outside it prints as
// a question mark.
func (st DonorStatement) WritePDF(w io.Writer) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCatalogSort(true) // resources in a fixed order, not a map's
	pdf.SetCreationDate(st.At)
	pdf.SetModificationDate(st.At)
	pdf.SetTitle("Donor statement: "+st.Donor, true)
	pdf.SetCreator("Threshold", true)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages("{nb}")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s · statement of %s · page %d of {nb}", "Threshold rapid-response fund",
			st.At.Format(time.DateOnly), pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 9, tr("Donor statement"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	pdf.CellFormat(0, 6, tr("Donor: "+st.Donor), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 6, tr("Statement date: "+st.At.Format(time.DateOnly)+" · reporting currency "+st.Reporting), "", 1, "L", false, 0, "")
	pdf.Ln(4)

	cols := []struct {
		head  string
		width float64
		align string
	}{{"Entry", 14, "R"}, {"Date", 22, "L"}, {"Kind", 24, "L"}, {"Currency", 16, "L"}, {"Amount", 30, "R"},
		{"Rate", 18, "R"}, {"Value " + st.Reporting, 30, "R"}, {"Memo", 26, "L"}}
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetFillColor(230, 230, 230)
	for _, c := range cols {
		pdf.CellFormat(c.width, 7, tr(c.head), "1", 0, c.align, true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 9)
	for _, e := range st.Entries {
		memo := e.Memo
		if r := []rune(memo); len(r) > 16 {
			memo = string(r[:15]) + "…"
		}
		cells := []string{strconv.FormatInt(e.ID, 10), e.At.Format(time.DateOnly), string(e.Kind), e.Currency, e.Amount,
			e.Rate, e.ReportingAmount, memo}
		for i, c := range cols {
			pdf.CellFormat(c.width, 6, tr(cells[i]), "1", 0, c.align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	if len(st.Entries) == 0 {
		pdf.CellFormat(0, 6, tr("No contribution or pledge recorded."), "1", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(0, 7, tr("Totals"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	total := func(label string, as []Amount, value Amount) {
		for _, a := range as {
			pdf.CellFormat(60, 6, tr(label+" in "+a.Currency), "", 0, "L", false, 0, "")
			pdf.CellFormat(40, 6, tr(a.Amount+" "+a.Currency), "", 1, "R", false, 0, "")
		}
		if len(as) > 0 {
			pdf.CellFormat(60, 6, tr(label+", value"), "", 0, "L", false, 0, "")
			pdf.CellFormat(40, 6, tr(value.Amount+" "+value.Currency), "", 1, "R", false, 0, "")
		}
	}
	total("Received", st.Received, st.ReceivedValue)
	total("Pledged", st.Pledged, st.PledgedValue)
	if len(st.Received)+len(st.Pledged) == 0 {
		pdf.CellFormat(0, 6, tr("Nothing received or pledged."), "", 1, "L", false, 0, "")
	}
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "I", 8)
	pdf.MultiCell(0, 4, tr("Values in "+st.Reporting+" are at the exchange rate recorded on each entry, rounded half to even. "+
		"The fund is pooled: allocations are not traced to donors."), "", "L", false)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("statement of %q: pdf: %w", st.Donor, err)
	}
	return pdf.Output(w)
}
