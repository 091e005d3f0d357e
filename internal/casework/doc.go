// Package casework is the action half of Threshold's loop: cases (the
// situations under watch), the actions taken on them, and the time from a
// warning to the first action that answers it.
//
// # Cases and actions
//
// A Case is a situation under watch: a title, its places (countries by
// ISO alpha-3 code, each optionally narrowed to admin-1 areas; several
// countries for a cross-border issue such as shared water), a status with
// its history (monitoring, active preventive engagement, crisis,
// follow-through, closed), a lead office, responsible staff (users'
// emails), a confidentiality level, the organisation that owns it and the
// organisations it is shared with.
//
// An Action is one use of a diplomatic tool on a case (a statement, good
// offices, an envoy dispatch, ...), with its date, actors, partner
// organisations, outcome notes and the alerts it answers. Linking an
// action to an alert records the decision on the alert: a firing or
// acknowledged alert is moved to actioned through the alert Manager, with
// the action in its note. The note names the case only when the case is
// public; for any other case it says only that an action was recorded
// in casework, since the alert inbox is read more widely than the case.
//
// # Need-to-know
//
// Access to cases is closed by default and opened by explicit decision. A
// Viewer (the signed-in Principal, or a named user on the command line)
// sees a case when both hold:
//
//  1. Its organisation is the case's owner or on the case's sharing list.
//     Nobody else can learn that the case exists: reading it by id is
//     not found (a 404, never a 403), and it is absent from lists,
//     searches, counts, exports, actions and the warning-to-action report.
//  2. Its clearance covers the case's confidentiality, or the viewer is
//     listed among the case's responsible staff.
//
// Clearance is by role:
//
//	partner-viewer    public, internal
//	mediation-expert  public, internal
//	desk-officer      public, internal, confidential
//	analyst           public, internal, confidential
//	admin             every level, strictly confidential included
//
// Strictly confidential cases are therefore seen by admins of the
// organisations admitted and by the staff named on the case; a mediation
// expert sees confidential cases only when named on them (deployed to
// them). Public is the lowest level, not an exception to the sharing
// rule: a public case too is seen only by its owner and the
// organisations it is shared with.
//
// A case with no responsible staff gets its creator, so that whoever opens
// a case can read it back. The rule is applied in one place: the store
// turns a Viewer into one SQL condition that every read of cases,
// actions and report rows carries (store.caseAccess). The CLI operator,
// who holds the database itself, may act as Everyone, which the filter
// lets through unrestricted; with --as EMAIL the CLI applies that user's
// rules.
//
// Only users of the owner organisation with a write role (admin, analyst,
// desk-officer) change a case and its sharing list; users of an admitted
// organisation with a write role may log actions on it.
//
// Every read of a confidential or strictly confidential case (one case,
// or lists and exports that hold one) is recorded in the audit log as
// "read.confidential", and every change as "case.*": creation, update,
// status change, sharing and unsharing, and actions. Audit entries name
// cases by id only, never by title.
//
// # Warning-to-action time
//
// An alert is one episode of one rule's condition holding for one place
// (package alert). Its warning-to-action time is from the alert's FiredAt
// to the first action, linked to it, dated at or after it. Compute (and
// Service.Report over the cases a viewer sees) summarises those times per
// case, per lead office, per region (the UN M49 region of the alert's
// country) and per quarter of the firing: count, median and 90th
// percentile (nearest rank). It lists the unanswered warnings older than a
// given age, oldest first: alerts no case action is linked to and nobody
// has decided on in the inbox (still firing or acknowledged).
package casework
