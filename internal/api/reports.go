package api

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/casework"
)

func (a *API) registerReports() {
	handle(a, huma.Operation{
		OperationID: "warning-to-action-report", Method: http.MethodGet, Path: Prefix + "/reports/warning-to-action",
		Summary: "Warning-to-action time",
		Description: "From each alert's firing to the first action linked to it that followed, over the cases the " +
			"caller may see: count, median and 90th percentile (nearest rank), in days, overall and per case, lead " +
			"office, region and quarter of the firing; and the unanswered warnings (alerts still firing or " +
			"acknowledged that no action answers) older than unanswered_days, oldest first. format=csv exports it " +
			"as one table: a row per group, then a row per unanswered warning." + needToKnow,
		Tags: []string{"cases"},
	}, alertReaders, limits{}, a.warningToAction)
	documentCSV(a, http.MethodGet, Prefix+"/reports/warning-to-action", reflect.TypeFor[casework.Report]())
}

type reportInput struct {
	remoteInput
	Format         string `query:"format" enum:"json,csv" default:"json" doc:"json, or csv to export."`
	UnansweredDays int    `query:"unanswered_days" minimum:"0" maximum:"3650" default:"14" doc:"List unanswered warnings fired more than this many days ago."`
}

func (a *API) warningToAction(ctx context.Context, in *reportInput) (*exportOutput, error) {
	rep, err := a.deps.Cases.Report(ctx, in.viewer(ctx), time.Duration(in.UnansweredDays)*24*time.Hour)
	if err != nil {
		return nil, caseProblem(err)
	}
	if in.Format != "csv" {
		return &exportOutput{ContentType: "application/json", Body: rep}, nil
	}
	return csvOutput("warning-to-action.csv", ReportRows(rep))
}

// ReportRows is the warning-to-action report as one table: a header, a
// row per group (overall, case, office, region, quarter) with its count,
// median and 90th percentile in days, then a row per unanswered warning.
func ReportRows(rep casework.Report) [][]string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
	rows := [][]string{{"group", "key", "title", "count", "median_days", "p90_days", "alert_id", "country", "fired_at", "age_days"}}
	add := func(group string, ss ...casework.Summary) {
		for _, s := range ss {
			rows = append(rows, []string{group, s.Key, s.Title, strconv.Itoa(s.Count), f(s.MedianDays), f(s.P90Days), "", "", "", ""})
		}
	}
	add("overall", rep.Overall)
	add("case", rep.ByCase...)
	add("office", rep.ByOffice...)
	add("region", rep.ByRegion...)
	add("quarter", rep.ByQuarter...)
	for _, w := range rep.Unanswered {
		rows = append(rows, []string{"unanswered", w.Rule, w.Title, "", "", "", strconv.FormatInt(w.AlertID, 10), w.Country,
			w.FiredAt.Format(time.RFC3339), f(w.AgeDays)})
	}
	return rows
}
