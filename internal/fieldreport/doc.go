// Package fieldreport takes in incident reports from Threshold's field
// monitors and partners, checks them, protects the people who send them
// and puts them beside the event data sets.
//
// A Report says what happened, where (place name, admin-1 area, optional
// WGS84 coordinates), when, who was involved, casualties if known, its
// event.Category and the reporter's confidence, with attachments. It
// arrives through the API (partner systems, with a token) or an SMS or
// messaging gateway's signed webhook (ParseInbound documents the payload;
// the signature is package notify's HMAC-SHA256 scheme with a per-gateway
// secret, so forged and replayed requests store nothing).
//
// Verification: unverified -> under-review -> verified, rejected or
// duplicate (of another report), by analysts and admins, each transition
// with its reason and evidence in the report's history and the audit log.
// A verified report becomes an event of source event.FieldReport written
// through the ingest path (with its row as provenance), and the indicators,
// rules and alerts of its country and day are brought up to date, so only
// verified reports count, unless an alert rule sets include_unverified:
// then it also counts the reports still unverified or under review, as
// PendingEvent makes them (the store's RuleUnverifiedReports serves them to
// package rules, never with their reporter; Options.Pending re-evaluates
// the country's rules when a report arrives or is rejected or marked a
// duplicate, so such rules need not wait for the hourly evaluation). A
// flash report raises an alert at once (rule
// "flash-report", label verified=false) without waiting for verification.
//
// Protection of sources: a reporter is anonymous, a pseudonym, or contact
// details. Contact details are sealed with AES-256-GCM (key
// THRESHOLD_FIELD_REPORT_KEY, 32 bytes in base64) before they reach the
// store; without a key they are refused. Identity (pseudonym and contact)
// is shown only to admins and to analysts of the organisation that
// received the report; every other viewer (partner viewers, analysts of
// another organisation, desk officers) gets reports with no reporter at
// all, in every response and export. Every read of contact details is
// audited, and Purge deletes contact details older than a retention
// period while keeping the report.
//
// Attachments are checked by content, never by name: JPEG and PNG images
// are decoded and re-encoded with the standard library, which drops EXIF,
// GPS and every other metadata block; PDF is kept as sent, with a note
// that it was not cleaned; anything else is refused, as is anything over
// the size limit.
//
// Fusion links each report to the events of the data sets that may
// describe the same incident (same country, same admin-1 area or within
// MaxKm of its coordinates, dates within Days days, same category family)
// and to possible duplicate reports, each with a score in [0, 1] and the
// reason (Match; FUSION.md has its precision and recall on the real CAR
// sample). Links are made on intake, and Relink remakes them for the
// reports still in verification after an ingest. Field monitors are the network: who covers which admin-1 areas,
// their last report, and silent areas, expected to report and quiet for
// longer than a monitor's interval.
package fieldreport
