package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/notify"
	"threshold/internal/server"
)

// FieldReports is field reporting as the API serves it.
// *fieldreport.Service implements it. Every method takes the caller as a
// fieldreport.Viewer: what it may see of a reporter is the service's
// business, so no handler can leak an identity by forgetting a check.
type FieldReports interface {
	Submit(ctx context.Context, v fieldreport.Viewer, channel string, r fieldreport.Report, ups []fieldreport.Upload) (fieldreport.Report, error)
	Get(ctx context.Context, v fieldreport.Viewer, id int64) (fieldreport.Report, error)
	List(ctx context.Context, v fieldreport.Viewer, q fieldreport.Query) ([]fieldreport.Report, error)
	Move(ctx context.Context, v fieldreport.Viewer, id int64, t fieldreport.Transition) (fieldreport.Report, error)
	Refuse(ctx context.Context, v fieldreport.Viewer, id int64) ([]fieldreport.Link, error)
	Attachment(ctx context.Context, reportID, id int64) (fieldreport.Attached, []byte, error)
	Purge(ctx context.Context, v fieldreport.Viewer, olderThan time.Duration) ([]int64, error)
	SaveMonitor(ctx context.Context, v fieldreport.Viewer, m fieldreport.Monitor) (fieldreport.Monitor, error)
	Monitors(ctx context.Context, v fieldreport.Viewer) ([]fieldreport.Monitor, error)
	SilentAreas(ctx context.Context, v fieldreport.Viewer) ([]fieldreport.Silent, error)
}

// Gateways finds an inbound messaging gateway by name;
// fieldreport.GatewayFromEnv over os.Getenv is the usual one.
type Gateways func(name string) (fieldreport.Gateway, bool)

// Who may do what with field reports. Every role may submit (a partner
// system's token needs the write scope) and read them (without reporters'
// identities unless entitled, see package fieldreport); analysts and
// admins verify and manage monitors; admins purge contact details.
var (
	reportReaders    = auth.Everyone()
	reportSubmitters = auth.AllowWrite(auth.Roles()...)
	reportVerifiers  = auth.AllowWrite(auth.Admin, auth.Analyst)
	reportAnalysts   = auth.Allow(auth.Admin, auth.Analyst)
	reportAdmins     = auth.AllowWrite(auth.Admin)
)

// Limits of the field report endpoints.
const (
	maxReportBody    = 16 << 20 // a report with its attachments, base64
	gatewayTolerance = 5 * time.Minute
)

const identityNote = " Reporters' identities (pseudonym, contact details) appear only for admins and analysts of the " +
	"receiving organisation; contact details only in a single report, and each such read is audited."

