package export

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"threshold/internal/indicator"
	"threshold/internal/store"
)

// IndicatorStore reads stored indicators. *store.DB implements it.
type IndicatorStore interface {
	// IndicatorsAfter returns at most limit values matching q after key
	// (nil: from the first), in key order.
	IndicatorsAfter(ctx context.Context, q store.IndicatorQuery, after *store.IndicatorKey, limit int) ([]indicator.Value, error)
}

var _ IndicatorStore = (*store.DB)(nil)

// indicatorRow is an indicator value as exported, one per place, period
// and name (see the indicator package for the names and their units).
type indicatorRow struct {
	Country     string  `parquet:"country"`
	Admin1      *string `parquet:"admin1,optional"`   // null for the whole country
	Period      string  `parquet:"period"`            // day, week or month
	PeriodStart int32   `parquet:"period_start,date"` // days since 1970-01-01 (see epochDay)
	PeriodEnd   int32   `parquet:"period_end,date"`   // the period's last day
	Name        string  `parquet:"name"`
	Value       float64 `parquet:"value"`
}

func newIndicatorRow(v *indicator.Value) indicatorRow {
	return indicatorRow{Country: v.Country, Admin1: optString(v.Admin1), Period: string(v.Kind),
		PeriodStart: epochDay(v.Start), PeriodEnd: epochDay(v.Kind.Next(v.Start).AddDate(0, 0, -1)), Name: v.Name, Value: v.Value}
}

// indicatorColumns are the columns of an indicator export, with their
// HXL hashtags.
var indicatorColumns = []column[indicatorRow]{
	{"country", "#country+code", text, func(r *indicatorRow) string { return r.Country }},
	{"admin1", "#adm1+name", text, func(r *indicatorRow) string { return deref(r.Admin1) }},
	{"period", "#meta+period", text, func(r *indicatorRow) string { return r.Period }},
	{"period_start", "#date+start", text, func(r *indicatorRow) string { return dayText(r.PeriodStart) }},
	{"period_end", "#date+end", text, func(r *indicatorRow) string { return dayText(r.PeriodEnd) }},
	{"name", "#indicator+name", text, func(r *indicatorRow) string { return r.Name }},
	{"value", "#indicator+value+num", number, func(r *indicatorRow) string {
		return strconv.FormatFloat(r.Value, 'f', -1, 64)
	}},
}

// Indicators writes the stored indicators matching q to w in format (not
// GeoJSON: indicators have no coordinates), ordered by country, admin-1
// area, period kind, period start and name, reading them PageSize at a
// time.
func Indicators(ctx context.Context, st IndicatorStore, w io.Writer, format Format, q store.IndicatorQuery, o Options) (Result, error) {
	o = o.withDefaults()
	var (
		out sink[indicatorRow]
		err error
	)
	switch format {
	case CSV, HXL:
		out, err = newCSVSink(w, indicatorColumns, format == HXL)
	case Parquet:
		out = newParquetSink[indicatorRow](w, o.RowGroupRows)
	default:
		return Result{}, fmt.Errorf("export indicators as %q: %w", format, ErrUnsupported)
	}
	if err != nil {
		return Result{}, fmt.Errorf("export indicators: %w", err)
	}
	var (
		res   Result
		after *store.IndicatorKey
	)
	for {
		page, err := st.IndicatorsAfter(ctx, q, after, o.PageSize)
		if err != nil {
			return res, fmt.Errorf("export indicators: %w", err)
		}
		for i := range page {
			r := newIndicatorRow(&page[i])
			if err := out.write(&r); err != nil {
				return res, fmt.Errorf("export indicators: %w", err)
			}
			res.Rows++
		}
		if len(page) < o.PageSize {
			break
		}
		k := store.KeyOf(page[len(page)-1])
		after = &k
	}
	if err := out.close(); err != nil {
		return res, fmt.Errorf("export indicators: %w", err)
	}
	return res, nil
}
