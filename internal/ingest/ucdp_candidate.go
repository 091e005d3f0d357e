package ingest

// TODO: stub, replaced by the real format.
func ucdpCandidateFormat() Format { return Format{Name: "ucdp_candidate"} }
