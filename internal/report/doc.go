// Package report drafts the monthly tracker and the country briefs from
// the database, and writes them as PDF, HTML, Markdown, JSON and CSV.
//
// # The monthly tracker
//
// For every country in scope (given, or every country with events stored
// in the month, kept to a UN M49 region, subregion or intermediate region)
// the tracker makes a call for the month in the manner of Crisis Group's
// CrisisWatch: a trend (deteriorated, improved or unchanged) and two
// flags, conflict risk alert and resolution opportunity. Build drafts the
// call from what the store holds up to the month's end, and lists the
// evidence for it: each rule below with the figures it looked at and
// whether it was met. Every figure is read from the store; nothing is
// estimated here.
//
// The drafting rules (deaths are the monthly country indicator
// fatalities_best; the thresholds are constants of this package):
//
//	D1 deteriorated  deaths >= ActiveDeaths (25), >= RiseFactor (2) x the mean
//	                 of the 12 months before, and more than the month before
//	D2 deteriorated  an alarm of detect.Detect on the month's deaths or events
//	                 (surprise p <= 0.001 or CUSUM for a doubling at odds of
//	                 100:1, against the 24 months before; monthly defaults),
//	                 with >= SurpriseDeaths (10) deaths
//	D3 deteriorated  a critical alert opened on data of the month
//	I1 improved      no D rule met; the 3 months before averaged >= 25 deaths
//	                 and the month had <= FallFactor (half) of that mean
//	   unchanged     neither
//	R1 risk alert    CUSUM alarm on deaths, with >= 25 deaths in the month
//	R2 risk alert    a critical alert opened on data of the month
//	R3 risk alert    a stored forecast for a month ahead, made from data up to
//	                 the month's end: onset >= RiskOnset (30%), active >=
//	                 RiskActive (50%), or a deaths forecast whose 80% interval
//	                 reaches 25 and 2 x the 12-month mean
//	O1 opportunity   an agreement signed, or one of its provisions moved to a
//	                 higher implementation status, in the month
//	O2 opportunity   deaths fell to <= LullFactor (a quarter) of a 3-month
//	                 mean of >= 25, with no detector alarm or critical alert
//
// RESULTS.md sets the drafts beside what followed them, for the Central
// African Republic and Mexico from 2012 to 2022.
//
// An analyst reviews the calls: Tracker.Override records a call in place
// of the draft with a reason (required), who made it and when, keeps the
// draft beside it (store.TrackerCall) and writes "tracker.override" to the
// audit log. The report prints the override and the draft it replaced.
//
// # The country brief
//
// Each country's section is its brief: the call and its evidence, a map of
// the events of the month and the two before (Natural Earth outlines from
// internal/web/atlas, a circle per place sized by deaths), the month's
// figures beside the twelve months before, charts of the 24 months, the
// alerts whose episode meets the month, the cases and their actions in the
// month, and the latest forecasts with their 80% intervals and drivers.
//
// # Need-to-know
//
// Cases and actions are read through Cases as the reader (casework's
// need-to-know rule), and agreements through Agreements as the reader, so
// a report holds nothing its reader is not cleared to see, in any format.
//
// # Formats and delivery
//
// Monthly.Write writes PDF (A4, made by go-pdf/fpdf, the map and charts
// drawn as vector paths, text in a core font so that it can be searched),
// HTML (one self-contained document: inline CSS and SVG, no script),
// Markdown, and the calls alone as JSON or CSV. Service serves the
// dashboard; Scheduler.RunDue sends each subscriber (store.ReportSubscription)
// the report of the month just ended, built as that subscriber may read
// it, through the delivery queue (notify.ReportMail), once a month.
package report
