// Package roster is the mobilisation half of casework: the people who can
// be sent when a crisis breaks (envoys, the standby team of mediation
// experts, support staff), matching them to a case's needs, and their
// deployments.
//
// # People
//
// A Person has a kind (envoy, mediation-expert, support-staff), expertise
// areas each with a level (1 working knowledge, 2 experienced, 3 leading
// expert), languages each with a CEFR level (A1 to C2, or native),
// countries known (ISO alpha-3) and the regions they add up to (the UN M49
// region, sub-region and intermediate region of each country, plus regions
// named outright), a
// clearance (the highest case confidentiality they may be deployed to), a
// contract type, an organisation (the roster's keeper) and an email that
// ties the record to the person's user account, if any.
//
// Their availability calendar is derived: a day is "unavailable" inside a
// recorded unavailable period (leave, another commitment), "on-deployment"
// inside a deployment that holds the person (requested, approved, active
// or completed), and "available" otherwise.
//
// # Confidentiality and audit
//
// People's records are personal data and follow casework's rules for
// confidential cases: they are seen by the admins, analysts and desk
// officers of the organisation that keeps them; a mediation expert sees
// only their own record (the one carrying their email); partner viewers
// see none; anyone else is told a record does not exist (not found, never
// forbidden). Only the keeper's writers change records. Every change
// ("roster.*") is audited, and so is every read of a record
// ("read.confidential", naming people by id, never by name), a list or a
// match naming the ids it returned in one entry.
//
// # Matching
//
// Match ranks, for a case (whose places it reads) and a requested profile
// (expertise areas, languages, a start date and a duration), the people
// free for the whole window. A person is excluded if an unavailable period
// or a deployment holding them overlaps the window, if their clearance is
// below the case's confidentiality, or if they have none of the requested
// expertise. The others are scored, out of 100:
//
//	expertise   50 × the mean over requested areas of level/3 (0 if lacking)
//	languages   25 × the mean over requested languages of the level's credit
//	               (C1, C2, native 1; B2 0.75; B1 0.5; A1, A2 0.25; none 0)
//	region      15 × the mean over the case's countries of 1 (country known),
//	               0.6 (its intermediate region known, e.g. Western Africa),
//	               0.45 (its sub-region, e.g. Sub-Saharan Africa) or 0.3 (its
//	               region, e.g. Africa)
//	standby     10 if their contract is standby (deployable within 72 hours)
//	fatigue    −10 × min(days deployed in the 365 days before the start, 180)/180
//	               (approved, active and completed deployments)
//
// Every candidate carries one Reason per factor, so that the rank can be
// read and argued with. Ties go to the less fatigued, then to the lower id.
// An Index holds the roster precomputed (fixed-size expertise arrays,
// language codes, region sets, busy windows sorted), so that ranking
// 10,000 people takes a few milliseconds (BenchmarkMatch). The Service
// keeps the Index of each access while the roster's stamp holds, and
// rebuilds it after a change from the Store's MatchPeople, a projection of
// only what matching reads (store's BenchmarkRosterMatchFromStore compares
// it with reading full records and calendars on both databases).
//
// # Deployments
//
// A Deployment sends one person to one case for a window of days. Its
// status goes requested → approved → active → completed, or from
// requested to rejected, or from requested or approved to cancelled;
// every transition is kept with its actor, time and note. Approving a
// deployment names the person (by the email on their record) among the
// case's responsible staff, so that they may read the case they are sent
// to whatever its confidentiality; cancelling it takes the name off again
// unless they were named before or hold another deployment on the case.
// A deployment
// holds its person for its window from the moment it is requested until it
// is rejected or cancelled: two deployments holding one person never
// overlap. The database enforces it, not the caller: the request checks
// for an overlap inside its write transaction, serialised per person (on
// PostgreSQL an advisory lock on the person and an exclusion constraint
// over the date ranges; on SQLite the single writer and a trigger), so
// that of many simultaneous requests for one expert in overlapping windows
// exactly one succeeds and the others get ErrDoubleBooked.
package roster
