package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"threshold/internal/alert"
)

// Payload is the JSON body of a webhook delivery: the message's fields and
// the delivery's.
type Payload struct {
	DeliveryID string `json:"delivery_id"` // as X-Threshold-Delivery
	Attempt    int    `json:"attempt"`     // 1 for the first attempt
	Receiver   string `json:"receiver"`
	alert.Message
}

// attemptResult is the outcome of one delivery attempt.
type attemptResult struct {
	err        error // nil: delivered
	permanent  bool  // retrying cannot help
	httpStatus int   // webhook response status, 0 if none
}

func permanent(err error) attemptResult { return attemptResult{err: err, permanent: true} }

// sendWebhook makes one attempt to deliver a to its webhook.
func (n *Notifier) sendWebhook(ctx context.Context, a deliveryArgs, attempt int) attemptResult {
	u, err := url.Parse(a.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return permanent(fmt.Errorf("webhook URL %q is not an http or https URL", a.Target))
	}
	var secret []byte
	if a.SecretEnv != "" {
		s, ok := n.cfg.LookupEnv(a.SecretEnv)
		if !ok || s == "" {
			return permanent(fmt.Errorf("webhook secret: environment variable %s is not set; not sending unsigned", a.SecretEnv))
		}
		secret = []byte(s)
	}
	body, err := json.Marshal(Payload{DeliveryID: a.ID, Attempt: attempt, Receiver: a.Receiver, Message: a.Message})
	if err != nil {
		return permanent(fmt.Errorf("encode webhook body: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Target, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("webhook request: %w", err))
	}
	ts := n.cfg.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "threshold")
	req.Header.Set(HeaderDelivery, a.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	if secret != nil {
		req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	}
	resp, err := n.cfg.HTTPClient.Do(req)
	if err != nil {
		// Network errors, timeouts, refused connections: the receiver
		// may be back later.
		return attemptResult{err: fmt.Errorf("webhook: %w", err)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	res := attemptResult{httpStatus: resp.StatusCode}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return res
	case c >= 500, c == http.StatusTooManyRequests, c == http.StatusRequestTimeout:
		res.err = statusError(resp.Status, snippet)
	default:
		res.err = statusError(resp.Status, snippet)
		res.permanent = true
	}
	return res
}

func statusError(status string, body []byte) error {
	text := strings.TrimSpace(strings.ToValidUTF8(string(body), "?"))
	if text == "" {
		return errors.New("webhook answered " + status)
	}
	return fmt.Errorf("webhook answered %s: %s", status, truncate(text, 200))
}
