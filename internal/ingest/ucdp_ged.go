package ingest

// TODO: stub, replaced by the real format.
func ucdpGEDFormat() Format { return Format{Name: "ucdp_ged"} }