// Moving a report and recomputing its links are PUTs: a POST to
// /field-reports/{id}/... would clash with the gateway webhook's
// /field-reports/inbound/{gateway}.
func (a *API) registerFieldReports() {
	handle(a, huma.Operation{
		OperationID: "create-field-report", Method: http.MethodPost, Path: Prefix + "/field-reports",
		Summary: "Submit a field report",
		Description: "Takes in a report from a partner system: what happened, where, when, who was involved, " +
			"casualties, category, the reporter's confidence, the reporter (anonymous, a pseudonym or contact details, " +
			"which are stored encrypted and refused if the server has no key) and attachments (base64; JPEG and PNG " +
			"are re-encoded without metadata, PDF kept as sent, anything else refused, at most 5 MiB each). " +
			"The report starts unverified and is linked to matching events and reports; a flash report raises an " +
			"unverified alert at once.",
		Tags: []string{"field reports"}, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, reportSubmitters, limits{maxBody: maxReportBody}, a.createFieldReport)
	handle(a, huma.Operation{
		OperationID: "list-field-reports", Method: http.MethodGet, Path: Prefix + "/field-reports",
		Summary:     "List field reports",
		Description: "Reports newest first, filtered by status, country and admin-1 area; format=csv exports them." + identityNote,
		Tags:        []string{"field reports"},
	}, reportReaders, limits{}, a.listFieldReports)
	documentCSV(a, http.MethodGet, Prefix+"/field-reports", reflect.TypeFor[reportsBody]())
	handle(a, huma.Operation{
		OperationID: "get-field-report", Method: http.MethodGet, Path: Prefix + "/field-reports/{id}",
		Summary:     "Get a field report",
		Description: "One report with its attachments, fusion links and verification history." + identityNote,
		Tags:        []string{"field reports"}, Errors: []int{http.StatusNotFound},
	}, reportReaders, limits{}, a.getFieldReport)
	handle(a, huma.Operation{
		OperationID: "move-field-report", Method: http.MethodPut, Path: Prefix + "/field-reports/{id}/status",
		Summary: "Move a field report through verification",
		Description: "unverified → under-review → verified, rejected or duplicate (with duplicate_of); under-review may " +
			"go back to unverified. A reason is required, evidence recorded, every step audited. A verified report " +
			"becomes an event of source field-report and counts in indicators and alerts.",
		Tags:   []string{"field reports"},
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, reportVerifiers, limits{maxBody: 64 << 10}, a.moveFieldReport)
	handle(a, huma.Operation{
		OperationID: "fuse-field-report", Method: http.MethodPut, Path: Prefix + "/field-reports/{id}/links",
		Summary:     "Link a field report to events again",
		Description: "Recomputes the report's links to matching events and reports, as data sets arrive after it.",
		Tags:        []string{"field reports"}, Errors: []int{http.StatusNotFound},
	}, reportVerifiers, limits{}, a.fuseFieldReport)
	handle(a, huma.Operation{
		OperationID: "get-field-report-attachment", Method: http.MethodGet,
		Path:        Prefix + "/field-reports/{id}/attachments/{attachment}",
		Summary:     "Download a field report's attachment",
		Description: "The attachment as cleaned on intake, always as a download.",
		Tags:        []string{"field reports"}, Errors: []int{http.StatusNotFound},
	}, reportReaders, limits{}, a.getFieldReportAttachment)
	handle(a, huma.Operation{
		OperationID: "purge-field-report-contacts", Method: http.MethodPost, Path: Prefix + "/field-reports/purge",
		Summary:     "Delete old contact details",
		Description: "Deletes the contact details of reports received more than older_than_days ago, keeping the reports.",
		Tags:        []string{"field reports"}, Errors: []int{http.StatusUnprocessableEntity},
	}, reportAdmins, limits{maxBody: 1 << 10}, a.purgeFieldReports)
	handle(a, huma.Operation{
		OperationID: "list-field-monitors", Method: http.MethodGet, Path: Prefix + "/field-monitors",
		Summary:     "List field monitors",
		Description: "The monitors of the caller's organisation (admins: all), the areas they cover and their last report.",
		Tags:        []string{"field reports"},
	}, reportAnalysts, limits{}, a.listFieldMonitors)
	handle(a, huma.Operation{
		OperationID: "save-field-monitor", Method: http.MethodPost, Path: Prefix + "/field-monitors",
		Summary:     "Add or change a field monitor",
		Description: "With no id, adds a monitor; with one, replaces it (name, areas, expected interval, active).",
		Tags:        []string{"field reports"}, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, reportVerifiers, limits{maxBody: 64 << 10}, a.saveFieldMonitor)
	handle(a, huma.Operation{
		OperationID: "list-silent-areas", Method: http.MethodGet, Path: Prefix + "/field-monitors/silent",
		Summary:     "List silent areas",
		Description: "Areas active monitors cover that have sent no report for longer than expected, quietest first.",
		Tags:        []string{"field reports"},
	}, reportAnalysts, limits{}, a.listSilentAreas)
	if a.deps.Gateways != nil {
		a.registerInbound()
	}
}

// reportViewer is the caller as a field report viewer.
func (in *remoteInput) reportViewer(ctx context.Context) fieldreport.Viewer {
	return fieldreport.ViewerOf(server.PrincipalFrom(ctx), in.remote)
}

// reportProblem turns fieldreport's errors into responses.
func reportProblem(err error) error {
	var se huma.StatusError
	switch {
	case errors.As(err, &se):
		return err
	case errors.Is(err, fieldreport.ErrNotFound):
		return huma.Error404NotFound("not found")
	case errors.Is(err, fieldreport.ErrForbidden):
		return huma.Error403Forbidden(err.Error())
	case errors.Is(err, fieldreport.ErrInvalidTransition), errors.Is(err, fieldreport.ErrConflict):
		return huma.Error409Conflict(err.Error())
	case errors.Is(err, fieldreport.ErrInvalid), errors.Is(err, fieldreport.ErrNoKey):
		return huma.Error422UnprocessableEntity(err.Error())
	}
	return err
}

// reportJSON is a report as the API writes it: JSON with <, > and &
// escaped (\u003c...), so that text a reporter typed stays inert even in
// a client that mishandles the content type.
type reportJSON fieldreport.Report

func (r reportJSON) MarshalJSON() ([]byte, error) { return json.Marshal(fieldreport.Report(r)) }

type reportFields struct {
	What        string                    `json:"what" maxLength:"4000" doc:"What happened, in the reporter's words."`
	Country     string                    `json:"country" pattern:"^[A-Za-z]{3}$" doc:"ISO 3166-1 alpha-3."`
	Admin1      string                    `json:"admin1,omitempty" maxLength:"200"`
	Place       string                    `json:"place,omitempty" maxLength:"200"`
	Latitude    *float64                  `json:"latitude,omitempty" minimum:"-90" maximum:"90"`
	Longitude   *float64                  `json:"longitude,omitempty" minimum:"-180" maximum:"180"`
	Date        string                    `json:"date" format:"date" doc:"The day it happened, YYYY-MM-DD."`
	Involved    string                    `json:"involved,omitempty" maxLength:"1000"`
	Casualties  *int                      `json:"casualties,omitempty" minimum:"0"`
	Category    string                    `json:"category" doc:"An event category: battle, violence-against-civilians, riot, protest, ..."`
	Confidence  string                    `json:"confidence" enum:"witnessed,reliable,rumour"`
	Flash       bool                      `json:"flash,omitempty"`
	Reporter    *fieldreport.Reporter     `json:"reporter,omitempty"`
	ExternalID  string                    `json:"external_id,omitempty" maxLength:"200" doc:"The partner system's own id; a repeat is a 409."`
	MonitorID   int64                     `json:"monitor_id,omitempty"`
	Attachments []fieldreport.InboundFile `json:"attachments,omitempty" maxItems:"5"`
}

type createReportInput struct {
	remoteInput
	Body reportFields
}

type reportOutput struct {
	Body reportJSON
}

func (a *API) createFieldReport(ctx context.Context, in *createReportInput) (*reportOutput, error) {
	b := in.Body
	day, err := time.Parse(time.DateOnly, b.Date)
	if err != nil {
		return nil, invalid("body.date", "not YYYY-MM-DD", b.Date)
	}
	ups := make([]fieldreport.Upload, 0, len(b.Attachments))
	for i, f := range b.Attachments {
		data, err := base64.StdEncoding.DecodeString(f.Data)
		if err != nil {
			return nil, invalid(fmt.Sprintf("body.attachments[%d].data", i), "not base64", nil)
		}
		ups = append(ups, fieldreport.Upload{Name: f.Name, Data: data})
	}
	r := fieldreport.Report{What: b.What, Country: strings.ToUpper(b.Country), Admin1: b.Admin1, Place: b.Place,
		Latitude: b.Latitude, Longitude: b.Longitude, Date: day, Involved: b.Involved, Casualties: b.Casualties,
		Category: event.Category(b.Category), Confidence: fieldreport.Confidence(b.Confidence), Flash: b.Flash,
		Reporter: b.Reporter, ExternalID: b.ExternalID, MonitorID: b.MonitorID}
	out, err := a.deps.FieldReports.Submit(ctx, in.reportViewer(ctx), "api", r, ups)
	if err != nil {
		return nil, reportProblem(err)
	}
	return &reportOutput{Body: reportJSON(out)}, nil
}

type reportsInput struct {
	remoteInput
	Format  string   `query:"format" enum:"json,csv" default:"json" doc:"json, or csv to export."`
	Status  []string `query:"status" enum:"unverified,under-review,verified,rejected,duplicate"`
	Country string   `query:"country" pattern:"^[A-Za-z]{3}$"`
	Admin1  string   `query:"admin1" maxLength:"200"`
	Limit   int      `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type reportsBody struct {
	Items []reportJSON `json:"items"`
}

func (a *API) listFieldReports(ctx context.Context, in *reportsInput) (*exportOutput, error) {
	q := fieldreport.Query{Country: strings.ToUpper(in.Country), Admin1: in.Admin1, Limit: in.Limit}
	for _, s := range in.Status {
		q.Status = append(q.Status, fieldreport.Status(s))
	}
	rs, err := a.deps.FieldReports.List(ctx, in.reportViewer(ctx), q)
	if err != nil {
		return nil, reportProblem(err)
	}
	if in.Format == "csv" {
		rows := [][]string{{"id", "status", "received_at", "date", "country", "admin1", "place", "latitude", "longitude",
			"category", "casualties", "confidence", "flash", "involved", "what", "channel", "event", "duplicate_of", "reporter"}}
		for _, r := range rs {
			f := func(p *float64) string {
				if p == nil {
					return ""
				}
				return strconv.FormatFloat(*p, 'f', -1, 64)
			}
			cas, who := "", ""
			if r.Casualties != nil {
				cas = strconv.Itoa(*r.Casualties)
			}
			if r.Reporter != nil { // only for a viewer entitled to it, and never the contact
				who = string(r.Reporter.Kind)
				if r.Reporter.Pseudonym != "" {
					who += ":" + r.Reporter.Pseudonym
				}
			}
			dup := ""
			if r.DuplicateOf != 0 {
				dup = strconv.FormatInt(r.DuplicateOf, 10)
			}
			rows = append(rows, []string{strconv.FormatInt(r.ID, 10), string(r.Status), r.ReceivedAt.Format(time.RFC3339),
				r.Date.Format(time.DateOnly), r.Country, r.Admin1, r.Place, f(r.Latitude), f(r.Longitude), string(r.Category),
				cas, string(r.Confidence), strconv.FormatBool(r.Flash), r.Involved, r.What, r.Channel, r.EventID, dup, who})
		}
		return csvOutput("field-reports.csv", rows)
	}
	items := make([]reportJSON, len(rs))
	for i, r := range rs {
		items[i] = reportJSON(r)
	}
	return &exportOutput{ContentType: "application/json", Body: reportsBody{Items: items}}, nil
}

type reportIDInput struct {
	remoteInput
	ID int64 `path:"id" minimum:"1"`
}

func (a *API) getFieldReport(ctx context.Context, in *reportIDInput) (*reportOutput, error) {
	r, err := a.deps.FieldReports.Get(ctx, in.reportViewer(ctx), in.ID)
	if err != nil {
		return nil, reportProblem(err)
	}
	return &reportOutput{Body: reportJSON(r)}, nil
}

type moveReportInput struct {
	remoteInput
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		To          string `json:"to" enum:"unverified,under-review,verified,rejected,duplicate"`
		Reason      string `json:"reason" minLength:"1" maxLength:"2000"`
		Evidence    string `json:"evidence,omitempty" maxLength:"4000"`
		DuplicateOf int64  `json:"duplicate_of,omitempty" minimum:"0" doc:"The report this one repeats (to duplicate)."`
		Version     int64  `json:"version,omitempty" minimum:"0" doc:"If given, the report's version: a report changed since is a 409."`
	}
}

func (a *API) moveFieldReport(ctx context.Context, in *moveReportInput) (*reportOutput, error) {
	b := in.Body
	r, err := a.deps.FieldReports.Move(ctx, in.reportViewer(ctx), in.ID, fieldreport.Transition{To: fieldreport.Status(b.To),
		Reason: b.Reason, Evidence: b.Evidence, DuplicateOf: b.DuplicateOf, Version: b.Version})
	if err != nil {
		return nil, reportProblem(err)
	}
	return &reportOutput{Body: reportJSON(r)}, nil
}

type linksOutput struct {
	Body struct {
		Links []fieldreport.Link `json:"links"`
	}
}

func (a *API) fuseFieldReport(ctx context.Context, in *reportIDInput) (*linksOutput, error) {
	ls, err := a.deps.FieldReports.Refuse(ctx, in.reportViewer(ctx), in.ID)
	if err != nil {
		return nil, reportProblem(err)
	}
	out := &linksOutput{}
	out.Body.Links = append([]fieldreport.Link{}, ls...)
	return out, nil
}

type attachmentInput struct {
	ID         int64 `path:"id" minimum:"1"`
	Attachment int64 `path:"attachment" minimum:"1"`
}

type attachmentOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func (a *API) getFieldReportAttachment(ctx context.Context, in *attachmentInput) (*attachmentOutput, error) {
	att, data, err := a.deps.FieldReports.Attachment(ctx, in.ID, in.Attachment)
	if err != nil {
		return nil, reportProblem(err)
	}
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[att.Type]
	return &attachmentOutput{ContentType: att.Type, Body: data,
		ContentDisposition: fmt.Sprintf(`attachment; filename="report-%d-%d%s"`, in.ID, att.ID, ext)}, nil
}

type purgeInput struct {
	remoteInput
	Body struct {
		OlderThanDays int `json:"older_than_days" minimum:"1" maximum:"36500"`
	}
}

type purgeOutput struct {
	Body struct {
		Purged []int64 `json:"purged" doc:"The reports whose contact details were deleted."`
	}
}

func (a *API) purgeFieldReports(ctx context.Context, in *purgeInput) (*purgeOutput, error) {
	ids, err := a.deps.FieldReports.Purge(ctx, in.reportViewer(ctx), time.Duration(in.Body.OlderThanDays)*24*time.Hour)
	if err != nil {
		return nil, reportProblem(err)
	}
	out := &purgeOutput{}
	out.Body.Purged = append([]int64{}, ids...)
	return out, nil
}

type monitorsOutput struct {
	Body struct {
		Items []fieldreport.Monitor `json:"items"`
	}
}

func (a *API) listFieldMonitors(ctx context.Context, in *remoteInput) (*monitorsOutput, error) {
	ms, err := a.deps.FieldReports.Monitors(ctx, in.reportViewer(ctx))
	if err != nil {
		return nil, reportProblem(err)
	}
	out := &monitorsOutput{}
	out.Body.Items = append([]fieldreport.Monitor{}, ms...)
	return out, nil
}

type saveMonitorInput struct {
	remoteInput
	Body fieldreport.Monitor
}

type monitorOutput struct {
	Body fieldreport.Monitor
}

func (a *API) saveFieldMonitor(ctx context.Context, in *saveMonitorInput) (*monitorOutput, error) {
	m, err := a.deps.FieldReports.SaveMonitor(ctx, in.reportViewer(ctx), in.Body)
	if err != nil {
		return nil, reportProblem(err)
	}
	return &monitorOutput{Body: m}, nil
}

type silentOutput struct {
	Body struct {
		Items []fieldreport.Silent `json:"items"`
	}
}

func (a *API) listSilentAreas(ctx context.Context, in *remoteInput) (*silentOutput, error) {
	ss, err := a.deps.FieldReports.SilentAreas(ctx, in.reportViewer(ctx))
	if err != nil {
		return nil, reportProblem(err)
	}
	out := &silentOutput{}
	out.Body.Items = append([]fieldreport.Silent{}, ss...)
	return out, nil
}

// replayCache remembers the signatures of accepted gateway requests for
// the signature tolerance, so that a captured request replayed within it
// is refused like a forged one.
type replayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// fresh records sig at now and reports whether it was not seen within
// the tolerance.
func (c *replayCache) fresh(sig string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, t := range c.seen {
		if now.Sub(t) > 2*gatewayTolerance {
			delete(c.seen, k)
		}
	}
	if _, ok := c.seen[sig]; ok {
		return false
	}
	c.seen[sig] = now
	return true
}

// registerInbound registers the gateway webhook: public (the gateway
// has no session or token), guarded by the signature instead, and
// documented with the payload's schema.
func (a *API) registerInbound() {
	replays := &replayCache{seen: map[string]time.Time{}}
	path := Prefix + "/field-reports/inbound/{gateway}"
	huma.Register(a.huma, huma.Operation{
		OperationID: "inbound-field-report", Method: http.MethodPost, Path: path,
		Summary: "Receive a field report from an SMS or messaging gateway",
		Description: "The gateway posts one report as JSON, signed with its secret (THRESHOLD_GATEWAY_<NAME>_SECRET) " +
			"as Threshold signs its own webhooks: X-Threshold-Timestamp (Unix seconds, within 5 minutes of the " +
			"server's clock) and X-Threshold-Signature \"sha256=\" + hex HMAC-SHA256(secret, timestamp + \".\" + body). " +
			"An unknown gateway, a missing, wrong or stale signature and a replayed request are the same 401, and " +
			"nothing is stored; a message_id already received is a 409. Contact details are stored encrypted; the " +
			"response says only the report's id and status. Public: no token or session.",
		Tags: []string{"field reports"}, DefaultStatus: http.StatusCreated, MaxBodyBytes: maxReportBody,
		Security: []map[string][]string{},
		// The body is checked against its signature before it is parsed
		// at all; ParseInbound then validates it.
		SkipValidateBody: true,
		Errors:           []int{http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *inboundInput) (*inboundOutput, error) {
		out, err := a.inboundFieldReport(ctx, in, replays)
		if err != nil {
			return nil, a.problem(ctx, err)
		}
		return out, nil
	})
	if op := a.huma.OpenAPI().Paths[path]; op != nil && op.Post != nil && op.Post.RequestBody != nil {
		op.Post.RequestBody.Content["application/json"].Schema =
			a.huma.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[fieldreport.Inbound](), true, "")
	}
	a.routes.Add(server.Route{Method: http.MethodPost, Pattern: path, Public: true,
		Handler: a.mux.take(http.MethodPost + " " + path), MaxBody: maxReportBody, Timeout: time.Minute})
}

type inboundInput struct {
	remoteInput
	Gateway   string `path:"gateway" doc:"The gateway's name, as in THRESHOLD_GATEWAY_<NAME>_SECRET (lower case, - for _)."`
	Timestamp string `header:"X-Threshold-Timestamp" doc:"When the gateway signed the request, Unix seconds."`
	Signature string `header:"X-Threshold-Signature" doc:"sha256= and the hex HMAC-SHA256 of the timestamp, a full stop and the body."`
	RawBody   []byte `contentType:"application/json"`
}

type inboundOutput struct {
	Body struct {
		ID     int64              `json:"id"`
		Status fieldreport.Status `json:"status"`
	}
}

// inboundFieldReport takes a report from a messaging gateway. An unknown
// gateway, a bad or stale signature and a replayed request are all the
// same 401, before anything is parsed or stored.
func (a *API) inboundFieldReport(ctx context.Context, in *inboundInput, replays *replayCache) (*inboundOutput, error) {
	now := a.now()
	g, ok := a.deps.Gateways(in.Gateway)
	if !ok {
		a.log.WarnContext(ctx, "field report from an unknown gateway refused", "gateway", in.Gateway)
		return nil, huma.Error401Unauthorized("signature not valid")
	}
	h := http.Header{}
	h.Set("X-Threshold-Timestamp", in.Timestamp)
	h.Set("X-Threshold-Signature", in.Signature)
	if err := notify.Verify(g.Secret, h, in.RawBody, now, gatewayTolerance); err != nil {
		a.log.WarnContext(ctx, "field report with a bad signature refused", "gateway", in.Gateway, "err", err)
		return nil, huma.Error401Unauthorized("signature not valid")
	}
	sum := sha256.Sum256(append([]byte(in.Timestamp+"."), in.RawBody...))
	if !replays.fresh(in.Gateway+":"+base64.RawStdEncoding.EncodeToString(sum[:]), now) {
		a.log.WarnContext(ctx, "replayed gateway request refused", "gateway", in.Gateway)
		return nil, huma.Error401Unauthorized("request already received")
	}
	rep, ups, err := fieldreport.ParseInbound(in.Gateway, in.RawBody)
	if err != nil {
		return nil, reportProblem(err)
	}
	rep.OrgID = g.OrgID
	v := fieldreport.Viewer{Actor: "gateway:" + in.Gateway, OrgID: g.OrgID, Remote: in.remote}
	saved, err := a.deps.FieldReports.Submit(ctx, v, rep.Channel, rep, ups)
	if errors.Is(err, fieldreport.ErrConflict) {
		return nil, huma.Error409Conflict("message_id already received")
	} else if err != nil {
		return nil, reportProblem(err)
	}
	out := &inboundOutput{}
	out.Body.ID, out.Body.Status = saved.ID, saved.Status
	return out, nil
}
