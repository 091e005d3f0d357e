// Package agreement is the follow-through end of Threshold's loop:
// agreements reached (peace agreements, political accords, water-sharing
// arrangements), the provisions they commit their parties to, and whether
// those provisions are being implemented.
//
// # Agreements and provisions
//
// An Agreement has its name, kind, parties, the day it was signed, its
// countries (ISO alpha-3), the UCDP conflicts it settles (conflict ids), and
// the cases it is linked to (package casework). Each Provision has a
// category (see Categories), a text, a responsible party, an optional
// deadline and an implementation status in the manner of the Peace Accords
// Matrix: not-started, minimal, intermediate, full. Every status change is
// kept with the day it describes, who recorded it, its source and a note;
// a provision's history is never rewritten.
//
// # Import from UCDP
//
// ParseUCDP reads the UCDP Peace Agreement Dataset (v22.1 layout, columns
// found by name). Each row is one agreement: its parties are actor_name,
// its countries the Gleditsch-Ward codes of gwno resolved through package
// geo on the signing day, its conflicts conflict_id. Each provision flag
// that is 1 in the row becomes one provision of the category the codebook
// names (cease: ceasefire, pp: political power-sharing, ddr: disarmament,
// demobilisation and reintegration, ... see Categories). The four summary
// flags (mil_prov, pol_prov, terr_prov, justice_prov) become a provision
// only when none of their specific flags is set, so nothing is counted
// twice; reaffirm (the agreement reaffirms an earlier one) describes the
// agreement, not a commitment, and is not a provision.
//
// UCDP codes which provisions an agreement contains, not how far they were
// implemented, and gives no deadlines. Imported provisions therefore have no
// deadline and the status not-started, recorded as of the signing day by
// "import:ucdp-pa" with a note saying so; implementation is recorded by
// people as it is observed. The agreement-level ended flag and its date
// (the dataset's ended and duration columns) are kept: an agreement that
// ended raises no follow-through alerts. Re-importing a file changes
// nothing that has not changed in it, and never touches recorded statuses.
//
// # Follow-through alerts
//
// Check turns provisions into alert.Firing values as of a day, one per
// rule and country, for the alert Manager to deduplicate, route and notify:
//
//   - provision-overdue: a provision's deadline has passed and its status
//     is below full;
//   - provision-stalled: a provision below full has made no progress (no
//     change to a higher status) for StallAfter (default 180 days), counted
//     from its last progress or, without any, from the day the agreement
//     was signed (or the provision added, if later).
//
// Only agreements that are followed are checked: those linked to a case
// or entered by hand. The 374 imported UCDP agreements are reference data
// until someone links one to a case; otherwise every agreement since 1975
// would raise a stalled alert. An agreement that ended is not checked.
//
// # Access
//
// Agreements are public data, seen by every signed-in user, except one
// linked to a case that is not public: it is seen only by viewers who see
// at least one of its linked cases (the casework need-to-know rule), and is
// otherwise absent, as that case is. The linked cases an agreement shows are
// only those the viewer sees. Alerts are read more widely than cases, so
// a follow-through alert names the provisions of public agreements and only
// counts those of restricted ones. Writers (admin, analyst, desk-officer)
// change agreements they see; linking needs the case to be seen too. Every
// change is audited as "agreement.*" (agreement.import, agreement.create,
// agreement.provision.add, agreement.provision.status, agreement.link);
// reads are not, since reading an agreement reads no case: a restricted
// agreement shows only the ids of cases the reader already sees.
package agreement
